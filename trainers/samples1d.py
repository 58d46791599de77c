"""The 1-D sample kind: target densities, the frame a 1-D GAN shows, its divergences and its picture.

Plain numpy/scipy (and Pillow for pictures), shared by every family whose samples are scalars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from trainers.errors import UserFacingError

DENSITY_BINS = 100
CURVE_POINTS = 200


@dataclass(frozen=True)
class Target:
    """The real distribution: N(mean, sigma), or with `weight2` > 0 a mixture with N(mean2, sigma2)."""

    mean: float = 4.0
    sigma: float = 0.5
    mean2: float = -2.0
    sigma2: float = 0.5
    weight2: float = 0.0

    def __post_init__(self):
        for name in ("mean", "sigma", "mean2", "sigma2", "weight2"):
            if not np.isfinite(getattr(self, name)):
                raise UserFacingError(f"target {name} must be a finite number, got {getattr(self, name)}.")
        if self.sigma <= 0 or (self.weight2 > 0 and self.sigma2 <= 0):
            raise UserFacingError(f"target sigma must be > 0, got {self.sigma if self.sigma <= 0 else self.sigma2:g}.")
        if not 0.0 <= self.weight2 <= 1.0:
            raise UserFacingError(f"the mixture weight must lie in [0, 1], got {self.weight2:g}.")

    @property
    def parts(self) -> list[tuple[float, float, float]]:
        """(weight, mean, sigma) of each Gaussian with a weight above 0."""
        parts = [(1.0 - self.weight2, self.mean, self.sigma), (self.weight2, self.mean2, self.sigma2)]
        return [p for p in parts if p[0] > 0]

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return sum(w * normal_pdf(x, m, s) for w, m, s in self.parts)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        parts = self.parts
        which = rng.choice(len(parts), size=n, p=[w for w, _, _ in parts]) if len(parts) > 1 else np.zeros(n, int)
        means = np.array([m for _, m, _ in parts])[which]
        sigmas = np.array([s for _, _, s in parts])[which]
        return rng.normal(means, sigmas)

    @property
    def overall_mean(self) -> float:
        return float(sum(w * m for w, m, _ in self.parts))

    @property
    def overall_sigma(self) -> float:
        mean = self.overall_mean
        return float(np.sqrt(sum(w * (s * s + (m - mean) ** 2) for w, m, s in self.parts)))

    def quantiles(self, n: int) -> np.ndarray:
        """n evenly spaced quantiles (the reference side of the 1-Wasserstein distance); cached."""
        return _quantiles(self, n)

    def _quantiles(self, n: int) -> np.ndarray:
        from scipy.special import ndtr, ndtri  # imported when first needed: scipy costs the window ~0.5 s at launch

        probs = (np.arange(n) + 0.5) / n
        if len(self.parts) == 1:
            _, m, s = self.parts[0]
            return m + s * ndtri(probs)
        grid = np.linspace(min(m - 8 * s for _, m, s in self.parts), max(m + 8 * s for _, m, s in self.parts), 20001)
        cdf = sum(w * ndtr((grid - m) / s) for w, m, s in self.parts)
        return np.interp(probs, cdf, grid)


def normal_pdf(x, mean: float, sigma: float):
    z = (np.asarray(x, np.float64) - mean) / sigma
    return np.exp(-0.5 * z * z) / (sigma * np.sqrt(2 * np.pi))


@lru_cache(maxsize=16)
def _quantiles(target: Target, n: int) -> np.ndarray:
    values = target._quantiles(n)
    values.setflags(write=False)
    return values


def js_divergence(samples: np.ndarray, target: Target, edges: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats, at most ln 2) between binned samples and the binned target."""
    from scipy.special import ndtr

    p = np.histogram(samples, bins=edges)[0].astype(np.float64)
    p /= max(p.sum(), 1.0)
    q = np.diff(sum(w * ndtr((edges - m) / s) for w, m, s in target.parts))
    q /= max(q.sum(), 1e-12)
    mid = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))

    return 0.5 * kl(p, mid) + 0.5 * kl(q, mid)


def wasserstein1(samples: np.ndarray, target: Target) -> float:
    """1-Wasserstein distance between the samples and the target, through sorted samples vs quantiles."""
    ordered = np.sort(np.asarray(samples, np.float64))
    return float(np.mean(np.abs(ordered - target.quantiles(len(ordered)))))


