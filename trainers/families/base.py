"""The one contract every GAN family implements to plug into the training loop, CLI and GUI."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from trainers.errors import IncompatibleCheckpoint, UserFacingError
from trainers.latent import LatentSpec

ProgressFn = Callable[[str, float, dict], bool]  # (phase, fraction done, figures) -> stop now?


@dataclass(frozen=True)
class ImageSamples:
    """Samples are images (N, H, W) for one channel, (N, H, W, C) for more, floats in [0, 1]."""

    height: int
    width: int
    channels: int = 1


@dataclass(frozen=True)
class Samples1D:
    """Samples are scalars (N,); `low`..`high` is the range the views show."""

    low: float
    high: float


@dataclass(frozen=True)
class Samples2D:
    """Samples are points (N, 2); the box x0..x1, y0..y1 is what the views show."""

    x0: float
    x1: float
    y0: float
    y1: float


SampleKind = ImageSamples | Samples1D | Samples2D


@dataclass(frozen=True)
class Preset:
    """A named set of settings: config fields and training settings (steps, batch_size) to start from."""

    name: str
    title: str
    config: dict
    training: dict


def preset_named(cls, name: str) -> Preset:
    for preset in cls.presets:
        if preset.name == name:
            return preset
    offered = ", ".join(p.name for p in cls.presets) or "none"
    raise UserFacingError(f"--preset {name}: {cls.title} offers {offered}.")


@dataclass(frozen=True)
class DrawnPoints:
    """A family whose real distribution can be drawn: the app offers a canvas over `box` (x0, x1, y0, y1) and
    writes the points, as 'x y; x y; …', into the setting `points`, with `switch` = (setting, value) set too."""

    points: str
    switch: tuple[str, str]
    box: tuple[float, float, float, float]


class GanFamily(ABC):
    """The one contract a GAN family implements to plug into the loop, the CLI and the app.

    The family says what it makes (`sample_kind`), which controls it has (`latent_spec`), what data
    it learns from, how it is measured and which curves belong together; the app and the CLI read
    all of it from here and from the registry (trainers.families), never from a family's name."""

    name: ClassVar[str]
    title: ClassVar[str]
    config_class: ClassVar[Any]  # a dataclass of settings (trainers.settings)
    generator_networks: ClassVar[tuple[str, ...]]  # what an exported model keeps
    needs_discriminators_to_fine_tune: ClassVar[bool] = False  # True: a generator-only model cannot be fine-tuned
    data_choices: ClassVar[tuple[tuple[str, str], ...]] = ()  # (menu text, data spec); () = data from the settings
    accepts_data_files: ClassVar[bool] = False  # the app offers "Choose file or folder…"
    loss_groups: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()  # (panel, loss names); () = by name
    metric_panels: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()  # (title, live metric names)
    loss_reference_lines: ClassVar[dict[str, float]] = {}  # e.g. the equilibrium of a loss
    presets: ClassVar[tuple[Preset, ...]] = ()  # the first is what a new run starts from
    evaluation_unit: ClassVar[str] = "sample"  # what evaluation_units counts, for progress bars
    partial_steps: ClassVar[tuple[str, ...]] = ()  # networks train_part can update alone ("step D / step G")
    drawn_points: ClassVar[DrawnPoints | None] = None  # a real distribution the user can draw on the plane
    live_settings: ClassVar[tuple[str, ...]] = ()  # settings apply_settings can change between steps
    preview_caption: ClassVar[str] = "Fixed-noise samples (one column per class)"  # what preview()'s grid shows

    @classmethod
    def loss_reference(cls, settings: dict) -> dict[str, float]:
        """The reference lines of a run's loss plots under these settings (e.g. a loss at equilibrium)."""
        return dict(cls.loss_reference_lines)

    def __init__(self, config):
        self.config = config
        self.card: dict = {}

    @property
    def display_name(self) -> str:
        """The model as a person tells it from others of its family (e.g. the data set it learnt)."""
        return self.title

    # --- data -------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def load_data(cls, spec: str, config):
        """The data set a run learns from: anything with `split()` -> (train, held out) and `notice()`."""

    @classmethod
    def config_for_data(cls, config: dict, dataset) -> dict:
        """The config a new run uses with `dataset` (e.g. its image kind); one line if the family cannot learn it."""
        return config

    def see_held_out(self, held_out) -> None:  # noqa: B027 (most families show only what they generate)
        """The held-out part of the data a run starts with (before its first step), for a family that shows
        or keeps real examples (an image-to-image model's fixed inputs and their targets)."""

    def example_latents(self, n: int | None = None, seed: int = 0) -> dict[str, np.ndarray] | None:
        """For a model with an image input: n latents (None: one per kept example) whose inputs come from
        held-out data, each real target under 'target' (None where the model takes no image)."""
        return None

    @abstractmethod
    def batches(self, dataset, batch_size: int, seed: int):
        """An object whose `next()` gives the arrays of one `train_step`."""

    # --- what it makes ------------------------------------------------------------------
    @property
    @abstractmethod
    def sample_kind(self) -> SampleKind: ...

    @property
    @abstractmethod
    def latent_spec(self) -> LatentSpec: ...

    @property
    def class_control(self):
        """The categorical control (the label), or None for an unconditional GAN."""
        return self.latent_spec.categorical

    def prepare(self, dataset, on_progress: ProgressFn | None = None) -> dict:
        """Work needed once before GAN steps (StackedGAN's encoder). Returns figures to record."""
        return {}

    @property
    def prepared(self) -> bool:
        return True

    @abstractmethod
    def train_step(self, *batch: Any, **_: Any) -> dict[str, float]:
        """One update from the arrays of one `batches().next()`; returns every loss as a float."""

    def train_steps(self, batches: list[tuple]) -> list[dict[str, float]]:
        """One update per batch, in order; a family that can run several in one compiled call does."""
        return [self.train_step(*batch) for batch in batches]

    def apply_settings(self, changes: dict) -> str:
        """Change some of `live_settings` between two steps (checked like any config); one line saying what."""
        raise NotImplementedError(f"{self.title} cannot change its settings while it trains")

    def train_part(self, part: str, *batch: Any) -> dict[str, float]:
        """One update of `part` (one of `partial_steps`) alone, the other network fixed; its losses."""
        raise NotImplementedError(f"{self.title} cannot update the {part} alone")

    @abstractmethod
    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        """Full latent arrays -> samples of `sample_kind`."""

    def noise_sites(self) -> dict:
        """Noise name -> trainers.directions.NoiseSite: where each noise vector enters a generator network,
        so that directions can be discovered in it. {} (the default): the family offers none."""
        return {}

    def generate(self, controls: dict, n: int | None = None) -> np.ndarray:
        return self.generate_arrays(self.latent_spec.expand(controls, n))

    @abstractmethod
    def preview(self):
        """Plain data showing what the fixed latents give now (a uint8 grid, a 1-D frame)."""

    # --- measuring ------------------------------------------------------------------------
    @classmethod
    def live_metrics(cls, dataset, say: Callable[[str], None]):
        """A callable model -> {metric: float} cheap enough to run while training, or None."""
        return None

    @abstractmethod
    def evaluate(self, n: int, progress: Callable[[int], None] | None = None) -> dict:
        """Every figure of the model card; `progress(k)` counts units of `evaluation_units(n)`."""

    def evaluation_units(self, n: int) -> int:
        return n

    @staticmethod
    @abstractmethod
    def format_evaluation(result: dict) -> str: ...

    # --- state, for checkpoints -------------------------------------------------------------
    def config_dict(self) -> dict:
        return asdict(self.config)

    @abstractmethod
    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def load_state(
        self, arrays: dict[str, np.ndarray], generators_only: bool = False, optimizers: bool | None = None
    ) -> None: ...

    def freeze_generators(self, frozen: bool) -> None:
        """Generators at learning rate 0 (a fine-tune's warm-up: fresh discriminators catch up first)."""
        raise UserFacingError(f"{self.title} has no discriminator warm-up.")

    def sync(self) -> None:  # noqa: B027 (most families keep no cache: nothing to do is the right default)
        """Bring any cached state up to date before reading weights."""


