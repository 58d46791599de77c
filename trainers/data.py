"""Real data sets: MNIST (the Keras cache, an IDX folder, an .npz file or the bundled subset), Fashion-MNIST
(Debian's package), and colour 32×32 sets from the user's own files (trainers.colour_data). Every loader
ends in `validated`, the one check of the arrays."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainers.errors import NPZ_READ_ERRORS, UserFacingError, read_error_reason
from trainers.paths import BUNDLED_MNIST, FASHION_MNIST_DIR, KERAS_MNIST_CACHE

HELD_OUT = 2000  # last digits of every source: never trained on by the evaluation classifier
IDX_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}


DIGITS = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class DataKind:
    """What a data set's images are: their shape, and what its classes are called."""

    name: str
    title: str
    shape: tuple[int, ...]  # one image: (28, 28) grey, (32, 32, 3) colour
    class_label: str
    class_names: tuple[str, ...]
    data_spec: str  # what --data loads it by (for the evaluation's real reference)

    @property
    def channels(self) -> int:
        return self.shape[2] if len(self.shape) == 3 else 1

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(height, width, channels), what networks take."""
        return (self.shape[0], self.shape[1], self.channels)


KINDS = {
    kind.name: kind
    for kind in (
        DataKind("mnist", "MNIST", (28, 28), "digit", DIGITS, "auto"),
        DataKind("fashion-mnist", "Fashion-MNIST", (28, 28), "class", FASHION_NAMES, "fashion"),
        DataKind("fashion-sketch", "Fashion-MNIST sketches", (28, 28), "class", FASHION_NAMES, ""),
        DataKind("cifar10", "CIFAR-10", (32, 32, 3), "class", CIFAR10_NAMES, ""),
        DataKind("svhn", "SVHN", (32, 32, 3), "digit", DIGITS, ""),
    )
}
KIND_NAMES = tuple(KINDS)


@dataclass(frozen=True)
class Dataset:
    images: np.ndarray  # uint8 (N, 28, 28) grey, 255 = ink; or (N, 32, 32, 3) colour
    labels: np.ndarray  # uint8 (N,)
    source: str
    kind: str = "mnist"  # a key of KINDS

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def data_kind(self) -> DataKind:
        return KINDS[self.kind]

    def notice(self) -> str:
        return f"Using {self.source}: {len(self):,} images."

    def split(self, held_out: int = HELD_OUT) -> tuple[Dataset, Dataset]:
        """(train, held-out) with the held-out part at the end, always the same images."""
        held_out = min(held_out, len(self) // 5)
        cut = len(self) - held_out
        return (
            Dataset(self.images[:cut], self.labels[:cut], self.source, self.kind),
            Dataset(self.images[cut:], self.labels[cut:], f"{self.source} (held out)", self.kind),
        )

    def take(self, n: int) -> Dataset:
        return Dataset(self.images[:n], self.labels[:n], self.source, self.kind)


def load_dataset(spec: str | Path | None = None) -> Dataset:
    """spec: None/'auto' (Keras cache, else bundled), 'bundled', 'keras', 'fashion' (Debian's Fashion-MNIST),
    or a path: an MNIST-format IDX folder or .npz, a CIFAR-10 python batches folder (or its .tar.gz), an SVHN
    .mat file (or a folder of them)."""
    if spec in (None, "auto"):
        return _load_keras_cache() if KERAS_MNIST_CACHE.is_file() else load_bundled()
    if spec == "bundled":
        return load_bundled()
    if spec == "keras":
        if not KERAS_MNIST_CACHE.is_file():
            raise UserFacingError(
                f"No Keras MNIST cache at {KERAS_MNIST_CACHE}; run keras.datasets.mnist.load_data() "
                "once with internet, or use --data bundled."
            )
        return _load_keras_cache()
    if spec == "fashion":
        return load_fashion()
    path = Path(spec).expanduser()
    if not path.exists():
        raise UserFacingError(
            f"Data file not found: {path} (expected an IDX folder, an .npz with x and y, a "
            "CIFAR-10 python batches folder or an SVHN .mat file)."
        )
    if not (path.is_dir() or path.is_file()):
        raise UserFacingError(f"{path} is not a regular file or folder (a pipe or device?); give a data file.")
    from trainers import colour_data

    if colour_data.is_colour_source(path):
        return colour_data.load(path)
    if path.is_dir():  # Zalando's and Debian's folders say what they hold; the IDX format does not
        kind = "fashion-mnist" if "fashion" in path.name.lower() else "mnist"
        return _load_idx_folder(path, kind, f"{'Fashion-MNIST ' if kind != 'mnist' else ''}IDX files in {path}")
    return _load_npz(path, source=f"{path.name}")


def load_fashion() -> Dataset:
    if not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        raise UserFacingError(
            f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR}: install Debian's "
            "dataset-fashion-mnist package (sudo apt install dataset-fashion-mnist), or choose a "
            "folder with its four IDX files."
        )
    return _load_idx_folder(FASHION_MNIST_DIR, kind="fashion-mnist", source=f"Fashion-MNIST from {FASHION_MNIST_DIR}")


def load_bundled() -> Dataset:
    return _load_npz(BUNDLED_MNIST, source="the bundled real MNIST subset (no full MNIST in the Keras cache)")


def _load_keras_cache() -> Dataset:
    with _open_npz(KERAS_MNIST_CACHE) as f:
        x = np.concatenate([_array(f, "x_train", KERAS_MNIST_CACHE), _array(f, "x_test", KERAS_MNIST_CACHE)])
        y = np.concatenate([_array(f, "y_train", KERAS_MNIST_CACHE), _array(f, "y_test", KERAS_MNIST_CACHE)])
    return validated(x, y, KERAS_MNIST_CACHE, "full MNIST from the Keras cache")


def _load_npz(path: Path, source: str) -> Dataset:
    with _open_npz(path) as f:
        keys = set(f.files)
        if {"x", "y"} <= keys:
            x, y = _array(f, "x", path), _array(f, "y", path)
        elif {"x_train", "y_train"} <= keys:
            x, y = _array(f, "x_train", path), _array(f, "y_train", path)
        else:
            raise UserFacingError(f"{path}: expected arrays 'x' and 'y' (or x_train/y_train), found {sorted(keys)}.")
    return validated(x, y, path, source)


def _open_npz(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except NPZ_READ_ERRORS as exc:
        raise UserFacingError(
            f"{path} is not a readable .npz file ({read_error_reason(exc)}); re-download or pick another file."
        ) from None


def _array(npz, key: str, path: Path) -> np.ndarray:
    """One array of an open .npz; a damaged member or an object array is one line, never a traceback."""
    try:
        return npz[key]
    except NPZ_READ_ERRORS as exc:
        reason = read_error_reason(exc)
        if "pickled" in reason:
            raise UserFacingError(f"{path}: array '{key}' cannot be read: {reason}.") from None
        raise UserFacingError(f"{path}: array '{key}' cannot be read ({reason}); the file is damaged.") from None


def validated(x, y, path, source: str, kind: str = "mnist") -> Dataset:
    """The one check of every data set's arrays: numbers, finite, pixel range, shape, labels of the kind."""
    expected = KINDS[kind]
    x, y = np.asarray(x), np.asarray(y)
    for what, array in (("images", x), ("labels", y)):
        if array.dtype.kind not in "uifb":
            raise UserFacingError(f"{path}: {what} are {array.dtype} values, not numbers; give a numeric array.")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise UserFacingError(f"{path}: {what} hold NaN or infinite values; the file is damaged.")
    y = y.reshape(-1)
    shaped = _to_shape(x, expected.shape)
    if shaped is None:
        raise UserFacingError(
            f"{path}: {expected.title} images must be {'×'.join(map(str, expected.shape))}, "
            f"got an array of shape {x.shape}."
        )
    x = shaped
    if len(x) != len(y):
        raise UserFacingError(f"{path}: {len(x)} images but {len(y)} labels.")
    n_classes = len(expected.class_names)
    if len(y) == 0:
        raise UserFacingError(f"{path}: holds no images.")
    if y.min() < 0 or y.max() >= n_classes or np.any(y != np.round(y)):
        raise UserFacingError(
            f"{path}: labels must be whole numbers 0–{n_classes - 1}, found {y.min():g}..{y.max():g}."
        )
    return Dataset(np.ascontiguousarray(_to_uint8(x, path)), y.astype(np.uint8), source, kind)


def _to_shape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """x as (N, *shape), from the layouts data sets come in (flat rows, a trailing channel of 1), or None."""
    if x.ndim == 2 and x.shape[1] == int(np.prod(shape)):
        return x.reshape(-1, *shape)
    if len(shape) == 2 and x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return x if x.shape[1:] == tuple(shape) else None


def _to_uint8(x: np.ndarray, path) -> np.ndarray:
    if x.dtype == np.uint8:
        return x
    low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    if low < 0 or high > 255:
        raise UserFacingError(f"{path}: pixel values run from {low:g} to {high:g}; expected 0–255 (or 0–1).")
    scale = 255.0 if high <= 1.0 and x.dtype.kind in "fb" else 1.0
    return np.rint(x.astype(np.float64) * scale).astype(np.uint8)


def _load_idx_folder(folder: Path, kind: str = "mnist", source: str | None = None) -> Dataset:
    parts = {key: _read_idx(_find_idx(folder, stem)) for key, stem in IDX_FILES.items()}
    x = np.concatenate([parts["train_x"], parts["test_x"]])
    y = np.concatenate([parts["train_y"], parts["test_y"]])
    return validated(x, y, folder, source or f"IDX files in {folder}", kind)


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise UserFacingError(f"Missing {folder / (stem + '.gz')} (an IDX folder needs the four standard MNIST files).")


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, MemoryError, zlib.error) as exc:
        raise UserFacingError(f"{path} could not be read ({read_error_reason(exc)}); re-download it.") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise UserFacingError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise UserFacingError(f"{path}: the IDX header is cut short; the file is truncated.")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise UserFacingError(f"{path}: header says {dims} but holds {body.size} bytes; the file is truncated.")
    return body.reshape(dims)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file (used to export and in tests)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


class BatchSampler:
    """Random batches as float32 in [0, 1] with int labels, reproducible from a seed."""

    def __init__(self, dataset: Dataset, batch_size: int, seed: int = 0):
        if len(dataset) < batch_size:
            raise UserFacingError(f"Batch size {batch_size} is larger than the {len(dataset)} images available.")
        self._images = dataset.images
        self._labels = dataset.labels
        self._batch_size = batch_size
        self._rng = np.random.default_rng(seed)

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """(B, H, W, C) images in [0, 1] (grey images get their channel axis) and their labels."""
        idx = self._rng.integers(0, len(self._labels), self._batch_size)
        images = self._images[idx].astype(np.float32) / 255.0
        if images.ndim == 3:
            images = images[..., None]
        return images, self._labels[idx].astype(np.int32)
