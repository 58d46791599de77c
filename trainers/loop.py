"""The one training loop, driven by the CLI and by the app's training process alike.

It talks to the outside only through plain data: the frozen messages of trainers.updates to a
callback, and a thread- and process-safe `TrainControl` for pause/resume/step/stop. It knows
nothing GAN-specific beyond the family contract it calls.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from trainers.alarms import CollapseWatch
from trainers.errors import TrainingDiverged, UserFacingError
from trainers.event_log import EventLog
from trainers.images import save_png
from trainers.run import RunDir
from trainers.updates import (
    Alarm,
    Finished,
    GeneratorSnapshot,
    LiveMetrics,
    Notice,
    PreparationProgress,
    SampleSnapshot,
    StepFigures,
)


class TrainControl:
    """Pause, resume and stop from any thread (or process); the loop checks between steps."""

    def __init__(self, events=threading):
        """`events` makes the flags: `threading`, or a multiprocessing context to cross processes."""
        self._running = events.Event()
        self._running.set()
        self._stop = events.Event()
        self._writing = events.Event()  # the run's folder is being written (set before its first file)
        self._unheard = events.Event()  # nobody reads the messages any more: the window has closed
        self._save = events.Event()
        self._snapshot = events.Event()
        self._single_step = events.Event()
        # one network alone, for the families that can (GanFamily.partial_steps): GAN Lab's "step D / step G"
        self._part_steps = {part: events.Event() for part in PARTS}
        self._pace = events.Value("d", 0.0) if hasattr(events, "Value") else _Holder()  # slow motion
        self._changes = events.Queue() if hasattr(events, "Queue") else queue.Queue()  # live settings
        if hasattr(self._changes, "cancel_join_thread"):
            self._changes.cancel_join_thread()  # a window closing never waits on a change nobody will read

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    def stop(self):
        self._stop.set()
        self._running.set()

    def stop_listening(self) -> None:
        """The window leaves before the run has finished: stop, and wait for no one to read the last messages."""
        self._unheard.set()
        self.stop()

    @property
    def unheard(self) -> bool:
        return self._unheard.is_set()

    def mark_writing(self) -> None:
        self._writing.set()

    @property
    def writing(self) -> bool:
        """Whether the run has begun writing its folder: until then (imports, data, building the model) there
        is nothing of it to finish, and a window closing may end the process at once."""
        return self._writing.is_set()

    def request_checkpoint(self):
        self._save.set()

    def take_checkpoint_request(self) -> bool:
        return _take(self._save)

    def request_single_step(self):
        """While paused: train exactly one more step, then stay paused."""
        self._single_step.set()

    def take_single_step_request(self) -> bool:
        return _take(self._single_step)

    def request_part_step(self, part: str):
        """While paused: update only `part` ("discriminator" or "generator") once; the step count stays."""
        self._part_steps[part].set()

    def take_part_step_request(self) -> str | None:
        return next((part for part, event in self._part_steps.items() if _take(event)), None)

    def change_settings(self, changes: dict) -> None:
        """New values for some of the family's live_settings, applied before the next step."""
        self._changes.put(dict(changes))

    def take_setting_changes(self) -> list[dict]:
        """Every change asked for since the last call, in order (each applied, or refused, on its own)."""
        changes: list[dict] = []
        while True:
            try:
                changes.append(self._changes.get_nowait())
            except queue.Empty:
                return changes

    def set_pace(self, steps_per_second: float) -> None:
        """Slow motion: at most this many steps a second, one at a time, each shown; 0 = full speed."""
        self._pace.value = float(max(steps_per_second, 0.0))

    def wait_for_pace(self, seconds: float) -> None:
        """Sleep between slow-motion steps; a stop, a pause or a new pace ends it early."""
        pace, until = self._pace.value, time.perf_counter() + seconds
        while time.perf_counter() < until and not self._stop.is_set() and self._running.is_set():
            if self._pace.value != pace:
                return
            self._stop.wait(min(0.02, max(until - time.perf_counter(), 0.0)))

    @property
    def pause_between_steps(self) -> float:
        pace = self._pace.value
        return 1.0 / pace if pace > 0 else 0.0

    def request_snapshot(self):
        """Ask for the generator's current weights (served between steps, also while paused)."""
        self._snapshot.set()

    def take_snapshot_request(self) -> bool:
        return _take(self._snapshot)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self, service=lambda: None) -> None:
        """Block while paused, serving requests; returns at once for a single step."""
        while not self._running.wait(0.02):
            if self._single_step.is_set() or any(e.is_set() for e in self._part_steps.values()):
                return
            service()


