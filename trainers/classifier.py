"""The evaluation classifier: the project's judge of generated digits (accuracy and features)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainers.errors import UserFacingError
from trainers.paths import CLASSIFIER_DIR, SHIPPED_MODELS

WEIGHTS = "classifier.weights.npz"
JUDGE_DIRS = {"mnist": CLASSIFIER_DIR, "fashion-mnist": SHIPPED_MODELS / "classifier-fashion"}  # one per data set


def judge_folder(kind: str) -> Path:
    """Where the project's classifier of `kind` images lives; one line when the project has none."""
    from trainers.data import KINDS

    if kind not in JUDGE_DIRS:
        raise UserFacingError(
            f"The project has no classifier of {KINDS[kind].title} images, so label accuracy and "
            "the Fréchet distance cannot be measured for them."
        )
    return JUDGE_DIRS[kind]


def build_classifier():
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
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
    return keras.Model(inputs, [logits, features], name="mnist_judge")


@dataclass
class Judge:
    """Predicted labels and penultimate features of [0, 1] images (N, 28, 28)."""

    model: object

    def __call__(self, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
        labels, feats = [], []
        for start in range(0, len(images), batch):
            logits, features = self._predict(images[start : start + batch, ..., None].astype(np.float32))
            labels.append(np.argmax(logits, 1))
            feats.append(features)
        return np.concatenate(labels), np.concatenate(feats).astype(np.float64)

    def __post_init__(self):
        from trainers.runner import make_predictor

        self._predict = make_predictor(self.model, (28, 28, 1))


def load_judge(kind: str = "mnist") -> Judge:
    path = judge_folder(kind) / WEIGHTS
    if not path.is_file():
        hint = "" if kind == "mnist" else f" --data {kind}"
        raise UserFacingError(
            f"No evaluation classifier at {path}; train it with `python -m trainers.classifier{hint}`."
        )
    from trainers.run import load_arrays

    model = build_classifier()
    arrays = load_arrays(path)
    weights = model.weights
    if len(arrays) != len(weights):
        raise UserFacingError(f"{path} does not match the classifier's layers; retrain it.")
    for i, w in enumerate(weights):
        w.assign(arrays[str(i)])
    return Judge(model)


def train_classifier(epochs: int = 30, out: Path | None = None, data: str = "auto") -> dict:
    """Train on the non-held-out images and report accuracy on the held-out ones."""
    import keras

    from trainers.data import load_dataset
    from trainers.run import save_arrays, write_json

    keras.utils.set_random_seed(0)
    dataset = load_dataset(data)
    out = Path(out) if out is not None else judge_folder(dataset.kind)
    train, test = dataset.split()
    model = build_classifier()
    trainable = keras.Model(model.input, model.outputs[0])
    trainable.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 0.9**epoch)
    trainable.fit(
        train.images[..., None] / 255.0, train.labels, batch_size=64, epochs=epochs, verbose=2, callbacks=[schedule]
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
    }
    write_json(out / "classifier.json", report)
    return report


if __name__ == "__main__":
    import argparse

    from trainers.quiet import load_tensorflow_quietly

    load_tensorflow_quietly()
    parser = argparse.ArgumentParser(description="Train the project's judge of a data set's images.")
    parser.add_argument("--data", default="auto", help="auto (MNIST), fashion, or a path (see gan-explorer train)")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    print(train_classifier(epochs=args.epochs, data=args.data))
