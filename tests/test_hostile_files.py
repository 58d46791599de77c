"""Property-based: every loader of a user's file (data sets, checkpoints, run.json, model.json, card.json)
either succeeds or raises the one-line UserFacingError, whatever is done to the file: truncation, bit flips,
wrong dtypes and shapes, NaN and inf, type swaps. Never another exception, never a hang."""

import json
import pickle
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainers.cli import main
from trainers.data import load_dataset
from trainers.errors import UserFacingError
from trainers.run import load_model

pytestmark = pytest.mark.timeout(600)
SETTINGS = settings(  # derandomized: CI runs the same 60 examples each time, so a failure reproduces
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def only_clean_failures(load):
    try:
        load()
    except UserFacingError as exc:
        assert "\n" not in str(exc) and str(exc)


@st.composite
def damaged_bytes(draw, raw: bytes):
    """The file's bytes cut short, or with a few bits flipped."""
    if draw(st.booleans()):
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """Valid files of every kind, written once by the real code."""
    root = tmp_path_factory.mktemp("originals")
    ds = load_dataset("bundled").take(60)
    np.savez(root / "digits.npz", x=ds.images, y=ds.labels)
    images = np.random.default_rng(0).integers(0, 256, (4, 3072), dtype=np.uint8)
    (root / "data_batch_1").write_bytes(pickle.dumps({b"data": images, b"labels": [1, 2, 3, 4]}, protocol=2))
    run = root / "lab"
    assert main(["train", "gauss1d", "--steps", "3", "--out", str(run), "--metrics-every", "0"]) == 0
    assert main(["export", str(run), str(root / "lab_model")]) == 0
    (root / "lab_model" / "card.json").write_text(json.dumps({"effects": {"z": {"attribute": None}}, "samples": 5}))
    return root


def use_copy(originals, tmp_path, name):
    target = tmp_path / name
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    source = originals / name
    shutil.copytree(source, target) if source.is_dir() else shutil.copy(source, target)
    return target


@SETTINGS
@given(data=st.data())
def test_a_damaged_data_file(originals, tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("data")
    path = folder / "digits.npz"
    path.write_bytes(data.draw(damaged_bytes((originals / "digits.npz").read_bytes())))
    only_clean_failures(lambda: load_dataset(path))


@SETTINGS
@given(
    data=st.data(),
    dtype=st.sampled_from(["U3", "c8", "f4", "i8", "O", "bool", "f2"]),
    shape=st.sampled_from([(60, 28, 28), (60, 784), (60, 5, 5), (61, 28, 28), (0,), ()]),
    poison=st.sampled_from([None, np.nan, np.inf, -1.0, 1e9]),
)
def test_data_arrays_of_every_wrong_kind(tmp_path_factory, data, dtype, shape, poison):
    folder = tmp_path_factory.mktemp("arrays")
    x = np.zeros(shape, dtype=np.float64)
    if poison is not None and x.size:
        x.flat[data.draw(st.integers(0, x.size - 1))] = poison
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and 1e9 cast to small types on purpose
        x = x.astype(dtype) if dtype != "O" else x.astype(object)
    y = np.arange(60) % data.draw(st.sampled_from([10, 11, 12]))
    np.savez(folder / "d.npz", x=x, y=y.astype(data.draw(st.sampled_from(["i4", "f8", "U2"]))))
    only_clean_failures(lambda: load_dataset(folder / "d.npz"))


@SETTINGS
@given(data=st.data())
def test_a_damaged_cifar_batch(originals, tmp_path_factory, data):
    from trainers.colour_data import read_cifar_batch

    raw = data.draw(damaged_bytes((originals / "data_batch_1").read_bytes()))
    only_clean_failures(lambda: read_cifar_batch(raw, "data_batch_1"))


@SETTINGS
@given(data=st.data(), target=st.sampled_from(["checkpoint.npz", "run.json"]))
def test_a_damaged_run(originals, tmp_path_factory, data, target):
    run = use_copy(originals, tmp_path_factory.mktemp("run"), "lab")
    raw = (run / target).read_bytes()
    (run / target).write_bytes(data.draw(damaged_bytes(raw)))
    only_clean_failures(lambda: load_model(run))


@SETTINGS
@given(data=st.data(), file=st.sampled_from(["run.json"]), value=JSON_VALUES)
def test_run_json_with_a_field_swapped_or_dropped(originals, tmp_path_factory, data, file, value):
    run = use_copy(originals, tmp_path_factory.mktemp("json"), "lab")
    content = json.loads((run / file).read_text())
    key = data.draw(st.sampled_from(sorted(content) + ["config.target_mean", "config.steps", "unknown"]))
    if key.startswith("config."):
        content["config"][key.split(".", 1)[1]] = value
    elif data.draw(st.booleans()):
        content.pop(key, None)
    else:
        content[key] = value
    (run / file).write_text(json.dumps(content))
    only_clean_failures(lambda: load_model(run))


@SETTINGS
@given(data=st.data(), file=st.sampled_from(["model.json", "card.json", "generator.npz"]), value=JSON_VALUES)
def test_an_exported_model_with_a_damaged_file(originals, tmp_path_factory, data, file, value):
    model = use_copy(originals, tmp_path_factory.mktemp("model"), "lab_model")
    if file.endswith(".npz") or data.draw(st.booleans()):
        (model / file).write_bytes(data.draw(damaged_bytes((model / file).read_bytes())))
    else:
        content = json.loads((model / file).read_text())
        key = data.draw(st.sampled_from(sorted(content) + ["effects.z", "whole"]))
        if key == "whole":
            content = value
        elif key == "effects.z":
            content.setdefault("effects", {})["z"] = value
        else:
            content[key] = value
        (model / file).write_text(json.dumps(content))
    only_clean_failures(lambda: load_model(model))


@SETTINGS
@given(
    key=st.sampled_from(["generator/g0/w", "__step__", "__steps__", "generator/g1/b"]),
    replacement=st.sampled_from(["text", "nan", "inf", "shape", "complex", "negative", "huge"]),
)
def test_checkpoint_arrays_of_every_wrong_kind(originals, tmp_path_factory, key, replacement):
    run = use_copy(originals, tmp_path_factory.mktemp("ckpt"), "lab")
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    old = arrays.get(key, np.array(3))
    arrays[key] = {
        "text": np.array(["x"] * max(old.size, 1)).reshape(old.shape) if old.size else np.array("x"),
        "nan": np.full(old.shape, np.nan),
        "inf": np.full(old.shape, np.inf),
        "shape": np.zeros((7, 3)),
        "complex": old.astype(np.complex64),
        "negative": -np.ones(old.shape, np.int64) * 5,
        "huge": np.full(old.shape, 10**15),
    }[replacement]
    np.savez(run / "checkpoint.npz", **arrays)
    only_clean_failures(lambda: load_model(run))


def test_a_data_file_whose_array_header_is_not_a_python_literal(originals, tmp_path):
    # found by the property above: numpy parses the header with Python's tokenizer, which fails in its own ways
    raw = (originals / "digits.npz").read_bytes().replace(b"'shape': (60, 28, 28)", b"'shape': (60, 28, 28 ")
    (tmp_path / "d.npz").write_bytes(raw)
    with pytest.raises(UserFacingError, match="cannot be read") as err:
        load_dataset(tmp_path / "d.npz")
    assert "\n" not in str(err.value)
