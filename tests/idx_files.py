"""MNIST-format IDX folders, written the way MNIST, Fashion-MNIST and Debian's package lay them out."""

from pathlib import Path

from trainers.data import IDX_FILES, write_idx


def write_idx_folder(folder: Path, dataset, n_train: int) -> Path:
    """The four .gz IDX files of `dataset`: its first n_train images for training, the rest for testing."""
    images, labels = dataset.images, dataset.labels
    parts = {
        "train_x": images[:n_train],
        "train_y": labels[:n_train],
        "test_x": images[n_train:],
        "test_y": labels[n_train:],
    }
    for key, stem in IDX_FILES.items():
        write_idx(folder / f"{stem}.gz", parts[key])
    return folder
