"""The training process behind the desktop app: messages, control across the process boundary, a crash."""

import os
import signal

import pytest

from trainers.run import RunDir, build_model
from trainers.session import TrainingProcess, TrainingRequest
from trainers.updates import Failed, Finished, GeneratorSnapshot, Notice, StepFigures

pytestmark = pytest.mark.timeout(240)


def request(tmp_path, steps, **kw):
    return TrainingRequest(
        "infogan",
        tmp_path / "run",
        steps,
        batch_size=8,
        data="bundled",
        grid_every=2,
        checkpoint_every=2,
        metrics_every=0,
        **kw,
    )


def test_a_session_trains_in_its_own_process_and_reports_plain_updates(tmp_path):
    process = TrainingProcess(request(tmp_path, 3))
    process.start()
    messages = [m for batch in process.messages() for m in batch]
    kinds = {type(m) for m in messages}
    assert Failed not in kinds and Notice in kinds
    assert [m.step for m in messages if isinstance(m, StepFigures)] == [1, 2, 3]
    assert isinstance(messages[-1], Finished) and isinstance(messages[-2], GeneratorSnapshot)
    assert RunDir(tmp_path / "run").read_info().step == 3
    assert not process.alive


def test_stop_crosses_the_process_boundary_and_keeps_a_checkpoint(tmp_path):
    process = TrainingProcess(request(tmp_path, 10**6))
    process.start()
    for batch in process.messages():
        if any(isinstance(m, StepFigures) and m.step >= 2 for m in batch):
            process.control.stop()
    run = RunDir(tmp_path / "run")
    assert run.checkpoint_path.is_file() and run.read_info().step >= 2


def test_a_crashed_process_is_reported_in_one_sentence_and_its_checkpoint_kept(tmp_path):
    process = TrainingProcess(request(tmp_path, 10**6))
    process.start()
    failures = []
    for batch in process.messages():
        if any(isinstance(m, StepFigures) and m.step >= 3 for m in batch) and not failures:
            os.kill(process.pid, signal.SIGKILL)
        failures += [m.text for m in batch if isinstance(m, Failed)]
    assert len(failures) == 1 and "ended unexpectedly" in failures[0] and "\n" not in failures[0]
    run = RunDir(tmp_path / "run")
    step = run.read_info().step
    assert step >= 2 and step % 2 == 0  # a checkpoint written on schedule, not a torn one
    assert run.load_checkpoint(build_model("infogan", run.read_info().config)) == step
