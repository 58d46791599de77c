"""Boundaries the design card fixes, checked on every import (also those inside functions):
trainers/ never imports Qt or the explorer; nothing outside the families package names a family."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 kept, 0 broken" in out.stdout


def test_no_file_outside_the_families_package_names_a_family():
    from trainers.families import family_names

    outside = [*(ROOT / "explorer").rglob("*.py"), *(ROOT / "trainers").glob("*.py")]  # not trainers/families/
    for path in outside:
        text = path.read_text().lower()
        for name in family_names():  # as a word: a paper's name such as PacGAN holds one
            assert not re.search(rf"\b{re.escape(name)}\b", text), f"{path.relative_to(ROOT)} names the family '{name}'"


def test_trainers_modules_load_without_qt():
    package = ROOT / "trainers"
    modules = sorted(f"trainers.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from trainers.families import FAMILIES\n"
        "for entry in FAMILIES: entry.load()\n"
        "print([m for m in ('PySide6', 'pyqtgraph', 'superqt', 'explorer') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
