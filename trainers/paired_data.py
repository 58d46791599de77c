"""Paired image sets for image-to-image translation: domain A (photos), domain B (their sketches), one class
per pair: the aligned A|B data of paired translation (Isola et al. 2017).

Built in: Fashion-MNIST photos with edge-map sketches (made as Isola et al. made edges2shoes: an edge detector on
each photo; here scikit-image's Canny at σ 1.5 on the photo upsampled bicubically to 64×64), and MNIST digits
with their skeletons. Both are computed once and cached with their construction in the file name. A user's
own pairs come as an .npz (`a`, `b`, `y`) or as folders A/ and B/ of same-named images with a classes.csv."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from trainers.errors import NPZ_READ_ERRORS, UserFacingError, read_error_reason
from trainers.paths import USER_CACHE

HELD_OUT = 2000  # the last pairs of every source, never trained on
MIN_CLASSES, MAX_CLASSES = 2, 1000  # what a model's num_labels allows
JUDGED_KINDS = ("mnist", "fashion-mnist")  # photo kinds the project has a judge of
RESOLUTIONS = (32, 64)
EDGE_SIGMA = 1.5  # Canny's Gaussian, in pixels of the 64×64 upsampling
EDGE_SIZE = 64  # sketches are drawn at this size, then pooled to the resolution (lines stay 1 px wide)
CACHE_VERSION = 1
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
BUILT_IN = {
    "fashion-edges": "Fashion-MNIST photos ↔ Canny edge sketches",
    "mnist-skeletons": "MNIST digits ↔ their skeletons",
}


@dataclass(frozen=True)
class PairedDataset:
    """a, b: uint8 (N, R, R) with 255 = bright; labels int32 (N,); what each domain and class is called."""

    a: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    source: str
    domains: tuple[str, str] = ("photo", "sketch")
    judge_kind: str = ""  # the project's judge of domain A's images ("fashion-mnist"), "" for a user's own
    spec: str = ""  # what load_pairs loads it by again

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def resolution(self) -> int:
        return int(self.a.shape[1])

    def notice(self) -> str:
        size = f"{self.resolution}×{self.resolution}"
        return f"Using {self.source}: {len(self):,} {self.domains[0]}/{self.domains[1]} pairs at {size}."

    def split(self, held_out: int = HELD_OUT) -> tuple[PairedDataset, PairedDataset]:
        """(train, held out), the held-out pairs always the last ones."""
        held_out = min(held_out, len(self) // 5)
        cut = len(self) - held_out
        return self._part(slice(0, cut), self.source), self._part(slice(cut, None), f"{self.source} (held out)")

    def take(self, n: int) -> PairedDataset:
        return self._part(slice(0, n), self.source)

    def _part(self, rows: slice, source: str) -> PairedDataset:
        return replace(self, a=self.a[rows], b=self.b[rows], labels=self.labels[rows], source=source)


def load_pairs(spec: str | Path, resolution: int, progress=None) -> PairedDataset:
    """spec: 'fashion-edges', 'mnist-skeletons', an .npz with a, b, y, or a folder with A/, B/ and classes.csv."""
    if resolution not in RESOLUTIONS:
        raise UserFacingError(f"resolution must be one of {', '.join(map(str, RESOLUTIONS))}, got {resolution}.")
    if spec in BUILT_IN:
        return replace(_cached(str(spec), resolution, progress), spec=str(spec))
    path = Path(spec).expanduser().resolve()  # kept in the run's settings: evaluate and resume work from anywhere
    if not path.exists():
        raise UserFacingError(
            f"Paired data not found: {path} (give {', '.join(BUILT_IN)}, an .npz with arrays a, b and y, "
            "or a folder with A/, B/ and classes.csv)."
        )
    if path.is_dir():
        return replace(_from_folders(path, resolution), spec=str(path))
    if path.is_file():
        return replace(_from_npz(path, resolution), spec=str(path))
    raise UserFacingError(f"{path} is not a regular file or folder; give an .npz or a folder of pairs.")


# --- built-in pairs ------------------------------------------------------------------------
def _cached(name: str, resolution: int, progress) -> PairedDataset:
    """A built-in pair set, read from the cache or computed once and written there."""
    path = USER_CACHE / "pairs" / f"{name}-{resolution}px-{_construction(name)}-v{CACHE_VERSION}.npz"
    if path.is_file():
        try:
            return _from_npz(path, resolution, source=f"{BUILT_IN[name]} (cached in {path.parent})")
        except UserFacingError:  # a damaged cache is rebuilt, never trusted
            pass
    pairs = _build(name, resolution, progress)
    _write_cache(path, pairs)
    return pairs


def _construction(name: str) -> str:
    return f"canny{EDGE_SIGMA:g}-up{EDGE_SIZE}" if name == "fashion-edges" else f"skeleton-up{EDGE_SIZE}"


def _build(name: str, resolution: int, progress) -> PairedDataset:
    from trainers.data import DIGITS, FASHION_NAMES, load_dataset

    names: tuple[str, ...]
    if name == "fashion-edges":
        photos = load_dataset("fashion")
        sketch, names, judge = canny_sketch, FASHION_NAMES, "fashion-mnist"
    else:
        photos = load_dataset("auto")
        sketch, names, judge = skeleton_sketch, DIGITS, "mnist"
    a, b = photos_and_sketches(photos.images, resolution, sketch, progress)
    domains = ("photo", "sketch") if name == "fashion-edges" else ("digit", "skeleton")
    return PairedDataset(a, b, photos.labels, names, f"{BUILT_IN[name]} ({photos.source})", domains, judge)


def photos_and_sketches(images: np.ndarray, resolution: int, sketch, progress=None, chunk: int = 2000):
    """(photos, sketches) as uint8 (N, R, R): each photo upsampled bicubically to 64×64 and sketched there;
    photos resampled to the resolution, sketches max-pooled to it (a 1-pixel line stays a line)."""
    from scipy import ndimage

    a, b = [], []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].astype(np.float32) / 255.0
        scale = EDGE_SIZE / part.shape[1]
        big = np.clip(ndimage.zoom(part, (1, scale, scale), order=3), 0.0, 1.0)
        lines = np.stack([sketch(image) for image in big])
        b.append(_max_pool(lines, EDGE_SIZE // resolution))
        a.append(big if resolution == EDGE_SIZE else _area_resize(big, resolution))
        if progress is not None:
            progress(min(start + chunk, len(images)), len(images))
    to_uint8 = lambda x: np.rint(np.clip(np.concatenate(x), 0, 1) * 255).astype(np.uint8)
    return to_uint8(a), to_uint8(b)


def canny_sketch(image: np.ndarray) -> np.ndarray:
    from skimage import feature

    return feature.canny(image, sigma=EDGE_SIGMA).astype(np.float32)


def skeleton_sketch(image: np.ndarray) -> np.ndarray:
    from skimage.morphology import skeletonize

    return skeletonize(image > 0.5).astype(np.float32)


def _max_pool(images: np.ndarray, k: int) -> np.ndarray:
    if k == 1:
        return images
    n, h, w = images.shape
    return images.reshape(n, h // k, k, w // k, k).max(axis=(2, 4))


def _area_resize(images: np.ndarray, size: int) -> np.ndarray:
    k = images.shape[1] // size
    n = len(images)
    return images.reshape(n, size, k, size, k).mean(axis=(2, 4))


def _write_cache(path: Path, pairs: PairedDataset) -> None:
    """Best effort: a full disk or a read-only home costs the next start the same computation, nothing else."""
    from trainers.images import atomic_write

    def write(tmp):
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                a=pairs.a,
                b=pairs.b,
                y=pairs.labels,
                names=np.array(pairs.class_names),
                domains=np.array(pairs.domains),
                judge=np.array(pairs.judge_kind),
            )

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
    except (OSError, UserFacingError):
        pass


# --- a user's pairs ------------------------------------------------------------------------------
def _from_npz(path: Path, resolution: int, source: str | None = None) -> PairedDataset:
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"a", "b", "y"} - set(f.files)
            if missing:
                raise UserFacingError(
                    f"{path}: a paired .npz needs arrays a (domain A, e.g. photos), b (domain B, e.g. their "
                    f"sketches) and y (classes); the model's direction picks the input; missing "
                    f"{', '.join(sorted(missing))}."
                )
            arrays = {key: f[key] for key in f.files}
    except NPZ_READ_ERRORS as exc:
        raise UserFacingError(f"{path} is not a readable .npz file ({read_error_reason(exc)}).") from None
    names = tuple(str(n) for n in np.atleast_1d(arrays.get("names", np.array([])))) or None
    domains = tuple(str(d) for d in np.atleast_1d(arrays.get("domains", np.array(["A", "B"]))))
    judge = str(arrays["judge"]) if "judge" in arrays and source is not None else ""  # only our own cache's
    judge = judge if judge in JUDGED_KINDS else ""
    return validated_pairs(
        arrays["a"],
        arrays["b"],
        arrays["y"],
        path,
        resolution,
        source or f"pairs from {path}",
        names,
        domains if len(domains) == 2 else ("A", "B"),
        judge,
    )


def _from_folders(folder: Path, resolution: int) -> PairedDataset:
    """folder/A/*.png and folder/B/*.png with the same names, and folder/classes.csv: `file,class` rows."""
    dirs = {side: folder / side for side in ("A", "B")}
    for side, path in dirs.items():
        if not path.is_dir():
            raise UserFacingError(
                f"{folder}: no {side}/ folder; paired folders need A/ and B/ with the same file names."
            )
    files = {
        side: {p.name: p for p in sorted(path.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
        for side, path in dirs.items()
    }
    unpaired = sorted(set(files["A"]) ^ set(files["B"]))
    if unpaired:
        raise UserFacingError(
            f"{folder}: {len(unpaired)} image(s) have no partner with the same name in the other folder "
            f"(first: {unpaired[0]}); every A/ image needs its B/ image."
        )
    names = sorted(files["A"])
    if not names:
        raise UserFacingError(f"{folder}: A/ and B/ hold no images ({', '.join(IMAGE_SUFFIXES)}).")
    classes, class_names = _read_classes(folder / "classes.csv", names)
    a, b = [], []
    for name in names:
        image_a, image_b = read_grey_image(files["A"][name]), read_grey_image(files["B"][name])
        if image_a.shape != image_b.shape:
            raise UserFacingError(
                f"{folder}: {name} is {image_a.shape[1]}×{image_a.shape[0]} in A/ but "
                f"{image_b.shape[1]}×{image_b.shape[0]} in B/; a pair must have one size."
            )
        a.append(resized(image_a, resolution))
        b.append(resized(image_b, resolution))
    return validated_pairs(np.stack(a), np.stack(b), classes, folder, resolution, f"pairs in {folder}", class_names)


def _read_classes(path: Path, names: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """classes.csv: one `file,class` row per pair (a header row is allowed); a class is a name or a number."""
    if not path.is_file():
        raise UserFacingError(f"{path} is missing: write one 'file,class' row per image of A/.")
    try:  # utf-8-sig: a spreadsheet's UTF-8 export starts with a byte-order mark
        rows = [row for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines()) if row]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserFacingError(f"{path} cannot be read ({read_error_reason(exc)}); save it as UTF-8 text.") from None
    if rows and rows[0][0].strip().lower() in ("file", "filename", "name"):
        rows = rows[1:]
    given = {}
    for number, row in enumerate(rows, start=1):
        if len(row) < 2 or not row[1].strip():
            raise UserFacingError(f"{path}, row {number}: expected 'file,class', got '{','.join(row)}'.")
        given[row[0].strip()] = row[1].strip()
    missing = [name for name in names if name not in given]
    if missing:
        raise UserFacingError(f"{path} gives no class for {len(missing)} image(s) (first: {missing[0]}).")
    labels = [given[name] for name in names]
    if all(label.isdecimal() and label.isascii() for label in labels):
        numbers = np.array([int(label) for label in labels])
        check_class_count(int(numbers.max()) + 1, path)
        return numbers, tuple(str(i) for i in range(int(numbers.max()) + 1))
    class_names = tuple(sorted(set(labels)))
    check_class_count(len(class_names), path)
    return np.array([class_names.index(label) for label in labels]), class_names


def check_class_count(n: int, path) -> None:
    if not MIN_CLASSES <= n <= MAX_CLASSES:
        raise UserFacingError(f"{path}: {n:,} classes; a model takes {MIN_CLASSES} to {MAX_CLASSES:,}.")


def read_grey_image(path: Path) -> np.ndarray:
    """A user's image as uint8 grey (H, W), transparent parts as white paper; anything Pillow cannot read is
    one line."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                paper = Image.new("RGBA", image.size, "white")
                return np.asarray(Image.alpha_composite(paper, image.convert("RGBA")).convert("L"), np.uint8)
            return np.asarray(image.convert("L"), np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, MemoryError, Image.DecompressionBombError) as exc:
        raise UserFacingError(f"{path} is not an image Pillow can read ({read_error_reason(exc)}).") from None


def input_from_file(path: Path, control) -> tuple[np.ndarray, list[str]]:
    """A user's image as a model's image input (trainers.latent.ImageControl): float32 in [0, 1] at the
    control's size, bright lines on a dark ground as the built-in pairs are, and what was converted, in words.
    A drawing of dark lines on white paper is inverted; a colour image is made grey."""
    image = read_grey_image(path)
    notes = []
    if image.shape != (control.height, control.width):
        notes.append(f"{image.shape[1]}×{image.shape[0]}: resampled to {control.width}×{control.height}")
        image = resized(image, control.height)
    if image.mean() > 127.5:
        notes.append("dark on light: inverted (the model reads light on dark)")
        image = 255 - image
    return image.astype(np.float32) / 255.0, notes


def resized(image: np.ndarray, size: int) -> np.ndarray:
    """uint8 (size, size): a different size is resampled (Lanczos; non-square images are stretched)."""
    if image.shape == (size, size):
        return image
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.LANCZOS), np.uint8)


def validated_pairs(
    a, b, y, path, resolution: int, source: str, class_names=None, domains=("A", "B"), judge_kind: str = ""
) -> PairedDataset:
    """The one check of every pair set: numbers, finite, one shape per side, classes 0..n−1, 0–255 or 0–1."""
    a, b, y = np.asarray(a), np.asarray(b), np.asarray(y).reshape(-1)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if b.ndim == 4 and b.shape[-1] == 1:
        b = b[..., 0]
    for what, array in (("a", a), ("b", b)):
        if array.ndim != 3 or array.shape[1:] != (resolution, resolution):
            raise UserFacingError(
                f"{path}: '{what}' must be grey images of {resolution}×{resolution} (the model's resolution), "
                f"got an array of shape {array.shape}."
            )
    if not (len(a) == len(b) == len(y)):
        raise UserFacingError(f"{path}: {len(a)} inputs, {len(b)} targets and {len(y)} classes; they must pair up.")
    if len(y) < 10:
        raise UserFacingError(f"{path}: holds {len(y)} pairs; a model needs at least 10.")
    if y.dtype.kind not in "uif" or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise UserFacingError(f"{path}: classes 'y' must be whole numbers.")
    if y.min() < 0 or np.any(y != np.round(y)):
        raise UserFacingError(f"{path}: classes must be whole numbers from 0, found {y.min():g}..{y.max():g}.")
    n_classes = int(y.max()) + 1
    check_class_count(n_classes, path)
    names = tuple(class_names) if class_names else tuple(str(i) for i in range(n_classes))
    if len(names) < n_classes:
        raise UserFacingError(f"{path}: {len(names)} class names for classes up to {n_classes - 1}.")
    images = [validated_images(array, path, what) for what, array in (("a", a), ("b", b))]
    return PairedDataset(images[0], images[1], y.astype(np.int32), names, source, tuple(domains), judge_kind)


def validated_images(x: np.ndarray, path, what: str) -> np.ndarray:
    """uint8 from uint8, or from floats in 0–1 or 0–255 (trainers.data's rule); text or NaN pixels are one line."""
    from trainers.data import _to_uint8

    if x.dtype.kind not in "uifb":
        raise UserFacingError(f"{path}: '{what}' holds {x.dtype} values, not pixels.")
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise UserFacingError(f"{path}: '{what}' holds NaN or infinite pixels; the file is damaged.")
    return np.ascontiguousarray(_to_uint8(x, path))


class PairBatches:
    """Random batches (a, b, labels): float32 (B, R, R, 1) in [0, 1] and int32, reproducible from a seed."""

    def __init__(self, pairs: PairedDataset, batch_size: int, seed: int = 0):
        if len(pairs) < batch_size:
            raise UserFacingError(f"Batch size {batch_size} is larger than the {len(pairs)} pairs available.")
        self._pairs, self._batch_size = pairs, batch_size
        self._rng = np.random.default_rng(seed)

    def next(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = self._rng.integers(0, len(self._pairs), self._batch_size)
        as_float = lambda x: (x[idx].astype(np.float32) / 255.0)[..., None]
        return as_float(self._pairs.a), as_float(self._pairs.b), self._pairs.labels[idx].astype(np.int32)
