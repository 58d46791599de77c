"""Metric functions on constructed inputs with known answers, and the shipped models' cheap check."""

import numpy as np
import pytest
from scipy import ndimage

from trainers import metrics
from trainers.data import load_dataset


def bar_image(width=2, shear=0.0):
    """A vertical stroke of `width` pixels; shear > 0 moves its top to the right."""
    image = np.zeros((28, 28))
    for row in range(4, 24):
        centre = 14 + shear * (14 - row)
        image[row, int(round(centre - width / 2)) : int(round(centre + width / 2))] = 1.0
    return image


def test_slant_sign_follows_the_lean():
    right, left, upright = bar_image(shear=0.4), bar_image(shear=-0.4), bar_image()
    s = metrics.slant(np.stack([right, left, upright]))
    assert s[0] > 0.2 and s[1] < -0.2 and abs(s[2]) < 0.05


def test_dilated_strokes_are_thicker():
    digits = load_dataset("bundled").images[:20] / 255.0
    thick = np.stack([ndimage.grey_dilation(d, size=(3, 3)) for d in digits])
    assert np.all(metrics.thickness(thick) > metrics.thickness(digits))
    assert abs(metrics.thickness(bar_image(width=4)[None])[0] - 4) < 1.0


def test_identical_feature_sets_have_zero_distance_and_shifted_ones_do_not():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 8))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-4)
    assert metrics.frechet_distance(a, a + 1.0) == pytest.approx(8.0, rel=0.01)


def test_the_frechet_figure_is_the_mean_over_every_run_of_reference_size():
    from trainers.evaluation import chunked_frechet

    rng = np.random.default_rng(0)
    reference = rng.normal(size=(300, 4))
    near, far = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) + 2.0  # two runs: one close, one shifted
    mean, lowest, highest = chunked_frechet(np.concatenate([near, far, near[:100]]), reference)  # a part-run: unused
    each = [metrics.frechet_distance(near, reference), metrics.frechet_distance(far, reference)]
    assert (lowest, highest) == pytest.approx((min(each), max(each)))
    assert mean == pytest.approx(np.mean(each)) and highest > 4 * lowest
    assert chunked_frechet(near[:120], reference)[0] == pytest.approx(metrics.frechet_distance(near[:120], reference))


def test_the_kernel_distance_does_not_move_with_the_sample_size_where_the_frechet_distance_does():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(4000, 32))
    same = [metrics.kernel_distance(rng.normal(size=(n, 32)), real, 20, n)[0] for n in (200, 1000)]
    assert all(abs(v) < 0.01 for v in same)  # one distribution: 0 whatever the size
    shifted = [metrics.kernel_distance(rng.normal(0.3, 1.0, size=(n, 32)), real, 20, n)[0] for n in (200, 1000)]
    assert min(shifted) > 0.03 and abs(shifted[0] - shifted[1]) < 0.25 * shifted[1]  # the same value at both sizes
    frechet = [metrics.frechet_distance(rng.normal(size=(n, 32)), real[:n]) for n in (200, 1000)]
    assert frechet[0] > 3 * frechet[1]  # the Fréchet distance of one distribution shrinks with n: its bias


def test_spearman_detects_monotone_effects():
    x = np.linspace(-2, 2, 50)
    assert metrics.spearman(x, x**3) == pytest.approx(1.0)
    assert metrics.spearman(x, -x) == pytest.approx(-1.0)


@pytest.fixture(scope="module")
def judge():
    from trainers.classifier import load_judge

    return load_judge()


def test_fixed_label_generator_scores_one_on_its_label(judge):
    _, held_out = load_dataset("bundled").split()
    threes = held_out.images[held_out.labels == 3][:40] / 255.0
    predicted, _ = judge(threes)  # a "generator" that always draws real threes
    assert metrics.label_accuracy(predicted, np.full(len(threes), 3)) >= 0.97


@pytest.mark.parametrize("name", ["infogan", "stackedgan", "cgan", "acgan"])
def test_shipped_models_draw_the_requested_digit(judge, name):
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import load_model

    model = load_model(SHIPPED_MODELS / name)
    digits = np.repeat(np.arange(10), 3)
    latents = model.latent_spec.sample(len(digits), np.random.default_rng(1), classes=digits)
    predicted, _ = judge(model.generate_arrays(latents))
    assert metrics.label_accuracy(predicted, digits) >= 0.9


@pytest.mark.parametrize("control, value", [("z0", -4.0), ("z0", 4.0), ("z1", -1.0), ("z1", 1.0)])
def test_shipped_stackedgan_keeps_the_digit_at_the_ends_of_its_sliders(judge, control, value):
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import load_model

    model = load_model(SHIPPED_MODELS / "stackedgan")
    digits, rng = np.repeat(np.arange(10), 5), np.random.default_rng(3)
    latents = model.latent_spec.sample(len(digits), rng, classes=digits)
    latents[control] = model.latent_spec[control].draw(rng, len(digits)) + value  # the slider shifts the noise
    predicted, _ = judge(model.generate_arrays(latents))
    assert metrics.label_accuracy(predicted, digits) >= 0.95  # the book's model: 0.22 at z0 = ±4


def test_live_metrics_are_cheap_plain_floats(small_mnist):
    from trainers.evaluation import LiveMetrics
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import load_model

    live = LiveMetrics(load_dataset("bundled"), n=200)
    figures = live(load_model(SHIPPED_MODELS / "infogan"))
    assert set(figures) == {"label_accuracy", "frechet_distance", "kernel_distance"}
    assert figures["label_accuracy"] > 0.9 and all(type(v) is float for v in figures.values())
    assert 0 < figures["kernel_distance"] < 1.5  # the shipped model's ~0.6; an untrained generator's 34


def test_accuracy_by_digit_shows_the_one_digit_that_is_missed():
    from trainers.evaluation import _accuracy_by_digit

    requested = np.repeat(np.arange(3), 4)
    predicted = requested.copy()
    predicted[4:7] = 7  # three of the four 1s are drawn as something else
    assert _accuracy_by_digit(predicted, requested) == {"0": 1.0, "1": 0.25, "2": 1.0}


def test_a_frechet_reference_gives_frechet_distance_for_every_set_it_is_compared_with():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(128, 128))
    real = np.maximum(rng.normal(size=(64, 128)) @ mixing, 0)  # fewer samples than features, dead ReLUs
    reference = metrics.FrechetReference(real)
    for shift in (0.0, 0.5, 3.0):
        fake = np.maximum(rng.normal(size=(64, 128)) @ mixing + shift, 0)
        assert reference.distance(fake) == pytest.approx(metrics.frechet_distance(fake, real), rel=1e-6)
    assert reference.distance(real) == pytest.approx(0.0, abs=1e-6 * metrics.frechet_distance(fake, real))
