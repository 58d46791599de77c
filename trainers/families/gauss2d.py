"""The 2-D GAN lab: GAN Lab's distributions and the mode-collapse benchmarks, trained by numpy networks.

G: z -> [Linear -> activation] x layers -> Linear(2). D: x (or m samples packed side by side, PacGAN)
-> [Linear -> activation] x layers -> Linear(1). Every array carries a leading seed axis: the lab trains
one seed, the comparison study trains ten at once in the same numpy calls, which is what lets it run in
minutes on two cores (a step of ten small networks costs about what one costs: numpy's time goes to
dispatch, not arithmetic).

Cures, as settings: the loss (standard non-saturating, least squares, WGAN-GP), PacGAN packing, D steps
per G step, an unrolled D (G's gradient taken against D after k look-ahead updates), minibatch
discrimination, spectral normalisation of D and an averaged G.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy.special import expit

from trainers.errors import UserFacingError
from trainers.families.base import DrawnPoints, GanFamily, Preset, Samples2D, check_arrays
from trainers.flat_params import into_one_buffer, views_of
from trainers.latent import ContinuousControl, LatentSpec
from trainers.samples2d import (
    SHAPES,
    Frame2D,
    Target2D,
    format_points,
    parse_points,
    sample_figures,
)
from trainers.settings import checked_config, setting
from trainers.study import summarise_cell

FRAME_SAMPLES = 840  # divisible by every packing, 1 to 8: D judges the frame's samples in packs
LIVE_SAMPLES = 2500  # the papers measure 2,500 samples
HEATMAP_POINTS = 48
GRID_LINES, GRID_POINTS = 11, 41
Z_RANGE = {"normal": 2.5, "uniform": 1.0}  # the explorer's noise sliders and the drawn noise grid
GOAL_HIGH_QUALITY = 0.9
LOSSES = ("standard", "least-squares", "wgan-gp")
VIEW_BATCH = 64  # with minibatch discrimination, the views judge each point as one more of 64 of G's samples
MINIBATCH = "discriminator/minibatch/w"
# the papers' data (PacGAN's configs: the ring of radius 1 with σ 0.01, the grid 2 apart with σ 0.05)
BENCHMARKS: dict[str, dict[str, Any]] = {
    "ring8": {"distribution": "ring8", "sigma": 0.01, "size": 1.0},
    "grid25": {"distribution": "grid25", "sigma": 0.05, "size": 2.0},
}


@dataclass
class Gauss2dConfig:
    distribution: str = setting(
        "ring8",
        "the real distribution: the benchmarks' 8-Gaussian ring and 25-Gaussian grid, GAN Lab's shapes, "
        "or drawn points (drawn_points)",
        choices=SHAPES,
    )
    sigma: float = setting(0.01, "standard deviation of every mode (or across every line)", low=1e-4, high=10)
    size: float = setting(
        1.0, "the ring's radius, the grid's spacing, or the half-width of GAN Lab's square", low=1e-3, high=100
    )
    drawn_points: str = setting("", "the drawn distribution's centres, 'x y; x y; …' (Draw… beside Data)")
    noise_dim: int = setting(2, "dimensions of G's noise", low=1, high=256)
    noise: str = setting("normal", "G's noise: N(0, 1) or U(-1, 1) per dimension", choices=("normal", "uniform"))
    g_layers: int = setting(2, "hidden layers of G", low=1, high=8)
    g_units: int = setting(64, "units per hidden layer of G", low=1, high=1024)
    d_layers: int = setting(2, "hidden layers of D", low=1, high=8)
    d_units: int = setting(64, "units per hidden layer of D", low=1, high=1024)
    activation: str = setting("relu", "hidden units of both networks", choices=("relu", "leaky-relu", "tanh"))
    loss: str = setting(
        "standard",
        "standard: cross-entropy, G maximises log D(G(z)); least-squares: LSGAN (Mao et al. 2017); wgan-gp: D "
        "is a critic of unbounded scores, its gradient pushed toward norm 1 between real and fake samples "
        "(Gulrajani et al. 2017)",
        choices=LOSSES,
    )
    gp_weight: float = setting(
        0.1,
        "WGAN-GP's λ, the weight of the gradient penalty: the authors' toy code (gan_toy.py) uses 0.1 on the 8 and "
        "25 Gaussians ('smaller lambda seems to help for toy tasks'), the paper's images 10, which leaves the ring "
        "with no mode here",
        low=0,
        high=1000,
    )
    packing: int = setting(1, "PacGAN: D judges m samples at once, all real or all fake (1 = off)", low=1, high=8)
    d_steps: int = setting(1, "D updates per G update", low=1, high=20)
    unrolled: int = setting(
        0,
        "unrolled D: G's gradient is taken against D after this many look-ahead updates, then D is restored "
        "(first order: the gradient through D's updates is left out); 0 = off",
        low=0,
        high=20,
    )
    minibatch_kernels: int = setting(
        0,
        "minibatch discrimination (Salimans et al. 2016): D's last hidden layer also sees, per kernel, how close "
        "each input is to the others of its batch, so a batch of one mode looks fake; kernels, 0 = off",
        low=0,
        high=64,
    )
    minibatch_dims: int = setting(3, "dimensions per minibatch-discrimination kernel", low=1, high=64)
    spectral_norm: bool = setting(
        False,
        "D's weight matrices divided by their largest singular value (Miyato et al. 2018; one power iteration "
        "per use): D stays 1-Lipschitz per layer, so its gradients on G cannot grow without bound",
    )
    generator_average: float = setting(
        0.0,
        "samples come from an exponential moving average of G's weights with this decay (0 = G as trained): "
        "it smooths G's orbit around the modes, so more samples land within 3σ of one",
        low=0,
        high=0.99999,
    )
    g_learning_rate: float = setting(1e-3, "Adam's rate for G", low=1e-7, high=1)
    d_learning_rate: float = setting(1e-3, "Adam's rate for D", low=1e-7, high=1)
    beta1: float = setting(0.5, "Adam's beta1 for both networks", low=0, high=0.999)
    decay: float = setting(
        1.0, "both rates are multiplied by this every decay_steps steps (1 = constant)", low=0.01, high=1
    )
    decay_steps: int = setting(1000, "steps between learning-rate decays", low=1, high=10**7)
    seed: int = setting(0, "random seed of weights, noise and real samples", low=0, high=2**31 - 1)

    @property
    def target(self) -> Target2D:
        points = parse_points(self.drawn_points) if self.distribution == "drawn" else ()
        return Target2D(self.distribution, self.sigma, self.size, points)


# --- the networks, in numpy, with a leading seed axis ----------------------------------------------
def activate(kind: str, a: np.ndarray) -> np.ndarray:
    if kind == "relu":
        return np.maximum(a, 0.0)
    if kind == "leaky-relu":
        return np.where(a > 0, a, 0.2 * a)
    return np.tanh(a)


def activation_slope(kind: str, a: np.ndarray) -> np.ndarray:
    """The activation's derivative at a; ReLU's as booleans (a product with them is a float's, without a cast)."""
    if kind == "relu":
        return a > 0
    if kind == "leaky-relu":
        return np.where(a > 0, 1.0, 0.2).astype(a.dtype)
    t = np.tanh(a)
    return 1.0 - t * t


def layer_shapes(cfg: Gauss2dConfig, net: str) -> list[tuple[int, int]]:
    """(fan in, fan out) per layer. D's last layer also reads the minibatch features, one per kernel."""
    if net == "generator":
        sizes = [cfg.noise_dim] + [cfg.g_units] * cfg.g_layers + [2]
        return list(zip(sizes[:-1], sizes[1:]))
    sizes = [2 * cfg.packing] + [cfg.d_units] * cfg.d_layers
    return [*zip(sizes[:-1], sizes[1:]), (cfg.d_units + cfg.minibatch_kernels, 1)]


def init_network(rngs: list[np.random.Generator], shapes: list[tuple[int, int]], net: str) -> dict[str, np.ndarray]:
    """Glorot-normal weights and zero biases, drawn per seed from that seed's own generator."""
    params = {}
    for i, (fan_in, fan_out) in enumerate(shapes):
        params[f"{net}/{i}/w"] = glorot(rngs, fan_in, fan_out)
        params[f"{net}/{i}/b"] = np.zeros((len(rngs), 1, fan_out), np.float32)
    return params


def glorot(rngs: list[np.random.Generator], fan_in: int, fan_out: int) -> np.ndarray:
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return np.stack([r.normal(0, std, (fan_in, fan_out)) for r in rngs]).astype(np.float32)


def forward(params: dict, net: str, layers: int, x: np.ndarray, kind: str):
    """x (S, B, in) -> (S, B, out), with what the backward pass needs."""
    h, cache = x, []
    for i in range(layers):
        a = h @ params[f"{net}/{i}/w"]
        a += params[f"{net}/{i}/b"]
        cache.append((h, a))
        h = activate(kind, a) if i < layers - 1 else a
    return h, cache


def backward(params: dict, net: str, cache: list, d_out: np.ndarray, kind: str, grads: dict | None) -> np.ndarray:
    """Gradients of the weights into `grads` (None: skip them); returns the gradient at the input."""
    d = d_out
    for i in reversed(range(len(cache))):
        h, a = cache[i]
        if i < len(cache) - 1:
            d = d * activation_slope(kind, a)
        if grads is not None:
            grads[f"{net}/{i}/w"] = np.swapaxes(h, -1, -2) @ d
            grads[f"{net}/{i}/b"] = d.sum(1, keepdims=True)
        d = d @ np.swapaxes(params[f"{net}/{i}/w"], -1, -2)
    return d


def spectral_normalised(w: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """w (S, in, out) / its largest singular value, estimated by one power iteration from u (S, out), which is
    updated in place: (w_sn, sigma (S, 1, 1), v (S, in))."""
    v = np.einsum("sio,so->si", w, u)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-12
    u[...] = np.einsum("sio,si->so", w, v)
    u /= np.linalg.norm(u, axis=1, keepdims=True) + 1e-12
    sigma = np.einsum("si,sio,so->s", v, w, u)[:, None, None]
    return w / sigma, sigma, v


def spectral_norm_gradient(g_sn: np.ndarray, w_sn: np.ndarray, sigma, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """dL/dw from dL/dw_sn, through w_sn = w / sigma(w) with d sigma / dw = v u^T (u and v held fixed)."""
    inner = np.einsum("sio,sio->s", g_sn, w_sn)[:, None, None]
    return (g_sn - inner * np.einsum("si,so->sio", v, u)) / sigma


# --- minibatch discrimination (Salimans et al. 2016) -------------------------------------------------
def minibatch_forward(h: np.ndarray, t: np.ndarray, kernels: int, groups: int, reference=None):
    """Features (S, N, K) of inputs h (S, N, U): per kernel, the mean closeness exp(−L1) of an input's projection
    h·T to those of its batch (the N inputs are `groups` batches side by side, real and fake apart); given the
    projections of a reference batch (S, R, K·C), to those and to itself: a point judged as one more of them."""
    s, n, _ = h.shape
    m = _kernel_major(h @ t, groups, kernels)  # (C, S, G, K, B)
    within = reference is None
    r = m if within else _kernel_major(reference, 1, kernels)
    distance = np.zeros(m.shape[1:] + r.shape[-1:], m.dtype)  # (S, G, K, B, R)
    for mc, rc in zip(m, r):  # one kernel dimension at a time, in place: no array of every pair in every dimension
        gap = np.subtract(mc[..., :, None], rc[..., None, :])  # input i minus input j
        distance += np.abs(gap, out=gap)
    closeness = np.exp(np.negative(distance, out=distance), out=distance)
    count = r.shape[-1] + (0 if within else 1)  # the mean, so that the feature does not grow with the batch
    total = closeness.sum(-1) + (0.0 if within else 1.0)
    features = np.moveaxis(total / count, 2, -1).reshape(s, n, kernels)
    return features, (h, m, r, closeness, count, within)


def minibatch_backward(cache: tuple, d_features: np.ndarray, t: np.ndarray, grads: dict | None) -> np.ndarray:
    """T's gradient into grads (None: skip it); returns the gradient at h. Within a batch an input is the
    first of its pairs and the second of everyone else's."""
    h, m, r, closeness, count, within = cache
    s, n, k = d_features.shape
    d = np.ascontiguousarray(np.moveaxis(d_features.reshape(s, m.shape[2], -1, k), 2, -1)) / count  # (S, G, K, B)
    # d distance(i, j) / d m(i) = sign(m(i) − m(j)); within a batch the pair (j, i) adds its own, of the
    # opposite sign: the closeness is symmetric, so both come to one weight per pair
    weight = np.add(d[..., :, None], d[..., None, :]) if within else np.repeat(d[..., None], r.shape[-1], -1)
    weight *= closeness  # (S, G, K, B, R)
    d_m = np.empty_like(m)
    for c, (mc, rc) in enumerate(zip(m, r)):
        side = np.sign(np.subtract(mc[..., :, None], rc[..., None, :]))
        d_m[c] = -(np.multiply(side, weight, out=side)).sum(-1)
    d_m = np.moveaxis(d_m, (0, 4), (4, 2)).reshape(s, n, -1)  # (S, G, B, K, C)
    if grads is not None:
        grads[MINIBATCH] = np.swapaxes(h, -1, -2) @ d_m
    return d_m @ np.swapaxes(t, -1, -2)


def _kernel_major(m: np.ndarray, groups: int, kernels: int) -> np.ndarray:
    """(S, N, K·C) -> (C, S, G, K, B): a kernel dimension first, the batch last (the pairwise sums run along
    memory)."""
    s, n, _ = m.shape
    m = m.reshape(s, groups, n // groups, kernels, -1)  # (S, G, B, K, C)
    return np.ascontiguousarray(np.moveaxis(m, (4, 2), (0, 4)))


# --- WGAN-GP's gradient penalty (Gulrajani et al. 2017) --------------------------------------------------
def gradient_penalty(params: dict, x: np.ndarray, cfg: Gauss2dConfig, grads: dict) -> np.ndarray:
    """λ·mean (‖∇x D(x)‖ − 1)² per seed at the points x (S, N, 2m); its gradient with respect to D's weights is
    added into grads by double backpropagation through the MLP (tanh's second derivative included; ReLU's is
    zero). D without minibatch features: the penalty is per input."""
    kind, top = cfg.activation, cfg.d_layers
    _, hidden = forward(params, "discriminator", top, x, kind)  # (input, pre-activation) per hidden layer
    slopes = [activation_slope(kind, a) for _, a in hidden]
    w = [params[f"discriminator/{i}/w"] for i in range(top + 1)]
    # the input gradient, layer by layer from D's output (dD/dh at the top is the last layer's weights)
    e = np.broadcast_to(np.swapaxes(w[top], -1, -2), (x.shape[0], x.shape[1], w[top].shape[1]))
    uppers, deltas = [e] * top, [e] * top
    for i in reversed(range(top)):
        uppers[i], deltas[i] = e, e * slopes[i]
        e = deltas[i] @ np.swapaxes(w[i], -1, -2)
    norm = np.sqrt((e * e).sum(-1, keepdims=True) + 1e-12)
    penalty = cfg.gp_weight * ((norm - 1.0) ** 2).mean((1, 2))
    # back through that computation, from the input gradient up
    e_bar = cfg.gp_weight * 2.0 * (norm - 1.0) / norm * e / x.shape[1]
    pre_bars = []
    for i in range(top):
        key = f"discriminator/{i}/w"
        grads[key] = grads[key] + np.swapaxes(e_bar, -1, -2) @ deltas[i]
        delta_bar = e_bar @ w[i]
        e_bar = delta_bar * slopes[i]
        if kind == "tanh":
            pre_bars.append(delta_bar * uppers[i] * activation_curvature(kind, hidden[i][1]))
    key = f"discriminator/{top}/w"
    grads[key] = grads[key] + e_bar.sum(1)[..., None]
    if kind == "tanh":  # the slopes depend on the weights below them
        d_h = None
        for i in reversed(range(top)):
            d_pre = pre_bars[i] if d_h is None else pre_bars[i] + d_h * slopes[i]
            for part, value in (("w", np.swapaxes(hidden[i][0], -1, -2) @ d_pre), ("b", d_pre.sum(1, keepdims=True))):
                grads[f"discriminator/{i}/{part}"] = grads[f"discriminator/{i}/{part}"] + value
            d_h = d_pre @ np.swapaxes(w[i], -1, -2)
    return penalty


def activation_curvature(kind: str, a: np.ndarray) -> np.ndarray:
    """The activation's second derivative (tanh's; the piecewise-linear ones have none)."""
    t = np.tanh(a)
    return -2.0 * t * (1.0 - t * t)


def refuse_conflicting_cures(cfg: Gauss2dConfig) -> None:
    if cfg.loss == "wgan-gp" and cfg.minibatch_kernels:
        raise UserFacingError(
            "WGAN-GP's penalty is per input and minibatch features mix a batch: turn one of them off "
            "(loss or minibatch_kernels 0)."
        )


class Adam:
    """Adam over one network's arrays (each with the seed axis: the seeds never mix). The network's weights and
    both moments each live in one (S, total) buffer, the named arrays views into it: an update is a handful of
    numpy calls for the whole network rather than a handful per array (a tenth of a step's time at 10 seeds)."""

    def __init__(self, params: dict, names: list[str], rate: float, cfg: Gauss2dConfig):
        self.params, self.names, self.rate, self.beta1 = params, names, rate, cfg.beta1
        self.decay, self.decay_steps = cfg.decay, cfg.decay_steps
        self.weights = into_one_buffer(params, names, lead=1)
        self.moments = np.zeros((2, *self.weights.shape), self.weights.dtype)
        shapes = {n: params[n].shape for n in names}
        self.slots = {}
        for i, moment in enumerate("mv"):
            self.slots.update({f"{moment}/{n}": v for n, v in views_of(self.moments[i], shapes, lead=1).items()})
        self.step = 0

    def apply(self, grads: dict) -> None:
        self.step += 1
        b1, b2, eps = self.beta1, 0.999, 1e-8
        rate = self.rate * self.decay ** ((self.step - 1) // self.decay_steps)
        step_size = rate * math.sqrt(1 - b2**self.step) / (1 - b1**self.step)
        g = np.concatenate([grads[n].reshape(len(self.weights), -1) for n in self.names], axis=1)
        m, v = self.moments
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        self.weights -= step_size * m / (np.sqrt(v) + eps)

    def copy_state(self) -> tuple:
        return self.step, {k: v.copy() for k, v in self.slots.items()}

    def restore_state(self, saved: tuple) -> None:
        self.step, slots = saved
        for k, v in slots.items():
            self.slots[k][...] = v


def pack(x: np.ndarray, m: int) -> np.ndarray:
    """(S, B, 2) -> (S, B / m, 2m): m samples side by side, one input of D (PacGAN)."""
    s, b, _ = x.shape
    return x.reshape(s, b // m, 2 * m)


class Lab2D:
    """G and D for every seed in `seeds`, their optimizers, and one training step for all of them."""

    def __init__(self, cfg: Gauss2dConfig, seeds: tuple[int, ...]):
        refuse_conflicting_cures(cfg)
        self.cfg, self.seeds = cfg, seeds
        rngs = [np.random.default_rng(s) for s in seeds]
        self.params: dict[str, np.ndarray] = {}
        for net in ("generator", "discriminator"):
            self.params.update(init_network(rngs, layer_shapes(cfg, net), net))
        if cfg.minibatch_kernels:  # the kernels' projection T (no bias: only differences between samples count)
            self.params[MINIBATCH] = glorot(rngs, cfg.d_units, cfg.minibatch_kernels * cfg.minibatch_dims)
        self.noise_rngs = [np.random.default_rng((s, 1)) for s in seeds]
        self.optimizers = {
            "generator": Adam(self.params, self._names("generator"), cfg.g_learning_rate, cfg),
            "discriminator": Adam(self.params, self._names("discriminator"), cfg.d_learning_rate, cfg),
        }
        # what samples come from: the moving average of G's weights, or G itself when averaging is off
        self.averaged = {k: self.params[k].copy() for k in self._names("generator")} if cfg.generator_average else {}
        self.sampling_params = {**self.params, **self.averaged}
        # the networks see the plane divided by the distribution's extent: the grid (±4) looks to them as the
        # ring (±1) does, at the scale their initial weights suit; figures and views stay in the plane's units
        self.scale = cfg.target.extent
        # spectral normalisation: the power iteration's vector per D weight matrix, and what the last use of D
        # normalised with (w_sn, sigma, u, v per matrix) for the gradient back to the raw weights
        self.sn_u = (
            {
                k: np.stack([r.normal(size=v.shape[-1]) for r in rngs]).astype(np.float32)
                for k, v in self.params.items()
                if k.startswith("discriminator/") and k.endswith("/w")
            }
            if cfg.spectral_norm
            else {}
        )
        self._sn: dict[str, tuple] = {}
        self._d_view = self.params  # the weights D last computed with (normalised ones under spectral norm)
        # where points of the views are judged as one more of G's samples (minibatch discrimination), and
        # where WGAN-GP's penalty is taken between real and fake samples: each from its own generator
        self._view_noise = np.stack([_noise(cfg, np.random.default_rng((s, 4)), VIEW_BATCH) for s in seeds])
        self._penalty_rngs = [np.random.default_rng((s, 5)) for s in seeds]

    def _names(self, net: str) -> list[str]:
        return [k for k in self.params if k.startswith(net + "/")]

    # --- the networks -----------------------------------------------------------------------
    def noise(self, n: int) -> np.ndarray:
        return np.stack([_noise(self.cfg, r, n) for r in self.noise_rngs])

    def generator(self, z: np.ndarray):
        """G's output in the networks' units (the plane / scale)."""
        return forward(self.params, "generator", self.cfg.g_layers + 1, z, self.cfg.activation)

    def sample(self, z: np.ndarray) -> np.ndarray:
        """G's samples in the plane for z (S, n, noise_dim), through the averaged weights where there are some."""
        return forward(self.sampling_params, "generator", self.cfg.g_layers + 1, z, self.cfg.activation)[0] * self.scale

    def discriminator(self, x: np.ndarray, training: bool = False, groups: int = 1):
        """Logits (S, B / m, 1) for samples x (S, B, 2) in the networks' units, which hold `groups` batches side
        by side (minibatch features stay within each); `training`: D's own update."""
        return self._d_forward(self._d_params(training), pack(x, self.cfg.packing), groups)

    def _d_forward(self, params: dict, x: np.ndarray, groups: int = 1, reference=None):
        """D on packed inputs x (S, N, 2m): hidden layers, the minibatch features beside the last one's, the
        logit. Returns the logits and what _d_backward needs."""
        cfg = self.cfg
        pre, hidden = forward(params, "discriminator", cfg.d_layers, x, cfg.activation)
        h = activate(cfg.activation, pre)
        minibatch = None
        if cfg.minibatch_kernels:
            features, minibatch = minibatch_forward(h, params[MINIBATCH], cfg.minibatch_kernels, groups, reference)
            h = np.concatenate([h, features], -1)
        top = f"discriminator/{cfg.d_layers}"
        return h @ params[f"{top}/w"] + params[f"{top}/b"], (hidden, pre, h, minibatch)

    def _d_backward(self, params: dict, cache: tuple, d_logits: np.ndarray, grads: dict | None) -> np.ndarray:
        """D's weight gradients into grads (None: skip them); returns the gradient at D's (packed) inputs."""
        cfg = self.cfg
        hidden, pre, h, minibatch = cache
        top = f"discriminator/{cfg.d_layers}"
        if grads is not None:
            grads[f"{top}/w"] = np.swapaxes(h, -1, -2) @ d_logits
            grads[f"{top}/b"] = d_logits.sum(1, keepdims=True)
        d_h = d_logits @ np.swapaxes(params[f"{top}/w"], -1, -2)
        if minibatch is not None:
            d_features = d_h[..., cfg.d_units :]
            d_h = d_h[..., : cfg.d_units] + minibatch_backward(minibatch, d_features, params[MINIBATCH], grads)
        d_pre = d_h * activation_slope(cfg.activation, pre)
        return backward(params, "discriminator", hidden, d_pre, cfg.activation, grads)

    def _d_params(self, iterate: bool) -> dict:
        """The weights D computes with: its own, or spectrally normalised (a power iteration more when D
        trains; views and G's updates read the estimate as it is, so drawing frames changes no run)."""
        if not self.cfg.spectral_norm:
            return self.params
        view = dict(self.params)
        for k, u in self.sn_u.items():
            current = u if iterate else u.copy()
            w_sn, sigma, v = spectral_normalised(self.params[k], current)
            view[k], self._sn[k] = w_sn, (w_sn, sigma, current.copy(), v)
        self._d_view = view
        return view

    def judge(self, x: np.ndarray):
        """D's logits for points x (S, B, 2) of the plane; with minibatch discrimination each point is judged as
        one more of a batch of G's samples (drawn from fixed noise)."""
        cfg = self.cfg
        params = self._d_params(False)
        reference = None
        if cfg.minibatch_kernels:
            fake, _ = self.generator(self._view_noise)
            pre, _ = forward(params, "discriminator", cfg.d_layers, pack(fake, cfg.packing), cfg.activation)
            reference = activate(cfg.activation, pre) @ params[MINIBATCH]
        return self._d_forward(params, pack(x / self.scale, cfg.packing), 1, reference)

    def discriminator_input_gradient(self, cache, d_logits) -> np.ndarray:
        """d loss / d x at D's inputs, in the networks' units (divide by scale for the plane's)."""
        d = self._d_backward(self._d_view, cache, d_logits, None)
        return d.reshape(d.shape[0], -1, 2)

    # --- losses: value and gradient at the logits -----------------------------------------------
    def d_loss(self, real_logits, fake_logits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-seed loss and its gradients at the real and fake logits (means over each batch)."""
        n_r, n_f = real_logits.shape[1], fake_logits.shape[1]
        if self.cfg.loss == "wgan-gp":  # the critic: real scores up, fake ones down (the penalty comes apart)
            loss = fake_logits.mean((1, 2)) - real_logits.mean((1, 2))
            return loss, np.full_like(real_logits, -1.0 / n_r), np.full_like(fake_logits, 1.0 / n_f)
        if self.cfg.loss == "least-squares":
            loss = 0.5 * ((real_logits - 1) ** 2).mean((1, 2)) + 0.5 * (fake_logits**2).mean((1, 2))
            return loss, (real_logits - 1) / n_r, fake_logits / n_f
        loss = np.logaddexp(0, -real_logits).mean((1, 2)) + np.logaddexp(0, fake_logits).mean((1, 2))
        return loss, (expit(real_logits) - 1) / n_r, expit(fake_logits) / n_f

    def g_loss(self, fake_logits) -> tuple[np.ndarray, np.ndarray]:
        n = fake_logits.shape[1]
        if self.cfg.loss == "wgan-gp":
            return -fake_logits.mean((1, 2)), np.full_like(fake_logits, -1.0 / n)
        if self.cfg.loss == "least-squares":
            return 0.5 * ((fake_logits - 1) ** 2).mean((1, 2)), (fake_logits - 1) / n
        return np.logaddexp(0, -fake_logits).mean((1, 2)), (expit(fake_logits) - 1) / n

    # --- training -----------------------------------------------------------------------------
    def d_update(self, real: np.ndarray) -> dict[str, np.ndarray]:
        batch = real.shape[1]
        fake, _ = self.generator(self.noise(batch))
        logits, cache = self.discriminator(np.concatenate([real, fake], 1), training=True, groups=2)
        half = logits.shape[1] // 2
        loss, d_real, d_fake = self.d_loss(logits[:, :half], logits[:, half:])
        grads: dict = {}
        self._d_backward(self._d_view, cache, np.concatenate([d_real, d_fake], 1), grads)
        if self.cfg.loss == "wgan-gp":
            loss = loss + gradient_penalty(self._d_view, self._between(real, fake), self.cfg, grads)
        for k, (w_sn, sigma, u, v) in self._sn.items():  # back through the normalisation to the raw weights
            grads[k] = spectral_norm_gradient(grads[k], w_sn, sigma, u, v)
        self.optimizers["discriminator"].apply(grads)
        if self.cfg.loss != "standard":  # D's outputs as they are: LSGAN's targets, the critic's scores
            d_real_out, d_fake_out = logits[:, :half], logits[:, half:]
        else:
            d_real_out, d_fake_out = expit(logits[:, :half]), expit(logits[:, half:])
        return {"d_loss": loss, "d_real": d_real_out.mean((1, 2)), "d_fake": d_fake_out.mean((1, 2))}

    def _between(self, real: np.ndarray, fake: np.ndarray) -> np.ndarray:
        """Packed inputs at uniformly random points on the lines between real and fake ones (WGAN-GP)."""
        m = self.cfg.packing
        a, b = pack(real, m), pack(fake, m)
        t = np.stack([r.random((a.shape[1], 1), np.float32) for r in self._penalty_rngs])
        return t * a + (1.0 - t) * b

    def g_update(self, batch: int) -> np.ndarray:
        fake, g_cache = self.generator(self.noise(batch))
        logits, d_cache = self.discriminator(fake)
        loss, d_logits = self.g_loss(logits)
        d_fake = self.discriminator_input_gradient(d_cache, d_logits)
        grads: dict = {}
        backward(self.params, "generator", g_cache, d_fake, self.cfg.activation, grads)
        self.optimizers["generator"].apply(grads)
        decay = self.cfg.generator_average
        for k, average in self.averaged.items():
            average *= decay
            average += (1.0 - decay) * self.params[k]
        return loss

    def d_only(self, real: np.ndarray) -> dict[str, np.ndarray]:
        """D's d_steps updates of a step, G left as it is."""
        for chunk in np.split(real / self.scale, self.cfg.d_steps, axis=1):
            figures = self.d_update(chunk)
        return figures

    def step(self, real: np.ndarray) -> dict[str, np.ndarray]:
        """real: (S, d_steps x B, 2). D's updates (each on its own real batch), then G's."""
        cfg = self.cfg
        batches = np.split(real / self.scale, cfg.d_steps, axis=1)
        for chunk in batches:
            figures = self.d_update(chunk)
        batch = batches[0].shape[1]
        if cfg.unrolled:
            saved = self._save_discriminator()
            for _ in range(cfg.unrolled):
                self.d_update(batches[_ % len(batches)])
            figures["g_loss"] = self.g_update(batch)
            self._restore_discriminator(saved)
        else:
            figures["g_loss"] = self.g_update(batch)
        return figures

    def _save_discriminator(self) -> tuple:
        weights = {k: self.params[k].copy() for k in self._names("discriminator")}
        return weights, self.optimizers["discriminator"].copy_state()

    def _restore_discriminator(self, saved: tuple) -> None:
        weights, optimizer = saved
        for k, v in weights.items():
            self.params[k][...] = v
        self.optimizers["discriminator"].restore_state(optimizer)


# --- data ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetData:
    """The real side of the 2-D lab: samples from its distribution, drawn as they are needed."""

    target: Target2D

    def split(self):
        return self, self

    def notice(self) -> str:
        return f"Real samples drawn from {self.target.describe()}."


class TargetBatches:
    def __init__(self, target: Target2D, rows: int, seed: int):
        self.target, self.rows = target, rows
        self._rng = np.random.default_rng(seed)

    def next(self) -> tuple[np.ndarray]:
        return (self.target.sample(self._rng, self.rows).astype(np.float32),)


def read_points_file(path) -> tuple[tuple[float, float], ...]:
    """Points from a user's file: .npy/.npz (an (N, 2) array, no pickles) or .csv/.txt ('x, y' per line)."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise UserFacingError(f"{path}: no such file; give a .csv or .npy of 2-D points.")
    try:
        if path.suffix.lower() in (".npy", ".npz"):
            loaded = np.load(path, allow_pickle=False)
            array = loaded[next(iter(loaded.files))] if hasattr(loaded, "files") else loaded
        else:
            with warnings.catch_warnings():  # an empty file is reported below, in one line
                warnings.simplefilter("ignore", UserWarning)
                array = np.loadtxt(path, delimiter=",", ndmin=2, comments="#")
    except (ValueError, OSError, StopIteration) as err:
        raise UserFacingError(f"{path}: not a list of 2-D points ({str(err).splitlines()[0][:80]}).") from None
    array = np.asarray(array, np.float64)
    if not array.size:
        raise UserFacingError(f"{path}: holds no points.")
    if array.ndim != 2 or array.shape[1] != 2:
        raise UserFacingError(f"{path}: holds an array of shape {array.shape}; the points must be (N, 2).")
    return parse_points(format_points(array))


# --- the family -------------------------------------------------------------------------------------
class Gauss2dGan(GanFamily):
    name = "gauss2d"
    title = "2-D GAN lab"
    config_class = Gauss2dConfig
    generator_networks = ("generator",)
    accepts_data_files = True
    loss_groups = (("Discriminator", ("d_loss", "d_real", "d_fake")), ("Generator", ("g_loss",)))
    metric_panels = (
        ("Modes captured", ("modes",)),
        ("High-quality samples", ("high_quality",)),
        ("Divergences", ("reverse_kl", "js", "sliced_w1")),
    )
    loss_reference_lines = {"d_loss": 2 * math.log(2), "g_loss": math.log(2)}
    # the losses where D outputs ½ everywhere: cross-entropy's log 4 and log 2, least squares' ¼ and ⅛; a critic's
    # scores have no such value
    EQUILIBRIA = {"standard": loss_reference_lines, "least-squares": {"d_loss": 0.25, "g_loss": 0.125}}
    partial_steps = ("discriminator", "generator")  # GAN Lab's "step D" and "step G"
    live_settings = ("g_learning_rate", "d_learning_rate", "beta1", "loss", "gp_weight", "d_steps", "unrolled")
    drawn_points = DrawnPoints("drawn_points", ("distribution", "drawn"), (-1.5, 1.5, -1.5, 1.5))

    @classmethod
    def loss_reference(cls, settings: dict) -> dict[str, float]:
        return dict(cls.EQUILIBRIA.get(settings.get("loss", "standard"), {}))

    def __init__(self, config: Gauss2dConfig | None = None):
        super().__init__(config or Gauss2dConfig())
        cfg = self.config
        self.target = cfg.target
        self.lab = Lab2D(cfg, (cfg.seed,))
        self.params = self.lab.params
        self.steps_done = 0
        self._has_discriminator = True
        fixed = np.random.default_rng((cfg.seed, 2))
        self._frame_noise = _noise(self.config, fixed, FRAME_SAMPLES)
        self._live_noise = _noise(self.config, fixed, LIVE_SAMPLES)
        self._frame_real = self.target.reference()[:FRAME_SAMPLES].astype(np.float32)
        self._figures_at: int | None = None
        self._updates = 0  # every update, a step's or one network's alone: what the live figures are of
        self._generators_frozen = False
        self._batches: TargetBatches | None = None
        self._batch_size = 0

    # --- what it makes --------------------------------------------------------------------------
    @property
    def sample_kind(self) -> Samples2D:
        return Samples2D(*self.target.box)

    @cached_property
    def latent_spec(self) -> LatentSpec:
        cfg = self.config
        r = Z_RANGE[cfg.noise]
        return LatentSpec(
            tuple(
                ContinuousControl(f"z{i + 1}", -r, r, scale=1.0, distribution=cfg.noise, traversal=False)
                for i in range(cfg.noise_dim)
            )
        )

    def generate_arrays(self, latents: dict[str, np.ndarray]) -> np.ndarray:
        z = np.stack([np.asarray(latents[f"z{i + 1}"], np.float32).ravel() for i in range(self.config.noise_dim)], 1)
        return self._generate(z)

    def _generate(self, z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.lab.sample(z[None])[0]

    # --- data ---------------------------------------------------------------------------------------
    @classmethod
    def load_data(cls, spec: str, config) -> TargetData:
        if spec in (None, "auto"):
            return TargetData(config.target)
        points = read_points_file(spec)
        return TargetData(Target2D("drawn", config.sigma, config.size, points))

    @classmethod
    def config_for_data(cls, config: dict, dataset) -> dict:
        target = dataset.target
        if target.shape != "drawn":
            return config
        return {**config, "distribution": "drawn", "drawn_points": format_points(target.points)}

    def batches(self, dataset: TargetData, batch_size: int, seed: int) -> TargetBatches:
        if self.config.minibatch_kernels and batch_size < 2 * self.config.packing:
            raise UserFacingError(
                f"Minibatch discrimination compares the inputs of a batch: use a batch of at least "
                f"{2 * self.config.packing}, got {batch_size}."
            )
        if batch_size % self.config.packing:
            raise UserFacingError(
                f"Packing {self.config.packing} samples per D input needs a batch that is a multiple of "
                f"{self.config.packing}, got {batch_size}."
            )
        self._batch_size = batch_size  # D steps per G step may change live: the batches follow
        self._batches = TargetBatches(dataset.target, batch_size * self.config.d_steps, seed=seed + 7919)
        return self._batches

    # --- training -------------------------------------------------------------------------------------
    def train_step(self, x: np.ndarray) -> dict[str, float]:
        """D's updates, then G's. A diverging run overflows quietly: its non-finite losses stop the loop
        with one line."""
        with np.errstate(all="ignore"):
            figures = self.lab.step(np.asarray(x, np.float32)[None])
        self.steps_done += 1
        self._updates += 1
        return {k: float(v[0]) for k, v in figures.items()}

    def apply_settings(self, changes: dict) -> str:
        """GAN Lab's live hyperparameters: the rates, the loss, D steps per G step and unrolling change between
        two steps; the networks and the optimizers' moments stay as they are."""
        from dataclasses import asdict

        refused = sorted(set(changes) - set(self.live_settings))
        if refused:
            raise UserFacingError(f"{', '.join(refused)} cannot change while the run trains: stop, then start anew.")
        cfg = checked_config(Gauss2dConfig, {**asdict(self.config), **changes})
        refuse_conflicting_cures(cfg)
        self.config = self.lab.cfg = cfg
        frozen_g = 0.0 if self._generators_frozen else cfg.g_learning_rate  # a warm-up stays one
        for net, rate in (("generator", frozen_g), ("discriminator", cfg.d_learning_rate)):
            optimizer = self.lab.optimizers[net]
            optimizer.rate, optimizer.beta1 = rate, cfg.beta1
        if self._batches is not None:
            self._batches.rows = self._batch_size * cfg.d_steps
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in changes.items())

    def train_part(self, part: str, x: np.ndarray) -> dict[str, float]:
        """D's updates alone (on this batch) or G's update alone: GAN Lab's "step D" and "step G"."""
        with np.errstate(all="ignore"):
            if part == "discriminator":
                figures = self.lab.d_only(np.asarray(x, np.float32)[None])
            else:
                figures = {"g_loss": self.lab.g_update(len(x) // self.config.d_steps)}
        self._updates += 1
        return {k: float(v[0]) for k, v in figures.items()}

    def freeze_generators(self, frozen: bool) -> None:
        self._generators_frozen = frozen
        self.lab.optimizers["generator"].rate = 0.0 if frozen else self.config.g_learning_rate

    # --- what the views show ------------------------------------------------------------------------
    def preview(self) -> Frame2D:
        with np.errstate(all="ignore"):
            return self._frame()

    def _frame(self) -> Frame2D:
        fake = self._generate(self._frame_noise)
        has_d = self._has_discriminator
        return Frame2D(
            step=self.steps_done,
            box=self.target.box,
            real=self._frame_real,
            fake=fake,
            gradients=self.sample_gradients(fake) if has_d else None,
            decision=self.decision_map() if has_d else None,
            noise_grid=self.warped_grid(),
            figures=self.figures(),
            modes=self.target.modes,
            target_text=self.target.describe(),
            decision_note=self.decision_note() if has_d else "an exported generator: no D(x)",
        )

    def sample_gradients(self, fake: np.ndarray) -> np.ndarray:
        """−dL_G/dx at each fake sample: where G's loss pushes it (GAN Lab's arrows)."""
        logits, cache = self.lab.judge(fake[None])
        _, d_logits = self.lab.g_loss(logits)
        return -self.lab.discriminator_input_gradient(cache, d_logits)[0] * len(logits[0]) / self.lab.scale

    def decision_map(self) -> np.ndarray:
        """D(x) on a 48×48 grid over the view (rows along y); with packing each input holds x m times."""
        x0, x1, y0, y1 = self.target.box
        xs, ys = np.linspace(x0, x1, HEATMAP_POINTS), np.linspace(y0, y1, HEATMAP_POINTS)
        points = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)
        packed = np.repeat(points, self.config.packing, axis=0)[None]
        logits, _ = self.lab.judge(packed)
        if self.config.loss == "least-squares":
            values = np.clip(logits, 0.0, 1.0)
        elif self.config.loss == "wgan-gp":  # unbounded scores: the view's lowest blue, its highest red
            values = (logits - logits.min()) / max(float(np.ptp(logits)), 1e-12)
        else:
            values = expit(logits)
        return values[0, :, 0].reshape(HEATMAP_POINTS, HEATMAP_POINTS).astype(np.float32)

    def decision_note(self) -> str:
        cfg = self.config
        if cfg.loss == "wgan-gp":
            note = "the critic's score: red where highest (real-like), blue where lowest, over this view"
        else:
            note = "D(x): red where it says real, blue where it says fake"
        if cfg.packing > 1:
            note += f"; with packing, each input holds x {cfg.packing} times"
        if cfg.loss == "least-squares":
            note += "; least squares: D's output clipped to [0, 1]"
        if cfg.minibatch_kernels:
            note += f"; minibatch discrimination: each point judged as one more of {VIEW_BATCH} of G's samples"
        return note

    def warped_grid(self) -> np.ndarray:
        """G along the lines of a grid over the first two noise dimensions (the rest 0): (lines, points, 2)."""
        r = Z_RANGE[self.config.noise] * (0.8 if self.config.noise == "normal" else 1.0)
        ticks, path = np.linspace(-r, r, GRID_LINES), np.linspace(-r, r, GRID_POINTS)
        dim = self.config.noise_dim
        lines = []
        for tick in ticks if dim > 1 else ticks[:1]:
            for horizontal in (True, False) if dim > 1 else (True,):
                z = np.zeros((GRID_POINTS, dim), np.float32)
                z[:, 0] = path if horizontal else tick
                if dim > 1:
                    z[:, 1] = tick if horizontal else path
                lines.append(z)
        return self._generate(np.concatenate(lines)).reshape(len(lines), GRID_POINTS, 2)

    def picture(self) -> np.ndarray:
        return self.preview().picture()

    # --- measuring ----------------------------------------------------------------------------------
    def figures(self) -> dict[str, float]:
        """The live measures on 2,500 samples of fixed noise; a frame of the same step shares them."""
        if self._figures_at != self._updates:
            self._figures = sample_figures(self._generate(self._live_noise), self.target)
            self._figures_at = self._updates
        return self._figures

    @classmethod
    def live_metrics(cls, dataset, say):
        return lambda model: model.figures()

    def evaluate(self, n: int, progress=None) -> dict:
        z = _noise(self.config, np.random.default_rng((self.config.seed, 3)), n)
        result: dict[str, Any] = {"samples": n, **sample_figures(self._generate(z), self.target)}
        result["meets_goal"] = meets_goal(result, self.target)
        result["target"] = self.target.describe()
        if progress:
            progress(n)
        return result

    @staticmethod
    def format_evaluation(result: dict) -> str:
        rows = [("samples", f"{result['samples']:,}")]
        if "modes" in result:
            rows += [
                ("modes captured", f"{result['modes']:.0f}"),
                ("high-quality samples (within 3σ)", f"{100 * result['high_quality']:.1f}%"),
                ("reverse KL over the modes", f"{result['reverse_kl']:.4f}"),
            ]
        rows += [
            ("JS divergence on a 40×40 grid", f"{result['js']:.4f}"),
            ("sliced 1-Wasserstein", f"{result['sliced_w1']:.4f}"),
        ]
        if "modes" in result:
            rows.append(("meets the goal", "yes" if result["meets_goal"] else "no"))
        return "\n".join(f"{name:<36}{value:>10}" for name, value in rows) + f"\nreal: {result['target']}"

    # --- state ----------------------------------------------------------------------------------------
    def state(self, generators_only: bool = False) -> dict[str, np.ndarray]:
        if generators_only:  # what an exported model samples with: the averaged G where there is one
            return {k: v[0].copy() for k, v in self.lab.sampling_params.items() if k.startswith("generator/")}
        arrays = {k: v[0].copy() for k, v in self.params.items()}
        arrays.update({f"average:{k}": v[0].copy() for k, v in self.lab.averaged.items()})
        arrays.update({f"sn:{k}": u[0].copy() for k, u in self.lab.sn_u.items()})  # the power iteration's vectors
        for net, opt in self.lab.optimizers.items():
            arrays.update({f"opt:{net}/{k}": v[0].copy() for k, v in opt.slots.items()})
            arrays[f"opt:{net}/step"] = np.array(opt.step, np.int64)
        arrays["__steps__"] = np.array(self.steps_done, np.int64)
        return arrays

    def load_state(
        self, arrays: dict[str, np.ndarray], generators_only: bool = False, optimizers: bool | None = None
    ) -> None:
        sampling_only = generators_only and optimizers is None  # an exported model; a fine-tune passes False
        nets = self.generator_networks if generators_only else ("generator", "discriminator")
        names = [k for k in self.params if k.split("/")[0] in nets]
        check_arrays(arrays, [(k, self.params[k].shape[1:]) for k in names])
        if optimizers is None:
            optimizers = not generators_only
        if optimizers:
            for net, opt in self.lab.optimizers.items():
                check_arrays(arrays, [(f"opt:{net}/{k}", v.shape[1:]) for k, v in opt.slots.items()])
                check_arrays(arrays, [(f"opt:{net}/step", ())])
        if self.lab.averaged and not generators_only:
            check_arrays(arrays, [(f"average:{k}", v.shape[1:]) for k, v in self.lab.averaged.items()])
        target = self.lab.sampling_params if sampling_only else self.params
        for k in names:
            target[k][0] = arrays[k]
        if not generators_only:
            for k, v in self.lab.averaged.items():
                v[0] = arrays[f"average:{k}"]
            check_arrays(arrays, [(f"sn:{k}", u.shape[1:]) for k, u in self.lab.sn_u.items() if f"sn:{k}" in arrays])
            for k, u in self.lab.sn_u.items():
                if f"sn:{k}" in arrays:  # a checkpoint from before spectral normalisation was on starts afresh
                    u[0] = arrays[f"sn:{k}"]
        if optimizers:
            from trainers.run import checked_count

            for net, opt in self.lab.optimizers.items():
                for k, v in opt.slots.items():
                    v[0] = arrays[f"opt:{net}/{k}"]
                opt.step = checked_count(arrays[f"opt:{net}/step"], f"Checkpoint 'opt:{net}/step'")
        if "__steps__" in arrays:
            from trainers.run import checked_count

            self.steps_done = checked_count(arrays["__steps__"], "Checkpoint '__steps__'")
        self._has_discriminator = not sampling_only  # an exported generator has no D to show
        self._figures_at = None

    # --- the comparison study (gan-explorer compare gauss2d) ------------------------------------------
    comparison_presets = ("benchmarks", "long")  # the table (<= 5 min here), and the strongest recipe

    @classmethod
    def comparison_runs(cls, seeds: int, preset: str = "benchmarks") -> int:
        return len(BENCHMARKS) * len(COMPARISONS[preset]) * seeds

    @classmethod
    def compare(cls, seeds=10, steps=None, workers=1, overrides=None, progress=None, preset="benchmarks") -> dict:
        """Each cure on the ring and the grid, `seeds` runs each (trained together on the seed axis)."""
        from trainers.families import family_entry

        defaults = family_entry(cls.name).defaults
        cures = COMPARISONS[preset]
        jobs = comparison_jobs(cures, seeds, steps or defaults.steps, steps is not None, defaults.batch_size, overrides)
        runs = compare_cures(jobs, workers, progress)
        return {
            "preset": preset,
            "seeds": seeds,
            "steps": steps or defaults.steps,
            "batch": defaults.batch_size,
            "cures": list(cures),
            "runs": runs,
            "cells": summarise_cells(runs, cures),
        }

    @staticmethod
    def format_comparison(result: dict) -> str:
        return format_cells(result)

    presets = (
        Preset("ring8", "8-Gaussian ring, radius 1, σ 0.01 (the mode-collapse benchmark)", BENCHMARKS["ring8"], {}),
        Preset("grid25", "25-Gaussian grid, 2 apart, σ 0.05 (the mode-collapse benchmark)", BENCHMARKS["grid25"], {}),
        Preset(
            "gan-lab",
            "GAN Lab's two clusters (tanh networks, uniform noise)",
            {"distribution": "two-clusters", "sigma": 0.1, "size": 1.0, "noise": "uniform", "activation": "tanh"},
            {},
        ),
    )


def meets_goal(figures: dict, target: Target2D) -> bool:
    return bool(
        "modes" in figures
        and figures["modes"] >= target.modes - (1 if target.modes >= 25 else 0)
        and figures["high_quality"] >= GOAL_HIGH_QUALITY
    )


def train_seeds(cfg: Gauss2dConfig, seeds: tuple[int, ...], steps: int, batch: int, progress=None) -> list[dict]:
    """Every seed trained at once (the seed axis), headless and in memory: each seed's final figures.
    progress(runs) hears of the work done every PROGRESS_STEPS steps, in (fractions of) runs."""
    started = time.perf_counter()
    lab = Lab2D(cfg, seeds)
    target = cfg.target
    data = [np.random.default_rng((s, 7919)) for s in seeds]
    diverged_at = np.zeros(len(seeds), np.int64)  # 0: not diverged
    with np.errstate(all="ignore"):
        for step in range(steps):
            real = np.stack([target.sample(r, batch * cfg.d_steps) for r in data]).astype(np.float32)
            losses = lab.step(real)
            if progress and (step + 1) % PROGRESS_STEPS == 0:
                progress(len(seeds) * PROGRESS_STEPS / steps)
            finite = np.isfinite(np.stack(list(losses.values()))).all(0)
            diverged_at[(diverged_at == 0) & ~finite] = step + 1
        fixed = [np.random.default_rng((s, 3)) for s in seeds]
        z = np.stack([_noise(cfg, r, LIVE_SAMPLES) for r in fixed])
        samples = lab.sample(z)
    if progress and steps % PROGRESS_STEPS:
        progress(len(seeds) * (steps % PROGRESS_STEPS) / steps)
    seconds = (time.perf_counter() - started) / len(seeds)
    runs = []
    for i, seed in enumerate(seeds):
        figures = sample_figures(samples[i], target)
        diverged = int(diverged_at[i]) or None
        runs.append({"seed": seed, "diverged_at": diverged, "seconds": seconds, **figures})
        runs[-1]["meets_goal"] = meets_goal(runs[-1], target) and diverged is None
    return runs


def _noise(cfg: Gauss2dConfig, rng: np.random.Generator, n: int) -> np.ndarray:
    if cfg.noise == "uniform":
        return rng.uniform(-1, 1, (n, cfg.noise_dim)).astype(np.float32)
    return rng.standard_normal((n, cfg.noise_dim), np.float32)


# --- the comparison study: cures x benchmarks x seeds, beside the papers' figures -------------------------
CURES: dict[str, dict[str, Any]] = {
    "GAN": {},
    "least squares": {"loss": "least-squares"},
    "2 D steps, batch 128": {"d_steps": 2, "batch": 128, "decay": 0.8},  # D's sharper estimate; settles slower
    "PacGAN2": {"packing": 2},
    "PacGAN4": {"packing": 4},
    "unrolled 5": {"unrolled": 5},
    "spectral norm": {"spectral_norm": True},
    "WGAN-GP, 2 D steps": {"loss": "wgan-gp", "d_steps": 2},  # λ 0.1 as the authors' toy code; see the README
    "minibatch 5×3": {"minibatch_kernels": 5},
}
# every cell's schedule: both rates x 0.7 every 1,000 steps, so that G settles on the modes at the end (with a
# constant rate it orbits them, and the high-quality share stays near 80%)
SCHEDULE = {"decay": 0.7, "decay_steps": 1000}
SEEDS_PER_JOB = 10  # a job trains this many seeds at once (ten cost what four cost one by one)
PROGRESS_STEPS = 250  # a job's progress is heard this often: the bar moves while the long jobs run
# the strongest recipe found here: 10 seeds on both benchmarks in 3 min 13 s on 2 cores (2026-12-06), on top of
# the table. Its samples come from G's average: at 30,000 steps G itself meets the goal on 8 of 10 grid seeds, its
# average on 9; at 40,000 steps both lose modes (6 of 10)
LONG: dict[str, dict[str, Any]] = {
    "PacGAN2, 2 D steps, batch 256, 30k steps, averaged G": {
        "packing": 2, "d_steps": 2, "batch": 256, "steps": 30000, "decay": 0.8, "decay_steps": 3000,
        "generator_average": 0.999,
    },
}  # fmt: skip
COMPARISONS: dict[str, dict[str, dict[str, Any]]] = {"benchmarks": CURES, "long": LONG}

# (method, modes, high-quality %, reverse KL or None) per benchmark, as the papers print them
PUBLISHED: dict[str, dict[str, list[tuple[str, float, float, float | None]]]] = {
    "VEEGAN (Srivastava et al., NeurIPS 2017), Table 1 (authors' repository, tab.png); 2,500 samples, mean of 5 runs": {
        "ring8": [("GAN", 1, 99.3, None), ("ALI", 2.8, 0.13, None), ("Unrolled GAN", 7.6, 35.6, None),
                  ("VEEGAN", 8, 52.9, None)],
        "grid25": [("GAN", 3.3, 0.5, None), ("ALI", 15.8, 1.6, None), ("Unrolled GAN", 23.6, 16, None),
                   ("VEEGAN", 24.6, 40, None)],
    },
    "PacGAN (Lin et al., NeurIPS 2018), Table 1 (authors' repository, Table1.png); mean of 10 runs": {
        "ring8": [("GAN", 6.3, 98.2, 0.45), ("ALI", 6.6, 97.6, 0.36), ("PacGAN2", 7.9, 95.6, 0.07),
                  ("PacGAN3", 7.8, 97.7, 0.10), ("PacGAN4", 7.8, 95.9, 0.07)],
        "grid25": [("GAN", 17.3, 94.8, 0.70), ("ALI", 24.1, 95.7, 0.14), ("PacGAN2", 23.8, 91.3, 0.13),
                   ("PacGAN3", 24.6, 94.2, 0.06), ("PacGAN4", 24.8, 93.6, 0.04)],
    },
}  # fmt: skip


def comparison_jobs(
    cures: dict, seeds: int, steps: int, steps_given: bool, batch: int, overrides: dict | None
) -> list[tuple]:
    """(benchmark, cure, config, seeds, steps, batch) per job; a cure may name its own batch and steps (those
    given on the command line win)."""
    jobs, overrides = [], overrides or {}
    for bench, data in BENCHMARKS.items():
        for cure, settings in cures.items():
            settings = dict(settings)
            cell_batch = settings.pop("batch", batch)  # a cure may train on larger batches
            cell_steps = steps if steps_given else settings.pop("steps", steps)
            settings.pop("steps", None)
            cfg = checked_config(Gauss2dConfig, {**data, **SCHEDULE, **settings, **overrides})
            if cell_batch % cfg.packing:
                raise UserFacingError(
                    f"Packing {cfg.packing} needs a batch that is a multiple of it; got {cell_batch}."
                )
            for first in range(0, seeds, SEEDS_PER_JOB):
                chunk = tuple(range(first, min(first + SEEDS_PER_JOB, seeds)))
                jobs.append((bench, cure, cfg, chunk, cell_steps, cell_batch))
    return jobs


def _comparison_job(job: tuple, progress=None) -> list[dict]:
    bench, cure, cfg, seeds, steps, batch = job
    runs = train_seeds(cfg, seeds, steps, batch, progress or _report_to_parent)
    return [{"benchmark": bench, "cure": cure, "steps": steps, "batch": batch, **run} for run in runs]


_progress_queue = None  # a worker's line back to the parent's progress bar


def _listen(queue) -> None:
    global _progress_queue
    _progress_queue = queue


def _report_to_parent(runs: float) -> None:
    if _progress_queue is not None:
        _progress_queue.put(runs)


def compare_cures(jobs: list[tuple], workers: int, progress) -> list[dict]:
    """The jobs (comparison_jobs) in `workers` processes: each run's final figures, in the table's order.
    progress(runs) moves as the jobs train (fractions of runs)."""
    cures = list(dict.fromkeys(job[1] for job in jobs))
    jobs = sorted(jobs, key=lambda job: -_job_cost(job))  # the longest first: the workers finish together
    progress = progress or (lambda runs: None)
    runs: list[dict] = []
    if workers <= 1:
        for job in jobs:
            runs += _comparison_job(job, progress)
    else:
        runs = _in_processes(jobs, workers, progress)
    order = {(b, c): i for i, (b, c) in enumerate((b, c) for b in BENCHMARKS for c in cures)}
    return sorted(runs, key=lambda r: (order[(r["benchmark"], r["cure"])], r["seed"]))


def _in_processes(jobs: list[tuple], workers: int, progress) -> list[dict]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, wait

    from trainers.processes import numpy_pool

    heard = multiprocessing.get_context("spawn").SimpleQueue()  # written at once: all of a job's is there at its end
    runs: list[dict] = []

    def drain() -> None:
        while not heard.empty():
            progress(heard.get())

    try:
        pool, futures = numpy_pool(_comparison_job, jobs, workers, initializer=_listen, initargs=(heard,))
        with pool:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                drain()
                for future in done:
                    runs += future.result()
        drain()
    finally:
        heard.close()
    return runs


def _job_cost(job: tuple) -> float:
    cfg, steps, batch = job[2], job[4], job[5]
    d_update = (1.4 if cfg.loss == "wgan-gp" else 1.0) * (2.5 if cfg.minibatch_kernels else 1.0)  # measured
    updates = (cfg.d_steps + cfg.unrolled) * d_update + 1
    return len(job[3]) * steps * updates / cfg.packing**0.5 * (batch / 64) ** 0.7


def summarise_cells(runs: list[dict], cures: dict) -> list[dict]:
    cells = []
    for bench in BENCHMARKS:
        for cure in cures:
            cell = [r for r in runs if r["benchmark"] == bench and r["cure"] == cure]
            if cell:
                measures = ("modes", "high_quality", "reverse_kl", "sliced_w1")
                cells.append({"benchmark": bench, "cure": cure, **summarise_cell(cell, measures)})
    return cells


def format_cells(result: dict) -> str:
    lines = [
        f"{result['seeds']} seeds per cell, {result['steps']:,} steps of batch {result['batch']}, rates x "
        f"{SCHEDULE['decay']} every {SCHEDULE['decay_steps']:,} steps (unless the cure names others); figures on "
        f"{LIVE_SAMPLES:,} samples; median [min, max]",
        "goal: every mode (24 of the grid's 25) and >= 90% high-quality samples",
    ]
    width = max(len(c["cure"]) for c in result["cells"]) + 2 if result["cells"] else 15
    for bench in BENCHMARKS:
        target = Gauss2dConfig(**BENCHMARKS[bench]).target
        lines += ["", f"{target.describe()}"]
        lines.append(
            f"  {'cure':<{width}}{'meets goal':>11}  {'modes':<18}{'high quality %':<22}{'reverse KL':<24}{'s/run':>6}"
        )
        for c in (c for c in result["cells"] if c["benchmark"] == bench):
            modes, hq, kl = c["modes"], [100 * v for v in c["high_quality"]], c["reverse_kl"]
            lines.append(
                f"  {c['cure']:<{width}}{c['meets_goal']:>7} / {c['runs']:<2} "
                f"{modes[0]:>4.0f} [{modes[1]:.0f}, {modes[2]:.0f}]{'':<8}"
                f"{hq[0]:>5.1f} [{hq[1]:.1f}, {hq[2]:.1f}]{'':<5}{_spread(kl):<24}{c['seconds']:>6.1f}"
            )
    lines += ["", "Published (each paper's own networks and training; see the README for their settings):"]
    for source, table in PUBLISHED.items():
        lines.append(f"  {source}")
        for bench in BENCHMARKS:
            row = "; ".join(
                f"{name} {modes:g} modes, {hq:g}%" + (f", KL {kl:g}" if kl is not None else "")
                for name, modes, hq, kl in table[bench]
            )
            lines.append(f"    {bench}: {row}")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    median, low, high = values
    if not math.isfinite(median):
        return "inf"
    return f"{median:.3f} [{low:.3f}, {high:.3f}]"
