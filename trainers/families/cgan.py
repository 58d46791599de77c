"""CGAN (Mirza & Osindero 2014) as in chapter 4 of Atienza's book, on Keras 3.

The one-hot label is joined to the noise at the generator's input and, spread over an image-sized
plane by a Dense layer, to the image at the discriminator's input: D judges (image, label) pairs,
so G has to draw the requested digit to pass. Generator and discriminator trunk are the book's
(the same as its InfoGAN's); RMSprop, D 2e-4, G 1e-4; z ~ U(-1, 1) of 100 dims.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import keras
import numpy as np
from keras import layers

from trainers.families.conditional import ClassConditionalGan, ConditionalConfig, share_positive
from trainers.families.infogan import bce_logits, image_discriminator_trunk


@dataclass
class CganConfig(ConditionalConfig):
    """The shared settings of the class-conditional GANs; CGAN adds none."""


def build_conditional_discriminator(num_labels: int, shape: tuple[int, int, int], dtype) -> keras.Model:
    """(image, one-hot label) -> real/fake logit: the label becomes an image-sized plane beside the image."""
    image = keras.Input(shape)
    label = keras.Input((num_labels,))
    height, width = shape[:2]
    plane = layers.Reshape((height, width, 1), dtype=dtype)(layers.Dense(height * width, dtype=dtype)(label))
    features = image_discriminator_trunk(layers.Concatenate(dtype=dtype)([image, plane]), dtype)
    return keras.Model([image, label], layers.Dense(1, dtype="float32")(features), name="discriminator")


class Cgan(ClassConditionalGan):
    name = "cgan"
    title = "CGAN"
    config_class = CganConfig

    def __init__(self, config: CganConfig | None = None):
        super().__init__(config or CganConfig())
        discriminator = partial(build_conditional_discriminator, self.config.num_labels)
        self._start({"discriminator": discriminator}, self._step_body)

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

    def random_inputs(self, batch: int) -> tuple[np.ndarray, np.ndarray]:
        latents = self.random_latents(batch)
        return self.generator_inputs(latents), self.one_hot(latents["digit"])

    def step_arrays(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        batch = len(labels)
        return (images, self.one_hot(labels), *self.random_inputs(batch), *self.random_inputs(batch))
