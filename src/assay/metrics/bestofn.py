"""The three published best-of-N rules. Each returns an outcome dict with at least ``credit`` (float in
[0, 1]) and ``tie`` (bool: tied scores decided or split the credit).

* ``rb2_credit``: RewardBench 2 (allenai/reward-bench ``rewardbench/utils.py``,
  ``reroll_and_score_dataset``): ``max_val = np.max(scores)``;
  ``results = 1 / np.sum(scores == max_val) if scores[0] == max_val else 0``. The correct response
  (index 0 in RewardBench 2) earns 1/k when it is among the k responses tied for the top score.
* ``rmb_bon``: RMB (Zhou et al. 2024, "RMB: Comprehensively Benchmarking Reward Models in LLM
  Alignment"; BoN as re-implemented in RM-R1-UIUC/RM-R1 ``eval/RMB-Reward-Model-Benchmark/eval/
  scripts/run_rm_bestofn.py``): the item is correct only if the best response beats *every* other
  one strictly (each (best, loser) pair is ``chosen > rejected``; one loss or tie fails the item).
* ``long_rank_credit``: Long-RewardBench (LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench``:
  ``utils/prompt.py`` ``extract_judgement(..., is_disrm=True)`` and ``evaluator.py``
  ``compare_shuffled``): responses are sorted by score, descending, with Python's stable sort; each
  response's predicted 0-based rank is compared with its true rank; credit = the fraction of
  responses whose predicted rank equals the true rank.

Ties in Long-RewardBench: the original sorts the responses *in a randomly shuffled presentation
order* (``random.shuffle(order)`` in ``preprocess.py``), so a tie is broken by that random order.
assay's default ``ties="expected"`` gives the expected credit over that random order: a group of k
tied responses occupying predicted ranks a..a+k-1 gives each member credit 1/k if its true rank lies in
that range (exact, no randomness; equal to the original whenever no scores tie). ``ties="stable"``
breaks ties by input order exactly as the stable sort does on the order given (this favours whichever
response is listed first, e.g. the best one when files list responses best-first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np


def _scores(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=float).ravel()
    if s.size == 0:
        raise ValueError("no scores")
    return s


def _indices(best_idx: int | Sequence[int], n: int) -> list[int]:
    idx = [int(best_idx)] if isinstance(best_idx, int | np.integer) else [int(i) for i in best_idx]
    if not idx:
        raise ValueError("no best index given")
    for i in idx:
        if not 0 <= i < n:
            raise ValueError(f"best index {i} out of range for {n} responses")
    return idx


def rb2_credit(scores: Sequence[float] | np.ndarray, best_idx: int | Sequence[int] = 0) -> dict[str, Any]:
    """RewardBench 2 best-of-N credit: 1/k if the correct response is among the k top-tied, else 0.

    ``best_idx`` is the correct response (RewardBench 2 always passes 0, the first ``chosen``). Given
    several correct indices (user files), the credit generalises to |top ∩ best| / |top|: the chance
    that a uniformly random pick among the top-tied responses is a correct one. A NaN score makes the
    maximum NaN, so the item gets 0, as ``np.max`` does in the original.
    """
    s = _scores(scores)
    best = _indices(best_idx, s.size)
    max_val = np.max(s)
    top = s == max_val
    k = int(top.sum())
    hits = sum(1 for i in set(best) if top[i])
    credit = hits / k if k else 0.0
    return {"credit": float(credit), "tie": bool(k > 1 and hits > 0), "n_top": k}


def rmb_bon(scores: Sequence[float] | np.ndarray, best_idx: int | Sequence[int] = 0) -> dict[str, Any]:
    """RMB best-of-N: 1 if the best response scores strictly above every other response, else 0.

    With several best indices every one of them must beat every other response. ``tie`` is set when
    the best response(s) would have won but for a tie with another response's score.
    """
    s = _scores(scores)
    best = sorted(set(_indices(best_idx, s.size)))
    others = np.delete(s, best)
    if others.size == 0:
        return {"credit": 1.0, "tie": False}
    low = float(np.min(s[best]))
    high = float(np.max(others))
    credit = 1.0 if low > high else 0.0
    return {"credit": credit, "tie": bool(low == high)}


def predicted_ranks(scores: Sequence[float] | np.ndarray) -> list[int]:
    """0-based predicted rank per response: stable sort by score descending (NaN sorts last)."""
    s = _scores(scores)
    key = [(-math.inf if math.isnan(v) else v) for v in s.tolist()]
    order = sorted(range(len(key)), key=lambda i: key[i], reverse=True)  # stable, like the original
    ranks = [0] * len(key)
    for pos, i in enumerate(order):
        ranks[i] = pos
    return ranks


def long_rank_credit(
    scores: Sequence[float] | np.ndarray,
    ranking: Sequence[int],
    *,
    ties: Literal["expected", "stable"] = "expected",
) -> dict[str, Any]:
    """Long-RewardBench rank credit: fraction of responses whose predicted rank equals the true rank.

    ``ranking`` is the true rank per response, 1 = best (assay's ``Candidates.ranking`` convention).
    Returns ``credit``, ``tie`` (some scores are equal) and ``pred_rank`` (1-based, stable order).
    """
    s = _scores(scores)
    true = [int(r) - 1 for r in ranking]
    if len(true) != s.size:
        raise ValueError(f"ranking has {len(true)} entries for {s.size} scores")
    if sorted(true) != list(range(s.size)):
        raise ValueError(f"ranking must be a permutation of 1..{s.size}, got {list(ranking)}")
    pred = predicted_ranks(s)
    key = np.where(np.isnan(s), -np.inf, s)
    has_tie = len(set(key.tolist())) < s.size
    if ties == "stable" or not has_tie:
        hits = [1.0 if p == t else 0.0 for p, t in zip(pred, true, strict=True)]
    elif ties == "expected":
        hits = []
        for i in range(s.size):
            group = [j for j in range(s.size) if key[j] == key[i]]
            lo = min(pred[j] for j in group)
            hi = lo + len(group) - 1
            hits.append(1.0 / len(group) if lo <= true[i] <= hi else 0.0)
    else:
        raise ValueError(f"unknown ties policy {ties!r}; use 'expected' or 'stable'")
    return {"credit": float(sum(hits) / s.size), "tie": bool(has_tie), "pred_rank": [p + 1 for p in pred]}
