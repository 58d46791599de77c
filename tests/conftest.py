import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest

from trainers.data import load_dataset


@pytest.fixture(scope="session")
def small_mnist():
    """600 real digits from the bundled subset: enough for a few real training steps."""
    return load_dataset("bundled").take(600)


@pytest.fixture(scope="session", autouse=True)
def isolated_qsettings(tmp_path_factory):
    """Recent-runs lists go to a temporary folder, never to the user's real settings."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings")))


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