def check_arrays(arrays: dict[str, np.ndarray], expected: list[tuple[str, tuple]]) -> None:
    """Every expected key is there with its shape, as finite numbers: one line naming the first that is not."""
    for key, shape in expected:
        if key not in arrays:
            raise IncompatibleCheckpoint(f"Checkpoint lacks '{key}': it was written by another model or version.")
        value = arrays[key]
        if tuple(value.shape) != tuple(shape):
            raise IncompatibleCheckpoint(
                f"Checkpoint '{key}' has shape {value.shape}, the model expects {tuple(shape)}: "
                "incompatible model settings."
            )
        if value.dtype.kind not in "fiub":
            raise UserFacingError(f"Checkpoint '{key}' holds {value.dtype} values, not numbers: the file is damaged.")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise UserFacingError(
                f"Checkpoint '{key}' holds NaN or infinite weights: the run had diverged; "
                "resume from an earlier copy or retrain."
            )


class KerasGanFamily(GanFamily):
    """A family whose networks are Keras models, trained by trainers.runner."""

    def __init__(self, config):
        super().__init__(config)
        self.networks: dict = {}
        self.optimizers: dict = {}
        self._averaged: AveragedCopy | None = None  # the generator's moving average, where one is kept

    @staticmethod
    def averaging(momentum: float) -> dict:
        """The generator optimizer's options for a moving average of its weights (none for momentum 0)."""
        return {"use_ema": True, "ema_momentum": momentum} if momentum > 0 else {}

    def _keep_generator_average(self) -> None:
        """After _compile, where the generator's optimizer averages: sample, measure and export the average."""
        if self.optimizers["generator"].use_ema:
            self._averaged = AveragedCopy(self.networks["generator"], self.optimizers["generator"])

    @property
    def shown_generator(self):
        """The generator that draws: its moving average where one is kept."""
        return self._averaged.copy if self._averaged is not None else self.networks["generator"]

    @abstractmethod
    def step_arrays(self, *batch: Any) -> tuple[np.ndarray, ...]:
        """The arrays one runner step takes for one batch: the batch and the step's random latents."""

    def train_step(self, *batch: Any, **_: Any) -> dict[str, float]:
        from trainers.runner import to_floats

        return to_floats(self.runner.step(*self.step_arrays(*batch)))

    def train_steps(self, batches: list[tuple]) -> list[dict[str, float]]:
        """k updates in one compiled call; the latents are drawn in the same order as k single steps."""
        from trainers.runner import to_float_rows

        if len(batches) == 1:
            return [self.train_step(*batches[0])]
        per_step = [self.step_arrays(*batch) for batch in batches]
        return to_float_rows(self.runner.steps(*[np.stack(column) for column in zip(*per_step)]))

    def _compile(self, step_body) -> None:
        """Build every optimizer (so checkpoints can restore its slots) and the step runner."""
        from trainers.runner import make_runner

        for name, opt in self.optimizers.items():
            opt.build(self.networks[name].trainable_variables)
        self.runner = make_runner(self.networks, self.optimizers, step_body)
        self._rng = np.random.default_rng(self.config.seed)
        # the configured rates, read before any checkpoint can restore its own (a warm-up's 0, or the rate
        # a run had before it was resumed with another)
        self._configured_lrs = {n: float(_numpy(o.learning_rate)) for n, o in self.optimizers.items()}
        self._generator_lrs = {n: self._configured_lrs[n] for n in self.generator_networks}

    def freeze_generators(self, frozen: bool) -> None:
        self.sync()
        for name, rate in self._generator_lrs.items():
            self.optimizers[name].learning_rate = 0.0 if frozen else rate
        self.runner.reload()

    # --- state, for checkpoints ---------------------------------------------------------
    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]:
        """Every network's weights and optimizer slots; an export (generators only) holds the generator's
        moving average where one is kept."""
        self.sync()
        arrays = {}
        names = self.generator_networks if generators_only else tuple(self.networks)
        for net_name in names:
            network = self.networks[net_name]
            if generators_only and net_name == "generator":
                network = self.shown_generator
            for i, w in enumerate(network.weights):
                arrays[f"{net_name}/{i}"] = _numpy(w)
        if not generators_only:
            for opt_name, opt in self.optimizers.items():
                for i, v in enumerate(opt.variables):
                    arrays[f"opt:{opt_name}/{i}"] = _numpy(v)
        return arrays

    def load_state(
        self, arrays: dict[str, np.ndarray], generators_only: bool = False, optimizers: bool | None = None
    ) -> None:
        """Assign weights from `arrays`; optimizer state too unless generators only or optimizers=False
        (a fine-tune starts its optimizers fresh)."""
        names = self.generator_networks if generators_only else tuple(self.networks)
        pairs = [(f"{n}/{i}", w) for n in names for i, w in enumerate(self.networks[n].weights)]
        if optimizers is None:
            optimizers = not generators_only
        if optimizers:
            pairs += [(f"opt:{n}/{i}", v) for n, o in self.optimizers.items() for i, v in enumerate(o.variables)]
        check_arrays(arrays, [(key, tuple(variable.shape)) for key, variable in pairs])
        for key, variable in pairs:
            variable.assign(arrays[key])
        if optimizers:  # the settings say the rate, not the checkpoint: a resume may lower it
            for name, rate in getattr(self, "_configured_lrs", {}).items():
                self.optimizers[name].learning_rate = rate
        if getattr(self, "runner", None) is not None:
            self.runner.reload()
        if self._averaged is not None:
            self._averaged.invalidate()

    def sync(self) -> None:
        """Bring Keras variables up to date (the JAX runner keeps state outside them), and the average."""
        if getattr(self, "runner", None) is not None:
            self.runner.sync()
        if self._averaged is not None:
            self._averaged.refresh()


