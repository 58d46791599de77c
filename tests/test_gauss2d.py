"""The 2-D GAN lab: its distributions and measures, hand-written gradients, the seed axis, training, its CLI
and bad input."""

import math

import numpy as np
import pytest

from trainers.cli import main
from trainers.errors import UserFacingError
from trainers.families.gauss2d import (
    Gauss2dConfig,
    Gauss2dGan,
    Lab2D,
    TargetData,
    backward,
    forward,
    read_points_file,
    train_seeds,
)
from trainers.run import RunDir, load_model
from trainers.samples2d import Frame2D, Target2D, mode_figures, parse_points, sample_figures


# --- distributions and measures -------------------------------------------------------------------
def test_the_benchmarks_modes_sit_where_the_papers_put_them():
    ring = Target2D("ring8", 0.02, 2.0).centres
    assert ring.shape == (8, 2) and np.allclose(np.linalg.norm(ring, axis=1), 2.0)
    grid = Target2D("grid25", 0.05, 2.0).centres
    assert grid.shape == (25, 2) and set(np.round(grid[:, 0], 6)) == {-4.0, -2.0, 0.0, 2.0, 4.0}


@pytest.mark.parametrize("shape", ["ring8", "grid25", "two-clusters"])
def test_real_samples_score_as_real_and_one_mode_scores_as_collapse(shape):
    target = Target2D(shape, 0.05, 2.0)
    real = target.sample(np.random.default_rng(5), 2500)
    figures = sample_figures(real, target)
    assert figures["modes"] == target.modes
    # within 3σ of a 2-D Gaussian's centre: 1 - exp(-4.5) = 98.9% of its samples
    assert figures["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    width = target.box[1] - target.box[0]
    assert figures["reverse_kl"] < 0.02 and figures["js"] < 0.05 and figures["sliced_w1"] < 0.015 * width
    collapsed = target.centres[0] + np.random.default_rng(6).normal(0, 0.05, (2500, 2))
    bad = sample_figures(collapsed, target)
    assert bad["modes"] == 1 and bad["reverse_kl"] == pytest.approx(math.log(target.modes), rel=1e-6)
    assert bad["js"] > 0.15 and bad["sliced_w1"] > figures["sliced_w1"] * 5


def test_samples_far_from_every_mode_are_not_high_quality_and_capture_nothing():
    target = Target2D("ring8", 0.02, 2.0)
    figures = mode_figures(np.zeros((100, 2)), target)  # the ring's centre: 2 away from every mode
    assert figures == {"modes": 0.0, "high_quality": 0.0, "reverse_kl": float("inf")}


def test_curves_have_no_modes_but_are_measured_by_divergences():
    for shape in ("line", "ring", "three-lines"):
        target = Target2D(shape, 0.05, 1.0)
        real = target.sample(np.random.default_rng(1), 2500)
        figures = sample_figures(real, target)
        assert "modes" not in figures and figures["js"] < 0.1 and figures["sliced_w1"] < 0.05
    ring = Target2D("ring", 0.01, 1.0).sample(np.random.default_rng(2), 1000)
    # GAN Lab's ellipse: centre (0.5, 0.45), radii (0.3, 0.25) in the unit square, here [-1, 1]²
    on_ellipse = np.hypot(ring[:, 0] / 0.6, (ring[:, 1] + 0.1) / 0.5)
    assert np.allclose(on_ellipse, 1.0, atol=0.08)


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda: Target2D("ring8", 0.0, 2.0), "sigma must be a number > 0"),
        (lambda: Target2D("ring8", -1.0, 2.0), "sigma must be a number > 0"),
        (lambda: Target2D("ring8", 0.02, 0.0), "size must be a number > 0"),
        (lambda: Target2D("moon", 0.02, 2.0), "Unknown 2-D distribution 'moon'"),
        (lambda: Target2D("drawn", 0.02, 2.0, ()), "no points"),
        (lambda: Target2D("drawn", 0.02, 2.0, ((0.0, float("nan")),)), "NaN"),
        (lambda: parse_points("1 2; 3"), "Drawn point 2 reads '3'"),
        (lambda: Gauss2dConfig(distribution="drawn", drawn_points="").target, "no points"),
    ],
)
def test_bad_distributions_get_one_line(make, fragment):
    with pytest.raises(UserFacingError, match=fragment) as err:
        make()
    assert "\n" not in str(err.value)


