"""CriticBench metric formulas: the critique F1 of ``src/infer/result_processor.py``
``ResultProcessor.analyse_result`` (sklearn ``f1_score`` of the class "response is wrong", 0 with no
positive as its zero_division) and seeded bootstrap CIs overall, per task and per domain, resampling items
within (task, domain) cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


def f1_wrong(a: np.ndarray) -> np.ndarray:
    """F1 of the class "wrong" over (B, n, 2) arrays of [gold_wrong, pred_wrong]; 0 with no positive."""
    g, p = a[..., 0], a[..., 1]
    tp = (g * p).sum(axis=-1)
    den = 2 * tp + ((1 - g) * p).sum(axis=-1) + (g * (1 - p)).sum(axis=-1)
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def mean_or_nan(a: np.ndarray) -> np.ndarray:
    """The mean over the last axis (a rate); NaN for an empty cell."""
    return a.mean(axis=-1) if a.shape[-1] else np.full(a.shape[:-1], np.nan)


def levels(
    cells: dict[tuple[str, str], list[Any]], stat: Callable[[np.ndarray], np.ndarray], seed: int, n_boot: int, key: str
) -> dict[str, Any]:
    """``stat`` overall, per task and per domain, bootstrapped within (task, domain) cells."""
    from assay.metrics.bootstrap import stratified_cis

    cells = {k: v for k, v in cells.items() if v}
    if not cells:
        return {}
    names = {f"{t}\x00{d}": (t, d) for t, d in cells}
    groups = {n: np.asarray(cells[td], dtype=float) for n, td in names.items()}

    def over(select: Callable[[tuple[str, str]], bool]) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        chosen = sorted(n for n, td in names.items() if select(td))
        return lambda sampled: stat(np.concatenate([sampled[n] for n in chosen], axis=1))

    stats = {"overall": over(lambda td: True)}
    counts = {"overall": sum(len(v) for v in groups.values())}
    for level, i in (("task", 0), ("domain", 1)):
        for value in sorted({td[i] for td in names.values()}):
            stats[f"{level}:{value}"] = over(lambda td, i=i, v=value: td[i] == v)
            counts[f"{level}:{value}"] = sum(len(groups[n]) for n, td in names.items() if td[i] == value)
    return stratified_cis(groups, stats, seed, n_boot, n=counts, key=key)
