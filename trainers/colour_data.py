"""Colour 32×32 data sets from the user's own files: CIFAR-10's python batches and SVHN's .mat files.

Neither can be downloaded here, so both read the files exactly as their publishers ship them:
- CIFAR-10 "python version": a folder (or the cifar-10-python.tar.gz itself) with data_batch_1..5 and
  test_batch, each a pickled dict of b"data" (uint8, N × 3072, the red, green and blue planes) and
  b"labels" (ints 0–9). A pickle can run code when loaded, so these are read by an unpickler that
  knows only numpy arrays, dicts, lists, strings and numbers and refuses everything else.
- SVHN "format 2": train_32x32.mat (and test_32x32.mat) with X (32, 32, 3, N) and y (N, 1) in 1–10,
  where 10 stands for the digit 0; read with scipy.io.loadmat (MATLAB v5 files hold no code).
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from trainers.data import Dataset, validated
from trainers.errors import UserFacingError

CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
SVHN_FILES = ("train_32x32.mat", "test_32x32.mat")
SIDE = 32


def is_colour_source(path: Path) -> bool:
    if path.is_dir():
        return (path / CIFAR_BATCHES[0]).is_file() or any((path / name).is_file() for name in SVHN_FILES)
    return path.suffix == ".mat" or path.name.endswith((".tar.gz", ".tgz"))


def load(path: Path) -> Dataset:
    if path.suffix == ".mat" or (path.is_dir() and not (path / CIFAR_BATCHES[0]).is_file()):
        return load_svhn(path)
    return load_cifar10(path)


# --- CIFAR-10 ---------------------------------------------------------------------------
class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a function or class that reading arrays never needs."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and plain containers; any other global (a function to call on load) is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise RefusedGlobal(f"it asks to run {module}.{name}, which a data batch never needs")


def read_cifar_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 32, 32, 3) uint8, labels (N,)) from one pickled batch; one line when it is not one."""
    try:
        batch = _ArraysOnlyUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except RefusedGlobal as exc:
        raise UserFacingError(f"{where} was refused: {exc}; a CIFAR-10 batch holds arrays only.") from None
    except Exception as exc:  # a damaged pickle fails in many ways (EOFError, ValueError, struct.error, ...)
        raise UserFacingError(
            f"{where} is not a readable CIFAR-10 batch ({type(exc).__name__}); the file is "
            "damaged or truncated, re-download it."
        ) from None
    if not isinstance(batch, dict):
        raise UserFacingError(f"{where} holds a {type(batch).__name__}, not a CIFAR-10 batch (a dict).")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise UserFacingError(f"{where} lacks 'data' or 'labels'; found {sorted(map(str, batch))}.")
    data, labels = batch["data"], batch["labels"]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * SIDE * SIDE:
        shape = getattr(data, "shape", type(data).__name__)
        raise UserFacingError(f"{where}: 'data' must be N × 3072 (32×32 in three colour planes), got {shape}.")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise UserFacingError(f"{where}: 'labels' are not whole numbers.") from None
    # each row: 1024 red, then 1024 green, then 1024 blue values, row by row
    images = data.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1)
    return images, labels


def _cifar_members(path: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every batch, from the folder or straight out of the .tar.gz."""
    if path.is_dir():
        missing = [name for name in CIFAR_BATCHES if not (path / name).is_file()]
        if missing:
            raise UserFacingError(
                f"{path} lacks {', '.join(missing)}: a CIFAR-10 python folder has data_batch_1 "
                "to data_batch_5 and test_batch."
            )
        return [(str(path / name), (path / name).read_bytes()) for name in CIFAR_BATCHES]
    try:
        with tarfile.open(path, "r:*") as archive:
            members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
            missing = [name for name in CIFAR_BATCHES if name not in members]
            if missing:
                raise UserFacingError(f"{path} lacks {', '.join(missing)}: not the CIFAR-10 python archive.")
            return [(f"{path}:{name}", _member_bytes(archive, members[name])) for name in CIFAR_BATCHES]
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise UserFacingError(
            f"{path} is not a readable .tar.gz ({exc}); the download is damaged or truncated, fetch it again."
        ) from None


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = archive.extractfile(member)
    if stream is None:
        raise UserFacingError(f"{member.name} in the archive is not a regular file.")
    return stream.read()


def load_cifar10(path: Path) -> Dataset:
    parts = [read_cifar_batch(raw, where) for where, raw in _cifar_members(path)]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return validated(images, labels, path, f"CIFAR-10 from {path}", kind="cifar10")


# --- SVHN -------------------------------------------------------------------------------
def read_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        contents = loadmat(path)
    except NotImplementedError:
        raise UserFacingError(f"{path} is a MATLAB v7.3 file; save it as v5 (SVHN's own files are v5).") from None
    except (MatReadError, ValueError, TypeError, OSError, EOFError, zlib.error) as exc:
        raise UserFacingError(f"{path} is not a readable .mat file ({exc}); re-download it.") from None
    if "X" not in contents or "y" not in contents:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise UserFacingError(f"{path}: an SVHN file has arrays X and y, found {found}.")
    x, y = np.asarray(contents["X"]), np.asarray(contents["y"])
    if x.ndim != 4 or x.shape[:3] != (SIDE, SIDE, 3):
        raise UserFacingError(f"{path}: X must be 32 × 32 × 3 × N (SVHN's format 2), got {x.shape}.")
    if y.dtype.kind not in "uif":
        raise UserFacingError(f"{path}: y holds {y.dtype} values, not digit labels.")
    y = y.reshape(-1)
    if y.size and (y.min() < 1 or y.max() > 10):
        raise UserFacingError(f"{path}: SVHN labels run 1–10 (10 for the digit 0), found {y.min():g}..{y.max():g}.")
    return x.transpose(3, 0, 1, 2), np.where(y == 10, 0, y)


def load_svhn(path: Path) -> Dataset:
    files = [path] if path.is_file() else [path / name for name in SVHN_FILES if (path / name).is_file()]
    parts = [read_svhn_mat(f) for f in files]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return validated(images, labels, path, f"SVHN from {path}", kind="svhn")
