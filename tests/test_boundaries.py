"""trainers/ never imports Qt or the explorer (napari-style model/view split)."""
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("PySide6", "pyqtgraph", "superqt", "explorer")


def test_trainers_modules_load_without_qt():
    package = Path(__file__).resolve().parents[1] / "trainers"
    modules = sorted(f"trainers.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__")
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "import trainers.families.infogan, trainers.families.stackedgan\n"
            f"print([m for m in {FORBIDDEN!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
