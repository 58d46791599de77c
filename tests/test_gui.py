"""The real window driven with pytest-qt: explorer sliders, export, live training, closing."""

import gc
import importlib.util
import math
import multiprocessing
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QThread
from PySide6.QtWidgets import QApplication, QLabel
from shiboken6 import isValid

from explorer.main_window import MainWindow
from trainers.run import RunDir
from trainers.updates import StepFigures

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(runs_home=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.worker is not None:
        win.worker.control.stop()
    win.close()
    threads = win.findChildren(QThread)  # a finished training thread deletes itself meanwhile
    qtbot.waitUntil(lambda: not any(isValid(t) and t.isRunning() for t in threads), timeout=10000)
    qtbot.waitUntil(lambda: not multiprocessing.active_children(), timeout=10000)  # no training process left


def wait_for_model(qtbot, win):
    qtbot.waitUntil(lambda: win.explorer.model is not None, timeout=120000)
    qtbot.waitUntil(lambda: len(win.explorer.strip_images) == len(win.explorer.strip_panes), timeout=10000)


def test_opens_on_the_shipped_model(qtbot, window):
    # until the generator draws, the pane says what is coming (no empty black box)
    assert window.explorer.title.text() == "Opening InfoGAN — shipped model…"
    assert "as soon as TensorFlow has started" in window.explorer.main_pane.message
    wait_for_model(qtbot, window)
    assert gc.get_freeze_count() > 100_000  # TensorFlow's objects: out of the GUI thread's collections
    assert window.explorer.main_pane.message == ""
    assert window.statusBar().currentMessage() == "Opened InfoGAN (shipped model)"
    for pane in window.explorer.strip_panes.values():  # each strip as tall as its images at its width
        rows, cols = pane.image.shape[:2]
        assert pane.height() == max(pane.min_height, round(pane.width() * rows / cols))
    assert window.tabs.currentWidget() is window.explorer
    assert window.explorer.title.text() == "InfoGAN — shipped model"  # no absolute path in a new user's face
    assert window.explorer.title.toolTip().endswith("resources/models/infogan")
    assert set(window.explorer.sliders) == {"digit", "code1", "code2", "z"}
    assert window.explorer.main_pane.image.shape == (28, 28)


def test_python_collects_garbage_on_the_gui_thread_only_while_a_window_is_open(qtbot, window):
    assert not gc.isenabled()  # the window's timer collects instead (explorer/gc_policy.py)
    window.close()
    assert gc.isenabled()


def test_what_the_explorer_measures_with_is_imported_with_the_backends_and_frozen_once_per_stage(qtbot, window):
    import sys

    from explorer.gc_policy import keep_imports_out_of_collections
    from explorer.workers import MEASURING_MODULES

    qtbot.waitUntil(lambda: window.backend_ready, timeout=120000)
    assert all(module in sys.modules for module in MEASURING_MODULES)
    frozen = gc.get_freeze_count()
    keep_imports_out_of_collections("every family")  # done when the backends were ready: nothing more
    assert gc.get_freeze_count() <= frozen  # (frozen objects can still be freed)
    kept = [object() for _ in range(3)]  # tracked containers: a list
    keep_imports_out_of_collections("a stage of this test")
    assert gc.get_freeze_count() > frozen and not any(o is kept for o in gc.get_objects())


def test_every_slider_changes_the_image_and_only_the_right_strips(qtbot, window):
    wait_for_model(qtbot, window)
    ex = window.explorer
    for name, value in (("digit", 7), ("code1", 1.5), ("code2", -1.5), ("z", 0.4)):
        image = ex.main_pane.image.copy()
        strips = {k: v.image.copy() for k, v in ex.strip_panes.items()}
        with qtbot.waitSignals([ex.rendered, ex.strips_rendered], timeout=10000):
            ex.sliders[name].setValue(value)
        assert not np.array_equal(image, ex.main_pane.image), name
        independent = {name} | ({"every class"} if name == "digit" else set())  # a strip's own control
        for strip, pane in ex.strip_panes.items():
            changed = not np.array_equal(strips[strip], pane.image)
            assert changed == (strip not in independent), (name, strip)


def test_the_class_strip_and_the_interpolation_follow_the_sample_and_export_as_mp4(qtbot, window, tmp_path):
    import imageio.v3 as iio

    wait_for_model(qtbot, window)
    ex = window.explorer
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered], timeout=10000):
        ex.sliders["code1"].setValue(1.0)
    values = ex.values()
    every_class = ex.model.generate_arrays(ex.spec.class_row(values))
    assert np.allclose(np.stack(ex.strip_images["every class"]), every_class, atol=1e-5)
    interpolation = ex.strip_images["interpolation"]  # from this sample with the next seed to this one
    assert np.allclose(interpolation[-1], ex.main_pane.image, atol=1e-5)
    next_seed = ex.model.generate_arrays(ex.spec.expand({**values, "seed": values["seed"] + 1}, n=1))[0]
    assert np.allclose(interpolation[0], next_seed, atol=1e-5)
    pinned = ex.main_pane.image.copy()
    with qtbot.waitSignal(ex.strips_rendered, timeout=10000):
        ex.pin_sample()
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered], timeout=10000):
        ex.resample()
    assert np.allclose(ex.strip_images["interpolation"][0], pinned, atol=1e-5)
    assert "pinned sample" in ex.pinned_label.text()
    others = {k: v.image.copy() for k, v in ex.strip_panes.items() if k != "interpolation"}
    spherical = np.stack(ex.strip_images["interpolation"])
    with qtbot.waitSignal(ex.strips_rendered, timeout=10000):
        ex.interpolation_mode.setCurrentText("linear")
    assert not np.allclose(np.stack(ex.strip_images["interpolation"])[1:-1], spherical[1:-1])
    assert all(np.array_equal(ex.strip_panes[k].image, image) for k, image in others.items())
    ex.export_gif("interpolation", tmp_path / "walk.mp4")
    frames = iio.imread(tmp_path / "walk.mp4")
    assert len(frames) == 18 and frames.shape[1:3] == (112, 112)


def test_unchanged_value_does_not_redraw(qtbot, window):
    wait_for_model(qtbot, window)
    ex = window.explorer
    with qtbot.waitSignal(ex.rendered, timeout=5000):
        ex.sliders["code1"].setValue(0.5)
    with qtbot.assertNotEmitted(ex.rendered, wait=300):
        ex.sliders["code1"].setValue(0.5)


def test_seed_and_shortcut_helpers(qtbot, window):
    wait_for_model(qtbot, window)
    ex = window.explorer
    before = ex.main_pane.image.copy()
    with qtbot.waitSignal(ex.rendered):
        ex.resample()
    assert not np.array_equal(before, ex.main_pane.image)
    digit = ex.sliders["digit"].value()
    ex.step_digit(1)
    assert ex.sliders["digit"].value() == (digit + 1) % 10


