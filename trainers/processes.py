"""Worker processes of numpy's kind: each starts with one BLAS thread.

OpenBLAS spins its threads while it waits for work; two processes with two such threads each on a 2-core
machine starve one another. The 2-D lab's comparison (5 seeds, 1,000 steps, 2 workers) took 42.7 s with the
default threads and 12.9 s with one per process (AMD EPYC, 2 cores, 2026-12-06)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def one_blas_thread_in_children() -> Iterator[None]:
    """Processes spawned inside the block read one thread from the environment; this process is unchanged
    (its BLAS has read its own settings when numpy was imported)."""
    saved = {name: os.environ.get(name) for name in BLAS_THREADS}
    os.environ.update({name: "1" for name in BLAS_THREADS})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
