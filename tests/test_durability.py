"""One process per run, durable files, a torn history after kill -9, a full disk: nothing lost."""

import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from trainers.errors import UserFacingError
from trainers.loop import LoopSettings, TrainControl
from trainers.run import FINISHING_ALONE, LOCK_FILE, RunDir, build_model, load_model
from trainers.session import open_trainer

pytestmark = pytest.mark.timeout(240)
FAMILY = "gauss1d"  # numpy only: the fastest family to train for real


def new_run(tmp_path, steps=20):
    from trainers.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                FAMILY,
                "--steps",
                str(steps),
                "--out",
                str(out),
                "--checkpoint-every",
                "10",
                "--config",
                "pretrain=false",
            ]
        )
        == 0
    )
    return RunDir(out)


def settings(steps):
    return LoopSettings(steps=steps, batch_size=16, checkpoint_every=10)


def test_a_second_trainer_of_the_same_run_gets_one_line_naming_the_holder(tmp_path):
    run = new_run(tmp_path)
    first, start = open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    with pytest.raises(UserFacingError, match=f"being trained by process {os.getpid()}") as err:
        open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    assert "\n" not in str(err.value)
    assert load_model(run.path) is not None  # reading it (the explorer) works meanwhile
    first.run_loop(lambda _: None, start_step=start)
    second, start = open_trainer(run, run.read_info(), True, settings(50), lambda _: None)  # released at the end
    assert second.run_loop(lambda _: None, start_step=start) == 50


def test_a_run_finishing_alone_after_its_window_closed_says_to_wait_not_to_stop_it(tmp_path):
    run = new_run(tmp_path)
    first, _ = open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    first._lock.finishing_alone()
    with pytest.raises(UserFacingError, match="still being saved by process .* try again in a few seconds"):
        open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    first._lock.release()
    # the loop marks its lock so when its window has let it go (TrainingProcess.let_finish_alone)
    again, start = open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    control = TrainControl()
    control.stop_listening()
    assert again.run_loop(lambda _: None, control, start_step=start) == start
    assert (run.path / LOCK_FILE).read_text().endswith(FINISHING_ALONE)


def cli(*args):
    return [sys.executable, "-m", "trainers.cli", *args]


def test_a_killed_trainer_leaves_no_stale_lock_and_a_resumable_run(tmp_path):
    out = tmp_path / "run"
    trainer = subprocess.Popen(
        cli(
            "train",
            FAMILY,
            "--steps",
            "10000000",
            "--out",
            str(out),
            "--checkpoint-every",
            "50",
            "--config",
            "pretrain=false",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "checkpoint.npz").exists() or RunDir(out).read_info().step < 100:
            assert time.monotonic() < deadline and trainer.poll() is None
            time.sleep(0.1)
        busy = subprocess.run(
            cli("train", FAMILY, "--steps", "10", "--out", str(out), "--resume"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert busy.returncode == 2 and f"being trained by process {trainer.pid}" in busy.stderr
    finally:
        trainer.send_signal(signal.SIGKILL)
        trainer.wait()
    with np.load(out / "checkpoint.npz") as f:
        step = int(f["__step__"])  # the truth: a kill can land between the checkpoint and run.json
    with open(out / "history.csv", "a") as f:
        f.write("99999999,0.5,0.")  # a line torn by the kill
    resumed = subprocess.run(
        cli("train", FAMILY, "--steps", str(step + 30), "--out", str(out), "--resume"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    steps = [int(line.split(",")[0]) for line in (out / "history.csv").read_text().splitlines()[1:]]
    assert steps == list(range(1, step + 31))  # no torn line, no steps past the checkpoint, no gap


def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    run = new_run(tmp_path)
    before = (run.path / "checkpoint.npz").read_bytes()
    trainer, start = open_trainer(run, run.read_info(), True, settings(40), lambda _: None)
    import trainers.images

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(trainers.images.os, "fsync", no_space)
    with pytest.raises(UserFacingError, match="the disk is full") as err:
        trainer.run_loop(lambda _: None, start_step=start)
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    assert (run.path / "checkpoint.npz").read_bytes() == before  # the last complete checkpoint
    assert not [p for p in run.path.iterdir() if p.name.startswith(".checkpoint")]  # no temporary left
    model = build_model(FAMILY, run.read_info().config)
    assert run.load_checkpoint(model) == 20 and np.all(np.isfinite(model.evenly_spaced_samples(100)))


def test_the_cli_reports_a_full_disk_in_one_line(tmp_path):
    code = (
        "import errno, sys, trainers.images as i\n"
        "def full(fd): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "i.os.fsync = full\n"
        "from trainers.cli import main\n"
        f"sys.exit(main(['train', '{FAMILY}', '--steps', '5', '--out', r'{tmp_path / 'r'}']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "disk is full" in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
