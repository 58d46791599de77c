"""The evaluation classifier: the project's judge of a data set's images (accuracy and features).

MNIST's and Fashion-MNIST's judges are shipped in resources/models. Colour sets (CIFAR-10, SVHN) have
no offline source, so their judges are trained by the user from their own files and kept in the
user's data folder, with the path of the files they learnt from: the evaluation's real reference."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainers.errors import UserFacingError
from trainers.paths import CLASSIFIER_DIR, SHIPPED_MODELS, USER_JUDGES
from trainers.quiet import set_random_seed

WEIGHTS = "classifier.weights.npz"
REPORT = "classifier.json"
SHIPPED_JUDGES = {
    "mnist": CLASSIFIER_DIR,
    "fashion-mnist": SHIPPED_MODELS / "classifier-fashion",
    "fashion-sketch": SHIPPED_MODELS / "classifier-fashion-sketch",  # scripts/train_sketch_judge.py
}


def judge_folder(kind: str) -> Path:
    """Where the classifier of `kind` images lives: shipped, or one the user trained from their files."""
    return SHIPPED_JUDGES.get(kind) or USER_JUDGES / kind


def image_shape(kind: str) -> tuple[int, int, int]:
    from trainers.data import KINDS

    return KINDS[kind].image_shape


def reference_data_spec(kind: str) -> str:
    """What loads the real images the judge of `kind` holds out (a user's colour files: their path)."""
    from trainers.data import KINDS

    if KINDS[kind].data_spec:
        return KINDS[kind].data_spec
    report = judge_folder(kind) / REPORT
    try:
        return str(json.loads(report.read_text())["data_spec"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UserFacingError(
            f"{report} does not say which files the {KINDS[kind].title} classifier learnt from; retrain it "
            "with `gan-explorer judge --data PATH`."
        ) from None


def build_classifier(shape: tuple[int, int, int] = (28, 28, 1)):
    """2 x [Conv, Conv, pool] (32, 64), Dense 128 = the Fréchet features, Dense 10; augmentation in training."""
    import keras
    from keras import layers

    inputs = keras.Input(shape)
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(inputs)  # augmentation, training only
    x = layers.RandomRotation(0.05, fill_mode="constant")(x)
    x = layers.RandomZoom(0.1, fill_mode="constant")(x)
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    features = layers.Dense(128, activation="relu", name="features")(layers.Dropout(0.3)(x))
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.3)(features))
    return keras.Model(inputs, [logits, features], name="mnist_judge" if shape == (28, 28, 1) else "judge")


@dataclass
class Judge:
    """Predicted labels and penultimate features of [0, 1] images: (N, H, W) grey or (N, H, W, C)."""

    model: Any  # a keras.Model: [logits, features]

    def __call__(self, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[1:] != self.shape:
            raise UserFacingError(
                f"The classifier reads {self.shape[0]}×{self.shape[1]}×{self.shape[2]} images, not "
                f"{'×'.join(map(str, images.shape[1:]))}: it judges another data set."
            )
        labels, feats = [], []
        for start in range(0, len(images), batch):
            logits, features = self._predict(images[start : start + batch].astype(np.float32))
            labels.append(np.argmax(logits, 1))
            feats.append(features)
        return np.concatenate(labels), np.concatenate(feats).astype(np.float64)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.model.input_shape[1:])

    def __post_init__(self):
        from trainers.runner import make_predictor

        self._predict = make_predictor(self.model, self.shape)


def load_judge(kind: str = "mnist") -> Judge:
    from trainers.data import KINDS

    path = judge_folder(kind) / WEIGHTS
    if not path.is_file():
        if kind not in SHIPPED_JUDGES:
            raise UserFacingError(
                f"The project has no classifier of {KINDS[kind].title} images yet, so label accuracy and the "
                f"Fréchet distance cannot be measured; train one from your files with "
                f"`gan-explorer judge --data PATH` (kept in {judge_folder(kind)})."
            )
        hint = "" if kind == "mnist" else f" --data {KINDS[kind].data_spec}"
        raise UserFacingError(
            f"No evaluation classifier at {path}; train it with `python -m trainers.classifier{hint}`."
        )
    from trainers.run import load_arrays

    model = build_classifier(image_shape(kind))
    arrays = load_arrays(path)
    weights = model.weights
    if len(arrays) != len(weights):
        raise UserFacingError(f"{path} does not match the classifier's layers; retrain it.")
    for i, w in enumerate(weights):
        w.assign(arrays[str(i)])
    return Judge(model)


def train_classifier(epochs: int = 30, out: Path | None = None, data: str = "auto", dataset=None) -> dict:
    """Train on the non-held-out images of `data` (or of `dataset`, loaded from it) and report accuracy on
    the held-out ones."""
    import keras

    from trainers.data import load_dataset
    from trainers.run import save_arrays, write_json

    set_random_seed(0)
    dataset = dataset if dataset is not None else load_dataset(data)
    out = Path(out) if out is not None else judge_folder(dataset.kind)
    train, test = dataset.split()
    model = build_classifier(image_shape(dataset.kind))
    trainable = keras.Model(model.input, model.outputs[0])
    trainable.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 0.9**epoch)
    trainable.fit(
        as_channels(train.images) / 255.0,
        train.labels,
        batch_size=64,
        epochs=epochs,
        verbose=2,
        callbacks=[schedule],
    )
    predicted, _ = Judge(model)(test.images / 255.0)
    accuracy = float(np.mean(predicted == test.labels))
    save_arrays(out / WEIGHTS, {str(i): keras.ops.convert_to_numpy(w) for i, w in enumerate(model.weights)})
    report = {
        "held_out_accuracy": accuracy,
        "held_out_images": len(test),
        "train_images": len(train),
        "epochs": epochs,
        "data": dataset.source,
        "data_spec": str(Path(data).resolve()) if Path(data).exists() else data,  # a path, or auto/fashion/…
    }
    write_json(out / REPORT, report)
    return report


def as_channels(images: np.ndarray) -> np.ndarray:
    return images[..., None] if images.ndim == 3 else images


if __name__ == "__main__":
    import argparse

    from trainers.quiet import load_tensorflow_quietly

    load_tensorflow_quietly()
    parser = argparse.ArgumentParser(description="Train the project's judge of a data set's images.")
    parser.add_argument(
        "--data",
        default="auto",
        help="auto (MNIST), fashion, or a path: an IDX folder, a CIFAR-10 batches folder or .tar.gz, an SVHN .mat",
    )
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    try:
        print(train_classifier(epochs=args.epochs, data=args.data))
    except UserFacingError as exc:
        raise SystemExit(f"trainers.classifier: {exc}") from None
