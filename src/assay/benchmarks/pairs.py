"""Generic outcomes and aggregations for user data (pairs or candidate lists) and shared helpers.

Outcomes are recomputed from a record's scores and inputs only (``assay rescore`` relies on it):
pairs by the strict ``chosen > rejected`` rule, candidates by one of the three published best-of-N
rules (``rb2``, ``rmb``, ``long``; see ``assay.metrics.bestofn``). Aggregation: ``overall`` is the
item-level (micro) mean credit with a bootstrap CI stratified by subset; ``subsets`` are per-subset
means; ``extra.macro`` is the unweighted mean of the subset means. There are no sections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from assay.benchmarks.registry import Record
from assay.data.fields import get_int, get_str
from assay.data.rows import Row
from assay.metrics.bestofn import long_rank_credit, rb2_credit, rmb_bon
from assay.metrics.bootstrap import mean_ci, stratified_cis
from assay.metrics.pairwise import pair_outcome

RULES = ("rb2", "rmb", "long")
Outcome = dict[str, Any]


def row_id(row: Row, field: str = "id") -> str:
    """A sample id from an int or string id column (benchmarks ship either), as a string."""
    row.check()
    raw = row.data.get(field)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and raw == raw and raw.is_integer():
        return str(get_int(row, field))
    return get_str(row, field)


def pairs_outcome(record: Record) -> Outcome:
    """Pair outcome from ``record["scores"] = {"chosen": x, "rejected": y}``: strict ``>``, ties wrong.
    A generative judge's record (``judgements`` instead of scores) gets RewardBench's generative rule."""
    if "judgements" in record:
        from assay.protocols.judge_pairwise import judge_outcome

        return judge_outcome(record)
    s = record["scores"]
    return pair_outcome(s["chosen"], s["rejected"])


def candidates_outcome(record: Record, rule: str = "rb2") -> Outcome:
    """Best-of-N outcome of ``record["scores"]`` (input order) under ``rule``.

    ``rb2`` and ``rmb`` use ``record["best"]`` (indices of the correct response(s)); ``long`` uses
    ``record["ranking"]`` (true rank per response, 1 = best).
    """
    scores = record["scores"]
    if rule == "rb2":
        return rb2_credit(scores, list(record["best"]))
    if rule == "rmb":
        return rmb_bon(scores, list(record["best"]))
    if rule == "long":
        ranking = record.get("ranking")
        if ranking is None:
            raise ValueError(f"item {record.get('id')}: rule 'long' needs a ranking (true rank per response)")
        return long_rank_credit(scores, ranking)
    raise ValueError(f"unknown best-of-N rule {rule!r}; use one of {', '.join(RULES)}")


def mixed_outcome(record: Record) -> Outcome:
    """Pairs by the strict rule, candidate lists by the RewardBench 2 tie-credit rule."""
    return pairs_outcome(record) if record["kind"] == "pair" else candidates_outcome(record, "rb2")


def outcomes_by_subset(
    records: Sequence[Record], outcome: Callable[[Record], Outcome]
) -> dict[str, list[tuple[Record, Outcome]]]:
    """Records paired with their recomputed outcomes, grouped by subset in first-seen order."""
    groups: dict[str, list[tuple[Record, Outcome]]] = {}
    for rec in records:
        groups.setdefault(str(rec.get("subset", "")), []).append((rec, outcome(rec)))
    return groups


def subset_metrics(credits: Mapping[str, np.ndarray], seed: int, n_boot: int) -> dict[str, dict[str, Any]]:
    """Mean credit and bootstrap CI per subset (each subset with its own seeded stream)."""
    return {name: mean_ci(v, seed, n_boot, key=f"subset:{name}") for name, v in credits.items()}


def micro_mean(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
    """Item-level mean over all groups of resampled 1-D groups: shape (n_boot,)."""
    total = sum(a.shape[1] for a in sampled.values())
    return sum(a.sum(axis=1) for a in sampled.values()) / total  # type: ignore[return-value]


def macro_mean(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
    """Unweighted mean of the per-group means: shape (n_boot,)."""
    means = [a.mean(axis=1) for a in sampled.values() if a.shape[1]]
    return sum(means) / len(means)  # type: ignore[return-value]


def credit_aggregate(
    records: Sequence[Record],
    seed: int,
    n_boot: int,
    outcome: Callable[[Record], Outcome],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metrics of per-item credits: micro overall (stratified CI), subsets, macro in ``extra``."""
    if not records:
        raise ValueError("no records to aggregate")
    groups = outcomes_by_subset(records, outcome)
    credits = {name: np.array([o["credit"] for _, o in items], dtype=float) for name, items in groups.items()}
    ties = sum(1 for items in groups.values() for _, o in items if o.get("tie"))
    agg = stratified_cis(credits, {"overall": micro_mean, "macro": macro_mean}, seed, n_boot, key="aggregate")
    return {
        "overall": agg["overall"],
        "sections": {},
        "subsets": subset_metrics(credits, seed, n_boot),
        "counts": {"items": len(records), "ties": ties},
        "extra": {"macro": agg["macro"], **(extra or {})},
    }


def pairs_aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """Accuracy over user pairs (ties wrong): overall and per subset."""
    return credit_aggregate(records, seed, n_boot, pairs_outcome, {"rule": "pair: chosen > rejected"})


def candidates_aggregate(records: Sequence[Record], seed: int, n_boot: int, rule: str = "rb2") -> dict[str, Any]:
    """Mean best-of-N credit over user candidate lists under ``rule`` (rb2 | rmb | long)."""
    if rule not in RULES:
        raise ValueError(f"unknown best-of-N rule {rule!r}; use one of {', '.join(RULES)}")
    return credit_aggregate(records, seed, n_boot, lambda r: candidates_outcome(r, rule), {"rule": rule})


def mixed_aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """Pairs and candidate lists together (pairs strict, candidates RewardBench 2 rule)."""
    return credit_aggregate(records, seed, n_boot, mixed_outcome, {"rule": "pairs strict; candidates rb2"})
