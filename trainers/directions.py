"""Directions discovered in a generator's noise, and named by what they measurably do.

SeFa (Shen & Zhou 2021): the top eigenvectors of AᵀA, A the weights that first multiply the noise (the
directions that layer stretches most); weights only. GANSpace (Härkönen et al. 2020): principal components
of the activations after that first layer over random noise, carried back to the noise by linear
regression. Neither says what a direction means; here each is swept from many random starting points and
measured: Spearman ρ with image attributes, how often the judge's class stays, and how far the ends
leave the data (Fréchet distance at ±3σ over that at 0, equal sample sizes).

Where the model has a class input, ρ is read within each class (the starts spread evenly over the classes,
each class's ρ weighted by its samples) and the ρ over all samples is kept beside it: a direction's name is
the caption of a slider moved with the class held, so it must say what moving it does to one class. Pooled
over classes, the classes' own differences (a trouser is narrower than a coat) count as noise against it.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from trainers import metrics
from trainers.errors import UserFacingError

METHODS = ("sefa", "ganspace")
DEFAULT_K = 8
GANSPACE_SAMPLES = 3000
# random starting points per direction: 448 images each; 128 took twice as long, one shipped model's ρ moved ≤ 0.06
SWEEP_STARTS = 64
SWEEP_SIGMAS = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
NAMED_RHO = 0.6  # |ρ| from which a direction is named by that attribute
TIE = 0.03  # |ρ| this close counts as a tie when naming
NO_EFFECT = 0.1  # every |ρ| below this, the class kept and the ends no farther from the data: no effect
SAME_AXIS = 0.95  # |cos| from which two directions count as one
CLASS_CHANGE = 0.5  # class kept below this over ±2σ: the direction is named by the change
ACTIVATIONS = ("ReLU", "LeakyReLU", "Activation", "ELU", "PReLU")
FORMAT = 7  # bumped when the cached tables change meaning (5: each direction's sign fixed by its largest component;
# 6: contrast and detail measured; 7: ρ within each class where there is a class input, the pooled ρ beside it)


@dataclass(frozen=True)
class NoiseSite:
    """Where a noise vector enters a generator network: its slice of the network's input vector, and
    how latents become that network's whole input (for GANSpace's activations)."""

    network: object  # a keras.Model whose input is one vector
    offset: int
    inputs: Callable[[dict], np.ndarray]


@dataclass
class Direction:
    noise: str  # the noise control it lives in
    vector: np.ndarray  # unit length, in that noise's space
    sigma: float  # spread of random noise along it (its training distribution)
    effects: dict  # attribute -> Spearman ρ of the amount with it (within each class, where there is a class input)
    class_kept: float | None  # share of samples the judge reads as the same class over ±2σ
    frechet_ends: float | None  # Fréchet distance at the farther end (±3σ) over that at 0
    name: str = ""
    pooled: dict | None = None  # attribute -> ρ over all samples, where `effects` is read within classes

    @property
    def named(self) -> bool:
        """Named by a measured effect or a class change (not "mixed", not "no measured effect")."""
        return self.name not in ("", "mixed", "no measured effect")

    def summary(self) -> str:
        """What was measured, in a few lines (the explorer's tooltip on its slider)."""
        read = "within each class" if self.pooled is not None else "over all samples"
        lines = [f"Moved −3σ…+3σ from {SWEEP_STARTS} samples; Spearman ρ {read}:"]
        lines.append(", ".join(f"{key} {rho:+.2f}" for key, rho in self.effects.items()))
        if self.pooled is not None:
            lines.append("over all classes: " + ", ".join(f"{key} {rho:+.2f}" for key, rho in self.pooled.items()))
        if self.class_kept is not None:
            lines.append(f"class kept (±2σ): {self.class_kept:.0%}")
        if self.frechet_ends is not None:
            lines.append(f"Fréchet distance at the ends: ×{self.frechet_ends:.2f} that at 0")
        return "\n".join(lines)

    def table_row(self) -> dict:
        row = asdict(self)
        row.pop("vector")
        return row


# --- finding them -----------------------------------------------------------------------------------
def first_kernel_layer(network):
    """The first layer with a matrix of weights: the one that multiplies the noise first."""
    for layer in network.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and len(kernel.shape) == 2:
            return layer
    raise UserFacingError(f"{network.name} has no dense layer on its noise input, so it has no SeFa directions.")


def noise_weights(site: NoiseSite, dim: int) -> np.ndarray:
    """A's rows for this noise: (dim, units)."""
    import keras

    kernel = keras.ops.convert_to_numpy(first_kernel_layer(site.network).kernel).astype(np.float64)
    return kernel[site.offset : site.offset + dim]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows of unit length, each signed so that its largest component is positive: an eigenvector's or a
    principal component's sign is arbitrary (ARPACK's changed from one run to the next, flipping every ρ in
    the tables), and the same model should give the same table."""
    rows = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    largest = rows[np.arange(len(rows)), np.abs(rows).argmax(axis=1)]
    return rows * np.where(largest < 0, -1.0, 1.0)[:, None]


def sefa(site: NoiseSite, dim: int, k: int) -> np.ndarray:
    """(k, dim): eigenvectors of AᵀA with the largest eigenvalues, in the noise's space."""
    weights = noise_weights(site, dim)
    values, vectors = np.linalg.eigh(weights @ weights.T)
    return unit_rows(vectors[:, np.argsort(values)[::-1][:k]].T)


