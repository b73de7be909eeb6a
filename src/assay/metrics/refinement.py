"""Refinement metrics of a critic + actor pair: did the critique lead to a correct final answer?

Two papers define the closed-loop numbers; both are here as plain functions of per-item booleans:

* Critique-RL (Xi et al. 2025, arXiv:2510.24320), WooooDyy/Critique-RL ``RL/Critique-RL/test_filter.py``
  ``calculate_x2x`` and ``calculate_discrimination_relevance``, over N items (original response ``o``,
  refined response ``r``, both graded correct/incorrect):

  - Acc = #r correct / N (``pass_at_k`` with one refinement per item)
  - delta = (#r correct - #o correct) / N
  - delta_c2i = #(o correct, r incorrect) / N; delta_i2c = #(o incorrect, r correct) / N
    (``accuracy_filter`` divides every count by the dataset size)
  - discriminability = #(critic's verdict == o's correctness) / #(critiques with a parsed verdict);
    a critique without a verdict is left out (``continue``), and disc_c / disc_i are the same ratio on
    the originally correct / incorrect items with a verdict.

* RealCritic (Tang et al. 2025, arXiv:2501.14492), tangzhy/RealCritic ``evaluate.py`` ``evaluate``
  ``critic_information``: counts c->c, c->i, i->c, i->i and their ratios *conditional* on the original
  correctness (c->i ratio = #(c->i) / #originally correct). Upstream prints percentages; here they are
  fractions. With an empty denominator (no item originally correct, or none incorrect) upstream prints 0;
  here the ratio is NaN with ``ratio_n`` 0 (nothing was measured), and ``empty_ratio=0.0`` restores
  upstream's 0 (e.g. to match its printed numbers: its output rows lose ``previous_score``, so every
  item counts as originally incorrect and the c->* ratios print 0).

Every rate comes with a seeded percentile-bootstrap CI over items (``assay.metrics.bootstrap.mean_ci``):
each rate is the mean of a per-item value (``r``, ``r - o``, ``o and not r``, ...), so the item bootstrap
is exact for the point estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assay.metrics.bootstrap import Metric, mean_ci, metric


def _bools(xs: Sequence[bool]) -> np.ndarray:
    return np.asarray([bool(x) for x in xs], dtype=bool)


def _check(original: Sequence[bool], refined: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    if len(original) != len(refined):
        raise ValueError(f"{len(original)} original outcomes but {len(refined)} refined ones")
    return _bools(original), _bools(refined)


def accuracy(refined: Sequence[bool]) -> float:
    """Acc: share of refined answers that are correct (NaN for no items)."""
    r = _bools(refined)
    return float(r.mean()) if r.size else float("nan")


def delta(original: Sequence[bool], refined: Sequence[bool]) -> float:
    """(#refined correct - #original correct) / N."""
    o, r = _check(original, refined)
    return float((r.astype(int) - o.astype(int)).mean()) if o.size else float("nan")


def delta_c2i(original: Sequence[bool], refined: Sequence[bool]) -> float:
    """#(correct -> incorrect) / N: correct answers the critique broke."""
    o, r = _check(original, refined)
    return float((o & ~r).mean()) if o.size else float("nan")


def delta_i2c(original: Sequence[bool], refined: Sequence[bool]) -> float:
    """#(incorrect -> correct) / N: wrong answers the critique fixed."""
    o, r = _check(original, refined)
    return float((~o & r).mean()) if o.size else float("nan")


def discriminability(verdict_correct: Sequence[bool | None]) -> float:
    """#(verdict matches the original's correctness) / #(parsed verdicts); None = no verdict, left out."""
    parsed = [bool(v) for v in verdict_correct if v is not None]
    return float(np.mean(parsed)) if parsed else float("nan")


def transitions(
    original: Sequence[bool], refined: Sequence[bool], *, empty_ratio: float = float("nan")
) -> dict[str, Any]:
    """RealCritic ``critic_information``: the four counts and their ratios given the original outcome.

    A ratio whose denominator is empty is ``empty_ratio`` (NaN by default; upstream's 0 with 0.0), its
    ``ratio_n`` (the denominator) 0."""
    o, r = _check(original, refined)
    n_c, n_i = int(o.sum()), int((~o).sum())
    counts = {
        "c->c": int((o & r).sum()),
        "c->i": int((o & ~r).sum()),
        "i->c": int((~o & r).sum()),
        "i->i": int((~o & ~r).sum()),
    }
    ratio_n = {"c->c": n_c, "c->i": n_c, "i->c": n_i, "i->i": n_i}
    ratios = {k: counts[k] / ratio_n[k] if ratio_n[k] else float(empty_ratio) for k in counts}
    return {
        "n": len(o),
        "originally_correct": n_c,
        "originally_incorrect": n_i,
        "counts": counts,
        "ratios": ratios,
        "ratio_n": ratio_n,
    }


def _ci(values: np.ndarray, seed: int, n_boot: int, key: str) -> Metric:
    if values.size == 0:
        return metric(float("nan"), (float("nan"), float("nan")), 0)
    return mean_ci(values.astype(float), seed, n_boot, key=key)


def refinement_metrics(
    original: Sequence[bool],
    refined: Sequence[bool],
    verdict_correct: Sequence[bool | None] | None = None,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    key: str = "refinement",
    empty_ratio: float = float("nan"),
) -> dict[str, Any]:
    """Critique-RL's Acc, delta, delta_c2i, delta_i2c and discriminability (+ disc_c, disc_i), each
    ``{"value", "ci", "n"}``, and RealCritic's transition counts and conditional ratios (``empty_ratio``:
    see ``transitions``)."""
    o, r = _check(original, refined)
    out: dict[str, Any] = {
        "acc": _ci(r, seed, n_boot, f"{key}:acc"),
        "delta": _ci(r.astype(int) - o.astype(int), seed, n_boot, f"{key}:delta"),
        "delta_c2i": _ci(o & ~r, seed, n_boot, f"{key}:delta_c2i"),
        "delta_i2c": _ci(~o & r, seed, n_boot, f"{key}:delta_i2c"),
    }
    if verdict_correct is not None:
        if len(verdict_correct) != len(o):
            raise ValueError(f"{len(verdict_correct)} verdicts for {len(o)} items")
        parsed = np.array([v is not None for v in verdict_correct], dtype=bool)
        vc = np.array([bool(v) for v in verdict_correct], dtype=bool)
        out["discriminability"] = _ci(vc[parsed], seed, n_boot, f"{key}:disc")
        out["disc_c"] = _ci(vc[parsed & o], seed, n_boot, f"{key}:disc_c")
        out["disc_i"] = _ci(vc[parsed & ~o], seed, n_boot, f"{key}:disc_i")
        out["verdicts_parsed"] = int(parsed.sum())
    out["transitions"] = transitions(o, r, empty_ratio=empty_ratio)
    return out
