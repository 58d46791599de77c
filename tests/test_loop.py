"""The training loop's promises: plain-data updates, stop/pause, NaN safety, flat memory."""

import threading
import time

import numpy as np
import pytest

from trainers.errors import TrainingDiverged
from trainers.families.infogan import InfoGan, InfoGanConfig
from trainers.loop import CALL_BUDGET_S, LoopSettings, StepsPerCall, TrainControl, Trainer
from trainers.run import RunDir, RunInfo
from trainers.updates import Finished, GeneratorSnapshot, SampleSnapshot, StepFigures, is_plain


@pytest.fixture(scope="module")
def model():
    return InfoGan(InfoGanConfig(precision="float32"))


def make_trainer(model, small_mnist, tmp_path, steps, **kw):
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=8))
    return Trainer(model, small_mnist, run, LoopSettings(steps=steps, batch_size=8, **kw))


def test_updates_are_typed_plain_data(model, small_mnist, tmp_path):
    updates = []
    make_trainer(model, small_mnist, tmp_path, 2, grid_every=2).run_loop(updates.append)
    assert [type(u) for u in updates] == [
        SampleSnapshot,
        StepFigures,
        StepFigures,
        SampleSnapshot,
        GeneratorSnapshot,
        Finished,
    ]
    assert all(is_plain(u) for u in updates)
    for u in updates:
        if isinstance(u, StepFigures):
            assert all(type(v) is float for v in u.losses.values())
    first, grid = updates[0], updates[3]
    assert first.step == 0 and grid.step == 2  # a first grid before any step
    assert grid.preview.dtype == np.uint8 and grid.preview.shape == (302, 302)


def test_stop_from_another_thread_checkpoints(model, small_mnist, tmp_path):
    control = TrainControl()
    trainer = make_trainer(model, small_mnist, tmp_path, 1000)
    stop_after_two = lambda u: isinstance(u, StepFigures) and u.step >= 2 and control.stop()
    reached = trainer.run_loop(stop_after_two, control)
    assert reached == 2 and trainer.run.read_info().step == 2


def test_slow_motion_shows_every_grid_but_files_only_the_scheduled_ones(model, small_mnist, tmp_path):
    control = TrainControl()
    control.set_pace(1000.0)  # 1 ms between steps: every step is shown
    updates = []
    trainer = make_trainer(model, small_mnist, tmp_path, 4, grid_every=2)
    trainer.run_loop(updates.append, control)
    assert [u.step for u in updates if isinstance(u, SampleSnapshot)] == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in trainer.run.grids.iterdir()) == [f"step_00000{i}.png" for i in (0, 2, 4)]


def test_pause_blocks_until_resumed(model, small_mnist, tmp_path):
    control = TrainControl()
    control.pause()
    trainer = make_trainer(model, small_mnist, tmp_path, 1)
    thread = threading.Thread(target=trainer.run_loop, args=(lambda u: None, control))
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and trainer.step == 0
    control.resume()
    thread.join(30)
    assert not thread.is_alive() and trainer.step == 1


def test_nan_losses_stop_with_a_clear_error_and_keep_the_checkpoint(model, small_mnist, tmp_path):
    trainer = make_trainer(model, small_mnist, tmp_path, 4, checkpoint_every=2)
    real_step = model.train_step
    calls = {"n": 0}

    def diverging(images, labels):  # the real step, then a NaN as a diverging run produces
        calls["n"] += 1
        losses = real_step(images, labels)
        return {**losses, "d_loss": float("nan")} if calls["n"] == 3 else losses

    model.train_step = diverging
    try:
        with pytest.raises(TrainingDiverged, match="step 3") as err:
            trainer.run_loop(lambda u: None)
    finally:
        del model.train_step
    assert "\n" not in str(err.value)
    assert trainer.run.read_info().step == 2 and trainer.run.checkpoint_path.is_file()


# --- several steps per compiled call ---------------------------------------------------------
def history_steps(run) -> list[int]:
    return [int(line.split(",")[0]) for line in (run.path / "history.csv").read_text().splitlines()[1:]]