def test_export_png_strip_and_gif(qtbot, window, tmp_path):
    from PIL import Image

    wait_for_model(qtbot, window)
    ex = window.explorer
    ex.export_image(tmp_path / "one.png")
    ex.export_strip("code2", tmp_path / "strip.png")
    ex.export_gif("code1", tmp_path / "strip.gif")
    assert Image.open(tmp_path / "one.png").size == (224, 224)
    assert Image.open(tmp_path / "strip.png").size[0] > 5 * Image.open(tmp_path / "strip.png").size[1]
    assert Image.open(tmp_path / "strip.gif").n_frames == 18


def test_each_strip_exports_from_its_own_context_menu(qtbot, window, tmp_path, monkeypatch):
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    wait_for_model(qtbot, window)
    target = tmp_path / "code2.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))  # no modal dialog offscreen
    pane = window.explorer.strip_panes["code2"]
    [gif_action] = [a for a in pane.actions() if "GIF" in a.text()]
    gif_action.trigger()
    frames = Image.open(target)
    assert frames.n_frames == 18 and "Wrote" in window.statusBar().currentMessage()


def test_a_sample_pinned_with_sliders_since_gone_still_starts_the_interpolation():
    from explorer.explorer_view import INTERPOLATION, strip_latents_by_name
    from trainers.latent import LatentSpec, NoiseControl

    spec = LatentSpec((NoiseControl("z", 4, -1.0, 1.0),))
    pinned = {"z": 0.5, "dir5": 2.0, "seed": 3}  # pinned while eight directions were shown
    path = strip_latents_by_name(spec, INTERPOLATION, {"z": 0.0, "seed": 4}, pinned, spherical=True)
    assert np.allclose(path["z"][0], spec.expand({"z": 0.5, "seed": 3})["z"][0], atol=1e-6)


@pytest.mark.parametrize("ms_per_image, chunks", [(1.0, 4), (0.5, 2), (0.05, 1)])
def test_strips_are_drawn_in_chunks_that_fit_the_measured_speed(qtbot, ms_per_image, chunks):
    """Four strips of ten: one per chunk at 1 ms an image (20 images would pass the 15 ms a new move may wait
    behind), two at 0.5 ms, all at once when images are cheap; the speed is then learnt from the chunks."""
    from explorer.explorer_view import STRIP_CHUNK_MS, Renderer, strip_latents
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import load_model

    assert STRIP_CHUNK_MS == 15.0
    model = load_model(SHIPPED_MODELS / "infogan")
    spec = model.latent_spec
    strips = {f"seed {seed}": strip_latents(spec, spec["code1"], {"seed": seed}) for seed in range(4)}
    renderer, drawn = Renderer(), []
    renderer.strips_done.connect(lambda token, images: drawn.append(sorted(images)))
    renderer._ms_per_image = ms_per_image
    renderer.latest = 1
    renderer.render(1, model, None, lambda: strips, lambda: [])
    qtbot.waitUntil(lambda: sum(map(len, drawn)) == 4, timeout=10000)
    assert len(drawn) == chunks
    assert renderer._ms_per_image != ms_per_image  # measured on the first chunk
    learnt = renderer._ms_per_image
    renderer.latest = 2
    renderer.render(2, model, None, lambda: strips, lambda: [])  # every strip cached now
    qtbot.waitUntil(lambda: sum(map(len, drawn)) == 8, timeout=10000)
    assert renderer._ms_per_image == learnt  # images taken from the cache say nothing of the speed


def test_quick_moves_leave_every_strip_current(qtbot, window):
    wait_for_model(qtbot, window)
    ex = window.explorer
    ex.sliders["digit"].setValue(4)  # makes every strip stale ...
    with qtbot.waitSignal(ex.strips_rendered, timeout=10000):
        ex.sliders["code1"].setValue(1.0)  # ... and is superseded before it renders
    expected = ex.model.generate({**ex.values(), "code1": np.linspace(-2, 2, 10)})
    assert np.allclose(np.stack(ex.strip_images["code1"]), expected, atol=1e-5)


def test_stackedgan_sliders_come_from_its_spec(qtbot, window):
    from trainers.paths import SHIPPED_MODELS

    wait_for_model(qtbot, window)
    ex = window.explorer
    infogan_form, code1 = ex.controls_form, ex.sliders["code1"]
    code1.setValue(1.5)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        assert window.open_path(SHIPPED_MODELS / "stackedgan")
        assert "InfoGAN" in window.explorer.title.text()  # read off the GUI thread: not there yet
    assert set(window.explorer.sliders) == {"digit", "z0", "z1"}
    assert window.explorer.sliders["z0"].minimum() == -4.0
    z0 = ex.sliders["z0"]
    qtbot.waitUntil(lambda: z0.isVisible() and not code1.isVisible())  # the form is shown a turn later

    def strip_captions():
        return [label.text() for label in window.explorer.strips_box.findChildren(QLabel) if label.isVisible()]

    qtbot.waitUntil(lambda: len(strip_captions()) == 4)  # the layout shows new children from the event loop
    captions = strip_captions()
    assert [c.split()[0] for c in captions] == ["z0", "z1", "this", "interpolation:"]  # none of InfoGAN's left
    assert "every digit" in captions[2]
    assert "thickness" in captions[0] and "slant" in captions[1]  # named from the shipped card

    # back to InfoGAN: its form was kept, not built again, and shows a new model's values
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        assert window.open_path(SHIPPED_MODELS / "infogan")
    assert ex.controls_form is infogan_form and ex.sliders["code1"] is code1 and code1.value() == 0
    assert "slant" in ex.controls_form.labelForField(code1).text() and ex.seed.value() == 0
    qtbot.waitUntil(lambda: code1.isVisible() and not z0.isVisible())


def test_a_model_with_the_same_sliders_reuses_them_with_its_own_captions(qtbot, window):
    from trainers.run import build_model

    wait_for_model(qtbot, window)
    ex = window.explorer
    slider = ex.sliders["code1"]
    assert "slant" in ex.controls_form.labelForField(slider).text()  # from the shipped card
    # TensorFlow runs on this thread only while the render thread is idle (its reading ahead done),
    # as in the app, where every model is built on the render thread.
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered, ex.read_ahead_done], timeout=10000):
        slider.setValue(-0.5 if slider.value() == 0.5 else 0.5)  # a change, whatever the value was
    bare = build_model("infogan", ex.model.config_dict())  # untrained: no card, no measured effects
    with qtbot.waitSignals([ex.strips_rendered, ex.read_ahead_done], timeout=10000):
        ex.set_model(bare, "bare")
    assert ex.sliders["code1"] is slider and ex.model is bare
    assert ex.controls_form.labelForField(slider).text() == "code1"
    assert ex.strip_captions["code1"].text() == "code1: -2 → 2"
    expected = bare.generate({**ex.values(), "code1": np.linspace(-2, 2, 10)})
    assert np.allclose(np.stack(ex.strip_images["code1"]), expected, atol=1e-5)  # the new model's strips


def configure_short_run(win, steps):
    t = win.training
    t.family.setCurrentIndex(0)
    t.data.setCurrentIndex(t.data.findData("bundled"))
    t.steps.setValue(steps)
    t.batch.setValue(8)
    t.grid_every.setValue(2)
    t.metrics_every.setValue(2)


