"""Calibration of pairwise reward scores (ECE / ACE / MCE and reliability data), as MORE computes it.

Source: Zeng et al. 2023, "On Diversified Preferences of Large Language Model Alignment" (MORE),
github.com/dunzeng/MORE: ``trainer_utils.py`` ``compute_metrics`` / ``rm_calibration_errors`` and
``utils.py`` ``calibration_error`` (uniform bins) with ``numpy_sigmoid``.

* Probabilities: a scalar RM read as Bradley-Terry, ``p = sigmoid(score_a - score_b)``. MORE takes
  every ordered pair ``(i, j)`` of responses with different gold scores (``logits_diff`` over both
  orientations, masked by ``total_mask``), so each preference pair gives two points:
  ``(sigmoid(c - r), y=1)`` and ``(sigmoid(r - c), y=0)``. A pair whose predicted scores tie
  (``c == r``) is excluded and counted (MORE masks only gold ties, so it keeps such a pair as two
  points at 0.5: ``include_ties=True``); a pair with a non-finite score is excluded and counted.
* Bins (``calibration_error``, ``strategy="uniform"``): edges ``np.linspace(0, 1, n + 1)``, bin id
  ``np.searchsorted(edges[1:-1], p)`` (side "left": bins are ``[0, e1]``, ``(e1, e2]``, ...,
  ``(e_{n-1}, 1]``), for n in (5, 10, 20) as ``calibration_bins``.
* ``ECE = sum_b |sum p - sum y| / N`` (N = number of points = 2 x pairs);
  ``ACE = mean over non-empty bins of |sum p - sum y| / count`` (MORE's ``average_error``: the
  unweighted *average* calibration error over the uniform bins, reported as
  ``calibration_ACE_bin{n}``); ``MCE = max over non-empty bins of |mean p - mean y|``.
* ``adaptive_ECE``: the same ECE formula over equal-mass bins, MORE's ``strategy="quantile"`` branch
  (edges = ``np.percentile(p, linspace(0, 100, n + 1))``), the adaptive calibration error of Nixon
  et al. 2019. (MORE's "ACE" is the *average* error above, not this one.)

Deviation: MORE returns 0 for every error when there is no point; here they are None (no data is not
perfect calibration). Temperature scaling (``fit_temperature``, ``calibration_report``) is an assay
addition: ``p = sigmoid((c - r) / T)`` with T fitted by NLL on one half of the pairs (split by a
seeded hash of the item id) and the calibrated errors reported on the other half only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

BINS: tuple[int, ...] = (5, 10, 20)  # MORE trainer_utils.py compute_metrics: calibration_bins
T_RANGE = (1e-4, 1e4)  # temperature search range, relative to the median |score difference|


def _is_pair(rec: Mapping[str, Any]) -> bool:
    return rec.get("kind") == "pair"


def pair_differences(
    records: Iterable[Mapping[str, Any]], include_ties: bool = False
) -> tuple[np.ndarray, list[str], dict[str, int]]:
    """``chosen - rejected`` of the usable pair records, their ids, and what was left out.

    Counts: ``pairs`` (records of kind "pair"), ``used``, ``ties_excluded`` (equal scores; kept as
    d = 0 when ``include_ties``), ``non_finite_excluded`` (NaN/inf score), ``other_kinds``.
    """
    diffs: list[float] = []
    ids: list[str] = []
    counts = {"pairs": 0, "used": 0, "ties_excluded": 0, "non_finite_excluded": 0, "other_kinds": 0}
    for rec in records:
        if not _is_pair(rec):
            counts["other_kinds"] += 1
            continue
        counts["pairs"] += 1
        scores = rec["scores"]
        c, r = float(scores["chosen"]), float(scores["rejected"])
        if not (math.isfinite(c) and math.isfinite(r)):
            counts["non_finite_excluded"] += 1
        elif c == r and not include_ties:
            counts["ties_excluded"] += 1
        else:
            diffs.append(c - r)
            ids.append(str(rec.get("id")))
    counts["used"] = len(diffs)
    return np.asarray(diffs, dtype=float), ids, counts


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` (MORE ``numpy_sigmoid``), computed without overflow warnings."""
    from scipy.special import expit

    return np.asarray(expit(np.asarray(x, dtype=float)), dtype=float)


