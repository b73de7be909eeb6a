"""Recompute outcomes and metrics of a run from its samples.jsonl alone, and compare with metrics.json."""

from __future__ import annotations

import math
from typing import Any

from assay.records.rundir import RunView


def _diff(a: Any, b: Any, path: str, out: list[str], tol: float) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'stored' if k in a else 'recomputed'}")
            else:
                _diff(a[k], b[k], f"{path}.{k}", out, tol)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out, tol)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not (math.isclose(a, b, rel_tol=0, abs_tol=tol) or (math.isnan(a) and math.isnan(b))):
            out.append(f"{path}: stored {a!r} != recomputed {b!r}")
    elif a != b:
        out.append(f"{path}: stored {a!r} != recomputed {b!r}")


def rescore(run: RunView, tol: float = 1e-12) -> tuple[dict[str, Any], list[str]]:
    """(recomputed metrics, differences from the stored metrics.json); no model is run."""
    from assay.runner import RunOptions, compute_metrics, resolve_benchmark

    opts_d = dict(run.manifest.get("options", {}))
    opts_d["subsets"] = tuple(opts_d.get("subsets") or ())
    opts = RunOptions(**{k: v for k, v in opts_d.items() if k in RunOptions.__dataclass_fields__})
    bench = resolve_benchmark(run.benchmark, opts)
    records = list(run.records())
    diffs: list[str] = []
    for rec in records:
        outcome = bench.outcome(rec)
        if outcome != rec.get("outcome"):
            diffs.append(f"item {rec.get('id')}: stored outcome {rec.get('outcome')} != recomputed {outcome}")
            rec["outcome"] = outcome
    stored_counts = run.metrics.get("counts", {})
    metrics = compute_metrics(
        bench,
        records,
        opts,
        truncated=int(stored_counts.get("truncated", 0)),
        invalid_rows=int(stored_counts.get("invalid_rows", 0)),
    )
    _diff(run.metrics, metrics, "metrics", diffs, tol)
    return metrics, diffs
