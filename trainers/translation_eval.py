"""How an image-to-image model is measured: against each held-out pair's real target (L1, SSIM, edge
F-measure), by the project's judge of the output's kind (class accuracy, Fréchet ratio), whether each output
follows its own input (the Q&A asker's failure: the same sketch for every input), and whether a class given
apart from the input's own is followed."""

from __future__ import annotations

from typing import Any

import numpy as np

from trainers import metrics
from trainers.errors import UserFacingError

JUDGE_SIZE = 28  # the shipped judges read 28×28
KID_SUBSETS, KID_SUBSET_SIZE = 100, 500  # subsets of a half (1,000 of the 2,000 held-out pairs): a spread


def judge_view(images: np.ndarray) -> np.ndarray:
    """(N, R, R) -> (N, 28, 28) as the judges read them (bicubic, clipped)."""
    if images.shape[1] == JUDGE_SIZE:
        return images
    from scipy import ndimage

    scale = JUDGE_SIZE / images.shape[1]
    return np.clip(ndimage.zoom(images, (1, scale, scale), order=3), 0.0, 1.0)


def l1_per_pair(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.abs(outputs - targets).mean(axis=(1, 2))


def follows_input(outputs: np.ndarray, targets: np.ndarray) -> float:
    """Mean L1 of each output to another input's target over the mean L1 to its own: about 1 when outputs
    ignore their inputs (the asker's "similar sketches in all cases"), higher the more each follows its own."""
    own = l1_per_pair(outputs, targets).mean()
    others = l1_per_pair(outputs, np.roll(targets, 1, axis=0)).mean()
    return float(others / max(own, 1e-12))


def ssim(outputs: np.ndarray, targets: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(np.mean([structural_similarity(o, t, data_range=1.0) for o, t in zip(outputs, targets)]))


def edge_f_measure(outputs: np.ndarray, targets: np.ndarray, tolerance: int = 1) -> dict[str, float]:
    """Edge pixels (> 0.5) matched within `tolerance` pixels, pooled over every pair as edge benchmarks score
    a data set: precision (outputs' edges near a real one), recall (real edges near an output's), F."""
    from scipy import ndimage

    predicted, real = outputs > 0.5, targets > 0.5
    near = np.ones((1, 2 * tolerance + 1, 2 * tolerance + 1), bool)
    precision = (predicted & ndimage.binary_dilation(real, near)).sum() / max(predicted.sum(), 1)
    recall = (real & ndimage.binary_dilation(predicted, near)).sum() / max(real.sum(), 1)
    f = 2 * precision * recall / max(precision + recall, 1e-12)
    return {"edge_precision": float(precision), "edge_recall": float(recall), "edge_f": float(f)}


SKETCH_JUDGES = {"fashion-mnist": "fashion-sketch"}  # the judge of a photo kind's sketches, where one is shipped


def judge_kind(model) -> str | None:
    """The project's judge of the model's outputs: its photos' judge (domain A), or the judge of their
    sketches (domain B)."""
    if not model.config.judge:
        return None
    return SKETCH_JUDGES.get(model.config.judge) if model.makes_domain_b else model.config.judge


def _judge_for(model):
    kind = judge_kind(model)
    if kind is None:
        return None
    from trainers.classifier import load_judge

    return load_judge(kind)


class LiveTranslationMetrics:
    """L1, 'follows its input' and the judge's class accuracy on 500 fixed held-out pairs, while training."""

    def __init__(self, dataset, say, n: int = 500):
        _, held_out = dataset.split()
        self.held_out = held_out.take(n)
        self.judge, self._judge_tried, self.say = None, False, say

    def __call__(self, model) -> dict[str, float]:
        inputs, targets = (x / np.float32(255.0) for x in model.oriented(self.held_out))
        labels = self.held_out.labels.astype(np.int64)
        outputs = model.translate(inputs, labels)
        values = {"l1": float(l1_per_pair(outputs, targets).mean()), "follows_input": follows_input(outputs, targets)}
        judge = self._judge(model)
        if judge is not None:
            predicted, _ = judge(judge_view(outputs))
            values["class_accuracy"] = metrics.label_accuracy(predicted, labels)
        return values

    def _judge(self, model):
        if not self._judge_tried:
            self._judge_tried = True
            try:
                self.judge = _judge_for(model)
            except UserFacingError as exc:
                self.say(f"Live class accuracy off: {exc}")
        return self.judge


def evaluate_translation(model, n: int, progress=None) -> dict[str, Any]:
    """Every figure of the model card, on up to n held-out pairs (2,000 at most: the held-out part)."""
    from trainers.paired_data import load_pairs

    cfg = model.config
    _, held_out = load_pairs(cfg.pairs, cfg.resolution).split()
    held_out = held_out.take(min(n, len(held_out)))
    inputs, targets = (x / np.float32(255.0) for x in model.oriented(held_out))
    labels = held_out.labels.astype(np.int64)
    outputs = model.translate(inputs, labels)
    if progress:
        progress(len(labels) // 2)
    result: dict[str, Any] = {
        "pairs": len(labels),
        "direction": cfg.direction,
        "class_info": cfg.class_info,
        "l1": float(l1_per_pair(outputs, targets).mean()),
        "ssim": ssim(outputs, targets),
        "follows_input": follows_input(outputs, targets),
    }
    if model.makes_domain_b:  # domain B is line drawings (sketches, skeletons): scored as edge maps
        result.update(edge_f_measure(outputs, targets))
    try:
        judge = _judge_for(model)
    except UserFacingError as exc:  # the judge's weights are missing: the other figures still count
        judge, result["judge"] = None, f"none: {exc}"
    if judge is not None:
        result.update(_judged(model, judge, inputs, targets, outputs, labels))
    elif "judge" not in result:
        result["judge"] = f"none: the project has no judge of this model's {model.domains[1]} outputs"
    if progress:
        progress(len(labels) - len(labels) // 2)
    return result


def _judged(model, judge, inputs, targets, outputs, labels) -> dict[str, Any]:
    """Class accuracy on outputs and on the real targets (same resampling), the Fréchet ratio of outputs for
    one half of the pairs to the other half's real targets over the floor of real half to real half, and, where
    the model takes a class, how often a class other than the input's own is followed."""
    predicted, features = judge(judge_view(outputs))
    real_predicted, real_features = judge(judge_view(targets))
    figures: dict[str, Any] = {
        "class_accuracy": metrics.label_accuracy(predicted, labels),
        "real_class_accuracy": metrics.label_accuracy(real_predicted, labels),
    }
    half = len(labels) // 2
    if half > features.shape[1]:  # a covariance of the features needs more samples than dimensions
        floor = metrics.frechet_distance(real_features[:half], real_features[half : 2 * half])
        distance = metrics.frechet_distance(features[:half], real_features[half : 2 * half])
        figures.update(frechet_distance=distance, frechet_floor=floor, frechet_ratio=distance / max(floor, 1e-12))
    figures.update(_kernel_distances(features[:half], real_features[:half], real_features[half : 2 * half]))
    if model.uses_class:
        n = model.config.num_labels
        other = (labels + np.random.default_rng(0).integers(1, n, len(labels))) % n  # never the input's own class
        read, _ = judge(judge_view(model.translate(inputs, other)))
        figures["follows_given_class"] = metrics.label_accuracy(read, other)
        figures["keeps_own_class"] = metrics.label_accuracy(read, labels)
    return figures


def _kernel_distances(outputs, real_a, real_b) -> dict[str, float]:
    """KID (unbiased: no floor needed, its expectation does not move with the sample size) of one half's
    outputs to the other half's real targets, with its spread over subsets, and of real half to real half
    (its noise level). Halves, as the Fréchet figure, so no output is compared with its own target."""
    size = min(KID_SUBSET_SIZE, len(outputs) // 2)
    if size < 2:
        return {}
    kid, spread = metrics.kernel_distance(outputs, real_b, KID_SUBSETS, size)
    halves, _ = metrics.kernel_distance(real_a, real_b, 1, len(real_b))
    return {"kid": kid, "kid_spread": spread, "kid_subset_size": size, "kid_real_halves": halves}


ROWS = (
    ("l1", "L1 to the real target", "{:.4f}"),
    ("ssim", "SSIM to the real target", "{:.3f}"),
    ("follows_input", "follows its input (L1 to others' ÷ own; 1 = ignores it)", "{:.2f}"),
    ("edge_f", "edge F-measure (within 1 px)", "{:.3f}"),
    ("edge_precision", "  edge precision", "{:.3f}"),
    ("edge_recall", "  edge recall", "{:.3f}"),
    ("class_accuracy", "judge: input's class read in the output", "{:.1%}"),
    ("real_class_accuracy", "judge: the same on the real targets", "{:.1%}"),
    ("frechet_ratio", "Fréchet ratio (outputs vs real, over real vs real)", "{:.2f}"),
    ("kid", "kernel distance (KID, unbiased) outputs vs real", "{:.3f}"),
    ("kid_real_halves", "  KID real vs real (its noise level)", "{:.3f}"),
    ("follows_given_class", "given another class: the output reads as it", "{:.1%}"),
    ("keeps_own_class", "given another class: still reads as the input's", "{:.1%}"),
)


def format_translation(result: dict) -> str:
    lines = [f"{result['pairs']:,} held-out pairs, {result['direction']}, class information: {result['class_info']}"]
    lines += [f"{title:<58}{fmt.format(result[key]):>10}" for key, title, fmt in ROWS if key in result]
    if "judge" in result:
        lines.append(f"judge: {result['judge']}")
    return "\n".join(lines)
