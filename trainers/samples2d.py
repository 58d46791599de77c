"""The 2-D sample kind: the real distributions of the 2-D lab, the frame it shows, its measures and its picture.

The distributions are GAN Lab's (a line, two clusters, a ring, three lines, or points the user draws) and the
mode-collapse benchmarks (the 8-Gaussian ring and the 25-Gaussian grid). The measures are the papers' (modes
captured, high-quality samples, reverse KL over the modes) plus two that need no modes: the Jensen-Shannon
divergence on a grid and the sliced 1-Wasserstein distance. Plain numpy (and Pillow for pictures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from trainers.errors import UserFacingError

MIXTURES = ("ring8", "grid25", "two-clusters", "three-regions", "drawn")  # a finite set of Gaussian modes
CURVES = ("line", "ring", "three-lines")  # samples along a curve, plus Gaussian noise across it
SHAPES = MIXTURES + CURVES
# GAN Lab's shapes (poloclub/ganlab, demo/ganlab_input_providers.ts) live in the unit square; here they are
# centred on 0 and scaled by `size` (size 1: the square becomes [-1, 1]²)
GAN_LAB_CLUSTERS = (((0.3, 0.7), (0.1, 0.1)), ((0.7, 0.4), (0.05, 0.2)))  # (mean, std per axis)
GAN_LAB_REGIONS = ((0.35, 0.75), (0.75, 0.6), (0.45, 0.35))
GAN_LAB_LINE = ((0.8, 0.6), (0.05, 0.9))  # from (0.8, 0.6) to (0.8 - 0.75, 0.6 + 0.3)
GAN_LAB_RING = ((0.5, 0.45), (0.3, 0.25))  # centre, radii of the ellipse
HIGH_QUALITY_SIGMAS = 3.0  # a sample within 3σ of a mode's centre is of high quality (VEEGAN, PacGAN)
REFERENCE_SAMPLES = 20000
JS_BINS = 40
SLICES = 64
MAX_DRAWN_POINTS = 5000


@dataclass(frozen=True)
class Target2D:
    """A real 2-D distribution. `size` is the ring's radius, the grid's spacing, the curves' half-length;
    `sigma` the spread of every mode (or across every curve); `points` the centres the user drew."""

    shape: str = "ring8"
    sigma: float = 0.02
    size: float = 2.0
    points: tuple[tuple[float, float], ...] = ()

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise UserFacingError(f"Unknown 2-D distribution '{self.shape}'; choose one of: {', '.join(SHAPES)}.")
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            raise UserFacingError(f"sigma must be a number > 0, got {self.sigma:g}: set it with --config sigma=0.02.")
        if not (math.isfinite(self.size) and self.size > 0):
            raise UserFacingError(f"size must be a number > 0, got {self.size:g}.")
        if self.shape == "drawn":
            if not self.points:
                raise UserFacingError("The drawn distribution has no points: draw some on the plane or give a file.")
            if not all(math.isfinite(v) for p in self.points for v in p):
                raise UserFacingError("The drawn points hold a NaN or infinite coordinate: redraw or fix the file.")

    # --- structure -----------------------------------------------------------------------
    @cached_property  # read at every batch the lab samples
    def centres(self) -> np.ndarray | None:
        """(K, 2) mode centres of a mixture; None for a curve (it has no modes to count). Not to be changed."""
        s = self.size
        if self.shape == "ring8":
            angles = 2 * np.pi * np.arange(8) / 8
            return s * np.stack([np.cos(angles), np.sin(angles)], 1)
        if self.shape == "grid25":
            steps = (np.arange(5) - 2) * s
            return np.array([(x, y) for x in steps for y in steps], np.float64)
        if self.shape == "two-clusters":
            return self._from_unit_square(np.array([mean for mean, _ in GAN_LAB_CLUSTERS]))
        if self.shape == "three-regions":
            return self._from_unit_square(np.array(GAN_LAB_REGIONS))
        if self.shape == "drawn":
            return np.array(self.points, np.float64)
        return None

    @cached_property
    def mode_spreads(self) -> np.ndarray:
        """(K, 2) standard deviation of each mode along x and y: `sigma`, but for GAN Lab's two clusters their
        own (one round, one tall) scaled with `sigma` (GAN Lab's first std, 0.1 of its square, reads as sigma).
        (0, 2) for a distribution along curves, which has no modes."""
        centres = self.centres
        if centres is None:
            return np.zeros((0, 2))
        if self.shape == "two-clusters":
            return np.array([std for _, std in GAN_LAB_CLUSTERS]) / 0.1 * self.sigma
        return np.full_like(centres, self.sigma)

    def _from_unit_square(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, np.float64) - 0.5) * 2 * self.size

    @property
    def modes(self) -> int:
        centres = self.centres
        return 0 if centres is None else len(centres)

    def _segments(self) -> np.ndarray:
        """(M, 2, 2) straight pieces of a curve: the ring as a 96-gon."""
        s = self.size
        if self.shape == "line":
            return self._from_unit_square(np.array([GAN_LAB_LINE]))
        if self.shape == "three-lines":
            return np.array([[(-s, y), (s, y)] for y in (-0.6 * s, 0.0, 0.6 * s)])
        angles = 2 * np.pi * np.arange(97) / 96
        (cx, cy), (rx, ry) = GAN_LAB_RING
        ring = self._from_unit_square(np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1))
        return np.stack([ring[:-1], ring[1:]], 1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n samples (n, 2) as float64."""
        centres = self.centres
        if centres is not None:
            which = rng.integers(len(centres), size=n)
            return centres[which] + rng.normal(0.0, 1.0, (n, 2)) * self.mode_spreads[which]
        segments = self._segments()
        lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
        which = rng.choice(len(segments), size=n, p=lengths / lengths.sum())
        t = rng.random((n, 1))
        picked = segments[which, 0] + t * (segments[which, 1] - segments[which, 0])
        return picked + rng.normal(0.0, self.sigma, (n, 2))

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, x1, y0, y1): a square around the whole distribution with a margin, what the views show."""
        return _box(self)

    @property
    def extent(self) -> float:
        """How far from 0 the distribution reaches (its reference's largest |coordinate|, at least 0.1)."""
        return max(float(np.max(np.abs(self.reference()))), 0.1)

    def reference(self) -> np.ndarray:
        """20,000 real samples drawn once (a fixed seed): the real side of every measure."""
        return _reference(self)

    def describe(self) -> str:
        k = self.modes
        what = {
            "ring8": f"8 Gaussians on a ring of radius {self.size:g}",
            "grid25": f"a 5×5 grid of Gaussians {self.size:g} apart",
            "two-clusters": "GAN Lab's two Gaussian clusters",
            "three-regions": "GAN Lab's three disjoint regions",
            "drawn": f"{k} drawn points",
            "line": "GAN Lab's line",
            "ring": "GAN Lab's ring",
            "three-lines": "three parallel lines",
        }[self.shape]
        return f"{what}, σ {self.sigma:g}"


@lru_cache(maxsize=32)
def _reference(target: Target2D) -> np.ndarray:
    values = target.sample(np.random.default_rng(20170101), REFERENCE_SAMPLES)
    values.setflags(write=False)
    return values


@lru_cache(maxsize=32)
def _box(target: Target2D) -> tuple[float, float, float, float]:
    ref = _reference(target)
    low, high = ref.min(0), ref.max(0)
    centre, half = (low + high) / 2, float(np.max(high - low)) / 2
    half = max(half * 1.2, 6 * target.sigma, 0.5)
    return (float(centre[0] - half), float(centre[0] + half), float(centre[1] - half), float(centre[1] + half))


def parse_points(text: str) -> tuple[tuple[float, float], ...]:
    """'x y; x y; …' (how drawn points are kept in a run's settings) -> points; one line if malformed."""
    points = []
    for i, part in enumerate(p for p in text.replace("\n", ";").split(";") if p.strip()):
        values = part.replace(",", " ").split()
        try:
            x, y = (float(v) for v in values)
        except ValueError:
            raise UserFacingError(f"Drawn point {i + 1} reads '{part.strip()}': write each as 'x y'.") from None
        points.append((x, y))
    if len(points) > MAX_DRAWN_POINTS:
        raise UserFacingError(f"{len(points)} drawn points: at most {MAX_DRAWN_POINTS:,} are kept; thin them out.")
    return tuple(points)


def format_points(points) -> str:
    return "; ".join(f"{x:.4g} {y:.4g}" for x, y in points)


# --- measures -------------------------------------------------------------------------------
def mode_figures(samples: np.ndarray, target: Target2D) -> dict[str, float]:
    """The papers' measures: a sample is of high quality within 3σ of the nearest mode's centre (distances in
    each mode's standard deviations, as PacGAN's code measures them); a mode is captured when at least one
    high-quality sample is nearest to it (VEEGAN); reverse KL is KL(generated mode histogram || uniform) over
    the high-quality samples."""
    centres = target.centres
    if centres is None:
        return {}
    scaled = (samples[:, None, :] - centres[None]) / target.mode_spreads[None]
    distances = np.sqrt((scaled**2).sum(-1))
    nearest = distances.argmin(1)
    good = distances[np.arange(len(samples)), nearest] <= HIGH_QUALITY_SIGMAS
    counts = np.bincount(nearest[good], minlength=len(centres)).astype(np.float64)
    share = counts / max(counts.sum(), 1.0)
    held = share > 0
    reverse_kl = float(np.sum(share[held] * np.log(share[held] * len(centres)))) if counts.sum() else float("inf")
    return {"modes": float((counts > 0).sum()), "high_quality": float(good.mean()), "reverse_kl": reverse_kl}


def js_on_grid(samples: np.ndarray, target: Target2D) -> float:
    """Jensen-Shannon divergence (nats, at most ln 2) between the samples and the real reference, binned on
    a 40×40 grid over the view."""
    x0, x1, y0, y1 = target.box
    edges = (np.linspace(x0, x1, JS_BINS + 1), np.linspace(y0, y1, JS_BINS + 1))
    p = np.histogram2d(samples[:, 0], samples[:, 1], bins=edges)[0].ravel()
    q = _reference_histogram(target)
    p = p / max(p.sum(), 1.0)
    mid = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / b[mask])))

    return 0.5 * kl(p, mid) + 0.5 * kl(q, mid)


