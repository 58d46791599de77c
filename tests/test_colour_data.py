"""Data sets beyond MNIST: Fashion-MNIST from Debian's folder, CIFAR-10 python batches and SVHN .mat files
written here in exactly their publishers' formats, every malformed file as one line, and the families that
learn from them."""

import io
import json
import os
import pickle
import shutil
import tarfile

import numpy as np
import pytest
from scipy.io import savemat

from trainers import data as data_module
from trainers.cli import main
from trainers.colour_data import CIFAR_BATCHES
from trainers.data import FASHION_NAMES, load_dataset
from trainers.errors import UserFacingError

PER_BATCH = 12
TRAIN = ["--batch-size", "8", "--grid-every", "2", "--checkpoint-every", "2", "--precision", "float32"]


def cifar_batch(n: int, first_label: int = 0) -> dict:
    """One batch as CIFAR-10's python files hold it: bytes keys, N × 3072 uint8 rows (R, G, B planes), labels."""
    rng = np.random.default_rng(first_label)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    return {
        b"batch_label": b"training batch",
        b"data": images.transpose(0, 3, 1, 2).reshape(n, 3072),
        b"labels": [(first_label + i) % 10 for i in range(n)],
        b"filenames": [b"x.png"] * n,
    }, images


def write_cifar_folder(folder, n=PER_BATCH, change=None):
    folder.mkdir(parents=True, exist_ok=True)
    originals = []
    for i, name in enumerate(CIFAR_BATCHES):
        batch, images = cifar_batch(n, i)
        if change:
            change(name, batch)
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))  # the files were written by Python 2
        originals.append(images)
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"airplane"] * 10}, protocol=2))
    return np.concatenate(originals)


def write_svhn(path, n=20, x=None, y=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    labels = (np.arange(n) % 10) + 1  # SVHN: 1-10, 10 meaning the digit 0
    savemat(
        path,
        {
            "X": images.transpose(1, 2, 3, 0) if x is None else x,
            "y": labels[:, None].astype(np.uint8) if y is None else y,
        },
    )
    return images, labels % 10


def test_cifar10_python_batches_load_with_their_colours_in_place(tmp_path):
    originals = write_cifar_folder(tmp_path / "cifar-10-batches-py")
    ds = load_dataset(tmp_path / "cifar-10-batches-py")
    assert ds.kind == "cifar10" and ds.images.shape == (6 * PER_BATCH, 32, 32, 3) and ds.images.dtype == np.uint8
    assert np.array_equal(ds.images, originals) and ds.labels[:3].tolist() == [0, 1, 2]
    assert ds.data_kind.class_names[0] == "airplane" and ds.data_kind.channels == 3


def test_cifar10_straight_from_its_tar_gz(tmp_path):
    originals = write_cifar_folder(tmp_path / "cifar-10-batches-py")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    assert np.array_equal(load_dataset(archive).images, originals)
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(UserFacingError, match="damaged or truncated") as err:
        load_dataset(truncated)
    assert "\n" not in str(err.value)


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_batch_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    write_cifar_folder(
        tmp_path / "c",
        change=lambda name, batch: name == "data_batch_3" and batch.update({b"labels": RunsCode(marker)}),
    )
    with pytest.raises(UserFacingError, match="refused: it asks to run posix.system") as err:
        load_dataset(tmp_path / "c")
    assert not marker.exists() and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda name, b: b.update({b"data": b[b"data"][:, :1000]}), "must be N × 3072"),
        (lambda name, b: b.update({b"labels": [11] * PER_BATCH}), "labels must be whole numbers 0–9"),
        (lambda name, b: b.pop(b"labels"), "lacks 'data' or 'labels'"),
        (lambda name, b: b.update({b"labels": ["cat"] * PER_BATCH}), "not whole numbers"),
        (lambda name, b: b.update({b"labels": [0] * (PER_BATCH - 1)}), "images but"),
    ],
)
def test_malformed_cifar_batches_get_one_line(tmp_path, change, fragment):
    write_cifar_folder(tmp_path / "c", change=lambda name, batch: name == "test_batch" and change(name, batch))
    with pytest.raises(UserFacingError, match=fragment) as err:
        load_dataset(tmp_path / "c")
    assert "\n" not in str(err.value)