@pytest.mark.long
def test_live_training_pause_resume_explore_and_finish(qtbot, window):
    wait_for_model(qtbot, window)
    configure_short_run(window, 6)
    t = window.training
    qtbot.mouseClick(t.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "d_loss" in t.losses.items and len(t.grids) >= 1, timeout=120000)
    assert t.losses.items["d_loss"][1].getData()[0] is not None
    qtbot.mouseClick(t.pause_button, Qt.MouseButton.LeftButton)
    assert window.worker.control.paused and t.pause_button.text() == "Resume"
    qtbot.mouseClick(t.explore_button, Qt.MouseButton.LeftButton)  # served while paused
    qtbot.waitUntil(lambda: "training run" in window.explorer.title.text(), timeout=30000)
    qtbot.mouseClick(t.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    assert "label_accuracy" in t.metrics.items and "frechet_distance" in t.metrics.items
    assert t.metrics.group_of("label_accuracy") != t.metrics.group_of("frechet_distance")  # one plot each
    assert t.timeline.maximum() == len(t.grids) - 1 >= 3
    t.timeline.setValue(0)
    assert "step 0" in t.timeline_label.text()  # a first grid before any step
    t.timeline.setValue(1)
    assert "step 2" in t.timeline_label.text()
    runs = list((window.runs_home).iterdir())
    assert len(runs) == 1 and RunDir(runs[0]).read_info().step == 6
    assert str(runs[0]) in window.recent_runs()


@pytest.mark.long
def test_closing_mid_training_stops_fast_and_keeps_a_checkpoint(qtbot, window):
    thread, process = _start_a_long_run(qtbot, window)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 3.0
    assert not thread.isRunning()
    _assert_it_ends_with_its_checkpoint(qtbot, process, window.runs_home)


def test_a_window_closing_before_its_training_has_finished_lets_it_finish_alone(qtbot, window, monkeypatch):
    """On a loaded machine the low-priority training process may not finish its step and checkpoint
    within the window's wait: it must not be killed (its steps lost) nor hang on messages nobody reads."""
    import explorer.main_window

    thread, process = _start_a_long_run(qtbot, window)
    monkeypatch.setattr(explorer.main_window, "CLOSE_TIMEOUT_MS", 0)  # as if the process had not finished in time
    window.close()
    assert not thread.isRunning()
    _assert_it_ends_with_its_checkpoint(qtbot, process, window.runs_home)


def _start_a_long_run(qtbot, window):
    """(its QThread, its process), once its first step is on the loss plot."""
    wait_for_model(qtbot, window)
    configure_short_run(window, 100000)
    window.training.metrics_every.setValue(0)
    window.start_training()
    qtbot.waitUntil(lambda: bool(window.training.losses.items), timeout=120000)
    return window.thread, window.worker.process


def _assert_it_ends_with_its_checkpoint(qtbot, process, runs_home):
    qtbot.waitUntil(lambda: not process.alive, timeout=60000)  # a hang's limit, not a timing
    assert process.exitcode == 0  # it ended on its own, not killed
    run = RunDir(next(runs_home.iterdir()))
    assert run.checkpoint_path.is_file() and run.read_info().step >= 1


def test_closing_while_the_training_process_starts_is_fast_and_leaves_no_process(qtbot, window):
    wait_for_model(qtbot, window)
    configure_short_run(window, 100000)
    window.start_training()
    process = window.worker.process
    qtbot.waitUntil(lambda: process.alive, timeout=10000)
    started = time.monotonic()
    window.close()  # the child is still importing TensorFlow: stopped, or killed at the deadline
    assert time.monotonic() - started < 3.0
    qtbot.waitUntil(lambda: not process.alive, timeout=2000)


@pytest.mark.long
def test_resume_a_saved_run_from_the_gui(qtbot, window):
    wait_for_model(qtbot, window)
    configure_short_run(window, 2)
    window.training.metrics_every.setValue(0)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    run_dir = next(window.runs_home.iterdir())
    window.training.steps.setValue(4)
    window.resume_training(run_dir)
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    assert RunDir(run_dir).read_info().step == 4


@pytest.mark.long
def test_fine_tune_the_open_model_keeps_its_generator_and_settings(qtbot, window):
    wait_for_model(qtbot, window)
    configure_short_run(window, 2)
    t = window.training
    t.metrics_every.setValue(0)
    t.family.setCurrentIndex(t.family.findData("stackedgan"))
    assert t.start_from.count() == 2  # the shipped InfoGAN is offered
    assert not t.warmup.isEnabled() and t.warmup_steps() == 0  # a new run has no warm-up
    t.start_from.setCurrentIndex(1)
    assert t.family_name == "infogan" and not t.family.isEnabled()
    assert t.warmup.isEnabled() and t.warmup.value() == 600
    t.warmup.setValue(1)
    phases = []
    window.start_training()
    window.training_batch.connect(
        lambda batch: phases.extend(m.generators_frozen for m in batch if isinstance(m, StepFigures))
    )
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    info = RunDir(next(window.runs_home.iterdir())).read_info()
    shipped = window.default_model()
    assert info.init_from == str(shipped) and info.step == 2 and info.generator_warmup_steps == 1
    assert info.config["code_weight"] == 1.0  # the shipped model's setting, not the default 0.5
    assert phases[:2] == [True, False]  # step 1 trained the discriminator alone, step 2 both


def test_a_generator_only_stackedgan_is_not_offered_for_fine_tuning(qtbot, window):
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_path(window.default_model().parent / "stackedgan")
    assert window.training.start_from.count() == 1


def test_a_corrupt_model_gets_one_line_and_the_open_model_stays(qtbot, window, tmp_path):
    import shutil

    wait_for_model(qtbot, window)
    bad = tmp_path / "bad"
    shutil.copytree(window.default_model(), bad)
    (bad / "generator.npz").write_bytes(b"not a zip")
    window.open_path(bad)
    qtbot.waitUntil(lambda: window.error_box is not None, timeout=30000)
    assert str(bad) in window.error_box.text() and "\n" not in window.error_box.text()
    assert "InfoGAN" in window.explorer.title.text() and window.explorer.model is not None


def test_only_the_last_of_quick_opens_is_shown(qtbot, window):
    wait_for_model(qtbot, window)
    shipped = window.default_model().parent
    with qtbot.waitSignal(window.model_loaded, timeout=30000) as shown:
        window.open_path(shipped / "stackedgan")
        window.open_path(shipped / "infogan")  # answers come in order: stackedgan's first, dropped
    assert "InfoGAN" in shown.args[0] and "InfoGAN" in window.explorer.title.text()


def test_bad_data_shows_one_clear_sentence(qtbot, window, tmp_path):
    wait_for_model(qtbot, window)
    configure_short_run(window, 5)
    window.training.add_data_file(str(tmp_path / "missing.npz"))
    window.start_training()
    qtbot.waitUntil(lambda: window.error_box is not None and window.worker is None, timeout=60000)
    assert "not found" in window.error_box.text() and "\n" not in window.error_box.text()
    assert window.training.start_button.isEnabled()


def count_generator_runs(model) -> list:
    calls, real = [], model.generate_arrays
    model.generate_arrays = lambda latents: (calls.append(len(latents["digit"])), real(latents))[1]
    return calls


def test_seen_and_neighbouring_digits_redraw_without_running_the_generator(qtbot, window):
    wait_for_model(qtbot, window)
    ex = window.explorer
    calls = count_generator_runs(ex.model)
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered, ex.read_ahead_done], timeout=10000):
        ex.sliders["code1"].setValue(1.0)  # then the neighbouring digits are read ahead while the user looks
    seen = len(calls)
    assert seen > 2  # the change itself, then the neighbouring digits
    ex._renderer.read_ahead_after_ms = 60000  # no more reading ahead: every run from here on is counted
    before = ex.main_pane.image.copy()
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered], timeout=10000):
        ex.step_digit(1)
    assert len(calls) == seen and not np.array_equal(before, ex.main_pane.image)
    with qtbot.waitSignals([ex.rendered, ex.strips_rendered], timeout=10000):
        ex.step_digit(-1)
    assert len(calls) == seen and np.array_equal(before, ex.main_pane.image)  # the very same pixels


