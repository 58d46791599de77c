"""The registry of GAN families: the one place that names them.

Each entry says what the CLI's choices, the app's model list, the shipped-model menu and the
background warm-up need before the family's module is imported (its name, title, default
training settings); the module itself (imported lazily: TensorFlow is slow to import) holds the
rest of the contract (trainers.families.base.GanFamily). A new family is one module plus one
entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Any

from trainers.errors import UserFacingError


@dataclass(frozen=True)
class TrainingDefaults:
    """Training settings a new run of the family starts with, in the CLI and in the app alike."""

    steps: int
    batch_size: int = 64
    grid_every: int = 200  # sample snapshots (grids, 1-D frames)
    checkpoint_every: int = 1000
    metrics_every: int = 500  # live quality metrics; 0 = off

    def with_changes(self, **changes) -> TrainingDefaults:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class FamilyEntry:
    name: str
    title: str
    module: str
    class_name: str
    summary: str
    defaults: TrainingDefaults
    needs_tensorflow: bool = True  # its module imports Keras (the app imports it off the GUI thread)

    def load(self):
        """The GanFamily subclass."""
        if self.needs_tensorflow:
            from trainers.quiet import load_tensorflow_quietly

            load_tensorflow_quietly()
        return getattr(importlib.import_module(self.module), self.class_name)

    @property
    def config_class(self) -> Any:
        return self.load().config_class


FAMILIES: tuple[FamilyEntry, ...] = (
    FamilyEntry(
        "infogan",
        "InfoGAN",
        "trainers.families.infogan",
        "InfoGan",
        "label + two continuous codes (thickness, slant) + noise -> MNIST digit (book ch. 6)",
        TrainingDefaults(steps=40000),
    ),
    FamilyEntry(
        "stackedgan",
        "StackedGAN",
        "trainers.families.stackedgan",
        "StackedGan",
        "label -> feature -> MNIST digit, two stacked GANs with noise z1, z0 (book ch. 6)",
        TrainingDefaults(steps=10000),
    ),
    FamilyEntry(
        "dcgan",
        "DCGAN",
        "trainers.families.dcgan",
        "Dcgan",
        "unconditional 32×32 images: the source's DCGAN (MNIST padded to 32×32) or Keras' CIFAR-10 DCGAN",
        TrainingDefaults(steps=10000),
    ),
    FamilyEntry(
        "cgan",
        "CGAN",
        "trainers.families.cgan",
        "Cgan",
        "label joined to the noise and to the discriminator's input -> MNIST digit (book ch. 4)",
        TrainingDefaults(steps=20000),
    ),
    FamilyEntry(
        "acgan",
        "ACGAN",
        "trainers.families.acgan",
        "Acgan",
        "label -> digit; D also learns the class: aux head, n + 1 'fake' class, or a separate classifier",
        TrainingDefaults(steps=20000),
    ),
    FamilyEntry(
        "pix2pix",
        "Paired image-to-image (pix2pix)",
        "trainers.families.pix2pix",
        "Pix2pix",
        "the Q&A's system: sketch ↔ photo with a U-Net G, a PatchGAN D and the class from D, D's 'fake' class "
        "or a separate classifier",
        TrainingDefaults(steps=10000, batch_size=64, grid_every=200, checkpoint_every=1000, metrics_every=500),
    ),
    FamilyEntry(
        "gauss1d",
        "1-D Gaussian GAN (lab)",
        "trainers.families.gauss1d",
        "Gauss1dGan",
        "learns a 1-D Gaussian (or a mixture) from stratified noise, live (gan-intro)",
        TrainingDefaults(steps=3000, batch_size=32, grid_every=20, checkpoint_every=500, metrics_every=20),
        needs_tensorflow=False,
    ),
    FamilyEntry(
        "gauss2d",
        "2-D GAN lab",
        "trainers.families.gauss2d",
        "Gauss2dGan",
        "GAN Lab's 2-D distributions and the mode-collapse benchmarks (8-Gaussian ring, 25-Gaussian grid), "
        "with their cures, live",
        TrainingDefaults(steps=10000, batch_size=64, grid_every=25, checkpoint_every=1000, metrics_every=25),
        needs_tensorflow=False,
    ),
)


def family_names() -> tuple[str, ...]:
    return tuple(entry.name for entry in FAMILIES)


def family_entry(name: str) -> FamilyEntry:
    for entry in FAMILIES:
        if entry.name == name:
            return entry
    raise UserFacingError(f"Unknown model family '{name}'; choose one of: {', '.join(family_names())}.")


def family_class(name: str):
    """The GanFamily subclass for a name; imported lazily because TensorFlow is slow to import."""
    return family_entry(name).load()
