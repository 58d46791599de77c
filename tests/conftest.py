import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

from trainers.data import load_dataset  # noqa: E402


@pytest.fixture(scope="session")
def small_mnist():
    """600 real digits from the bundled subset: enough for a few real training steps."""
    return load_dataset("bundled").take(600)
