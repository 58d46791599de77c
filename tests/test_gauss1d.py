"""The 1-D Gaussian GAN lab: hand-written gradients, the source's preset, convergence, its CLI and bad input."""

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from trainers.cli import main
from trainers.errors import UserFacingError
from trainers.families.gauss1d import (
    Gauss1dConfig,
    Gauss1dGan,
    TargetData,
    _comparison_run,
    discriminator_backward,
    discriminator_forward,
    generator_backward,
    generator_forward,
    init_params,
    source_preset,
)
from trainers.run import RunDir, load_model
from trainers.samples1d import Frame1D, Target, js_divergence, wasserstein1


def numeric_gradient(loss, params, name, index, eps=1e-6):
    shifted = {k: v.copy() for k, v in params.items()}
    shifted[name][index] += eps
    return (loss(shifted) - loss(params)) / eps


@pytest.mark.parametrize("minibatch", [True, False])
def test_discriminator_gradients_match_finite_differences(minibatch):
    cfg = Gauss1dConfig(minibatch=minibatch)
    rng = np.random.default_rng(0)
    params = {k: v.astype(np.float64) for k, v in init_params(cfg, rng).items()}
    x = rng.normal(size=(6, 1))

    def loss(p):
        return float((discriminator_forward(p, x, cfg)[0] ** 2).sum() / 2)

    logits, cache = discriminator_forward(params, x, cfg)
    grads = {}
    d_x = discriminator_backward(params, cache, logits, cfg, grads)
    for name in [k for k in params if k.startswith("discriminator/")]:
        for index in list(np.ndindex(params[name].shape))[:3]:
            assert grads[name][index] == pytest.approx(numeric_gradient(loss, params, name, index), rel=1e-3, abs=1e-6)
    moved = x.copy()
    moved[2, 0] += 1e-6
    expected = (float((discriminator_forward(params, moved, cfg)[0] ** 2).sum() / 2) - loss(params)) / 1e-6
    assert d_x[2, 0] == pytest.approx(expected, rel=1e-3, abs=1e-6)


def test_generator_gradients_match_finite_differences():
    cfg = Gauss1dConfig()
    rng = np.random.default_rng(1)
    params = {k: v.astype(np.float64) for k, v in init_params(cfg, rng).items()}
    z = rng.normal(size=(5, 1))

    def loss(p):
        return float((generator_forward(p, z)[0] ** 2).sum() / 2)

    out, cache = generator_forward(params, z)
    grads = {}
    generator_backward(params, cache, out, grads)
    for name in [k for k in params if k.startswith("generator/")]:
        index = next(np.ndindex(params[name].shape))
        assert grads[name][index] == pytest.approx(numeric_gradient(loss, params, name, index), rel=1e-3, abs=1e-6)


def test_real_and_fake_in_one_pass_equal_two_passes():
    cfg = Gauss1dConfig()
    rng = np.random.default_rng(2)
    params = init_params(cfg, rng)
    a, b = rng.normal(size=(2, 7, 1)).astype(np.float32)
    logits, cache = discriminator_forward(params, np.stack([a, b]), cfg)
    together = {}
    discriminator_backward(params, cache, logits, cfg, together)
    apart = {}
    for x in (a, b):
        single, single_cache = discriminator_forward(params, x, cfg)
        discriminator_backward(params, single_cache, single, cfg, apart)
    assert all(np.allclose(together[k], apart[k], atol=1e-5) for k in apart)  # minibatch features stay per batch


def test_the_minibatch_switch_is_a_real_switch():
    with_mb, without = Gauss1dGan(Gauss1dConfig(minibatch=True)), Gauss1dGan(Gauss1dConfig(minibatch=False))
    assert "discriminator/minibatch/w" in with_mb.params and "discriminator/d2/w" not in with_mb.params
    assert "discriminator/d2/w" in without.params and "discriminator/minibatch/w" not in without.params
    assert with_mb.params["discriminator/minibatch/w"].shape == (8, 5 * 3)  # 5 kernels x 3 dims on tanh 8


def test_the_source_preset_is_the_source():
    for minibatch, rate in ((True, 0.005), (False, 0.03)):
        cfg = source_preset(minibatch)
        assert (cfg.optimizer, cfg.learning_rate, cfg.decay, cfg.decay_steps) == ("sgd", rate, 0.95, 150)
        assert (cfg.noise, cfg.noise_range, cfg.init, cfg.hidden) == ("uniform", 8.0, "source", 4)
        assert (cfg.pretrain, cfg.pretrain_steps, cfg.stable_loss, cfg.standardize) == (True, 1000, False, False)
    model = Gauss1dGan(source_preset(True))
    assert np.std(model.params["discriminator/d0/w"]) > 0.5  # N(0, 1) weights
    assert np.std(model.params["discriminator/minibatch/w"]) < 0.05  # the minibatch layer's N(0, 0.02)
    z = model.stratified_noise(12)[:, 0]
    assert z[0] >= -8 and z[-1] <= 8.01 and np.allclose(np.diff(z), 16 / 11, atol=0.011)


