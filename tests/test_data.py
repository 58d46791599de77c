import numpy as np
import pytest

from tests.idx_files import write_idx_folder
from trainers.data import BatchSampler, load_dataset
from trainers.errors import UserFacingError


def test_bundled_subset_is_real_mnist():
    ds = load_dataset("bundled")
    assert ds.images.shape == (10000, 28, 28) and ds.images.dtype == np.uint8
    assert set(np.unique(ds.labels)) == set(range(10))
    assert 80 < ds.images.mean() * 1000 / 255 < 200  # about 13% ink, as MNIST
    assert "10,000 images" in ds.notice()


def test_split_holds_out_the_same_tail():
    ds = load_dataset("bundled")
    train, test = ds.split()
    assert len(train) == 8000 and len(test) == 2000
    assert np.array_equal(test.images, ds.images[-2000:])


def test_idx_folder_round_trip(tmp_path):
    ds = load_dataset("bundled").take(50)
    write_idx_folder(tmp_path, ds, 30)
    loaded = load_dataset(tmp_path)
    assert np.array_equal(loaded.images, ds.images) and np.array_equal(loaded.labels, ds.labels)


def test_npz_with_float_images(tmp_path):
    ds = load_dataset("bundled").take(20)
    np.savez(tmp_path / "d.npz", x=ds.images / 255.0, y=ds.labels)
    assert np.array_equal(load_dataset(tmp_path / "d.npz").images, ds.images)


def written(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: p / "missing.npz", "not found"),
        (lambda p: written(p / "bad.npz", b"not a zip"), "not a readable .npz"),
        (lambda p: np.savez(p / "w.npz", a=np.zeros(3)) or p / "w.npz", "expected arrays 'x' and 'y'"),
        (lambda p: np.savez(p / "s.npz", x=np.zeros((4, 5, 5)), y=np.zeros(4)) or p / "s.npz", "28×28"),
        (lambda p: (p / "idx").mkdir() or p / "idx", "Missing"),
    ],
)
def test_bad_data_files_get_one_clear_line(tmp_path, make, fragment):
    with pytest.raises(UserFacingError, match=fragment) as err:
        load_dataset(make(tmp_path))
    assert "\n" not in str(err.value)


def test_truncated_idx_is_reported(tmp_path):
    import gzip

    write_idx_folder(tmp_path, load_dataset("bundled").take(10), 5)
    raw = gzip.open(tmp_path / "train-images-idx3-ubyte.gz").read()[:-100]
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(raw)
    with pytest.raises(UserFacingError, match="truncated"):
        load_dataset(tmp_path)


def test_batches_are_floats_in_unit_range(small_mnist):
    images, labels = BatchSampler(small_mnist, 16, seed=1).next()
    assert images.shape == (16, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and labels.dtype == np.int32