def test_points_files_are_read_without_executing_anything(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("# x, y\n0, 1\n1.5, -2\n")
    assert read_points_file(csv) == ((0.0, 1.0), (1.5, -2.0))
    np.save(tmp_path / "p.npy", np.array([[0.0, 1.0], [2.0, 3.0]]))
    assert read_points_file(tmp_path / "p.npy") == ((0.0, 1.0), (2.0, 3.0))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "empty.csv").write_text("# nothing\n")
    (tmp_path / "three.csv").write_text("1, 2, 3\n")
    for name, fragment in [
        ("obj.npy", "not a list of 2-D points"),
        ("empty.csv", "holds no points"),
        ("three.csv", "must be \\(N, 2\\)"),
        ("missing.csv", "no such file"),
    ]:
        with pytest.raises(UserFacingError, match=fragment) as err:
            read_points_file(tmp_path / name)
        assert "\n" not in str(err.value)


# --- the networks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "leaky-relu", "tanh"])
def test_backward_matches_finite_differences(activation):
    cfg = Gauss2dConfig(g_units=5, d_units=6, activation=activation, packing=2, seed=3)
    lab = Lab2D(cfg, (3, 4))
    params = {k: v.astype(np.float64) for k, v in lab.params.items()}
    x = np.random.default_rng(0).normal(size=(2, 3, 4))  # two seeds, three packed inputs of 2 x 2 values

    def loss(p, x=x):
        return float((forward(p, "discriminator", 3, x, activation)[0] ** 2).sum() / 2)

    out, cache = forward(params, "discriminator", 3, x, activation)
    grads = {}
    d_x = backward(params, "discriminator", cache, out, activation, grads)
    eps = 1e-6
    for name in [k for k in params if k.startswith("discriminator/")]:
        for index in [(0,) + (0,) * (params[name].ndim - 1), (1,) + tuple(s - 1 for s in params[name].shape[1:])]:
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] += eps
            assert grads[name][index] == pytest.approx((loss(shifted) - loss(params)) / eps, rel=1e-4, abs=1e-7)
    moved = x.copy()
    moved[1, 2, 3] += eps
    assert d_x[1, 2, 3] == pytest.approx((loss(params, moved) - loss(params)) / eps, rel=1e-4, abs=1e-7)


def test_the_seed_axis_trains_each_seed_exactly_as_alone():
    cfg = Gauss2dConfig(g_units=16, d_units=16)
    together = train_seeds(cfg, (0, 1), steps=20, batch=32)
    alone = train_seeds(cfg, (1,), steps=20, batch=32)
    assert together[1]["sliced_w1"] == alone[0]["sliced_w1"] and together[0]["js"] != together[1]["js"]


def test_the_steps_change_only_their_own_network():
    lab = Lab2D(Gauss2dConfig(g_units=8, d_units=8), (0,))
    before = {k: v.copy() for k, v in lab.params.items()}
    real = np.random.default_rng(0).normal(size=(1, 16, 2)).astype(np.float32)
    lab.d_update(real)
    assert all(np.array_equal(before[k], lab.params[k]) for k in before if k.startswith("generator/"))
    assert any(not np.array_equal(before[k], lab.params[k]) for k in before if k.startswith("discriminator/"))
    after_d = {k: v.copy() for k, v in lab.params.items()}
    lab.g_update(16)
    assert all(np.array_equal(after_d[k], lab.params[k]) for k in before if k.startswith("discriminator/"))
    assert any(not np.array_equal(after_d[k], lab.params[k]) for k in before if k.startswith("generator/"))


