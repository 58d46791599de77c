"""InfoGAN (Chen et al. 2016) as in chapter 6 of Atienza's book, on Keras 3.

The step is written once in keras.ops; trainers.runner runs it with two GradientTapes on
TensorFlow (or jax.grad on a GPU machine), each differentiating one network's variables only.
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
from trainers.latent import CategoricalControl, ContinuousControl, LatentSpec, NoiseControl
from trainers.quiet import set_random_seed
from trainers.runner import make_predictor
from trainers.settings import setting

IMAGE_SIZE = 28


@dataclass
class InfoGanConfig:
    noise_dim: int = setting(62, "dimensions of the noise z ~ U(-1, 1)", low=1, high=4096)
    num_labels: int = setting(
        10, "classes of the one-hot label, supervised by real labels (ACGAN-like)", low=2, high=1000
    )
    code_scale: float = setting(0.5, "continuous codes c1, c2 ~ N(0, code_scale)", low=1e-6, high=100)
    code_loss: str = setting(
        "gaussian",
        "mutual-information term: gaussian (the paper's log-likelihood at fixed "
        "sigma, an MSE) or book (the book's mi_loss)",
        choices=("gaussian", "book"),
    )
    label_weight: float = setting(1.0, "weight of the label loss", low=0, high=1e6)
    fake_label_weight: float = setting(
        1.0, "D's label head on fakes' requested labels; 0 = it learns labels from real digits only", low=0, high=1e6
    )
    code_weight: float = setting(0.5, "weight of each code's mutual-information loss", low=0, high=1e6)
    d_lr: float = setting(2e-4, "RMSprop learning rate of the discriminator", low=0, high=10)
    g_lr: float = setting(1e-4, "RMSprop learning rate of the generator (the book's adversarial model)", low=0, high=10)
    update: str = setting(
        "book",
        "book: a D update, then a G update on fresh noise (two G forwards); simultaneous: one G forward "
        "feeds both losses, each network stepping on its own gradient (~20% less arithmetic)",
        choices=("book", "simultaneous"),
    )
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and noise", low=0, high=2**31 - 1)


def build_image_generator(
    input_dim: int, dtype, name: str = "generator", size: int = IMAGE_SIZE, channels: int = 1
) -> keras.Model:
    """Dense(s*s*128) -> 4 x [BN, ReLU, Conv2DTranspose(k=5)] (128/2, 64/2, 32/1, C/1) -> sigmoid, s = size / 4
    (the book's 7 for 28×28; 8 for 32×32 colour sets)."""
    start = size // 4
    inputs = keras.Input((input_dim,))
    x = layers.Dense(start * start * 128, dtype=dtype)(inputs)
    x = layers.Reshape((start, start, 128), dtype=dtype)(x)
    for filters, strides in ((128, 2), (64, 2), (32, 1), (channels, 1)):
        x = fused.BatchNormalization(dtype=dtype)(x)
        x = layers.Activation("relu", dtype=dtype)(x)
        x = layers.Conv2DTranspose(filters, 5, strides=strides, padding="same", dtype=dtype)(x)
    outputs = layers.Activation("sigmoid", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


class BatchStddev(layers.Layer):
    """One more channel: how much the features vary across the batch, averaged over them (Karras et al.
    2018). A generator that draws the images of a class all alike shows it here, so D can tell."""

    def call(self, x):
        spread = ops.mean(ops.sqrt(ops.var(ops.cast(x, "float32"), axis=0) + 1e-8))
        return ops.concatenate([x, ops.ones_like(x[..., :1]) * ops.cast(spread, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


def image_discriminator_trunk(inputs, dtype, batch_stddev: bool = False):
    """4 x [LeakyReLU(0.2), Conv2D(k=5)] with 32/2, 64/2, 128/2, 256/1 filters, no BatchNorm; with
    `batch_stddev`, the batch's spread joins the features before the last convolution."""
    x = inputs
    for filters, strides in ((32, 2), (64, 2), (128, 2), (256, 1)):
        if batch_stddev and filters == 256:
            x = BatchStddev(dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
        x = layers.Conv2D(filters, 5, strides=strides, padding="same", dtype=dtype)(x)
    return layers.Flatten(dtype=dtype)(x)


def build_discriminator(num_labels: int, dtype) -> keras.Model:
    """Real/fake logit plus the Q head (Dense 128, linear as in the book) -> label logits, 2 codes."""
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    features = image_discriminator_trunk(inputs, dtype)
    source = layers.Dense(1, dtype="float32", name="source")(features)
    q = layers.Dense(128, dtype=dtype, name="q")(features)
    label = layers.Dense(num_labels, dtype="float32", name="label")(q)
    codes = layers.Dense(2, dtype="float32", name="codes")(q)
    return keras.Model(inputs, [source, label, codes], name="discriminator")


def bce_logits(target: float, logits):
    return ops.mean(keras.losses.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def cce_logits(labels, logits):
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def code_loss(kind: str, codes, predicted):
    """Mutual-information term per code, averaged over the batch: shape (n_codes,)."""
    if kind == "book":  # the book's mi_loss on a sigmoid output
        return -ops.mean(codes * ops.log(ops.sigmoid(predicted) + keras.config.epsilon()), axis=0)
    return ops.mean(ops.square(codes - predicted), axis=0)


def label_accuracy(labels, logits):
    predicted = ops.cast(ops.argmax(logits, axis=1), "int32")  # int32: JAX has no int64 unless asked
    return ops.mean(ops.cast(ops.equal(predicted, ops.cast(labels, "int32")), "float32"))


class InfoGan(ImageGanFamily):
    name = "infogan"
    title = "InfoGAN"
    config_class = InfoGanConfig
    generator_networks = ("generator",)

    def __init__(self, config: InfoGanConfig | None = None):
        super().__init__(config or InfoGanConfig())
        cfg = self.config
        set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        self.input_dim = cfg.noise_dim + cfg.num_labels + 2
        self.networks = {
            "generator": build_image_generator(self.input_dim, dtype),
            "discriminator": build_discriminator(cfg.num_labels, dtype),
        }
        self.optimizers = {
            "generator": fused.rmsprop(cfg.g_lr),
            "discriminator": fused.rmsprop(cfg.d_lr),
        }
        self._compile(self._simultaneous_body if cfg.update == "simultaneous" else self._step_body)
        self._predict = make_predictor(self.networks["generator"], self.input_dim)

    @cached_property  # read four times a training step; the config never changes after construction
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        return LatentSpec(
            (
                CategoricalControl("digit", cfg.num_labels),
                ContinuousControl("code1", -2.0, 2.0, cfg.code_scale),
                ContinuousControl("code2", -2.0, 2.0, cfg.code_scale),
                # the book traverses only the codes; z is InfoGAN's "everything else", so no strip for it
                NoiseControl("z", cfg.noise_dim, -0.5, 0.5, distribution="uniform", traversal=False),
            )
        )

    # --- training ---------------------------------------------------------------------
    def _d_loss(self, ctx, real_images, real_labels, fake_images, fake_labels, codes):
        outputs = ctx.call("discriminator", ops.concatenate([real_images, fake_images], 0))
        return self._d_terms(outputs, real_images.shape[0], real_labels, fake_labels, codes)

    def _d_terms(self, outputs, batch, real_labels, fake_labels, codes):
        """D's loss from its outputs on [real; fake]."""
        cfg = self.config
        source, label_logits, code_pred = outputs
        adv = 0.5 * (bce_logits(1.0, source[:batch]) + bce_logits(0.0, source[batch:]))  # real -> 1, fake -> 0
        # true labels of real digits, and (book) requested labels of fakes: with the latter, D can learn a
        # half-collapsed class as drawn and stop pushing G towards the real digit
        label = 0.5 * (
            cce_logits(real_labels, label_logits[:batch])
            + cfg.fake_label_weight * cce_logits(fake_labels, label_logits[batch:])
        )
        mi = code_loss(cfg.code_loss, codes, code_pred[batch:])  # codes are known for fakes only
        loss = adv + cfg.label_weight * label + cfg.code_weight * ops.sum(mi)
        return loss, {
            "d_loss": loss,
            "d_adv": adv,
            "d_label": label,
            "d_real_acc": label_accuracy(real_labels, label_logits[:batch]),
        }

    def _g_loss(self, ctx, inputs, labels, codes):
        return self._g_terms(ctx.call("discriminator", ctx.call("generator", inputs)), labels, codes)

    def _g_terms(self, outputs, labels, codes):
        """G's loss from D's outputs on the fakes."""
        cfg = self.config
        source, label_logits, code_pred = outputs
        adv = bce_logits(1.0, source)  # fool D
        label = cce_logits(labels, label_logits)  # show the requested digit
        mi = code_loss(cfg.code_loss, codes, code_pred)  # keep c1, c2 recoverable
        loss = adv + cfg.label_weight * label + cfg.code_weight * ops.sum(mi)
        return loss, {
            "g_loss": loss,
            "g_adv": adv,
            "g_label": label,
            "code1_mi": mi[0],
            "code2_mi": mi[1],
            "g_label_acc": label_accuracy(labels, label_logits),
        }

    def discriminator_update(self, ctx, real_images, real_labels, d_inputs, d_labels, d_codes):
        fake_images = ctx.call("generator", d_inputs)
        return ctx.update("discriminator", self._d_loss, real_images, real_labels, fake_images, d_labels, d_codes)

    def generator_update(self, ctx, g_inputs, g_labels, g_codes):
        return ctx.update("generator", self._g_loss, g_inputs, g_labels, g_codes)

    def _step_body(self, ctx, real_images, real_labels, d_inputs, d_labels, d_codes, g_inputs, g_labels, g_codes):
        """The book's order: one discriminator update, then one generator update on fresh noise."""
        logs = self.discriminator_update(ctx, real_images, real_labels, d_inputs, d_labels, d_codes)
        logs.update(self.generator_update(ctx, g_inputs, g_labels, g_codes))
        return logs

    def _both_losses(self, ctx, real_images, real_labels, inputs, labels, codes):
        batch = real_images.shape[0]
        outputs = ctx.call("discriminator", ops.concatenate([real_images, ctx.call("generator", inputs)], 0))
        _, d_logs = self._d_terms(outputs, batch, real_labels, labels, codes)
        _, g_logs = self._g_terms([out[batch:] for out in outputs], labels, codes)
        return {**d_logs, **g_logs}

    def _simultaneous_body(self, ctx, real_images, real_labels, inputs, labels, codes):
        """One G forward and one D pass on [real; fake] give both losses; D steps on d_loss, G on g_loss,
        both from the same weights (so G learns from the D of before this step's D update)."""
        return ctx.update_together(
            {"discriminator": "d_loss", "generator": "g_loss"},
            self._both_losses,
            real_images,
            real_labels,
            inputs,
            labels,
            codes,
        )

    def random_inputs(self, batch: int):
        """Generator input, requested labels and codes drawn from the training distribution."""
        latents = self.latent_spec.sample(batch, self._rng)
        codes = np.stack([latents["code1"], latents["code2"]], axis=1)
        return self.generator_inputs(latents), latents["digit"], codes

    def step_arrays(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        batch = len(labels)
        if self.config.update == "simultaneous":  # one set of latents feeds both updates
            return (images, labels, *self.random_inputs(batch))
        return (images, labels, *self.random_inputs(batch), *self.random_inputs(batch))

    # --- sampling ---------------------------------------------------------------------
    def generator_inputs(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        one_hot = np.eye(self.config.num_labels, dtype=np.float32)[latents["digit"]]
        codes = np.stack([latents["code1"], latents["code2"]], axis=1).astype(np.float32)
        return np.concatenate([latents["z"].astype(np.float32), one_hot, codes], axis=1)

    def noise_sites(self) -> dict:
        from trainers.directions import NoiseSite

        return {"z": NoiseSite(self.networks["generator"], 0, self.generator_inputs)}  # z, then digit and codes

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        self.runner.sync()
        return self._predict(self.generator_inputs(latents))[..., 0]
