"""CGAN and ACGAN (its three discriminator heads) through the family seam: real steps, CLI, resume."""

import numpy as np
import pytest
from cli_args import quick_train_args

from trainers.cli import main
from trainers.families.acgan import Acgan, AcganConfig
from trainers.families.cgan import Cgan, CganConfig
from trainers.runner import make_runner, to_floats

TRAIN = quick_train_args(metrics_every=0)
MODELS = {
    "cgan": lambda: Cgan(CganConfig(precision="float32")),
    "acgan-aux": lambda: Acgan(AcganConfig(head="aux", precision="float32")),
    "acgan-aux-real-only": lambda: Acgan(AcganConfig(head="aux", class_loss_on_fakes=False, precision="float32")),
    "acgan-fake-class": lambda: Acgan(AcganConfig(head="fake-class", precision="float32")),
    "acgan-classifier": lambda: Acgan(AcganConfig(head="classifier", precision="float32")),
    "acgan-dcgan-generator": lambda: Acgan(AcganConfig(head="fake-class", generator="dcgan", precision="float32")),
}


@pytest.fixture(scope="module", params=list(MODELS))
def model(request):
    return MODELS[request.param]()


def weights(model, name):
    return [v.numpy().copy() for v in model.networks[name].trainable_variables]


def unchanged(before, model, name):
    return all(np.array_equal(a, b) for a, b in zip(before, weights(model, name)))


