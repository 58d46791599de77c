"""Worker processes of numpy's kind start with one BLAS thread; the parent's environment is left as it was."""

import multiprocessing
import os

from trainers.processes import BLAS_THREADS, one_blas_thread_in_children


def _threads_seen(queue):
    queue.put({name: os.environ.get(name) for name in BLAS_THREADS})


def test_children_started_inside_read_one_thread_and_the_parent_is_restored(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_threads_seen, args=(queue,))
    with one_blas_thread_in_children():
        child.start()
    seen = queue.get(timeout=60)
    child.join(60)
    assert seen == {name: "1" for name in BLAS_THREADS}
    assert os.environ["OMP_NUM_THREADS"] == "7" and "OPENBLAS_NUM_THREADS" not in os.environ