PARTS = ("discriminator", "generator")


class _Holder:
    value = 0.0


def _take(event: threading.Event) -> bool:
    """True once per request: reads and clears the flag."""
    requested = event.is_set()
    event.clear()
    return requested


@dataclass
class LoopSettings:
    """How one run trains; new runs take their values from the family's TrainingDefaults."""

    steps: int  # train until this total step count
    batch_size: int
    grid_every: int = 0  # sample snapshots; 0 = only at the start and the end
    checkpoint_every: int = 0  # 0 = only at the end
    metrics_every: int = 0  # 0 = no live metrics
    seed: int = 0
    generator_warmup_steps: int = 0  # steps (counted from the run's start) with the generators frozen
    steps_per_call: int = 0  # training steps per compiled call; 0 = chosen from the measured step time

    @classmethod
    def from_defaults(cls, defaults, **changes) -> LoopSettings:
        """`defaults` (a TrainingDefaults) with any non-None `changes`."""
        d = defaults.with_changes(**{k: v for k, v in changes.items() if k in defaults.__dataclass_fields__})
        extra = {k: v for k, v in changes.items() if k not in defaults.__dataclass_fields__ and v is not None}
        return cls(
            steps=d.steps,
            batch_size=d.batch_size,
            grid_every=d.grid_every,
            checkpoint_every=d.checkpoint_every,
            metrics_every=d.metrics_every,
            **extra,
        )


CALL_BUDGET_S = 0.05  # one compiled call at most this long: the window updates ≥ 10×/s, Stop answers in ≤ 0.2 s
MAX_STEPS_PER_CALL = 64


class StepsPerCall:
    """How many steps the next compiled call runs: as many as fit in CALL_BUDGET_S, a power of two (so a
    backend that compiles per k compiles a few loops only), learnt from calls of a k already compiled."""

    def __init__(self, fixed: int = 0):
        self.fixed = fixed
        self.auto = 1
        self._seen: set[int] = set()

    def choose(self, room: int) -> int:
        """`room`: steps before the next scheduled event (grid, metrics, checkpoint, warm-up end, the end)."""
        wanted = min(self.fixed or self.auto, room)
        return 1 << (max(wanted, 1).bit_length() - 1)

    def measured(self, k: int, seconds: float) -> None:
        first_of_its_k = k not in self._seen
        self._seen.add(k)
        if first_of_its_k or self.fixed:  # a first call of its k includes tracing: not a step time
            return
        per_step = seconds / k
        self.auto = max(1, min(MAX_STEPS_PER_CALL, int(CALL_BUDGET_S / max(per_step, 1e-9))))


