"""What the book's class-conditional image GANs (CGAN, ACGAN) share: their settings, a generator fed the
one-hot label joined to z ~ U(-1, 1), its class and noise controls, and sampling.

The book's networks are for 28×28 grey images; on a colour 32×32 set (CIFAR-10, SVHN) the same layers
take the larger, three-channel images: the generator starts from 8×8 instead of 7×7 and draws three
channels, and the discriminators read 32×32×3."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np

from trainers import fused
from trainers.data import KIND_NAMES
from trainers.families.base import ImageSamples, keras_dtype
from trainers.families.dcgan import dcgan32_generator
from trainers.families.image_family import ImageGanFamily, class_control, dataset_setting
from trainers.families.infogan import build_image_generator
from trainers.latent import LatentSpec, NoiseControl
from trainers.quiet import set_random_seed
from trainers.runner import make_predictor
from trainers.settings import setting


@dataclass
class ConditionalConfig:
    noise_dim: int = setting(100, "dimensions of the noise z ~ U(-1, 1)", low=1, high=4096)
    num_labels: int = setting(10, "classes of the one-hot label", low=2, high=1000)
    d_lr: float = setting(
        2e-4, "RMSprop learning rate of the discriminator (and of ACGAN's classifier)", low=0, high=10
    )
    g_lr: float = setting(1e-4, "RMSprop learning rate of the generator (the book's adversarial model)", low=0, high=10)
    dataset: str = dataset_setting(KIND_NAMES)
    generator: str = setting(
        "book",
        "book: the book's generator (Dense 7·7·128, transposed convolutions of 128, 64, 32 filters); dcgan: the "
        "source's 32×32 DCGAN generator (Dense 4·4·512, 256, 128 filters: 3.7x the weights, about the same "
        "arithmetic), cropped to 28×28 for grey sets",
        choices=("book", "dcgan"),
    )
    generator_ema: float = setting(
        0.0,
        "momentum of a moving average of the generator's weights, which is sampled, measured and exported in "
        "their place (0 = off, the book; 0.999 averages over ~1,000 steps)",
        low=0,
        high=0.99999,
    )
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and noise", low=0, high=2**31 - 1)


def share_positive(logits):
    return keras.ops.mean(keras.ops.cast(logits > 0, "float32"))


class ClassConditionalGan(ImageGanFamily):
    """A generator of (z, one-hot label); each family adds its discriminator(s) and its step."""

    generator_networks = ("generator",)

    def _start(self, discriminators: dict, step_body) -> None:
        """Seed, build the generator beside `discriminators` (name -> builder of (image shape, dtype)), RMSprop
        for each, compile."""
        cfg = self.config
        set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        input_dim = cfg.noise_dim + cfg.num_labels
        shape = self.data_kind.image_shape
        size, channels = shape[0], shape[2]
        if cfg.generator == "dcgan":
            generator = dcgan32_generator(input_dim, channels, dtype, activation="sigmoid", size=size)
        else:
            generator = build_image_generator(input_dim, dtype, size=size, channels=channels)
        self.networks = {"generator": generator}
        self.networks.update({name: build(shape, dtype) for name, build in discriminators.items()})
        self.optimizers = {
            name: fused.rmsprop(cfg.g_lr, **self.averaging(cfg.generator_ema))
            if name == "generator"
            else fused.rmsprop(cfg.d_lr)
            for name in self.networks
        }
        self._compile(step_body)
        self._keep_generator_average()
        self._predict = make_predictor(self.shown_generator, input_dim)

    @property
    def sample_kind(self) -> ImageSamples:
        return ImageSamples(*self.data_kind.image_shape)

    @cached_property
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        return LatentSpec(
            (
                class_control(self.data_kind, cfg.num_labels),
                NoiseControl("z", cfg.noise_dim, -0.5, 0.5, distribution="uniform"),
            )
        )

    def one_hot(self, labels: np.ndarray) -> np.ndarray:
        return np.eye(self.config.num_labels, dtype=np.float32)[labels]

    def random_latents(self, batch: int) -> dict[str, np.ndarray]:
        return self.latent_spec.sample(batch, self._rng)

    def generator_inputs(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([latents["z"].astype(np.float32), self.one_hot(latents["digit"])], axis=1)

    def noise_sites(self) -> dict:
        from trainers.directions import NoiseSite

        return {"z": NoiseSite(self.shown_generator, 0, self.generator_inputs)}  # z comes first in G's input

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        self.sync()
        images = self._predict(self.generator_inputs(latents))
        return images[..., 0] if images.shape[-1] == 1 else images
