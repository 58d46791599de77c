"""A training session from a plain request, run in a child process for the desktop app.

Training and the explorer's renders both want every core of a small machine. In one process they
share TensorFlow's thread pools and the GIL, so a render waits behind training ops and the event
loop stalls. A child process at lower priority lets the OS hand the CPU to the window first, and
training still gets all of it while the window is idle.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import queue as queue_module
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from trainers.errors import IncompatibleCheckpoint, UserFacingError
from trainers.loop import TrainControl
from trainers.updates import Failed, Notice, StepFigures

CHILD_NICENESS = 19  # training takes what the window leaves: all of it while the window is idle
FLUSH_EVERY_S = 0.03  # a batch of step figures at least every 30 ms: plots stay live at 30 fps


@dataclass(frozen=True)
class TrainingRequest:
    """A run to start or resume; None takes the family's TrainingDefaults (trainers.families)."""

    family: str
    run_dir: Path
    steps: int | None = None
    batch_size: int | None = None
    data: str = "auto"
    resume: bool = False
    grid_every: int | None = None
    checkpoint_every: int | None = None
    metrics_every: int | None = None
    options: tuple = ()  # config fields, e.g. (("code_loss", "book"),)
    init_from: Path | None = None  # fine-tune: start from this run's or model's weights
    generator_warmup_steps: int = 0  # fine-tune: the discriminators train alone for this many steps first
    devices: str = "1"  # "1", "all" or a count: data-parallel on JAX (trainers.devices)


def open_trainer(
    run,
    info,
    resume: bool,
    settings,
    say: Callable[[str], None],
    devices: str = "1",
    changed: dict | None = None,
    before_writing: Callable[[], None] = lambda: None,
):
    """(Trainer, start step) for `info`: data loaded, model built (on `devices`: trainers.devices), the
    run created or its checkpoint loaded. The CLI and the app's training process both start here.
    `changed`: the settings a resume changes (trainers.run.with_resume_changes), kept only if the run's
    networks still load with them. `before_writing` is called just before the run's folder is first touched."""
    from trainers.devices import use_devices
    from trainers.families import family_class
    from trainers.loop import Trainer
    from trainers.run import build_model, family_config, init_weights

    devices_line = use_devices(devices, settings.batch_size)  # before any weights exist: they are replicated
    if devices_line:
        say(devices_line)
    cls = family_class(info.family)
    checked = family_config(info.family, info.config)
    config = asdict(checked)
    dataset = cls.load_data(info.data, checked)
    say(dataset.notice())
    fitted = cls.config_for_data(config, dataset)  # e.g. colour images: the model takes three channels
    if fitted != config and resume:
        raise UserFacingError(f"This run learnt from other data than {dataset.source}; resume it with its own data.")
    model = build_model(info.family, fitted)  # built once, for the data it will learn
    train_set, held_out = dataset.split()
    start = 0
    before_writing()
    if resume:
        lock = run.lock()  # one process per run: a second resume gets one line naming the holder
        try:
            start = _load_for_resume(run, model, changed or {})
            run.repair_history(start)
            if changed:
                run.write_info(info)
                say("Resuming with " + ", ".join(f"{k}={v}" for k, v in changed.items()) + f" from step {start}.")
        except BaseException:
            lock.release()
            raise
    else:
        if info.init_from:
            init_weights(model, Path(info.init_from))
        info.config = model.config_dict()
        run.make_folder()
        lock = run.lock()  # before run.json: a run starting in the same folder is not taken over
        try:
            run.create(info)
        except BaseException:
            lock.release()
            raise
    model.see_held_out(held_out)  # after any weights loaded: a fine-tune's source kept its own data's examples
    metrics_fn = cls.live_metrics(dataset, say) if settings.metrics_every else None
    return Trainer(model, train_set, run, settings, metrics_fn=metrics_fn, lock=lock), start


def _load_for_resume(run, model, changed: dict) -> int:
    try:
        return run.load_checkpoint(model)
    except IncompatibleCheckpoint:
        if not [k for k in changed if k != "batch_size"]:
            raise
        given = " ".join(f"--config {k}={v}" for k, v in changed.items() if k != "batch_size")
        raise UserFacingError(
            f"{given}: changes the shapes of the networks in {run.path}, which a resume keeps; leave it out, or "
            f"start a new run from these weights with --init-from {run.path}."
        ) from None


def run_session(
    request: TrainingRequest, on_update: Callable, on_notice: Callable[[str], None], control: TrainControl
) -> None:
    """Build (or resume) the run the request names and train it; raises UserFacingError on bad input."""
    from trainers.families import family_entry
    from trainers.loop import LoopSettings
    from trainers.run import RunDir, RunInfo

    r = request
    run = RunDir(r.run_dir)
    defaults = family_entry(r.family).defaults
    info = (
        run.read_info()
        if r.resume
        else RunInfo(
            r.family,
            dict(r.options),
            data=r.data,
            batch_size=r.batch_size or defaults.batch_size,
            init_from=str(r.init_from) if r.init_from else None,
            generator_warmup_steps=r.generator_warmup_steps,
        )
    )
    settings = LoopSettings.from_defaults(
        defaults,
        steps=r.steps,
        batch_size=info.batch_size,
        grid_every=r.grid_every,
        checkpoint_every=r.checkpoint_every,
        metrics_every=r.metrics_every,
        generator_warmup_steps=info.generator_warmup_steps,
    )
    trainer, start = open_trainer(
        run, info, r.resume, settings, on_notice, devices=r.devices, before_writing=control.mark_writing
    )
    trainer.run_loop(on_update, control, start_step=start)


