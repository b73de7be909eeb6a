"""Paired comparison of two runs on the items they share (same benchmark, same item ids)."""

from __future__ import annotations

from typing import Any

from assay.records.rundir import RunView


def item_credit(outcome: dict[str, Any]) -> float:
    """The per-item score a comparison uses: 'credit' (best-of-N, RM-Bench) or 'correct' (pairs)."""
    for key in ("credit", "correct", "accuracy"):
        if key in outcome and outcome[key] is not None:
            return float(outcome[key])
    raise ValueError(f"outcome has no credit/correct field: {outcome}")


def compare_runs(a: RunView, b: RunView, *, seed: int = 0, n_boot: int = 2000) -> dict[str, Any]:
    from assay.metrics.compare import paired_compare

    if a.benchmark != b.benchmark:
        raise ValueError(f"runs are on different benchmarks: {a.benchmark} vs {b.benchmark}")
    ca = {str(r["id"]): item_credit(r["outcome"]) for r in a.records()}
    cb = {str(r["id"]): item_credit(r["outcome"]) for r in b.records()}
    if not set(ca) & set(cb):
        raise ValueError("the two runs share no item ids")
    result = paired_compare(ca, cb, seed=seed, n_boot=n_boot)
    result.update(
        {
            "benchmark": a.benchmark,
            "model_a": a.model,
            "model_b": b.model,
            "run_a": str(a.path),
            "run_b": str(b.path),
        }
    )
    return result