@lru_cache(maxsize=32)
def _reference_histogram(target: Target2D) -> np.ndarray:
    x0, x1, y0, y1 = target.box
    ref = target.reference()
    edges = (np.linspace(x0, x1, JS_BINS + 1), np.linspace(y0, y1, JS_BINS + 1))
    q = np.histogram2d(ref[:, 0], ref[:, 1], bins=edges)[0].ravel()
    return q / q.sum()


def sliced_wasserstein(samples: np.ndarray, target: Target2D) -> float:
    """The 1-Wasserstein distance between the projections of the samples and of the reference on 64 evenly
    spaced directions, averaged: a distance that sees every part of the distribution, modes or not."""
    ours = np.sort(samples @ _slice_directions(), axis=0)
    return float(np.mean(np.abs(ours - _reference_quantiles(target, len(samples)))))


def _slice_directions() -> np.ndarray:
    angles = np.pi * np.arange(SLICES) / SLICES
    return np.stack([np.cos(angles), np.sin(angles)])


@lru_cache(maxsize=32)
def _reference_quantiles(target: Target2D, n: int) -> np.ndarray:
    """The reference's projections at n evenly spaced quantiles: computed once per size (it is the slow part)."""
    projections = np.sort(target.reference() @ _slice_directions(), axis=0)
    # np.quantile's linear rule from one sort: its partition per quantile took 6.6 s for 10,000 of them
    at = (np.arange(n) + 0.5) / n * (len(projections) - 1)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(projections) - 1)
    weight = (at - low)[:, None]
    return projections[low] * (1 - weight) + projections[high] * weight


