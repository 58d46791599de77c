"""ACGAN (Odena et al. 2017) as in chapter 4 of Atienza's book, on Keras 3, with the three ways the
source's Q&A gives a discriminator to learn the class:

- `aux`: D predicts real/fake and, from a Dense 128 layer, the class (the book); the class loss
  covers real and fake images, or real images only (`class_loss_on_fakes=false`).
- `fake-class`: D has one softmax over n + 1 classes, the last meaning "fake"; G wants its image read
  as the requested class.
- `classifier`: D only says real or fake; a separate classifier, trained on real images only, reads
  the class of G's images.

The generator is the book's (as for CGAN: label joined to z ~ U(-1, 1) of 100 dims); RMSprop,
D (and classifier) 2e-4, G 1e-4.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import keras
import numpy as np
from keras import layers, ops

from trainers.families.conditional import ClassConditionalGan, ConditionalConfig, share_positive
from trainers.families.infogan import bce_logits, cce_logits, image_discriminator_trunk, label_accuracy
from trainers.settings import setting

HEADS = ("aux", "fake-class", "classifier")


@dataclass
class AcganConfig(ConditionalConfig):
    head: str = setting(
        "aux",
        "how D learns the class: aux (real/fake + class, the book), fake-class (n + 1 "
        "classes, the last one 'fake') or classifier (a separate classifier of real images)",
        choices=HEADS,
    )
    class_loss_on_fakes: bool = setting(
        True,
        "aux head: the class loss also covers fakes with their requested class (the book); false = real images only",
    )
    label_weight: float = setting(1.0, "weight of the class loss beside the real/fake loss", low=0, high=1e6)
    batch_stddev: bool = setting(
        False,
        "D also sees how much the batch's features vary (minibatch standard deviation): against same-looking samples",
    )


def build_heads_discriminator(
    head: str, num_labels: int, shape: tuple[int, int, int], dtype, batch_stddev: bool = False
) -> keras.Model:
    """The book's trunk; aux: [real/fake logit, class logits]; fake-class: n + 1 logits; classifier: one logit."""
    image = keras.Input(shape)
    features = image_discriminator_trunk(image, dtype, batch_stddev)
    if head == "classifier":
        return keras.Model(image, layers.Dense(1, dtype="float32")(features), name="discriminator")
    hidden = layers.Dense(128, dtype=dtype)(features)
    if head == "fake-class":
        return keras.Model(image, layers.Dense(num_labels + 1, dtype="float32")(hidden), name="discriminator")
    source = layers.Dense(1, dtype="float32", name="source")(features)
    return keras.Model(
        image, [source, layers.Dense(num_labels, dtype="float32", name="label")(hidden)], name="discriminator"
    )


def build_real_classifier(num_labels: int, shape: tuple[int, int, int], dtype) -> keras.Model:
    """The `classifier` head's judge: the same trunk with its own weights, Dense 128, class logits."""
    image = keras.Input(shape)
    hidden = layers.Dense(128, dtype=dtype)(image_discriminator_trunk(image, dtype))
    return keras.Model(image, layers.Dense(num_labels, dtype="float32")(hidden), name="classifier")


def fake_class_read_as_real(logits, fake_class: int):
    return ops.mean(ops.cast(ops.not_equal(ops.argmax(logits, axis=1), fake_class), "float32"))


