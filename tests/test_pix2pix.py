"""The paired image-to-image family: its pair sets (built in, a user's .npz or folders), its networks and the
class options' updates, its image input through the latent spec and the CLI, and its measures."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

import trainers.data
import trainers.paired_data as paired_data
from trainers.cli import main
from trainers.errors import UserFacingError
from trainers.latent import CategoricalControl, ImageControl, LatentSpec
from trainers.paired_data import canny_sketch, load_pairs, photos_and_sketches
from trainers.translation_eval import edge_f_measure, follows_input

pytestmark = pytest.mark.timeout(300)
TINY = ["--config", "unet_width=8", "--precision", "float32", "--metrics-every", "0", "--batch-size", "8"]


def cli(capsys, *args) -> tuple[int, str, str]:
    """The CLI in this process (TensorFlow is imported once): exit code, stdout, stderr."""
    code = main(list(args))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


# --- pair sets ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("resolution", [32, 64])
def test_sketches_are_thin_outlines_of_each_image(small_mnist, resolution):
    photos, sketches = photos_and_sketches(small_mnist.images[:20], resolution, canny_sketch)
    assert photos.shape == sketches.shape == (20, resolution, resolution) and sketches.dtype == np.uint8
    assert set(np.unique(sketches)) <= {0, 255}
    ink = (sketches > 0).mean(axis=(1, 2))
    assert np.all(ink > 0.02) and np.all(ink < 0.4)  # every digit has an outline, none is filled
    lines = sketches > 0
    inner = lines[:, 1:-1, 1:-1] & lines[:, :-2, 1:-1] & lines[:, 2:, 1:-1] & lines[:, 1:-1, :-2] & lines[:, 1:-1, 2:]
    assert inner.sum() / lines.sum() < 0.15  # lines, not blobs
    bright, around = photos > 128, np.ones((1, 3, 3), bool)  # the outline runs along the digit's border
    border = ndimage.binary_dilation(bright, around) & ndimage.binary_dilation(~bright, around)
    assert (lines & border).sum() / lines.sum() > 0.95


def test_a_built_in_pair_set_is_cached_under_its_construction_and_a_damaged_cache_rebuilt(
    tmp_path, monkeypatch, small_mnist
):
    monkeypatch.setattr(paired_data, "USER_CACHE", tmp_path)
    monkeypatch.setattr(trainers.data, "load_dataset", lambda spec: small_mnist)
    first = load_pairs("mnist-skeletons", 32)
    (cached,) = (tmp_path / "pairs").iterdir()
    assert "mnist-skeletons-32px-skeleton-up64" in cached.name
    assert len(first) == len(small_mnist) and first.domains == ("digit", "skeleton") and first.judge_kind == "mnist"

    def fail(*_):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(paired_data, "_build", fail)
    again = load_pairs("mnist-skeletons", 32)
    assert np.array_equal(again.b, first.b) and again.spec == "mnist-skeletons"
    cached.write_bytes(b"not a zip")
    monkeypatch.undo()
    monkeypatch.setattr(paired_data, "USER_CACHE", tmp_path)
    monkeypatch.setattr(trainers.data, "load_dataset", lambda spec: small_mnist)
    assert np.array_equal(load_pairs("mnist-skeletons", 32).b, first.b)  # rebuilt, not trusted


def write_folders(root, n=12, size=32, classes=True):
    for side in ("A", "B"):
        (root / side).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        for side in ("A", "B"):
            Image.fromarray(rng.integers(0, 255, (size, size), np.uint8)).save(root / side / f"{i:02d}.png")
    if classes:
        rows = ["file,class"] + [f"{i:02d}.png,{'shoe' if i % 2 else 'bag'}" for i in range(n)]
        (root / "classes.csv").write_text("\n".join(rows))
    return root


def test_paired_folders_load_with_their_class_names_and_any_size(tmp_path):
    pairs = load_pairs(write_folders(tmp_path / "pairs", size=48), 32)
    assert pairs.a.shape == (12, 32, 32) and pairs.class_names == ("bag", "shoe")
    assert list(pairs.labels[:4]) == [0, 1, 0, 1]


def _break(root, how):
    if how == "no B":
        for f in (root / "B").iterdir():
            f.unlink()
        (root / "B").rmdir()
    elif how == "unpaired":
        (root / "B" / "03.png").rename(root / "B" / "03-sketch.png")
    elif how == "sizes":
        Image.fromarray(np.zeros((20, 20), np.uint8)).save(root / "B" / "05.png")
    elif how == "no csv":
        (root / "classes.csv").unlink()
    elif how == "bad row":
        (root / "classes.csv").write_text("file,class\n00.png\n")
    elif how == "class missing":
        (root / "classes.csv").write_text("file,class\n00.png,bag\n")
    elif how == "not an image":
        (root / "A" / "04.png").write_text("a text file with an image's name")


@pytest.mark.parametrize(
    "how, words",
    [
        ("no B", "no B/ folder"),
        ("unpaired", "no partner with the same name"),
        ("sizes", "a pair must have one size"),
        ("no csv", "classes.csv is missing"),
        ("bad row", "row 1: expected 'file,class'"),
        ("class missing", "gives no class for 11 image(s)"),
        ("not an image", "is not an image Pillow can read"),
    ],
)
def test_every_bad_paired_folder_gets_one_line(tmp_path, how, words):
    root = write_folders(tmp_path / "pairs")
    _break(root, how)
    with pytest.raises(UserFacingError, match=None) as caught:
        load_pairs(root, 32)
    assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"a": np.zeros((20, 32, 32)), "b": np.zeros((20, 32, 32))}, "missing y"),
        ({"a": np.zeros((20, 32, 32)), "b": np.zeros((20, 28, 28)), "y": np.arange(20) % 2}, "'b' must be grey images"),
        ({"a": np.zeros((20, 32, 32)), "b": np.zeros((19, 32, 32)), "y": np.arange(20) % 2}, "they must pair up"),
        ({"a": np.full((20, 32, 32), np.nan), "b": np.zeros((20, 32, 32)), "y": np.arange(20) % 2}, "NaN"),
        ({"a": np.zeros((20, 32, 32)), "b": np.zeros((20, 32, 32)), "y": -np.ones(20)}, "whole numbers from 0"),
    ],
)
def test_every_bad_pair_file_gets_one_line(tmp_path, arrays, words):
    path = tmp_path / "pairs.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserFacingError) as caught:
        load_pairs(path, 32)
    assert words in str(caught.value)


def test_a_users_pair_file_cannot_name_a_judge_and_too_many_classes_is_one_line(tmp_path):
    images = np.zeros((20, 32, 32), np.uint8)
    np.savez(tmp_path / "judged.npz", a=images, b=images, y=np.arange(20) % 2, judge=np.array("cifar10"))
    assert load_pairs(tmp_path / "judged.npz", 32).judge_kind == ""  # only the project's own cache names one
    np.savez(tmp_path / "many.npz", a=images, b=images, y=np.full(20, 10**9))
    with pytest.raises(UserFacingError, match="1,000,000,001 classes; a model takes 2 to 1,000"):
        load_pairs(tmp_path / "many.npz", 32)


def test_a_spreadsheets_classes_csv_and_a_transparent_drawing_are_read(tmp_path):
    from trainers.paired_data import input_from_file

    root = write_folders(tmp_path / "pairs")
    (root / "classes.csv").write_text((root / "classes.csv").read_text(), encoding="utf-8-sig")  # with a BOM
    assert load_pairs(root, 32).class_names == ("bag", "shoe")
    drawing = np.zeros((32, 32, 4), np.uint8)
    drawing[16, 4:28] = (0, 0, 0, 255)  # a black line, the rest transparent
    Image.fromarray(drawing, "RGBA").save(tmp_path / "line.png")
    image, notes = input_from_file(tmp_path / "line.png", ImageControl("input", 32, 32, label="sketch"))
    assert image[16, 4:28].min() == 1.0 and image[:15].max() == 0.0  # on white paper, then light on dark
    assert notes == ["dark on light: inverted (the model reads light on dark)"]


# --- the image control ------------------------------------------------------------------------------
def test_an_image_control_is_checked_and_broadcast_beside_a_class():
    spec = LatentSpec((ImageControl("input", 4, 4, label="sketch"), CategoricalControl("class", 3)))
    assert spec.swept == () and spec.image_input.label == "sketch"
    image = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    row = spec.class_row({"input": image, "class": 0})
    assert (
        row["input"].shape == (3, 4, 4) and np.array_equal(row["input"][2], image) and list(row["class"]) == [0, 1, 2]
    )
    for bad, words in ((np.zeros((5, 4)), "must be a 4×4 grey image"), (image * 2, "pixels must be numbers in [0, 1]")):
        with pytest.raises(UserFacingError, match=None) as caught:
            spec.expand({"input": bad})
        assert words in str(caught.value)
    with pytest.raises(UserFacingError, match="2 sketch images for 3 samples"):
        spec.expand({"input": np.stack([image, image]), "class": np.arange(3)})


# --- the networks and their updates -------------------------------------------------------------------
def tiny_model(**config):
    from trainers.families.pix2pix import Pix2pix, Pix2pixConfig

    return Pix2pix(Pix2pixConfig(unet_width=8, precision="float32", **config))


@pytest.mark.parametrize(
    "config, trained, losses",
    [
        ({"class_info": "none"}, {"generator", "discriminator"}, {"d_real", "d_fake", "g_l1", "g_adv"}),
        ({"class_info": "d-class"}, {"generator", "discriminator"}, {"d_class", "g_class", "g_adv"}),
        ({"class_info": "d-fake-class"}, {"generator", "discriminator"}, {"d_real", "d_fake", "g_adv"}),
        ({"class_info": "classifier"}, {"generator", "discriminator", "classifier"}, {"q_loss", "g_class"}),
        ({"class_info": "none", "adversarial_weight": 0.0}, {"generator"}, {"g_l1"}),  # pix2pix's L1-only baseline
    ],
)
def test_each_class_option_updates_exactly_its_networks(small_pairs, config, trained, losses):
    model = tiny_model(**config)
    pairs = load_pairs(small_pairs, 32)
    model.see_held_out(pairs.split()[1])
    before = {name: [w.numpy().copy() for w in net.trainable_weights] for name, net in model.networks.items()}
    logs = model.train_step(*model.batches(pairs, 8, 0).next())
    changed = {
        name
        for name, net in model.networks.items()
        if any(not np.array_equal(a, w.numpy()) for a, w in zip(before[name], net.trainable_weights))
    }
    assert changed == trained and losses <= set(logs) and all(np.isfinite(v) for v in logs.values())
    assert model.latent_spec.categorical is None if config["class_info"] == "none" else model.latent_spec.categorical


def test_a_64_pixel_model_trains_and_translates_with_a_finer_patch_grid(small_mnist, tmp_path):
    model = tiny_model(resolution=64, class_info="none")
    a, b = photos_and_sketches(small_mnist.images[:80], 64, canny_sketch)
    np.savez(tmp_path / "pairs64.npz", a=a, b=b, y=small_mnist.labels[:80])
    pairs = load_pairs(tmp_path / "pairs64.npz", 64)
    model.see_held_out(pairs.split()[1])
    logs = model.train_step(*model.batches(pairs, 8, 0).next())
    assert all(np.isfinite(v) for v in logs.values())
    assert model.generate_arrays(model.example_latents(2)).shape == (2, 64, 64)
    patches = model.networks["discriminator"].output_shape
    patches = patches[0] if isinstance(patches, list) else patches
    assert patches[1:3] == (16, 16)  # one logit per patch: 8×8 at 32 pixels, 16×16 at 64


def test_the_generator_sees_the_class_as_planes_and_the_direction_picks_the_input(small_pairs):
    model = tiny_model(direction="photo-to-sketch")
    pairs = load_pairs(small_pairs, 32)
    inputs, targets = model.oriented(pairs)
    assert inputs is pairs.a and targets is pairs.b
    x = model.generator_inputs(inputs[:2] / 255.0, np.array([3, 7]))
    assert x.shape == (2, 32, 32, 11) and np.all(x[0, :, :, 1 + 3] == 1) and x[1, :, :, 1:].sum() == 32 * 32


def test_the_generators_average_is_what_is_shown_and_exported_while_the_live_weights_train(small_pairs, tmp_path):
    """generator_ema = m: after two steps the shown generator is m·w1 + (1 − m)·w2 (Keras's use_ema starts
    from w1); translations and exports use it, the live generator keeps its own weights."""
    from trainers.run import export_model, load_model

    model = tiny_model(class_info="none", generator_ema=0.9)
    pairs = load_pairs(small_pairs, 32)
    model.see_held_out(pairs.split()[1])
    batches = model.batches(pairs, 8, 0)
    live = model.networks["generator"]
    model.train_step(*batches.next())
    w1 = [w.numpy().copy() for w in live.trainable_weights]
    model.train_step(*batches.next())
    w2 = [w.numpy().copy() for w in live.trainable_weights]
    exported = model.state(generators_only=True)
    positions = [next(i for i, w in enumerate(live.weights) if w is v) for v in live.trainable_weights]
    for i, a, b in zip(positions, w1, w2):
        np.testing.assert_allclose(exported[f"generator/{i}"], 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-7)
    latents = model.example_latents(4)
    shown = model.generate_arrays(latents)
    export_model(model, tmp_path / "export")
    assert np.allclose(load_model(tmp_path / "export").generate_arrays(latents), shown, atol=1e-6)
    with_live_weights = tiny_model(class_info="none")
    with_live_weights.networks["generator"].set_weights(live.get_weights())
    assert not np.allclose(with_live_weights.generate_arrays(latents), shown, atol=1e-6)


# --- runs, files and the CLI -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, small_pairs):
    run = tmp_path_factory.mktemp("p2p") / "run"
    assert main(["train", "pix2pix", "--out", str(run), "--data", str(small_pairs), "--steps", "2", *TINY]) == 0
    return run


def test_a_run_and_its_export_keep_the_held_out_examples(tiny_run, small_pairs, tmp_path):
    from trainers.run import export_model, load_model

    held_out = load_pairs(small_pairs, 32).split()[1]  # 60 pairs: the 64 kept examples repeat them
    model = load_model(tiny_run)
    assert np.array_equal(model.examples["input"][:60], held_out.b)  # sketches in, photos out
    assert np.array_equal(model.examples["target"][:60], held_out.a)
    assert np.array_equal(model.examples["class"][60:], held_out.labels[:4])
    export_model(model, tmp_path / "export")
    exported = load_model(tmp_path / "export")
    assert np.array_equal(exported.examples["target"], model.examples["target"])
    latents = exported.example_latents(3)
    assert np.allclose(latents["input"], held_out.b[:3] / 255.0) and list(latents["class"]) == list(held_out.labels[:3])
    assert np.allclose(exported.generate_arrays(latents), model.generate_arrays(latents), atol=1e-6)


def test_a_fine_tune_on_other_pairs_keeps_the_new_pairs_examples(tiny_run, small_pairs, tmp_path):
    from trainers.run import load_model

    with np.load(small_pairs) as f:
        flipped = {key: f[key][:, :, ::-1] if key in "ab" else f[key] for key in f.files}
    np.savez(tmp_path / "flipped.npz", **flipped)
    run = tmp_path / "tuned"
    argv = ["train", "pix2pix", "--out", str(run), "--data", str(tmp_path / "flipped.npz"), "--steps", "1"]
    assert main([*argv, "--init-from", str(tiny_run), *TINY]) == 0
    held_out = load_pairs(tmp_path / "flipped.npz", 32).split()[1]
    assert np.array_equal(load_model(run).examples["input"][:60], held_out.b)


def test_generate_takes_any_image_and_refuses_a_file_that_is_not_one(tiny_run, tmp_path, capsys):
    Image.fromarray(np.zeros((64, 48, 3), np.uint8)).save(tmp_path / "colour.png")
    out = str(tmp_path / "out.png")
    code, printed, _ = cli(
        capsys, "generate", str(tiny_run), "--input", str(tmp_path / "colour.png"), "--class", "3", "-o", out
    )
    assert code == 0 and "Note: colour.png: 48×64: resampled to 32×32." in printed
    assert Image.open(out).size == (108, 108)  # one image, 2 pixels of border, 3× zoom
    (tmp_path / "text.png").write_text("not an image")
    code, _, errors = cli(
        capsys, "generate", str(tiny_run), "--input", str(tmp_path / "text.png"), "-o", str(tmp_path / "x.png")
    )
    assert code == 2 and "is not an image Pillow can read" in errors
    assert len(errors.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()
    code, _, _ = cli(
        capsys, "generate", str(tiny_run), "-o", str(tmp_path / "grid.png")
    )  # the first example, every class
    assert code == 0 and Image.open(tmp_path / "grid.png").size[0] > 10 * 32


def test_sample_writes_inputs_outputs_targets_and_classes(tiny_run, tmp_path, capsys):
    code, _, errors = cli(capsys, "sample", str(tiny_run), "--n", "5", "--out", str(tmp_path / "s.npz"))
    assert code == 0, errors
    with np.load(tmp_path / "s.npz") as f:
        assert {"inputs", "images", "targets", "labels"} <= set(f.files)
        assert f["inputs"].shape == f["images"].shape == f["targets"].shape == (5, 32, 32)


# --- measures ----------------------------------------------------------------------------------------
def test_edge_f_measure_allows_one_pixel_and_follows_input_sees_a_constant_output():
    edges = np.zeros((10, 32, 32), np.float32)
    edges[:, 4:28, 8::8] = 1  # three vertical lines, 8 pixels apart
    edges[np.arange(10), 2, np.arange(10) + 4] = 1  # and a dot that tells each image from the others
    assert edge_f_measure(edges, edges)["edge_f"] == 1.0
    assert edge_f_measure(np.roll(edges, 1, axis=2), edges)["edge_f"] == 1.0  # within 1 pixel
    assert edge_f_measure(np.roll(edges, 3, axis=2), edges)["edge_f"] < 0.5
    assert follows_input(edges, edges) > 2  # each output is its own target
    same = np.repeat(edges.mean(axis=0, keepdims=True), 10, axis=0)  # "similar sketches in all cases"
    assert abs(follows_input(same, edges) - 1) < 0.05


def test_the_kernel_distance_reads_about_zero_for_real_like_outputs_and_grows_with_a_shift():
    from trainers.translation_eval import _kernel_distances

    rng = np.random.default_rng(0)
    real_a, real_b, like_real = (rng.normal(size=(1000, 16)) for _ in range(3))
    same = _kernel_distances(like_real, real_a, real_b)
    shifted = _kernel_distances(like_real + 0.3, real_a, real_b)
    assert same["kid_subset_size"] == 500 and abs(same["kid_real_halves"]) < 0.02
    assert abs(same["kid"]) < 0.02 < shifted["kid"] and shifted["kid_spread"] < shifted["kid"]


def test_evaluate_reports_the_figures_of_each_direction(tiny_run, small_pairs, tmp_path, capsys):
    code, printed, errors = cli(capsys, "evaluate", str(tiny_run), "--n", "60")
    assert code == 0, errors
    assert "follows its input" in printed and "SSIM" in printed
    assert "no judge of this model's A outputs" in printed  # a user's own pairs (domains A and B): no judge
    run = tmp_path / "p2s"
    options = ["--config", "direction=photo-to-sketch", "--config", "class_info=none"]
    code, _, errors = cli(
        capsys, "train", "pix2pix", "--out", str(run), "--data", str(small_pairs), "--steps", "1", *TINY, *options
    )
    assert code == 0, errors[-2000:]
    code, printed, errors = cli(capsys, "evaluate", str(run), "--n", "60")
    assert code == 0, errors
    assert "edge F-measure" in printed and "no judge of this model's B outputs" in printed
