"""TensorBoard event files for every run (RUN/tensorboard): each loss and accuracy, the live metrics,
and the sample grids as images, so `tensorboard --logdir runs` shows runs beside each other.

Written with tensorboardX (protobuf only: the 1-D lab need not import TensorFlow for it). A run whose
event files cannot be written (a full disk) still trains, or fails on its own records: history.csv,
checkpoints and grids are the record of the run, these files a view of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EVENTS_DIR = "tensorboard"


class EventLog:
    """Opens its event file at the first value written; `close` flushes it (a later write opens a new one)."""

    def __init__(self, run_path: Path, loss_every: int = 10):
        self.folder = Path(run_path) / EVENTS_DIR
        self.loss_every = loss_every  # losses go in as means over this many steps: a write costs ~75 µs a value
        self._open_writer = None
        self._sums: dict[str, float] = {}
        self._count = 0
        self.failure: str | None = None  # why the event files stopped, if they did

    def _write(self, method: str, *args, **kwargs) -> None:
        """One call of the writer; a failure (a full disk) stops the event files, never the run."""
        if self.failure is not None:
            return
        try:
            if self._open_writer is None:
                import logging

                from tensorboardX import SummaryWriter

                # a measure undefined so far (the 2-D lab's reverse KL before any sample lands near a mode) is
                # written as NaN, which TensorBoard shows as a gap; tensorboardX would warn on the console each time
                logging.getLogger("tensorboardX.x2num").setLevel(logging.ERROR)
                self._open_writer = SummaryWriter(logdir=str(self.folder), flush_secs=10)
            getattr(self._open_writer, method)(*args, **kwargs)
        except OSError as exc:
            self.failure = f"TensorBoard files stopped: {exc.strerror or exc}"

    def losses(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1
        if self._count >= self.loss_every:
            self._write_loss_means(step)

    def _write_loss_means(self, step: int) -> None:
        for name, total in self._sums.items():
            group = "accuracy" if name.endswith("_acc") else "loss"
            self._write("add_scalar", f"{group}/{name}", total / self._count, step)
        self._sums, self._count = {}, 0

    def metrics(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            self._write("add_scalar", f"metrics/{name}", value, step)

    def samples(self, step: int, picture: np.ndarray) -> None:
        """A uint8 sample grid, grey (H, W) or colour (H, W, 3)."""
        self._write("add_image", "samples", picture, step, dataformats="HW" if picture.ndim == 2 else "HWC")

    def close(self, step: int | None = None) -> None:
        """Write what is left (the mean of the last steps, at `step`) and flush."""
        if self._count and step is not None:
            self._write_loss_means(step)
        if self._open_writer is not None:
            self._write("close")
            self._open_writer = None