def test_loss_series_grow_past_their_first_buffer_and_smooth_over_gaps():
    from explorer.curves import Series

    series = Series(smoothing=0.5, capacity=2)
    for step, value in enumerate([1.0, 3.0, float("nan"), 5.0]):
        series.append(step, value)
    assert series.steps.tolist() == [0, 1, 2, 3]
    assert series.smooth.tolist() == [1.0, 2.0, 2.0, 3.5]  # a NaN loss leaves the smoothed curve where it was
    assert np.isnan(series.raw[2])


def choose_lab(win, steps):
    t = win.training
    t.select_family("gauss1d")
    t.steps.setValue(steps)
    return t


def test_the_1d_lab_trains_live_with_its_own_panels_and_settings(qtbot, window):
    from trainers.samples1d import Frame1D

    t = choose_lab(window, 400)
    assert not t.data.isVisible() and t.start_button.isEnabled()  # no data files: no TensorFlow to wait for
    assert {"minibatch", "pretrain", "optimizer", "learning_rate", "target_sigma"} <= set(t.settings.widgets)
    t.settings.widgets["pretrain_steps"].setValue(100)
    t.settings.widgets["minibatch"].setChecked(False)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    assert window.error_box is None
    info = RunDir(next(window.runs_home.iterdir())).read_info()
    assert info.step == 400 and info.config["minibatch"] is False and info.config["pretrain_steps"] == 100
    frames = [p for _, p in t.previews]
    assert frames and all(isinstance(f, Frame1D) for f in frames) and frames[0].step == 0
    assert t.preview_stack.currentWidget() is t.lab and t.is_live_lab
    assert window.tabs.currentWidget() is t  # a live lab keeps its tab at the end of the run
    assert t.losses.group_of("d_loss") == "Discriminator" and t.losses.group_of("g_loss") == "Generator"
    qtbot.waitUntil(lambda: {"js", "w1", "mean", "sigma"} <= set(t.metrics.items), timeout=5000)  # 3 per redraw
    assert t.lab.decision.xData is None or len(t.lab.decision.xData) == len(frames[-1].xs)
    t.timeline.setValue(0)
    assert "step 0" in t.timeline_label.text() and t.lab.frame.step == 0  # replay the first frame


def test_a_lab_whose_frames_and_final_generator_arrive_in_one_batch_keeps_its_tab(qtbot, window):
    """A fast run while the window is busy: its first frames and its final generator come in one batch."""
    from trainers.run import build_model
    from trainers.updates import GeneratorSnapshot, SampleSnapshot

    t = choose_lab(window, 400)
    window.tabs.setCurrentWidget(t)
    lab = build_model("gauss1d", {})
    final = GeneratorSnapshot(400, "gauss1d", lab.config_dict(), lab.state(generators_only=True))
    window._on_update([SampleSnapshot(0, lab.preview()), final])
    assert window.tabs.currentWidget() is t and t.is_live_lab


def test_the_lab_pauses_steps_one_at_a_time_and_exports_its_animation(qtbot, window, tmp_path, monkeypatch):
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog

    t = choose_lab(window, 10**6)
    t.grid_every.setValue(1)
    window.start_training()
    qtbot.waitUntil(lambda: "d_loss" in t.losses.series and len(t.previews) > 1, timeout=60000)
    window.toggle_pause()
    qtbot.wait(300)  # steps already sent arrive
    seen = t.losses.series["d_loss"].n
    assert t.step_button.isEnabled()
    qtbot.mouseClick(t.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.losses.series["d_loss"].n == seen + 1, timeout=10000)
    qtbot.wait(300)
    assert t.losses.series["d_loss"].n == seen + 1  # exactly one step, then paused again
    target = tmp_path / "lab.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.export_animation()
    assert Image.open(target).n_frames == len(t.previews) > 1
    window.stop_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)


def test_the_explorer_shows_a_1d_model_with_a_z_slider(qtbot, window):
    wait_for_model(qtbot, window)
    t = choose_lab(window, 50)
    t.settings.widgets["pretrain"].setChecked(False)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    run_dir = next(window.runs_home.iterdir())
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_path(run_dir)
    ex = window.explorer
    assert set(ex.sliders) == {"z"} and ex.output.currentWidget() is ex.lab and not ex.strips_box.isVisible()
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        ex.sliders["z"].setValue(1.0)
    z, g = ex.lab.marker.getData()
    assert z[0] == pytest.approx(1.0) and g[0] == pytest.approx(float(ex.model.generate({"z": 1.0})[0]))


