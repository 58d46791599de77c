"""Data-parallel training on several devices, through Keras 3's distribution API on the JAX backend.

Weights are replicated on every device, each batch is split along its batch axis, and the compiled
step (trainers.runner) reduces gradients over the global batch: the same global batch gives the same
losses as one device. Several machines join through `keras.distribution.initialize()` (it wraps
`jax.distributed`), read from the KERAS_DISTRIBUTION_* variables; each process then feeds its own
batch of --batch-size images, and the global batch is their sum.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os

from trainers.errors import UserFacingError

HOSTS_VARIABLE = "KERAS_DISTRIBUTION_JOB_ADDRESSES"  # "host0:port,host1:port,..." on every process


CHOICES = (
    ("One", "1"),
    ("All, data-parallel", "all"),
    ("2, data-parallel", "2"),
    ("4, data-parallel", "4"),
    ("8, data-parallel", "8"),
)


def several_devices_possible() -> bool:
    """Data-parallel training needs JAX installed (it is not a dependency on one-device machines)."""
    return importlib.util.find_spec("jax") is not None


@contextlib.contextmanager
def backend_for(text: str):
    """The environment a new training process starts in: Keras's JAX backend for several devices.
    A spawned process takes os.environ as it is when it starts, so it is set only around the start."""
    if text == "1" or os.environ.get("KERAS_BACKEND") == "jax":
        yield
        return
    saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = "jax"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["KERAS_BACKEND"]
        else:
            os.environ["KERAS_BACKEND"] = saved


def parse_devices(text: str) -> int | None:
    """'1' (the default), 'all' (None) or a count."""
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise UserFacingError(f"--devices takes a count of at least 1 or 'all', got '{text}'.")
    return int(text)


def use_devices(text: str, batch_size: int) -> str | None:
    """Train data-parallel on that many devices; returns a line saying so, or None for one device."""
    count = parse_devices(text)
    if count == 1:
        return None
    from trainers.quiet import load_tensorflow_quietly

    load_tensorflow_quietly()  # JAX's device probe prints native log lines
    import keras

    if keras.backend.backend() != "jax":
        raise UserFacingError(
            "--devices needs Keras's JAX backend: start with KERAS_BACKEND=jax (pip install jax, or "
            "jax[cuda12] on a GPU machine), or leave --devices out to train on one device."
        )
    if os.environ.get(HOSTS_VARIABLE):
        keras.distribution.initialize()
    devices = keras.distribution.list_devices()
    count = len(devices) if count is None else count
    if count > len(devices):
        raise UserFacingError(
            f"{count} devices asked for, but this machine has {len(devices)} ({', '.join(devices)}): choose fewer."
        )
    local = count // _process_count()
    if batch_size % max(local, 1):
        raise UserFacingError(
            f"Batch size {batch_size} does not split evenly over {local} devices: use a multiple of {local}."
        )
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices[:count]))
    return f"Training data-parallel on {count} devices ({devices[0]} …), global batch {batch_size * _process_count()}."


def _process_count() -> int:
    import jax

    return jax.process_count()