def sample_figures(samples: np.ndarray, target: Target, edges: np.ndarray) -> dict[str, float]:
    """The lab's live metrics of a set of generated samples."""
    samples = np.asarray(samples, np.float64)
    if not np.all(np.isfinite(samples)):
        return {"js": float("nan"), "w1": float("nan"), "mean": float("nan"), "sigma": float("nan")}
    return {
        "js": js_divergence(samples, target, edges),
        "w1": wasserstein1(samples, target),
        "mean": float(samples.mean()),
        "sigma": float(samples.std()),
    }


@dataclass(frozen=True)
class Frame1D:
    """Everything the 1-D view draws at one step: plain arrays, so it crosses processes as it is."""

    step: int
    xs: np.ndarray  # where the target pdf and D(x) are drawn
    target_pdf: np.ndarray
    edges: np.ndarray  # histogram bins of the generated samples
    generated: np.ndarray  # their density (integrates to 1)
    decision: np.ndarray | None  # D(x) at xs; None when only the generator is known
    z: np.ndarray  # noise values of the z -> G(z) mapping
    g_of_z: np.ndarray
    figures: dict = field(default_factory=dict)  # js, w1, mean, sigma
    decision_note: str = ""  # how D(x) was evaluated (minibatch discrimination depends on the batch)

    def picture(self) -> np.ndarray:
        return frame_picture(self)


def frame_picture(frame: Frame1D, width: int = 640, height: int = 360) -> np.ndarray:
    """The frame drawn with Pillow (RGB uint8): densities and D(x) on top, z -> G(z) below; for GIFs
    and the CLI, so no plotting library is needed outside the app."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    top = (40, 10, width - 10, int(height * 0.62))
    bottom = (40, int(height * 0.70), width - 10, height - 20)
    lo, hi = float(frame.xs[0]), float(frame.xs[-1])
    peak = max(float(np.max(frame.target_pdf)), float(np.max(frame.generated, initial=0.0)), 1e-6) * 1.1

    def to_px(box, x, y, ylo, yhi):
        x0, y0, x1, y1 = box
        return (x0 + (x - lo) / (hi - lo) * (x1 - x0), y1 - (y - ylo) / (yhi - ylo) * (y1 - y0))

    for box in (top, bottom):
        draw.rectangle(box, outline=(160, 160, 160))
    for i, density in enumerate(frame.generated):  # generated density as bars
        a, b = frame.edges[i], frame.edges[i + 1]
        if b < lo or a > hi or density <= 0:
            continue
        x0, y0 = to_px(top, max(a, lo), min(density, peak), 0, peak)
        x1, y1 = to_px(top, min(b, hi), 0, 0, peak)
        draw.rectangle((x0, y0, x1, y1), fill=(120, 170, 230))
    _polyline(draw, [to_px(top, x, y, 0, peak) for x, y in zip(frame.xs, frame.target_pdf)], (30, 140, 60), 2)
    if frame.decision is not None:
        _polyline(draw, [to_px(top, x, y * peak, 0, peak) for x, y in zip(frame.xs, frame.decision)], (220, 60, 40), 2)
    zlo, zhi = float(frame.z[0]), float(frame.z[-1])
    glo, ghi = lo, hi
    points = [
        (
            bottom[0] + (z - zlo) / (zhi - zlo) * (bottom[2] - bottom[0]),
            bottom[3] - (np.clip(g, glo, ghi) - glo) / (ghi - glo) * (bottom[3] - bottom[1]),
        )
        for z, g in zip(frame.z, frame.g_of_z)
    ]
    _polyline(draw, points, (110, 60, 170), 2)
    f = frame.figures
    text = (
        f"step {frame.step}   JS {f.get('js', float('nan')):.3f}   W1 {f.get('w1', float('nan')):.3f}   "
        f"mean {f.get('mean', float('nan')):.2f}   sigma {f.get('sigma', float('nan')):.2f}"
    )
    draw.text((44, 12), text, fill=(0, 0, 0))
    draw.text((44, 26), "green: real pdf  blue: generated  red: D(x)", fill=(80, 80, 80))
    draw.text((44, bottom[1] + 2), f"z -> G(z), z in [{zlo:g}, {zhi:g}]", fill=(80, 80, 80))
    draw.text((40, height - 16), f"{lo:g}", fill=(80, 80, 80))
    draw.text((width - 40, height - 16), f"{hi:g}", fill=(80, 80, 80))
    return np.asarray(image)


def _polyline(draw, points, color, width) -> None:
    finite = [(x, y) for x, y in points if np.isfinite(x) and np.isfinite(y)]
    if len(finite) > 1:
        draw.line(finite, fill=color, width=width)