def test_an_unrolled_step_leaves_d_where_its_own_update_put_it():
    cfg = Gauss2dConfig(g_units=8, d_units=8, unrolled=3)
    real = np.random.default_rng(0).normal(size=(1, 16, 2)).astype(np.float32)
    unrolled, plain = Lab2D(cfg, (0,)), Lab2D(Gauss2dConfig(g_units=8, d_units=8), (0,))
    unrolled.step(real)
    plain.d_only(real)
    for k in unrolled.params:
        if k.startswith("discriminator/"):
            assert np.array_equal(unrolled.params[k], plain.params[k])
    assert unrolled.optimizers["discriminator"].step == 1


def test_the_lab_learns_two_clusters_in_seconds():
    cfg = Gauss2dConfig(distribution="two-clusters", sigma=0.1, size=2.0, g_units=32, d_units=32)
    (run,) = train_seeds(cfg, (0,), steps=600, batch=64)
    assert run["modes"] == 2 and run["high_quality"] > 0.5 and run["diverged_at"] is None


# --- the family through the seam ------------------------------------------------------------------------
def test_frames_hold_what_the_view_draws():
    model = Gauss2dGan(Gauss2dConfig(packing=2))
    frame = model.preview()
    assert isinstance(frame, Frame2D) and frame.step == 0 and frame.modes == 8
    assert frame.real.shape == frame.fake.shape == frame.gradients.shape == (840, 2)
    assert frame.decision.shape == (48, 48) and 0 <= frame.decision.min() <= frame.decision.max() <= 1
    assert frame.noise_grid.shape == (22, 41, 2) and "packing" in frame.decision_note
    picture = frame.picture()
    assert picture.dtype == np.uint8 and picture.shape[2] == 3
    point = model.generate({"z1": 0.5, "z2": -1.0})
    assert point.shape == (1, 2)


def test_a_checkpoint_restores_the_networks_and_the_optimizers():
    model = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8))
    batches = model.batches(TargetData(model.target), 32, 0)
    for _ in range(5):
        model.train_step(*batches.next())
    copy = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8, seed=9))
    copy.load_state(model.state())
    assert copy.steps_done == 5 and copy.lab.optimizers["generator"].step == 5
    z = {"z1": np.linspace(-1, 1, 5), "z2": np.zeros(5)}
    assert np.array_equal(copy.generate_arrays(z), model.generate_arrays(z))
    sampler = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8))
    sampler.load_state(model.state(generators_only=True), generators_only=True)
    frame = sampler.preview()
    assert frame.decision is None and frame.gradients is None and "no D(x)" in frame.decision_note


