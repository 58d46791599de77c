"""The 1-D Gaussian GAN of gan-intro (Jan 2017), as a live lab: numpy networks with their own gradients.

G: z -> Linear(1, h) -> softplus -> Linear(h, 1). D: x -> tanh Linear(2h) -> tanh Linear(2h) ->
minibatch discrimination (K kernels x C dims, Salimans et al. 2016) or a third tanh Linear(2h) ->
sigmoid. The networks are tiny, so a step is a few dozen numpy calls (thousands of steps a second
on a 2-core CPU); a deep-learning framework would spend more time dispatching than computing.

The source's preset (`source_preset`) reproduces its recipe, failures included: plain gradient
descent, log(D) taken unclamped (its NaNs), batch 12. The lab's defaults converge reliably; the
`compare` study sets the two side by side over minibatch discrimination x pretraining x seeds.
"""

from __future__ import annotations

import math
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from scipy.special import expit, ndtri

from trainers.errors import UserFacingError
from trainers.families.base import GanFamily, Preset, Samples1D, check_arrays
from trainers.flat_params import into_one_buffer
from trainers.latent import ContinuousControl, LatentSpec
from trainers.samples1d import DENSITY_BINS, Frame1D, Target, frame_picture, sample_figures
from trainers.settings import setting
from trainers.study import summarise_cell

EVAL_POINTS = 10000  # the source plots G on 10,000 evenly spaced z
DECISION_POINTS = 240
MAPPING_POINTS = 120
PRETRAIN_RANGE = 5.0  # the source pretrains D on U(-5, 5)
UNITS = "units"  # checkpoint key: (center, scale) between network and data units
NORMAL_Z_RANGE = 3.5  # the explorer's z slider for normal noise
GOAL_MEAN_ERROR = 0.1
GOAL_SIGMA_ERROR = 0.2  # relative


@dataclass
class Gauss1dConfig:
    target_mean: float = setting(4.0, "mean of the real Gaussian", low=-6, high=6)
    target_sigma: float = setting(0.5, "standard deviation of the real Gaussian", low=1e-3, high=4)
    mixture_weight: float = setting(
        0.0, "weight of a second Gaussian in the target (0 = a single Gaussian)", low=0, high=1
    )
    mixture_mean: float = setting(-2.0, "mean of the second Gaussian", low=-6, high=6)
    mixture_sigma: float = setting(0.5, "standard deviation of the second Gaussian", low=1e-3, high=4)
    noise: str = setting(
        "normal",
        "G's noise, stratified (evenly spaced, plus U(0, 0.01)): uniform over [-range, "
        "range] (the source) or the quantiles of N(0, 1)",
        choices=("normal", "uniform"),
    )
    noise_range: float = setting(8.0, "the uniform noise's range, and the x range the views show", low=0.1, high=100)
    hidden: int = setting(4, "hidden units of G; D has twice as many per layer", low=1, high=256)
    init: str = setting(
        "glorot",
        "initial weights: source (N(0, 1); the minibatch layer N(0, 0.02)) or glorot "
        "(N(0, 2 / (fan_in + fan_out)): D's tanh units start unsaturated)",
        choices=("glorot", "source"),
    )
    minibatch: bool = setting(True, "minibatch discrimination in D (else a third tanh layer)")
    minibatch_kernels: int = setting(5, "minibatch discrimination kernels", low=1, high=64)
    minibatch_dims: int = setting(3, "dimensions per minibatch kernel", low=1, high=64)
    optimizer: str = setting(
        "adam", "sgd: plain gradient descent (the source); adam: Adam with beta1 0.5", choices=("sgd", "adam")
    )
    learning_rate: float = setting(0.003, "initial learning rate of both networks", low=1e-7, high=10)
    decay: float = setting(0.85, "the rate is multiplied by this every decay_steps steps", low=0.01, high=1)
    decay_steps: int = setting(150, "steps between learning-rate decays", low=1, high=10**7)
    pretrain: bool = setting(True, "pretrain D on the target pdf (MSE at points drawn from U(-5, 5))")
    pretrain_steps: int = setting(1000, "steps of D pretraining", low=1, high=10**6)
    generator_average: float = setting(
        0.0,
        "samples come from an exponential moving average of G's weights with "
        "this decay (0 = G as trained); it smooths the oscillation around "
        "equilibrium",
        low=0,
        high=0.99999,
    )
    standardize: bool = setting(
        True,
        "D and G work in standard units of the real data (mean and sigma measured on "
        "10,000 real samples), as inputs are usually normalised; off (the source): raw x, "
        "where a target at 4 leaves D's tanh units half saturated",
    )
    stable_loss: bool = setting(
        True, "losses through log-sigmoid (the source takes log D unclamped: NaN once D saturates)"
    )
    seed: int = setting(0, "random seed of weights, noise and real samples", low=0, high=2**31 - 1)

    @property
    def target(self) -> Target:
        return Target(self.target_mean, self.target_sigma, self.mixture_mean, self.mixture_sigma, self.mixture_weight)


