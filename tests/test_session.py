"""The training process behind the desktop app: messages, control across the process boundary, a crash."""
import os
import signal

import pytest

from trainers.run import RunDir, build_model
from trainers.session import TrainingProcess, TrainingRequest

pytestmark = pytest.mark.timeout(240)


def request(tmp_path, steps, **kw):
    return TrainingRequest("infogan", tmp_path / "run", steps, batch_size=8, data="bundled", grid_every=2,
                           checkpoint_every=2, metrics_every=0, **kw)


def test_a_session_trains_in_its_own_process_and_reports_plain_updates(tmp_path):
    process = TrainingProcess(request(tmp_path, 3))
    process.start()
    messages = list(process.messages())
    kinds = {kind for kind, _ in messages}
    updates = [payload for kind, payload in messages if kind == "update"]
    assert "failed" not in kinds and "notice" in kinds
    assert [u.step for u in updates if u.phase == "train"] == [1, 2, 3]
    assert updates[-1].phase == "done" and updates[-1].generator is not None
    assert RunDir(tmp_path / "run").read_info().step == 3
    assert not process.alive


def test_stop_crosses_the_process_boundary_and_keeps_a_checkpoint(tmp_path):
    process = TrainingProcess(request(tmp_path, 10**6))
    process.start()
    for kind, payload in process.messages():
        if kind == "update" and payload.step >= 2:
            process.control.stop()
    run = RunDir(tmp_path / "run")
    assert run.checkpoint_path.is_file() and run.read_info().step >= 2


def test_a_crashed_process_is_reported_in_one_sentence_and_its_checkpoint_kept(tmp_path):
    process = TrainingProcess(request(tmp_path, 10**6))
    process.start()
    failures = []
    for kind, payload in process.messages():
        if kind == "update" and payload.step == 3:
            os.kill(process.pid, signal.SIGKILL)
        if kind == "failed":
            failures.append(payload)
    assert len(failures) == 1 and "ended unexpectedly" in failures[0] and "\n" not in failures[0]
    run = RunDir(tmp_path / "run")
    step = run.read_info().step
    assert step >= 2 and step % 2 == 0  # a checkpoint written on schedule, not a torn one
    assert run.load_checkpoint(build_model("infogan", run.read_info().config)) == step
