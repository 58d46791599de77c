"""Guards for Qt and threads: PySide6 releases that abort on cross-thread signals (6.12.0 does, see
DESIGN.md), and garbage with GUI timers collected off the GUI thread."""

import gc
import subprocess
import sys
import textwrap
import weakref

from PySide6.QtCore import QObject

from explorer.gc_policy import GuiThreadCollector

FLOOD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal
    import numpy as np

    class Emitter(QObject):
        number = Signal(int, float)
        payload = Signal(object)
        done = Signal()
        def run(self):
            import time
            end = time.monotonic() + 3.0
            i = 0
            while time.monotonic() < end:
                self.number.emit(i, i * 0.5)
                self.payload.emit({"step": i, "grid": np.zeros((4, 4), np.uint8), "none": None, "flag": True})
                i += 1
            self.done.emit()

    app = QCoreApplication([])
    received = [0]
    thread = QThread()
    emitter = Emitter()
    emitter.moveToThread(thread)
    thread.started.connect(emitter.run)
    emitter.number.connect(lambda i, x: received.__setitem__(0, received[0] + 1))
    emitter.payload.connect(lambda p: received.__setitem__(0, received[0] + 1))
    emitter.done.connect(thread.quit)
    thread.finished.connect(app.quit)
    thread.start()
    QTimer.singleShot(20000, app.quit)
    app.exec()
    thread.wait()
    print("received", received[0])
""")


def test_cross_thread_signal_flood_does_not_crash():
    result = subprocess.run([sys.executable, "-c", FLOOD], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 1000


COLLECT_ELSEWHERE = textwrap.dedent("""
    import gc, os, threading
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    from explorer.gc_policy import GuiThreadCollector

    app = QApplication([])
    window = QWidget()
    GuiThreadCollector(window)

    class Holder:
        pass

    def timer_in_a_cycle():
        timer = QTimer()
        timer.timeout.connect(lambda: None)
        timer.start(5)
        holder = Holder()
        holder.timer, holder.me = timer, holder  # freed only by the cyclic collector

    for _ in range(1000):  # enough that two of them share one of Qt's pooled mutexes (see below)
        timer_in_a_cycle()

    def allocate():  # enough allocations that automatic collection would start on this thread
        for _ in range(20000):
            x = []
            x.append(x)

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    QTimer.singleShot(300, app.quit)
    app.exec()
    print("survived")
    # Exit with the window and the cycles alive. A collection at every allocation: if one started inside
    # a Qt destructor during PySide's teardown, it would free a timer whose pooled mutex that destructor
    # holds, and the process would hang here (it did, 5 of 5 runs, on some machines with the default
    # threshold; with this one, every run).
    gc.set_threshold(1)
""")


def test_garbage_with_gui_timers_is_collected_on_the_gui_thread_only_and_the_process_exits():
    # Without the window's collector this script segfaults: the worker thread's collection frees the
    # timers, Qt cannot unregister them from there, and the event loop fires one at freed memory.
    result = subprocess.run([sys.executable, "-c", COLLECT_ELSEWHERE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived" in result.stdout
    assert "Timers cannot be stopped from another thread" not in result.stderr


def full_passes_while(collector, rounds: int) -> int:
    passes = []
    watch = lambda phase, info: passes.append(1) if phase == "stop" and info["generation"] == 2 else None
    gc.callbacks.append(watch)
    try:
        kept = []
        for _ in range(rounds):
            kept.append([[] for _ in range(800)])  # survivors: they move up the generations
            collector.collect_due()
    finally:
        gc.callbacks.remove(watch)
    return len(passes)


def test_the_window_collector_frees_cycles_and_skips_needless_full_passes(qapp):
    class Node:
        pass

    owner = QObject()
    collector = GuiThreadCollector(owner)
    try:
        assert not gc.isenabled()
        nodes = [Node() for _ in range(1000)]
        for node in nodes:
            node.me = node  # a cycle each: only the cyclic collector frees them
        probe = weakref.ref(nodes[0])
        del nodes, node
        collector.collect_due()
        assert probe() is None
        collector._long_lived = 10**9  # a huge old generation: what was promoted is never a quarter of it
        assert full_passes_while(collector, 150) == 0
        collector._long_lived = 0
        assert full_passes_while(collector, 150) >= 1
    finally:
        collector.release()
    assert gc.isenabled()


def test_a_window_destroyed_unclosed_lets_collection_go_from_the_event_loop_only(qapp):
    from PySide6.QtWidgets import QWidget
    from shiboken6 import delete

    window = QWidget()
    GuiThreadCollector(window)
    assert not gc.isenabled()
    delete(window)  # its destroyed signal fires mid-destruction: enabling collection there could hang
    assert not gc.isenabled()
    qapp.processEvents()
    assert gc.isenabled()