def test_a_cifar_folder_missing_a_batch_or_holding_a_truncated_one(tmp_path):
    write_cifar_folder(tmp_path / "c")
    raw = (tmp_path / "c" / "data_batch_2").read_bytes()
    (tmp_path / "c" / "data_batch_2").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(UserFacingError, match="data_batch_2 is not a readable CIFAR-10 batch"):
        load_dataset(tmp_path / "c")
    (tmp_path / "c" / "data_batch_5").unlink()
    with pytest.raises(UserFacingError, match="lacks data_batch_5"):
        load_dataset(tmp_path / "c")


def test_svhn_mat_files_load_with_10_as_the_digit_0(tmp_path):
    images, labels = write_svhn(tmp_path / "train_32x32.mat")
    ds = load_dataset(tmp_path / "train_32x32.mat")
    assert ds.kind == "svhn" and np.array_equal(ds.images, images) and np.array_equal(ds.labels, labels)
    write_svhn(tmp_path / "test_32x32.mat", n=10)
    assert len(load_dataset(tmp_path)) == 30  # a folder: train and test together


@pytest.mark.parametrize(
    "x, y, fragment",
    [
        (np.zeros((32, 32, 1, 4), np.uint8), None, "32 × 32 × 3 × N"),
        (np.zeros((28, 28, 3, 4), np.uint8), None, "32 × 32 × 3 × N"),
        (None, np.full((20, 1), 11, np.uint8), "SVHN labels run 1–10"),
        (None, np.ones((19, 1), np.uint8), "20 images but 19 labels"),
    ],
)
def test_malformed_svhn_files_get_one_line(tmp_path, x, y, fragment):
    write_svhn(tmp_path / "train_32x32.mat", x=x, y=y)
    with pytest.raises(UserFacingError, match=fragment) as err:
        load_dataset(tmp_path / "train_32x32.mat")
    assert "\n" not in str(err.value)


def test_a_mat_file_that_is_not_one(tmp_path):
    (tmp_path / "junk.mat").write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(UserFacingError, match="not a readable .mat file"):
        load_dataset(tmp_path / "junk.mat")
    savemat(tmp_path / "other.mat", {"images": np.zeros(3)})
    with pytest.raises(UserFacingError, match="arrays X and y, found \\['images'\\]"):
        load_dataset(tmp_path / "other.mat")


def test_fashion_mnist_from_debians_folder_or_one_line_on_how_to_get_it(tmp_path, monkeypatch, fashion_folder):
    ds = load_dataset("fashion")
    assert ds.kind == "fashion-mnist" and len(ds) == 600 and ds.data_kind.class_names == FASHION_NAMES
    assert load_dataset(fashion_folder).kind == "fashion-mnist"  # the same folder chosen by its path
    monkeypatch.setattr(data_module, "FASHION_MNIST_DIR", tmp_path / "absent")
    with pytest.raises(UserFacingError, match="sudo apt install dataset-fashion-mnist"):
        load_dataset("fashion")


@pytest.mark.parametrize(
    "x, y, fragment",
    [
        (np.full((4, 28, 28), np.nan), np.zeros(4), "NaN or infinite"),
        (np.full((4, 28, 28), -3.0), np.zeros(4), "pixel values run from -3"),
        (np.full((4, 28, 28), 300.0), np.zeros(4), "expected 0–255"),
        (np.zeros((4, 28, 28), np.complex64), np.zeros(4), "complex64 values, not numbers"),
        (np.array([["a"] * 784] * 4), np.zeros(4), "<U1 values, not numbers"),
        (np.zeros((4, 28, 28)), np.array([0, 1, np.nan, 2]), "labels hold NaN"),
        (np.zeros((4, 28, 28)), np.array([0, 1, 2.5, 3]), "whole numbers"),
        (np.zeros((0, 28, 28)), np.zeros(0), "holds no images"),
    ],
)
def test_bad_arrays_in_a_data_file_get_one_line(tmp_path, x, y, fragment):
    np.savez(tmp_path / "d.npz", x=x, y=y)
    with pytest.raises(UserFacingError, match=fragment) as err:
        load_dataset(tmp_path / "d.npz")
    assert "\n" not in str(err.value)


