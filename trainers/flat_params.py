"""One buffer per network for the numpy labs: the named arrays become views into it, so an optimizer updates
the whole network with a handful of numpy calls instead of a handful per array."""

from __future__ import annotations

import math

import numpy as np


def into_one_buffer(params: dict[str, np.ndarray], names: list[str], lead: int = 0, dtype=None) -> np.ndarray:
    """Copies the named arrays into one buffer and puts views of it in their place. The first `lead` axes are
    kept (e.g. the 2-D lab's seed axis: the seeds never mix); the last runs through every array in turn."""
    first = params[names[0]]
    parts = [params[n].reshape(*first.shape[:lead], -1) for n in names]
    buffer = np.concatenate(parts, axis=lead)
    if dtype is not None:
        buffer = buffer.astype(dtype)
    params.update(views_of(buffer, {n: params[n].shape for n in names}, lead))
    return buffer


def views_of(buffer: np.ndarray, shapes: dict[str, tuple[int, ...]], lead: int = 0) -> dict[str, np.ndarray]:
    """Arrays of these shapes (their first `lead` axes the buffer's), viewing consecutive spans of its last axis."""
    views, start = {}, 0
    for name, shape in shapes.items():
        size = math.prod(shape[lead:])
        views[name] = buffer[..., start : start + size].reshape(shape)
        assert np.shares_memory(views[name], buffer)  # a copy would train nothing
        start += size
    return views
