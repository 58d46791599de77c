"""The README's table of InfoGAN's two update orders, from scripts/compare_update_order_cpu.sh's output.

    python scripts/update_order_table.py OUT_DIR

One row per order: the median over seeds [min, max] of label accuracy, the lowest per-digit
accuracy, the Fréchet ratio (generated vs real over the real-vs-real floor), each code's strongest
Spearman correlation with thickness or slant, and the training wall time of each run.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def figures(result: dict) -> dict[str, float]:
    row = {
        "label accuracy": result["label_accuracy"],
        "lowest digit": min(result["label_accuracy_by_digit"].values()),
        "Fréchet / floor": result["frechet_ratio"],
    }
    for code in ("code1", "code2"):
        rho = result["effects"][code]["spearman"]
        best = max(rho, key=lambda a: abs(rho[a]))
        row[f"{code} |ρ| ({best})"] = abs(rho[best])
    return row


def spread(values: list[float], digits: int = 3) -> str:
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}, {max(values):.{digits}f}]"


def main(out: Path) -> None:
    orders = {}
    for path in sorted((out / "updates").glob("*_s*.json")):
        order, seed = path.stem.rsplit("_s", 1)
        wall = out / f"infogan_{order}_s{seed}" / "wall_seconds"
        row = figures(json.loads(path.read_text()))
        row["wall s"] = float(wall.read_text()) if wall.exists() else float("nan")
        orders.setdefault(order, []).append(row)
    columns = ["label accuracy", "lowest digit", "Fréchet / floor", "code1 |ρ|", "code2 |ρ|", "wall s"]
    print("| order | seeds | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 2) + "|")
    for order, rows in orders.items():
        cells = []
        for column in columns:
            matches = [(k, v) for r in rows for k, v in r.items() if k.startswith(column)]
            values = [v for _, v in matches]
            drives = sorted({k[len(column) :].strip(" ()") for k, _ in matches} - {""})
            cells.append(spread(values, 0 if column == "wall s" else 3) + (f" ({'/'.join(drives)})" if drives else ""))
        print(f"| {order} | {len(rows)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
