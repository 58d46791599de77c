import numpy as np
import pytest

from trainers.errors import UserFacingError
from trainers.latent import CategoricalControl, ContinuousControl, LatentSpec, NoiseControl

SPEC = LatentSpec((CategoricalControl("digit"), ContinuousControl("code1", -2, 2), NoiseControl("z", 4, -1, 1)))


def test_expand_broadcasts_a_sweep_and_keeps_noise_fixed():
    latents = SPEC.expand({"digit": 3, "code1": np.linspace(-2, 2, 5), "seed": 9})
    assert latents["digit"].tolist() == [3] * 5
    assert latents["z"].shape == (5, 4)
    assert np.allclose(latents["z"], latents["z"][0])


def test_noise_slider_shifts_the_whole_vector():
    base = SPEC.expand({"seed": 1})["z"]
    shifted = SPEC.expand({"seed": 1, "z": 0.5})["z"]
    assert np.allclose(shifted - base, 0.5)


@pytest.mark.parametrize("values", [{"digit": 10}, {"digit": 2.5}, {"code1": 3.0}, {"nope": 1}])
def test_out_of_range_values_are_rejected(values):
    with pytest.raises(UserFacingError):
        SPEC.validate(values)


def test_attributes_come_from_a_card():
    spec = SPEC.with_attributes({"code1": "slant"})
    assert spec["code1"].attribute == "slant" and spec["z"].attribute is None


def test_noise_trained_with_shifts_is_sampled_with_them_but_a_slider_sets_the_shift():
    z0 = NoiseControl("z0", 50, -4.0, 4.0, shifted_in_training=True)
    spec = LatentSpec((CategoricalControl("digit", 10), z0))
    means = spec.sample(2000, np.random.default_rng(0))["z0"].mean(axis=1)
    assert means.min() < -3.5 and means.max() > 3.5  # random samples cover the trained shifts
    at_two = spec.expand({"digit": 1, "z0": 2.0})["z0"]
    assert abs(at_two.mean() - 2.0) < 0.3  # the slider's value is the shift, not a random one


def test_the_class_row_draws_one_sample_as_every_class():
    row = SPEC.class_row({"code1": 1.5, "seed": 4})
    assert row["digit"].tolist() == list(range(10)) and np.allclose(row["code1"], 1.5)
    assert np.allclose(row["z"], SPEC.expand({"seed": 4}, n=1)["z"][0])
    assert LatentSpec((NoiseControl("z", 4, -1, 1),)).class_row({"seed": 0}) is None


def test_interpolation_runs_from_one_sample_to_the_other_straight_or_on_the_sphere():
    start, end = {"digit": 2, "code1": -2.0, "seed": 1}, {"digit": 7, "code1": 2.0, "seed": 2}
    a, b = SPEC.expand(start, n=1), SPEC.expand(end, n=1)
    for spherical in (False, True):
        path = SPEC.interpolation(start, end, 9, spherical)
        assert np.allclose(path["z"][0], a["z"][0], atol=1e-6) and np.allclose(path["z"][-1], b["z"][0], atol=1e-6)
        assert np.allclose(path["code1"], np.linspace(-2, 2, 9))  # codes move along the line either way
        assert path["digit"].tolist() == [7] * 9  # the class is the current sample's
    straight, curved = SPEC.interpolation(start, end, 9), SPEC.interpolation(start, end, 9, spherical=True)
    assert np.allclose(straight["z"][4], (a["z"][0] + b["z"][0]) / 2, atol=1e-6)
    assert not np.allclose(curved["z"][4], straight["z"][4])


def test_slerp_keeps_the_length_of_equal_length_vectors_and_falls_back_to_the_line():
    from trainers.latent import lerp, slerp

    a, b = np.array([3.0, 0, 0], np.float32), np.array([0, 3.0, 0], np.float32)
    t = np.linspace(0, 1, 7, dtype=np.float32)
    assert np.allclose(np.linalg.norm(slerp(a, b, t), axis=1), 3.0, atol=1e-5)
    assert np.allclose(slerp(a, 2 * a, t), lerp(a, 2 * a, t))  # parallel: the great circle is undefined
    assert np.allclose(slerp(np.zeros(3, np.float32), b, t), lerp(np.zeros(3, np.float32), b, t))