def both_orientations(diffs: np.ndarray, temperature: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(y, p) over both orientations: ``(1, sigmoid(d / T))`` then ``(0, sigmoid(-d / T))`` per pair."""
    t = 1.0 if temperature is None else float(temperature)
    if not t > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    d = np.asarray(diffs, dtype=float) / t
    p = np.concatenate([sigmoid(d), sigmoid(-d)])
    y = np.concatenate([np.ones(len(d)), np.zeros(len(d))])
    return y, p


def bin_edges(p: np.ndarray, n_bins: int, strategy: str = "uniform") -> np.ndarray:
    """MORE ``calibration_error`` edges: uniform ``linspace(0, 1, n + 1)`` or quantiles of ``p``."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        return np.asarray(np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100), dtype=float)
    raise ValueError(f"unknown binning strategy {strategy!r}; use 'uniform' or 'quantile'")


def calibration_errors(
    y_true: Sequence[float] | np.ndarray, y_prob: Sequence[float] | np.ndarray, n_bins: int, strategy: str = "uniform"
) -> dict[str, Any]:
    """ECE, ACE, MCE of points (y, p) and the per-bin reliability data (MORE ``calibration_error``).

    ``reliability``: one entry per bin, ``{"lower", "upper", "count", "mean_p", "mean_y"}`` (means None
    for an empty bin). Bin k holds ``lower < p <= upper`` (the first bin also p == 0).
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_prob, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"y_true and y_prob differ in shape: {y.shape} vs {p.shape}")
    if p.size == 0:
        return {"ECE": None, "ACE": None, "MCE": None, "reliability": []}
    edges = bin_edges(p, n_bins, strategy)
    ids = np.searchsorted(edges[1:-1], p)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    trues = np.bincount(ids, weights=y, minlength=n_bins)
    totals = np.bincount(ids, minlength=n_bins)
    nonzero = totals != 0
    gaps = np.abs(sums[nonzero] - trues[nonzero]) / totals[nonzero]
    reliability = [
        {
            "lower": float(edges[k]),
            "upper": float(edges[k + 1]),
            "count": int(totals[k]),
            "mean_p": float(sums[k] / totals[k]) if totals[k] else None,
            "mean_y": float(trues[k] / totals[k]) if totals[k] else None,
        }
        for k in range(n_bins)
    ]
    return {
        "ECE": float(np.abs(sums - trues).sum() / p.size),
        "ACE": float(gaps.mean()),
        "MCE": float(gaps.max()),
        "reliability": reliability,
    }


def mean_nll(diffs: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the gold preference, ``softplus(-d / T)``, over both orientations.

    The swapped point (p' = sigmoid(-d/T), y = 0) has the same loss as the original, so this is also
    the mean over the pairs.
    """
    d = np.asarray(diffs, dtype=float) / float(temperature)
    return float(np.logaddexp(0.0, -d).mean())


def metrics_of_diffs(diffs: np.ndarray, bins: Sequence[int] = BINS, temperature: float | None = None) -> dict[str, Any]:
    """Calibration of already-filtered score differences (see ``calibration_metrics``)."""
    y, p = both_orientations(diffs, temperature)
    out: dict[str, Any] = {}
    for n in bins:
        uniform = calibration_errors(y, p, n, "uniform")
        adaptive = calibration_errors(y, p, n, "quantile")
        out[str(n)] = {**uniform, "adaptive_ECE": adaptive["ECE"]}
    return {
        "n_points": int(p.size),
        "nll": mean_nll(diffs, 1.0 if temperature is None else temperature) if len(diffs) else None,
        "bins": out,
    }


def calibration_metrics(
    records: Iterable[Mapping[str, Any]],
    *,
    bins: Sequence[int] = BINS,
    temperature: float | None = None,
    include_ties: bool = False,
) -> dict[str, Any]:
    """Calibration of the pair records (kind "pair"; other kinds are ignored and counted).

    ``include_ties=True`` keeps tied pairs as two points at 0.5, as MORE does.

    Returns ``{"n_pairs", "ties_excluded", "non_finite_excluded", "other_kinds", "temperature",
    "n_points", "nll", "bins": {"5": {"ECE", "ACE", "MCE", "adaptive_ECE", "reliability"}, ...}}``.
    """
    diffs, _, counts = pair_differences(records, include_ties)
    return {
        "n_pairs": counts["used"],
        "ties_excluded": counts["ties_excluded"],
        "non_finite_excluded": counts["non_finite_excluded"],
        "other_kinds": counts["other_kinds"],
        "temperature": None if temperature is None else float(temperature),
        **metrics_of_diffs(diffs, bins, temperature),
    }


def _fit(diffs: np.ndarray) -> tuple[float, bool]:
    """(T minimising the mean NLL of sigmoid(d / T), whether T was clipped to the search range).

    The NLL is convex in b = 1/T, with derivative ``mean(-d * sigmoid(-b d))``: its root is found by
    Brent's method. No finite root exists when every pair is right (the NLL falls as T -> 0) or when the
    model is wrong on average (mean d <= 0: best at T -> inf); T is then the range's edge.
    """
    from scipy.optimize import brentq

    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        raise ValueError("cannot fit a temperature: no non-tied pair with finite scores")
    scale = float(np.median(np.abs(d)))
    lo, hi = T_RANGE[0] * scale, T_RANGE[1] * scale
    if bool((d > 0).all()):
        return lo, True
    if float(d.mean()) <= 0:
        return hi, True

    def grad(b: float) -> float:
        return float(np.mean(-d * sigmoid(-b * d)))

    b_hi = 1.0 / scale
    while grad(b_hi) <= 0:  # ends: some d < 0 makes the gradient positive for large b
        b_hi *= 2.0
    t = 1.0 / float(brentq(grad, 0.0, b_hi, xtol=1e-300, rtol=1e-14, maxiter=500))
    return min(max(t, lo), hi), not lo <= t <= hi


def fit_temperature(records_fit: Iterable[Mapping[str, Any]]) -> float:
    """The temperature T > 0 minimising the NLL of ``sigmoid((chosen - rejected) / T)`` (both orientations).

    T is searched in [1e-4, 1e4] x median |chosen - rejected|. If every pair is ordered correctly the
    NLL keeps falling as T -> 0 and T is the lower edge (if the model is wrong on average, the upper
    edge); ``calibration_report`` flags that as ``temperature_at_bound``.
    """
    diffs, _, _ = pair_differences(records_fit)
    return _fit(diffs)[0]


def _split_key(seed: int, item_id: str) -> str:
    return hashlib.sha256(f"{int(seed)}:{item_id}".encode()).hexdigest()


def calibrate_split(records: Sequence[Mapping[str, Any]], seed: int) -> tuple[list[str], list[str]]:
    """Deterministic 50/50 split of the usable pairs' ids into (fit ids, eval ids).

    The usable pairs (as ``pair_differences``: ties and non-finite scores are in neither half) are
    ordered by sha256(f"{seed}:{id}"); the first half (n // 2) fits, the rest evaluates. Both lists keep
    the records' order. The split depends only on the seed and the set of usable ids.
    """
    _, ids, _ = pair_differences(records)
    if len(set(ids)) != len(ids):
        raise ValueError("pair records with duplicate ids cannot be split by id")
    ranked = sorted(ids, key=lambda i: (_split_key(seed, i), i))
    fit = set(ranked[: len(ranked) // 2])
    return [i for i in ids if i in fit], [i for i in ids if i not in fit]


def calibration_report(records: Sequence[Mapping[str, Any]], seed: int, calibrate: bool) -> dict[str, Any]:
    """``{"raw": calibration on all pairs}`` plus, when ``calibrate``, the temperature-scaled result.

    ``calibrated``: T fitted on the fit half, then on the eval half only ``eval_raw`` (T = 1) and
    ``eval_calibrated`` (T fitted), so the two are compared on the same pairs and none of the pairs
    that chose T. With fewer than 2 usable pairs, ``calibrated`` says why it was not computed.
    """
    out: dict[str, Any] = {"raw": calibration_metrics(records)}
    if not calibrate:
        return out
    fit_ids, eval_ids = calibrate_split(records, seed)
    if not fit_ids or not eval_ids:
        out["calibrated"] = {"skipped": "temperature scaling needs at least 2 non-tied pairs with finite scores"}
        return out
    fit_set, eval_set = set(fit_ids), set(eval_ids)
    fit_recs = [r for r in records if _is_pair(r) and str(r.get("id")) in fit_set]
    eval_recs = [r for r in records if _is_pair(r) and str(r.get("id")) in eval_set]
    fit_diffs, _, _ = pair_differences(fit_recs)
    t, at_bound = _fit(fit_diffs)
    out["calibrated"] = {
        "method": "temperature scaling: T minimises the NLL of sigmoid((chosen - rejected) / T) on the fit half",
        "seed": int(seed),
        "n_fit": len(fit_ids),
        "n_eval": len(eval_ids),
        "temperature": t,
        "temperature_at_bound": at_bound,
        "fit_nll": {"raw": mean_nll(fit_diffs, 1.0), "calibrated": mean_nll(fit_diffs, t)},
        "eval_raw": calibration_metrics(eval_recs),
        "eval_calibrated": calibration_metrics(eval_recs, temperature=t),
    }
    return out
