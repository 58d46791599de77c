"""Start the desktop app: show the window first, then import TensorFlow in the background."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def run_app(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("GAN Latent Explorer")
    open_path = Path(argv[0]) if argv else None
    if open_path is not None and not open_path.exists():
        sys.stderr.write(f"gan-explorer: {open_path} does not exist; give a run directory or an exported model.\n")
        return 2
    from explorer.gc_policy import hold_collection_off_for_exit
    from explorer.main_window import MainWindow

    window = MainWindow(open_path)
    window.show()
    code = app.exec()
    hold_collection_off_for_exit()  # the window is destroyed on return: no collection inside Qt's destructors
    if QThreadPool.globalInstance().activeThreadCount():
        leave_now(code)
    return code


def leave_now(code: int) -> None:
    """End the process without Qt's teardown, which waits for every thread of Qt's pool: a TensorFlow import
    still under way there (a window closed within seconds of its launch) cannot be interrupted and would
    hold the exit for seconds. Nothing is left to save: the window stopped its training run (checkpoint
    written) when it closed; settings and output streams are flushed here."""
    import multiprocessing

    from PySide6.QtCore import QSettings

    QSettings("GANLatentExplorer", "GANLatentExplorer").sync()
    for child in multiprocessing.active_children():  # none after a normal close; never leave one behind
        child.terminate()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
