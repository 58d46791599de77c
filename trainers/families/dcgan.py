"""DCGAN (Radford et al. 2016), the source's two architectures, on Keras 3.

"dcgan32": the 32×32 DCGAN for SVHN or MNIST padded to 32×32 (5×5 transposed convolutions from
4×4×512 with BatchNorm and ReLU, tanh; D LeakyReLU 0.2 with BatchNorm; weights N(0, 0.02); real
labels smoothed to 0.9). "keras-cifar10": the Keras DCGAN for CIFAR-10 (4×4 transposed convolutions
from 4×4×256 with LeakyReLU, a 3×3 tanh convolution; D of 3×3 convolutions with Dropout 0.4).
Both train with Adam 2e-4, beta1 0.5. The step is written once in keras.ops (trainers.runner).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np
from keras import layers, ops

from trainers import fused
from trainers.data import KIND_NAMES
from trainers.families.base import ImageSamples, Preset, keras_dtype
from trainers.families.image_family import ImageGanFamily, dataset_setting
from trainers.latent import LatentSpec, NoiseControl
from trainers.quiet import set_random_seed
from trainers.runner import make_predictor
from trainers.settings import setting

SIZE = 32
MNIST_PAD = 2  # 28 + 2 + 2: MNIST padded to 32×32, as the source does


@dataclass
class DcganConfig:
    architecture: str = setting(
        "dcgan32",
        "dcgan32: the 32×32 DCGAN (SVHN/MNIST); keras-cifar10: the Keras DCGAN for CIFAR-10",
        choices=("dcgan32", "keras-cifar10"),
    )
    noise_dim: int = setting(100, "dimensions of the noise z ~ N(0, 1)", low=1, high=4096)
    d_lr: float = setting(2e-4, "Adam learning rate of the discriminator", low=0, high=10)
    g_lr: float = setting(2e-4, "Adam learning rate of the generator", low=0, high=10)
    beta1: float = setting(0.5, "Adam's beta1 for both networks", low=0, high=0.999)
    real_label: float = setting(
        0.9,
        "target of real images in D's loss: 0.9 smooths it (the source's 32×32 DCGAN), 1 does not",
        low=0.5,
        high=1.0,
    )
    dropout: float = setting(0.4, "dropout before D's last layer (keras-cifar10)", low=0, high=0.95)
    dataset: str = dataset_setting(KIND_NAMES)
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and noise", low=0, high=2**31 - 1)


def dcgan32_generator(noise_dim: int, channels: int, dtype, activation: str = "tanh", size: int = SIZE) -> keras.Model:
    """The source's 32×32 generator; `size` 28 crops its 2-pixel border (what the padded MNIST has there),
    for families that draw 28×28 images with it."""
    init = keras.initializers.RandomNormal(0.0, 0.02)
    z = keras.Input((noise_dim,))
    x = layers.Dense(4 * 4 * 512, kernel_initializer=init, dtype=dtype)(z)
    x = layers.Reshape((4, 4, 512), dtype=dtype)(x)
    for filters in (256, 128):
        x = layers.Activation("relu", dtype=dtype)(fused.BatchNormalization(dtype=dtype)(x))
        x = layers.Conv2DTranspose(filters, 5, strides=2, padding="same", kernel_initializer=init, dtype=dtype)(x)
    x = layers.Activation("relu", dtype=dtype)(fused.BatchNormalization(dtype=dtype)(x))
    x = layers.Conv2DTranspose(channels, 5, strides=2, padding="same", kernel_initializer=init, dtype=dtype)(x)
    if size < SIZE:
        x = layers.Cropping2D((SIZE - size) // 2, dtype=dtype)(x)
    return keras.Model(z, layers.Activation(activation, dtype="float32")(x), name="generator")


def dcgan32_discriminator(channels: int, dtype) -> keras.Model:
    init = keras.initializers.RandomNormal(0.0, 0.02)
    image = keras.Input((SIZE, SIZE, channels))
    x = layers.Conv2D(64, 5, strides=2, padding="same", kernel_initializer=init, dtype=dtype)(image)
    x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    for filters in (128, 256):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", kernel_initializer=init, dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(fused.BatchNormalization(dtype=dtype)(x))
    logit = layers.Dense(1, kernel_initializer=init, dtype="float32")(layers.Flatten(dtype=dtype)(x))
    return keras.Model(image, logit, name="discriminator")


def cifar_generator(noise_dim: int, channels: int, dtype) -> keras.Model:
    z = keras.Input((noise_dim,))
    x = layers.Reshape((4, 4, 256), dtype=dtype)(layers.Dense(4096, dtype=dtype)(z))
    x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    for _ in range(3):  # 4 -> 8 -> 16 -> 32
        x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    x = layers.Conv2D(channels, 3, padding="same", dtype=dtype)(x)
    return keras.Model(z, layers.Activation("tanh", dtype="float32")(x), name="generator")


def cifar_discriminator(channels: int, dropout: float, dtype) -> keras.Model:
    image = keras.Input((SIZE, SIZE, channels))
    x = layers.Conv2D(64, 3, padding="same", dtype=dtype)(image)
    x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    for filters in (128, 128, 256):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    x = layers.Dropout(dropout, dtype=dtype)(layers.Flatten(dtype=dtype)(x))
    return keras.Model(image, layers.Dense(1, dtype="float32")(x), name="discriminator")


def bce_logits(target, logits):
    return ops.mean(keras.losses.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def share_positive(logits):
    return ops.mean(ops.cast(logits > 0, "float32"))


class PaddedBatches:
    """Batches at 32×32 (28×28 grey images padded, as the source does) scaled to [-1, 1], the tanh range."""

    def __init__(self, sampler):
        self.sampler = sampler

    def next(self) -> tuple[np.ndarray]:
        images, _ = self.sampler.next()  # [0, 1], (B, H, W, C); labels are not used
        pad = (SIZE - images.shape[1]) // 2
        if pad:
            images = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        return (images * 2.0 - 1.0,)


class Dcgan(ImageGanFamily):
    name = "dcgan"
    title = "DCGAN"
    config_class = DcganConfig
    generator_networks = ("generator",)
    presets = (
        Preset(
            "32",
            "32×32 (SVHN/MNIST): 5×5 transposed convolutions, BatchNorm, real labels 0.9",
            {"architecture": "dcgan32", "real_label": 0.9},
            {},
        ),
        Preset(
            "cifar10",
            "CIFAR-10 (the Keras DCGAN): 4×4 transposed convolutions, Dropout 0.4, batch 128",
            {"architecture": "keras-cifar10", "real_label": 1.0},
            {"batch_size": 128},
        ),
    )
    metric_panels = (
        ("Live Fréchet distance to real digits", ("frechet_distance",)),
        ("Live kernel distance (KID) to real digits", ("kernel_distance",)),
    )

    def __init__(self, config: DcganConfig | None = None):
        super().__init__(config or DcganConfig())
        cfg = self.config
        set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        channels = self.sample_kind.channels
        if cfg.architecture == "dcgan32":
            g, d = dcgan32_generator(cfg.noise_dim, channels, dtype), dcgan32_discriminator(channels, dtype)
        else:
            g, d = cifar_generator(cfg.noise_dim, channels, dtype), cifar_discriminator(channels, cfg.dropout, dtype)
        self.networks = {"generator": g, "discriminator": d}
        self.optimizers = {
            "generator": fused.adam(cfg.g_lr, beta_1=cfg.beta1),
            "discriminator": fused.adam(cfg.d_lr, beta_1=cfg.beta1),
        }
        self._compile(self._step_body)
        self._predict = make_predictor(g, cfg.noise_dim)

    @property
    def sample_kind(self) -> ImageSamples:
        return ImageSamples(SIZE, SIZE, self.data_kind.channels)  # grey sets padded to 32×32

    @cached_property
    def latent_spec(self) -> LatentSpec:
        # unconditional: no class control; the slider shifts the whole noise vector, as the book's sweeps do
        return LatentSpec((NoiseControl("z", self.config.noise_dim, -1.0, 1.0, scale=1.0),))

    def batches(self, dataset, batch_size: int, seed: int):
        return PaddedBatches(super().batches(dataset, batch_size, seed))

    def judge_view(self, images: np.ndarray) -> np.ndarray:
        """The 28×28 middle a judge of grey 28×28 images reads (the padding cropped off)."""
        if images.ndim == 4:
            return images  # colour sets: their judge (gan-explorer judge) reads the whole 32×32×3
        return images[:, MNIST_PAD : SIZE - MNIST_PAD, MNIST_PAD : SIZE - MNIST_PAD]

    # --- training ---------------------------------------------------------------------
    def _d_loss(self, ctx, real, fake):
        # real and fake in separate calls: D's BatchNorm then normalises a batch of fakes in the D step as
        # in the G step (one mixed batch lets G win on the statistics alone: g_loss -> 0 within 200 steps)
        real_logits = ctx.call("discriminator", real)
        fake_logits = ctx.call("discriminator", fake)
        loss = bce_logits(self.config.real_label, real_logits) + bce_logits(0.0, fake_logits)
        return loss, {
            "d_loss": loss,
            "d_real_acc": share_positive(real_logits),
            "d_fake_acc": 1.0 - share_positive(fake_logits),
        }  # the source prints these two

    def _g_loss(self, ctx, z):
        loss = bce_logits(1.0, ctx.call("discriminator", ctx.call("generator", z)))  # fool D
        return loss, {"g_loss": loss}

    def _step_body(self, ctx, real, d_z, g_z):
        """One discriminator update, then one generator update on fresh noise."""
        fake = ctx.call("generator", d_z)
        logs = ctx.update("discriminator", self._d_loss, real, fake)
        logs.update(ctx.update("generator", self._g_loss, g_z))
        return logs

    def step_arrays(self, real: np.ndarray) -> tuple[np.ndarray, ...]:
        batch = len(real)
        noise = self.latent_spec.noise("z")
        return (real, noise.sample(self._rng, batch), noise.sample(self._rng, batch))

    def noise_sites(self) -> dict:
        from trainers.directions import NoiseSite

        return {"z": NoiseSite(self.networks["generator"], 0, lambda latents: latents["z"])}

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        self.runner.sync()
        images = (self._predict(latents["z"].astype(np.float32)) + 1.0) / 2.0
        return images[..., 0] if images.shape[-1] == 1 else images