class _Relay:
    """Sends the loop's messages to the window in small batches: a fast family trains thousands of
    steps a second, and one message per step would keep the window busy unpacking them."""

    def __init__(self, outbox, every_s: float = FLUSH_EVERY_S):
        self._outbox, self._every_s = outbox, every_s
        self._pending: list = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        threading.Thread(target=self._flush_periodically, daemon=True).start()

    def send(self, message) -> None:
        with self._lock:
            self._pending.append(message)
        if not isinstance(message, StepFigures):
            self.flush()  # anything but a step's figures goes out at once, behind the steps before it

    def flush(self) -> None:
        with self._lock:  # taken and put under one lock: batches leave in the order they were made
            pending, self._pending = self._pending, []
            if pending:
                self._outbox.put(pending)

    def _flush_periodically(self) -> None:
        while not self._done.wait(self._every_s):
            self.flush()

    def close(self) -> None:
        self._done.set()
        self.flush()
        self._outbox.put(None)  # the end


def _stop_when_the_parent_dies(control: TrainControl) -> threading.Event:
    """A window killed outright (SIGKILL, a crash) cannot stop its training: the process notices its parent
    is gone and stops at the next step, its checkpoint written, as if Stop had been pressed. The returned
    event is set once that happened (nobody reads the messages any more)."""
    orphaned = threading.Event()
    parent = multiprocessing.parent_process()
    if parent is None:
        return orphaned

    def watch() -> None:
        parent.join()  # returns when the parent's end of the sentinel pipe closes: it has died
        orphaned.set()
        control.stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    return orphaned


def _child_main(request: TrainingRequest, control: TrainControl, outbox) -> None:
    """Entry point of the training process: every outcome becomes a message, then the end."""
    try:
        os.nice(CHILD_NICENESS)
    except OSError:
        pass  # not allowed here: train at normal priority
    orphaned = _stop_when_the_parent_dies(control)
    relay = _Relay(outbox)
    try:
        run_session(request, relay.send, lambda text: relay.send(Notice(text)), control)
    except UserFacingError as exc:
        relay.send(Failed(str(exc)))
    except Exception as exc:  # the checkpoint on disk is untouched; say what happened in one line
        traceback.print_exc()
        relay.send(Failed(f"Training stopped by an unexpected error: {exc}"))
    finally:
        relay.close()
    # Everything is written and closed (the loop's finally) and the end is queued: leave without tearing
    # TensorFlow down, which took over 5 s on a busy machine and left the process alive after its last word.
    _send_the_rest(outbox, lambda: orphaned.is_set() or control.unheard)
    # os._exit skips multiprocessing's exit-time cleanup: release the named semaphores this process made
    # (tensorboardX's event queue), or the resource tracker warns of them on the console after the window has gone.
    multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]  # stable since Python 2.6
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _send_the_rest(outbox, unheard: Callable[[], bool], poll_s: float = 0.1) -> None:
    """Wait until the queued messages are in the pipe, or until nobody will read them: a window that closed
    or died reads no more, and the writer would block on a full pipe forever (the process still holds the
    pipe's other end, so the write never fails)."""
    outbox.close()
    writer = threading.Thread(target=outbox.join_thread, name="send-the-rest", daemon=True)
    writer.start()
    while writer.is_alive() and not unheard():
        writer.join(poll_s)


class TrainingProcess:
    """A session in a spawned child process. `control` works across the process boundary;
    `messages()` yields lists of trainers.updates messages until the child is done."""

    def __init__(self, request: TrainingRequest):
        context = multiprocessing.get_context("spawn")  # fork is unsafe with Qt and TF threads alive
        self.request = request
        self._terminated = False
        self.control = TrainControl(events=context)
        self._outbox = context.Queue()
        self._process = context.Process(
            target=_child_main, args=(request, self.control, self._outbox), name="gan-explorer-training", daemon=True
        )

    def start(self) -> None:
        from contextlib import nullcontext

        from trainers.devices import backend_for
        from trainers.families import family_entry
        from trainers.processes import numpy_worker_environment

        numpy_only = not family_entry(self.request.family).needs_tensorflow  # beside the window's own numpy
        with backend_for(self.request.devices), numpy_worker_environment() if numpy_only else nullcontext():
            self._process.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        """0 once it ended on its own, negative if killed, None while it runs."""
        return self._process.exitcode

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def messages(self, poll_s: float = 0.1) -> Iterator[list]:
        while not self.control.unheard:
            try:
                batch = self._outbox.get(timeout=poll_s)
            except queue_module.Empty:
                if self._process.is_alive():
                    continue
                if self._terminated or self.control.unheard:
                    return
                try:  # it may have finished between the poll and the liveness check
                    batch = self._outbox.get(timeout=poll_s)
                except queue_module.Empty:
                    yield [
                        Failed(
                            f"The training process ended unexpectedly (exit code {self._process.exitcode}); "
                            f"the last checkpoint in {self.request.run_dir} is kept."
                        )
                    ]
                    return
            if batch is None:
                self._process.join(timeout=5)
                return
            yield batch

    def let_finish_alone(self) -> None:
        """The window closes before the process has finished its step and checkpoint (a loaded machine runs
        it at low priority): it finishes alone and ends, its checkpoint written; `messages()` ends now."""
        self.control.stop_listening()
        # multiprocessing ends its daemon children when the parent exits; this one must outlive the window.
        getattr(multiprocessing.process, "_children", set()).discard(self._process)

    def terminate(self) -> None:
        """Last resort when the child does not stop in time (or has not begun writing its run): its last
        checkpoint on disk stays valid."""
        self._terminated = True  # ended on purpose: no "ended unexpectedly" line follows
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=2)