def test_generator_warmup_freezes_only_the_generator():
    model = Gauss1dGan(Gauss1dConfig(pretrain=False))
    batches = model.batches(TargetData(model.target), 16, 0)
    before = model.state()
    model.freeze_generators(True)
    model.train_step(*batches.next())
    after = model.state()
    for key in before:
        if key.startswith("generator/"):
            assert np.array_equal(before[key], after[key]), key
    assert not np.array_equal(before["discriminator/d0/w"], after["discriminator/d0/w"])


def test_lab_defaults_converge_with_minibatch_discrimination():
    run = _comparison_run(("lab", True, True, 3, None, 3000, 32, {}))
    assert run["meets_goal"], run
    assert abs(run["mean"] - 4.0) < 0.1 and abs(run["sigma"] / 0.5 - 1) < 0.2 and run["js"] < 0.02


def test_state_round_trip_and_exported_generator_give_identical_samples(tmp_path):
    model = Gauss1dGan(Gauss1dConfig(pretrain=False, generator_average=0.9))
    batches = model.batches(TargetData(model.target), 16, 0)
    for _ in range(20):
        model.train_step(*batches.next())
    fresh = Gauss1dGan(Gauss1dConfig(pretrain=False, generator_average=0.9, seed=4))
    fresh.load_state(model.state())
    z = {"z": np.linspace(-3, 3, 50)}
    assert np.array_equal(fresh.generate_arrays(z), model.generate_arrays(z))
    sampler = Gauss1dGan(Gauss1dConfig(pretrain=False, generator_average=0.9, seed=9))
    sampler.load_state(model.state(generators_only=True), generators_only=True)
    assert np.array_equal(sampler.generate_arrays(z), model.generate_arrays(z))  # the averaged generator
    assert sampler.preview().decision is None  # a generator alone has no D(x) to show


def test_frames_are_plain_data_with_the_decision_evaluated_in_batches():
    model = Gauss1dGan(Gauss1dConfig(pretrain=False))
    model.batches(TargetData(model.target), 12, 0)
    frame = model.preview()
    assert isinstance(frame, Frame1D)
    assert frame.decision.shape == frame.xs.shape and np.all((0 <= frame.decision) & (frame.decision <= 1))
    assert "batches of 12" in frame.decision_note
    assert frame.generated.sum() * np.diff(frame.edges)[0] == pytest.approx(1.0, abs=0.01)
    assert set(frame.figures) == {"js", "w1", "mean", "sigma"}


def test_divergences_measure_what_they_say():
    target = Target(4.0, 0.5)
    rng = np.random.default_rng(0)
    edges = np.linspace(-8, 8, 101)
    same = target.sample(rng, 10000)
    assert js_divergence(same, target, edges) < 0.01 and wasserstein1(same, target) < 0.02
    assert wasserstein1(same + 1.0, target) == pytest.approx(1.0, abs=0.03)
    assert js_divergence(same - 8.0, target, edges) == pytest.approx(math.log(2), abs=0.01)
    mixture = Target(4.0, 0.5, -2.0, 0.5, 0.3)
    assert mixture.overall_mean == pytest.approx(0.7 * 4 - 0.3 * 2)
    assert np.mean(mixture.sample(rng, 20000) < 1) == pytest.approx(0.3, abs=0.02)


@pytest.mark.parametrize(
    "fields, fragment",
    [({"sigma": 0.0}, "sigma must be > 0"), ({"weight2": 1.5}, "[0, 1]"), ({"mean": float("nan")}, "finite")],
)
def test_bad_targets_are_one_clear_line(fields, fragment):
    with pytest.raises(UserFacingError, match=None) as err:
        Target(**fields)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_comparison_table_has_every_cell(tmp_path, capsys):
    assert main(["compare", "gauss1d", "--seeds", "2", "--steps", "50", "--workers", "1"]) == 0
    table = capsys.readouterr().out
    for row in ("on        on", "on        off", "off       on", "off       off"):
        assert row in table
    assert "40 runs" not in table and "8 runs in" in table


