"""The project's evaluation of a generator: label accuracy, Fréchet distance, code effects."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainers import metrics
from trainers.errors import UserFacingError
from trainers.latent import LatentSpec, NoiseControl

ATTRIBUTES = ("thickness", "slant")
EFFECT_THRESHOLD = 0.5  # |Spearman| from which a control is said to drive an attribute
SWEEP_BINS = 10


def measure_attributes(images: np.ndarray) -> dict[str, np.ndarray]:
    """Stroke thickness and slant; colour images are measured on their brightness."""
    grey = images.mean(axis=-1) if images.ndim == 4 else images
    return {"thickness": metrics.thickness(grey), "slant": metrics.slant(grey)}


@dataclass
class RealReference:
    """Held-out real digits split in two disjoint halves: A gives the floor, B is the reference."""

    features_a: np.ndarray
    features_b: np.ndarray
    features_a_shifted: np.ndarray | None = None  # half A moved one pixel sideways: the KID goal's yardstick

    @classmethod
    def from_dataset(cls, dataset, judge, with_yardstick: bool = False) -> RealReference:
        """`with_yardstick`: also judge half A moved one pixel (the evaluation's, not the live metrics')."""
        _, held_out = dataset.split()
        images = held_out.images / 255.0
        _, features = judge(images)
        half = len(features) // 2
        shifted = judge(np.roll(images[:half], 1, axis=2))[1] if with_yardstick else None
        return cls(features[:half], features[half : 2 * half], shifted)

    @property
    def floor(self) -> float:
        return metrics.frechet_distance(self.features_a, self.features_b)

    @property
    def features(self) -> np.ndarray:
        """Every held-out image's features: the real side of the measures that need no floor."""
        return np.concatenate([self.features_a, self.features_b])


KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000


def unbiased_figures(features: np.ndarray, reference: RealReference) -> dict[str, Any]:
    """Figures whose expectation does not move with the sample size: the kernel distance against every
    held-out image (and, as its noise level, between the two real halves), plus the Fréchet distance with
    as many samples on both sides as the held-out set has, no floor needed to read it."""
    real = reference.features
    kid, spread = metrics.kernel_distance(features, real, KID_SUBSETS, KID_SUBSET_SIZE)
    n_half = len(reference.features_a)
    halves, _ = metrics.kernel_distance(reference.features_a, reference.features_b, 1, n_half)
    size = min(len(features), len(real))
    shifted = {}
    if reference.features_a_shifted is not None:
        shifted["kid_real_shifted"], _ = metrics.kernel_distance(
            reference.features_a_shifted, reference.features_b, 1, n_half
        )
    return {
        **shifted,  # real half A moved one pixel sideways vs half B: a change a person barely sees
        "kid": kid,
        "kid_spread": spread,  # standard deviation over the subsets
        "kid_subset_size": min(KID_SUBSET_SIZE, len(features), len(real)),
        "kid_subsets": KID_SUBSETS,
        "kid_real_halves": halves,
        "frechet_distance_equal": metrics.frechet_distance(features[:size], real[:size]),
        "frechet_equal_size": size,
    }


