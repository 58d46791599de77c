"""The one training loop, driven by the CLI and by the GUI's QThread alike.

It talks to the outside only through plain data: `TrainingUpdate` payloads to a callback and
a thread-safe `TrainControl` for pause/resume/stop.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from trainers.data import BatchSampler, Dataset
from trainers.errors import TrainingDiverged
from trainers.images import make_grid, save_png
from trainers.run import RunDir


@dataclass(frozen=True)
class TrainingUpdate:
    step: int
    total_steps: int
    phase: str                      # "prepare" (e.g. encoder pretraining), "train", "done"
    losses: dict = field(default_factory=dict)
    steps_per_s: float = 0.0
    elapsed_s: float = 0.0
    grid: np.ndarray | None = None  # uint8 sample grid, 10 columns = digits 0-9
    metrics: dict | None = None     # live quality metrics (label accuracy, Fréchet distance)
    message: str | None = None
    fraction: float | None = None   # progress of a "prepare" phase
    generator: tuple | None = None  # (family, config dict, {name: numpy weights}) when asked for
    generators_frozen: bool = False  # this step was part of a fine-tune's discriminator warm-up


class TrainControl:
    """Pause, resume and stop from any thread (or process); the loop checks between steps."""

    def __init__(self, events=threading):
        """`events` makes the flags: `threading`, or a multiprocessing context to cross processes."""
        self._running = events.Event()
        self._running.set()
        self._stop = events.Event()
        self._save = events.Event()
        self._snapshot = events.Event()

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    def stop(self):
        self._stop.set()
        self._running.set()

    def request_checkpoint(self):
        self._save.set()

    def take_checkpoint_request(self) -> bool:
        return _take(self._save)

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
        while not self._running.wait(0.1):
            service()


def _take(event: threading.Event) -> bool:
    """True once per request: reads and clears the flag."""
    requested = event.is_set()
    event.clear()
    return requested


@dataclass
class LoopSettings:
    steps: int                      # train until this total step count
    batch_size: int = 64
    grid_every: int = 500
    checkpoint_every: int = 1000
    metrics_every: int = 0          # 0 = no live metrics
    seed: int = 0
    generator_warmup_steps: int = 0  # steps (counted from the run's start) with the generators frozen


class Trainer:
    def __init__(self, model, dataset: Dataset, run: RunDir, settings: LoopSettings,
                 metrics_fn: Callable | None = None):
        self.model, self.dataset, self.run, self.settings = model, dataset, run, settings
        self.metrics_fn = metrics_fn
        self.grid_latents = model.latent_spec.grid_latents()
        self.step = 0
        self._generators_frozen: bool | None = None  # unknown until the first step sets it

    def grid(self) -> np.ndarray:
        return make_grid(self.model.generate_arrays(self.grid_latents), cols=10)

    def run_loop(self, on_update: Callable[[TrainingUpdate], None], control: TrainControl | None = None,
                 start_step: int = 0) -> int:
        """Train from start_step to settings.steps; returns the step reached. Checkpoints on exit."""
        control = control or TrainControl()
        s = self.settings
        self.step = start_step
        if not self.model.prepared:
            self._prepare(on_update, control)
        sampler = BatchSampler(self.dataset, s.batch_size, seed=s.seed + start_step)
        history: list[dict] = []
        started = time.perf_counter()
        window_start, window_steps = started, 0
        rate = 0.0
        try:
            while self.step < s.steps and not control.stopped:
                control.wait_while_paused(lambda: self._serve_snapshot(control, on_update))
                if control.stopped:
                    break
                self._serve_snapshot(control, on_update)
                self._freeze_generators_during_warmup()
                losses = self.model.train_step(*sampler.next())
                self._check_finite(losses)
                self.step += 1
                window_steps += 1
                history.append({"step": self.step, **losses})
                now = time.perf_counter()
                if now - window_start >= 1.0:
                    rate, window_start, window_steps = window_steps / (now - window_start), now, 0
                on_update(self._update(losses, rate, now - started, self._extras(history)))
                if control.take_checkpoint_request():
                    self._checkpoint()
                    on_update(TrainingUpdate(self.step, s.steps, "train", losses, rate, now - started,
                                             message=f"Checkpoint saved at step {self.step}."))
        finally:
            self.run.append_history(history)
        if self.step > start_step or not self.run.checkpoint_path.exists():
            self._checkpoint()
        grid = self.grid()
        save_png(self.run.grids / f"step_{self.step:06d}.png", grid, scale=2)
        on_update(TrainingUpdate(self.step, s.steps, "done", {}, rate, time.perf_counter() - started, grid=grid,
                                 message=f"Stopped at step {self.step}; checkpoint saved in {self.run.path}.",
                                 generator=self.generator_snapshot()))
        return self.step

    def generator_snapshot(self) -> tuple:
        m = self.model
        return m.name, m.config_dict(), m.state(generators_only=True)

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
            on_update(TrainingUpdate(self.step, self.settings.steps, "snapshot", generator=self.generator_snapshot()))

    def _extras(self, history: list[dict]) -> dict:
        """Grid, metrics and checkpoint on their schedules; flushes the loss history with checkpoints."""
        s, extras = self.settings, {}
        if s.grid_every and self.step % s.grid_every == 0:
            extras["grid"] = self.grid()
            save_png(self.run.grids / f"step_{self.step:06d}.png", extras["grid"], scale=2)
        if self.metrics_fn and s.metrics_every and self.step % s.metrics_every == 0:
            extras["metrics"] = {"step": self.step, **self.metrics_fn(self.model)}
            self.run.append_history([extras["metrics"]], name="metrics.csv")
        if s.checkpoint_every and self.step % s.checkpoint_every == 0:
            self._checkpoint()
            self.run.append_history(history)
            history.clear()
        return extras

    def _update(self, losses, rate, elapsed, extras) -> TrainingUpdate:
        return TrainingUpdate(self.step, self.settings.steps, "train", losses, rate, elapsed,
                              generators_frozen=bool(self._generators_frozen), **extras)

    def _checkpoint(self) -> None:
        self.run.save_checkpoint(self.model, self.step)

    def _check_finite(self, losses: dict) -> None:
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(
                f"Training diverged at step {self.step + 1} ({', '.join(bad)} not finite); the last good "
                f"checkpoint in {self.run.path} is kept: resume from it with a lower learning rate."
            )

    def _prepare(self, on_update, control: TrainControl) -> None:
        def progress(phase: str, fraction: float, figures: dict) -> bool:
            on_update(TrainingUpdate(self.step, self.settings.steps, "prepare", figures, fraction=fraction,
                                     message=phase))
            return control.stopped  # True asks the family to cut its preparation short

        figures = self.model.prepare(self.dataset, progress)
        info = self.run.read_info()
        info.prepare = figures
        self.run.write_info(info)
        self._checkpoint()