def feature_network(network):
    """The network up to the first nonlinearity after its first dense layer (GANSpace's early activations)."""
    import keras

    layers = network.layers
    start = layers.index(first_kernel_layer(network))
    after = next((layer for layer in layers[start + 1 :] if type(layer).__name__ in ACTIVATIONS), layers[start])
    return keras.Model(network.inputs, after.output)


def early_features(site: NoiseSite, latents: dict, batch: int = 500) -> np.ndarray:
    import keras

    features = feature_network(site.network)
    inputs = site.inputs(latents).astype(np.float32)
    parts = [features([inputs[i : i + batch]], training=False) for i in range(0, len(inputs), batch)]
    return np.concatenate([keras.ops.convert_to_numpy(p).reshape(len(p), -1) for p in parts]).astype(np.float64)


def ganspace(site: NoiseSite, spec, name: str, k: int, rng: np.random.Generator, n: int = GANSPACE_SAMPLES):
    """(k, dim): the activations' top principal components, each mapped to the noise by least squares."""
    from scipy.sparse.linalg import svds

    latents = spec.sample(n, rng)
    features = early_features(site, latents)
    features -= features.mean(axis=0)
    k = min(k, min(features.shape) - 1)
    _, singular, components = svds(features, k=k, random_state=0)
    coordinates = features @ components[np.argsort(singular)[::-1]].T  # (n, k), largest variance first
    noise = latents[name].astype(np.float64)
    noise -= noise.mean(axis=0)
    mapped, *_ = np.linalg.lstsq(coordinates, noise, rcond=None)  # coordinates @ mapped ≈ noise
    return unit_rows(mapped)


def spread_along(control, vectors: np.ndarray, rng: np.random.Generator, n: int = 4000) -> np.ndarray:
    """Standard deviation of training noise projected on each direction."""
    return (control.sample(rng, n).astype(np.float64) @ vectors.T).std(axis=0)


def discover(model, method: str, k: int = DEFAULT_K, seed: int = 0) -> list[Direction]:
    """Unmeasured directions of every noise vector the model has."""
    if method not in METHODS:
        raise UserFacingError(f"Unknown method {method!r}; use one of: {', '.join(METHODS)}.")
    sites = model.noise_sites()
    if not sites:
        raise UserFacingError(f"{model.title} has no noise vector to find directions in.")
    model.sync()
    spec = model.latent_spec
    rng = np.random.default_rng(seed)
    found = []
    for name, site in sites.items():
        control = spec.noise(name)
        per_noise = min(k, control.dim)
        if method == "sefa":
            vectors = sefa(site, control.dim, per_noise)
        else:
            vectors = ganspace(site, spec, name, per_noise, rng)
        vectors = distinct(vectors)
        for vector, sigma in zip(vectors, spread_along(control, vectors, rng)):
            found.append(Direction(name, vector.astype(np.float32), float(sigma), {}, None, None))
    return found


def distinct(vectors: np.ndarray, alike: float = SAME_AXIS) -> np.ndarray:
    """The vectors without those on (nearly) the axis of an earlier one: GANSpace maps several components
    to one noise direction where one direction dominates the noise's spread (a noise shifted as a whole)."""
    kept: list[np.ndarray] = []
    for vector in vectors:
        if all(abs(float(vector @ other)) < alike for other in kept):
            kept.append(vector)
    return np.stack(kept)


