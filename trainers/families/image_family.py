"""What every Keras image GAN on MNIST shares: its data, its sample grids and its judged evaluation."""
from __future__ import annotations

import numpy as np

from trainers.families.base import ImageSamples, KerasGanFamily
from trainers.images import make_grid

MNIST_CHOICES = (
    ("Automatic (Keras cache, else bundled)", "auto"),
    ("Bundled MNIST subset (10,000)", "bundled"),
    ("Keras cache (~/.keras/datasets/mnist.npz)", "keras"),
)


class ImageGanFamily(KerasGanFamily):
    """Images of MNIST's size, learnt from MNIST (or an IDX folder / .npz of the same shape)."""

    data_choices = MNIST_CHOICES
    accepts_data_files = True
    evaluation_unit = "img"
    metric_panels = (("Live label accuracy (generated digits)", ("label_accuracy",)),
                     ("Live Fréchet distance to real digits", ("frechet_distance",)))

    @property
    def sample_kind(self) -> ImageSamples:
        return ImageSamples(28, 28, 1)

    @classmethod
    def load_data(cls, spec: str, config):
        from trainers.data import load_dataset

        return load_dataset(spec)

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