SOURCE_LEARNING_RATE = {True: 0.005, False: 0.03}  # the source's rates with and without minibatch discrimination
SOURCE_BATCH, SOURCE_STEPS = 12, 1200


def source_preset(minibatch: bool, pretrain: bool = True, seed: int = 0) -> Gauss1dConfig:
    """gan-intro as its author wrote it (Jan 2017), every field spelled out so that a change of the lab's
    defaults never leaks into it; train it with batch 12 for 1,200 steps."""
    return Gauss1dConfig(
        target_mean=4.0,
        target_sigma=0.5,
        mixture_weight=0.0,
        noise="uniform",
        noise_range=8.0,
        hidden=4,
        init="source",
        minibatch=minibatch,
        minibatch_kernels=5,
        minibatch_dims=3,
        optimizer="sgd",
        learning_rate=SOURCE_LEARNING_RATE[minibatch],
        decay=0.95,
        decay_steps=150,
        pretrain=pretrain,
        pretrain_steps=1000,
        generator_average=0.0,
        standardize=False,
        stable_loss=False,
        seed=seed,
    )


# --- the networks, in numpy ---------------------------------------------------------------
def softplus(a):
    return np.logaddexp(0.0, a).astype(a.dtype)


def sigmoid(a):
    return expit(a)  # exact in the tails, as TensorFlow's: log(D) overflows only where the source's did


