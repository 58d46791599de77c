"""DCGAN through the family seam: both architectures, real steps on padded MNIST, CLI and explorer."""

import numpy as np
import pytest
from cli_args import quick_train_args

from trainers.cli import main
from trainers.data import BatchSampler
from trainers.families.dcgan import MNIST_PAD, Dcgan, DcganConfig, PaddedBatches
from trainers.runner import make_runner, to_floats

TRAIN = quick_train_args()


@pytest.fixture(scope="module", params=["dcgan32", "keras-cifar10"])
def model(request):
    return Dcgan(DcganConfig(architecture=request.param, precision="float32"))


def weights(model, name):
    return [v.numpy().copy() for v in model.networks[name].trainable_variables]


def test_images_are_32x32_in_0_1_and_unconditional(model):
    images = model.generate({"z": np.linspace(-1, 1, 5), "seed": 2})
    assert images.shape == (5, 32, 32) and 0 <= images.min() and images.max() <= 1
    assert model.class_control is None and [c.name for c in model.latent_spec.traversed] == ["z"]
    assert model.preview().shape == (10 * 34 + 2, 10 * 34 + 2)  # 10 x 10 grid of 32x32 images


def test_padded_mnist_batches_and_the_judges_view(small_mnist):
    sampler = BatchSampler(small_mnist, 4, seed=1)
    expected, _ = BatchSampler(small_mnist, 4, seed=1).next()
    (batch,) = PaddedBatches(sampler).next()
    assert batch.shape == (4, 32, 32, 1) and batch.min() == -1.0 and batch.max() <= 1.0
    assert np.all(batch[:, :MNIST_PAD] == -1.0)  # the padding is background
    cropped = Dcgan.judge_view(None, (batch[..., 0] + 1) / 2)
    assert np.allclose(cropped, expected[..., 0], atol=1e-6)


def test_each_update_changes_only_its_own_network(model, small_mnist):
    (real,) = model.batches(small_mnist, 8, 0).next()
    z = model.latent_spec["z"].sample(np.random.default_rng(0), 8)
    only_d = make_runner(
        model.networks,
        model.optimizers,
        lambda ctx, r, d_z: ctx.update("discriminator", model._d_loss, r, ctx.call("generator", d_z)),
    )
    g_before, d_before = weights(model, "generator"), weights(model, "discriminator")
    logs = to_floats(only_d.step(real, z))
    assert all(np.array_equal(a, b) for a, b in zip(g_before, weights(model, "generator")))
    assert not all(np.array_equal(a, b) for a, b in zip(d_before, weights(model, "discriminator")))
    assert 0 <= logs["d_real_acc"] <= 1 and 0 <= logs["d_fake_acc"] <= 1  # the source's two accuracies
    only_g = make_runner(model.networks, model.optimizers, lambda ctx, g_z: ctx.update("generator", model._g_loss, g_z))
    d_before = weights(model, "discriminator")
    to_floats(only_g.step(z))
    assert all(np.array_equal(a, b) for a, b in zip(d_before, weights(model, "discriminator")))


@pytest.mark.long
def test_cli_train_sample_evaluate_for_an_unconditional_family(tmp_path, capsys):
    out = tmp_path / "dc"
    assert main(["train", "dcgan", "--steps", "2", "--out", str(out), *TRAIN]) == 0
    assert (out / "grids" / "step_000000.png").is_file()
    assert "frechet_distance" in (out / "metrics.csv").read_text()
    assert main(["sample", str(out), "--n", "6", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["images"].shape == (6, 32, 32) and "labels" not in f.files and f["latent_z"].shape == (6, 100)
    assert main(["generate", str(out), "--sweep", "z", "-o", str(tmp_path / "z.png")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "200"]) == 0
    table = capsys.readouterr().out
    assert "digits drawn" in table and "label accuracy" not in table
    assert main(["train", "dcgan", "--preset", "cifar10", "--steps", "1", "--out", str(tmp_path / "c"), *TRAIN]) == 0
