"""Paired image-to-image translation with class information: the system of the source's Q&A ("add class
information to a Keras network"), built on pix2pix (Isola et al. 2017).

- G: a U-Net (encoder-decoder with skip connections) from the input image, plus the class as one-hot
  planes when the class is used, to its counterpart; loss λ·L1(G(a), b) + adversarial + class.
- D: a PatchGAN on channel-stacked pairs (input, target) or (input, G(input)): a grid of real/fake logits,
  one per patch, binary cross-entropy per patch.
- The class, the Q&A's three options and the asker's starting point (`class_info`):
  `none` (no class anywhere: the asker's "similar sketches in all cases"), `d-class` (D also outputs the
  class, sigmoid outputs with binary cross-entropy), `d-fake-class` (D's patches are n + 1 classes, the
  last "fake", softmax), `classifier` (the answer's proposal: a separate LeNet-like Q trained on real
  targets only, which G's outputs must satisfy; D keeps its one task).
- Per batch, the answer's phases: D on real then fake pairs; Q on real targets; G through fixed D and Q.
Adam 2e-4, β1 0.5 and λ_L1 = 100 as in pix2pix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import keras
import numpy as np
from keras import layers, ops

from trainers import fused
from trainers.errors import UserFacingError
from trainers.families.base import ImageSamples, KerasGanFamily, check_arrays, keras_dtype
from trainers.families.infogan import bce_logits, cce_logits, label_accuracy
from trainers.images import make_grid
from trainers.latent import CategoricalControl, ImageControl, LatentSpec
from trainers.quiet import set_random_seed
from trainers.runner import make_predictor
from trainers.settings import setting

DIRECTIONS = ("sketch-to-photo", "photo-to-sketch")
CLASS_INFO = ("none", "d-class", "d-fake-class", "classifier")
EXAMPLES = 64  # held-out pairs kept with the weights: the preview's fixed inputs, the explorer's examples
PREVIEW_PAIRS = 16  # (input | output | target) triplets in the training view's grid, four to a row
FASHION = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"  # trainers.data.FASHION_NAMES


@dataclass
class Pix2pixConfig:
    direction: str = setting(
        "sketch-to-photo",
        "sketch-to-photo (pix2pix's edges→photo demo) or photo-to-sketch (the Q&A asker's)",
        choices=DIRECTIONS,
    )
    class_info: str = setting(
        "classifier",
        "how the class is used: none (the asker's start), d-class (D also outputs the class), d-fake-class "
        "(D's patches are n + 1 classes, the last 'fake'), classifier (a separate Q on real targets: the answer)",
        choices=CLASS_INFO,
    )
    l1_weight: float = setting(100.0, "λ of the L1 loss to the real target (pix2pix: 100)", low=0, high=1e6)
    adversarial_weight: float = setting(
        1.0, "weight of fooling D in G's loss; 0 = an L1-only generator (pix2pix's baseline)", low=0, high=1e6
    )
    class_weight: float = setting(
        1.0,
        "weight of the class loss in G's loss (d-class: in D's too; d-fake-class has none apart from the "
        "adversarial one, which adversarial_weight scales)",
        low=0,
        high=1e6,
    )
    unet_width: int = setting(32, "filters of the U-Net's first layer, doubling per level up to 8×", low=4, high=256)
    patch_layers: int = setting(
        2, "stride-2 convolutions in the PatchGAN D (2: each logit sees a 34-pixel patch)", low=1, high=4
    )
    resolution: int = setting(32, "image size (Fashion-MNIST's 28 px resampled)", choices=(32, 64))
    lr: float = setting(2e-4, "Adam learning rate of G, D and Q (pix2pix: 2e-4)", low=0, high=10)
    beta1: float = setting(0.5, "Adam β1 (pix2pix: 0.5)", low=0, high=0.9999)
    generator_ema: float = setting(
        0.0,
        "momentum of a moving average of G's weights, which is shown, measured and exported in their place "
        "(0 = off, as pix2pix; 0.999 averages over ~1,000 steps)",
        low=0,
        high=0.99999,
    )
    num_labels: int = setting(10, "classes of the pairs (set from the data)", low=2, high=1000, advanced=True)
    class_names: str = setting(FASHION, "the classes' names, comma-separated (set from the data)", advanced=True)
    pairs: str = setting("fashion-edges", "the pair set the run learnt from (set from the data)", advanced=True)
    judge: str = setting(
        "fashion-mnist", "the project's judge of the photos' kind, '' if none (set from the data)", advanced=True
    )
    domain_names: str = setting(
        "photo,sketch", "what domains A and B are, comma-separated (set from the data)", advanced=True
    )
    precision: str = setting(
        "auto",
        "auto: bfloat16 where the CPU has AVX-512-BF16/AMX or on a GPU, else float32",
        choices=("auto", "float32", "bfloat16"),
    )
    seed: int = setting(0, "random seed of weights and batches", low=0, high=2**31 - 1)


# --- networks --------------------------------------------------------------------------------
def _levels(resolution: int) -> int:
    return int(math.log2(resolution))  # down to 1×1, as pix2pix's U-Net


def unet_generator(resolution: int, in_channels: int, width: int, dtype) -> keras.Model:
    """Encoder: stride-2 4×4 convolutions to 1×1 (BatchNorm but on the first and innermost), LeakyReLU 0.2;
    decoder: 4×4 transposed convolutions, BatchNorm, Dropout 0.5 on the first two (pix2pix's noise), ReLU,
    each joined to the encoder's layer of the same size; sigmoid out."""
    inputs = keras.Input((resolution, resolution, in_channels))
    levels = _levels(resolution)
    filters = [width * min(2**i, 8) for i in range(levels)]
    x, skips = inputs, []
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 4, strides=2, padding="same", use_bias=i == 0, dtype=dtype)(x)  # the innermost
        # has no bias: TensorFlow's remapper fails (and logs an error) fusing its BiasAdd into LeakyReLU's gradient
        if 0 < i < levels - 1:
            x = fused.BatchNormalization(dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
        skips.append(x)
    for i, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips[:-1]))):
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False, dtype=dtype)(x)
        x = fused.BatchNormalization(dtype=dtype)(x)
        if i < 2:
            x = layers.Dropout(0.5, dtype=dtype)(x)
        x = layers.Activation("relu", dtype=dtype)(x)
        x = layers.Concatenate(dtype=dtype)([x, skip])
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", dtype=dtype)(x)
    return keras.Model(inputs, layers.Activation("sigmoid", dtype="float32")(x), name="generator")


