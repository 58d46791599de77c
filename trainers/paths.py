"""Where the shipped resources live (the repository's resources/ folder), and the user's own files."""

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
BUNDLED_MNIST = RESOURCES / "data" / "mnist_10k.npz"
SHIPPED_MODELS = RESOURCES / "models"
CLASSIFIER_DIR = SHIPPED_MODELS / "classifier"
KERAS_MNIST_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
# Judges the user trains from their own files (colour sets cannot be shipped: no offline source)
USER_DATA = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "gan-latent-explorer"
USER_JUDGES = USER_DATA / "judges"
# What the project computes once and can compute again (built-in paired sets)
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gan-latent-explorer"