def test_the_2d_lab_trains_live_and_its_model_opens_with_a_marker_in_the_plane(qtbot, window):
    from explorer.lab_view import Frame2DView
    from trainers.samples2d import Frame2D

    wait_for_model(qtbot, window)
    t = window.training
    t.select_family("gauss2d")
    t.steps.setValue(120)
    t.grid_every.setValue(20)
    assert not t.data.isVisible() or t.browse.isEnabled()
    assert {"distribution", "sigma", "packing", "unrolled", "loss", "d_steps"} <= set(t.settings.widgets)
    t.settings.widgets["g_units"].setValue(16)
    t.settings.widgets["d_units"].setValue(16)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    assert window.error_box is None
    frames = [p for _, p in t.previews]
    assert len(frames) >= 6 and all(isinstance(f, Frame2D) for f in frames) and frames[-1].step == 120
    assert isinstance(t.lab, Frame2DView) and t.is_live_lab and window.tabs.currentWidget() is t
    qtbot.waitUntil(lambda: {"modes", "high_quality", "js", "sliced_w1"} <= set(t.metrics.items), timeout=5000)
    assert len(t.lab.fake.xData) == 840 and t.lab.heatmap.image.shape == (48, 48, 3)
    assert "modes" in t.lab.caption.text() and "/8" in t.lab.caption.text()
    t.timeline.setValue(0)
    assert t.lab.frame.step == 0
    run_dir = next(window.runs_home.iterdir())
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_path(run_dir)
    ex = window.explorer
    assert set(ex.sliders) == {"z1", "z2"} and isinstance(ex.lab, Frame2DView)
    assert not ex.seed.isVisibleTo(ex)  # no noise beyond the sliders: no seed to choose
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        ex.sliders["z1"].setValue(1.5)
    x, y = ex.lab.marker.getData()
    expected = ex.model.generate({"z1": 1.5, "z2": ex.values()["z2"]})[0]
    assert (x[0], y[0]) == pytest.approx(tuple(expected), rel=1e-5)
    pad = ex.noise_pad
    assert not pad.isHidden() and pad.point[0] == pytest.approx(1.5)  # the pad follows the sliders
    with qtbot.waitSignal(ex.rendered, timeout=10000):  # and the sliders follow the pad
        qtbot.mouseClick(pad, Qt.MouseButton.LeftButton, pos=QPoint(pad.width() // 4, pad.height() // 4))
    z1, z2 = ex.values()["z1"], ex.values()["z2"]
    assert z1 == pytest.approx(-1.25, abs=0.05) and z2 == pytest.approx(1.25, abs=0.05)  # range ±2.5
    x, y = ex.lab.marker.getData()
    assert (x[0], y[0]) == pytest.approx(tuple(ex.model.generate({"z1": z1, "z2": z2})[0]), rel=1e-5)


def test_the_2d_lab_plays_in_slow_motion_and_steps_d_or_g_alone(qtbot, window):
    t = window.training
    t.select_family("gauss2d")
    assert not t.step_d_button.isHidden() and not t.step_g_button.isHidden()
    t.steps.setValue(10**6)
    t.grid_every.setValue(10**5)  # slow motion shows every step whatever the schedule
    t.settings.widgets["g_units"].setValue(16)
    t.settings.widgets["d_units"].setValue(16)
    t.speed.setValue(1)  # 30 steps a second
    assert t.speed_label.text() == "30 steps/s"
    window.start_training()
    qtbot.waitUntil(lambda: len(t.previews) >= 5, timeout=60000)
    said = lambda start: lambda text: text.startswith(start)
    status = window.statusBar().messageChanged  # the run's lines, shown on the GUI thread
    with qtbot.waitSignal(status, timeout=10000, check_params_cb=said("Paused at step")) as paused:
        window.toggle_pause()  # the run says so after everything it sent before
    t.flush()  # what came before the line, queued for the view's next tick, onto the timeline now
    steps = [step for step, _ in t.previews]
    assert steps[-1] == int(paused.args[0].split()[-1].rstrip(".").replace(",", ""))
    assert steps == list(range(steps[0], steps[0] + len(steps)))  # every step, one frame each
    before = t.previews[-1][1]
    qtbot.mouseClick(t.step_d_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.previews[-1][1] is not before, timeout=10000)
    after_d = t.previews[-1][1]
    assert after_d.step == before.step and np.array_equal(after_d.fake, before.fake)
    assert not np.array_equal(after_d.decision, before.decision)  # D moved, G did not
    qtbot.mouseClick(t.step_g_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.previews[-1][1] is not after_d, timeout=10000)
    after_g = t.previews[-1][1]
    assert after_g.step == before.step and np.array_equal(after_g.decision, after_d.decision)
    assert not np.array_equal(after_g.fake, after_d.fake)
    widgets = t.settings.widgets  # hyperparameters that can change between steps stay editable
    assert widgets["d_steps"].isEnabled() and widgets["loss"].isEnabled() and not widgets["g_units"].isEnabled()
    with qtbot.waitSignal(status, timeout=10000, check_params_cb=said(f"Step {before.step:,}: d steps 2")):
        widgets["d_steps"].setValue(2)  # taken while paused
    window.stop_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)
    info = RunDir(next(window.runs_home.iterdir())).read_info()  # kept with the last checkpoint
    assert info.config["d_steps"] == 2 and info.changes[-1] == {"step": before.step, "d_steps": 2}
    t.select_family("gauss1d")
    assert t.step_d_button.isHidden()  # the 1-D lab cannot update one network alone


def test_the_loss_plots_equilibrium_lines_follow_the_chosen_loss(window):
    t = window.training
    t.select_family("gauss2d")
    assert t.losses.reference_lines == {"d_loss": pytest.approx(math.log(4)), "g_loss": pytest.approx(math.log(2))}
    for loss, lines in (("least-squares", {"d_loss": 0.25, "g_loss": 0.125}), ("wgan-gp", {})):
        t.settings.widgets["loss"].setCurrentText(loss)
        t.reset()  # as a run starts
        assert t.losses.reference_lines == lines


def test_a_distribution_drawn_with_the_mouse_trains_and_is_measured(qtbot, window):
    from PySide6.QtCore import QPointF

    t = window.training
    t.select_family("gauss2d")
    assert not t.draw_button.isHidden()
    qtbot.mouseClick(t.draw_button, Qt.MouseButton.LeftButton)
    dialog = t.draw_dialog
    canvas = dialog.canvas
    vb = canvas.getPlotItem().vb

    def at(x, y):  # a point of the plane, in the canvas's pixels
        scene = vb.mapViewToScene(QPointF(x, y))
        return canvas.mapFromScene(scene)  # viewport pixels: the view has no frame offset here

    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing drawn yet
    for x, y in ((-0.8, 0.8), (0.8, 0.8), (0.0, -0.8)):
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=at(x, y))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=at(0.5, -0.5))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, pos=at(0.5, -0.5))  # removed again
    assert len(canvas.points) == 3 and ok.isEnabled() and dialog.count.text() == "3 points"
    assert np.allclose(canvas.points, [(-0.8, 0.8), (0.8, 0.8), (0.0, -0.8)], atol=0.03)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    values = t.settings.values()
    assert values["distribution"] == "drawn" and len(values["drawn_points"].split(";")) == 3
    t.steps.setValue(60)
    t.settings.widgets["g_units"].setValue(16)
    t.settings.widgets["d_units"].setValue(16)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=120000)
    assert window.error_box is None
    frame = t.previews[-1][1]
    assert frame.modes == 3 and "3 drawn points" in frame.target_text and "modes" in frame.figures


def test_a_preset_fills_the_settings_form_and_the_run_records_it(qtbot, window):
    t = choose_lab(window, 10)
    assert [t.preset.itemData(i).name for i in range(t.preset.count())] == ["lab", "source", "source-plain"]
    t.preset.setCurrentIndex(1)  # the source as written
    assert t.settings.values()["optimizer"] == "sgd" and t.settings.values()["learning_rate"] == 0.005
    assert t.steps.value() == 1200 and t.batch.value() == 12
    t.preset.setCurrentIndex(0)
    assert t.settings.values()["optimizer"] == "adam" and t.steps.value() == 3000