def designed_directions(model) -> list[Direction]:
    """The model's own scalar codes (designed to be read back, e.g. code1 and code2), as directions of one
    dimension with their training σ: measured by the same sweep, designed control beside discovered control."""
    from trainers.latent import ContinuousControl

    return [
        Direction(c.name, np.ones(1, np.float32), float(c.scale), {}, None, None)
        for c in model.latent_spec.controls
        if isinstance(c, ContinuousControl) and c.distribution == "normal"
    ]


def agreement(ours: list[Direction], theirs: list[Direction]) -> list[float]:
    """For each of `ours`, |cos| with the closest of `theirs` in the same noise: 1 is the same axis; for 8
    random directions against 8 others in 100 dimensions it reads 0.18 on average."""
    out = []
    for d in ours:
        alike = [abs(float(d.vector @ e.vector)) for e in theirs if e.noise == d.noise]
        out.append(round(max(alike, default=0.0), 3))
    return out


# --- measuring them -----------------------------------------------------------------------------------
def image_attributes(images: np.ndarray, digits: bool) -> dict[str, np.ndarray]:
    """Per image: ink area, the ink's width and height (share of the frame), mean intensity, contrast (the
    brightness's spread) and detail (the mean edge strength: texture, folds, patterns); and stroke thickness and
    slant for digits. Colour images are read by their brightness."""
    from scipy import ndimage

    from trainers.evaluation import measure_attributes

    grey = images.mean(axis=-1) if images.ndim == 4 else images
    ink = grey > 0.5
    rows, cols = ink.any(axis=2), ink.any(axis=1)

    def extent(mask):  # first to last inked row (or column), as a share of the frame
        first = np.where(mask.any(axis=1), mask.argmax(axis=1), 0)
        last = np.where(mask.any(axis=1), mask.shape[1] - mask[:, ::-1].argmax(axis=1), 0)
        return (last - first) / mask.shape[1]

    out = {"ink area": ink.mean(axis=(1, 2)), "width": extent(cols), "height": extent(rows)}
    out["intensity"] = grey.mean(axis=(1, 2))
    out["contrast"] = grey.std(axis=(1, 2))
    sobel = np.array([[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]])  # within each image, not across them
    edges = np.hypot(ndimage.convolve(grey, sobel), ndimage.convolve(grey, sobel.transpose(0, 2, 1)))
    out["detail"] = edges.mean(axis=(1, 2))
    if digits:
        out.update(measure_attributes(grey))  # the evaluation's thickness and slant
    return out


def direction_sweep(spec, direction: Direction, starts: dict) -> tuple[dict, np.ndarray]:
    """Every starting point at every amount (in σ) along the direction; (latents, amounts in σ)."""
    n = len(next(iter(starts.values())))
    amounts = np.repeat(SWEEP_SIGMAS, n)
    latents = {key: np.concatenate([value] * len(SWEEP_SIGMAS)) for key, value in starts.items()}
    shift = (amounts * direction.sigma)[:, None] * direction.vector[None, :]
    if latents[direction.noise].ndim == 1:  # a designed scalar code (designed_directions)
        shift = shift[:, 0]
    latents[direction.noise] = (latents[direction.noise] + shift).astype(np.float32)
    return latents, amounts


def measure(model, directions: list[Direction], judge=None, real_features=None, seed: int = 0, progress=None):
    """Fill in each direction's effects, class kept, Fréchet at the ends, and its name."""
    from trainers.evaluation import generate_batched

    spec = model.latent_spec
    classes = sweep_classes(spec)
    starts = spec.sample(SWEEP_STARTS, np.random.default_rng(seed), classes=classes)
    digits = getattr(getattr(model, "data_kind", None), "name", "") == "mnist"
    start_view = model.judge_view(generate_batched(model, starts))  # every sweep's 0σ: drawn and judged once
    start_judged = judge(start_view) if judge is not None else None
    reference = metrics.FrechetReference(real_features[:SWEEP_STARTS]) if real_features is not None else None
    at_zero = None
    if start_judged is not None and reference is not None:
        at_zero = reference.distance(start_judged[1])
    for done, direction in enumerate(directions):
        latents, amounts = direction_sweep(spec, direction, starts)
        moved = amounts != 0
        view = with_starts(model.judge_view(generate_batched(model, only(latents, moved))), start_view, moved)
        attributes = image_attributes(view, digits)
        direction.effects, direction.pooled = effects_of(amounts, attributes, latents, spec)
        if start_judged is not None:  # there is a judge
            labels, features = (with_starts(a, b, moved) for a, b in zip(judge(view[moved]), start_judged))
            direction.class_kept = class_kept(labels, amounts)
            if reference is not None:
                direction.frechet_ends = frechet_at_ends(features, amounts, reference, at_zero)
            direction.name = name_of(direction, class_change(labels, amounts, spec))
        else:
            direction.name = name_of(direction, None)
        if progress is not None:
            progress(done + 1)
    return directions


