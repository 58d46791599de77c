"""Python's cyclic garbage collector, run on the GUI thread only while a window lives.

Automatic collection starts on whichever thread happens to allocate: the training relay unpickling a
batch, the render thread running TensorFlow. When that collection frees a Qt object of the GUI thread
(a closed window's plot item, a replaced widget), Qt unregisters its timers from the wrong thread, and
the GUI thread later fires a timer at freed memory: a segfault inside the event loop (a script in
tests/test_qt_signals.py shows it). So, as pyqtgraph's GarbageCollector does, automatic collection is
switched off while a window is open and a timer on the GUI thread collects instead, generation by
generation, as the counts call for.

Automatic collection must also never start inside a Qt destructor. Destroying a QObject with a Python
subclass asks Python for overrides while Qt holds one of its pooled signal-slot mutexes; the allocation
can start a collection, and if that frees a QObject whose mutex is the same one of the pool, the thread
waits on itself for ever. At exit PySide destroys every remaining QObject that way, so from the first
exit handler on, collection stays off (the interpreter's last collection runs after PySide's teardown,
when the Qt objects are gone), and a window destroyed without being closed lets collection go only once
the event loop is back on a clean stack."""

from __future__ import annotations

import atexit
import gc

from PySide6.QtCore import QObject, QTimer

COLLECT_EVERY_MS = 500

_holders = 0  # windows that hold automatic collection off
_frozen_stages: set[str] = set()  # the imports moved out of the collector's reach so far
_exiting = False  # set by the first exit handler: collection stays off through Qt's teardown


class GuiThreadCollector(QObject):
    """Owned by a window: `release()` (when the window closes, its threads stopped, or at the latest when
    it is destroyed) turns automatic collection back on once no other window holds it off."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        global _holders
        self._threshold = gc.get_threshold()
        self._promoted, self._long_lived = 0, 0  # objects moved to the oldest generation; kept by the last full pass
        self._importing = False
        _holders += 1
        gc.disable()
        self._timer = QTimer(self, interval=COLLECT_EVERY_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()
        held = [True]  # shared with the closure below, which outlives this object's wrapper
        self._held = held
        # a destroyed signal fires mid-destruction: let go from the event loop, never from here
        parent.destroyed.connect(lambda: QTimer.singleShot(0, lambda: _let_go(held)))

    def hold_while_importing(self) -> None:
        """No collection while the backends import (off the GUI thread): ~400,000 module objects, nearly none
        of them garbage, arrive in a few seconds, and passing over them stalled the window 40-100 ms every
        half second and once ~650 ms. They are frozen out of collections once imported."""
        self._importing = True

    def imports_done(self) -> None:
        self._importing = False

    def collect_due(self) -> None:
        """Collect each generation whose count has passed its threshold, youngest first, as Python would;
        like Python, a full collection waits until
        the objects promoted since the last one are a quarter of those it kept."""
        if self._importing:
            return
        counts = gc.get_count()
        if counts[0] <= self._threshold[0]:
            return
        gc.collect(0)
        if counts[1] <= self._threshold[1]:
            return
        candidates = len(gc.get_objects(generation=1))  # small: what survived gen 0 since the last gen-1 pass
        self._promoted += max(0, candidates - gc.collect(1))
        if counts[2] <= self._threshold[2] or self._promoted < self._long_lived / 4:
            return
        gc.collect(2)
        self._promoted, self._long_lived = 0, len(gc.get_objects(generation=2))

    def release(self) -> None:
        self._timer.stop()
        _let_go(self._held)


def keep_imports_out_of_collections(stage: str) -> None:
    """Everything alive now moves out of the collector's reach for good: called once TensorFlow and Keras are
    imported (~350,000 objects that live as long as the process), before any model is built, so that a full
    collection on the GUI thread costs well under a millisecond instead of ~110 ms (a visible stall); and again
    once every family's module is in (scikit-image and the other families' imports came after the first freeze:
    ~59,000 objects that every collection of the older generations passed over, 30-60 ms at a time, while a
    run trained). Models, replaced as the user opens others, are made later and stay collectable, but for the
    one opened at start-up, which the second freeze keeps for good. Once per stage and process: a later
    window's call would also freeze the models and garbage of earlier ones."""
    if stage not in _frozen_stages:
        _frozen_stages.add(stage)
        gc.freeze()


def _let_go(held: list[bool]) -> None:
    global _holders
    if not held[0]:
        return
    held[0] = False
    _holders -= 1
    if _holders == 0 and not _exiting:
        gc.enable()  # no full collection here: it takes ~0.25 s with TensorFlow loaded, and closing must be quick


def hold_collection_off_for_exit() -> None:
    """Automatic collection off for the rest of the process: what is left is freed after Qt's teardown.
    Runs as the first exit handler (registered after PySide's own, so called before it); the app calls it
    as soon as its event loop returns, before its window is destroyed."""
    global _exiting
    _exiting = True
    gc.disable()


atexit.register(hold_collection_off_for_exit)  # atexit runs handlers last in, first out: before PySide's
