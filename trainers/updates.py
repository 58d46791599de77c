"""What the training side tells the outside: one small frozen dataclass per kind of message.

Everything here is plain data (floats, ints, strings, numpy arrays), so it crosses threads and
processes as it is; receivers dispatch on the type, never on a string field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StepFigures:
    """The figures of one training step."""

    step: int
    total_steps: int
    losses: dict = field(default_factory=dict)  # name -> float
    steps_per_s: float = 0.0
    elapsed_s: float = 0.0
    generators_frozen: bool = False  # this step was part of a fine-tune's discriminator warm-up


@dataclass(frozen=True)
class PreparationProgress:
    """Work before the first GAN step (a family's own, e.g. pretraining an encoder or a discriminator)."""

    text: str
    fraction: float
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SampleSnapshot:
    """What the fixed latents generate now: the sample kind's preview (an image grid, a 1-D frame)."""

    step: int
    preview: object


@dataclass(frozen=True)
class LiveMetrics:
    step: int
    values: dict  # name -> float


@dataclass(frozen=True)
class Notice:
    """One line for the status bar or the terminal."""

    text: str


@dataclass(frozen=True)
class Alarm:
    """A warning the user should see while training goes on (trainers.alarms: signs of mode collapse)."""

    step: int
    text: str


@dataclass(frozen=True)
class GeneratorSnapshot:
    """The generator's weights as they are now, for the explorer."""

    step: int
    family: str
    config: dict
    arrays: dict  # name -> numpy array


@dataclass(frozen=True)
class Finished:
    """The loop ended (all steps done or stopped); a checkpoint was written."""

    step: int
    total_steps: int
    text: str
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class Failed:
    """The run could not go on; `text` is one line saying what and how to fix it."""

    text: str


def is_plain(value) -> bool:
    """True for the payloads these messages may carry (tests hold every message to it)."""
    if isinstance(value, (bool, int, float, str, type(None), np.ndarray, np.generic)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return all(is_plain(getattr(value, name)) for name in value.__dataclass_fields__)
    return False