class Acgan(ClassConditionalGan):
    name = "acgan"
    title = "ACGAN"
    config_class = AcganConfig

    def __init__(self, config: AcganConfig | None = None):
        super().__init__(config or AcganConfig())
        cfg = self.config
        networks = {
            "discriminator": partial(build_heads_discriminator, cfg.head, cfg.num_labels, batch_stddev=cfg.batch_stddev)
        }
        if cfg.head == "classifier":
            networks["classifier"] = partial(build_real_classifier, cfg.num_labels)
        self._start(networks, self._step_body)

    # --- what D (or the classifier) says of a batch ------------------------------------
    def _judged(self, ctx, images):
        """(real/fake logits or None, class logits) for the configured head."""
        head = self.config.head
        if head == "aux":
            return ctx.call("discriminator", images)
        if head == "fake-class":
            return None, ctx.call("discriminator", images)
        return ctx.call("discriminator", images), ctx.call("classifier", images)

    # --- training ---------------------------------------------------------------------
    def _d_loss(self, ctx, real, real_labels, fake, fake_labels):
        cfg = self.config
        if cfg.head == "fake-class":
            real_logits, fake_logits = ctx.call("discriminator", real), ctx.call("discriminator", fake)
            fake_class = ops.full_like(fake_labels, cfg.num_labels)
            loss = 0.5 * (cce_logits(real_labels, real_logits) + cce_logits(fake_class, fake_logits))
            return loss, {
                "d_loss": loss,
                "d_real_acc": fake_class_read_as_real(real_logits, cfg.num_labels),
                "d_fake_acc": 1.0 - fake_class_read_as_real(fake_logits, cfg.num_labels),
                "d_class_acc": label_accuracy(real_labels, real_logits[:, : cfg.num_labels]),
            }
        real_source, real_class = self._source_and_class(ctx, real)
        fake_source, fake_class = self._source_and_class(ctx, fake)
        adv = 0.5 * (bce_logits(1.0, real_source) + bce_logits(0.0, fake_source))
        logs = {
            "d_adv": adv,
            "d_real_acc": share_positive(real_source),
            "d_fake_acc": 1.0 - share_positive(fake_source),
        }
        loss = adv
        if cfg.head == "aux":
            label = cce_logits(real_labels, real_class)
            if cfg.class_loss_on_fakes:  # the book: D also learns the requested class of fakes
                label = 0.5 * (label + cce_logits(fake_labels, fake_class))
            loss = adv + cfg.label_weight * label
            logs.update(d_label=label, d_class_acc=label_accuracy(real_labels, real_class))
        return loss, {"d_loss": loss, **logs}

    def _source_and_class(self, ctx, images):
        """D's real/fake logits and, for the aux head, its class logits (the classifier head: D has none)."""
        out = ctx.call("discriminator", images)
        return (out[0], out[1]) if self.config.head == "aux" else (out, None)

    def _classifier_loss(self, ctx, real, real_labels):
        logits = ctx.call("classifier", real)
        loss = cce_logits(real_labels, logits)
        return loss, {"c_loss": loss, "d_class_acc": label_accuracy(real_labels, logits)}

    def _g_loss(self, ctx, inputs, labels):
        cfg = self.config
        source, class_logits = self._judged(ctx, ctx.call("generator", inputs))
        if cfg.head == "fake-class":  # be read as the requested class (and so not as "fake")
            loss = cce_logits(labels, class_logits)
            return loss, {"g_loss": loss, "g_label_acc": label_accuracy(labels, class_logits[:, : cfg.num_labels])}
        adv = bce_logits(1.0, source)
        label = cce_logits(labels, class_logits)
        loss = adv + cfg.label_weight * label
        return loss, {
            "g_loss": loss,
            "g_adv": adv,
            "g_label": label,
            "g_label_acc": label_accuracy(labels, class_logits),
        }

    def _step_body(self, ctx, real, real_labels, d_inputs, d_labels, g_inputs, g_labels):
        """The book's order: one discriminator update (and the classifier's), then one generator update."""
        fake = ctx.call("generator", d_inputs)
        logs = ctx.update("discriminator", self._d_loss, real, real_labels, fake, d_labels)
        if self.config.head == "classifier":
            logs.update(ctx.update("classifier", self._classifier_loss, real, real_labels))
        logs.update(ctx.update("generator", self._g_loss, g_inputs, g_labels))
        return logs

    def random_inputs(self, batch: int) -> tuple[np.ndarray, np.ndarray]:
        latents = self.random_latents(batch)
        return self.generator_inputs(latents), latents["digit"]

    def step_arrays(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        batch = len(labels)
        return (images, labels.astype(np.int32), *self.random_inputs(batch), *self.random_inputs(batch))