def test_cli_train_evaluate_generate_resume(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "lab"
    args = ["train", "gauss2d", "--steps", "40", "--out", str(out), "--config", "g_units=16", "--config", "d_units=16"]
    assert main(args) == 0
    assert RunDir(out).read_info().step == 40
    assert "modes" in (out / "history.csv").read_text() or "d_loss" in (out / "history.csv").read_text()
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "2500"]) == 0
    text = capsys.readouterr().out
    assert "modes captured" in text and "high-quality samples" in text and "8 Gaussians on a ring" in text
    assert main(["generate", str(out), "-o", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (480, 514)
    assert main(["sample", str(out), "--n", "30", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["samples"].shape == (30, 2) and f["latent_z1"].shape == (30,)
    assert main(["train", "gauss2d", "--steps", "60", "--out", str(out), "--resume"]) == 0
    assert RunDir(out).read_info().step == 60 and load_model(out).steps_done == 60


def test_a_drawn_distribution_from_a_file_trains_and_is_measured(tmp_path, capsys):
    points = tmp_path / "drawn.csv"
    points.write_text("-1, 0\n1, 0\n0, 1.5\n")
    out = tmp_path / "drawn"
    assert main(["train", "gauss2d", "--steps", "30", "--out", str(out), "--data", str(points),
                 "--config", "sigma=0.1", "--config", "g_units=16", "--config", "d_units=16"]) == 0  # fmt: skip
    info = RunDir(out).read_info()
    assert info.config["distribution"] == "drawn" and info.config["drawn_points"].count(";") == 2
    model = load_model(out)
    assert model.target.modes == 3 and model.preview().modes == 3
    capsys.readouterr()
    assert main(["evaluate", str(out), "--n", "500"]) == 0
    assert "3 drawn points" in capsys.readouterr().out


@pytest.mark.parametrize(
    "config, fragment",
    [
        (["sigma=0"], "sigma must be within"),
        (["packing=3"], "multiple of 3"),
        (["distribution=moon"], "distribution must be one of"),
    ],
)
def test_bad_settings_stop_the_cli_with_one_line(tmp_path, capsys, config, fragment):
    assert main(["train", "gauss2d", "--steps", "5", "--out", str(tmp_path / "x"), "--config", *config]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after a progress bar where the loop had begun
    assert last.startswith("gan-explorer: ") and fragment in last


# --- step D / step G and slow motion, through the loop --------------------------------------------------
def _paused_trainer(tmp_path, steps=3, **loop):
    from trainers.loop import LoopSettings, TrainControl, Trainer
    from trainers.run import RunInfo

    model = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8))
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("gauss2d", model.config_dict(), batch_size=16))
    trainer = Trainer(model, TargetData(model.target), run, LoopSettings(steps=steps, batch_size=16, **loop))
    return model, trainer, TrainControl()


@pytest.mark.parametrize("part, other", [("discriminator", "generator"), ("generator", "discriminator")])
def test_a_part_step_updates_that_network_alone_and_counts_no_step(tmp_path, part, other):
    import threading

    from trainers.updates import Notice, SampleSnapshot

    model, trainer, control = _paused_trainer(tmp_path)
    control.pause()
    updates = []
    thread = threading.Thread(target=trainer.run_loop, args=(updates.append, control))
    thread.start()
    before = {k: v.copy() for k, v in model.params.items()}
    control.request_part_step(part)

    def shown() -> bool:  # the notice of the update, then the frame that shows it
        at = [i for i, u in enumerate(updates) if isinstance(u, Notice) and u.text.startswith("Updated")]
        return bool(at) and any(isinstance(u, SampleSnapshot) for u in updates[at[0] :])

    while thread.is_alive() and not shown():
        thread.join(0.02)
    changed = {k.split("/")[0] for k in before if not np.array_equal(before[k], model.params[k])}
    assert changed == {part} and trainer.step == 0
    at = next(i for i, u in enumerate(updates) if isinstance(u, Notice) and u.text.startswith("Updated"))
    assert updates[at].text.startswith(f"Updated the {part} alone") and isinstance(updates[at + 1], SampleSnapshot)
    control.stop()
    thread.join(30)
    assert not thread.is_alive() and other not in changed


def test_what_a_pause_changed_in_a_resumed_run_is_kept_when_it_stops(tmp_path):
    import threading

    from trainers.updates import Notice

    model, trainer, control = _paused_trainer(tmp_path, steps=2)
    trainer.run_loop(lambda u: None, control)  # a run with its checkpoint at step 2
    trainer.settings.steps = 10
    control.pause()
    updates = []
    thread = threading.Thread(target=trainer.run_loop, args=(updates.append, control), kwargs={"start_step": 2})
    thread.start()  # resumed at step 2 and paused: no step is trained before the stop
    control.change_settings({"d_learning_rate": 1e-4})
    control.request_part_step("discriminator")
    while thread.is_alive() and not any(isinstance(u, Notice) and u.text.startswith("Updated") for u in updates):
        thread.join(0.02)
    control.stop()
    thread.join(30)
    kept = trainer.run.load_checkpoint(Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8)))
    saved = np.load(trainer.run.checkpoint_path)
    assert kept == 2 and np.array_equal(saved["discriminator/0/w"], model.params["discriminator/0/w"][0])
    assert trainer.run.read_info().changes == [{"step": 2, "d_learning_rate": 1e-4}]


