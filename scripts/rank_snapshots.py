"""Rank evaluated StackedGAN snapshots against issue 4's goals, best first, one line each.

Usage: python scripts/rank_snapshots.py EVALS_DIR   (the *.json files of `gan-explorer evaluate --json`)
"""

import json
import sys
from pathlib import Path

ACCURACY_GOAL, RANGE_GOAL = 0.98, 0.97


def summary(path: Path) -> dict:
    report = json.loads(path.read_text())
    effects = report["effects"]
    ranges = {name: effect["label_accuracy_min_over_range"] for name, effect in effects.items()}
    drives = {name: max(effect["spearman"].items(), key=lambda kv: abs(kv[1])) for name, effect in effects.items()}
    worst = min([report["label_accuracy"] / ACCURACY_GOAL] + [v / RANGE_GOAL for v in ranges.values()])
    return {
        "name": path.stem,
        "accuracy": report["label_accuracy"],
        "frechet_ratio": report["frechet_ratio"],
        "ranges": ranges,
        "drives": drives,
        "worst_vs_goal": worst,
    }


def line(s: dict) -> str:
    ranges = " ".join(f"{k}_min={v:.3f}" for k, v in s["ranges"].items())
    drives = " ".join(f"{k}->{a}({r:+.2f})" for k, (a, r) in s["drives"].items())
    met = "MET" if s["worst_vs_goal"] >= 1 else "-"
    return f"{s['name']} acc={s['accuracy']:.4f} fd_ratio={s['frechet_ratio']:.2f} {ranges} {drives} {met}"


def main(folder: str) -> None:
    summaries = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            summaries.append(summary(path))
        except (ValueError, KeyError) as exc:
            print(f"# {path.name}: unreadable ({exc})", file=sys.stderr)
    for s in sorted(summaries, key=lambda s: (-s["worst_vs_goal"], s["frechet_ratio"])):
        print(line(s))


if __name__ == "__main__":
    main(sys.argv[1])