def test_zero_byte_object_array_and_pipe_data_files(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(UserFacingError, match="not a readable .npz"):
        load_dataset(tmp_path / "empty.npz")
    np.savez(tmp_path / "obj.npz", x=np.array([None] * 4, dtype=object), y=np.zeros(4))
    with pytest.raises(UserFacingError, match="array 'x' cannot be read"):
        load_dataset(tmp_path / "obj.npz")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UserFacingError, match="not a regular file"):  # would block forever if opened
        load_dataset(tmp_path / "pipe")


def test_dcgan_learns_colour_images_and_says_it_cannot_judge_them(tmp_path, capsys):
    write_cifar_folder(tmp_path / "cifar")
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "dcgan",
                "--preset",
                "cifar10",
                "--steps",
                "2",
                "--data",
                str(tmp_path / "cifar"),
                "--out",
                str(out),
                "--metrics-every",
                "2",
                *TRAIN,
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "Live metrics off: The project has no classifier of CIFAR-10 images" in printed
    from trainers.run import RunDir, load_model

    assert RunDir(out).read_info().config["dataset"] == "cifar10"
    from PIL import Image

    assert Image.open(out / "grids" / "step_000002.png").mode == "RGB"
    model = load_model(out)
    assert model.generate({"z": np.zeros(3)}).shape == (3, 32, 32, 3)
    assert main(["evaluate", str(out), "--n", "50"]) == 2
    assert "no classifier of CIFAR-10" in capsys.readouterr().err
    assert main(["train", "dcgan", "--steps", "3", "--out", str(out), "--resume", *TRAIN]) == 0


def test_a_28x28_family_refuses_colour_data_in_one_line(tmp_path, capsys):
    write_svhn(tmp_path / "train_32x32.mat")
    argv = ["train", "infogan", "--steps", "1", "--data", str(tmp_path / "train_32x32.mat")]
    assert main([*argv, "--out", str(tmp_path / "r"), *TRAIN]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "InfoGAN cannot learn SVHN images here; it takes MNIST" in err[0]
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "family, config",
    [
        ("cgan", []),
        ("acgan", []),
        ("acgan", ["head=fake-class"]),
        ("acgan", ["head=classifier"]),
        ("acgan", ["head=fake-class", "generator=dcgan"]),
    ],
    ids=["cgan", "acgan-aux", "acgan-fake-class", "acgan-classifier", "acgan-dcgan-generator"],
)
def test_class_conditional_gans_learn_colour_32x32_sets(tmp_path, family, config):
    """CGAN and every ACGAN head on a CIFAR-10 folder: 32×32×3 networks, colour grids, resume, per-class samples."""
    write_cifar_folder(tmp_path / "cifar")
    out = tmp_path / "run"
    configs = [arg for c in config for arg in ("--config", c)]
    argv = ["train", family, "--steps", "2", "--data", str(tmp_path / "cifar"), *configs, *TRAIN]
    assert main([*argv, "--out", str(out), "--metrics-every", "0"]) == 0
    from PIL import Image

    from trainers.run import load_model

    assert Image.open(out / "grids" / "step_000002.png").mode == "RGB"
    model = load_model(out)
    assert model.config.dataset == "cifar10" and model.networks["generator"].output_shape == (None, 32, 32, 3)
    images = model.generate({"digit": np.arange(10), "z": np.zeros(10)})
    assert images.shape == (10, 32, 32, 3) and 0.0 <= images.min() and images.max() <= 1.0
    assert model.class_control.class_name(3) == "cat"
    assert main(["train", family, "--steps", "3", "--out", str(out), "--resume", *TRAIN]) == 0


def test_cgan_learns_svhn_digits_from_its_mat_file(tmp_path):
    write_svhn(tmp_path / "train_32x32.mat", n=40)
    out = tmp_path / "run"
    assert (
        main(["train", "cgan", "--steps", "2", "--data", str(tmp_path / "train_32x32.mat"), "--out", str(out), *TRAIN])
        == 0
    )
    from trainers.run import load_model

    model = load_model(out)
    assert model.config.dataset == "svhn" and model.class_control.label == "digit"
    assert model.generate({"digit": np.array([0, 9]), "z": np.zeros(2)}).shape == (2, 32, 32, 3)


