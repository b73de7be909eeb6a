"""CriticEval metric formulas (``critic_bench/evaluators``, ``compute_overall.py``), plain functions.

* feedback / meta_feedback: Spearman rho (``scipy.stats.spearmanr`` in ``EvaluateScalarFeedback.evaluate`` /
  ``EvaluateScalarMetaFeedback``) between the extracted and the human scores, with a policy for unparsed
  scores (``UNPARSED``; the authors pass '' to ``spearmanr`` and numpy ranks every score as a string).
* comp_feedback: both orders must agree (``agreement``: "swap" = the reverse choice is the A<->B swap of the
  forward one, "differ" = the authors' ``forward != reverse``) and the forward choice equal the preference.
* correction: pass rate per domain, mean over the domains (``run_correction.py``).
* overall: mean((feedback + 1) / 2, comp, correction, (meta + 1) / 2) over the dimensions present.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from assay.benchmarks.registry import Record

UNPARSED = ("min", "authors", "drop", "error")
SWAP = {"A": "B", "B": "A", "C": "C"}
CORRELATIONS = ("feedback", "meta_feedback")  # the dimensions scored by Spearman rho, in [-1, 1]

Stat = Callable[[Mapping[str, np.ndarray]], np.ndarray]


def record_outcome(record: Record, agreement: str = "swap") -> dict[str, Any]:
    """Per record: parsed, and the score pair / agreed + correct / passed (None: not executed)."""
    dim = record["subset"]
    if dim in ("feedback", "meta_feedback"):
        return {"parsed": int(bool(record["valid"])), "score": record["score"], "human": record["human"]}
    if dim == "comp_feedback":
        fwd, rev = record["forward_choice"], record["reverse_choice"]
        agreed = bool(record["valid"]) and (fwd[0] != rev[0] if agreement == "differ" else rev[0] == SWAP[fwd[0]])
        right = agreed and fwd[0] == record["preference"][-1]
        return {"parsed": int(bool(record["valid"])), "agreed": int(agreed), "correct": int(right)}
    passed = record.get("passed")
    return {"parsed": int(bool(record["valid"])), "passed": None if passed is None else int(bool(passed))}


def rank_keys(scores: Sequence[Any], unparsed: str = "min") -> list[float]:
    """Sort keys of the generated scores under the unparsed policy (unparsed = '')."""
    if unparsed == "authors" and any(s == "" for s in scores):
        order = {s: i for i, s in enumerate(sorted({str(s) for s in scores}))}  # numpy's str coercion
        return [float(order[str(s)]) for s in scores]
    return [-math.inf if s == "" else float(s) for s in scores]


def spearman(a: np.ndarray) -> np.ndarray:
    """Spearman rho of columns 0 and 1 of (B, n, 2) arrays, average ranks for ties; NaN when undefined."""
    from scipy.stats import rankdata

    if a.shape[-2] < 2:
        return np.full(a.shape[:-2], np.nan)
    rx, ry = rankdata(a[..., 0], axis=-1), rankdata(a[..., 1], axis=-1)
    dx, dy = rx - rx.mean(axis=-1, keepdims=True), ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((dx**2).sum(axis=-1) * (dy**2).sum(axis=-1))
    return np.where(den > 0, (dx * dy).sum(axis=-1) / np.where(den > 0, den, 1), np.nan)


def cells(
    records: Sequence[Record], unparsed: str = "min", agreement: str = "swap"
) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Bootstrap groups "dimension|cell" and the counts of unparsed / dropped / unsupported items."""
    groups: dict[str, list[Any]] = {}
    counts: dict[str, Any] = {"items": len(records)}
    by_dim: dict[str, list[Record]] = {}
    for r in records:
        by_dim.setdefault(str(r["subset"]), []).append(r)
    for dim, recs in by_dim.items():
        outs = [record_outcome(r, agreement) for r in recs]
        counts[f"{dim}_unparsed"] = sum(1 - x["parsed"] for x in outs)
        counts[f"{dim}_missing"] = sum(int(bool(r.get("missing"))) for r in recs)
        if dim in CORRELATIONS:
            if counts[f"{dim}_unparsed"] and unparsed == "error":
                raise ValueError(f"criticeval: {counts[f'{dim}_unparsed']} unparsed {dim} scores (unparsed=error)")
            keep = [(r, x) for r, x in zip(recs, outs, strict=True) if x["parsed"] or unparsed != "drop"]
            pooled = rank_keys([x["score"] for _, x in keep], unparsed)
            per_q: dict[str, list[Any]] = {}
            for (r, x), key in zip(keep, pooled, strict=True):
                per_q.setdefault(str(r["quality"]), []).append((x["score"], key, float(x["human"])))
            for q, rows in per_q.items():
                local = rank_keys([s for s, _, _ in rows], unparsed)  # the authors rank each quality on its own
                groups[f"{dim}|{q}"] = [[k, lk, h] for (_, k, h), lk in zip(rows, local, strict=True)]
            counts[f"{dim}_dropped"] = len(recs) - len(keep)
        elif dim == "comp_feedback":
            for r, x in zip(recs, outs, strict=True):
                groups.setdefault(f"{dim}|{r['quality']}", []).append(x["correct"])
            counts["comp_feedback_disagreed"] = sum(x["parsed"] - x["agreed"] for x in outs)
        else:
            counts["correction_not_supported"] = sum(1 for x in outs if x["passed"] is None)
            for r, x in zip(recs, outs, strict=True):
                if x["passed"] is not None:
                    groups.setdefault(f"{dim}|{r['domain']}", []).append(x["passed"])
    return groups, counts


def dimension_stat(dim: str, keys: Sequence[str]) -> Stat:
    """The statistic of one dimension over its bootstrap groups ``keys`` ("dimension|cell")."""

    def cat(sampled: Mapping[str, np.ndarray], cols: Sequence[int] | None = None) -> np.ndarray:
        a = np.concatenate([sampled[k] for k in keys], axis=1)
        return a if cols is None else a[..., list(cols)]

    if dim in CORRELATIONS:
        return lambda s: spearman(cat(s, (0, 2)))  # pooled ranks vs human
    if dim == "comp_feedback":
        return lambda s: cat(s).mean(axis=-1)
    return lambda s: np.mean([s[k].mean(axis=-1) for k in keys], axis=0)  # mean over correction domains


def cell_stat(dim: str, key: str) -> Stat:
    """The statistic of one cell: Spearman with the cell's own ranks, else the rate."""
    if dim in CORRELATIONS:
        return lambda s: spearman(s[key][..., [1, 2]])
    return lambda s: s[key].mean(axis=-1)


def overall(values: Mapping[str, np.ndarray]) -> np.ndarray:
    """``compute_overall.py``: the mean of the dimensions, correlations mapped to [0, 1] by (rho + 1) / 2."""
    parts = [(v + 1) / 2 if d in CORRELATIONS else v for d, v in values.items()]
    return np.mean(parts, axis=0)
