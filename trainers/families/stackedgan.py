"""StackedGAN (Huang et al. 2017) as in chapter 6 of Atienza's book, on Keras 3.

A pretrained classifier splits into encoder0 (image -> 256-d feature f1) and encoder1 (f1 ->
label). GAN1 learns label + z1 -> f1, GAN0 learns f1 + z0 -> image; each generator is held to
its input by the frozen encoder (conditional loss) and to its noise by a Q head (entropy loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np
from keras import layers, ops

from trainers import fused
from trainers.families.base import keras_dtype
from trainers.families.image_family import ImageGanFamily
from trainers.families.infogan import (
    IMAGE_SIZE,
    bce_logits,
    build_image_generator,
    cce_logits,
    image_discriminator_trunk,
    label_accuracy,
)
from trainers.latent import CategoricalControl, LatentSpec, NoiseControl
from trainers.quiet import set_random_seed
from trainers.runner import make_predictor
from trainers.settings import setting


@dataclass
class StackedGanConfig:
    num_labels: int = setting(10, "classes of the label fed to gen1", low=2, high=1000)
    z_dim: int = setting(50, "dimensions of each noise vector z0, z1 ~ N(0, z_scale)", low=1, high=4096)
    z_scale: float = setting(0.5, "standard deviation of z0 and z1", low=1e-6, high=100)
    feature_dim: int = setting(256, "size of f1, encoder0's output", low=1, high=8192)
    entropy0_weight: float = setting(
        10.0, "weight of Q0's reconstruction of z0 (entropy loss, level 0)", low=0, high=1e6
    )
    entropy1_weight: float = setting(
        1.0, "weight of Q1's reconstruction of z1 (entropy loss, level 1)", low=0, high=1e6
    )
    conditional0_weight: float = setting(1.0, "weight of encoder0 reading f1 back from the image", low=0, high=1e6)
    conditional1_weight: float = setting(1.0, "weight of encoder1 reading the label back from f1", low=0, high=1e6)
    d_lr: float = setting(2e-4, "RMSprop learning rate of both discriminators", low=0, high=10)
    g_lr: float = setting(1e-4, "RMSprop learning rate of both generators (the book's 2e-4 * 0.5)", low=0, high=10)
    encoder_epochs: int = setting(10, "epochs of encoder pretraining before the GAN steps", low=1, high=1000)
    # The book's plain N(0, 0.5) leaves a z0 shift of 4 at ~8 sigma: shifted noise puts every slider position
    # in distribution.
    shift_training: bool = setting(False, "train on noise plus a per-sample shift drawn over each slider's range")
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and noise", low=0, high=2**31 - 1)


def build_encoders(num_labels: int, feature_dim: int):
    """Classifier Conv64-MaxPool-Conv64-MaxPool-Dense256 (encoder0) -> Dense(labels) (encoder1)."""
    image = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    x = fused.Conv2D(64, 3, padding="same", activation="relu")(image)  # its input gradient: the fakes' read-back
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    f1 = layers.Dense(feature_dim, activation="relu")(layers.Flatten()(x))
    encoder0 = keras.Model(image, f1, name="encoder0")
    feature = keras.Input((feature_dim,))
    encoder1 = keras.Model(feature, layers.Dense(num_labels)(feature), name="encoder1")  # label logits
    return encoder0, encoder1


def build_gen1(num_labels: int, z_dim: int, feature_dim: int, dtype) -> keras.Model:
    """label + z1 -> Dense512-BN-Dense512-BN-Dense256 = fake f1."""
    inputs = keras.Input((num_labels + z_dim,))
    x = layers.Dense(512, activation="relu", dtype=dtype)(inputs)
    x = fused.BatchNormalization(dtype=dtype)(x)
    x = layers.Dense(512, activation="relu", dtype=dtype)(x)
    x = fused.BatchNormalization(dtype=dtype)(x)
    f1 = layers.Dense(feature_dim, activation="relu", dtype="float32")(x)
    return keras.Model(inputs, f1, name="gen1")


def build_dis1(feature_dim: int, z_dim: int, dtype, q_activation="tanh") -> keras.Model:
    """f1 -> Dense256-Dense256 -> real/fake logit and Q1 (tanh, the book) reconstructing z1."""
    inputs = keras.Input((feature_dim,))
    x = layers.Dense(256, activation="relu", dtype=dtype)(inputs)
    x = layers.Dense(256, activation="relu", dtype=dtype)(x)
    source = layers.Dense(1, dtype="float32")(x)
    z1 = layers.Dense(z_dim, activation=q_activation, dtype="float32")(x)
    return keras.Model(inputs, [source, z1], name="dis1")


def build_dis0(z_dim: int, dtype, q_activation="tanh") -> keras.Model:
    """The image discriminator with a Q0 head (tanh, the book) reconstructing z0."""
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    features = image_discriminator_trunk(inputs, dtype)
    source = layers.Dense(1, dtype="float32")(features)
    z0 = layers.Dense(z_dim, activation=q_activation, dtype="float32")(features)
    return keras.Model(inputs, [source, z0], name="dis0")


def mse(a, b):
    return ops.mean(ops.square(a - b))


class StackedGan(ImageGanFamily):
    name = "stackedgan"
    title = "StackedGAN"
    config_class = StackedGanConfig
    generator_networks = ("gen1", "gen0")
    needs_discriminators_to_fine_tune = True  # the generators are tied to the encoder trained with them

    def __init__(self, config: StackedGanConfig | None = None):
        super().__init__(config or StackedGanConfig())
        cfg = self.config
        set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        encoder0, encoder1 = build_encoders(cfg.num_labels, cfg.feature_dim)
        q_activation = None if cfg.shift_training else "tanh"  # shifted noise leaves tanh's range
        self.networks = {
            "encoder0": encoder0,
            "encoder1": encoder1,
            "gen1": build_gen1(cfg.num_labels, cfg.z_dim, cfg.feature_dim, dtype),
            "dis1": build_dis1(cfg.feature_dim, cfg.z_dim, dtype, q_activation),
            "gen0": build_image_generator(cfg.feature_dim + cfg.z_dim, dtype, name="gen0"),
            "dis0": build_dis0(cfg.z_dim, dtype, q_activation),
        }
        self.optimizers = {
            name: fused.rmsprop(cfg.d_lr if name.startswith("dis") else cfg.g_lr)
            for name in ("dis1", "dis0", "gen1", "gen0")
        }
        self.encoder_accuracy: float | None = None
        self._compile(self._step_body)
        self._predict1 = make_predictor(self.networks["gen1"], cfg.num_labels + cfg.z_dim)
        self._predict0 = make_predictor(self.networks["gen0"], cfg.feature_dim + cfg.z_dim)

    @cached_property  # read four times a training step; the config never changes after construction
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        return LatentSpec(
            (
                CategoricalControl("digit", cfg.num_labels),
                NoiseControl("z0", cfg.z_dim, -4.0, 4.0, scale=cfg.z_scale, shifted_in_training=cfg.shift_training),
                NoiseControl("z1", cfg.z_dim, -1.0, 1.0, scale=cfg.z_scale, shifted_in_training=cfg.shift_training),
            )
        )

    # --- encoder pretraining ------------------------------------------------------------
    @property
    def prepared(self) -> bool:
        return self.encoder_accuracy is not None

    def prepare(self, dataset, on_progress=None) -> dict:
        """Train encoder0+encoder1 as one classifier; report accuracy on held-out digits."""
        train, test = dataset.split()
        classifier = keras.Sequential([self.networks["encoder0"], self.networks["encoder1"]])
        classifier.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        epochs = self.config.encoder_epochs
        callback = _EpochProgress(epochs, on_progress)
        classifier.fit(
            train.images[..., None] / 255.0, train.labels, batch_size=64, epochs=epochs, verbose=0, callbacks=[callback]
        )
        _, accuracy = classifier.evaluate(test.images[..., None] / 255.0, test.labels, verbose=0)
        self.encoder_accuracy = float(accuracy)
        self.runner.reload()
        return {"encoder_accuracy": self.encoder_accuracy, "encoder_test_images": len(test)}

    # --- training ---------------------------------------------------------------------
    def _dis1_loss(self, ctx, real_f1, fake_f1, z1):
        batch = real_f1.shape[0]
        source, z1_recon = ctx.call("dis1", ops.concatenate([real_f1, fake_f1], 0))
        adv = 0.5 * (bce_logits(1.0, source[:batch]) + bce_logits(0.0, source[batch:]))
        entropy = mse(z1, z1_recon[batch:])  # Q1 recovers z1 from fake features
        loss = adv + self.config.entropy1_weight * entropy
        return loss, {"dis1_loss": loss, "dis1_adv": adv}

    def _dis0_loss(self, ctx, real_images, fake_images, z0):
        batch = real_images.shape[0]
        source, z0_recon = ctx.call("dis0", ops.concatenate([real_images, fake_images], 0))
        adv = 0.5 * (bce_logits(1.0, source[:batch]) + bce_logits(0.0, source[batch:]))
        entropy = mse(z0, z0_recon[batch:])
        loss = adv + self.config.entropy0_weight * entropy
        return loss, {"dis0_loss": loss, "dis0_adv": adv}

    def _gen1_loss(self, ctx, gen1_inputs, labels, z1):
        cfg = self.config
        fake_f1 = ctx.call("gen1", gen1_inputs)
        source, z1_recon = ctx.call("dis1", fake_f1)
        adv = bce_logits(1.0, source)
        entropy = mse(z1, z1_recon)
        label_logits = ctx.call("encoder1", fake_f1, training=False)
        conditional = cce_logits(labels, label_logits)  # encoder1 reads the requested label back
        loss = adv + cfg.entropy1_weight * entropy + cfg.conditional1_weight * conditional
        return loss, {
            "gen1_loss": loss,
            "gen1_adv": adv,
            "gen1_entropy": entropy,
            "gen1_conditional": conditional,
            "gen1_label_acc": label_accuracy(labels, label_logits),
        }

    def _gen0_loss(self, ctx, real_f1, z0):
        cfg = self.config
        fake_images = ctx.call("gen0", ops.concatenate([real_f1, z0], 1))
        source, z0_recon = ctx.call("dis0", fake_images)
        adv = bce_logits(1.0, source)
        entropy = mse(z0, z0_recon)
        conditional = mse(real_f1, ctx.call("encoder0", fake_images, training=False))  # encoder0 reads f1 back
        loss = adv + cfg.entropy0_weight * entropy + cfg.conditional0_weight * conditional
        return loss, {"gen0_loss": loss, "gen0_adv": adv, "gen0_entropy": entropy, "gen0_conditional": conditional}

    def _step_body(self, ctx, real_images, real_labels, d_gen1_in, d_z1, d_z0, g_gen1_in, g_labels, g_z1, g_z0):
        real_f1 = ctx.call("encoder0", real_images, training=False)
        fake_f1 = ctx.call("gen1", d_gen1_in)
        logs = ctx.update("dis1", self._dis1_loss, real_f1, fake_f1, d_z1)
        fake_images = ctx.call("gen0", ops.concatenate([real_f1, d_z0], 1))
        logs.update(ctx.update("dis0", self._dis0_loss, real_images, fake_images, d_z0))
        logs.update(ctx.update("gen1", self._gen1_loss, g_gen1_in, g_labels, g_z1))
        logs.update(ctx.update("gen0", self._gen0_loss, real_f1, g_z0))
        return logs

    def _noise(self, batch, name: str):
        return self.latent_spec.noise(name).sample(self._rng, batch)

    def _gen1_inputs(self, labels, z1):
        return np.concatenate([np.eye(self.config.num_labels, dtype=np.float32)[labels], z1], axis=1)

    def step_arrays(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        batch = len(labels)
        d_z1, d_z0 = self._noise(batch, "z1"), self._noise(batch, "z0")
        g_labels = self._rng.integers(0, self.config.num_labels, batch).astype(np.int32)
        g_z1, g_z0 = self._noise(batch, "z1"), self._noise(batch, "z0")
        return (
            images,
            labels,
            self._gen1_inputs(labels, d_z1),
            d_z1,
            d_z0,
            self._gen1_inputs(g_labels, g_z1),
            g_labels,
            g_z1,
            g_z0,
        )

    # --- sampling: gen1 stacked into gen0 ---------------------------------------------
    def noise_sites(self) -> dict:
        """z1 follows the one-hot label into gen1; z0 follows gen1's features into gen0."""
        from trainers.directions import NoiseSite

        return {
            "z1": NoiseSite(self.networks["gen1"], self.config.num_labels, self._gen1_latents),
            "z0": NoiseSite(self.networks["gen0"], self.config.feature_dim, self._gen0_latents),
        }

    def _gen1_latents(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        return self._gen1_inputs(latents["digit"], latents["z1"].astype(np.float32))

    def _gen0_latents(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([self._predict1(self._gen1_latents(latents)), latents["z0"].astype(np.float32)], axis=1)

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        self.runner.sync()
        images = self._predict0(self._gen0_latents(latents))
        return images[..., 0]

    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]:
        arrays = super().state(generators_only)
        if not generators_only and self.encoder_accuracy is not None:
            arrays["__encoder_accuracy__"] = np.array(self.encoder_accuracy)
        return arrays

    def load_state(
        self, arrays: dict[str, np.ndarray], generators_only: bool = False, optimizers: bool | None = None
    ) -> None:
        super().load_state(arrays, generators_only, optimizers)
        if "__encoder_accuracy__" in arrays:
            self.encoder_accuracy = float(arrays["__encoder_accuracy__"])
        elif generators_only:
            self.encoder_accuracy = float("nan")  # sampling only: no encoder needed


class _EpochProgress(keras.callbacks.Callback):
    def __init__(self, epochs: int, on_progress):
        super().__init__()
        self.epochs, self.on_progress = epochs, on_progress
        self._epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self._report(f"Encoder pretraining, epoch {epoch + 1}/{self.epochs}", epoch + 1, logs)

    def on_train_batch_end(self, batch, logs=None):
        if batch % 25 == 0:  # keep the GUI's progress moving and Stop responsive within an epoch
            steps = self.params.get("steps") or 1
            self._report(
                f"Encoder pretraining, epoch {self._epoch + 1}/{self.epochs}", self._epoch + batch / steps, logs
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _report(self, text, epochs_done, logs):
        if self.on_progress and self.on_progress(
            text, epochs_done / self.epochs, {k: float(v) for k, v in (logs or {}).items()}
        ):
            self.model.stop_training = True
