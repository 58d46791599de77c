"""Worker processes of numpy's kind start with one BLAS thread and glibc keeping freed memory; the parent's
environment is left as it was."""

import multiprocessing
import os

from trainers.processes import BLAS_THREADS, KEEP_FREED_MEMORY, numpy_worker_environment


def _threads_seen(queue):
    queue.put({name: os.environ.get(name) for name in (*BLAS_THREADS, *KEEP_FREED_MEMORY)})


def test_children_started_inside_read_one_thread_and_the_parent_is_restored(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_threads_seen, args=(queue,))
    with numpy_worker_environment():
        child.start()
    seen = queue.get(timeout=60)
    child.join(60)
    assert seen == {**{name: "1" for name in BLAS_THREADS}, **KEEP_FREED_MEMORY}
    assert os.environ["OMP_NUM_THREADS"] == "7" and "OPENBLAS_NUM_THREADS" not in os.environ
    assert "MALLOC_MMAP_THRESHOLD_" not in os.environ
