"""Discovered directions of every shipped image model, measured: both methods' tables (cached beside each
model, where the explorer and `gan-explorer directions` read them), their agreement, and InfoGAN's designed
codes measured by the same sweep. Written into each MODEL_CARD.md between markers (the card scripts keep the
section), with the README's designed-vs-discovered table printed. No hand-typed figures.

python scripts/directions_cards.py [--models dcgan ...] [--readme-table]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
SHIPPED = ("dcgan", "cgan", "acgan", "acgan-fashion", "infogan", "stackedgan")
BEGIN, END = "<!-- directions: scripts/directions_cards.py -->", "<!-- /directions -->"
SUMMARY = "directions-summary.json"
WITHIN = (
    " read within each class (the samples spread evenly over the classes; each class's ρ weighted by its "
    "samples: a direction's slider is moved with the class held), the strongest attribute's ρ over all classes "
    "pooled in the last column"
)


def cpu_name() -> str:
    """'AMD EPYC with AVX-512-BF16' or '… (AVX2 only)': the step times of these machines differ by 3-4x."""
    from trainers.families.base import cpu_has_fast_bfloat16

    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    vector = " with AVX-512-BF16" if cpu_has_fast_bfloat16() else " (AVX2 only)"
    return (name or platform.processor()) + vector


def measure_model(name: str) -> dict:
    """Both methods' directions (found afresh, then cached beside the model), their agreement, the designed codes."""
    from trainers import directions as D
    from trainers.run import load_model

    folder = MODELS / name
    model = load_model(folder)
    for method in D.METHODS:
        for path in D.cache_paths(folder, method):
            path.unlink(missing_ok=True)  # measured afresh: the timing is the first, uncached one
    summary = {"model": model.title, "cpu": cpu_name(), "date": time.strftime("%Y-%m-%d"), "tables": {}, "seconds": {}}
    found = {}
    for method in D.METHODS:
        start = time.perf_counter()
        found[method] = D.directions_for(model, folder, method, D.DEFAULT_K, say=print)
        summary["seconds"][method] = round(time.perf_counter() - start, 1)
        summary["tables"][method] = [d.table_row() for d in found[method]]
    summary["agreement"] = D.agreement(found["sefa"], found["ganspace"])
    designed = D.designed_directions(model)
    if designed:
        judge, real = D.judge_and_real_features(model, print)
        D.measure(model, designed, judge, real)
        summary["designed"] = [d.table_row() for d in designed]
    (folder / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def rho(row: dict, key: str) -> str:
    return f"{row['effects'][key]:+.2f}" if key in row["effects"] else "–"


def pooled_cell(row: dict) -> str:
    """The ρ over all classes of the attribute the row is strongest in (its within-class ρ is in the table)."""
    from trainers.directions import strongest

    key, _ = strongest(row["effects"])
    return f"{key} {row['pooled'][key]:+.2f}"


def table(rows: list[dict], first: str = "#") -> str:
    keys = list(rows[0]["effects"]) if rows else []
    within = bool(rows) and rows[0].get("pooled") is not None
    extra = ["over all classes"] if within else []
    head = f"| {first} | noise | named | class kept (±2σ) | Fréchet ends | " + " | ".join(f"ρ {k}" for k in keys)
    head += "".join(f" | {e}" for e in extra) + " |"
    lines = [head, "|" + "---|" * (5 + len(keys) + len(extra))]
    for i, row in enumerate(rows):
        kept = f"{row['class_kept']:.0%}" if row["class_kept"] is not None else "–"
        ends = f"×{row['frechet_ends']:.2f}" if row["frechet_ends"] is not None else "–"
        label = row["noise"] if first == "code" else str(i)
        cells = [label, row["noise"], row["name"], kept, ends] + [rho(row, k) for k in keys]
        cells += [pooled_cell(row)] if within else []
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def goal_lines(name: str, summary: dict) -> list[str]:
    """The issue's goals for this model, checked on both methods' tables."""
    out = []
    for method, rows in summary["tables"].items():
        if name == "dcgan":
            for attribute in ("thickness", "slant"):
                best = [r for r in rows if abs(r["effects"].get(attribute, 0)) >= 0.8 and (r["class_kept"] or 0) >= 0.9]
                top = max(rows, key=lambda r: abs(r["effects"].get(attribute, 0)))
                out.append(
                    f"- {method}, {attribute}: |ρ| ≥ 0.8 keeping the class ≥ 90%: {'met' if best else 'not met'} "
                    f"(strongest: ρ {top['effects'][attribute]:+.2f}, class kept {top['class_kept']:.0%})"
                )
        elif name in ("cgan", "acgan", "acgan-fashion"):
            top4 = rows[:4]
            kept = [r["class_kept"] for r in top4]
            named = sum(1 for r in top4 if max(abs(v) for v in r["effects"].values()) >= 0.6)
            pooled = sum(1 for r in top4 if max(abs(v) for v in (r.get("pooled") or r["effects"]).values()) >= 0.6)
            ok = all(k is not None and k >= 0.95 for k in kept) and named >= 2
            out.append(
                f"- {method}: top 4 keep the class ≥ 95% and ≥ 2 of them have |ρ| ≥ 0.6 within the classes: "
                f"{'met' if ok else 'not met'} (kept {', '.join('–' if k is None else f'{k:.0%}' for k in kept)}; "
                f"{named} with |ρ| ≥ 0.6 within the classes, {pooled} over all classes pooled)"
            )
    return out


def section(name: str, summary: dict) -> str:
    from trainers.directions import SWEEP_STARTS

    seconds = summary["seconds"]
    agreement = summary["agreement"]
    conditional = summary["tables"]["sefa"][0].get("pooled") is not None
    parts = [
        BEGIN,
        "## Discovered directions",
        "",
        f"Directions found in the noise without labels (SeFa and GANSpace, 8 per noise vector), each swept over "
        f"±3σ from {SWEEP_STARTS} random samples and measured by the project's evaluation: Spearman ρ of the amount "
        f"with each attribute{WITHIN if conditional else ''}, the share of moved samples (±1σ, ±2σ) the judge reads "
        "as the class it read at 0, "
        "and the Fréchet distance at the farther end over that at 0. The explorer opens them with the model "
        f"(cached beside it); `gan-explorer directions resources/models/{name} --method both` prints them. "
        f"Measured {summary['date']} on {summary['cpu']} (2 cores): found and measured in {seconds['sefa']} s "
        f"(SeFa) and {seconds['ganspace']} s (GANSpace), the model already loaded.",
        "",
    ]
    for method, title in (("sefa", "SeFa (the first layer's weights)"), ("ganspace", "GANSpace (early activations)")):
        parts += [f"### {title}", "", table(summary["tables"][method]), ""]
    parts += [
        f"Agreement: |cos| of each SeFa direction with its closest GANSpace one: "
        f"{', '.join(f'{c:.2f}' for c in agreement)} (mean {sum(agreement) / len(agreement):.2f}; 8 random "
        "directions against 8 others in 100 dimensions read 0.18).",
        "",
    ]
    if summary.get("designed"):
        parts += ["### The designed codes, measured the same way", "", table(summary["designed"], "code"), ""]
    goals = goal_lines(name, summary)
    if goals:
        parts += ["Goals (issue: discovered directions):", "", *goals, ""]
    parts.append(END)
    return "\n".join(parts) + "\n"


def with_section(text: str, block: str) -> str:
    """`text` with its directions section replaced by `block` (appended when it has none)."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip("\n") + "\n\n" + block


def keep_section(folder: Path, new_text: str) -> str:
    """For the card scripts: their new card with the directions section the old one had."""
    old = (folder / "MODEL_CARD.md").read_text() if (folder / "MODEL_CARD.md").is_file() else ""
    found = re.search(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", old, re.S)
    return with_section(new_text, found.group(0)) if found else new_text


def best(rows: list[dict], attribute: str) -> tuple[int, dict]:
    return max(enumerate(rows), key=lambda item: abs(item[1]["effects"].get(attribute, 0)))


def readme_table() -> str:
    """InfoGAN's designed codes beside the directions discovered in DCGAN and ACGAN, on the same measure."""
    lines = [
        "| model | control | found by | ρ read | ρ thickness | ρ slant | class kept (±2σ) | Fréchet ends |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def both(r, key):  # within the classes, then (over all of them), where the model has a class input
        pooled = r.get("pooled")
        return rho(r, key) + (f" ({pooled[key]:+.2f})" if pooled and key in pooled else "")

    def row(model, control, how, r):
        kept = f"{r['class_kept']:.0%}" if r["class_kept"] is not None else "–"
        ends = f"×{r['frechet_ends']:.2f}" if r["frechet_ends"] is not None else "–"
        read = "within each digit (over all)" if r.get("pooled") else "over all samples (no class input)"
        cells = [model, control, how, read, both(r, "thickness"), both(r, "slant"), kept, ends]
        lines.append("| " + " | ".join(cells) + " |")

    info = json.loads((MODELS / "infogan" / SUMMARY).read_text())
    for r in info["designed"]:
        row("InfoGAN", r["noise"], "designed (trained to be read back)", r)
    for name in ("dcgan", "acgan"):
        summary = json.loads((MODELS / name / SUMMARY).read_text())
        for method, rows in summary["tables"].items():
            for attribute in ("thickness", "slant"):
                i, r = best(rows, attribute)
                row(summary["model"].split(" ")[0], f"direction {i} (its strongest {attribute})", method, r)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", choices=SHIPPED, default=SHIPPED)
    parser.add_argument("--readme-table", action="store_true", help="print the README's table from the summaries")
    args = parser.parse_args()
    if args.readme_table:
        print(readme_table())
        return
    for name in args.models:
        summary = measure_model(name)
        card = MODELS / name / "MODEL_CARD.md"
        card.write_text(with_section(card.read_text(), section(name, summary)))
        print(f"wrote {card} ({summary['seconds']})")


if __name__ == "__main__":
    main()
