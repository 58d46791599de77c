"""The comparison studies' cells (`gan-explorer compare`): runs of one setting summarised the same way for
every family, each measure as the median [min, max] over the runs that gave a finite value."""

from __future__ import annotations

import numpy as np


def spread(values) -> list[float]:
    """[median, min, max] of the finite values; three NaNs when none is finite (every run diverged)."""
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return [float("nan")] * 3
    return [float(np.median(finite)), float(finite.min()), float(finite.max())]


def summarise_cell(cell: list[dict], measures: tuple[str, ...]) -> dict:
    """One cell's runs (each with `meets_goal`, `diverged_at`, `seconds` and the measures): counts and spreads."""
    return {
        "runs": len(cell),
        "meets_goal": sum(r["meets_goal"] for r in cell),
        "diverged": sum(r["diverged_at"] is not None for r in cell),
        **{key: spread([r[key] for r in cell]) for key in measures},
        "seconds": float(np.mean([r["seconds"] for r in cell])),
    }
