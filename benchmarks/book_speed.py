"""The book's own chapter-6 scripts (Keras 2), timed on this machine, for the side-by-side ratio that
benchmarks/train_speed.py prints against the project.

    pip install -e ".[book]"                 # tf-keras (Keras 2 beside Keras 3) and matplotlib
    python benchmarks/book_speed.py --book PATH [--script infogan|PATH] [--skip 20] [--steps 200]

PATH is a checkout of the book's repository (Advanced-Deep-Learning-with-Keras, by Rowel Atienza);
it is not part of this project and cannot be downloaded on the machines this project is built on, so
it is given, never fetched. The script runs unchanged in a child process: `keras` is Keras 2 (tf-keras,
its legacy optimizers, which take the scripts' `lr` and `decay`), and `mnist.load_data()` returns the
real digits this project can read offline instead of downloading. Each training step prints one line;
ms per step is the time between the line of step SKIP and that of step SKIP + STEPS (start-up, model
building and the first steps excluded), then the child is stopped. TensorFlow's own defaults
otherwise (its oneDNN setting included), as a reader running the book would have them.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

SCRIPTS = {"infogan": "chapter6-disentangled-gan/infogan-mnist-6.1.1.py"}  # the script the speed goal names
STEP_LINE = re.compile(rb"^(\d+): \[")  # "12: [discriminator loss: ..."


def install_keras2(mnist_npz: str) -> None:
    """Makes `import keras...` in the book's code resolve to Keras 2, with MNIST read from a local file."""
    import numpy as np
    import tf_keras

    def load_data():
        with np.load(mnist_npz) as data:
            return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])

    datasets = types.ModuleType("keras.datasets")
    datasets.mnist = types.SimpleNamespace(load_data=load_data)
    modules = {
        "keras": tf_keras,
        "keras.layers": tf_keras.layers,
        "keras.layers.merge": tf_keras.layers,  # Keras 2.2's home of concatenate
        "keras.models": tf_keras.models,
        "keras.optimizers": tf_keras.optimizers.legacy,
        "keras.utils": tf_keras.utils,
        "keras.backend": tf_keras.backend,
        "keras.datasets": datasets,
    }
    sys.modules.update(modules)


def run_child(book: Path, script: str, mnist_npz: str) -> None:
    import runpy

    import matplotlib

    matplotlib.use("Agg")  # the scripts plot every 500 steps; no window
    install_keras2(mnist_npz)
    sys.path.insert(0, str(book))  # `from lib import gan`, which the scripts find through "..": their cwd
    sys.argv = [str(book / script)]
    runpy.run_path(str(book / script), run_name="__main__")


def write_mnist(path: Path) -> None:
    """The real digits this project reads offline (the Keras cache's full MNIST when present)."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from trainers.data import load_dataset

    data = load_dataset("auto")
    x, y = data.images, data.labels
    np.savez(path, x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])


def time_steps(book: Path, script: str, skip: int, steps: int) -> float:
    """ms per step between printed steps `skip` and `skip + steps` of the book's script."""
    import importlib.util

    missing = [name for name in ("tf_keras", "matplotlib") if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"The book's scripts need {' and '.join(missing)}: pip install -e '.[book]'")
    if not (book / script).is_file():
        raise SystemExit(f"No {script} in {book}: give --book a checkout of the book's repository.")
    with tempfile.TemporaryDirectory() as tmp:
        mnist = Path(tmp) / "mnist.npz"
        write_mnist(mnist)
        env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}  # TensorFlow's default
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        args = [sys.executable, "-u", __file__, "--child", "--book", str(book), "--script", script]
        args += ["--mnist", str(mnist)]
        child = subprocess.Popen(args, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        marks = {}
        try:
            for line in child.stdout:
                found = STEP_LINE.match(line)
                if found and int(found.group(1)) in (skip, skip + steps):
                    marks[int(found.group(1))] = time.perf_counter()
                    if len(marks) == 2:
                        break
        finally:
            child.kill()
            child.wait()
        if len(marks) < 2:
            raise SystemExit(f"The book's {script} stopped before step {skip + steps}; run it by hand to see why.")
        return (marks[skip + steps] - marks[skip]) / steps * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, required=True, help="a checkout of the book's repository")
    parser.add_argument("--script", default="infogan", help="infogan, or a chapter-6 script's path inside the book")
    parser.add_argument("--skip", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mnist", help=argparse.SUPPRESS)
    args = parser.parse_args()
    script = SCRIPTS.get(args.script, args.script)
    if args.child:
        run_child(args.book.resolve(), script, args.mnist)
        return
    ms = time_steps(args.book.resolve(), script, args.skip, args.steps)
    print(f"book {args.script}: {ms:.1f} ms per step at batch 64 (steps {args.skip}-{args.skip + args.steps})")


if __name__ == "__main__":
    main()
