"""Latent specs: which controls a model has, so the GUI and CLI build themselves from them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from trainers.errors import UserFacingError


@dataclass(frozen=True)
class CategoricalControl:
    name: str
    n: int = 10
    label: str = "digit"
    class_names: tuple[str, ...] = ()  # what each class is, where its number does not say (Fashion-MNIST)

    def class_name(self, value: int) -> str:
        return self.class_names[value] if 0 <= value < len(self.class_names) else str(value)


@dataclass(frozen=True)
class ContinuousControl:
    """A scalar code; `attribute` is what it was measured to control (from the model card)."""

    name: str
    low: float
    high: float
    scale: float = 0.5  # training distribution N(0, scale)
    attribute: str | None = None
    distribution: str = "normal"  # or "uniform": U(low, high)
    traversal: bool = True  # gets a traversal strip in the explorer

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high, n).astype(np.float32)
        return rng.normal(0.0, self.scale, n).astype(np.float32)


@dataclass(frozen=True)
class NoiseControl:
    """A noise vector drawn from a seed; the slider value shifts the whole vector (as the book does)."""

    name: str
    dim: int
    low: float
    high: float
    distribution: str = "normal"  # or "uniform" (U(-1, 1))
    scale: float = 0.5
    attribute: str | None = None
    traversal: bool = True  # gets a traversal strip in the explorer
    shifted_in_training: bool = False  # trained on draw() plus a shift drawn over [low, high]

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """The vector a slider value is added to."""
        if self.distribution == "uniform":
            return rng.uniform(-1.0, 1.0, size=(n, self.dim)).astype(np.float32)
        return rng.normal(0.0, self.scale, size=(n, self.dim)).astype(np.float32)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Vectors from the training distribution."""
        vectors = self.draw(rng, n)
        if self.shifted_in_training:
            vectors += rng.uniform(self.low, self.high, size=(n, 1)).astype(np.float32)
        return vectors


@dataclass(frozen=True)
class DirectionControl:
    """A direction found in a noise vector (trainers.directions): the slider moves that noise along
    `vector` by value × sigma, sigma being the noise's spread along it; `attribute` is its measured name."""

    name: str
    noise: str
    vector: tuple[float, ...]  # unit length, in the noise's space
    sigma: float
    low: float = -3.0
    high: float = 3.0
    attribute: str | None = None
    traversal: bool = True
    about: str = ""  # what was measured along it, in a few lines (the slider's tooltip)

    def shift(self, amounts: np.ndarray) -> np.ndarray:
        """(n, dim): what `amounts` (in σ) add to the noise."""
        return (np.asarray(amounts, np.float32)[:, None] * self.sigma) * np.asarray(self.vector, np.float32)


@dataclass(frozen=True)
class ImageControl:
    """An image the model takes as its input (a sketch to turn into a photo): grey, height × width, values in
    [0, 1] with 1 = bright. The explorer offers held-out examples, a file and a canvas to draw on; the CLI
    takes --input PATH. `label` says what the image is ("sketch", "photo")."""

    name: str
    height: int
    width: int
    label: str = "input"

    def blank(self) -> np.ndarray:
        return np.zeros((self.height, self.width), np.float32)

    def count(self, value) -> int:
        """How many samples a value describes: one image, or a stack of them."""
        return len(value) if np.ndim(value) == 3 else 1

    def check(self, value) -> None:
        arr = np.asarray(value)
        if arr.ndim not in (2, 3) or arr.shape[-2:] != (self.height, self.width) or arr.size == 0:
            raise UserFacingError(
                f"The {self.label} must be a {self.height}×{self.width} grey image, got an array of shape {arr.shape}."
            )
        if arr.dtype.kind not in "uif" or not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
            raise UserFacingError(f"The {self.label}'s pixels must be numbers in [0, 1].")

    def expand(self, value, n: int) -> np.ndarray:
        arr = np.asarray(value, np.float32)
        if arr.ndim == 3 and len(arr) not in (1, n):
            raise UserFacingError(f"{len(arr)} {self.label} images for {n} samples: give one, or one per sample.")
        return np.broadcast_to(arr, (n, self.height, self.width)).copy()