def sweep_latents(spec: LatentSpec, name: str, n: int, rng: np.random.Generator):
    """Everything random as in training, except `name`, spread evenly over its slider range."""
    control = spec.ranged(name)
    latents = spec.sample(n, rng)
    values = np.repeat(np.linspace(control.low, control.high, SWEEP_BINS), -(-n // SWEEP_BINS))[:n]
    values = rng.permutation(values).astype(np.float32)
    if isinstance(control, NoiseControl):  # a noise vector: the slider shifts the whole vector
        latents[name] = control.draw(rng, n) + values[:, None]
    else:
        latents[name] = values
    return latents, values


def chunked_frechet(features: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """Mean, lowest and highest Fréchet distance of every run of len(reference) generated samples to the
    reference: each is sized like the floor (reference vs reference), so each ratio to it is fair, and
    their mean is steadier than one of them (one run of 1,000 can read 1.5x off its neighbour)."""
    size = len(reference)
    chunks = [features[i : i + size] for i in range(0, max(len(features) - size, 0) + 1, size)]
    distances = [metrics.frechet_distance(chunk, reference) for chunk in chunks]
    return float(np.mean(distances)), float(min(distances)), float(max(distances))


def generate_batched(model, latents: dict, batch: int = 1000) -> np.ndarray:
    n = len(next(iter(latents.values())))
    return np.concatenate(
        [model.generate_arrays({k: v[i : i + batch] for k, v in latents.items()}) for i in range(0, n, batch)]
    )


def evaluate(model, judge, reference: RealReference, n: int = 10000, seed: int = 0, progress=None) -> dict:
    """All figures of the model card. `progress(k)` is called with the number of images done."""
    rng = np.random.default_rng(seed)
    spec = model.latent_spec
    label = spec.categorical.name if spec.categorical is not None else None
    tick = progress or (lambda k: None)
    tick(0)  # the judge and the real reference are ready: the measuring starts
    latents = spec.sample(n, rng)
    images = model.judge_view(generate_batched(model, latents))
    predicted, features = judge(images)
    tick(n)
    size = len(reference.features_b)
    distance, lowest, highest = chunked_frechet(features, reference.features_b)
    floor = reference.floor
    result: dict[str, Any] = {
        "samples": n,
        "frechet_distance": distance,  # the mean over every run of `size` samples
        "frechet_floor": floor,
        "frechet_sample_size": size,
        "frechet_chunks": max(n // size, 1),
        "frechet_ratio_range": [lowest / floor, highest / floor],
        **unbiased_figures(features, reference),
        "effects": {},
    }
    if label is not None:
        control = spec.categorical
        result["class_label"] = control.label  # "digit", or "class" where the data names its classes
        result["class_names"] = list(control.class_names)
        result["label_accuracy"] = metrics.label_accuracy(predicted, latents[label])
        result["label_accuracy_by_digit"] = _accuracy_by_digit(predicted, latents[label])
    else:  # an unconditional model: which digits does it draw, and does it drop any?
        counts = np.bincount(predicted, minlength=10)[:10]
        result["predicted_class_share"] = {str(d): float(c / n) for d, c in enumerate(counts)}
    result["frechet_ratio"] = result["frechet_distance"] / result["frechet_floor"]
    for control in spec.swept:
        sweep, values = sweep_latents(spec, control.name, n, rng)
        sweep_images = model.judge_view(generate_batched(model, sweep))
        measured = measure_attributes(sweep_images)
        sweep_predicted, _ = judge(sweep_images)
        correct = sweep_predicted == sweep[label] if label is not None else None
        result["effects"][control.name] = _effect(control, values, measured, correct)
        tick(n)
    return result


def _accuracy_by_digit(predicted: np.ndarray, requested: np.ndarray) -> dict[str, float]:
    """Where a model misses: one digit drawn like another shows here, not in the overall figure."""
    return {
        str(d): metrics.label_accuracy(predicted[requested == d], requested[requested == d])
        for d in np.unique(requested)
    }


def _effect(control, values, measured, correct) -> dict:
    rho = {a: metrics.spearman(values, measured[a]) for a in ATTRIBUTES}
    best = max(rho, key=lambda a: abs(rho[a]))
    effect: dict[str, Any] = {
        "spearman": rho,
        "attribute": best if abs(rho[best]) >= EFFECT_THRESHOLD else None,
        "range": [control.low, control.high],
    }
    if correct is not None:
        bins = np.linspace(control.low, control.high, SWEEP_BINS)
        per_bin = [float(correct[np.isclose(values, b)].mean()) for b in bins]
        effect["label_accuracy_min_over_range"] = min(per_bin)
        effect["label_accuracy_by_value"] = dict(zip([f"{b:.3g}" for b in bins], per_bin))
    return effect


class LiveMetrics:
    """Label accuracy and Fréchet distance on a fixed sample, cheap enough to run during training."""

    def __init__(self, dataset, n: int = 500, seed: int = 7):
        from trainers.classifier import load_judge

        self.judge = load_judge(dataset.kind)
        self.reference = RealReference.from_dataset(dataset, self.judge)
        self.n, self.seed = n, seed
        self._latents: dict[str, np.ndarray] | None = None  # drawn once, from the first model's spec

    def __call__(self, model) -> dict[str, float]:
        latents = self._latents
        if latents is None:
            latents = self._latents = model.latent_spec.sample(self.n, np.random.default_rng(self.seed))
        predicted, features = self.judge(model.judge_view(model.generate_arrays(latents)))
        values = {}
        label = model.latent_spec.categorical
        if label is not None:
            values["label_accuracy"] = metrics.label_accuracy(predicted, latents[label.name])
        values["frechet_distance"] = metrics.frechet_distance(features, self.reference.features_b)
        kid, _ = metrics.kernel_distance(features, self.reference.features, subsets=10, subset_size=len(features))
        values["kernel_distance"] = kid
        return values


def live_metrics_or_none(dataset, say) -> LiveMetrics | None:
    """LiveMetrics, or None with one line to `say` why (e.g. no judge shipped): training goes on."""
    try:
        return LiveMetrics(dataset)
    except UserFacingError as exc:
        say(f"Live metrics off: {exc}")
        return None


def format_table(result: dict) -> str:
    lines = [f"{'samples':<34}{result['samples']:>10}"]
    if "label_accuracy" in result:
        lines += [
            f"{'label accuracy':<34}{result['label_accuracy']:>10.4f}",
            f"  by {result.get('class_label', 'digit'):<8}"
            + " ".join(f"{_class_name(result, d)}:{a:.3f}" for d, a in result["label_accuracy_by_digit"].items()),
        ]
    if "predicted_class_share" in result:
        lines.append(
            "  digits drawn (judge's share) "
            + " ".join(f"{d}:{a:.3f}" for d, a in result["predicted_class_share"].items())
        )
    lines += [
        f"{'Fréchet distance (generated)':<34}{result['frechet_distance']:>10.3f}" + _chunks_note(result),
        f"{'Fréchet floor (real vs real)':<34}{result['frechet_floor']:>10.3f}",
        f"{'ratio to floor':<34}{result['frechet_ratio']:>10.2f}" + _range_note(result),
        *_unbiased_lines(result),
        "",
        f"{'control':<10}{'range':<14}{'ρ thickness':>13}{'ρ slant':>10}{'drives':>12}{'min label acc':>15}",
    ]
    for name, e in result["effects"].items():
        lo, hi = e["range"]
        lines.append(
            f"{name:<10}{f'[{lo:g}, {hi:g}]':<14}{e['spearman']['thickness']:>13.3f}"
            f"{e['spearman']['slant']:>10.3f}{e['attribute'] or '-':>12}"
            + (f"{e['label_accuracy_min_over_range']:>15.4f}" if "label_accuracy_min_over_range" in e else f"{'-':>15}")
        )
    return "\n".join(lines)


def _unbiased_lines(result: dict) -> list[str]:
    if "kid" not in result:
        return []
    return [
        f"{'kernel distance (KID)':<34}{result['kid']:>10.3f}"
        f"  (± {result['kid_spread']:.3f} over {result['kid_subsets']} subsets of "
        f"{result['kid_subset_size']:,}; real vs real {result['kid_real_halves']:.3f})",
        *(
            [f"{'KID of real images moved 1 pixel':<34}{result['kid_real_shifted']:>10.3f}  (the goal's yardstick)"]
            if "kid_real_shifted" in result
            else []
        ),
        f"{'Fréchet distance, equal sizes':<34}{result['frechet_distance_equal']:>10.3f}"
        f"  ({result['frechet_equal_size']:,} generated vs every held-out image)",
    ]


def _chunks_note(result: dict) -> str:
    chunks = result.get("frechet_chunks", 1)
    return f"  (mean of {chunks} runs of {result['frechet_sample_size']:,})" if chunks > 1 else ""


def _range_note(result: dict) -> str:
    lowest, highest = result.get("frechet_ratio_range") or (None, None)
    return f"  ({lowest:.2f}–{highest:.2f} over the runs)" if lowest is not None and highest != lowest else ""


def _class_name(result: dict, value: str) -> str:
    names = result.get("class_names") or []
    return names[int(value)] if value.isdigit() and int(value) < len(names) else value


def judged_evaluation(model, n: int, progress=None) -> dict:
    """evaluate() with the project's judge of the model's kind of images, against held-out real ones."""
    from trainers.classifier import load_judge, reference_data_spec
    from trainers.data import load_dataset

    kind = model.data_kind
    judge = load_judge(kind.name)
    dataset = load_dataset(reference_data_spec(kind.name))
    result = evaluate(
        model, judge, RealReference.from_dataset(dataset, judge, with_yardstick=True), n=n, progress=progress
    )
    result["real_data"] = dataset.source
    return result


def evaluate_command(args) -> int:
    from tqdm import tqdm

    from trainers.run import CARD, load_model, write_json

    model = load_model(args.run)
    bar = None

    def progress(done: int) -> None:  # the bar opens with the first progress: a missing judge prints only its line
        nonlocal bar
        if bar is None:
            bar = tqdm(
                total=model.evaluation_units(args.n), unit=model.evaluation_unit, desc="evaluating", file=sys.stderr
            )
        bar.update(done)

    try:
        result = model.evaluate(args.n, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    print(json.dumps(result, indent=2) if args.json else model.format_evaluation(result))
    if args.save_card:
        write_json(args.run / CARD, result)
    return 0
