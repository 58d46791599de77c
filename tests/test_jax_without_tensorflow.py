"""Keras's JAX backend on a machine without TensorFlow (a GPU machine with one CUDA stack): in a process
where importing TensorFlow fails, DCGAN and the paired image-to-image family build and draw, StackedGAN
(with its encoder), CGAN and ACGAN train (InfoGAN in tests/test_devices.py, whose JAX processes have no
TensorFlow either; DCGAN's transposed convolutions take XLA ~20 s to compile on these CPUs, and its step is
the same runner's), and live metrics (the CLI training data-parallel on two CPU devices), sample, evaluate
and export work."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TWO_CPU_DEVICES = {"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}

NO_TENSORFLOW = textwrap.dedent("""
    import importlib.abc, sys

    class NoTensorFlow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "tf_keras"):
                raise ImportError(f"{name} is not installed on this machine")

    sys.meta_path.insert(0, NoTensorFlow())
""")

WITHOUT_TENSORFLOW = NO_TENSORFLOW + textwrap.dedent("""
    import json
    from pathlib import Path

    import numpy as np
    from trainers.cli import main
    from trainers.data import load_dataset
    from trainers.run import build_model

    out = Path(sys.argv[1])
    digits = load_dataset("bundled").take(600)
    np.savez(out / "digits.npz", x=digits.images, y=digits.labels)
    quick = ["--steps", "2", "--batch-size", "8", "--data", str(out / "digits.npz"), "--precision", "float32"]
    model = build_model("dcgan", {"precision": "float32"})  # the one family not trained below or there
    assert model.generate_arrays(model.latent_spec.sample(2, np.random.default_rng(0))).shape[0] == 2
    # initial weights are drawn by NumPy from Keras's seed (no XLA program per shape): the same seed, the same
    # weights; DCGAN's N(0, 0.02); a truncated normal within two standard deviations
    again, other = build_model("dcgan", {"precision": "float32"}), build_model("dcgan", {"seed": 1})
    weights = [n.get_weights() for n in (model.networks["generator"], again.networks["generator"])]
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
    assert not np.array_equal(weights[0][0], other.networks["generator"].get_weights()[0])
    kernel = weights[0][0]
    assert abs(kernel.std() / 0.02 - 1) < 0.02 and abs(kernel.mean()) < 1e-3, (kernel.std(), kernel.mean())
    import keras
    cut = np.asarray(keras.random.truncated_normal((20000,), mean=1.0, stddev=0.5, seed=3))
    assert cut.min() >= 0.0 and cut.max() <= 2.0 and abs(cut.mean() - 1.0) < 0.02
    translator = build_model("pix2pix", {"precision": "float32", "unet_width": 8})  # an image input, no noise
    assert translator.generate_arrays(translator.example_latents(2)).shape == (2, 32, 32)
    # training: StackedGAN (its encoder's preparation too) and CGAN; InfoGAN's in tests/test_devices.py
    for family, extra in (("stackedgan", ["--config", "encoder_epochs=1"]), ("cgan", [])):
        argv = ["train", family, "--out", str(out / family), "--metrics-every", "0", "--grid-every", "100"]
        assert main([*argv, *quick, *extra]) == 0, family
    # one family through everything: live metrics, sampling, evaluation, export
    run = str(out / "acgan")
    argv = ["train", "acgan", "--out", run, "--metrics-every", "2", "--grid-every", "1", "--devices", "2"]
    assert main([*argv, *quick]) == 0  # data-parallel on the two CPU devices XLA is told to make
    assert main(["sample", run, "--n", "8", "--out", str(out / "samples.npz")]) == 0
    assert main(["evaluate", run, "--n", "200", "--json"]) == 0
    assert main(["export", run, str(out / "exported")]) == 0
    assert main(["generate", str(out / "exported"), "--digit", "3", "-o", str(out / "three.png")]) == 0
    print(json.dumps({"tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")}))
""")


@pytest.mark.long
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_every_keras_family_trains_samples_evaluates_and_exports_without_tensorflow(tmp_path):
    env = {**os.environ, **TWO_CPU_DEVICES, "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORFLOW, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"tensorflow": []}
    assert "data-parallel on 2 devices" in done.stdout  # the CLI says so
    assert (tmp_path / "samples.npz").is_file() and (tmp_path / "three.png").is_file()
    for family in ("stackedgan", "cgan", "acgan"):
        assert (tmp_path / family / "checkpoint.npz").is_file(), family
    assert (tmp_path / "acgan" / "metrics.csv").is_file()  # live metrics ran
