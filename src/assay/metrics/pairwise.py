"""Pairwise preference outcomes: chosen must score strictly higher than rejected.

Rule (RewardBench, allenai/reward-bench ``scripts/run_rm.py``:
``results = [1 if chosen > rejected else 0 for chosen, rejected in zip(...)]``, the same in RM-Bench
``scripts/run_rm.py`` and RMB): a tie counts as wrong, and so does a NaN score (every comparison with
NaN is false). Ties are flagged separately so a report can say how many items were decided by them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def pair_outcome(chosen: float, rejected: float) -> dict[str, Any]:
    """``{"correct": 1 if chosen > rejected (strictly) else 0, "tie": chosen == rejected, "credit"}``.

    ``credit`` (= ``correct`` as a float) is the per-item value every outcome in assay carries, so
    aggregation and paired comparisons treat pairs, best-of-N and matrix items alike.
    """
    c, r = float(chosen), float(rejected)
    correct = 1 if c > r else 0
    return {"correct": correct, "tie": bool(c == r), "credit": float(correct)}


def pair_correct(chosen: Sequence[float] | np.ndarray, rejected: Sequence[float] | np.ndarray) -> np.ndarray:
    """Vectorised ``chosen > rejected`` as a float array of 0/1 (NaN compares false)."""
    c = np.asarray(chosen, dtype=float)
    r = np.asarray(rejected, dtype=float)
    return (c > r).astype(float)


def accuracy(outcomes: Iterable[Mapping[str, Any]], key: str = "credit") -> float:
    """Mean of ``key`` over the outcomes (NaN when there are none)."""
    vals = [float(o[key]) for o in outcomes]
    return float(np.mean(vals)) if vals else math.nan


def tie_count(outcomes: Iterable[Mapping[str, Any]]) -> int:
    """How many outcomes are flagged as ties."""
    return sum(1 for o in outcomes if o.get("tie"))