def test_cli_train_sample_generate_evaluate_export(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "lab"
    assert main(["train", "gauss1d", "--steps", "60", "--out", str(out), "--config", "pretrain_steps=50"]) == 0
    run = RunDir(out)
    assert run.read_info().step == 60 and run.checkpoint_path.is_file()
    assert "d_loss" in (out / "history.csv").read_text().splitlines()[0]
    assert main(["sample", str(out), "--n", "30", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["samples"].shape == (30,) and f["latent_z"].shape == (30,) and "labels" not in f.files
    assert main(["generate", str(out), "-o", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (640, 360)
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "2000"]) == 0
    assert "1-Wasserstein distance" in capsys.readouterr().out
    assert main(["export", str(out), str(tmp_path / "exp")]) == 0
    z = {"z": np.linspace(-2, 2, 9)}
    assert np.array_equal(load_model(tmp_path / "exp").generate_arrays(z), load_model(out).generate_arrays(z))
    assert main(["train", "gauss1d", "--steps", "80", "--out", str(out), "--resume"]) == 0
    assert RunDir(out).read_info().step == 80


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "trainers.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--config", "target_sigma=0"], "target_sigma must be within"),
        (["--config", "target_sigma=-1"], "target_sigma must be within"),
        (["--config", "mixture_weight=1.5"], "mixture_weight must be within [0, 1]"),
        (["--config", "mixture_weight=-0.1"], "mixture_weight must be within [0, 1]"),
        (["--steps", "0"], "at least 1"),
        (["--config", "optimizer=rmsprop"], "optimizer must be one of"),
        (["--data", "bundled"], "learns from its target distribution"),
        (["--precision", "float32"], "no precision setting"),
    ],
)
def test_bad_input_is_one_line_and_creates_no_run(tmp_path, args, fragment):
    result = run_cli("train", "gauss1d", "--out", str(tmp_path / "r"), *args)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "r" / "checkpoint.npz").exists()


def test_a_diverging_run_is_one_line_and_keeps_its_checkpoint(tmp_path):
    out = tmp_path / "wild"
    result = run_cli(
        "train",
        "gauss1d",
        "--out",
        str(out),
        "--steps",
        "500",
        "--config",
        "learning_rate=10",
        "--config",
        "optimizer=sgd",
        "--config",
        "stable_loss=false",
        "--config",
        "pretrain=false",
    )
    assert result.returncode == 2 and "diverged" in result.stderr and "Traceback" not in result.stderr
    assert "RuntimeWarning" not in result.stderr  # overflow is expected here, and quiet
    model = load_model(out)  # the last good checkpoint still loads
    assert np.all(np.isfinite(model.evenly_spaced_samples(100)))


def test_a_mixture_target_trains(tmp_path):
    cfg = replace(Gauss1dConfig(), mixture_weight=0.5, mixture_mean=-2.0, pretrain=False)
    model = Gauss1dGan(cfg)
    assert "0.5·N(4, 0.5) + 0.5·N(-2, 0.5)" in TargetData(cfg.target).notice()
    batches = model.batches(TargetData(cfg.target), 32, 0)
    losses = [model.train_step(*batches.next()) for _ in range(50)]
    assert all(math.isfinite(v) for step in losses for v in step.values())


def test_the_source_preset_from_the_cli(tmp_path):
    out = tmp_path / "source"
    assert (
        main(
            [
                "train",
                "gauss1d",
                "--preset",
                "source",
                "--steps",
                "20",
                "--out",
                str(out),
                "--config",
                "pretrain_steps=10",
            ]
        )
        == 0
    )
    info = RunDir(out).read_info()
    assert info.batch_size == 12 and info.config["optimizer"] == "sgd" and info.config["learning_rate"] == 0.005
    assert info.config["pretrain_steps"] == 10  # --config changes the preset
    assert main(["train", "gauss1d", "--preset", "nope", "--out", str(tmp_path / "x")]) == 2


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_frames_export_as_an_animation(tmp_path, suffix):
    import imageio.v3 as iio

    from trainers.images import mp4_available, save_animation
    from trainers.samples1d import frame_picture

    if suffix == ".mp4" and not mp4_available():
        pytest.skip("imageio-ffmpeg is not installed")
    model = Gauss1dGan(Gauss1dConfig(pretrain=False))
    batches = model.batches(TargetData(model.target), 16, 0)
    pictures = []
    for _ in range(4):
        model.train_step(*batches.next())
        pictures.append(frame_picture(model.preview()))
    save_animation(tmp_path / f"lab{suffix}", pictures)
    frames = iio.imread(tmp_path / f"lab{suffix}", index=None)
    assert len(frames) == 4 and frames.shape[1:3] == (360, 640)
    with pytest.raises(UserFacingError, match="gif or .mp4"):
        save_animation(tmp_path / "lab.avi", pictures)