def sample_figures(samples: np.ndarray, target: Target2D) -> dict[str, float]:
    """Every live measure of a set of generated samples (n, 2)."""
    samples = np.asarray(samples, np.float64)
    if not np.all(np.isfinite(samples)):
        nan = float("nan")
        out = {"js": nan, "sliced_w1": nan}
        if target.centres is not None:
            out.update(modes=0.0, high_quality=0.0, reverse_kl=nan)
        return out
    return {
        **mode_figures(samples, target),
        "js": js_on_grid(samples, target),
        "sliced_w1": sliced_wasserstein(samples, target),
    }


def format_figures(figures: dict, modes: int) -> str:
    """The live measures in a line; `modes`: how many the real distribution has."""
    parts = []
    if "modes" in figures:
        parts.append(f"modes {figures['modes']:.0f}/{modes}")
        parts.append(f"high quality {100 * figures['high_quality']:.1f}%")
        parts.append(f"reverse KL {figures['reverse_kl']:.3f}")
    parts.append(f"JS {figures.get('js', float('nan')):.3f}")
    parts.append(f"sliced W1 {figures.get('sliced_w1', float('nan')):.3f}")
    return " · ".join(parts)


# --- the frame --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Frame2D:
    """Everything the 2-D view draws at one step: plain arrays, so it crosses processes as it is."""

    step: int
    box: tuple[float, float, float, float]
    real: np.ndarray  # (n, 2) real samples
    fake: np.ndarray  # (n, 2) G on the frame's fixed noise
    gradients: np.ndarray | None  # (n, 2) where G's loss moves each fake sample (−dL_G/dx); None: no D
    decision: np.ndarray | None  # (R, R) D(x) over the box, rows along y; None for an exported generator
    noise_grid: np.ndarray  # (L, P, 2) G along the lines of a grid in the noise plane (its warped grid)
    figures: dict = field(default_factory=dict)
    modes: int = 0  # how many modes the real distribution has (0: a curve)
    target_text: str = ""
    decision_note: str = ""

    def picture(self, size: int = 480) -> np.ndarray:
        return frame_picture(self, size)


