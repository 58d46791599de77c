"""CGAN (Mirza & Osindero 2014) as in chapter 4 of Atienza's book, on Keras 3.

The one-hot label is joined to the noise at the generator's input and, spread over an image-sized
plane by a Dense layer, to the image at the discriminator's input: D judges (image, label) pairs,
so G has to draw the requested digit to pass. Generator and discriminator trunk are the book's
(the same as its InfoGAN's); RMSprop, D 2e-4, G 1e-4; z ~ U(-1, 1) of 100 dims.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np
from keras import layers

from trainers.families.base import keras_dtype
from trainers.families.image_family import ImageGanFamily, class_control, dataset_setting
from trainers.families.infogan import IMAGE_SIZE, bce_logits, build_image_generator, image_discriminator_trunk
from trainers.latent import LatentSpec, NoiseControl
from trainers.runner import make_predictor, to_floats
from trainers.settings import setting


@dataclass
class CganConfig:
    noise_dim: int = setting(100, "dimensions of the noise z ~ U(-1, 1)", low=1, high=4096)
    num_labels: int = setting(10, "classes of the one-hot label", low=2, high=1000)
    d_lr: float = setting(2e-4, "RMSprop learning rate of the discriminator", low=0, high=10)
    g_lr: float = setting(1e-4, "RMSprop learning rate of the generator (the book's adversarial model)", low=0, high=10)
    dataset: str = dataset_setting()
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and noise", low=0, high=2**31 - 1)


def build_conditional_discriminator(num_labels: int, dtype) -> keras.Model:
    """(image, one-hot label) -> real/fake logit: the label becomes a 28×28 plane beside the image."""
    image = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1))
    label = keras.Input((num_labels,))
    plane = layers.Reshape((IMAGE_SIZE, IMAGE_SIZE, 1), dtype=dtype)(
        layers.Dense(IMAGE_SIZE * IMAGE_SIZE, dtype=dtype)(label)
    )
    features = image_discriminator_trunk(layers.Concatenate(dtype=dtype)([image, plane]), dtype)
    return keras.Model([image, label], layers.Dense(1, dtype="float32")(features), name="discriminator")


def share_positive(logits):
    return keras.ops.mean(keras.ops.cast(logits > 0, "float32"))


class Cgan(ImageGanFamily):
    name = "cgan"
    title = "CGAN"
    config_class = CganConfig
    generator_networks = ("generator",)
    metric_panels = (
        ("Live label accuracy (generated digits)", ("label_accuracy",)),
        ("Live Fréchet distance to real digits", ("frechet_distance",)),
    )

    def __init__(self, config: CganConfig | None = None):
        super().__init__(config or CganConfig())
        cfg = self.config
        keras.utils.set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        self.input_dim = cfg.noise_dim + cfg.num_labels
        self.networks = {
            "generator": build_image_generator(self.input_dim, dtype),
            "discriminator": build_conditional_discriminator(cfg.num_labels, dtype),
        }
        self.optimizers = {
            "generator": keras.optimizers.RMSprop(cfg.g_lr),
            "discriminator": keras.optimizers.RMSprop(cfg.d_lr),
        }
        self._compile(self._step_body)
        self._predict = make_predictor(self.networks["generator"], self.input_dim)

    @cached_property
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        return LatentSpec(
            (
                class_control(self.data_kind, cfg.num_labels),
                NoiseControl("z", cfg.noise_dim, -0.5, 0.5, distribution="uniform"),
            )
        )

    # --- training ---------------------------------------------------------------------
    def _d_loss(self, ctx, real, real_one_hot, fake, fake_one_hot):
        real_logits = ctx.call("discriminator", [real, real_one_hot])
        fake_logits = ctx.call("discriminator", [fake, fake_one_hot])
        loss = 0.5 * (bce_logits(1.0, real_logits) + bce_logits(0.0, fake_logits))  # real pairs 1, fake pairs 0
        return loss, {
            "d_loss": loss,
            "d_real_acc": share_positive(real_logits),
            "d_fake_acc": 1.0 - share_positive(fake_logits),
        }

    def _g_loss(self, ctx, inputs, one_hot):
        loss = bce_logits(1.0, ctx.call("discriminator", [ctx.call("generator", inputs), one_hot]))  # fool D
        return loss, {"g_loss": loss}

    def _step_body(self, ctx, real, real_one_hot, d_inputs, d_one_hot, g_inputs, g_one_hot):
        """The book's order: one discriminator update, then one generator update on fresh noise."""
        fake = ctx.call("generator", d_inputs)
        logs = ctx.update("discriminator", self._d_loss, real, real_one_hot, fake, d_one_hot)
        logs.update(ctx.update("generator", self._g_loss, g_inputs, g_one_hot))
        return logs

    def one_hot(self, labels: np.ndarray) -> np.ndarray:
        return np.eye(self.config.num_labels, dtype=np.float32)[labels]

    def random_inputs(self, batch: int) -> tuple[np.ndarray, np.ndarray]:
        latents = self.latent_spec.sample(batch, self._rng)
        return self.generator_inputs(latents), self.one_hot(latents["digit"])

    def train_step(self, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        batch = len(labels)
        logs = self.runner.step(images, self.one_hot(labels), *self.random_inputs(batch), *self.random_inputs(batch))
        return to_floats(logs)

    # --- sampling ---------------------------------------------------------------------
    def generator_inputs(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([latents["z"].astype(np.float32), self.one_hot(latents["digit"])], axis=1)

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        self.runner.sync()
        return self._predict(self.generator_inputs(latents))[..., 0]
