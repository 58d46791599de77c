"""The checks CI runs beside the tests, as tests: ruff's lint and format, and mypy on trainers/."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-lint", "ruff-format", "mypy"],
)
def test_the_tree_passes(command):
    out = subprocess.run([str(BIN / command[0]), *command[1:]], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
