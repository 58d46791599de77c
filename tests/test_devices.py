"""Data-parallel training through Keras's distribution API on JAX, on two CPU devices forced by XLA:
the same global batch gives the same losses as one device (the CLI's data-parallel training is tested in
tests/test_jax_without_tensorflow.py)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_jax_without_tensorflow import NO_TENSORFLOW, TWO_CPU_DEVICES

ROOT = Path(__file__).resolve().parents[1]

SAME_LOSSES = (
    NO_TENSORFLOW
    + """
import json, sys
import keras, numpy as np
from trainers.data import load_dataset
from trainers.devices import use_devices
from trainers.run import build_model

data = load_dataset("bundled")

def train(devices, steps_per_call, update="book"):
    keras.distribution.set_distribution(None)
    use_devices(devices, 4)
    model = build_model("infogan", {"precision": "float32", "seed": 3, "update": update})
    batches = model.batches(data, 4, 0)
    losses = []
    while len(losses) < 4:
        losses += model.train_steps([batches.next() for _ in range(steps_per_call)])
    weight = model.runner._params["generator"][0][0]
    return losses, len(weight.sharding.device_set), model.generate({"digit": 7}, 2).shape

one, one_devices, _ = train("1", 1)
two, two_devices, shape = train("2", 1)
two_k, _, _ = train("2", 2)
gap = lambda a, b: max(abs(x[k] - y[k]) for x, y in zip(a, b) for k in x)
together = gap(train("1", 1, "simultaneous")[0], train("2", 2, "simultaneous")[0])
print(json.dumps({"devices": [one_devices, two_devices], "gap": gap(one, two), "gap_k": gap(one, two_k),
                  "gap_simultaneous": together,
                  "shape": list(shape), "steps": len(two_k),
                  "tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")}))
"""
)


def run_python(code: str, *args: str, env: dict | None = None, timeout: int = 280):
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# checked without importing it here (TensorFlow itself imports JAX where it is installed)
pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


@pytest.mark.long
def test_two_devices_give_the_losses_of_one_for_the_same_global_batch():
    out = run_python(SAME_LOSSES, env=TWO_CPU_DEVICES)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["tensorflow"] == []  # imported by nothing on this path
    assert result["devices"] == [1, 2]  # the weights really are replicated on both devices
    assert result["gap"] < 1e-4 and result["gap_k"] < 1e-4  # also k steps per call (a scan) on two devices
    assert result["gap_simultaneous"] < 1e-4  # and the simultaneous update (one jax.vjp, two pullbacks)
    assert result["shape"] == [2, 28, 28] and result["steps"] == 4


@pytest.mark.parametrize(
    ("devices", "backend", "fragment"),
    [("2", "tensorflow", "needs Keras's JAX backend"), ("3", "jax", "this machine has 2"), ("x", "jax", "count")],
)
def test_a_device_request_that_cannot_be_met_is_one_line(tmp_path, devices, backend, fragment):
    args = ["-m", "explorer", "train", "infogan", "--steps", "1", "--out", str(tmp_path / "run"), "--devices", devices]
    out = run_python("", *args, env={**TWO_CPU_DEVICES, "KERAS_BACKEND": backend}, timeout=120)
    assert out.returncode != 0 and fragment in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
