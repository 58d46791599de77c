"""The training process behind the desktop app: messages, control across the process boundary, a crash."""

import os
import signal

import pytest

from trainers.processes import running
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


@pytest.mark.long
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
    # plumbing, not a network: the 1-D lab's numpy process starts in a second, TensorFlow's in ten
    lab = TrainingRequest("gauss1d", tmp_path / "run", 10**9, checkpoint_every=10**8, metrics_every=0)
    process = TrainingProcess(lab)
    process.start()
    for batch in process.messages():
        if any(isinstance(m, StepFigures) and m.step >= 2 for m in batch):
            process.control.stop()
    run = RunDir(tmp_path / "run")
    assert run.checkpoint_path.is_file() and run.read_info().step >= 2


def test_a_process_that_has_not_begun_its_run_is_ended_at_once_and_silently(tmp_path):
    lab = TrainingRequest("gauss1d", tmp_path / "run", 10**9, metrics_every=0)
    process = TrainingProcess(lab)
    process.start()
    assert not process.control.writing  # still starting: nothing of the run written yet
    process.terminate()  # what a window closing now does, without waiting for a step
    assert [m for batch in process.messages() for m in batch] == [] and not process.alive
    assert not (tmp_path / "run").exists()
    finished = TrainingProcess(TrainingRequest("gauss1d", tmp_path / "done", 3, metrics_every=0))
    finished.start()
    list(finished.messages())
    assert finished.control.writing  # marked before its folder was made


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


ORPHAN_PARENT = """
import sys
from pathlib import Path
from trainers.session import TrainingProcess, TrainingRequest
from trainers.updates import StepFigures

request = TrainingRequest("gauss1d", Path(sys.argv[1]), 10**9, checkpoint_every=10**8, metrics_every=0)
process = TrainingProcess(request)
process.start()
for batch in process.messages():
    if any(isinstance(m, StepFigures) for m in batch):
        print(process.pid, flush=True)  # training: now this process is killed without a word
        break
input()
"""


def test_a_training_process_whose_window_is_killed_stops_with_its_checkpoint(tmp_path):
    import subprocess
    import sys
    import time

    from trainers.run import load_model

    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PARENT, str(tmp_path / "run")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    child = int(parent.stdout.readline())
    parent.kill()  # SIGKILL: the window cannot tell its training to stop
    parent.wait()
    deadline = time.monotonic() + 60  # a hang's limit, not a timing: the child stops at its next step
    while time.monotonic() < deadline and running(child):
        time.sleep(0.1)
    outlived = running(child)
    if outlived:
        os.kill(child, signal.SIGKILL)  # leave no process behind, even failing
    assert not outlived, "the training process outlived its window"
    run = RunDir(tmp_path / "run")
    assert run.read_info().step > 0 and load_model(tmp_path / "run").title  # its work kept, and it loads
