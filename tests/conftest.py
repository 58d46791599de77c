import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the user's own judges (colour sets) live under XDG_DATA_HOME: never the real one, in any process
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="gan-explorer-tests-")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="gan-explorer-tests-cache-")  # built-in pair sets
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# JAX compiles every program anew in each process (~25 s of a JAX test's 50 s on these CPUs); the tests' JAX
# processes build the same networks, so they share one cache, made once before the workers start and inherited
# by them and their children. It starts empty in every test session; a size limit turns on its file lock, so
# that no process reads an entry another is still writing.
OWN_JAX_CACHE = ""
if "PYTEST_XDIST_WORKER" not in os.environ and "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    OWN_JAX_CACHE = os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="gan-explorer-jax-cache-")
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    os.environ["JAX_COMPILATION_CACHE_MAX_SIZE"] = str(4 << 30)

import pytest

from trainers.data import load_dataset


def pytest_collection_modifyitems(items):
    """The longest tests first (a stable sort): two workers end together instead of one waiting on a late one."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_unconfigure(config):
    if OWN_JAX_CACHE:
        shutil.rmtree(OWN_JAX_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def small_mnist():
    """600 real digits from the bundled subset: enough for a few real training steps."""
    return load_dataset("bundled").take(600)


@pytest.fixture(scope="session")
def small_pairs(tmp_path_factory, small_mnist):
    """300 real digits and their Canny sketches at 32×32, as an .npz of pairs (a, b, y) a run can learn from."""
    import numpy as np

    from trainers.paired_data import canny_sketch, photos_and_sketches

    a, b = photos_and_sketches(small_mnist.images[:300], 32, canny_sketch)
    path = tmp_path_factory.mktemp("pairs") / "pairs.npz"
    np.savez(path, a=a, b=b, y=small_mnist.labels[:300])
    return path


@pytest.fixture(scope="session", autouse=True)
def isolated_qsettings(tmp_path_factory):
    """Recent-runs lists go to a temporary folder, never to the user's real settings."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings")))


@pytest.fixture(autouse=True)
def own_user_judges(tmp_path_factory, monkeypatch):
    """Each test starts without user-trained judges: one trained by a test stays in that test."""
    import trainers.classifier

    folder = tmp_path_factory.mktemp("judges")
    monkeypatch.setattr(trainers.classifier, "USER_JUDGES", folder)
    return folder


@pytest.fixture
def fashion_folder(tmp_path, monkeypatch, small_mnist):
    """A folder in Debian's layout (real MNIST digits stand in for the clothes: the loader is what is tested)."""
    import trainers.data
    from tests.idx_files import write_idx_folder

    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    monkeypatch.setattr(trainers.data, "FASHION_MNIST_DIR", folder)
    write_idx_folder(folder, small_mnist, 500)
    return folder
