"""Train the project's judge of Fashion-MNIST sketches: the evaluation classifier (trainers.classifier) on the
Canny sketches of the 68,000 training photos, read as the translation measures read them (32×32 resampled to
28×28, bicubic); held out: the sketches of the last 2,000 photos, which no translation model trains on either.

    python scripts/train_sketch_judge.py [--epochs 10] [--out resources/models/classifier-fashion-sketch]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from trainers.classifier import SHIPPED_JUDGES, train_classifier
from trainers.data import Dataset
from trainers.paired_data import load_pairs
from trainers.quiet import load_tensorflow_quietly
from trainers.translation_eval import judge_view


def sketches_as_judged() -> Dataset:
    pairs = load_pairs("fashion-edges", 32)
    images = np.rint(judge_view(pairs.b / np.float32(255.0)) * 255).astype(np.uint8)
    source = "Canny sketches of Debian's Fashion-MNIST photos (scripts/train_sketch_judge.py)"
    return Dataset(images, pairs.labels, source, kind="fashion-sketch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=SHIPPED_JUDGES["fashion-sketch"])
    args = parser.parse_args()
    load_tensorflow_quietly()
    print(train_classifier(epochs=args.epochs, out=args.out, data="fashion-edges", dataset=sketches_as_judged()))


if __name__ == "__main__":
    main()
