"""The model cards of the shipped CGAN and ACGAN and the README's table of ACGAN's three heads, from the
project's own evaluation (`gan-explorer evaluate --json`): no hand-typed figures.

python scripts/conditional_cards.py HEADS_DIR [--readme-table]

HEADS_DIR holds HEAD_sSEED.json for the heads comparison (scripts/train_conditional_cpu.sh). The cards read
resources/models/{cgan,acgan}/card.json and the `made` notes below.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "resources" / "models"
HEADS = ("aux", "fake-class", "classifier")
MACHINE = "a 2-core Intel Xeon with AVX-512-BF16 and AMX"
MADE = {  # how each shipped generator was made (the figures of the runs' own logs)
    "cgan": [
        "`gan-explorer train cgan --out cgan --steps 6000 --data auto --metrics-every 500 --checkpoint-every 250 "
        f"--grid-every 250` (`scripts/train_conditional_cpu.sh`), 43 min 23 s on {MACHINE} (`--precision auto`: "
        "bfloat16), 2026-12-01, sharing the two cores with other runs for most of it; then `gan-explorer export "
        "cgan resources/models/cgan`.",
        "Data: the bundled 10,000 real MNIST digits (no Keras cache on the machine): 8,000 for training, the last "
        "2,000 held out.",
        "Live label accuracy over the run (500 samples): 0.144 at 500 steps, 0.612 at 1,000, 0.854 at 1,500, 0.954 "
        "at 3,000, 0.982 at 4,000, 0.988 at 6,000; live Fréchet distance 197.9 at 500 steps, 16.5 at 6,000.",
        "Seeds: one run (seed 0).",
    ],
    "acgan": [
        "The heads comparison first (`scripts/train_conditional_cpu.sh`: each head 1,000 steps from seeds 0, 1 "
        "and 2, table below): at 1,000 steps the `fake-class` head was far ahead of the other two at every seed "
        "it was run with, so the shipped model is that head.",
        "`gan-explorer train acgan --config head=fake-class --seed 0 --out acgan --steps 1000 --data auto "
        "--metrics-every 250 --checkpoint-every 250 --grid-every 250` (9 min 08 s), then the same run resumed "
        f"(`--resume --steps 6000`) and stopped with Ctrl-C at step 4,025 (25 min 07 s more), on {MACHINE} "
        "(`--precision auto`: bfloat16), 2026-12-01, sharing the two cores with other runs; then "
        "`gan-explorer export acgan resources/models/acgan`.",
        "Data: the bundled 10,000 real MNIST digits (no Keras cache on the machine): 8,000 for training, the last "
        "2,000 held out.",
        "Live label accuracy over the run (500 samples): 0.948 at 1,000 steps, 0.976 at 1,500, 0.998 at 2,000, "
        "1.000 at 3,000, 0.998 at 4,000; live Fréchet distance 33.6 at 1,000 steps, 17.8 at 2,000, 13.9 at 4,000.",
    ],
}


def figures(card: dict) -> dict:
    by_digit = card["label_accuracy_by_digit"]
    worst = min(by_digit, key=by_digit.get)
    return {
        "accuracy": card["label_accuracy"],
        "worst_digit": worst,
        "worst": by_digit[worst],
        "ratio": card["frechet_ratio"],
        "distance": card["frechet_distance"],
        "floor": card["frechet_floor"],
    }


def heads_table(folder: Path) -> str:
    rows = [
        "| head | seeds | label accuracy (median [min, max]) | worst digit (median [min, max]) | "
        "Fréchet / floor (median [min, max]) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for head in HEADS:
        runs = [figures(json.loads(p.read_text())) for p in sorted(folder.glob(f"{head}_s*.json"))]
        if not runs:
            continue

        def spread(key, runs=runs, digits=3):
            values = [r[key] for r in runs]
            return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}, {max(values):.{digits}f}]"

        ratio = spread("ratio", digits=2)
        rows.append(f"| `{head}` | {len(runs)} | {spread('accuracy')} | {spread('worst')} | {ratio} |")
    return "\n".join(rows)


def by_digit_row(card: dict) -> str:
    return ", ".join(f"{d}: {a:.3f}" for d, a in card["label_accuracy_by_digit"].items())


def verdict(goal: tuple[str, str, bool]) -> str:
    text, _, met = goal
    return text if text == "recorded" else f"{text}: {'met' if met else 'missed'}"


def card_text(
    name: str, title: str, about: str, made: list[str], goals: list[tuple[str, str, bool]], extra: str = ""
) -> str:
    card = json.loads((MODELS / name / "card.json").read_text())
    f = figures(card)
    lines = [
        f"# {title}, shipped",
        "",
        about,
        "",
        "## How it was made",
        *[f"- {m}" for m in made],
        "",
        "## Measured",
        f"`gan-explorer evaluate resources/models/{name} --save-card` ({card['samples']:,} samples, float32, the "
        f"project's MNIST judge, 98.9% on held-out real digits; real reference: "
        f"{card.get('real_data', 'MNIST')}):",
        "",
        "| measure | value | goal |",
        "| --- | --- | --- |",
        f"| label accuracy | **{f['accuracy']:.4f}** | {verdict(goals[0])} |",
        f"| per digit | {by_digit_row(card)} | {verdict(goals[1])} |",
        f"| Fréchet distance / floor ({f['floor']:.3f}) | {f['distance']:.3f} / **{f['ratio']:.2f}** | "
        f"{verdict(goals[2])} |",
    ]
    for control, effect in card["effects"].items():
        rho = effect["spearman"]
        lines.append(
            f"| {control} shift over [{effect['range'][0]:g}, {effect['range'][1]:g}] | thickness "
            f"{rho['thickness']:+.2f}, slant {rho['slant']:+.2f}; lowest label accuracy over the range "
            f"{effect.get('label_accuracy_min_over_range', float('nan')):.4f} | recorded |"
        )
    return "\n".join(lines + (["", extra] if extra else [])) + "\n"


def main():
    from directions_cards import keep_section

    parser = argparse.ArgumentParser()
    parser.add_argument("heads", type=Path)
    parser.add_argument("--readme-table", action="store_true", help="print the heads table and stop")
    args = parser.parse_args()
    table = heads_table(args.heads)
    if args.readme_table:
        print(table)
        return
    for name, title, about, made, goals, extra in (
        (
            "cgan",
            "CGAN on MNIST",
            "The book's CGAN (chapter 4): the one-hot label joined to z ~ U(-1, 1) (100 dims) at the generator's input "
            "and, through a Dense 784 plane, to the image at the discriminator's; the book's InfoGAN-style generator "
            "and discriminator trunk; RMSprop (D 2e-4, G 1e-4), batch 64. Generator only (`generator.npz`, float32).",
            MADE["cgan"],
            "cgan",
            "",
        ),
        (
            "acgan",
            "ACGAN on MNIST",
            "The book's ACGAN (chapter 4), with the discriminator head chosen by the comparison below: "
            "the generator as "
            "CGAN's; D's trunk the same, without the label at its input. Generator only (`generator.npz`, float32).",
            MADE["acgan"],
            "acgan",
            "## The three heads (same steps, three seeds)\n\n" + table,
        ),
    ):
        if not (MODELS / name / "card.json").is_file():
            print(f"skipped {name}: no card.json yet")
            continue
        card = json.loads((MODELS / name / "card.json").read_text())
        f = figures(card)
        goal_accuracy = 0.98 if goals == "cgan" else 0.99
        checks = [
            (f"≥ {goal_accuracy}", "", f["accuracy"] >= goal_accuracy),
            ("every digit ≥ 0.97" if goals == "acgan" else "recorded", "", f["worst"] >= 0.97 or goals == "cgan"),
            ("≤ 3" if goals == "acgan" else "recorded", "", f["ratio"] <= 3 or goals == "cgan"),
        ]
        text = card_text(name, title, about, made, checks, extra)
        (MODELS / name / "MODEL_CARD.md").write_text(keep_section(MODELS / name, text))  # the directions stay
        print(f"wrote {MODELS / name / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