def test_a_class_slider_and_noise_make_28x28_digits(model):
    assert model.class_control.name == "digit" and model.class_control.n == 10
    assert [c.name for c in model.latent_spec.traversed] == ["z"]
    images = model.generate({"digit": np.arange(10), "seed": 3})
    assert images.shape == (10, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert model.preview().shape == (10 * 30 + 2, 10 * 30 + 2)  # a column per class


def test_a_training_step_reports_both_discriminator_accuracies(model, small_mnist):
    logs = model.train_step(*model.batches(small_mnist, 8, 0).next())
    assert {"d_loss", "g_loss", "d_real_acc", "d_fake_acc"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    assert all(0 <= logs[k] <= 1 for k in logs if k.endswith("_acc"))


def test_each_update_changes_only_its_own_network(model, small_mnist):
    images, labels = model.batches(small_mnist, 8, 0).next()
    d_inputs, d_labels = model.random_inputs(8)
    if isinstance(model, Cgan):
        real_labels, d_labels = model.one_hot(labels), d_labels
        g_args = model.random_inputs(8)
    else:
        real_labels, g_args = labels.astype(np.int32), model.random_inputs(8)
    others = [n for n in model.networks if n != "discriminator"]
    before = {n: weights(model, n) for n in model.networks}
    only_d = make_runner(
        model.networks,
        model.optimizers,
        lambda ctx, *a: ctx.update("discriminator", model._d_loss, a[0], a[1], ctx.call("generator", a[2]), a[3]),
    )
    to_floats(only_d.step(images, real_labels, d_inputs, d_labels))
    assert not unchanged(before["discriminator"], model, "discriminator")
    assert all(unchanged(before[n], model, n) for n in others)
    before = {n: weights(model, n) for n in model.networks}
    only_g = make_runner(model.networks, model.optimizers, lambda ctx, *a: ctx.update("generator", model._g_loss, *a))
    to_floats(only_g.step(*g_args))
    assert not unchanged(before["generator"], model, "generator")
    assert all(unchanged(before[n], model, n) for n in model.networks if n != "generator")


def test_the_heads_have_the_outputs_the_source_describes():
    n = 10
    aux = Acgan(AcganConfig(head="aux", precision="float32")).networks["discriminator"]
    assert [tuple(o.shape) for o in aux.outputs] == [(None, 1), (None, n)]
    fake_class = Acgan(AcganConfig(head="fake-class", precision="float32"))
    assert tuple(fake_class.networks["discriminator"].output.shape) == (None, n + 1)  # the last class is "fake"
    separate = Acgan(AcganConfig(head="classifier", precision="float32"))
    assert tuple(separate.networks["discriminator"].output.shape) == (None, 1)
    assert tuple(separate.networks["classifier"].output.shape) == (None, n)
    assert set(separate.optimizers) == {"generator", "discriminator", "classifier"}


def test_batch_stddev_lets_the_discriminator_see_a_batch_of_look_alikes(small_mnist):
    from trainers.families.infogan import BatchStddev

    model = Acgan(AcganConfig(head="fake-class", precision="float32", batch_stddev=True))
    d = model.networks["discriminator"]
    assert any(isinstance(layer, BatchStddev) for layer in d.layers)
    varied = small_mnist.images[:16].astype("float32")[..., None] / 255.0
    alike = np.repeat(varied[:1], 16, axis=0)
    channel = BatchStddev()
    assert np.allclose(np.asarray(channel(alike))[..., -1], np.sqrt(1e-8), atol=1e-6)  # no spread at all
    assert np.asarray(channel(varied))[..., -1].min() > 0.05
    # the same first image reads differently beside look-alikes than beside a varied batch
    assert not np.allclose(np.asarray(d(alike))[0], np.asarray(d(varied))[0], atol=1e-6)
    logs = model.train_step(*model.batches(small_mnist, 8, 0).next())
    assert all(np.isfinite(v) for v in logs.values())


def test_the_separate_classifier_learns_from_real_digits_only(small_mnist):
    model = Acgan(AcganConfig(head="classifier", precision="float32"))
    images, labels = model.batches(small_mnist, 8, 0).next()
    before = weights(model, "classifier")
    only_c = make_runner(
        model.networks, model.optimizers, lambda ctx, x, y: ctx.update("classifier", model._classifier_loss, x, y)
    )
    logs = to_floats(only_c.step(images, labels.astype(np.int32)))
    assert not unchanged(before, model, "classifier") and 0 <= logs["d_class_acc"] <= 1
    # the generator's class loss is the classifier's reading of its images: other classifier weights, other loss
    g_inputs, g_labels = model.random_inputs(8)
    g_loss = make_runner(model.networks, model.optimizers, lambda ctx, x, y: model._g_loss(ctx, x, y)[1])
    first = to_floats(g_loss.step(g_inputs, g_labels))
    for variable in model.networks["classifier"].trainable_variables:
        variable.assign(variable.numpy() * 3.0)
    second = to_floats(g_loss.step(g_inputs, g_labels))
    assert second["g_adv"] == pytest.approx(first["g_adv"]) and second["g_label"] != pytest.approx(first["g_label"])


@pytest.mark.parametrize(
    "family, config",
    [("cgan", []), ("acgan", ["--config", "head=classifier"]), ("acgan", ["--config", "head=fake-class"])],
)
def test_cli_train_resume_sample_and_evaluate(tmp_path, capsys, family, config):
    out = tmp_path / family
    assert main(["train", family, "--steps", "2", "--out", str(out), *config, *TRAIN]) == 0
    assert main(["train", family, "--steps", "4", "--out", str(out), "--resume", *TRAIN]) == 0
    assert "4" in (out / "history.csv").read_text().splitlines()[-1].split(",")[0]
    assert main(["sample", str(out), "--n", "5", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["images"].shape == (5, 28, 28) and f["labels"].shape == (5,) and f["labels"].max() < 10
    assert main(["generate", str(out), "--digit", "3", "--sweep", "z", "-o", str(tmp_path / "z.png")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "100"]) == 0
    table = capsys.readouterr().out
    assert "label accuracy" in table and "by digit" in table


def test_a_bad_head_is_one_line_and_creates_no_run(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["train", "acgan", "--steps", "1", "--out", str(out), "--config", "head=softmax", *TRAIN]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "aux, fake-class, classifier" in err[0]
    assert not out.exists()


def test_the_generator_average_is_what_is_sampled_exported_and_resumed(tmp_path, small_mnist):
    """generator_ema = m: after two steps the average is m·w1 + (1 − m)·w2 (Keras's use_ema starts from w1);
    samples, exports and the explorer's snapshots use it, the live weights keep training, and a resume
    continues the same average."""
    from trainers.data import BatchSampler
    from trainers.run import RunDir, export_model, load_model

    model = Acgan(AcganConfig(head="fake-class", generator_ema=0.9, precision="float32"))
    batches = BatchSampler(small_mnist, 8, seed=0)
    latents = {"digit": np.arange(10), "z": np.zeros(10)}
    untrained = model.generate(latents)
    assert np.array_equal(untrained, model.generate(latents))  # no step yet: the copy holds the live weights
    model.train_step(*batches.next())
    w1 = weights(model, "generator")
    model.train_step(*batches.next())
    w2 = weights(model, "generator")
    exported = model.state(generators_only=True)
    trainable = model.networks["generator"].trainable_variables
    positions = [next(i for i, w in enumerate(model.networks["generator"].weights) if w is v) for v in trainable]
    for i, a, b in zip(positions, w1, w2):
        np.testing.assert_allclose(exported[f"generator/{i}"], 0.9 * a + 0.1 * b, rtol=1e-5, atol=1e-7)
    assert not all(np.array_equal(exported[f"generator/{i}"], b) for i, b in zip(positions, w2))
    assert all(np.array_equal(a, b) for a, b in zip(weights(model, "generator"), w2))  # live weights untouched

    averaged_images = model.generate(latents)
    export_model(model, tmp_path / "exported")  # generator only: it holds the average
    assert np.allclose(load_model(tmp_path / "exported").generate(latents), averaged_images, atol=1e-6)

    out = tmp_path / "run"
    argv = ["train", "acgan", "--config", "generator_ema=0.99", "--config", "head=fake-class", *TRAIN]
    assert main([*argv, "--steps", "2", "--out", str(out)]) == 0
    resumed = load_model(out)  # the full checkpoint: the average comes back with the optimizer's slots
    saved = RunDir(out)
    assert resumed.optimizers["generator"].use_ema and int(resumed.optimizers["generator"].iterations) == 2
    assert main([*argv, "--steps", "3", "--out", str(saved.path), "--resume"]) == 0
    assert int(load_model(out).optimizers["generator"].iterations) == 3
