"""What a class-conditional model's discovered directions do within each class: the Spearman ρ of the amount
with each attribute, per class, beside the ρ over all classes that the directions tables report.

A direction can act strongly on every class and still read weak over all of them: the classes differ in
width or intensity far more than one direction moves them, and a rank correlation over the pooled samples
counts those differences as noise. The tables name a class-conditional model's directions by the classes'
ρ averaged (trainers.directions.within_class_spearman); this shows each class's own, over more starts.

python scripts/per_class_effects.py [--model resources/models/acgan-fashion] [--method sefa] [--top 4]
                                    [--starts 320]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "resources" / "models" / "acgan-fashion")
    parser.add_argument("--method", default="sefa", choices=("sefa", "ganspace"))
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("--starts", type=int, default=320, help="random starting points (about a tenth per class)")
    args = parser.parse_args()

    from trainers import directions, metrics
    from trainers.evaluation import generate_batched
    from trainers.run import load_model

    model = load_model(args.model)
    spec = model.latent_spec
    if spec.categorical is None:
        raise SystemExit(f"{model.title} has no class control.")
    found = directions.directions_for(model, args.model, args.method)[: args.top]
    starts = spec.sample(args.starts, np.random.default_rng(5))
    names = [spec.categorical.class_name(c) for c in range(spec.categorical.n)]
    print(f"{model.title}, {args.method}, {args.starts} starts; ρ over all classes, then per class:", ", ".join(names))
    for number, direction in enumerate(found):
        latents, amounts = directions.direction_sweep(spec, direction, starts)
        attributes = directions.image_attributes(model.judge_view(generate_batched(model, latents)), digits=False)
        classes = np.asarray(latents[spec.categorical.name]).astype(int)
        print(f"direction {number} ({direction.name})")
        for attribute, values in attributes.items():
            pooled = metrics.spearman(amounts, values)
            per_class = [metrics.spearman(amounts[classes == c], values[classes == c]) for c in range(len(names))]
            cells = " ".join(f"{rho:+.2f}" for rho in per_class)
            print(f"  {attribute:10s} all {pooled:+.2f} | {cells} | median |ρ| {np.median(np.abs(per_class)):.2f}")


if __name__ == "__main__":
    main()
