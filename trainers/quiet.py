"""TensorFlow's C++ side prints absl, oneDNN and CUDA lines straight to file descriptor 2 while it
loads and looks for devices (even for `--help`); TF_CPP_MIN_LOG_LEVEL does not reach all of them.
Loading it with descriptor 2 pointed at /dev/null keeps a user's terminal to what the app says.
`gan-explorer --verbose` (GAN_EXPLORER_VERBOSE=1) shows them again."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

VERBOSE_ENV = "GAN_EXPLORER_VERBOSE"
_lock = threading.Lock()
_loaded = False


def load_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras and probe the devices once, silencing the native log lines (on
    Keras's JAX backend, JAX's device probe, which prints the same kind of lines)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        if os.environ.get(VERBOSE_ENV):
            import keras

            return
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                # its Python logger warns of "retracing" whenever several models' predictors trace: noise here
                tf.get_logger().setLevel("ERROR")
                tf.config.list_physical_devices()  # "failed call to cuInit" and friends happen here
            elif keras.backend.backend() == "jax":  # nothing here imports TensorFlow: a JAX-only machine works
                import jax

                jax.devices()
            _loaded = True
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def set_random_seed(seed: int) -> None:
    """`keras.utils.set_random_seed`, which also seeds TensorFlow whenever it is importable, and so imports
    it: on another backend, only what Keras's own layers and Python's and NumPy's generators use."""
    import random

    import keras

    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)  # remade from the seed
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "jax":
        draw_initial_weights_on_the_host()


_HOST_DRAWN = ("uniform", "normal", "truncated_normal")


def draw_initial_weights_on_the_host() -> None:
    """On JAX, every random draw outside a compiled function compiles an XLA program for its shape: ~0.2 s
    per weight shape on these CPUs, 7 of the 7.5 s it took to build the translation model. Keras's eager
    uniform, normal and truncated normal draws (weight initialisers) are made by NumPy instead, from the
    same Keras seed, so a seed still gives the same weights; draws inside a traced step stay JAX's."""
    from keras.src.backend.jax import random as jax_random

    if getattr(jax_random, "_host_drawn", False):
        return
    for name in _HOST_DRAWN:
        setattr(jax_random, name, _drawn_on_the_host(name, getattr(jax_random, name)))
    jax_random._host_drawn = True


def _drawn_on_the_host(name: str, traced):
    import jax
    import jax.numpy as jnp
    import keras
    from keras.src.random.seed_generator import draw_seed

    def draw(shape, *args, dtype=None, seed=None, **kwargs):
        key = seed if isinstance(seed, jax.Array) else draw_seed(seed)  # advances a SeedGenerator once
        if args or isinstance(key, jax.core.Tracer):  # positional bounds: not how Keras calls it
            return traced(shape, *args, dtype=dtype, seed=key, **kwargs)
        rng = np.random.default_rng(np.asarray(key).astype(np.uint64))
        values = _host_values(name, rng, tuple(shape), **kwargs)
        return jnp.asarray(np.asarray(values, dtype=jnp.dtype(dtype or keras.config.floatx())))

    return draw


def _host_values(name, rng, shape, minval=0.0, maxval=1.0, mean=0.0, stddev=1.0) -> np.ndarray:
    """Keras's meanings: uniform in [minval, maxval); normal; normal cut at two standard deviations."""
    if name == "uniform":
        return rng.uniform(np.asarray(minval), np.asarray(maxval), shape)
    values = rng.standard_normal(shape)
    if name == "truncated_normal":
        outside = np.abs(values) > 2.0
        while outside.any():  # redrawn until within two standard deviations, as jax.random.truncated_normal
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2.0
    return values * np.asarray(stddev) + np.asarray(mean)