def init_params(cfg: Gauss1dConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights N(0, 1), the minibatch layer's N(0, 0.02), biases 0, as the source does."""
    h, dh = cfg.hidden, 2 * cfg.hidden

    def linear(name, fan_in, fan_out, std=1.0):
        if cfg.init == "glorot":
            std = math.sqrt(2.0 / (fan_in + fan_out))
        return {
            f"{name}/w": rng.normal(0, std, (fan_in, fan_out)).astype(np.float32),
            f"{name}/b": np.zeros(fan_out, np.float32),
        }

    params = {
        **linear("generator/g0", 1, h),
        **linear("generator/g1", h, 1),
        **linear("discriminator/d0", 1, dh),
        **linear("discriminator/d1", dh, dh),
    }
    if cfg.minibatch:
        k = cfg.minibatch_kernels
        params.update(linear("discriminator/minibatch", dh, k * cfg.minibatch_dims, std=0.02))
        params.update(linear("discriminator/d3", dh + k, 1))
    else:
        params.update(linear("discriminator/d2", dh, dh))
        params.update(linear("discriminator/d3", dh, 1))
    return params


def generator_forward(p, z):
    a0 = z @ p["generator/g0/w"] + p["generator/g0/b"]
    s = softplus(a0)
    return s @ p["generator/g1/w"] + p["generator/g1/b"], (z, a0, s)


def generator_backward(p, cache, d_out, grads):
    z, a0, s = cache
    grads["generator/g1/w"] = s.T @ d_out
    grads["generator/g1/b"] = d_out.sum(0)
    d_a0 = (d_out @ p["generator/g1/w"].T) * sigmoid(a0)
    grads["generator/g0/w"] = z.T @ d_a0
    grads["generator/g0/b"] = d_a0.sum(0)


def discriminator_forward(p, x, cfg: Gauss1dConfig):
    """Logits of D for a batch x (B, 1), or for groups of batches (G, B, 1): minibatch features are
    computed within each batch."""
    h0 = np.tanh(x @ p["discriminator/d0/w"] + p["discriminator/d0/b"])
    h1 = np.tanh(h0 @ p["discriminator/d1/w"] + p["discriminator/d1/b"])
    cache = {"x": x, "h0": h0, "h1": h1}
    if cfg.minibatch:
        m = h1 @ p["discriminator/minibatch/w"] + p["discriminator/minibatch/b"]
        m = m.reshape(*m.shape[:-1], cfg.minibatch_kernels, cfg.minibatch_dims)  # (..., B, K, C)
        m = np.ascontiguousarray(np.moveaxis(m, -3, -1))  # (..., K, C, B): batch last, sums run along memory
        diffs = m[..., :, None] - m[..., None, :]  # (..., K, C, B, B): sample i minus sample j
        closeness = np.exp(-np.abs(diffs).sum(-3))  # (..., K, B, B): L1 distance over the kernel's dims
        h2 = np.concatenate([h1, np.swapaxes(closeness.sum(-1), -1, -2)], axis=-1)  # features (..., B, K)
        cache.update(diffs=diffs, closeness=closeness)
    else:
        h2 = np.tanh(h1 @ p["discriminator/d2/w"] + p["discriminator/d2/b"])
    cache["h2"] = h2
    return h2 @ p["discriminator/d3/w"] + p["discriminator/d3/b"], cache


def discriminator_backward(p, cache, d_logit, cfg: Gauss1dConfig, grads: dict | None):
    """Accumulates D's parameter gradients into `grads` (None: skip them); returns d loss / d x.
    Works on a batch (B, 1) or on groups of batches (G, B, 1), like the forward pass."""

    def add(name, inputs, d_outputs):
        if grads is not None:  # weights collect over every sample of every group
            flat_in, flat_d = inputs.reshape(-1, inputs.shape[-1]), d_outputs.reshape(-1, d_outputs.shape[-1])
            grads[f"{name}/w"] = grads.get(f"{name}/w", 0.0) + flat_in.T @ flat_d
            grads[f"{name}/b"] = grads.get(f"{name}/b", 0.0) + flat_d.sum(0)

    h0, h1, h2 = cache["h0"], cache["h1"], cache["h2"]
    add("discriminator/d3", h2, d_logit)
    d_h2 = d_logit @ p["discriminator/d3/w"].T
    dh = h1.shape[-1]
    if cfg.minibatch:
        d_h1 = d_h2[..., :dh].copy()
        d_features = np.swapaxes(d_h2[..., dh:], -1, -2)  # (..., K, B): feature k of i sums closeness to every j
        d_abs = -cache["closeness"] * d_features[..., :, :, None]  # (..., K, B, B)
        signed = d_abs[..., :, None, :, :] * np.sign(cache["diffs"])  # (..., K, C, B, B)
        d_m = signed.sum(-1) - signed.sum(-2)  # (..., K, C, B): i is the first and the second of its pairs
        d_m = np.moveaxis(d_m, -1, -3).reshape(*h1.shape[:-1], -1)
        add("discriminator/minibatch", h1, d_m)
        d_h1 += d_m @ p["discriminator/minibatch/w"].T
    else:
        d_pre2 = d_h2 * (1.0 - h2 * h2)
        add("discriminator/d2", h1, d_pre2)
        d_h1 = d_pre2 @ p["discriminator/d2/w"].T
    d_pre1 = d_h1 * (1.0 - h1 * h1)
    add("discriminator/d1", h0, d_pre1)
    d_pre0 = (d_pre1 @ p["discriminator/d1/w"].T) * (1.0 - h0 * h0)
    add("discriminator/d0", cache["x"], d_pre0)
    return d_pre0 @ p["discriminator/d0/w"].T


def neg_log_sigmoid(logit, stable: bool) -> np.ndarray:
    """-log sigmoid(logit); unstable: as the source computes it, inf once sigmoid rounds to 0 or 1."""
    if stable:
        return softplus(-logit)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return -np.log(sigmoid(logit))


def flatten(params: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """One float32 vector holding every parameter of a network; `params` keeps views into it."""
    return into_one_buffer(params, [k for k in params if k.startswith(prefix + "/")], dtype=np.float32)


class Optimizer:
    """Gradient descent or Adam (beta1 0.5) over one network's flat parameters; the rate decays in steps."""

    def __init__(self, cfg: Gauss1dConfig, flat: np.ndarray, names: list[str], prefix: str):
        self.cfg, self.flat, self.names, self.prefix = cfg, flat, names, prefix
        self.slots: dict[str, np.ndarray] = {"step": np.zeros((), np.int64)}
        if cfg.optimizer == "adam":
            self.slots["m"] = np.zeros_like(flat)
            self.slots["v"] = np.zeros_like(flat)

    def rate(self) -> float:
        cfg = self.cfg
        return cfg.learning_rate * cfg.decay ** (int(self.slots["step"]) // cfg.decay_steps)

    def apply(self, grads: dict, frozen: bool = False) -> None:
        rate = 0.0 if frozen else self.rate()
        self.slots["step"] = self.slots["step"] + 1
        g = np.concatenate([np.asarray(grads[n], np.float32).ravel() for n in self.names])
        if self.cfg.optimizer == "sgd":
            self.flat -= rate * g
            return
        t = int(self.slots["step"])
        b1, b2, eps = 0.5, 0.999, 1e-8
        m, v = self.slots["m"], self.slots["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        self.flat -= rate / (1 - b1**t) * m / (np.sqrt(v / (1 - b2**t)) + eps)

    def state(self) -> dict[str, np.ndarray]:
        return {f"opt:{self.prefix}/{k}": np.array(v) for k, v in self.slots.items()}

    def load(self, arrays: dict[str, np.ndarray]) -> None:
        expected = [(f"opt:{self.prefix}/{k}", v.shape) for k, v in self.slots.items()]
        for key, _ in expected:
            if key not in arrays:
                raise UserFacingError(f"Checkpoint lacks '{key}': it was written with other optimizer settings.")
        check_arrays(arrays, expected)
        for key in list(self.slots):
            value = arrays[f"opt:{self.prefix}/{key}"]
            if self.slots[key].ndim:
                self.slots[key][...] = value
            else:
                self.slots[key] = np.array(value, self.slots[key].dtype)


@lru_cache(maxsize=16)
def _noise_grid(noise: str, noise_range: float, n: int) -> np.ndarray:
    """Cached: every frame and every live metric asks for the same 10,000 values."""
    grid = np.linspace(-noise_range, noise_range, n) if noise == "uniform" else ndtri((np.arange(n) + 0.5) / n)
    grid.setflags(write=False)
    return grid


# --- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetData:
    """The real side of the 1-D GAN: samples from its target, drawn as they are needed."""

    target: Target

    def split(self):
        return self, self

    def notice(self) -> str:
        parts = " + ".join(f"{w:g}·N({m:g}, {s:g})" if w < 1 else f"N({m:g}, {s:g})" for w, m, s in self.target.parts)
        return f"Real samples drawn from {parts}."


class TargetBatches:
    def __init__(self, target: Target, batch_size: int, seed: int):
        self.target, self.batch_size = target, batch_size
        self._rng = np.random.default_rng(seed)

    def next(self) -> tuple[np.ndarray]:
        x = np.sort(self.target.sample(self._rng, self.batch_size))  # the source sorts its real batch
        return (x.astype(np.float32)[:, None],)


# --- the family -----------------------------------------------------------------------------
class Gauss1dGan(GanFamily):
    name = "gauss1d"
    title = "1-D Gaussian GAN"
    config_class = Gauss1dConfig
    generator_networks = ("generator",)
    loss_groups = (("Discriminator", ("d_loss", "d_real", "d_fake")), ("Generator", ("g_loss",)))
    metric_panels = (("Divergence from the target", ("js", "w1")), ("Generated mean and σ", ("mean", "sigma")))
    loss_reference_lines = {"d_loss": 2 * math.log(2), "g_loss": math.log(2)}  # the values at equilibrium

    def __init__(self, config: Gauss1dConfig | None = None):
        super().__init__(config or Gauss1dConfig())
        cfg = self.config
        self.target = cfg.target
        self._rng = np.random.default_rng(cfg.seed)
        self.params = init_params(cfg, self._rng)
        self._flat = {net: flatten(self.params, net) for net in ("generator", "discriminator")}
        self.optimizers = {
            net: Optimizer(cfg, self._flat[net], self._names(net), net) for net in ("generator", "discriminator")
        }
        # the averaged generator that samples come from (the trained one itself when averaging is off)
        self.sampling_params = self.params
        if cfg.generator_average > 0:
            self._ema = self._flat["generator"].copy()
            self.sampling_params = dict(self.params)
            start = 0
            for n in self._names("generator"):
                size = self.params[n].size
                self.sampling_params[n] = self._ema[start : start + size].reshape(self.params[n].shape)
                start += size
        self.pretrained = not cfg.pretrain
        self.steps_done = 0  # shown on frames; kept in checkpoints
        self.batch_size = SOURCE_BATCH  # until batches() says otherwise: D pretraining and D(x) use it
        self._has_discriminator = True  # False for an exported generator: no D(x) to show
        self._center, self._scale = 0.0, 1.0  # data units = center + scale * network units
        if cfg.standardize:
            real = self.target.sample(np.random.default_rng(cfg.seed + 1), 10000)
            self._center, self._scale = float(real.mean()), float(real.std())
        self._generators_frozen = False
        self._edges = np.linspace(-cfg.noise_range, cfg.noise_range, DENSITY_BINS + 1)

    def _names(self, net: str) -> list[str]:
        return [k for k in self.params if k.startswith(net + "/")]

    # --- contract: what it makes -----------------------------------------------------------
    @property
    def sample_kind(self) -> Samples1D:
        return Samples1D(-self.config.noise_range, self.config.noise_range)

    @cached_property
    def latent_spec(self) -> LatentSpec:
        if self.config.noise == "uniform":
            r = self.config.noise_range
            return LatentSpec((ContinuousControl("z", -r, r, distribution="uniform", traversal=False),))
        return LatentSpec((ContinuousControl("z", -NORMAL_Z_RANGE, NORMAL_Z_RANGE, scale=1.0, traversal=False),))

    def noise_grid(self, n: int) -> np.ndarray:
        """n evenly spaced noise values: over the range, or the N(0, 1) quantiles at (k + 0.5) / n."""
        return _noise_grid(self.config.noise, self.config.noise_range, n)

    def stratified_noise(self, n: int) -> np.ndarray:
        return (self.noise_grid(n) + self._rng.random(n) * 0.01).astype(np.float32)[:, None]

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        z = np.asarray(latents["z"], np.float32).reshape(-1, 1)
        return self._center + self._scale * generator_forward(self.sampling_params, z)[0][:, 0]

    def _network_units(self, x: np.ndarray) -> np.ndarray:
        return ((x - self._center) / self._scale).astype(np.float32)

    # --- data --------------------------------------------------------------------------------
    @classmethod
    def load_data(cls, spec: str, config) -> TargetData:
        if spec not in (None, "auto"):
            raise UserFacingError(
                "The 1-D GAN learns from its target distribution, not from files: leave out "
                "--data and set target_mean / target_sigma / mixture_* with --config."
            )
        return TargetData(config.target)

    def batches(self, dataset: TargetData, batch_size: int, seed: int) -> TargetBatches:
        if batch_size < 2 and self.config.minibatch:
            raise UserFacingError("Minibatch discrimination compares samples within a batch: use a batch of 2 or more.")
        self.batch_size = batch_size  # D pretraining and D(x) in the views use the training batch size
        return TargetBatches(dataset.target, batch_size, seed=seed + 7919)

    # --- training ---------------------------------------------------------------------------
    @property
    def prepared(self) -> bool:
        return self.pretrained

    def prepare(self, dataset, on_progress=None) -> dict:
        """The source's D pretraining: regress D(x) on the target pdf at x ~ U(-5, 5), same optimizer kind."""
        cfg = self.config
        optimizer = Optimizer(cfg, self._flat["discriminator"], self._names("discriminator"), "pretrain")
        batch = max(self.batch_size, 2)
        loss = float("nan")
        for step in range(cfg.pretrain_steps):
            x = self._rng.uniform(-PRETRAIN_RANGE, PRETRAIN_RANGE, (batch, 1)).astype(np.float32)
            labels = self.target.pdf(x).astype(np.float32)
            logit, cache = discriminator_forward(self.params, self._network_units(x), cfg)
            d = sigmoid(logit)
            loss = float(np.mean((d - labels) ** 2))
            grads: dict = {}
            discriminator_backward(self.params, cache, 2.0 * (d - labels) / batch * d * (1.0 - d), cfg, grads)
            optimizer.apply(grads)
            if on_progress and (step + 1) % 100 == 0:
                if on_progress(
                    f"Discriminator pretraining, step {step + 1}/{cfg.pretrain_steps}",
                    (step + 1) / cfg.pretrain_steps,
                    {"pretrain_loss": loss},
                ):
                    break
        self.pretrained = True
        return {"pretrain_loss": loss}

    def train_step(self, x: np.ndarray) -> dict[str, float]:
        """One D update on a real and a fake batch, then one G update on fresh noise (the source's order).
        A diverging run overflows quietly: its non-finite losses stop the loop with one line."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._train_step(x)

    def _train_step(self, x: np.ndarray) -> dict[str, float]:
        cfg, p = self.config, self.params
        batch = len(x)
        stable = cfg.stable_loss
        # discriminator: -log D(x) - log(1 - D(G(z)))
        fake, _ = generator_forward(p, self.stratified_noise(batch))
        # real and fake batches in one pass, as two groups: minibatch features stay within each batch
        logits, cache = discriminator_forward(p, np.stack([self._network_units(x), fake]), cfg)
        real_logit, fake_logit = logits
        d_loss = float(np.mean(neg_log_sigmoid(real_logit, stable) + neg_log_sigmoid(-fake_logit, stable)))
        d_real, d_fake = sigmoid(real_logit), sigmoid(fake_logit)
        grads: dict = {}
        discriminator_backward(p, cache, np.stack([(d_real - 1.0) / batch, d_fake / batch]), cfg, grads)
        self.optimizers["discriminator"].apply(grads)
        # generator: -log D(G(z)) on fresh noise, through the updated D
        fake, g_cache = generator_forward(p, self.stratified_noise(batch))
        logit, cache = discriminator_forward(p, fake, cfg)
        g_loss = float(np.mean(neg_log_sigmoid(logit, stable)))
        d_fake_now = sigmoid(logit)
        g_grads: dict = {}
        d_fake_x = discriminator_backward(p, cache, (d_fake_now - 1.0) / batch, cfg, None)
        generator_backward(p, g_cache, d_fake_x, g_grads)
        self.optimizers["generator"].apply(g_grads, frozen=self._generators_frozen)
        if cfg.generator_average > 0:
            self._ema *= cfg.generator_average
            self._ema += (1.0 - cfg.generator_average) * self._flat["generator"]
        self.steps_done += 1
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": float(d_real.mean()), "d_fake": float(d_fake.mean())}

    def freeze_generators(self, frozen: bool) -> None:
        self._generators_frozen = frozen

    # --- what the views show -------------------------------------------------------------------
    def evenly_spaced_samples(self, n: int = EVAL_POINTS) -> np.ndarray:
        """G on n evenly spaced z over the noise range, as the source plots it."""
        return self.generate_arrays({"z": self.noise_grid(n)})

    def decision(self, xs: np.ndarray) -> np.ndarray:
        """D(x) at xs. With minibatch discrimination D depends on its batch: xs go through in batches of
        neighbouring points of the training batch size, as the source evaluates its decision boundary."""
        cfg = self.config
        if not cfg.minibatch:
            return sigmoid(discriminator_forward(self.params, self._network_units(xs[:, None]), cfg)[0])[:, 0]
        batch = max(self.batch_size, 2)
        padded = np.concatenate([xs, np.full(-len(xs) % batch, xs[-1])]).astype(np.float32)
        logits, _ = discriminator_forward(self.params, self._network_units(padded.reshape(-1, batch, 1)), cfg)
        return sigmoid(logits).reshape(-1)[: len(xs)]

    def decision_note(self) -> str:
        if not self.config.minibatch:
            return "D(x) evaluated point by point"
        return (
            f"D(x) with minibatch discrimination depends on its batch: evaluated on batches of "
            f"{max(self.batch_size, 2)} neighbouring points, as the source does"
        )

    def preview(self, with_decision: bool = True) -> Frame1D:
        with np.errstate(all="ignore"):
            return self._frame(with_decision)

    def _frame(self, with_decision: bool) -> Frame1D:
        cfg = self.config
        samples = self.evenly_spaced_samples()
        xs = np.linspace(-cfg.noise_range, cfg.noise_range, DECISION_POINTS)
        z = self.noise_grid(MAPPING_POINTS)
        with np.errstate(all="ignore"):
            density = (
                np.histogram(samples[np.isfinite(samples)], bins=self._edges, density=True)[0]
                if np.isfinite(samples).any()
                else np.zeros(DENSITY_BINS)
            )
        has_d = with_decision and "discriminator/d0/w" in self.params and self._has_discriminator
        return Frame1D(
            step=self.steps_done,
            xs=xs.astype(np.float32),
            target_pdf=self.target.pdf(xs).astype(np.float32),
            edges=self._edges.astype(np.float32),
            generated=np.nan_to_num(density).astype(np.float32),
            decision=self.decision(xs) if has_d else None,
            z=z.astype(np.float32),
            g_of_z=self.generate_arrays({"z": z}),
            figures=self._figures_of(samples),
            decision_note=self.decision_note() if has_d else "an exported generator: no D(x)",
        )

    def _figures_of(self, samples: np.ndarray) -> dict[str, float]:
        self._figures_at: int | None
        self._figures, self._figures_at = sample_figures(samples, self.target, self._edges), self.steps_done
        return self._figures

    def picture(self) -> np.ndarray:
        """The frame as a PNG-ready picture (`generate` and `sample --out x.png`): the whole density."""
        return frame_picture(self.preview())

    # --- measuring ---------------------------------------------------------------------------
    def figures(self) -> dict[str, float]:
        """JS, W1, mean and sigma of the generator now; a frame of the same step shares them."""
        if getattr(self, "_figures_at", None) != self.steps_done:
            self._figures = sample_figures(self.evenly_spaced_samples(), self.target, self._edges)
            self._figures_at = self.steps_done
        return self._figures

    @classmethod
    def live_metrics(cls, dataset, say):
        return lambda model: model.figures()

    def evaluate(self, n: int, progress=None) -> dict:
        result: dict[str, Any] = {
            "samples": n,
            **sample_figures(self.evenly_spaced_samples(n), self.target, self._edges),
        }
        result.update(judge_figures(result, self.target))
        result["target"] = asdict(self.target)
        if progress:
            progress(n)
        return result

    @staticmethod
    def format_evaluation(result: dict) -> str:
        return "\n".join(
            [
                f"{'samples (G on evenly spaced z)':<34}{result['samples']:>10}",
                f"{'JS divergence (nats, max ln 2)':<34}{result['js']:>10.4f}",
                f"{'1-Wasserstein distance':<34}{result['w1']:>10.4f}",
                f"{'generated mean':<34}{result['mean']:>10.4f}",
                f"{'generated sigma':<34}{result['sigma']:>10.4f}",
                f"{'sigma ratio (generated / target)':<34}{result['sigma_ratio']:>10.3f}",
                f"{'meets the goal':<34}{'yes' if result['meets_goal'] else 'no':>10}"
                f"  (mean within {GOAL_MEAN_ERROR} of the target's, sigma within {GOAL_SIGMA_ERROR:.0%})",
            ]
        )

    # --- state ---------------------------------------------------------------------------------
    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]:
        units = {UNITS: np.array([self._center, self._scale], np.float64)}  # G's output in data units
        if generators_only:  # what an exported model samples with: the averaged generator where there is one
            return {**{k: v.copy() for k, v in self.sampling_params.items() if k.startswith("generator/")}, **units}
        arrays = {**{k: v.copy() for k, v in self.params.items()}, **units}
        if self.config.generator_average > 0:
            arrays["generator_average"] = self._ema.copy()
        if not generators_only:
            for opt in self.optimizers.values():
                arrays.update(opt.state())
            arrays["__pretrained__"] = np.array(self.pretrained)
            arrays["__steps__"] = np.array(self.steps_done, np.int64)
        return arrays

    def load_state(
        self, arrays: dict[str, np.ndarray], generators_only: bool = False, optimizers: bool | None = None
    ) -> None:
        sampling_only = generators_only and optimizers is None  # an exported model; a fine-tune passes False
        names = [k for k in self.params if not generators_only or k.startswith("generator/")]
        check_arrays(arrays, [(k, self.params[k].shape) for k in names])
        target = self.sampling_params if generators_only else self.params
        for k in names:
            target[k][...] = arrays[k]  # in place: the views into the flat vectors stay valid
        if self.config.generator_average > 0 and not generators_only:
            check_arrays(arrays, [("generator_average", self._ema.shape)])
            self._ema[...] = arrays["generator_average"]
        if optimizers is None:
            optimizers = not generators_only
        if optimizers:
            for opt in self.optimizers.values():
                opt.load(arrays)
        self._figures_at = None  # new weights: nothing measured before holds
        if UNITS in arrays:
            check_arrays(arrays, [(UNITS, (2,))])
            self._center, self._scale = (float(v) for v in arrays[UNITS])
            if not self._scale > 0:
                raise UserFacingError(f"Checkpoint '{UNITS}' has a scale of {self._scale}: the file is damaged.")
        if "__steps__" in arrays:
            from trainers.run import checked_count

            self.steps_done = checked_count(arrays["__steps__"], "Checkpoint '__steps__'")
        if "__pretrained__" in arrays:
            self.pretrained = bool(arrays["__pretrained__"])
        elif sampling_only:
            self.pretrained, self._has_discriminator = True, False  # sampling only (a fine-tune keeps a fresh D)

    # --- the comparison study --------------------------------------------------------------------
    presets = (
        Preset("lab", "Lab defaults (converge reliably)", {}, {}),
        Preset(
            "source",
            "gan-intro as written, minibatch discrimination (lr 0.005)",
            {k: v for k, v in asdict(source_preset(True)).items() if k != "seed"},
            {"steps": SOURCE_STEPS, "batch_size": SOURCE_BATCH},
        ),
        Preset(
            "source-plain",
            "gan-intro as written, no minibatch discrimination (lr 0.03)",
            {k: v for k, v in asdict(source_preset(False)).items() if k != "seed"},
            {"steps": SOURCE_STEPS, "batch_size": SOURCE_BATCH},
        ),
    )
    CELLS = ((True, True), (True, False), (False, True), (False, False))  # (minibatch, pretrain)
    comparison_presets = ("lab", "source")  # the lab's defaults; gan-intro as written (batch 12, 1,200 steps)

    @classmethod
    def comparison_runs(cls, seeds: int, preset: str | None = None) -> int:
        return len(cls.CELLS) * seeds

    @classmethod
    def compare(
        cls,
        seeds: int = 10,
        steps: int | None = None,
        workers: int = 1,
        overrides: dict | None = None,
        progress=None,
        preset: str = "lab",
    ) -> dict:
        """Minibatch discrimination on/off x pretraining on/off, `seeds` runs each; figures per run."""
        from trainers.families import family_entry

        defaults = family_entry(cls.name).defaults
        jobs = [
            (preset, mb, pre, seed, steps, defaults.steps, defaults.batch_size, overrides or {})
            for mb, pre in cls.CELLS
            for seed in range(seeds)
        ]
        runs = []
        if workers <= 1:
            for job in jobs:
                runs.append(_comparison_run(job))
                progress and progress(1)
        else:
            from trainers.processes import numpy_pool

            pool, futures = numpy_pool(_comparison_run, jobs, workers)
            with pool:
                for future in as_completed(futures):
                    runs.append(future.result())
                    progress and progress(1)
        runs.sort(key=lambda r: (not r["minibatch"], not r["pretrain"], r["seed"]))
        return {"preset": preset, "seeds": seeds, "runs": runs, "cells": summarise(runs)}

    @staticmethod
    def format_comparison(result: dict) -> str:
        lines = [
            f"preset: {result['preset']}, {result['seeds']} seeds per cell; figures from G on {EVAL_POINTS:,} "
            "evenly spaced z; median [min, max]",
            f"{'minibatch':<10}{'pretrain':<9}{'meets goal':>11}{'diverged':>9}  {'JS divergence':<24}"
            f"{'1-Wasserstein':<24}{'sigma ratio':<22}{'median mean':>11}  {'s/run':>6}",
        ]
        for c in result["cells"]:
            lines.append(
                f"{'on' if c['minibatch'] else 'off':<10}{'on' if c['pretrain'] else 'off':<9}"
                f"{c['meets_goal']:>8} / {c['runs']:<2}{c['diverged']:>7}  {_spread(c['js']):<24}"
                f"{_spread(c['w1']):<24}{_spread(c['sigma_ratio']):<22}{c['mean'][0]:>11.3f}  "
                f"{c['seconds']:>6.2f}"
            )
        lines.append(f"goal: mean within {GOAL_MEAN_ERROR} of the target's and sigma within {GOAL_SIGMA_ERROR:.0%}")
        return "\n".join(lines)


def judge_figures(figures: dict, target: Target) -> dict:
    sigma_ratio = figures["sigma"] / target.overall_sigma
    ok = abs(figures["mean"] - target.overall_mean) <= GOAL_MEAN_ERROR and abs(sigma_ratio - 1) <= GOAL_SIGMA_ERROR
    return {"sigma_ratio": sigma_ratio, "meets_goal": bool(ok)}


def _comparison_run(job) -> dict:
    """One run of the study, headless and in memory (no run directory): its final figures."""
    import time

    preset, minibatch, pretrain, seed, steps, lab_steps, lab_batch, overrides = job
    if preset == "source":
        cfg, batch, n_steps = source_preset(minibatch, pretrain, seed), SOURCE_BATCH, steps or SOURCE_STEPS
    else:
        cfg, batch, n_steps = (
            Gauss1dConfig(minibatch=minibatch, pretrain=pretrain, seed=seed),
            lab_batch,
            steps or lab_steps,
        )
    cfg = replace(cfg, **overrides)
    started = time.perf_counter()
    model = Gauss1dGan(cfg)
    data = model.batches(TargetData(cfg.target), batch, seed)
    diverged_at = None
    with np.errstate(all="ignore"):
        if not model.prepared:
            model.prepare(None)
        for step in range(n_steps):
            losses = model.train_step(*data.next())
            if not all(math.isfinite(v) for v in losses.values()):
                diverged_at = step + 1
                break
        figures = sample_figures(model.evenly_spaced_samples(), cfg.target, model._edges)
    figures.update(
        judge_figures(figures, cfg.target)
        if diverged_at is None
        else {"sigma_ratio": float("nan"), "meets_goal": False}
    )
    return {
        "minibatch": minibatch,
        "pretrain": pretrain,
        "seed": seed,
        "diverged_at": diverged_at,
        "seconds": time.perf_counter() - started,
        **figures,
    }


def summarise(runs: list[dict]) -> list[dict]:
    cells = []
    for mb, pre in Gauss1dGan.CELLS:
        cell = [r for r in runs if r["minibatch"] == mb and r["pretrain"] == pre]
        if cell:
            measures = ("js", "w1", "sigma_ratio", "mean")
            cells.append({"minibatch": mb, "pretrain": pre, **summarise_cell(cell, measures)})
    return cells


def _spread(values: list[float]) -> str:
    median, low, high = values
    if not math.isfinite(median):
        return "all NaN"
    return f"{median:.3f} [{low:.3f}, {high:.3f}]"
