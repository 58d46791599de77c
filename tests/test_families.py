"""Real InfoGAN and StackedGAN steps on real MNIST digits (small batches to stay fast)."""

import math

import numpy as np
import pytest

from trainers.data import BatchSampler
from trainers.families.infogan import InfoGan, InfoGanConfig
from trainers.families.stackedgan import StackedGan, StackedGanConfig
from trainers.runner import make_runner, to_floats

BATCH = 8


@pytest.fixture(scope="module")
def infogan():
    return InfoGan(InfoGanConfig(precision="float32"))


@pytest.fixture(scope="module")
def stackedgan(small_mnist):
    model = StackedGan(StackedGanConfig(precision="float32", encoder_epochs=1))
    model.prepare(small_mnist)
    return model


def trainable(model, name):
    return [v.numpy().copy() for v in model.networks[name].trainable_variables]


def same(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after))


def test_generate_shapes(infogan, stackedgan):
    assert infogan.generate({"digit": 3}).shape == (1, 28, 28)
    strip = infogan.generate({"digit": 3, "code1": np.linspace(-2, 2, 7)})
    assert strip.shape == (7, 28, 28) and 0.0 <= strip.min() and strip.max() <= 1.0
    assert stackedgan.generate({"digit": 1, "z0": np.linspace(-4, 4, 5)}).shape == (5, 28, 28)


def test_latent_specs_match_the_book(infogan, stackedgan):
    assert [c.name for c in infogan.latent_spec.controls] == ["digit", "code1", "code2", "z"]
    assert (infogan.latent_spec["code1"].low, infogan.latent_spec["code1"].high) == (-2.0, 2.0)
    assert infogan.input_dim == 62 + 10 + 1 + 1
    assert (stackedgan.latent_spec["z0"].low, stackedgan.latent_spec["z1"].high) == (-4.0, 1.0)


def test_losses_are_finite_after_a_few_steps(infogan, stackedgan, small_mnist):
    sampler = BatchSampler(small_mnist, BATCH)
    for model in (infogan, stackedgan):
        for _ in range(3):
            losses = model.train_step(*sampler.next())
        assert losses and all(math.isfinite(v) for v in losses.values()), losses


def test_discriminator_step_changes_only_discriminator_weights(infogan, small_mnist):
    images, labels = BatchSampler(small_mnist, BATCH).next()
    only_d = make_runner(infogan.networks, infogan.optimizers, lambda ctx, *a: infogan.discriminator_update(ctx, *a))
    g_before, d_before = trainable(infogan, "generator"), trainable(infogan, "discriminator")
    to_floats(only_d.step(images, labels, *infogan.random_inputs(BATCH)))
    assert same(g_before, trainable(infogan, "generator"))
    assert not same(d_before, trainable(infogan, "discriminator"))


def test_generator_step_changes_only_generator_weights(infogan):
    only_g = make_runner(infogan.networks, infogan.optimizers, lambda ctx, *a: infogan.generator_update(ctx, *a))
    g_before, d_before = trainable(infogan, "generator"), trainable(infogan, "discriminator")
    to_floats(only_g.step(*infogan.random_inputs(BATCH)))
    assert not same(g_before, trainable(infogan, "generator"))
    assert same(d_before, trainable(infogan, "discriminator"))


def test_stackedgan_never_trains_its_encoder(stackedgan, small_mnist):
    before = {n: trainable(stackedgan, n) for n in stackedgan.networks}
    stackedgan.train_step(*BatchSampler(small_mnist, BATCH, seed=3).next())
    changed = {n for n in before if not same(before[n], trainable(stackedgan, n))}
    assert changed == {"gen1", "dis1", "gen0", "dis0"}


def test_stackedgan_reports_encoder_accuracy(stackedgan):
    assert 0.1 < stackedgan.encoder_accuracy <= 1.0


def test_state_round_trip_gives_identical_output(infogan, small_mnist):
    arrays = infogan.state()
    fresh = InfoGan(InfoGanConfig(precision="float32", seed=5))
    controls = {"digit": 7, "code2": 1.0, "seed": 3}
    assert not np.allclose(fresh.generate(controls), infogan.generate(controls))
    fresh.load_state(arrays)
    assert np.array_equal(fresh.generate(controls), infogan.generate(controls))


def test_shift_training_puts_every_slider_position_in_distribution():
    model = StackedGan(StackedGanConfig(precision="float32", shift_training=True))
    shifts = model._noise(4000, "z0").mean(axis=1)  # the per-sample shift, up to the noise's own mean
    assert shifts.min() < -3.8 and shifts.max() > 3.8
    assert np.histogram(shifts, bins=4, range=(-4, 4))[0].min() > 800  # spread evenly, not piled at 0
    assert model.networks["dis0"].layers[-1].activation.__name__ == "linear"  # Q0 can answer 4, tanh could not


# --- the simultaneous update (InfoGAN's update=simultaneous) ---------------------------------------
def weights_after_one_step(small_mnist, update: str, **rates) -> dict[str, list[np.ndarray]]:
    model = InfoGan(InfoGanConfig(precision="float32", update=update, seed=4, **rates))
    model.train_step(*BatchSampler(small_mnist, BATCH, seed=4).next())
    return {name: trainable(model, name) for name in ("generator", "discriminator")}


def test_the_simultaneous_update_steps_both_networks_from_the_same_weights(small_mnist):
    """Its G step uses the D of before this step's D update: whether D moves (d_lr) cannot change G's
    step, as it does in the book's order, where G learns from the D just updated."""
    steady_d = weights_after_one_step(small_mnist, "simultaneous", d_lr=0.0)
    moving_d = weights_after_one_step(small_mnist, "simultaneous")
    assert same(steady_d["generator"], moving_d["generator"])
    assert not same(steady_d["discriminator"], moving_d["discriminator"])
    book_steady, book_moving = (weights_after_one_step(small_mnist, "book", **r) for r in ({"d_lr": 0.0}, {}))
    assert not same(book_steady["generator"], book_moving["generator"])
    # and each network moves on its own loss only: a frozen G (g_lr=0) leaves D's step as it was
    steady_g = weights_after_one_step(small_mnist, "simultaneous", g_lr=0.0)
    assert same(steady_g["discriminator"], moving_d["discriminator"])
    assert not same(steady_g["generator"], moving_d["generator"])


def test_the_simultaneous_update_does_a_fifth_less_arithmetic(small_mnist):
    from trainers.arithmetic import step_gflop

    batch = BatchSampler(small_mnist, 64).next()
    book = step_gflop(InfoGan(InfoGanConfig(precision="float32")), batch)
    simultaneous = step_gflop(InfoGan(InfoGanConfig(precision="float32", update="simultaneous")), batch)
    assert 65 < book < 80  # G forward ≈ 0.20 GFLOP an image, D ≈ 0.04: the book's order is ≈ 71 GFLOP at 64
    assert 0.15 < 1 - simultaneous / book < 0.25
