"""Every run writes TensorBoard event files: its losses, live metrics and sample grids."""

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from trainers.event_log import EVENTS_DIR, EventLog
from trainers.families.cgan import Cgan, CganConfig
from trainers.loop import LoopSettings, Trainer
from trainers.run import RunDir, RunInfo


def read(folder):
    events = EventAccumulator(str(folder), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    return events


def test_losses_go_in_as_means_over_blocks_of_steps(tmp_path):
    log = EventLog(tmp_path, loss_every=4)
    for step in range(1, 11):
        log.losses(step, {"d_loss": float(step), "d_real_acc": 0.5})
    log.close(step=10)
    events = read(tmp_path / EVENTS_DIR)
    d_loss = [(e.step, e.value) for e in events.Scalars("loss/d_loss")]
    assert d_loss == [(4, 2.5), (8, 6.5), (10, 9.5)]  # the last, short block is written on close
    assert [e.value for e in events.Scalars("accuracy/d_real_acc")] == [0.5] * 3


def test_a_training_run_shows_in_tensorboard(small_mnist, tmp_path):
    model = Cgan(CganConfig(precision="float32"))
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("cgan", model.config_dict(), batch_size=8))
    trainer = Trainer(
        model,
        small_mnist,
        run,
        LoopSettings(steps=3, batch_size=8, grid_every=3, metrics_every=3),
        metrics_fn=lambda m: {"frechet_distance": 12.5},
    )
    trainer.run_loop(lambda u: None)
    events = read(run.path / EVENTS_DIR)
    tags = events.Tags()
    assert {
        "loss/d_loss",
        "loss/g_loss",
        "accuracy/d_real_acc",
        "accuracy/d_fake_acc",
        "metrics/frechet_distance",
    } <= set(tags["scalars"])
    assert [e.step for e in events.Scalars("loss/g_loss")] == [3]
    metrics = events.Scalars("metrics/frechet_distance")
    assert [(e.step, e.value) for e in metrics] == [(0, 12.5), (3, 12.5)]  # a first figure before any step
    images = events.Images("samples")
    assert [i.step for i in images] == [0, 3] and images[0].width == 302 and images[0].height == 302
    assert np.isfinite(events.Scalars("loss/d_loss")[0].value)


def test_a_full_disk_stops_the_event_files_not_the_run(tmp_path, monkeypatch):
    import errno
    import os

    log = EventLog(tmp_path, loss_every=1)
    log.losses(1, {"d_loss": 1.0})

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    log.close(step=1)  # flushing fails: no exception
    assert log.failure == "TensorBoard files stopped: No space left on device"
    log.losses(2, {"d_loss": 2.0})  # and later values are dropped quietly


def test_an_undefined_measure_is_written_without_a_console_warning(tmp_path, caplog):
    log = EventLog(tmp_path)
    with caplog.at_level("WARNING"):
        log.metrics(0, {"reverse_kl": float("inf")})  # the 2-D lab's, before any sample lands near a mode
        log.metrics(1, {"reverse_kl": 0.5})
        log.close()
    assert not caplog.records
    assert [e.value for e in read(tmp_path / EVENTS_DIR).Scalars("metrics/reverse_kl")] == [float("inf"), 0.5]