def only(latents: dict, rows: np.ndarray) -> dict:
    return {key: value[rows] for key, value in latents.items()}


def with_starts(moved_values: np.ndarray, start_values: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """A sweep's rows in order: the starts' own (drawn once for every direction) where nothing moved."""
    out = np.empty((len(moved), *moved_values.shape[1:]), moved_values.dtype)
    out[moved], out[~moved] = moved_values, start_values
    return out


def sweep_classes(spec) -> np.ndarray | None:
    """The starts' classes, spread evenly (so each class's ρ rests on about as many samples); None without a
    class input."""
    control = spec.categorical
    return None if control is None else np.arange(SWEEP_STARTS) % control.n


def effects_of(amounts: np.ndarray, attributes: dict, latents: dict, spec) -> tuple[dict, dict | None]:
    """(ρ of the amount with each attribute, read within each class where there is a class input; the ρ over
    all samples there, else None)."""
    pooled = {key: round(metrics.spearman(amounts, value), 3) for key, value in attributes.items()}
    if spec.categorical is None:
        return pooled, None
    classes = np.asarray(latents[spec.categorical.name]).astype(int)
    within = {key: round(within_class_spearman(amounts, value, classes), 3) for key, value in attributes.items()}
    return within, pooled


def within_class_spearman(amounts: np.ndarray, measured: np.ndarray, classes: np.ndarray) -> float:
    """Each class's Spearman ρ of the amount with the measure, averaged with the classes' sample counts as
    weights: what moving along a direction does while the class stays what it is."""
    groups = [classes == c for c in np.unique(classes)]
    rhos = [metrics.spearman(amounts[group], measured[group]) for group in groups]
    return float(np.average(rhos, weights=[group.sum() for group in groups]))


def class_kept(labels: np.ndarray, amounts: np.ndarray) -> float:
    """Share of the moved samples within ±2σ (0 itself left out: it is kept by definition) that the judge
    reads as the class it read at 0."""
    at_zero = labels[amounts == 0]
    near = (np.abs(amounts) <= 2) & (amounts != 0)
    reference = np.tile(at_zero, len(SWEEP_SIGMAS))
    return round(float(np.mean(labels[near] == reference[near])), 3)


def class_change(labels: np.ndarray, amounts: np.ndarray, spec) -> str | None:
    """The commonest change of the judged class at +3σ (or −3σ), as 'a → b'."""
    at_zero = labels[amounts == 0]
    pairs: Counter[tuple[int, int]] = Counter()
    for end in (SWEEP_SIGMAS.min(), SWEEP_SIGMAS.max()):
        pairs.update((a, b) for a, b in zip(at_zero, labels[amounts == end]) if a != b)
    if not pairs:
        return None
    (before, after), _ = pairs.most_common(1)[0]
    control = spec.categorical
    say = control.class_name if control is not None else str
    return f"{say(int(before))} → {say(int(after))}"


def frechet_at_ends(
    features: np.ndarray, amounts: np.ndarray, reference: metrics.FrechetReference, at_zero: float | None = None
) -> float:
    """Fréchet distance of the farther end's samples to real ones over that of the samples at 0 (the real
    ones as many as the samples at 0, so the small-sample bias is alike in both). `at_zero`: that of the
    samples at 0, where it is known (every direction's sweep starts from the same samples)."""
    if at_zero is None:
        at_zero = reference.distance(features[amounts == 0])
    ends = [reference.distance(features[amounts == end]) for end in (-3.0, 3.0)]
    return round(max(ends) / max(at_zero, 1e-9), 3)


SPECIFIC = ("thickness", "slant", "width", "height")  # say these before ink area and intensity, which follow them


def strongest(effects: dict) -> tuple[str, float]:
    """The attribute with the largest |ρ|; a more specific one within TIE of it wins (thicker strokes also
    mean more ink: 'thickness' says more than 'ink area')."""
    top = max(abs(rho) for rho in effects.values())
    specific = [(key, effects[key]) for key in SPECIFIC if key in effects and abs(effects[key]) >= top - TIE]
    return specific[0] if specific else max(effects.items(), key=lambda item: abs(item[1]))


def name_of(direction: Direction, change: str | None) -> str:
    if direction.class_kept is not None and direction.class_kept < CLASS_CHANGE and change:
        return f"changes the class ({change})"
    attribute, rho = strongest(direction.effects)
    if abs(rho) < NO_EFFECT and (direction.class_kept or 1.0) >= 0.99 and (direction.frechet_ends or 1.0) < 1.05:
        return "no measured effect"
    if abs(rho) < NAMED_RHO:
        return "mixed"
    kept = f", class kept {direction.class_kept:.0%}" if direction.class_kept is not None else ""
    return f"{attribute} {rho:+.2f}{kept}"


ROW_KEYS = ("noise", "sigma", "effects", "class_kept", "frechet_ends", "name", "pooled")


# --- the whole: cached, or found and measured -------------------------------------------------------
def judge_and_real_features(model, say):
    """The judge of the model's kind of images and held-out real features; (None, None), said in one line,
    where the project has no judge of them (the directions are then measured on attributes only)."""
    from trainers.classifier import load_judge, reference_data_spec
    from trainers.data import load_dataset

    kind = model.data_kind.name
    try:
        judge = load_judge(kind)
        _, held_out = load_dataset(reference_data_spec(kind)).split()
    except UserFacingError as exc:
        say(f"{exc} (Directions are measured without class or Fréchet figures.)")
        return None, None
    _, features = judge(held_out.images[:SWEEP_STARTS] / 255.0)
    return judge, features


def cache_folder(folder, key: str):
    """Beside the model where that folder can be written (a shipped model's may not be), else the user's."""
    import os

    from trainers.paths import USER_DATA

    if folder is not None and os.access(folder, os.W_OK):
        return folder
    return USER_DATA / "directions" / key[:16]


def read_cache(folder, method: str, key: str, spec) -> list[Direction] | None:
    """From beside the model (shipped models carry theirs, read-only or not), else from the user's folder."""
    places = [cache_folder(folder, key)]
    if folder is not None and places[0] != folder:
        places.insert(0, folder)
    refused = None
    for place in places:
        try:
            found = load(place, method, key, spec)
        except UserFacingError as exc:  # the other place may hold good ones
            refused = refused or exc
            continue
        if found is not None:
            return found
    if refused is not None:
        raise refused
    return None


def cached_directions(model, folder, method: str = "sefa", k: int = DEFAULT_K, say=print):
    """The cached directions of this model, or None (nothing cached, or a damaged or stale cache: said)."""
    try:
        return read_cache(folder, method, weights_key(model, method, k), model.latent_spec)
    except UserFacingError as exc:
        say(str(exc))
        return None


def directions_for(model, folder, method: str = "sefa", k: int = DEFAULT_K, say=print, progress=None):
    """The model's measured directions: read from the cache when it is this model's, else found, measured
    and cached. `progress(done, total)` follows the measuring (the long part)."""
    if method not in METHODS:
        raise UserFacingError(f"Unknown method {method!r}; use one of: {', '.join(METHODS)}.")
    key = weights_key(model, method, k)
    place = cache_folder(folder, key)
    try:
        cached = read_cache(folder, method, key, model.latent_spec)
    except UserFacingError as exc:
        say(str(exc))
        cached = None
    if cached is not None:
        return cached
    found = discover(model, method, k)
    judge, real = judge_and_real_features(model, say)
    tick = (lambda done: progress(done, len(found))) if progress else None
    measure(model, found, judge, real, progress=tick)
    try:
        place.mkdir(parents=True, exist_ok=True)
        save(place, method, key, found)
    except (OSError, UserFacingError) as exc:
        say(f"The directions could not be cached in {place} ({exc}); they are recomputed next time.")
    return found


def format_agreement(sefa_found: list[Direction], ganspace_found: list[Direction]) -> str:
    cosines = agreement(sefa_found, ganspace_found)
    each = " ".join(f"{c:.2f}" for c in cosines)
    return (
        f"agreement: |cos| of each SeFa direction with its closest GANSpace one: {each} "
        f"(mean {np.mean(cosines):.2f}; random directions: 0.18)"
    )


def format_table(directions: list[Direction], method: str) -> str:
    """One line per direction: its number, noise, σ, name, class kept, Fréchet at the ends, then each ρ."""
    within = any(d.pooled is not None for d in directions)
    how = ", read within each class; 'over all' pools the classes" if within else ""
    lines = [f"{method}: {len(directions)} directions (ρ: Spearman of the amount, −3σ…+3σ, with each attribute{how})"]
    for i, d in enumerate(directions):
        kept = f"{d.class_kept:.0%}" if d.class_kept is not None else "–"
        ends = f"{d.frechet_ends:.2f}" if d.frechet_ends is not None else "–"
        effects = "  ".join(f"{key} {rho:+.2f}" for key, rho in d.effects.items())
        if d.pooled is not None:
            attribute, _ = strongest(d.effects)
            effects += f"  (over all: {attribute} {d.pooled[attribute]:+.2f})"
        lines.append(
            f"{i:>2} {d.noise:<3} σ {d.sigma:.2f}  {d.name:<40} kept {kept:>4}  Fréchet ends ×{ends}  {effects}"
        )
    return "\n".join(lines)


# --- cache ---------------------------------------------------------------------------------------------
def weights_key(model, method: str, k: int) -> str:
    """Changes with any generator weight, the method, K and the cache's format."""
    digest = hashlib.sha256(f"{FORMAT}/{method}/{k}/{SWEEP_STARTS}".encode())
    for name, array in sorted(model.state(generators_only=True).items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def cache_paths(folder, method: str):
    return folder / f"directions-{method}.npz", folder / f"directions-{method}.json"


def save(folder, method: str, key: str, directions: list[Direction]) -> None:
    from trainers.run import save_arrays, write_json

    arrays, table = cache_paths(folder, method)
    save_arrays(arrays, {f"d{i}": d.vector for i, d in enumerate(directions)})
    write_json(
        table, {"format": FORMAT, "key": key, "method": method, "directions": [d.table_row() for d in directions]}
    )


def load(folder, method: str, key: str, spec) -> list[Direction] | None:
    """The cached directions if they are this model's and well formed; None when there are none, raises
    UserFacingError (one line) when they are damaged or another model's."""
    arrays_path, table_path = cache_paths(folder, method)
    if not (arrays_path.is_file() and table_path.is_file()):
        return None
    damaged = f"{table_path.name} or {arrays_path.name} is damaged ({{}}); finding the directions again replaces it."
    try:
        table = json.loads(table_path.read_text())
        stale = not isinstance(table, dict) or table.get("format") != FORMAT or table.get("key") != key
    except (OSError, ValueError) as exc:
        raise UserFacingError(damaged.format(exc)) from None
    if stale:  # before reading the rows: an older format's rows lack this one's fields
        raise UserFacingError(
            f"{table_path.name} belongs to other weights or settings; finding the directions again replaces it."
        )
    try:
        with np.load(arrays_path, allow_pickle=False) as arrays:
            vectors = [np.asarray(arrays[f"d{i}"], np.float32) for i in range(len(table["directions"]))]
        rows = table["directions"]
        directions = [Direction(vector=v, **{key: row[key] for key in ROW_KEYS}) for v, row in zip(vectors, rows)]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise UserFacingError(damaged.format(exc)) from None
    for d in directions:
        if d.noise not in {c.name for c in spec.controls} or d.vector.shape != (spec.noise(d.noise).dim,):
            raise UserFacingError(
                f"{table_path.name} does not fit this model's noise; finding the directions again replaces it."
            )
        if not np.all(np.isfinite(d.vector)):
            raise UserFacingError(
                f"{arrays_path.name} holds non-finite values; finding the directions again replaces it."
            )
        if not all(figures(table) for table in (d.effects, d.pooled if d.pooled is not None else {})):
            raise UserFacingError(damaged.format("its ρ are not attribute: number pairs"))
    return directions


def figures(table) -> bool:
    """A table of ρ as read from a cache: attribute names to numbers."""
    return isinstance(table, dict) and all(
        isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool) for k, v in table.items()
    )