def trained_history(small_mnist, tmp_path, steps_per_call, steps=7, **kw):
    """A fresh model trained through the real loop; every StepFigures, grid and the history it left."""
    model = InfoGan(InfoGanConfig(precision="float32", seed=5))
    run = RunDir(tmp_path / f"run{steps_per_call}")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=8))
    settings = LoopSettings(steps=steps, batch_size=8, seed=5, steps_per_call=steps_per_call, **kw)
    updates = []
    Trainer(model, small_mnist, run, settings).run_loop(updates.append)
    return updates, run


def test_k_steps_per_call_train_exactly_as_single_steps(small_mnist, tmp_path):
    single, _ = trained_history(small_mnist, tmp_path, 1)
    several, _ = trained_history(small_mnist, tmp_path, 4)
    losses = lambda updates: [u.losses for u in updates if isinstance(u, StepFigures)]
    assert len(losses(several)) == 7
    for a, b in zip(losses(single), losses(several)):  # the latents are drawn in the same order
        assert a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-5 for k in a)


@pytest.mark.parametrize("k", [2, 3, 8])
def test_every_step_reaches_plots_history_grids_and_checkpoints_at_every_k(small_mnist, tmp_path, k):
    updates, run = trained_history(small_mnist, tmp_path, k, steps=9, grid_every=3, checkpoint_every=4)
    figures = [u.step for u in updates if isinstance(u, StepFigures)]
    grids = [u.step for u in updates if isinstance(u, SampleSnapshot)]
    assert figures == list(range(1, 10))  # the live plots see every step, in order
    assert grids == [0, 3, 6, 9]  # a call never jumps over a scheduled grid
    assert history_steps(run) == list(range(1, 10))
    assert sorted(p.name for p in run.grids.glob("*.png")) == [f"step_{s:06d}.png" for s in (0, 3, 6, 9)]
    assert run.read_info().step == 9


def test_stop_lands_after_the_current_call_with_its_checkpoint(small_mnist, tmp_path):
    control = TrainControl()
    model = InfoGan(InfoGanConfig(precision="float32"))
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=8))
    trainer = Trainer(model, small_mnist, run, LoopSettings(steps=1000, batch_size=8, steps_per_call=4))
    stop_at_two = lambda u: isinstance(u, StepFigures) and u.step == 2 and control.stop()
    assert trainer.run_loop(stop_at_two, control) == 4  # the call's other steps were trained: they count
    assert run.read_info().step == 4 and history_steps(run) == [1, 2, 3, 4]


def test_a_single_step_while_paused_is_one_step_at_any_k(small_mnist, tmp_path):
    control = TrainControl()
    control.pause()
    model = InfoGan(InfoGanConfig(precision="float32"))
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("infogan", model.config_dict(), batch_size=8))
    trainer = Trainer(model, small_mnist, run, LoopSettings(steps=100, batch_size=8, steps_per_call=8))
    thread = threading.Thread(target=trainer.run_loop, args=(lambda u: None, control))
    thread.start()
    control.request_single_step()
    deadline = time.monotonic() + 60
    while trainer.step < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert trainer.step == 1 and thread.is_alive()
    control.stop()
    thread.join(60)
    assert not thread.is_alive() and trainer.step == 1


def test_the_automatic_k_fits_the_call_budget_and_learns_only_from_compiled_calls():
    chooser = StepsPerCall()
    assert chooser.choose(room=100) == 1  # nothing measured yet
    chooser.measured(1, 5.0)  # the first call of k = 1 traced the step: not a step time
    assert chooser.choose(room=100) == 1
    chooser.measured(1, 0.004)  # 4 ms a step: 12 fit in 50 ms, run as 8 (a power of two)
    assert chooser.choose(room=100) == 8
    assert chooser.choose(room=5) == 4  # never past the next scheduled event
    chooser.measured(8, 9.0)  # first call of k = 8 (tracing the loop) is not a step time either
    chooser.measured(8, 0.008)  # 1 ms a step: 50 fit, run as 32
    assert chooser.choose(room=1000) == 32
    chooser.measured(32, 0.03)  # the first call of 32 (tracing on JAX)
    chooser.measured(32, 3.2)  # then the step got slow (a busy machine): back to 1
    assert chooser.choose(room=1000) == 1 and CALL_BUDGET_S <= 0.1
    assert StepsPerCall(fixed=3).choose(room=100) == 2 and StepsPerCall(fixed=64).choose(room=100) == 64