Control = CategoricalControl | ContinuousControl | NoiseControl | DirectionControl | ImageControl
Ranged = ContinuousControl | NoiseControl | DirectionControl
SEED = "seed"


@dataclass(frozen=True)
class LatentSpec:
    controls: tuple[Control, ...] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> Control:
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(name)

    def ranged(self, name: str) -> Ranged:
        """A control with a slider range (a code or a noise vector), by name."""
        control = self[name]
        if isinstance(control, CategoricalControl | ImageControl):
            raise KeyError(f"{name} is a class or image control, not a ranged one")
        return control

    def noise(self, name: str) -> NoiseControl:
        control = self[name]
        if not isinstance(control, NoiseControl):
            raise KeyError(f"{name} is not a noise vector")
        return control

    @property
    def categorical(self) -> CategoricalControl | None:
        """The class control, if the model has one (an unconditional GAN has none)."""
        return next((c for c in self.controls if isinstance(c, CategoricalControl)), None)

    @property
    def swept(self) -> tuple[Ranged, ...]:
        """Controls with a slider range: CLI flags, evaluation sweeps."""
        return tuple(c for c in self.controls if not isinstance(c, CategoricalControl | ImageControl))

    @property
    def image_input(self) -> ImageControl | None:
        """The image the model translates, if it takes one."""
        return next((c for c in self.controls if isinstance(c, ImageControl)), None)

    @property
    def traversed(self) -> tuple[Ranged, ...]:
        """Swept controls that get a traversal strip in the explorer (the book's --p figures)."""
        return tuple(c for c in self.swept if getattr(c, "traversal", True))

    def defaults(self) -> dict:
        values: dict = {c.name: 0 if isinstance(c, CategoricalControl) else 0.0 for c in self.controls}
        values.update({c.name: c.blank() for c in self.controls if isinstance(c, ImageControl)})
        values[SEED] = 0
        return values

    def with_attributes(self, effects: dict[str, str]) -> LatentSpec:
        """A copy whose controls carry the measured attribute names, e.g. {'code1': 'thickness'}."""
        return LatentSpec(
            tuple(
                replace(c, attribute=effects[c.name])
                if c.name in effects and not isinstance(c, CategoricalControl | ImageControl)
                else c
                for c in self.controls
            )
        )

    def with_directions(self, directions) -> LatentSpec:
        """A copy with one slider per discovered direction (trainers.directions.Direction), named dir0, dir1, …
        after the model's own controls; directions given before are replaced."""
        own = tuple(c for c in self.controls if not isinstance(c, DirectionControl))
        found = tuple(
            DirectionControl(
                f"dir{i}",
                d.noise,
                tuple(float(x) for x in d.vector),
                float(d.sigma),
                attribute=d.name,
                about=d.summary(),
            )
            for i, d in enumerate(directions)
        )
        return LatentSpec(own + found)

    def validate(self, values: dict) -> None:
        for name, value in values.items():
            if name == SEED:
                continue
            try:
                control = self[name]
            except KeyError:
                known = ", ".join(c.name for c in self.controls)
                raise UserFacingError(f"Unknown control '{name}'; this model has: {known}.") from None
            if isinstance(control, ImageControl):
                control.check(value)
                continue
            arr = np.asarray(value)
            if isinstance(control, CategoricalControl):
                if np.any(arr < 0) or np.any(arr >= control.n) or np.any(arr != np.round(arr)):
                    raise UserFacingError(f"--{name} must be a whole number from 0 to {control.n - 1}, got {value}.")
            elif np.any(arr < control.low - 1e-9) or np.any(arr > control.high + 1e-9):
                raise UserFacingError(f"--{name} must be within [{control.low:g}, {control.high:g}], got {value}.")

    def expand(self, values: dict, n: int | None = None) -> dict[str, np.ndarray]:
        """Turn UI/CLI values (scalars or 1-D arrays) into full per-sample latent arrays.

        Noise vectors come from `seed` and are the same for every sample, so a sweep changes
        only the swept control.
        """
        merged = {**self.defaults(), **values}
        self.validate({k: v for k, v in merged.items()})
        if n is None:
            n = max((self._count(k, v) for k, v in merged.items() if k != SEED), default=1)
        rng = np.random.default_rng(int(merged[SEED]))
        out: dict[str, np.ndarray] = {}
        for c in self.controls:
            if isinstance(c, ImageControl):
                out[c.name] = c.expand(merged[c.name], n)
                continue
            value = np.broadcast_to(np.asarray(merged[c.name]), (n,))
            if isinstance(c, CategoricalControl):
                out[c.name] = value.astype(np.int32)
            elif isinstance(c, ContinuousControl):
                out[c.name] = value.astype(np.float32)
            elif isinstance(c, DirectionControl):  # after the noise it moves (directions come last)
                out[c.noise] = out[c.noise] + c.shift(value)
            else:
                out[c.name] = c.draw(rng, 1) + value.astype(np.float32)[:, None]
        return out

    def _count(self, name: str, value) -> int:
        control = next((c for c in self.controls if c.name == name), None)
        return control.count(value) if isinstance(control, ImageControl) else int(np.size(value))

    def class_row(self, values: dict) -> dict[str, np.ndarray] | None:
        """The sample `values` describe, drawn as every class of the class control (None without one)."""
        cat = self.categorical
        if cat is None:
            return None
        return self.expand({**values, cat.name: np.arange(cat.n)}, n=cat.n)

    @property
    def has_noise(self) -> bool:
        return any(isinstance(c, NoiseControl) for c in self.controls)

    def interpolation(self, start: dict, end: dict, steps: int, spherical: bool = False) -> dict[str, np.ndarray]:
        """`steps` latents from the sample `start` describes to the one `end` does (UI values, e.g. two seeds):
        noise vectors along the straight line or the great circle (spherical, which keeps a Gaussian
        vector's length typical), codes along the line; the class is `end`'s throughout."""
        a, b = self.expand(start, n=1), self.expand(end, n=1)
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)
        out = {}
        for name in b:
            if b[name].dtype.kind in "iu":
                out[name] = np.repeat(b[name], steps, axis=0)
            elif spherical and isinstance(self[name], NoiseControl):
                out[name] = slerp(a[name][0], b[name][0], t)
            else:
                out[name] = lerp(a[name][0], b[name][0], t)
        return out

    def sample(self, n: int, rng: np.random.Generator, classes: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Random latents from the training distribution (the 'everything random' case)."""
        out = {}
        for c in self.controls:
            if isinstance(c, CategoricalControl):
                out[c.name] = (
                    classes.astype(np.int32) if classes is not None else rng.integers(0, c.n, n).astype(np.int32)
                )
            elif isinstance(c, ImageControl):  # images to translate come from data (GanFamily.example_latents)
                out[c.name] = c.expand(c.blank(), n)
            elif not isinstance(c, DirectionControl):  # random noise already goes every way
                out[c.name] = c.sample(rng, n)
        return out

    @property
    def grid_columns(self) -> int:
        """One column per class (digits 0–9), or 10 for a GAN without classes."""
        return self.categorical.n if self.categorical is not None else 10

    def grid_latents(self, seed: int = 1234, rows: int = 10) -> dict[str, np.ndarray]:
        """Fixed latents for sample grids: `rows` rows, one column per class."""
        cat, cols = self.categorical, self.grid_columns
        classes = np.tile(np.arange(cols), rows) if cat is not None else None
        return self.sample(rows * cols, np.random.default_rng(seed), classes=classes)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(len(t), *a.shape): a + t (b − a)."""
    t = t.reshape((-1,) + (1,) * a.ndim)
    return ((1 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation of two vectors (Shoemake 1985; White 2016 for GAN noise): along the great
    circle through them; the straight line where they are (anti)parallel or one is zero."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64), np.linalg.norm(b64)
    if min(norms) < 1e-12:
        return lerp(a, b, t)
    cos = np.clip(a64 @ b64 / (norms[0] * norms[1]), -1.0, 1.0)
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return lerp(a, b, t)
    t64 = t.astype(np.float64)[:, None]
    return ((np.sin((1 - t64) * omega) * a64 + np.sin(t64 * omega) * b64) / np.sin(omega)).astype(np.float32)
