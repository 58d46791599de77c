"""Directions discovered in a generator's noise: SeFa and GANSpace, their measured names, the cache, the CLI."""

import json
import shutil

import numpy as np
import pytest

from trainers import directions as D
from trainers.cli import main
from trainers.latent import CategoricalControl, LatentSpec, NoiseControl
from trainers.paths import SHIPPED_MODELS
from trainers.run import load_model


@pytest.fixture(scope="module")
def dcgan():
    return load_model(SHIPPED_MODELS / "dcgan")


@pytest.fixture(scope="module")
def stackedgan():
    return load_model(SHIPPED_MODELS / "stackedgan")


def test_sefa_finds_the_directions_the_first_layer_stretches_most(dcgan):
    site = dcgan.noise_sites()["z"]
    vectors = D.sefa(site, 100, 4)
    assert vectors.shape == (4, 100) and np.allclose(vectors @ vectors.T, np.eye(4), atol=1e-6)
    weights = D.noise_weights(site, 100)
    stretch = np.linalg.norm(vectors @ weights, axis=1)
    assert np.all(np.diff(stretch) <= 1e-9)  # largest first
    random = D.unit_rows(np.random.default_rng(0).normal(size=(200, 100)))
    assert stretch[0] > np.linalg.norm(random @ weights, axis=1).max()


def test_ganspace_directions_move_the_early_activations_more_than_random_ones(dcgan):
    site = dcgan.noise_sites()["z"]
    vectors = D.ganspace(site, dcgan.latent_spec, "z", 3, np.random.default_rng(0), n=1000)
    assert vectors.shape == (3, 100) and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    start = dcgan.latent_spec.sample(64, np.random.default_rng(1))

    def moved(vector):
        shifted = dict(start, z=(start["z"] + vector).astype(np.float32))
        return np.abs(D.early_features(site, shifted) - D.early_features(site, start)).mean()

    random = D.unit_rows(np.random.default_rng(2).normal(size=(10, 100)))
    assert moved(vectors[0]) > np.median([moved(r) for r in random])


def test_each_direction_is_signed_by_its_largest_component_so_tables_repeat():
    rows = D.unit_rows(np.array([[0.0, -3.0, 1.0], [2.0, 0.5, -1.0], [-1.0, 0.0, 0.0]]))
    assert np.allclose(rows[0], [0.0, 3.0, -1.0] / np.sqrt(10)) and rows[1, 0] > 0 and np.allclose(rows[2], [1, 0, 0])
    assert np.allclose(D.unit_rows(-rows), rows)  # a solver's flipped eigenvector gives the same direction


def test_directions_on_one_axis_count_once():
    axis = D.unit_rows(np.array([[1.0, 0.0, 0.0], [-0.99, 0.1, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.0]]))
    kept = D.distinct(axis)
    assert len(kept) == 3 and np.allclose(kept[0], axis[0]) and np.allclose(kept[2], axis[3])


def test_every_noise_of_a_stacked_model_gets_its_own_directions(stackedgan):
    found = D.discover(stackedgan, "sefa", k=2)
    assert [d.noise for d in found] == ["z1", "z1", "z0", "z0"]
    assert all(d.vector.shape == (stackedgan.latent_spec.noise(d.noise).dim,) and d.sigma > 0 for d in found)