def patch_discriminator(resolution: int, width: int, depth: int, class_info: str, num_labels: int, dtype):
    """PatchGAN on (input, target) stacked: `depth` stride-2 4×4 convolutions, one stride-1, then one logit per
    patch (n + 1 class logits per patch for d-fake-class); d-class adds class logits from the pooled features."""
    pair = keras.Input((resolution, resolution, 2))
    x = pair
    for i in range(depth + 1):
        strides = 2 if i < depth else 1
        x = layers.Conv2D(width * min(2**i, 8), 4, strides=strides, padding="same", use_bias=i == 0, dtype=dtype)(x)
        if i > 0:
            x = fused.BatchNormalization(dtype=dtype)(x)
        x = layers.LeakyReLU(negative_slope=0.2, dtype=dtype)(x)
    outputs = num_labels + 1 if class_info == "d-fake-class" else 1
    patches = layers.Conv2D(outputs, 4, padding="same", dtype="float32", name="patches")(x)
    if class_info != "d-class":
        return keras.Model(pair, patches, name="discriminator")
    pooled = layers.GlobalAveragePooling2D(dtype=dtype)(x)
    classes = layers.Dense(num_labels, dtype="float32", name="classes")(pooled)
    return keras.Model(pair, [patches, classes], name="discriminator")


def target_classifier(resolution: int, num_labels: int, dtype) -> keras.Model:
    """The answer's Q, LeNet-like: 2 × [Conv 5×5, ReLU, max-pool] (32, 64), Dense 128, class logits."""
    image = keras.Input((resolution, resolution, 1))
    x = image
    for filters in (32, 64):
        x = layers.Conv2D(filters, 5, padding="same", activation="relu", dtype=dtype)(x)
        x = layers.MaxPooling2D(dtype=dtype)(x)
    x = layers.Dense(128, activation="relu", dtype=dtype)(layers.Flatten(dtype=dtype)(x))
    return keras.Model(image, layers.Dense(num_labels, dtype="float32")(x), name="classifier")


def bce_multilabel(labels_one_hot, logits):
    return ops.mean(keras.losses.binary_crossentropy(labels_one_hot, logits, from_logits=True))