class Trainer:
    def __init__(
        self, model, dataset, run: RunDir, settings: LoopSettings, metrics_fn: Callable | None = None, lock=None
    ):
        self.model, self.dataset, self.run, self.settings = model, dataset, run, settings
        self.metrics_fn = metrics_fn
        self._lock = lock  # the run's RunLock, released when the loop ends
        self.step = 0
        self._history: list[dict] = []  # loss rows not yet on disk: written before every checkpoint
        self._generators_frozen: bool | None = None  # unknown until the first step sets it
        self._snapshot_step: int | None = None  # the step of the last sample snapshot sent
        self._live_changes: list[dict] = []  # settings changed while training, not yet in run.json
        self._parts_unsaved = False  # a network updated alone since the last checkpoint
        self.watch = CollapseWatch()
        self.steps_per_call = StepsPerCall(settings.steps_per_call)
        self.events = EventLog(run.path)  # TensorBoard

    def snapshot(self, keep: bool = True) -> SampleSnapshot:
        """What the fixed latents give now; image grids on the schedule are kept in the run's grids/ folder and
        TensorBoard too (keep=False: slow motion's frame of every step is shown, not filed)."""
        self._snapshot_step = self.step
        preview = self.model.preview()
        if keep and isinstance(preview, np.ndarray) and preview.dtype == np.uint8:
            save_png(self.run.grids / f"step_{self.step:06d}.png", preview, scale=2)
            self.events.samples(self.step, preview)
        return SampleSnapshot(self.step, preview)

    def run_loop(
        self, on_update: Callable[[object], None], control: TrainControl | None = None, start_step: int = 0
    ) -> int:
        """Train from start_step to settings.steps; returns the step reached. Checkpoints on exit."""
        try:
            return self._run_loop(on_update, control or TrainControl(), start_step)
        finally:
            self.events.close(self.step)
            if self._lock is not None:
                self._lock.release()

    def _run_loop(self, on_update, control: TrainControl, start_step: int) -> int:
        s = self.settings
        self.step = start_step
        batches = self.model.batches(self.dataset, s.batch_size, seed=s.seed + start_step)
        if not self.model.prepared:
            self._prepare(on_update, control)
        if not self.run.checkpoint_path.exists():
            self._checkpoint()  # a run that diverges at its first step still leaves one to resume from
        self._history = []
        started = time.perf_counter()
        window_start, window_steps = started, 0
        rate = 0.0
        if self.model.prepared and not control.stopped:
            on_update(self.snapshot())  # a first look before any step (step 0 of a new run)
            if start_step == 0 and self.metrics_fn and s.metrics_every:
                self._measure(on_update)  # the metrics panel starts with a figure, not empty until the first interval
        in_pause = False
        try:
            while self.step < s.steps and not control.stopped:
                if control.paused:  # out of a pause for one step, or for good
                    if not in_pause:  # said once, after every update sent so far
                        on_update(Notice(f"Paused at step {self.step:,}."))
                    in_pause = True
                    control.wait_while_paused(lambda: self._serve_while_paused(control, on_update))
                    part = control.take_part_step_request()
                    if part is not None and not control.stopped:
                        self._apply_setting_changes(control, on_update)
                        self._train_part(part, batches, on_update)
                        continue  # back to the pause (a Step asked for beside it is still waiting)
                    control.take_single_step_request()
                if control.stopped:
                    break
                in_pause = control.paused  # still paused: this is a single step
                self._serve_snapshot(control, on_update)
                self._apply_setting_changes(control, on_update)
                self._freeze_generators_during_warmup()
                slow = control.pause_between_steps
                k = 1 if control.paused or slow else self.steps_per_call.choose(self._room())
                call_start = time.perf_counter()
                all_losses = self.model.train_steps([batches.next() for _ in range(k)])
                self.steps_per_call.measured(k, time.perf_counter() - call_start)
                for losses in all_losses:
                    self._check_finite(losses)
                    self.step += 1
                    window_steps += 1
                    self._history.append({"step": self.step, **losses})
                    now = time.perf_counter()
                    if now - window_start >= 1.0:
                        rate, window_start, window_steps = window_steps / (now - window_start), now, 0
                    frozen = bool(self._generators_frozen)
                    on_update(StepFigures(self.step, s.steps, losses, rate, now - started, generators_frozen=frozen))
                    self.events.losses(self.step, losses)
                    self._raise(self.watch.on_losses(self.step, losses), on_update)
                self._on_schedule(on_update)
                if slow:  # slow motion: every step is shown
                    if self._snapshot_step != self.step:
                        on_update(self.snapshot(keep=False))
                    control.wait_for_pace(slow)
                if control.take_checkpoint_request():
                    self._checkpoint()
                    on_update(Notice(f"Checkpoint saved at step {self.step}."))
        finally:
            self._flush_history()
        if control.unheard and self._lock is not None:
            self._lock.finishing_alone()
        if self.step > start_step or self._live_changes or self._parts_unsaved or not self.run.checkpoint_path.exists():
            self._checkpoint()  # what a pause changed (settings, one network's updates) is kept too
        if self._snapshot_step != self.step:
            on_update(self.snapshot())
        on_update(self.generator_snapshot())
        on_update(
            Finished(
                self.step,
                s.steps,
                f"Stopped at step {self.step}; checkpoint saved in {self.run.path}.",
                time.perf_counter() - started,
            )
        )
        return self.step

    def generator_snapshot(self) -> GeneratorSnapshot:
        m = self.model
        return GeneratorSnapshot(self.step, m.name, m.config_dict(), m.state(generators_only=True))

    def _room(self) -> int:
        """Steps until the next scheduled event, so a k-step call never jumps over one."""
        s = self.settings
        room = s.steps - self.step
        for every in (s.grid_every, s.checkpoint_every, s.metrics_every if self.metrics_fn else 0):
            if every:
                room = min(room, every - self.step % every)
        if self.step < s.generator_warmup_steps:
            room = min(room, s.generator_warmup_steps - self.step)
        return room

    def _serve_while_paused(self, control: TrainControl, on_update) -> None:
        self._serve_snapshot(control, on_update)
        self._apply_setting_changes(control, on_update)

    def _apply_setting_changes(self, control: TrainControl, on_update) -> None:
        """Settings changed in the window while the run trains: applied between steps, said in one line and
        kept in run.json (a bad value is refused with one line; the run goes on as it was)."""
        for changes in control.take_setting_changes():
            self._apply_settings(changes, on_update)

    def _apply_settings(self, changes: dict, on_update) -> None:
        before = self.model.config_dict()
        try:
            said = self.model.apply_settings(changes)
        except (UserFacingError, NotImplementedError) as exc:
            on_update(Notice(f"Setting not changed: {exc}"))
            return
        changed = {k: v for k, v in self.model.config_dict().items() if before.get(k) != v}
        if not changed:
            return
        self._live_changes.append({"step": self.step, **changed})  # into run.json with the next checkpoint
        on_update(Notice(f"Step {self.step:,}: {said}."))

    def _train_part(self, part: str, batches, on_update) -> None:
        """One update of D or of G alone (a family's partial_steps); shown at once, not counted as a step."""
        if part not in self.model.partial_steps:
            on_update(Notice(f"This family cannot update the {part} alone; use Step."))
            return
        losses = self.model.train_part(part, *batches.next())
        self._check_finite(losses)
        self._parts_unsaved = True
        on_update(Notice(f"Updated the {part} alone ({', '.join(f'{k} {v:.3f}' for k, v in losses.items())})."))
        on_update(self.snapshot())

    def _freeze_generators_during_warmup(self) -> None:
        warmup = self.settings.generator_warmup_steps
        if not warmup:
            return  # a run without a warm-up never touches its optimizers' rates
        frozen = self.step < warmup
        if frozen != self._generators_frozen:
            self.model.freeze_generators(frozen)
            self._generators_frozen = frozen

    def _serve_snapshot(self, control: TrainControl, on_update) -> None:
        if control.take_snapshot_request() and self.model.prepared:
            on_update(self.generator_snapshot())

    def _on_schedule(self, on_update) -> None:
        """Snapshots, metrics and checkpoints on their schedules."""
        s = self.settings
        if s.grid_every and self.step % s.grid_every == 0:
            on_update(self.snapshot())
        if self.metrics_fn and s.metrics_every and self.step % s.metrics_every == 0:
            self._measure(on_update)
        if s.checkpoint_every and self.step % s.checkpoint_every == 0:
            self._checkpoint()

    def _measure(self, on_update) -> None:
        assert self.metrics_fn is not None
        values = self.metrics_fn(self.model)
        self.run.append_history([{"step": self.step, **values}], name="metrics.csv")
        on_update(LiveMetrics(self.step, values))
        self.events.metrics(self.step, values)
        self._raise(self.watch.on_metrics(self.step, values), on_update)

    def _raise(self, alarm: str | None, on_update) -> None:
        if alarm is not None:
            self.run.append_alarm(self.step, alarm)
            on_update(Alarm(self.step, alarm))

    def _checkpoint(self) -> None:
        # the rows first: a kill between the two leaves rows past the checkpoint, which a resume trims
        # (RunDir.repair_history), never a checkpoint past the rows, a gap nothing could fill
        self._flush_history()
        self.run.save_checkpoint(self.model, self.step)
        self._parts_unsaved = False
        if self._live_changes:  # a resume goes on with the settings of the weights it reads
            info = self.run.read_info()
            for change in self._live_changes:
                info.config.update({k: v for k, v in change.items() if k != "step"})
            info.changes += self._live_changes
            self.run.write_info(info)
            self._live_changes = []

    def _flush_history(self) -> None:
        rows, self._history = self._history, []
        self.run.append_history(rows)

    def _check_finite(self, losses: dict) -> None:
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(
                f"Training diverged at step {self.step + 1} ({', '.join(bad)} not finite); "
                + self.run.kept_checkpoint()
            )

    def _prepare(self, on_update, control: TrainControl) -> None:
        def progress(phase: str, fraction: float, figures: dict) -> bool:
            on_update(PreparationProgress(phase, fraction, figures))
            return control.stopped  # True asks the family to cut its preparation short

        figures = self.model.prepare(self.dataset, progress)
        info = self.run.read_info()
        info.prepare = figures
        self.run.write_info(info)
        self._checkpoint()
