"""Real MNIST from the Keras cache, an IDX folder, an .npz file, or the bundled subset."""
from __future__ import annotations

import gzip
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainers.errors import UserFacingError
from trainers.paths import BUNDLED_MNIST, KERAS_MNIST_CACHE

HELD_OUT = 2000  # last digits of every source: never trained on by the evaluation classifier
IDX_FILES = {
    "train_x": "train-images-idx3-ubyte",
    "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte",
    "test_y": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class Dataset:
    images: np.ndarray  # uint8 (N, 28, 28), 255 = ink
    labels: np.ndarray  # uint8 (N,)
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def notice(self) -> str:
        return f"Using {self.source}: {len(self):,} images."

    def split(self, held_out: int = HELD_OUT) -> tuple[Dataset, Dataset]:
        """(train, held-out) with the held-out part at the end, always the same digits."""
        held_out = min(held_out, len(self) // 5)
        cut = len(self) - held_out
        return (
            Dataset(self.images[:cut], self.labels[:cut], self.source),
            Dataset(self.images[cut:], self.labels[cut:], f"{self.source} (held out)"),
        )

    def take(self, n: int) -> Dataset:
        return Dataset(self.images[:n], self.labels[:n], self.source)


def load_dataset(spec: str | Path | None = None) -> Dataset:
    """spec: None/'auto' (Keras cache, else bundled), 'bundled', 'keras', or a path."""
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
    path = Path(spec).expanduser()
    if not path.exists():
        raise UserFacingError(f"Data file not found: {path} (expected an IDX folder or an .npz with x and y).")
    if path.is_dir():
        return _load_idx_folder(path)
    return _load_npz(path, source=f"{path.name}")


def load_bundled() -> Dataset:
    return _load_npz(BUNDLED_MNIST, source="the bundled real MNIST subset (no full MNIST in the Keras cache)")


def _load_keras_cache() -> Dataset:
    with _open_npz(KERAS_MNIST_CACHE) as f:
        x = np.concatenate([f["x_train"], f["x_test"]])
        y = np.concatenate([f["y_train"], f["y_test"]])
    return _validated(x, y, KERAS_MNIST_CACHE, "full MNIST from the Keras cache")


def _load_npz(path: Path, source: str) -> Dataset:
    with _open_npz(path) as f:
        keys = set(f.files)
        if {"x", "y"} <= keys:
            x, y = f["x"], f["y"]
        elif {"x_train", "y_train"} <= keys:
            x, y = f["x_train"], f["y_train"]
        else:
            raise UserFacingError(f"{path}: expected arrays 'x' and 'y' (or x_train/y_train), found {sorted(keys)}.")
    return _validated(x, y, path, source)


def _open_npz(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise UserFacingError(f"{path} is not a readable .npz file ({exc}); re-download or pick another file.") from None


def _validated(x: np.ndarray, y: np.ndarray, path: Path, source: str) -> Dataset:
    x = np.asarray(x)
    y = np.asarray(y).reshape(-1)
    if x.ndim == 2 and x.shape[1] == 784:
        x = x.reshape(-1, 28, 28)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise UserFacingError(f"{path}: images must be 28×28, got array of shape {x.shape}.")
    if len(x) != len(y):
        raise UserFacingError(f"{path}: {len(x)} images but {len(y)} labels.")
    if len(y) == 0 or y.min() < 0 or y.max() > 9:
        raise UserFacingError(f"{path}: labels must be digits 0–9.")
    if x.dtype != np.uint8:
        scale = 255.0 if x.max() <= 1.0 else 1.0
        x = np.clip(np.rint(x.astype(np.float64) * scale), 0, 255).astype(np.uint8)
    return Dataset(np.ascontiguousarray(x), y.astype(np.uint8), source)


def _load_idx_folder(folder: Path) -> Dataset:
    parts = {key: _read_idx(_find_idx(folder, stem)) for key, stem in IDX_FILES.items()}
    x = np.concatenate([parts["train_x"], parts["test_x"]])
    y = np.concatenate([parts["train_y"], parts["test_y"]])
    return _validated(x, y, folder, f"IDX files in {folder}")


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
    except (OSError, EOFError) as exc:
        raise UserFacingError(f"{path} could not be read ({exc}); re-download it.") from None
    if len(raw) < 8 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise UserFacingError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
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
        idx = self._rng.integers(0, len(self._labels), self._batch_size)
        images = self._images[idx].astype(np.float32)[..., None] / 255.0
        return images, self._labels[idx].astype(np.int32)
