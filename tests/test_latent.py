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