def test_the_training_view_draws_one_view_per_tick(qtbot, monkeypatch):
    """Losses, metrics and the newest sample each paint for 8–25 ms at a fast run's rates: never in one tick."""
    from explorer.training_view import TrainingView
    from trainers.updates import LiveMetrics, SampleSnapshot

    view = TrainingView()
    qtbot.addWidget(view)
    view.show()
    view._redraw_timer.stop()  # the test ticks
    drawn = []
    for name, owner, method in (
        ("losses", view.losses, "redraw"),
        ("metrics", view.metrics, "redraw"),
        ("sample", view.grid_pane, "show_image"),
    ):
        original = getattr(owner, method)
        monkeypatch.setattr(owner, method, lambda *a, _o=original, _n=name: (drawn.append(_n), _o(*a))[1])
    grids = [np.full((8, 8), step, np.uint8) for step in range(3)]
    losses = [StepFigures(step, 10, {"d_loss": 1.0, "g_loss": 2.0}) for step in range(3)]
    view.on_update([*losses, LiveMetrics(2, {"fid": 3.0}), *(SampleSnapshot(s, g) for s, g in enumerate(grids))])
    per_tick = []
    for _ in range(20):
        before = len(drawn)
        view.flush()
        per_tick.append(len(drawn) - before)
    assert max(per_tick) == 1 and {"losses", "metrics", "sample"} <= set(drawn)
    assert drawn.count("sample") == 1 and view.grid_pane.image[0, 0] == 2  # the newest, drawn once
    assert not (view.losses.has_undrawn or view.metrics.has_undrawn)


def test_a_click_on_a_legend_entry_hides_its_curve(qtbot):
    from explorer.curves import CurvePanel

    panel = CurvePanel(0.5)
    qtbot.addWidget(panel)
    panel.configure((("Discriminator", ("d_loss",)),))
    for step in range(5):
        panel.add(step, {"d_loss": 1.0 / (step + 1), "g_loss": 0.5, "g_label_acc": 0.9})
    panel.redraw()
    assert set(panel.plots) == {"Discriminator"}  # one new plot per redraw: each costs the event loop ~17 ms
    while panel.has_undrawn:  # the redraw timer's next ticks
        panel.redraw()
    assert set(panel.plots) == {"Discriminator", "Generator", "Accuracies"}
    assert panel.plots["Accuracies"].getViewBox().viewRange()[1] == pytest.approx([0, 1], abs=0.05)
    sample = panel.legends["Discriminator"].items[0][0]
    event = type("Click", (), {"button": lambda self: Qt.MouseButton.LeftButton, "accept": lambda self: None})()
    sample.mouseClickEvent(event)
    faint, bold = panel.items["d_loss"]
    assert not bold.isVisible() and not faint.isVisible()
    sample.mouseClickEvent(event)
    assert bold.isVisible() and faint.isVisible()


def test_reference_lines_change_mid_run_and_the_curves_stay(qtbot):
    import pyqtgraph as pg

    from explorer.curves import CurvePanel

    panel = CurvePanel(0.5)
    qtbot.addWidget(panel)
    panel.configure((("Discriminator", ("d_loss",)),), {"d_loss": 1.386})
    for step in range(5):
        panel.add(step, {"d_loss": 1.0})
    while panel.has_undrawn:
        panel.redraw()

    def lines():
        return [i.value() for i in panel.plots["Discriminator"].items if isinstance(i, pg.InfiniteLine)]

    assert lines() == [pytest.approx(1.386)]
    panel.set_reference_lines({"d_loss": 0.25})  # the loss changed to least squares while the run trains
    assert lines() == [pytest.approx(0.25)] and panel.series["d_loss"].n == 5
    panel.set_reference_lines({})  # a critic's scores: no line
    assert lines() == [] and "d_loss" in panel.items


class EventCounter(QObject):
    """Counts the events of `kinds` that reach the widgets it watches."""

    def __init__(self, *kinds):
        super().__init__()
        self.kinds, self.count = kinds, 0

    def eventFilter(self, watched, event):
        self.count += event.type() in self.kinds
        return False


def test_a_status_line_changes_without_laying_out_the_window_again(qtbot):
    """A QLabel's new text asks every layout above it to lay out anew, and the window repainted whole at every
    training step; the status lines of the Train tab repaint only themselves."""
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from explorer.status_line import StatusLine

    parent = QWidget()
    qtbot.addWidget(parent)
    line, label = StatusLine("Idle"), QLabel("Idle")
    layout = QVBoxLayout(parent)
    layout.addWidget(line)
    layout.addWidget(label)
    parent.resize(300, 80)
    parent.show()
    qtbot.waitExposed(parent)
    for _ in range(5):  # the layout asked for by showing it
        QApplication.processEvents()
    layouts = EventCounter(QEvent.Type.LayoutRequest)
    parent.installEventFilter(layouts)
    for step in range(5):
        line.setText(f"Training: step {step:,} of 1,000,000 " + "·" * step)
        QApplication.processEvents()
    assert layouts.count == 0 and line.text().startswith("Training: step 4")
    label.setText("a longer text than before, as a step count grows")  # the behaviour it avoids
    QApplication.processEvents()
    assert layouts.count > 0
    line.setText("x" * 500)  # too long for the line: elided, the whole of it in the tooltip
    assert line.toolTip() == "x" * 500


def test_curves_are_painted_once_per_redraw_and_only_when_it_shows(qtbot):
    from explorer.curves import CurvePanel
    from explorer.training_view import CURVES_AT_LEAST_EVERY_S, CURVES_EVERY_S, curves_due

    panel = CurvePanel(0.5)
    qtbot.addWidget(panel)
    panel.resize(500, 400)
    panel.show()
    qtbot.waitExposed(panel)
    names = ("d_loss", "g_loss", "g_acc")
    for step in range(300):
        panel.add(step, dict.fromkeys(names, step % 7 / 7))
    while panel.has_undrawn:
        panel.redraw()
    panel.redraw()
    for _ in range(5):
        QApplication.processEvents()
    paints = EventCounter(QEvent.Type.Paint)
    panel.viewport().installEventFilter(paints)
    for step in range(300, 305):  # new values out of the range shown: the axes move too
        panel.add(step, dict.fromkeys(names, 2.0 * step))
        panel.redraw()
        QApplication.processEvents()
        QApplication.processEvents()
    assert paints.count == 5  # was 10: the new ranges, left to the paint, asked for a second one

    panel.add(305, dict.fromkeys(names, 0.5))  # 3 new points among 918: not a visible change
    assert 0 < panel.new_share < 0.01
    assert not curves_due(panel, CURVES_EVERY_S)
    assert curves_due(panel, CURVES_AT_LEAST_EVERY_S)  # the newest values shown at least once a second
    for step in range(306, 312):
        panel.add(step, dict.fromkeys(names, 0.5))
    assert panel.new_share >= 0.01 and curves_due(panel, CURVES_EVERY_S)
    assert not curves_due(panel, CURVES_EVERY_S / 2)  # never more than five times a second
    panel.redraw()
    assert panel.new_share == 0


def open_one_step_run(qtbot, window, run_dir, family, *options):
    """Train `family` for one step from the CLI, then open the run in the window's explorer. The CLI runs
    in its own process, as the app's training does: TensorFlow training on this thread beside the
    window's render thread is a pairing the app never makes."""
    quick = "--steps 1 --batch-size 8 --metrics-every 0 --precision float32".split()
    command = [sys.executable, "-m", "trainers.cli", "train", family, "--out", str(run_dir), *quick, *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.model_loaded, timeout=30000):
        window.open_path(run_dir)


