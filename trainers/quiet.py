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
