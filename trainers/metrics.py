"""Quality measurements on images and feature sets: pure numpy/scipy/scikit-image."""

from __future__ import annotations

import numpy as np
from scipy import linalg, stats
from skimage.morphology import skeletonize

INK = 0.5  # binarisation threshold on [0, 1] images


def thickness(images: np.ndarray) -> np.ndarray:
    """Mean stroke width in pixels: ink area over skeleton length (Morpho-MNIST style)."""
    out = np.empty(len(images), np.float64)
    for i, image in enumerate(images):
        ink = image > INK
        length = skeletonize(ink).sum()
        out[i] = ink.sum() / length if length else 0.0
    return out


def slant(images: np.ndarray) -> np.ndarray:
    """Shear angle (radians) from second moments of the ink; positive = top leans right."""
    h, w = images.shape[1:]
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    flat = images.reshape(len(images), -1).astype(np.float64)
    mass = flat.sum(1) + 1e-9
    mean_r = flat @ rows.ravel() / mass
    mean_c = flat @ cols.ravel() / mass
    dr = rows.ravel()[None, :] - mean_r[:, None]
    dc = cols.ravel()[None, :] - mean_c[:, None]
    mu11 = (flat * dr * dc).sum(1) / mass
    mu02 = (flat * dr * dr).sum(1) / mass
    return np.arctan(-mu11 / (mu02 + 1e-9))  # rows grow downwards, so a right lean has mu11 < 0


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets."""
    mu_a, mu_b = features_a.mean(0), features_b.mean(0)
    eps = np.eye(features_a.shape[1]) * 1e-6  # dead ReLU features make covariances singular
    cov_a = np.cov(features_a, rowvar=False) + eps
    cov_b = np.cov(features_b, rowvar=False) + eps
    covmean = linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * covmean))


class FrechetReference:
    """Fréchet distances of many feature sets to one reference set, ~10x faster than frechet_distance each:
    the reference's mean, covariance and covariance's square root S are computed once, and
    trace √(Σa Σb) = Σ √eig(S Σa S), a symmetric eigendecomposition instead of a general matrix square root."""

    def __init__(self, features: np.ndarray):
        self.mean = features.mean(0)
        self.eps = np.eye(features.shape[1]) * 1e-6  # as frechet_distance's
        self.cov = np.cov(features, rowvar=False) + self.eps
        values, vectors = np.linalg.eigh(self.cov)
        self.root = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T

    def distance(self, features: np.ndarray) -> float:
        cov = np.cov(features, rowvar=False) + self.eps
        inner = np.clip(np.linalg.eigvalsh(self.root @ cov @ self.root), 0.0, None)
        spread = np.trace(cov) + np.trace(self.cov) - 2.0 * np.sum(np.sqrt(inner))
        return float(np.sum((features.mean(0) - self.mean) ** 2) + spread)


def label_accuracy(predicted: np.ndarray, requested: np.ndarray) -> float:
    return float(np.mean(np.asarray(predicted) == np.asarray(requested)))


def spearman(values: np.ndarray, measured: np.ndarray) -> float:
    if np.ptp(values) == 0 or np.ptp(measured) == 0:
        return 0.0  # one of them never changes: no correlation (scipy would warn and give nan)
    rho = stats.spearmanr(values, measured).statistic
    return float(rho) if np.isfinite(rho) else 0.0


def kernel_distance(
    features_a: np.ndarray, features_b: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel distance (KID, Bińkowski et al. 2018): the unbiased MMD² between two feature sets under the
    cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over random subsets; (mean, standard
    deviation over the subsets). Unbiased: its expectation does not move with the sample size, and is 0
    when both sets come from one distribution (a single estimate can then be slightly negative)."""
    rng = np.random.default_rng(seed)
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    m = min(subset_size, len(a), len(b))
    d = a.shape[1]
    kernel = lambda x, y: (x @ y.T / d + 1.0) ** 3
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy = kernel(x, x), kernel(y, y)
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values.append(within - 2.0 * kernel(x, y).mean())
    return float(np.mean(values)), float(np.std(values))