def test_an_unconditional_image_family_needs_no_gui_code(qtbot, window, tmp_path):
    open_one_step_run(qtbot, window, tmp_path / "dc", "dcgan", "--data", "bundled")
    ex = window.explorer
    qtbot.waitUntil(lambda: len(ex.strip_images) == 2, timeout=10000)
    assert set(ex.sliders) == {"z"} and set(ex.strip_panes) == {"z", "interpolation"}  # no class: no class strip
    assert ex.main_pane.image.shape == (32, 32)
    ex.step_class(1)  # no class control: nothing to step, nothing breaks
    window.training.select_family("dcgan")
    presets = window.training.preset
    assert [presets.itemData(i).name for i in range(presets.count())] == ["32", "cifar10"]


def test_a_class_conditional_model_on_fashion_names_its_classes_in_the_explorer(
    qtbot, window, tmp_path, fashion_folder
):
    open_one_step_run(
        qtbot, window, tmp_path / "acgan", "acgan", "--data", str(fashion_folder), "--config", "head=fake-class"
    )
    ex = window.explorer
    assert set(ex.sliders) == {"digit", "z"} and ex.title.text().startswith("ACGAN (Fashion-MNIST) — ")
    caption = ex.controls_form.labelForField(ex.sliders["digit"])
    assert caption.text() == "class · T-shirt/top"
    ex.step_class(1)
    assert caption.text() == "class · Trouser"
    ex.set_values({"digit": 9})
    assert caption.text() == "class · Ankle boot"
    qtbot.waitUntil(lambda: ex.main_pane.image is not None and ex.main_pane.image.shape == (28, 28), timeout=10000)
    window.training.select_family("acgan")
    qtbot.waitUntil(lambda: "head" in window.training.settings.widgets, timeout=120000)


def test_a_class_conditional_model_of_colour_images_in_the_explorer(qtbot, window, tmp_path):
    from test_colour_data import write_cifar_folder

    write_cifar_folder(tmp_path / "cifar")
    open_one_step_run(qtbot, window, tmp_path / "cg", "cgan", "--data", str(tmp_path / "cifar"))
    ex = window.explorer
    assert set(ex.sliders) == {"digit", "z"}
    assert ex.controls_form.labelForField(ex.sliders["digit"]).text() == "class · airplane"
    ex.set_values({"digit": 3})
    assert ex.controls_form.labelForField(ex.sliders["digit"]).text() == "class · cat"
    qtbot.waitUntil(lambda: ex.main_pane.image is not None and ex.main_pane.image.shape == (32, 32, 3), timeout=10000)
    qtbot.waitUntil(lambda: len(ex.strip_images) == len(ex.strip_panes), timeout=10000)


@pytest.mark.long
def test_acgan_and_a_colour_dcgan_train_from_the_train_tab(qtbot, window, tmp_path):
    from test_colour_data import write_cifar_folder

    wait_for_model(qtbot, window)
    t = window.training
    t.select_family("acgan")
    qtbot.waitUntil(lambda: "head" in t.settings.widgets, timeout=120000)
    t.settings.set_values({"head": "classifier"})
    t.data.setCurrentIndex(t.data.findData("bundled"))
    t.steps.setValue(2)
    t.batch.setValue(8)
    t.grid_every.setValue(2)
    t.metrics_every.setValue(0)
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None and len(t.grids) >= 2, timeout=180000)
    assert {"d_real_acc", "d_fake_acc", "c_loss"} <= set(t.losses.items)
    run = sorted(window.runs_home.iterdir())[-1]
    assert RunDir(run).read_info().config["head"] == "classifier"

    write_cifar_folder(tmp_path / "cifar")  # a CIFAR-10 python folder, chosen as the file dialog would add it
    t.select_family("dcgan")
    qtbot.waitUntil(lambda: "architecture" in t.settings.widgets, timeout=60000)
    t.add_data_file(str(tmp_path / "cifar"))
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None and t.grids and t.grids[-1][1].ndim == 3, timeout=180000)
    assert t.grids[-1][1].shape[2] == 3  # colour samples in the grid

    t.select_family("acgan")  # the folder stays chosen: the class-conditional families take it too
    qtbot.waitUntil(lambda: "head" in t.settings.widgets, timeout=60000)
    assert t.data.currentData() == str(tmp_path / "cifar")
    window.start_training()
    qtbot.waitUntil(lambda: window.worker is None and t.grids and t.grids[-1][1].ndim == 3, timeout=180000)
    run = sorted(window.runs_home.iterdir())[-1]
    assert RunDir(run).read_info().config["dataset"] == "cifar10"


@pytest.mark.long
def test_the_train_tab_trains_data_parallel_on_two_devices(qtbot, window, monkeypatch):
    if importlib.util.find_spec("jax") is None:  # checked without importing it
        pytest.skip("JAX is not installed")
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # the child inherits it
    wait_for_model(qtbot, window)
    configure_short_run(window, 2)
    t = window.training
    t.metrics_every.setValue(0)
    t.devices.setCurrentIndex(t.devices.findData("2"))
    notices = []
    window.start_training()
    window.worker.notice.connect(notices.append)
    qtbot.waitUntil(lambda: window.worker is None, timeout=240000)
    assert any("data-parallel on 2 devices" in n for n in notices), notices
    assert "KERAS_BACKEND" not in os.environ or os.environ["KERAS_BACKEND"] != "jax"  # the window's own is kept
    run = RunDir(sorted(window.runs_home.iterdir())[-1])
    assert run.read_info().step == 2 and "d_loss" in t.losses.items


def test_the_model_opened_at_launch_has_its_family_loaded_first():
    from explorer.workers import load_backends
    from trainers.families import FAMILIES
    from trainers.paths import SHIPPED_MODELS
    from trainers.run import family_of

    assert family_of(SHIPPED_MODELS / "dcgan") == "dcgan" and family_of(SHIPPED_MODELS) is None
    order = list(load_backends("dcgan"))
    assert order[0] == "dcgan" and sorted(order) == sorted(entry.name for entry in FAMILIES)


def test_directions_found_in_the_noise_become_named_sliders_and_come_back_from_the_cache(qtbot, window, tmp_path):
    import shutil

    from trainers.paths import SHIPPED_MODELS

    folder = tmp_path / "dcgan"
    shutil.copytree(SHIPPED_MODELS / "dcgan", folder)  # with its shipped directions
    wait_for_model(qtbot, window)
    ex = window.explorer
    qtbot.waitUntil(lambda: ex.directions.button.text().startswith("Show"), timeout=30000)  # InfoGAN's, first
    with qtbot.waitSignals([window.model_loaded, ex.directions_found], timeout=30000):
        window.open_path(folder)
    assert "dir0" not in ex.sliders and ex.directions.button.text().startswith("Show")  # offered, not imposed
    with qtbot.waitSignal(ex.directions_found, timeout=1000):  # read already: shown at once
        qtbot.keyClick(window, Qt.Key.Key_D)  # the Explore menu's shortcut
    assert {f"dir{i}" for i in range(8)} <= set(ex.sliders) and "dir7" in ex.strip_panes
    label = ex.controls_form.labelForField(ex.sliders["dir1"])
    assert label.text().startswith("dir1 · slant") or label.text().startswith("dir1 · width")  # its measured name
    assert "over all samples" in label.toolTip() and "class kept (±2σ): " in label.toolTip()  # and its figures
    ex.directions.k.setValue(2)
    with qtbot.waitSignal(ex.directions_found, timeout=120000):
        qtbot.keyClick(window, Qt.Key.Key_D)
        assert not ex.directions.button.isEnabled()  # busy, off the GUI thread
    assert {"dir0", "dir1"} <= set(ex.sliders) and "dir2" not in ex.sliders and "dir2" not in ex.strip_panes
    qtbot.waitUntil(lambda: {"dir0", "dir1"} <= set(ex.strip_images), timeout=10000)
    before = ex.current_image.copy()
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        ex.sliders["dir0"].setValue(3.0)
    assert np.abs(ex.current_image - before).mean() > 0.01  # moving along it changes the image
    assert (folder / "directions-sefa.json").is_file()
    with qtbot.waitSignals([window.model_loaded, ex.directions_found], timeout=30000):  # opened again: read back
        window.open_path(folder)
    with qtbot.waitSignal(ex.directions_found, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_D)
    assert "dir1" in ex.sliders and "dir2" not in ex.sliders and ex.directions.button.isEnabled()


