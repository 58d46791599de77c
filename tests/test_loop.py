"""The training loop's promises: plain-data updates, stop/pause, NaN safety, flat memory."""

import threading

import numpy as np
import pytest

from trainers.errors import TrainingDiverged
from trainers.families.infogan import InfoGan, InfoGanConfig
from trainers.loop import LoopSettings, TrainControl, Trainer
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
