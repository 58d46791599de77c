"""A bound on what a straight line in a model's noise can do for thickness and slant: directions *fitted* to
the project's measures (supervised, so not discoveries), measured by the same sweep as the discovered ones.

For each attribute: the attribute regressed on the noise over N random samples, with the judged class as
covariates, either as one fit ("pooled") or as the mean of per-class fits ("per class"); then, as
InterFaceGAN's conditional edit does (Shen et al. 2020), the class's own linear directions projected out:
those of a least-squares fit of the judged class (one-hot) on the noise, or the span of the class centroids'
differences. Printed: ρ with thickness and slant, the share of samples whose judged class is kept over ±2σ,
and the Fréchet distance at the sweep's ends, as in the directions tables.

python scripts/fitted_directions.py [--model resources/models/dcgan] [--samples 3000]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
ATTRIBUTES = ("thickness", "slant")


def samples_measured(model, n: int, judge, seed: int = 1):
    """(noise name, noise (n, dim), judged classes, attributes) of n random samples."""
    from trainers import directions
    from trainers.evaluation import generate_batched

    latents = model.latent_spec.sample(n, np.random.default_rng(seed))
    view = model.judge_view(generate_batched(model, latents))
    labels, _ = judge(view)
    name = next(iter(model.noise_sites()))
    return name, latents[name].astype(np.float64), labels, directions.image_attributes(view, digits=True)


def least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x - x.mean(axis=0), y - y.mean(axis=0), rcond=None)[0]


def fitted(noise, labels, attribute, per_class: bool) -> np.ndarray:
    """The attribute's slope in the noise, the class held fixed."""
    y = (attribute - attribute.mean()) / attribute.std()
    if per_class:
        return sum(least_squares(noise[labels == c], y[labels == c]) * np.sum(labels == c) for c in np.unique(labels))
    onehot = (labels[:, None] == np.unique(labels)[None, :]).astype(float)
    return least_squares(np.hstack([noise, onehot]), y)[: noise.shape[1]]


def class_basis(noise, labels, how: str) -> np.ndarray:
    """Orthonormal columns spanning the class's linear directions in the noise."""
    classes = np.unique(labels)
    if how == "class fit":
        onehot = (labels[:, None] == classes[None, :]).astype(float)
        return np.linalg.qr(least_squares(noise, onehot))[0]
    centroids = np.stack([noise[labels == c].mean(axis=0) for c in classes])
    differences = (centroids[:, None] - centroids[None]).reshape(-1, noise.shape[1])
    return np.linalg.svd(differences, full_matrices=False)[2][: len(classes) - 1].T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "resources" / "models" / "dcgan")
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()

    from trainers import directions
    from trainers.run import load_model

    model = load_model(args.model)
    judge, real = directions.judge_and_real_features(model, print)
    name, noise, labels, attributes = samples_measured(model, args.samples, judge)
    control, rng = model.latent_spec.noise(name), np.random.default_rng(0)
    rows = []
    for attribute in ATTRIBUTES:
        for per_class in (False, True):
            slope = fitted(noise, labels, attributes[attribute], per_class)
            for projection in ("none", "class fit", "centroids"):
                vector = slope
                if projection != "none":
                    basis = class_basis(noise, labels, projection)
                    vector = slope - basis @ (basis.T @ slope)
                vector = vector / np.linalg.norm(vector)
                sigma = float((control.sample(rng, 4000).astype(np.float64) @ vector).std())
                fit = "per class" if per_class else "pooled"
                rows.append(
                    (
                        f"{attribute}, {fit}, projected: {projection}",
                        directions.Direction(name, vector.astype(np.float32), sigma, {}, None, None),
                    )
                )
    directions.measure(model, [d for _, d in rows], judge, real)
    print(f"{model.title}, {args.samples} samples; ρ thickness, ρ slant, class kept over ±2σ, Fréchet at the ends")
    for label, d in rows:
        print(
            f"  {label:45s} {d.effects['thickness']:+.2f} {d.effects['slant']:+.2f} "
            f"{d.class_kept:.0%} ×{d.frechet_ends:.2f}"
        )


if __name__ == "__main__":
    main()
