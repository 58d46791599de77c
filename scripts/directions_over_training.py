"""How a run's discovered thickness and slant directions change over training: for each copy of a run's
checkpoint, both methods' strongest thickness and slant direction (ρ and the judged class kept over ±2σ),
and whether the DCGAN goal (|ρ| ≥ 0.8 keeping the class ≥ 90%) is met. A run keeps only its latest
checkpoint, so copy it as it is written, e.g. while `gan-explorer train dcgan --out RUN --data bundled
--checkpoint-every 1000 --metrics-every 0` runs:

    while sleep 20; do s=$(python -c "import json;print(json.load(open('RUN/run.json'))['step'])");
      [ -d snaps/step$s ] || { mkdir -p snaps/step$s; cp RUN/run.json RUN/checkpoint.npz snaps/step$s/; }; done

python scripts/directions_over_training.py snaps/step1000 snaps/step2000 …
(each folder's directions are cached in it; about 30 s a folder on a 2-core CPU)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ATTRIBUTES = ("thickness", "slant")


def cell(found, attribute: str) -> str:
    """'slant -0.78/57%': the direction strongest in `attribute`, its ρ and class kept; MET where one meets the goal."""
    top = max(found, key=lambda d: abs(d.effects[attribute]))
    met = any(abs(d.effects[attribute]) >= 0.8 and (d.class_kept or 0) >= 0.9 for d in found)
    kept = f"{top.class_kept:.0%}" if top.class_kept is not None else "–"  # no judge of these images
    return f"{attribute} {top.effects[attribute]:+.2f}/{kept}" + (" MET" if met else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshots", type=Path, nargs="+", help="copies of a run (run.json + checkpoint.npz)")
    args = parser.parse_args()

    from trainers import directions
    from trainers.run import load_model

    for folder in args.snapshots:
        model = load_model(folder)
        cells = []
        for method in directions.METHODS:
            found = directions.directions_for(model, folder, method, say=lambda line: None)
            cells += [f"{method} {cell(found, attribute)}" for attribute in ATTRIBUTES]
        print(folder.name, " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