def test_slow_motion_shows_every_step(tmp_path):
    from trainers.updates import SampleSnapshot

    _, trainer, control = _paused_trainer(tmp_path, steps=4, grid_every=0)
    control.resume()
    control.set_pace(1000.0)  # 1 ms between steps: every step is its own snapshot
    updates = []
    trainer.run_loop(updates.append, control)
    assert [u.step for u in updates if isinstance(u, SampleSnapshot)] == [0, 1, 2, 3, 4]


def test_the_networks_see_the_grid_at_the_rings_scale():
    grid = Lab2D(Gauss2dConfig(distribution="grid25", sigma=0.05, size=2.0), (0,))
    ring = Lab2D(Gauss2dConfig(distribution="ring8", sigma=0.01, size=1.0), (0,))
    assert 4.0 < grid.scale < 4.3 and 1.0 < ring.scale < 1.1
    z = grid.noise(8)
    assert np.allclose(grid.sample(z), grid.generator(z)[0] * grid.scale)


def test_a_diverging_run_stops_with_one_line_and_keeps_its_last_checkpoint(tmp_path, capsys, monkeypatch):
    real_step, calls = Lab2D.step, {"n": 0}

    def diverging(self, real):  # the real step, then the NaN a diverging run produces
        calls["n"] += 1
        figures = real_step(self, real)
        return {**figures, "d_loss": figures["d_loss"] * np.nan} if calls["n"] == 30 else figures

    monkeypatch.setattr(Lab2D, "step", diverging)
    out = tmp_path / "run"
    args = ["train", "gauss2d", "--steps", "50", "--out", str(out), "--checkpoint-every", "20"]
    assert main([*args, "--config", "g_units=8", "--config", "d_units=8"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("gan-explorer: ") and "step 30" in last
    assert RunDir(out).read_info().step == 20 and load_model(out).steps_done == 20


def test_cli_compare_prints_every_cure_on_both_benchmarks_beside_the_papers(tmp_path, capsys):
    import json

    assert main(["compare", "gauss2d", "--seeds", "2", "--steps", "20", "--workers", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    cells = {(c["benchmark"], c["cure"]): c for c in result["cells"]}
    assert len(cells) == 18 and all(c["runs"] == 2 for c in cells.values())
    assert [r["seed"] for r in result["runs"][:2]] == [0, 1]
    assert main(["compare", "gauss2d", "--seeds", "1", "--steps", "10", "--workers", "1"]) == 0
    text = capsys.readouterr().out
    for line in ("8 Gaussians on a ring of radius 1, σ 0.01", "a 5×5 grid of Gaussians 2 apart, σ 0.05"):
        assert line in text
    for cure in ("2 D steps, batch 128", "PacGAN4", "unrolled 5", "WGAN-GP, 2 D steps", "minibatch 5×3"):
        assert cure in text
    assert "VEEGAN (Srivastava et al., NeurIPS 2017), Table 1" in text and "GAN 6.3 modes, 98.2%, KL 0.45" in text


@pytest.mark.parametrize("name, modes", [("gauss2d-ring8", 8), ("gauss2d-grid25", 25)])
def test_the_shipped_benchmark_models_measure_as_their_cards_say(name, modes):
    import json

    from trainers.paths import SHIPPED_MODELS

    folder = SHIPPED_MODELS / name
    card = json.loads((folder / "card.json").read_text())
    result = load_model(folder).evaluate(card["samples"])
    assert result["modes"] == card["modes"] == modes and result["meets_goal"]
    assert result["high_quality"] == pytest.approx(card["high_quality"]) and result["high_quality"] >= 0.9


def test_every_shipped_model_has_its_own_title():
    from explorer.main_window import MainWindow

    titles = [title for title, _ in MainWindow.shipped_models()]
    assert len(titles) == len(set(titles)) and "2-D GAN lab (gauss2d-grid25)" in titles


def test_live_settings_change_between_steps_and_are_kept_for_a_resume(tmp_path):
    import threading

    from trainers.updates import Notice

    model, trainer, control = _paused_trainer(tmp_path, steps=2)
    control.pause()
    updates = []
    thread = threading.Thread(target=trainer.run_loop, args=(updates.append, control))
    thread.start()
    control.change_settings({"d_steps": 3, "d_learning_rate": 1e-4})
    control.change_settings({"g_units": 4})  # the networks' shape cannot change mid-run
    control.resume()
    thread.join(60)
    assert not thread.is_alive()
    notices = [u.text for u in updates if isinstance(u, Notice)]
    assert any(n.startswith("Setting not changed: g_units cannot change while the run trains") for n in notices)
    assert model.config.d_steps == 3 and model.lab.optimizers["discriminator"].rate == 1e-4
    assert model.config.g_units == 8
    info = trainer.run.read_info()
    assert info.config["d_steps"] == 3 and info.changes == [{"step": 0, "d_learning_rate": 1e-4, "d_steps": 3}]


def test_a_live_setting_out_of_range_is_refused_with_one_line():
    model = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8))
    with pytest.raises(UserFacingError, match="d_steps must be within") as err:
        model.apply_settings({"d_steps": 0})
    assert "\n" not in str(err.value) and model.config.d_steps == 1


def test_the_long_comparison_trains_its_recipe_with_its_own_batch_and_steps(capsys):
    import json

    from trainers.families.gauss2d import LONG, comparison_jobs

    jobs = comparison_jobs(LONG, 10, 10000, False, 64, None)
    assert {(job[4], job[5]) for job in jobs} == {(30000, 256)} and len(jobs) == 2  # 2 benchmarks x 10 seeds
    assert all(job[2].packing == 2 and job[2].d_steps == 2 and job[2].generator_average == 0.999 for job in jobs)
    assert (
        main(["compare", "gauss2d", "--preset", "long", "--seeds", "1", "--steps", "10", "--workers", "1", "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert len(result["cells"]) == 2 and {(r["steps"], r["batch"]) for r in result["runs"]} == {(10, 256)}


def test_spectral_normalisation_bounds_d_and_its_gradient_matches_finite_differences():
    from trainers.families.gauss2d import spectral_norm_gradient, spectral_normalised

    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 5, 4))
    u = rng.normal(size=(1, 4))
    for _ in range(50):  # the power iteration converges to the largest singular value
        w_sn, sigma, v = spectral_normalised(w, u)
    assert sigma.ravel()[0] == pytest.approx(np.linalg.svd(w[0], compute_uv=False)[0], rel=1e-6)
    assert np.linalg.svd(w_sn[0], compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)
    g_sn = rng.normal(size=w.shape)  # L = <g_sn, w_sn(w)>, u and v held at the converged vectors
    grad = spectral_norm_gradient(g_sn, w_sn, sigma, u.copy(), v)
    loss = lambda m: float((g_sn * m / np.einsum("si,sio,so->s", v, m, u)[:, None, None]).sum())
    eps, numeric = 1e-6, np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[idx] = eps
        numeric[idx] = (loss(w + step) - loss(w - step)) / (2 * eps)
    assert np.allclose(grad, numeric, atol=1e-6)


def test_spectral_normalisation_trains_and_drawing_frames_does_not_change_the_run():
    cfg = Gauss2dConfig(distribution="two-clusters", sigma=0.1, size=2.0, g_units=16, d_units=16, spectral_norm=True)
    (run,) = train_seeds(cfg, (0,), steps=300, batch=32)
    assert run["diverged_at"] is None and run["modes"] >= 1
    a, b = Gauss2dGan(cfg), Gauss2dGan(cfg)
    data = TargetData(a.target)
    batches_a, batches_b = a.batches(data, 32, 0), b.batches(data, 32, 0)
    for step in range(20):
        a.train_step(*batches_a.next())
        b.train_step(*batches_b.next())
        if step % 5 == 0:
            b.preview()  # D's heatmap and gradients: no power iteration
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_a_checkpoint_keeps_the_power_iterations_vectors():
    cfg = Gauss2dConfig(g_units=8, d_units=8, spectral_norm=True)
    model = Gauss2dGan(cfg)
    batches = model.batches(TargetData(model.target), 32, 0)
    for _ in range(5):
        model.train_step(*batches.next())
    copy = Gauss2dGan(Gauss2dConfig(g_units=8, d_units=8, spectral_norm=True, seed=9))
    assert not any(np.array_equal(copy.lab.sn_u[k], u) for k, u in model.lab.sn_u.items())
    copy.load_state(model.state())
    assert len(model.lab.sn_u) == 3 and all(np.array_equal(copy.lab.sn_u[k], u) for k, u in model.lab.sn_u.items())


# --- minibatch discrimination and WGAN-GP ---------------------------------------------------------------
def _numeric_gradient(loss, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of loss() over every entry of array (changed in place and put back)."""
    numeric = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        kept = array[idx]
        array[idx] = kept + eps
        up = loss()
        array[idx] = kept - eps
        numeric[idx] = (up - loss()) / (2 * eps)
        array[idx] = kept
    return numeric


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_minibatch_features_backward_matches_finite_differences(activation):
    cfg = Gauss2dConfig(d_units=6, activation=activation, packing=2, minibatch_kernels=3, minibatch_dims=2)
    lab = Lab2D(cfg, (3, 4))
    params = {k: v.astype(np.float64) for k, v in lab.params.items()}
    x = np.random.default_rng(0).normal(size=(2, 8, 4))  # two seeds, two batches of four packed inputs
    reference = np.random.default_rng(1).normal(size=(2, 5, 6))  # the projections of five other inputs

    def loss(groups=2, ref=None):
        return float((lab._d_forward(params, x, groups, ref)[0] ** 2).sum() / 2)

    out, cache = lab._d_forward(params, x, 2)
    grads: dict = {}
    d_x = lab._d_backward(params, cache, out, grads)
    assert "discriminator/minibatch/w" in grads and params["discriminator/2/w"].shape[1:] == (6 + 3, 1)
    for name in [k for k in params if k.startswith("discriminator/")]:
        assert np.allclose(grads[name], _numeric_gradient(loss, params[name]), rtol=1e-4, atol=1e-7), name
    assert np.allclose(d_x, _numeric_gradient(loss, x), rtol=1e-4, atol=1e-7)
    out, cache = lab._d_forward(params, x, 1, reference)  # the views: each input one more of the reference's
    d_x = lab._d_backward(params, cache, out, None)
    assert np.allclose(d_x, _numeric_gradient(lambda: loss(1, reference), x), rtol=1e-4, atol=1e-7)


def test_minibatch_features_tell_a_collapsed_batch_from_a_spread_one():
    from trainers.families.gauss2d import minibatch_forward

    rng = np.random.default_rng(0)
    t = rng.normal(size=(1, 4, 6))
    spread, collapsed = rng.normal(size=(1, 16, 4)), np.repeat(rng.normal(size=(1, 1, 4)), 16, axis=1)
    both = np.concatenate([spread, collapsed], 1)
    features, _ = minibatch_forward(both, t, kernels=3, groups=2)
    assert np.allclose(features[0, 16:], 1.0) and features[0, :16].max() < 0.5  # every input's batch apart


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_gradient_penalty_and_its_double_backprop_match_finite_differences(activation):
    from trainers.families.gauss2d import gradient_penalty

    cfg = Gauss2dConfig(d_units=5, d_layers=3, activation=activation, packing=2, loss="wgan-gp", gp_weight=3.0)
    params = {k: v.astype(np.float64) for k, v in Lab2D(cfg, (3, 4)).params.items()}
    x = np.random.default_rng(0).normal(size=(2, 6, 4))
    names = [k for k in params if k.startswith("discriminator/")]

    def penalty(grads=None):
        return gradient_penalty(params, x, cfg, grads or {k: np.zeros_like(params[k]) for k in names})

    grads = {k: np.zeros_like(params[k]) for k in names}
    value = penalty(grads)
    assert value.shape == (2,) and (value > 0).all()
    for name in names:
        assert np.allclose(grads[name], _numeric_gradient(lambda: penalty().sum(), params[name]), rtol=1e-4, atol=1e-7)


def test_a_critic_whose_gradient_has_norm_one_pays_no_penalty():
    from trainers.families.gauss2d import gradient_penalty

    cfg = Gauss2dConfig(d_units=2, d_layers=1, activation="leaky-relu", loss="wgan-gp", gp_weight=10.0)
    params = {
        "discriminator/0/w": np.array([[[1.0, 0.0], [0.0, 0.0]]]),  # D(x) = x0 where x0 > 0, 0.2 x0 elsewhere
        "discriminator/0/b": np.zeros((1, 1, 2)),
        "discriminator/1/w": np.array([[[1.0], [0.0]]]),
        "discriminator/1/b": np.zeros((1, 1, 1)),
    }
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    right = np.array([[[0.5, 1.0], [2.0, -1.0]]])
    assert gradient_penalty(params, right, cfg, grads)[0] == pytest.approx(0.0)
    left = -right  # a slope of 0.2: (1 − 0.2)² per input, times λ = 10
    assert gradient_penalty(params, left, cfg, grads)[0] == pytest.approx(10 * 0.8**2)


@pytest.mark.parametrize(
    "cure, note",
    [({"loss": "wgan-gp"}, "critic's score"), ({"minibatch_kernels": 4, "packing": 2}, "one more of 64")],
)
def test_the_new_cures_train_checkpoint_and_draw(cure, note):
    cfg = Gauss2dConfig(g_units=16, d_units=16, **cure)
    model = Gauss2dGan(cfg)
    batches = model.batches(TargetData(model.target), 32, 0)
    losses = [model.train_step(*batches.next()) for _ in range(30)]
    assert all(np.isfinite(v) for step in losses for v in step.values())
    frame = model.preview()
    assert 0.0 <= frame.decision.min() and frame.decision.max() <= 1.0 and np.isfinite(frame.gradients).all()
    assert note in frame.decision_note
    copy = Gauss2dGan(cfg)  # untrained: a different picture until it loads the run's state
    assert not np.array_equal(copy.preview().decision, frame.decision)
    copy.load_state(model.state())
    assert np.array_equal(copy.preview().decision, frame.decision)


def test_the_loss_plots_reference_lines_follow_the_loss():
    assert Gauss2dGan.loss_reference({}) == {"d_loss": 2 * math.log(2), "g_loss": math.log(2)}
    assert Gauss2dGan.loss_reference({"loss": "least-squares"}) == {"d_loss": 0.25, "g_loss": 0.125}
    assert Gauss2dGan.loss_reference({"loss": "wgan-gp"}) == {}


def test_wgan_gp_with_minibatch_features_and_a_batch_too_small_are_refused_in_one_line():
    with pytest.raises(UserFacingError, match="turn one of them off") as err:
        Gauss2dGan(Gauss2dConfig(loss="wgan-gp", minibatch_kernels=5))
    assert "\n" not in str(err.value)
    model = Gauss2dGan(Gauss2dConfig(minibatch_kernels=5, packing=2))
    with pytest.raises(UserFacingError, match="batch of at least 4"):
        model.batches(TargetData(model.target), 2, 0)
    with pytest.raises(UserFacingError, match="turn one of them off"):
        model.apply_settings({"loss": "wgan-gp"})
    assert model.config.loss == "standard"


def test_the_comparisons_progress_moves_while_its_jobs_train():
    from trainers.families.gauss2d import CURES, compare_cures, comparison_jobs

    cures = {name: CURES[name] for name in ("GAN", "PacGAN2")}
    jobs = comparison_jobs(cures, 2, 600, True, 32, {"g_units": 8, "d_units": 8})
    heard: list[float] = []
    runs = compare_cures(jobs, 2, heard.append)
    assert len(runs) == 8 and sum(heard) == pytest.approx(8)
    assert len(heard) == 3 * len(jobs)  # at 250 and 500 steps and the last 100: not only when a job ends