class StrokeModel:
    """A real generator of a kind the measure must read: a vertical bar whose width follows z·(1, 0, …)
    and nothing else; the judge's class is the bar's width in pixels."""

    title = "bars"
    latent_spec = LatentSpec((NoiseControl("z", 4, -1.0, 1.0, scale=1.0),))

    def judge_view(self, images):
        return images

    def generate_arrays(self, latents):
        width = np.clip(np.round(6 + 2 * latents["z"][:, 0]), 1, 12).astype(int)
        images = np.zeros((len(width), 28, 28), np.float32)
        for image, w in zip(images, width):
            image[4:24, 14 - w // 2 : 14 - w // 2 + w] = 1.0
        return images


def test_a_direction_is_named_by_what_it_measurably_does():
    model = StrokeModel()
    along, across = (D.Direction("z", v, 1.0, {}, None, None) for v in np.eye(4, dtype=np.float32)[:2])
    judge = lambda images: ((images > 0.5).any(axis=1).sum(axis=1), images.reshape(len(images), -1)[:, 300:340])
    D.measure(model, [along, across], judge)
    assert along.effects["width"] > 0.85 and along.effects["ink area"] > 0.85
    assert along.class_kept < 0.5 and along.name.startswith("changes the class (")
    assert abs(across.effects["width"]) < 0.1 and across.class_kept == 1.0 and across.name == "no measured effect"
    assert along.named and not across.named


class ClassBarModel(StrokeModel):
    """A class-conditional generator of bars: the class sets a wide base width (class c: 3 + 6c pixels) and
    z·(1, 0, …) adds up to ±2 pixels, so over all classes the width is mostly the class."""

    latent_spec = LatentSpec((CategoricalControl("c", 3), NoiseControl("z", 4, -1.0, 1.0, scale=1.0)))

    def generate_arrays(self, latents):
        width = 3 + 6 * latents["c"] + np.clip(np.round(latents["z"][:, 0]), -2, 2).astype(int)
        images = np.zeros((len(width), 28, 28), np.float32)
        for image, w in zip(images, width):
            image[4:24, 1 : 1 + w] = 1.0
        return images


def test_a_class_conditional_direction_is_read_within_each_class_with_the_pooled_reading_kept():
    model = ClassBarModel()
    along = D.Direction("z", np.eye(4, dtype=np.float32)[0], 1.0, {}, None, None)
    D.measure(model, [along])
    assert along.effects["width"] > 0.8 and along.name.startswith("width +")  # what the slider does to a class
    assert along.pooled["width"] < 0.4  # over all classes the classes' own widths swamp it
    rows = D.format_table([along], "sefa").splitlines()
    assert "within each class" in rows[0] and f"over all: width {along.pooled['width']:+.2f}" in rows[1]
    slider = model.latent_spec.with_directions([along]).controls[-1]  # the explorer's, with its figures to hover
    assert slider.attribute == along.name and along.summary() == slider.about
    assert "within each class" in slider.about and "over all classes:" in slider.about
    unconditional = D.Direction("z", np.eye(4, dtype=np.float32)[0], 1.0, {}, None, None)
    D.measure(StrokeModel(), [unconditional])
    assert unconditional.pooled is None and "within" not in D.format_table([unconditional], "sefa")


def test_a_sweep_draws_its_starts_once_and_puts_them_back_in_their_rows():
    along = D.Direction("z", np.eye(4, dtype=np.float32)[0], 1.0, {}, None, None)
    _, amounts = D.direction_sweep(None, along, {"z": np.zeros((3, 4), np.float32)})
    moved = amounts != 0
    rows = np.arange(len(amounts) * 2).reshape(len(amounts), 2)  # one row per swept sample, in sweep order
    assert np.array_equal(D.with_starts(D.only({"r": rows}, moved)["r"], rows[~moved], moved), rows)
    model = ClassBarModel()  # and the figures are those of drawing every row
    D.measure(model, [along])
    spec = model.latent_spec
    starts = spec.sample(D.SWEEP_STARTS, np.random.default_rng(0), D.sweep_classes(spec))
    latents, amounts = D.direction_sweep(spec, along, starts)
    attributes = D.image_attributes(model.generate_arrays(latents), digits=False)
    assert (along.effects, along.pooled) == D.effects_of(amounts, attributes, latents, spec)


def test_the_within_class_reading_weights_each_class_by_its_samples():
    amounts = np.array([0, 1, 2, 0, 1, 2, 3, 4, 5], float)
    measured = np.array([1, 2, 3, 9, 8, 7, 6, 5, 4], float)  # class 0 rises (ρ +1), class 1 falls (ρ −1)
    classes = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    assert D.within_class_spearman(amounts, measured, classes) == pytest.approx((3 * 1 - 6 * 1) / 9)


def test_directions_are_cached_beside_the_model_and_refused_when_damaged_or_stale(tmp_path, dcgan, monkeypatch):
    folder = tmp_path / "dcgan"
    shutil.copytree(SHIPPED_MODELS / "dcgan", folder, ignore=shutil.ignore_patterns("directions-*"))
    said = []
    found = D.directions_for(dcgan, folder, "sefa", k=2, say=said.append)
    assert (folder / "directions-sefa.npz").is_file() and (folder / "directions-sefa.json").is_file()
    assert all(d.class_kept is not None and d.frechet_ends is not None and d.name for d in found)
    discovered = []
    monkeypatch.setattr(D, "discover", lambda *a, **k: discovered.append(1) or found)
    again = D.directions_for(dcgan, folder, "sefa", k=2, say=said.append)
    assert not discovered and said == [] and [d.name for d in again] == [d.name for d in found]
    assert all(np.array_equal(a.vector, b.vector) for a, b in zip(again, found))
    (folder / "directions-sefa.npz").write_bytes(b"PK\x03\x04 truncated")
    D.directions_for(dcgan, folder, "sefa", k=2, say=said.append)
    assert len(discovered) == 1 and len(said) == 1 and "damaged" in said[0] and "\n" not in said[0]
    D.directions_for(dcgan, folder, "sefa", k=3, say=said.append)  # other settings: another key
    assert len(discovered) == 2 and "other weights or settings" in said[-1]
    table = json.loads((folder / "directions-sefa.json").read_text())
    table["directions"][0]["pooled"] = ["not", "a", "table"]  # edited by hand
    (folder / "directions-sefa.json").write_text(json.dumps(table))
    D.directions_for(dcgan, folder, "sefa", k=3, say=said.append)
    assert len(discovered) == 3 and "damaged" in said[-1] and "\n" not in said[-1]
    for row in table["directions"]:  # an older format's rows, without the fields this one added
        row.pop("pooled")
    (folder / "directions-sefa.json").write_text(json.dumps({**table, "format": D.FORMAT - 1}))
    D.directions_for(dcgan, folder, "sefa", k=3, say=said.append)
    assert len(discovered) == 4 and "other weights or settings" in said[-1]


def test_the_cli_prints_the_shipped_tables_and_uses_them_without_measuring(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "dcgan"
    shutil.copytree(SHIPPED_MODELS / "dcgan", folder)
    monkeypatch.setattr(D, "discover", lambda *a, **k: pytest.fail("the shipped cache was not used"))
    assert main(["directions", str(folder), "--method", "both"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sefa: 8 directions") and out[10].startswith("ganspace: 8 directions")
    assert all("thickness" in line and "slant" in line and "kept" in line for line in out[1:9])
    cosines = [float(c) for c in out[-1].split("one: ")[1].split(" (")[0].split()]
    assert out[-1].startswith("agreement:") and len(cosines) == 8 and all(0 <= c <= 1 for c in cosines)
    assert main(["directions", str(folder), "--method", "both", "--json"]) == 0
    assert '"agreement"' in capsys.readouterr().out
    one, sweep = tmp_path / "one.png", tmp_path / "sweep.png"
    assert main(["generate", str(folder), "--direction", "1", "--amount", "2.5", "-o", str(one)]) == 0
    assert main(["generate", str(folder), "--sweep", "direction:1", "--steps", "5", "-o", str(sweep)]) == 0
    assert one.is_file() and sweep.is_file()
    assert main(["generate", str(folder), "--direction", "9", "-o", str(one), "--force"]) == 2
    assert "directions 0–7" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["directions", str(tmp_path / "nothing")]) == 2
    assert main(["directions", str(SHIPPED_MODELS / "gauss1d")]) == 2
    assert "no noise vector" in capsys.readouterr().err


def test_a_read_only_model_folder_gives_its_shipped_directions_and_caches_new_ones_elsewhere(tmp_path, monkeypatch):
    import os

    import trainers.paths

    folder = tmp_path / "dcgan"
    shutil.copytree(SHIPPED_MODELS / "dcgan", folder)
    monkeypatch.setattr(trainers.paths, "USER_DATA", tmp_path / "user")
    writable = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: path != folder and writable(path, mode))  # as if installed
    model = load_model(folder)
    said = []
    assert len(D.cached_directions(model, folder, "sefa", 8, say=said.append)) == 8 and said == []
    key = D.weights_key(model, "sefa", 8)
    assert D.cache_folder(folder, key) == tmp_path / "user" / "directions" / key[:16]  # new ones go there


def test_figures_are_measured_in_float32_whatever_precision_the_window_draws_in():
    from trainers.run import in_float32

    drawn = load_model(SHIPPED_MODELS / "infogan", precision="bfloat16")
    measured, reference = in_float32(drawn), load_model(SHIPPED_MODELS / "infogan")
    assert in_float32(reference) is reference and measured is not drawn
    assert measured.card == drawn.card
    latents = reference.latent_spec.sample(8, np.random.default_rng(0))
    assert np.array_equal(measured.generate_arrays(latents), reference.generate_arrays(latents))
    assert not np.array_equal(drawn.generate_arrays(latents), reference.generate_arrays(latents))


def test_contrast_and_detail_tell_a_pattern_from_a_flat_grey_of_the_same_brightness():
    flat = np.full((28, 28), 0.5)
    stripes = np.tile([0.0, 1.0], (28, 14))  # the same mean brightness, a pattern of edges
    fold = flat.copy()
    fold[:, 14:] = 0.6  # one edge, barely brighter
    measured = D.image_attributes(np.stack([flat, stripes, fold]), digits=False)
    assert np.allclose(measured["intensity"][:2], 0.5)
    assert measured["contrast"][0] == 0 and measured["contrast"][1] == pytest.approx(0.5)
    assert measured["detail"][0] == 0 < measured["detail"][2] < measured["detail"][1]
    assert set(measured) == {"ink area", "width", "height", "intensity", "contrast", "detail"}
