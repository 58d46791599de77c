"""The mode-collapse alarm: signs in a run's own figures that the generator has stopped learning.

Two signs, each raised once per episode (again only after it has cleared):
- the discriminator tells real from fake almost perfectly for a long stretch of steps (the
  generator then gets next to no gradient: collapse, or a run that has failed);
- the live Fréchet distance has not improved on its best for many checks in a row.
Plain Python on the figures the loop already has; the loop sends what it returns as `Alarm`s.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

ACCURACY_KEYS = ("d_real_acc", "d_fake_acc")


@dataclass(frozen=True)
class AlarmSettings:
    window_steps: int = 500  # D's accuracies are averaged over this many steps
    stuck_accuracy: float = 0.98  # both averages at or above this: stuck near 1
    clear_accuracy: float = 0.90  # the alarm re-arms once either average falls below this
    stale_checks: int = 10  # live Fréchet checks in a row without a new best


class CollapseWatch:
    def __init__(self, settings: AlarmSettings = AlarmSettings()):
        self.settings = settings
        self._accuracies: dict[str, deque[float]] = {k: deque(maxlen=settings.window_steps) for k in ACCURACY_KEYS}
        self._sums = dict.fromkeys(ACCURACY_KEYS, 0.0)
        self._accuracy_raised = False
        self._best: tuple[int, float] | None = None  # (step, Fréchet distance)
        self._checks_since_best = 0
        self._frechet_raised = False

    def on_losses(self, step: int, losses: dict) -> str | None:
        """One step's figures; a line to show when D has been near-perfect for the whole window."""
        if not all(key in losses for key in ACCURACY_KEYS):
            return None
        for key in ACCURACY_KEYS:
            window = self._accuracies[key]
            if len(window) == window.maxlen:
                self._sums[key] -= window[0]
            window.append(float(losses[key]))
            self._sums[key] += float(losses[key])
        if len(self._accuracies[ACCURACY_KEYS[0]]) < self.settings.window_steps:
            return None
        real, fake = (self._sums[key] / self.settings.window_steps for key in ACCURACY_KEYS)
        if min(real, fake) < self.settings.clear_accuracy:
            self._accuracy_raised = False
        if self._accuracy_raised or min(real, fake) < self.settings.stuck_accuracy:
            return None
        self._accuracy_raised = True
        return (
            f"Possible mode collapse at step {step:,}: the discriminator has told real from fake almost "
            f"perfectly for {self.settings.window_steps} steps (real {real:.0%}, fake {fake:.0%}), so the "
            "generator learns next to nothing; check the samples, and if they have collapsed resume from an "
            "earlier checkpoint with a lower discriminator learning rate."
        )

    def on_metrics(self, step: int, values: dict) -> str | None:
        """One live-metrics check; a line once the Fréchet distance has gone `stale_checks` checks without a best."""
        distance = values.get("frechet_distance")
        if distance is None:
            return None
        if self._best is None or distance < self._best[1]:
            self._best, self._checks_since_best, self._frechet_raised = (step, float(distance)), 0, False
            return None
        self._checks_since_best += 1
        if self._frechet_raised or self._checks_since_best < self.settings.stale_checks:
            return None
        self._frechet_raised = True
        best_step, best = self._best
        return (
            f"Possible mode collapse at step {step:,}: the live Fréchet distance ({distance:.3g}) has not "
            f"improved on its best ({best:.3g} at step {best_step:,}) for {self._checks_since_best} checks; "
            "check the samples for repeated or missing classes, and stop if they have collapsed."
        )
