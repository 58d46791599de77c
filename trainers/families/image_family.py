"""What every Keras image GAN shares: its data, its sample grids and its judged evaluation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from trainers.data import KINDS, DataKind
from trainers.errors import UserFacingError
from trainers.families.base import ImageSamples, KerasGanFamily
from trainers.images import make_grid
from trainers.latent import CategoricalControl
from trainers.settings import setting

MNIST_CHOICES = (
    ("Automatic (Keras cache, else bundled)", "auto"),
    ("Bundled MNIST subset (10,000)", "bundled"),
    ("Keras cache (~/.keras/datasets/mnist.npz)", "keras"),
    ("Fashion-MNIST (Debian's dataset-fashion-mnist, 70,000)", "fashion"),
)
GREY_KINDS = ("mnist", "fashion-mnist")


def dataset_setting(kinds: tuple[str, ...] = GREY_KINDS):
    """The config field naming what the images are; a new run sets it from its data."""
    about = "what the images are (set from the data when a run starts): " + ", ".join(kinds)
    return setting("mnist", about, choices=kinds, advanced=True)  # the data decides it: not in the app's form


def class_control(kind: DataKind, n: int, name: str = "digit") -> CategoricalControl:
    """The class slider, named as the data set names its classes (digits need no names)."""
    named = kind.class_names if kind.class_names != tuple(str(d) for d in range(n)) else ()
    return CategoricalControl(name, n, label=kind.class_label, class_names=named if len(named) == n else ())


class ImageGanFamily(KerasGanFamily):
    """Images of MNIST's size, learnt from MNIST (or an IDX folder / .npz of the same shape)."""

    data_choices = MNIST_CHOICES
    accepts_data_files = True
    evaluation_unit = "img"
    metric_panels: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = (
        ("Live label accuracy (generated digits)", ("label_accuracy",)),
        ("Live Fréchet distance to real digits", ("frechet_distance",)),
        ("Live kernel distance (KID) to real digits", ("kernel_distance",)),
    )

    @property
    def sample_kind(self) -> ImageSamples:
        return ImageSamples(28, 28, 1)

    @property
    def display_name(self) -> str:
        kind = self.data_kind
        return self.title if kind.name == "mnist" else f"{self.title} ({kind.title})"

    @property
    def data_kind(self) -> DataKind:
        """What the model's images are (MNIST for a family without a dataset setting)."""
        return KINDS[getattr(self.config, "dataset", "mnist")]

    @classmethod
    def load_data(cls, spec: str, config):
        from trainers.data import load_dataset

        return load_dataset(spec)

    @classmethod
    def config_for_data(cls, config: dict, dataset) -> dict:
        field = cls.config_class.__dataclass_fields__.get("dataset")
        kinds = field.metadata["choices"] if field is not None else ("mnist",)
        kind = dataset.data_kind
        if kind.name not in kinds:
            takes = ", ".join(KINDS[k].title for k in kinds)
            raise UserFacingError(
                f"{cls.title} cannot learn {kind.title} images here; it takes {takes} (choose other "
                "data or another model)."
            )
        n = config.get("num_labels")
        if n is not None and n != len(kind.class_names):
            raise UserFacingError(
                f"{kind.title} has {len(kind.class_names)} classes but num_labels is {n}: set "
                f"--config num_labels={len(kind.class_names)}."
            )
        return {**config, "dataset": kind.name} if field is not None else config

    def batches(self, dataset, batch_size: int, seed: int):
        from trainers.data import BatchSampler

        return BatchSampler(dataset, batch_size, seed=seed)

    def judge_view(self, images: np.ndarray) -> np.ndarray:
        """What the MNIST judge reads of the samples (28×28, one channel)."""
        return images

    # --- grids -------------------------------------------------------------------------
    def preview(self) -> np.ndarray:
        """The fixed-noise grid: one column per class."""
        if getattr(self, "_grid_latents", None) is None:
            self._grid_latents = self.latent_spec.grid_latents()
        return make_grid(self.generate_arrays(self._grid_latents), cols=self.latent_spec.grid_columns)

    # --- measuring ---------------------------------------------------------------------
    @classmethod
    def live_metrics(cls, dataset, say):
        from trainers.evaluation import live_metrics_or_none

        return live_metrics_or_none(dataset, say)

    def evaluate(self, n: int, progress=None) -> dict:
        from trainers.evaluation import judged_evaluation

        return judged_evaluation(self, n, progress)

    def evaluation_units(self, n: int) -> int:
        return n * (1 + len(self.latent_spec.swept))

    @staticmethod
    def format_evaluation(result: dict) -> str:
        from trainers.evaluation import format_table

        return format_table(result)
