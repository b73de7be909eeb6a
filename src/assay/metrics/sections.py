"""Weighted section aggregation, as RewardBench computes it.

``weighted_mean`` follows allenai/reward-bench ``rewardbench/utils.py``
``calculate_scores_per_section``: a section score is ``sum(count[s] * acc[s]) / sum(count[s])`` over
the section's subsets *present in the results*, with the official example counts as the weights
whatever the number of items actually run (so a ``--limit`` run keeps the published weighting).
One deviation: where the original returns 0 for a section with no subset present, these helpers
return None / NaN and callers leave the section out (a 0 would silently drag an overall score down).

``masked_weighted_mean`` follows ``analysis/get_benchmark_results.py`` ``get_average_over_rewardbench``:
``np.ma.average`` over the section scores with NaN (absent) sections masked out, so the weights of
the sections present are renormalised.

Every function has a scalar form (floats) and works unchanged on numpy arrays of bootstrap replicates
(shape (n_boot,)), which is how the stratified bootstrap recomputes whole aggregations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def weighted_mean(values: Mapping[str, Any], weights: Mapping[str, float], keys: Sequence[str] | None = None) -> Any:
    """``sum(w[k] * v[k]) / sum(w[k])`` over ``keys`` (default: all of ``weights``) present in ``values``.

    Values may be floats or equal-shape arrays. Returns None when no key is present.
    """
    present = [k for k in (keys if keys is not None else list(weights)) if k in values]
    if not present:
        return None
    total_w = float(sum(weights[k] for k in present))
    if total_w <= 0:
        raise ValueError(f"weights of {present} sum to {total_w}")
    acc: Any = 0.0
    for k in present:
        acc = acc + weights[k] * values[k]
    return acc / total_w


def section_scores(
    values: Mapping[str, Any], mapping: Mapping[str, Sequence[str]], weights: Mapping[str, float]
) -> dict[str, Any]:
    """Per-section weighted means of subset scores; sections with no subset present are omitted."""
    out: dict[str, Any] = {}
    for section, subsets in mapping.items():
        score = weighted_mean(values, weights, subsets)
        if score is not None:
            out[section] = score
    return out


def unweighted_mean(values: Mapping[str, Any], keys: Sequence[str]) -> Any:
    """Plain mean over ``keys`` present in ``values`` (np.nanmean over present columns); None if none."""
    present = [values[k] for k in keys if k in values]
    if not present:
        return None
    acc: Any = 0.0
    for v in present:
        acc = acc + v
    return acc / len(present)


def masked_weighted_mean(values: Mapping[str, Any], weights: Mapping[str, float]) -> Any:
    """Weighted mean over the keys of ``weights`` present in ``values`` and not NaN (np.ma.average).

    Works elementwise on replicate arrays: a NaN in one replicate masks that section in that replicate
    only. Returns NaN where every value is absent/NaN.
    """
    keys = [k for k in weights if k in values]
    if not keys:
        return float("nan")
    arrs = [np.asarray(values[k], dtype=float) for k in keys]
    stacked = np.stack(arrs)  # (n_keys, ...)
    w = np.array([float(weights[k]) for k in keys]).reshape((-1,) + (1,) * (stacked.ndim - 1))
    mask = ~np.isnan(stacked)
    num = np.where(mask, stacked * w, 0.0).sum(axis=0)
    den = np.where(mask, w, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out
