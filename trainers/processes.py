"""Worker processes of numpy's kind: each starts with one BLAS thread, and with glibc keeping freed memory.

OpenBLAS spins its threads while it waits for work; two processes with two such threads each on a 2-core
machine starve one another. The 2-D lab's comparison (5 seeds, 1,000 steps, 2 workers) took 42.7 s with the
default threads and 12.9 s with one per process (AMD EPYC, 2 cores, 2026-12-06).

glibc hands arrays over 128 KB back to the system when they are freed and maps fresh, zeroed pages for the next
ones: ten seeds of WGAN-GP (1,000 steps) spent 8.8 of their 17.5 s in the kernel doing that; with freed
memory kept for reuse, 7.5 s (AMD EPYC, 2026-12-06)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KEEP_FREED_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(128 << 20)}


@contextmanager
def numpy_worker_environment() -> Iterator[None]:
    """Processes spawned inside the block read one BLAS thread and glibc's memory settings from the
    environment; this process is unchanged (its BLAS and malloc read theirs when they started)."""
    settings = {**{name: "1" for name in BLAS_THREADS}, **KEEP_FREED_MEMORY}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def numpy_pool(fn, jobs: list, workers: int, initializer=None, initargs: tuple = ()):
    """A pool of spawned numpy workers with fn(job) submitted for every job: (pool, futures). The workers start
    at the first submit, inside numpy_worker_environment. The caller leaves through `with pool:`; a submit that
    fails shuts the pool down here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context, initializer=initializer, initargs=initargs)
    try:
        with numpy_worker_environment():
            futures = [pool.submit(fn, job) for job in jobs]
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return pool, futures


def running(pid: int) -> bool:
    """Whether a process runs, on Linux: a zombie (ended, not yet reaped by its parent or by init) does not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
