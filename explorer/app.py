"""Start the desktop app: show the window first, then import TensorFlow in the background."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def run_app(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
    return code