# --- the family --------------------------------------------------------------------------------
class Pix2pix(KerasGanFamily):
    name = "pix2pix"
    title = "Paired image-to-image (pix2pix)"
    config_class = Pix2pixConfig
    generator_networks = ("generator",)
    needs_discriminators_to_fine_tune = False
    data_choices = (
        ("Fashion-MNIST photos ↔ edge sketches (Canny)", "fashion-edges"),
        ("MNIST digits ↔ skeletons", "mnist-skeletons"),
    )
    accepts_data_files = True
    evaluation_unit = "pair"
    loss_groups = (
        ("D (real and fake pairs)", ("d_real", "d_fake", "d_class")),
        ("G: L1 to the target", ("g_l1",)),
        ("G: adversarial and class", ("g_adv", "g_class")),
        ("Q: classifier of real targets", ("q_loss",)),
    )
    preview_caption = "Fixed held-out pairs: input | output | real target, four to a row"
    metric_panels = (
        ("Live L1 to the real target (held out)", ("l1",)),
        ("Live 'follows its input' (L1 to others' targets ÷ to its own)", ("follows_input",)),
        ("Live judge accuracy on the outputs (the input's class)", ("class_accuracy",)),
    )

    def __init__(self, config: Pix2pixConfig | None = None):
        super().__init__(config or Pix2pixConfig())
        cfg = self.config
        names = [n for n in cfg.class_names.split(",") if n]
        if len(names) != cfg.num_labels:
            raise UserFacingError(
                f"class_names lists {len(names)} classes but num_labels is {cfg.num_labels}; give one name per class."
            )
        set_random_seed(cfg.seed)
        dtype = keras_dtype(cfg.precision)
        res = cfg.resolution
        self.networks = {
            "generator": unet_generator(res, self._input_channels, cfg.unet_width, dtype),
            "discriminator": patch_discriminator(
                res, cfg.unet_width * 2, cfg.patch_layers, cfg.class_info, cfg.num_labels, dtype
            ),
        }
        if cfg.class_info == "classifier":
            self.networks["classifier"] = target_classifier(res, cfg.num_labels, dtype)
        momentum = {"generator": cfg.generator_ema}  # only G's weights are averaged
        self.optimizers = {
            name: fused.adam(cfg.lr, beta_1=cfg.beta1, **self.averaging(momentum.get(name, 0)))
            for name in self.networks
        }
        self._compile(self._step_body)
        self._keep_generator_average()
        self._predict = make_predictor(self.shown_generator, (res, res, self._input_channels))
        blank = np.zeros((EXAMPLES, res, res), np.uint8)
        self.examples = {"input": blank, "target": blank.copy(), "class": np.zeros(EXAMPLES, np.int32)}

    # --- data ---------------------------------------------------------------------------
    @classmethod
    def load_data(cls, spec: str, config):
        from trainers.paired_data import load_pairs

        return load_pairs(config.pairs if spec in (None, "", "auto") else spec, config.resolution, _progress_bar())

    @classmethod
    def config_for_data(cls, config: dict, dataset) -> dict:
        if any("," in name for name in dataset.class_names):
            raise UserFacingError(f"{dataset.source}: a class name holds a comma; rename that class.")
        return {
            **config,
            "num_labels": len(dataset.class_names),
            "class_names": ",".join(dataset.class_names),
            "pairs": dataset.spec,
            "judge": dataset.judge_kind,
            "domain_names": ",".join(name.replace(",", " ") for name in dataset.domains),
        }

    def oriented(self, pairs) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, targets) of a pair set in this model's direction."""
        return (pairs.b, pairs.a) if self.config.direction == "sketch-to-photo" else (pairs.a, pairs.b)

    def see_held_out(self, held_out) -> None:
        inputs, targets = self.oriented(held_out.take(EXAMPLES))
        if len(inputs) < EXAMPLES:  # a small pair set: repeat what there is
            picks = np.arange(EXAMPLES) % len(inputs)
            inputs, targets = inputs[picks], targets[picks]
            labels = held_out.labels[picks]
        else:
            labels = held_out.labels[:EXAMPLES]
        self.examples = {"input": inputs, "target": targets, "class": labels.astype(np.int32)}

    def batches(self, dataset, batch_size: int, seed: int):
        from trainers.paired_data import PairBatches

        return OrientedBatches(PairBatches(dataset, batch_size, seed), self.config.direction)

    # --- what it makes ----------------------------------------------------------------
    @property
    def sample_kind(self) -> ImageSamples:
        return ImageSamples(self.config.resolution, self.config.resolution, 1)

    @property
    def display_name(self) -> str:
        return f"{self.title}, {self.domains[0]} → {self.domains[1]}"

    @property
    def makes_domain_b(self) -> bool:
        """photo-to-sketch reads domain A and draws domain B; sketch-to-photo the other way round."""
        return self.config.direction == "photo-to-sketch"

    @property
    def domains(self) -> tuple[str, str]:
        """(what it takes, what it makes), as the data names its domains (photo and sketch for the built-in)."""
        names = self.config.domain_names.split(",")
        a, b = names if len(names) == 2 else ("A", "B")
        return (a, b) if self.makes_domain_b else (b, a)

    @cached_property
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        controls: tuple = (ImageControl("input", cfg.resolution, cfg.resolution, label=self.domains[0]),)
        if cfg.class_info != "none":
            names = tuple(cfg.class_names.split(","))
            named = names if names != tuple(str(i) for i in range(cfg.num_labels)) else ()
            controls += (CategoricalControl("class", cfg.num_labels, label="class", class_names=named),)
        return LatentSpec(controls)

    @property
    def uses_class(self) -> bool:
        return self.config.class_info != "none"

    @property
    def _input_channels(self) -> int:
        return 1 + (self.config.num_labels if self.uses_class else 0)

    def generator_inputs(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(N, R, R, 1 + n): the input image and, where the class is used, its one-hot planes."""
        x = np.asarray(images, np.float32)[..., None]
        if not self.uses_class:
            return x
        planes = np.eye(self.config.num_labels, dtype=np.float32)[np.asarray(labels, np.int64)]
        return np.concatenate([x, np.broadcast_to(planes[:, None, None, :], (*x.shape[:3], len(planes[0])))], axis=3)

    def translate(self, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Inputs (N, R, R) in [0, 1] (and classes) -> outputs (N, R, R) in [0, 1]."""
        self.sync()
        labels = np.zeros(len(images), np.int64) if labels is None else labels
        out = []
        for start in range(0, len(images), 500):
            part = slice(start, start + 500)
            out.append(self._predict(self.generator_inputs(images[part], labels[part]))[..., 0])
        return np.concatenate(out) if out else np.zeros((0, *images.shape[1:]), np.float32)

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        images = latents["input"]
        return self.translate(images, latents.get("class"))

    def example_latents(self, n: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
        n = EXAMPLES if n is None else n
        picks = np.random.default_rng(seed).integers(0, EXAMPLES, n) if n > EXAMPLES else np.arange(n)
        latents = {
            "input": self.examples["input"][picks] / np.float32(255.0),
            "target": self.examples["target"][picks] / np.float32(255.0),
        }
        if self.uses_class:
            latents["class"] = self.examples["class"][picks]
        else:
            latents["true_class"] = self.examples["class"][picks]
        return latents

    def preview(self) -> np.ndarray:
        """(input | output | target) for the first held-out pairs, four triplets to a row."""
        latents = self.example_latents(PREVIEW_PAIRS)
        outputs = self.generate_arrays(latents)
        gap = np.full((len(outputs), outputs.shape[1], 1), 0.35, np.float32)  # grey within a triplet
        triplets = np.concatenate([latents["input"], gap, outputs, gap, latents["target"]], axis=2)
        return make_grid(triplets, cols=4, pad=6)  # black, wider, between triplets

    # --- training -----------------------------------------------------------------------
    def _d_loss(self, ctx, inputs, targets, fakes, labels):
        cfg = self.config
        real_out = ctx.call("discriminator", ops.concatenate([inputs, targets], axis=3))
        fake_out = ctx.call("discriminator", ops.concatenate([inputs, fakes], axis=3))
        if cfg.class_info == "d-fake-class":  # each patch: its pair's class, or the extra class "fake"
            shape = ops.shape(real_out)[:3]
            real = cce_logits(ops.broadcast_to(labels[:, None, None], shape), real_out)
            fake = cce_logits(ops.full(shape, cfg.num_labels, dtype="int32"), fake_out)
            return 0.5 * (real + fake), {"d_real": real, "d_fake": fake}
        real_patches, fake_patches = (real_out[0], fake_out[0]) if cfg.class_info == "d-class" else (real_out, fake_out)
        real, fake = bce_logits(1.0, real_patches), bce_logits(0.0, fake_patches)
        loss, logs = 0.5 * (real + fake), {"d_real": real, "d_fake": fake}
        if cfg.class_info == "d-class":  # real and fake pairs both carry their class (as the book's ACGAN)
            one_hot = ops.one_hot(labels, cfg.num_labels)
            classes = 0.5 * (bce_multilabel(one_hot, real_out[1]) + bce_multilabel(one_hot, fake_out[1]))
            loss = loss + cfg.class_weight * classes
            logs.update(d_class=classes, d_class_acc=label_accuracy(labels, real_out[1]))
        return loss, logs

    def _q_loss(self, ctx, targets, labels):
        logits = ctx.call("classifier", targets)
        loss = cce_logits(labels, logits)
        return loss, {"q_loss": loss, "q_acc": label_accuracy(labels, logits)}

    def _g_loss(self, ctx, g_inputs, inputs, targets, labels):
        cfg = self.config
        fakes = ctx.call("generator", g_inputs)
        l1 = ops.mean(ops.abs(ops.cast(fakes, "float32") - targets))
        loss, logs = cfg.l1_weight * l1, {"g_l1": l1}
        if cfg.adversarial_weight > 0 or cfg.class_info in ("d-class", "d-fake-class"):
            judged = ctx.call("discriminator", ops.concatenate([inputs, fakes], axis=3))
            if cfg.class_info == "d-fake-class":  # read as the pair's class: real, and of the right class
                adv = cce_logits(ops.broadcast_to(labels[:, None, None], ops.shape(judged)[:3]), judged)
                loss, logs["g_adv"] = loss + cfg.adversarial_weight * adv, adv
            else:
                patches = judged[0] if cfg.class_info == "d-class" else judged
                adv = bce_logits(1.0, patches)
                loss, logs["g_adv"] = loss + cfg.adversarial_weight * adv, adv
                if cfg.class_info == "d-class":
                    cls = bce_multilabel(ops.one_hot(labels, cfg.num_labels), judged[1])
                    loss, logs["g_class"] = loss + cfg.class_weight * cls, cls
        if cfg.class_info == "classifier":
            cls = cce_logits(labels, ctx.call("classifier", fakes, training=False))
            loss, logs["g_class"] = loss + cfg.class_weight * cls, cls
        logs["g_loss"] = loss
        return loss, logs

    def _step_body(self, ctx, g_inputs, inputs, targets, labels):
        """The answer's phases: D on real then fake pairs, Q on real targets, then G through fixed D and Q."""
        cfg = self.config
        logs = {}
        if cfg.adversarial_weight > 0 or cfg.class_info in ("d-class", "d-fake-class"):
            fakes = ops.cast(ctx.call("generator", g_inputs), "float32")
            logs.update(ctx.update("discriminator", self._d_loss, inputs, targets, fakes, labels))
        if cfg.class_info == "classifier":
            logs.update(ctx.update("classifier", self._q_loss, targets, labels))
        logs.update(ctx.update("generator", self._g_loss, g_inputs, inputs, targets, labels))
        return logs

    def step_arrays(self, inputs: np.ndarray, targets: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
        return (self.generator_inputs(inputs[..., 0], labels), inputs, targets, labels.astype(np.int32))

    # --- state: the weights and the kept examples -------------------------------------------
    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]:
        arrays = super().state(generators_only)
        arrays.update({f"examples/{key}": value for key, value in self.examples.items()})
        return arrays

    def load_state(self, arrays, generators_only=False, optimizers=None) -> None:
        res = self.config.resolution
        kept = [("examples/input", (EXAMPLES, res, res)), ("examples/target", (EXAMPLES, res, res))]
        check_arrays(arrays, [*kept, ("examples/class", (EXAMPLES,))])
        classes = np.asarray(arrays["examples/class"]).astype(np.int64)
        if classes.min() < 0 or classes.max() >= self.config.num_labels:  # checked before any weight changes
            raise UserFacingError("The kept examples' classes are out of range: the file is damaged.")
        super().load_state(arrays, generators_only, optimizers)
        self.examples = {
            "input": np.clip(arrays["examples/input"], 0, 255).astype(np.uint8),
            "target": np.clip(arrays["examples/target"], 0, 255).astype(np.uint8),
            "class": classes.astype(np.int32),
        }

    # --- measuring ------------------------------------------------------------------------
    @classmethod
    def live_metrics(cls, dataset, say):
        from trainers.translation_eval import LiveTranslationMetrics

        return LiveTranslationMetrics(dataset, say)

    def evaluate(self, n: int, progress=None) -> dict:
        from trainers.translation_eval import evaluate_translation

        return evaluate_translation(self, n, progress)

    def evaluation_units(self, n: int) -> int:
        from trainers.paired_data import HELD_OUT

        return min(n, HELD_OUT)

    @staticmethod
    def format_evaluation(result: dict) -> str:
        from trainers.translation_eval import format_translation

        return format_translation(result)


class OrientedBatches:
    """Pair batches as (input, target, class) in the model's direction."""

    def __init__(self, batches, direction: str):
        self._batches, self._swap = batches, direction == "sketch-to-photo"

    def next(self):
        a, b, labels = self._batches.next()
        return (b, a, labels) if self._swap else (a, b, labels)


def _progress_bar():
    """A bar on a terminal while a built-in pair set is drawn the first time (about 30 s for 70,000)."""
    import sys

    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="pair", desc="Drawing sketches (once; then cached)", leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return advance