def test_only_strips_in_view_are_drawn_and_the_rest_when_scrolled_to(qtbot, window):
    wait_for_model(qtbot, window)  # the shipped InfoGAN, whose directions are shipped too
    ex = window.explorer
    qtbot.waitUntil(lambda: ex.directions.button.text().startswith("Show"), timeout=30000)
    # the window shrinks first: strips asked for at the larger size would be drawn although hidden after it
    window.resize(1200, 700)  # thirteen strips do not fit: some are out of view
    qtbot.waitUntil(lambda: window.height() == 700, timeout=5000)
    with qtbot.waitSignal(ex.directions_found, timeout=5000):
        ex.find_directions()
    qtbot.waitUntil(lambda: "code1" in ex.strip_images, timeout=10000)
    qtbot.wait(200)  # nothing more comes for the strips out of view
    hidden = set(ex.strip_panes) - ex._strips_in_view()
    assert hidden and not hidden & set(ex.strip_images)
    with qtbot.waitSignal(ex.strips_rendered, timeout=10000):
        bar = ex.strips_scroll.verticalScrollBar()
        bar.setValue(bar.maximum())
    assert "interpolation" in ex.strip_images  # the last strip, scrolled to


def test_a_translation_model_follows_the_pen_its_examples_and_a_loaded_file(qtbot, window, tmp_path, small_pairs):
    from PIL import Image
    from PySide6.QtTest import QTest

    tiny = ("--data", str(small_pairs), "--config", "unet_width=8")
    open_one_step_run(qtbot, window, tmp_path / "p2p", "pix2pix", *tiny)
    ex = window.explorer
    model, panel = ex.model, ex.sliders["input"]
    assert set(ex.sliders) == {"input", "class"} and set(ex.strip_panes) == {"every class"}
    assert np.allclose(panel.value(), model.examples["input"][0] / 255.0, atol=1 / 255)  # the first example
    assert not panel.target_view.isHidden() and ex.sliders["class"].value() == model.examples["class"][0]
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        panel.example.setValue(5)  # another example brings its class along
    assert ex.sliders["class"].value() == model.examples["class"][5]
    assert np.allclose(ex.values()["input"], model.examples["input"][5] / 255.0, atol=1 / 255)
    before, shown = panel.value(), ex.main_pane.image.copy()

    canvas = panel.canvas
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
        for i in range(1, 8):
            QTest.mouseMove(canvas, QPoint(10 + 25 * i, 10))
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(185, 10))
    drawn = panel.value()
    assert drawn[1, 1:27].min() == 1.0 and np.array_equal(drawn[3:], before[3:])  # a 1-pixel line, nothing else
    assert panel.target_view.isHidden()  # the input is the user's own now: no real target to show
    qtbot.waitUntil(lambda: not np.array_equal(ex.main_pane.image, shown), timeout=10000)
    window.activateWindow()
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_E)  # the eraser: a wider dark line over the drawn one
    assert panel.eraser.isChecked()
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(60, 10))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(60, 10))
    assert panel.value()[1, 8] == 0.0
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(panel.value(), drawn)
    QTest.keyClick(canvas, Qt.Key.Key_B)
    assert panel.pen.isChecked()
    panel.canvas.undo()
    assert np.array_equal(panel.value(), before)
    panel.canvas.clear()
    assert panel.value().max() == 0.0

    (tmp_path / "notes.png").write_text("not an image")
    panel.load_file(tmp_path / "notes.png")
    assert "is not an image Pillow can read" in window.statusBar().currentMessage()
    assert panel.value().max() == 0.0  # the canvas keeps what it had
    paper = np.full((64, 64, 3), 255, np.uint8)
    paper[20:22, 8:56] = 0  # a dark line drawn on white paper
    Image.fromarray(paper).save(tmp_path / "white.png")
    with qtbot.waitSignal(ex.rendered, timeout=10000):
        panel.load_file(tmp_path / "white.png")
    message = "white.png: 64×64: resampled to 32×32; dark on light: inverted (the model reads light on dark)."
    assert window.statusBar().currentMessage() == message
    assert panel.value()[10, 8:24].min() > 0.5 and panel.value()[:8].max() < 0.02  # a light line on dark
    qtbot.waitUntil(lambda: len(ex.strip_images.get("every class", [])) == 10, timeout=10000)

    window.training.select_family("pix2pix")
    qtbot.waitUntil(lambda: "class_info" in window.training.settings.widgets, timeout=120000)
    offered = [window.training.data.itemData(i) for i in range(window.training.data.count())]
    assert offered[:2] == ["fashion-edges", "mnist-skeletons"]


@pytest.mark.long
def test_a_drawing_stays_for_a_model_of_the_same_input_and_not_for_another(qtbot, window, tmp_path, small_pairs):
    runs = {"sketch": tmp_path / "s2p", "photo": tmp_path / "p2s"}  # both trained in one process
    quick = ["--steps", "1", "--batch-size", "8", "--metrics-every", "0", "--precision", "float32"]
    tiny = [*quick, "--data", str(small_pairs), "--config", "unet_width=8"]
    script = (
        "import sys; from trainers.cli import main; "
        f"assert main(['train', 'pix2pix', '--out', {str(runs['sketch'])!r}, *{tiny!r}]) == 0; "
        f"assert main(['train', 'pix2pix', '--out', {str(runs['photo'])!r}, *{tiny!r}, "
        "'--config', 'direction=photo-to-sketch']) == 0"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    wait_for_model(qtbot, window)
    ex = window.explorer
    for run, drawn in ((runs["sketch"], False), (runs["sketch"], True), (runs["photo"], True)):
        with qtbot.waitSignal(window.model_loaded, timeout=30000):
            window.open_path(run)
        panel = ex.sliders["input"]
        if not drawn:
            panel.canvas.clear()  # a drawing: an empty sketch
        elif run == runs["sketch"]:  # the next sketch → photo model keeps it
            assert panel.value().max() == 0.0
        else:  # a model of domain A (a user's pairs: A and B) starts on its first example, with its own caption
            assert np.allclose(panel.value(), ex.model.examples["input"][0] / 255.0, atol=1 / 255)
            assert ex.controls_form.labelForField(panel).text() == "A in"
