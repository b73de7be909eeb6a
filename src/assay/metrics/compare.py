"""Paired comparison of two runs on the same items: mean difference, paired bootstrap CI, McNemar.

Both runs give one outcome value per item id (``outcome["credit"]``: 0/1 for pairs, fractional for
tie credit and rank credit). Only ids present in both runs are compared; the ids present in one run
only are counted and reported.

McNemar's exact test (two-sided binomial test on the discordant items, p = 0.5, as
``scipy.stats.binomtest(b10, b01 + b10, 0.5).pvalue``) needs binary outcomes. Rule for fractional
credits: an item counts as a *success* when its credit is strictly greater than 0.5 (more than half
credit). So 1 and 2/3 are successes, while 1/2 (a two-way tie at the top in RewardBench 2) and 1/3 are
not; for 0/1 outcomes this is the plain outcome. The mean difference and its CI use the credits
themselves, not the binarised values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from assay.metrics.bootstrap import mean_ci

SUCCESS_THRESHOLD = 0.5


def mcnemar_exact(b01: int, b10: int) -> float:
    """Exact two-sided McNemar p-value: binomial test of ``b10`` successes in ``b01 + b10`` at p = 1/2.

    1.0 when there are no discordant items. For the symmetric binomial the two-sided p-value is
    ``min(1, 2 * P(X <= min(b01, b10)))``, which equals scipy's ``binomtest(...).pvalue``.
    """
    n = int(b01) + int(b10)
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(int(b10), n, 0.5, alternative="two-sided").pvalue)


def paired_compare(
    a: Mapping[str, float],
    b: Mapping[str, float],
    seed: int,
    n_boot: int = 1000,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Compare outcome maps ``a`` and ``b`` (id -> credit) over their shared ids.

    Returns ``{"n_shared", "n_only_a", "n_only_b", "mean_a", "mean_b", "diff": {"value", "ci", "n"},
    "b01", "b10", "p_value", "success_rule"}``; ``diff`` is mean(a - b) with a paired bootstrap CI
    (items resampled jointly); ``b10`` = items where a succeeds and b fails, ``b01`` = the reverse.
    """
    shared = sorted(set(a) & set(b))
    xa = np.array([float(a[i]) for i in shared], dtype=float)
    xb = np.array([float(b[i]) for i in shared], dtype=float)
    diff = mean_ci(xa - xb, seed, n_boot, alpha, key="paired_compare")
    sa = xa > SUCCESS_THRESHOLD
    sb = xb > SUCCESS_THRESHOLD
    b10 = int(np.sum(sa & ~sb))
    b01 = int(np.sum(~sa & sb))
    return {
        "n_shared": len(shared),
        "n_only_a": len(set(a) - set(b)),
        "n_only_b": len(set(b) - set(a)),
        "mean_a": float(xa.mean()) if shared else math.nan,
        "mean_b": float(xb.mean()) if shared else math.nan,
        "diff": diff,
        "b01": b01,
        "b10": b10,
        "p_value": mcnemar_exact(b01, b10),
        "success_rule": f"credit > {SUCCESS_THRESHOLD}",
    }