class AveragedCopy:
    """A copy of `network` holding its optimizer's moving average of the trainable weights (Keras's
    `use_ema`, updated inside the compiled step and checkpointed with the optimizer's slots), and the
    network's own BatchNorm statistics. Before the optimizer's first step there is no average yet, so the
    copy holds the network's weights (a generator loaded from an export, which holds the average already)."""

    def __init__(self, network, optimizer):
        import keras

        self.network, self.optimizer = network, optimizer
        self.copy = keras.models.clone_model(network)
        self._fresh_for: int | None = None  # the optimizer step the copy holds

    def refresh(self) -> None:
        """Copy the average in (after the runner's sync), once per optimizer step or load."""
        steps = int(_numpy(self.optimizer.iterations))
        if steps == self._fresh_for:
            return
        averaged = steps > 0
        sources = self.optimizer._model_variables_moving_average if averaged else self.network.trainable_variables
        for target, source in zip(self.copy.trainable_variables, sources):  # the same order: clone_model
            target.assign(source)
        for target, source in zip(self.copy.non_trainable_variables, self.network.non_trainable_variables):
            target.assign(source)
        self._fresh_for = steps

    def invalidate(self) -> None:
        self._fresh_for = None


def _numpy(variable) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(variable.value))


def cpu_has_fast_bfloat16() -> bool:
    """bf16 convolutions beat float32 only with AVX-512-BF16/AMX; elsewhere they are emulated (~10x slower)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    if precision == "auto":
        import keras

        on_gpu = keras.backend.backend() == "jax"
        return "bfloat16" if on_gpu or cpu_has_fast_bfloat16() else "float32"
    if precision not in ("float32", "bfloat16"):
        raise UserFacingError(f"precision must be auto, float32 or bfloat16, got '{precision}'.")
    return precision


def keras_dtype(precision: str):
    """Layer dtype policy; bfloat16 computes in bf16 and keeps float32 weights."""
    return "mixed_bfloat16" if resolve_precision(precision) == "bfloat16" else "float32"