def frame_picture(frame: Frame2D, size: int = 480) -> np.ndarray:
    """The frame drawn with Pillow (RGB uint8), as the app draws it: D(x) as the background (red: real,
    blue: fake), the warped noise grid, real (green) and generated (purple) samples, G's gradient arrows."""
    from PIL import Image, ImageDraw

    top = 34
    image = Image.new("RGB", (size, size + top), "white")
    x0, x1, y0, y1 = frame.box
    if frame.decision is not None:
        heat = np.clip(np.asarray(frame.decision, np.float64)[::-1], 0, 1)  # rows from the top
        colours = decision_colours(heat)
        image.paste(Image.fromarray(colours).resize((size, size), Image.Resampling.BILINEAR), (0, top))
    draw = ImageDraw.Draw(image)

    def px(points):
        points = np.asarray(points, np.float64)
        return np.stack([(points[..., 0] - x0) / (x1 - x0) * size, top + (y1 - points[..., 1]) / (y1 - y0) * size], -1)

    for line in px(frame.noise_grid):
        finite = [tuple(p) for p in line if np.all(np.isfinite(p))]
        if len(finite) > 1:
            draw.line(finite, fill=(150, 150, 150), width=1)
    for x, y in px(frame.real):
        draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(30, 140, 60))
    fake = px(frame.fake)
    if frame.gradients is not None:
        ends = px(np.asarray(frame.fake) + arrow_lengths(frame.gradients, frame.box))
        for (ax, ay), (bx, by) in zip(fake[::4], ends[::4]):
            if np.all(np.isfinite((ax, ay, bx, by))):
                draw.line((ax, ay, bx, by), fill=(90, 90, 90), width=1)
    for x, y in fake:
        if np.isfinite(x) and np.isfinite(y):
            draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(123, 63, 176))
    draw.text((6, 4), f"step {frame.step:,}   {frame.target_text.replace('σ', 'sigma')}", fill=(0, 0, 0))
    draw.text((6, 18), frame.figures and format_figures_plain(frame.figures) or "", fill=(60, 60, 60))
    return np.asarray(image)


def format_figures_plain(figures: dict) -> str:
    """The figures in ASCII (Pillow's default font has no σ or ·)."""
    parts = []
    if "modes" in figures:
        parts.append(f"modes {figures['modes']:.0f}   high quality {100 * figures['high_quality']:.1f}%")
        parts.append(f"reverse KL {figures['reverse_kl']:.3f}")
    parts.append(f"JS {figures.get('js', float('nan')):.3f}   sliced W1 {figures.get('sliced_w1', float('nan')):.3f}")
    return "   ".join(parts)


def decision_colours(decision: np.ndarray) -> np.ndarray:
    """D(x) in [0, 1] -> RGB uint8: blue where D says fake, white at 0.5, red where it says real (GAN Lab's)."""
    d = np.clip(decision, 0.0, 1.0)[..., None]
    real, fake, white = np.array([244, 165, 130]), np.array([146, 197, 222]), np.array([247, 247, 247])
    mixed = np.where(d >= 0.5, white + (real - white) * (d - 0.5) * 2, white + (fake - white) * (0.5 - d) * 2)
    return mixed.astype(np.uint8)


def arrow_lengths(gradients: np.ndarray, box) -> np.ndarray:
    """Gradients scaled so that the longest arrow is a tenth of the view: their directions and relative sizes
    are what a reader takes from them."""
    gradients = np.nan_to_num(np.asarray(gradients, np.float64))
    longest = float(np.max(np.linalg.norm(gradients, axis=1), initial=0.0))
    if longest <= 0:
        return gradients
    return gradients / longest * 0.1 * (box[1] - box[0])