@pytest.mark.long
def test_a_colour_judge_trained_from_the_users_files_measures_colour_models(tmp_path, capsys, own_user_judges):
    """No judge: training says live metrics are off and evaluate says how to get one; after `judge` both measure,
    against the held-out images of the files the judge learnt from."""
    write_cifar_folder(tmp_path / "cifar", n=40)
    out = tmp_path / "run"
    argv = ["train", "cgan", "--steps", "2", "--data", str(tmp_path / "cifar"), "--metrics-every", "2", *TRAIN]
    assert main([*argv, "--out", str(out)]) == 0
    assert "Live metrics off: The project has no classifier of CIFAR-10 images yet" in capsys.readouterr().out
    assert main(["evaluate", str(out), "--n", "40"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gan-explorer judge --data PATH" in err[0]

    assert main(["judge", "--data", str(tmp_path / "cifar"), "--epochs", "1"]) == 0
    assert "Held-out accuracy" in capsys.readouterr().out
    report = json.loads((own_user_judges / "cifar10" / "classifier.json").read_text())
    assert report["data_spec"] == str((tmp_path / "cifar").resolve()) and report["held_out_images"] == 48

    assert main([*argv, "--out", str(tmp_path / "measured")]) == 0
    metrics = (tmp_path / "measured" / "metrics.csv").read_text().splitlines()
    assert metrics[0] == "step,label_accuracy,frechet_distance,kernel_distance"
    assert metrics[1].startswith("0,") and metrics[2].startswith("2,")
    assert "Live metrics off" not in capsys.readouterr().out
    assert main(["evaluate", str(out), "--n", "40", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0.0 <= result["label_accuracy"] <= 1.0 and result["frechet_floor"] > 0
    assert result["class_names"][0] == "airplane" and str(tmp_path / "cifar") in result["real_data"]

    shutil.rmtree(tmp_path / "cifar")  # the files the judge learnt from are gone: one line, the run untouched
    assert main(["evaluate", str(out), "--n", "40"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert (out / "checkpoint.npz").is_file()


def test_judge_is_for_colour_sets_only(tmp_path, capsys, fashion_folder):
    assert main(["judge", "--data", "fashion", "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ships its judge" in err[0]
    assert main(["judge", "--data", str(tmp_path / "missing")]) == 2


def test_a_judge_of_other_images_says_so(own_user_judges, tmp_path):
    from trainers.classifier import Judge, build_classifier

    judge = Judge(build_classifier((32, 32, 3)))
    with pytest.raises(UserFacingError, match="reads 32×32×3 images, not 28×28×1"):
        judge(np.zeros((2, 28, 28), np.float32))
    labels, features = judge(np.zeros((3, 32, 32, 3), np.float32))
    assert labels.shape == (3,) and features.shape == (3, 128)


def test_acgan_on_fashion_names_its_classes(tmp_path, capsys, fashion_folder):
    out = tmp_path / "fa"
    assert (
        main(["train", "acgan", "--steps", "1", "--data", "fashion", "--out", str(out), "--metrics-every", "0", *TRAIN])
        == 0
    )
    from trainers.run import load_model

    control = load_model(out).class_control
    assert control.label == "class" and control.class_names == FASHION_NAMES and control.class_name(9) == "Ankle boot"
    assert (
        main(
            [
                "train",
                "acgan",
                "--steps",
                "1",
                "--data",
                "fashion",
                "--config",
                "num_labels=5",
                "--out",
                str(tmp_path / "five"),
                *TRAIN,
            ]
        )
        == 2
    )
    assert "set --config num_labels=10" in capsys.readouterr().err
    assert main(["evaluate", str(out), "--n", "100"]) == 0  # the Fashion judge, the classes by name
    table = capsys.readouterr().out
    assert "by class" in table and "Ankle boot:" in table and "by digit" not in table
    assert main(["generate", str(out), "--class", "9", "-o", str(tmp_path / "boot.png")]) == 0  # named as the data does
    assert (tmp_path / "boot.png").is_file()
    assert main(["generate", str(out), "--class", "10", "-o", str(tmp_path / "x.png")]) == 2


def test_pickled_bytes_keys_round_trip_through_the_restricted_reader():
    from trainers.colour_data import read_cifar_batch

    batch, images = cifar_batch(3)
    buffer = io.BytesIO()
    pickle.dump(batch, buffer, protocol=4)  # a batch re-saved by Python 3 loads too
    loaded, labels = read_cifar_batch(buffer.getvalue(), "batch")
    assert np.array_equal(loaded, images) and labels.tolist() == [0, 1, 2]
