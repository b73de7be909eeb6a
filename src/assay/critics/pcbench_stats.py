"""PCBench statistics from per-problem records (see ``assay.benchmarks.pcbench`` for the definitions).

``statistics(records)`` returns the released ``<model>_eval_statistics.json`` fields for one group of
problems; ``aggregate`` adds the same per difficulty, per error type and per (type, difficulty), and seeded
bootstrap CIs for the headline rates and efficiencies. A record needs ``active.found``, ``passive.found``
(True / False / None = invalid judgement), ``normal.correct`` (True / False / None), ``lengths`` {normal,
ill, ill_with_hint} and optionally ``conflict_type`` / ``difficulty``; ``active.empty_answer`` /
``passive.empty_answer`` mark a flawed-query answer that was empty and so never judged.

Empty answers: the authors' statistics (kept as they are: they reproduce the release) leave every item
without two parsed judgements out. An empty answer is counted apart (``counts.empty_answer``, items with
one) from a judge reply that does not parse (``counts.judge_invalid``), and ``extra.rates`` adds
``*_recognition_rate_empty_as_not_found``: an empty answer counted as a premise *not* found, over the
items whose judgements are then all known (a model that answers nothing is not rewarded by exclusion).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from assay.metrics.bootstrap import mean_ci, stratified_cis

Record = dict[str, Any]
FSC = "flawed_solution_completion"
IQD = "irr_query_distraction"
TYPE_ORDER = ("contra_infer_insert", "contra_premise_insert", FSC, IQD)
DIFFICULTY_ORDER = ("normal", "medium", "hard")


def _empty(record: Record, key: str) -> bool:
    """Whether the answer judged under ``key`` (active: ill, passive: ill_with_hint) was empty."""
    if "empty_answer" in record[key]:
        return bool(record[key]["empty_answer"])
    variant = "ill" if key == "active" else "ill_with_hint"
    answer = (record.get("answers") or {}).get(variant, {}).get("answer")
    return answer is not None and not answer  # run records before the flag; released rows: judged


def outcome(record: Record) -> dict[str, Any]:
    """Per problem: validity (both flawed-query judgements parse), the judged successes, and why an
    item is invalid (an empty answer, never judged, or a judge reply that does not parse)."""
    active, passive = record["active"].get("found"), record["passive"].get("found")
    correct = record.get("normal", {}).get("correct")
    empty = {k: _empty(record, k) for k in ("active", "passive")}
    ae = 0 if empty["active"] else active  # an empty answer counted as "not found"
    pe = 0 if empty["passive"] else passive
    return {
        "valid": active is not None and passive is not None,
        "active": None if active is None else int(active),
        "passive": None if passive is None else int(passive),
        "normal_correct": None if correct is None else int(correct),
        "empty_answer": any(empty.values()),
        "judge_invalid": any(f is None and not empty[k] for k, f in (("active", active), ("passive", passive))),
        "active_empty_as_not_found": None if ae is None else int(ae),
        "passive_empty_as_not_found": None if pe is None else int(pe),
    }


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _rate(count: int, n: int) -> float | None:
    return count / n if n else None


def statistics(records: Sequence[Record]) -> dict[str, Any]:
    """The released per-group statistics (same field names); null where a denominator is empty."""
    outs = [r.get("outcome") or outcome(r) for r in records]
    valid = [(r, o) for r, o in zip(records, outs, strict=True) if o["valid"]]
    invalid = [str(r["id"]) for r, o in zip(records, outs, strict=True) if not o["valid"]]
    types_known = all(r.get("conflict_type") for r in records)
    act = [(r, o) for r, o in valid if o["active"]]
    pas = [(r, o) for r, o in valid if o["passive"]]

    def lens(pairs: Sequence[tuple[Record, Any]], variant: str) -> float | None:
        return _mean([r["lengths"][variant] for r, _ in pairs])

    out: dict[str, Any] = {
        "active_recognition_count": len(act),
        "passive_recognition_count": len(pas),
        "active_recognition_rate": _rate(len(act), len(valid)),
        "passive_recognition_rate": _rate(len(pas), len(valid)),
    }
    if types_known:
        nofsc = [o for r, o in valid if r["conflict_type"] != FSC]
        normal = [o for r, o in valid if r["conflict_type"] != IQD and o["normal_correct"] is not None]
        n_ok = sum(o["active"] for o in nofsc)
        n_correct = sum(o["normal_correct"] for o in normal)
        out.update(
            active_recognition_count_no_fsc=n_ok,
            active_recognition_applicable_count_no_fsc=len(nofsc),
            active_recognition_rate_no_fsc=_rate(n_ok, len(nofsc)),
            normal_correctness_count=n_correct,
            normal_correctness_rate=_rate(n_correct, len(normal)),
            normal_correctness_applicable_count=len(normal),
        )
    else:  # needs the error type of every problem (the problem file, --data)
        for k in ("active_recognition_count_no_fsc", "active_recognition_applicable_count_no_fsc"):
            out[k] = None
        out.update(
            active_recognition_rate_no_fsc=None,
            normal_correctness_count=None,
            normal_correctness_rate=None,
            normal_correctness_applicable_count=None,
        )
    out.update(
        normal_answer_avg_len_overall=lens(valid, "normal"),
        ill_answer_avg_len_overall=lens(valid, "ill"),
        ill_with_hint_answer_avg_len_overall=lens(valid, "ill_with_hint"),
        normal_answer_avg_len_active_success=lens(act, "normal"),
        ill_answer_avg_len_active_success=lens(act, "ill"),
        normal_answer_avg_len_passive_success=lens(pas, "normal"),
        ill_with_hint_answer_avg_len_passive_success=lens(pas, "ill_with_hint"),
    )
    out.update(
        active_criticism_efficiency_overall=_ratio(
            out["ill_answer_avg_len_overall"], out["normal_answer_avg_len_overall"]
        ),
        passive_criticism_efficiency_overall=_ratio(
            out["ill_with_hint_answer_avg_len_overall"], out["normal_answer_avg_len_overall"]
        ),
        active_criticism_efficiency_on_success=_ratio(
            out["ill_answer_avg_len_active_success"], out["normal_answer_avg_len_active_success"]
        ),
        passive_criticism_efficiency_on_success=_ratio(
            out["ill_with_hint_answer_avg_len_passive_success"], out["normal_answer_avg_len_passive_success"]
        ),
        active_success_count=len(act),
        passive_success_count=len(pas),
        total_evaluated=len(records),
        valid_for_metrics=len(valid),
        invalid_format_count=len(invalid),
        invalid_format_pids=invalid,
    )
    return out


def _ordered(keys: set[str], order: Sequence[str]) -> list[str]:
    return [k for k in order if k in keys] + sorted(keys - set(order))


def _groups(records: Sequence[Record], key: Callable[[Record], str | None], order: Sequence[str]) -> dict:
    by: dict[str, list[Record]] = {}
    for r in records:
        k = key(r)
        if k:
            by.setdefault(k, []).append(r)
    return {k: by[k] for k in _ordered(set(by), order)}


def _ratio_stat(num: int, den: int) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
    def stat(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
        a = sampled["items"]  # (B, n, k)
        d = a[:, :, den].mean(axis=1)
        return np.where(d > 0, a[:, :, num].mean(axis=1) / np.where(d > 0, d, 1), np.nan)

    return stat


def _efficiency_cis(valid: Sequence[Record], outs: Sequence[Mapping[str, Any]], seed: int, n_boot: int) -> dict:
    """Bootstrap CIs of the four efficiencies: items resampled, ratio of means recomputed per replicate.
    Columns: normal, ill, hint lengths, then the same masked to active / passive successes."""
    if not valid:
        return {}
    rows = []
    for r, o in zip(valid, outs, strict=True):
        n, i, h = (float(r["lengths"][v]) for v in ("normal", "ill", "ill_with_hint"))
        a, p = float(o["active"]), float(o["passive"])
        rows.append([n, i, h, n * a, i * a, n * p, h * p])
    stats = {
        "active_criticism_efficiency_overall": _ratio_stat(1, 0),
        "passive_criticism_efficiency_overall": _ratio_stat(2, 0),
        "active_criticism_efficiency_on_success": _ratio_stat(4, 3),
        "passive_criticism_efficiency_on_success": _ratio_stat(6, 5),
    }
    cis = stratified_cis({"items": np.array(rows)}, stats, seed, n_boot, key="pcbench:efficiency")
    return {k: None if np.isnan(v["value"]) else v for k, v in cis.items()}


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    recs = [r if "outcome" in r else {**r, "outcome": outcome(r)} for r in records]
    valid = [r for r in recs if r["outcome"]["valid"]]
    outs = [r["outcome"] for r in valid]
    by_type = _groups(recs, lambda r: r.get("conflict_type"), TYPE_ORDER)
    by_diff = _groups(recs, lambda r: r.get("difficulty"), DIFFICULTY_ORDER)
    stats: dict[str, Any] = {
        "overall_statistics": statistics(recs),
        "statistics_by_difficulty": {k: statistics(v) for k, v in by_diff.items()},
        "statistics_by_conflict_type": {k: statistics(v) for k, v in by_type.items()},
        "statistics_by_conflict_type_and_difficulty": {
            t: {d: statistics(v) for d, v in _groups(rs, lambda r: r.get("difficulty"), DIFFICULTY_ORDER).items()}
            for t, rs in by_type.items()
        },
    }
    active = mean_ci([o["active"] for o in outs], seed, n_boot, key="pcbench:active")
    rates: dict[str, Any] = {
        "active_recognition_rate": active,
        "passive_recognition_rate": mean_ci([o["passive"] for o in outs], seed, n_boot, key="pcbench:passive"),
    }
    known = ("active_empty_as_not_found", "passive_empty_as_not_found")
    outs_e = [r["outcome"] for r in recs if all(r["outcome"].get(k) is not None for k in known)]
    for k in ("active", "passive"):
        rates[f"{k}_recognition_rate_empty_as_not_found"] = mean_ci(
            [o[f"{k}_empty_as_not_found"] for o in outs_e], seed, n_boot, key=f"pcbench:{k}_empty"
        )
    if all(r.get("conflict_type") for r in recs):
        nofsc = [r["outcome"]["active"] for r in valid if r["conflict_type"] != FSC]
        rates["active_recognition_rate_no_fsc"] = mean_ci(nofsc, seed, n_boot, key="pcbench:active_no_fsc")
    overall = stats["overall_statistics"]
    for k, ci in _efficiency_cis(valid, outs, seed, n_boot).items():  # the exact ratio as the point value
        rates[k] = None if ci is None else {**ci, "value": overall[k]}
    subsets = {
        t: mean_ci([r["outcome"]["active"] for r in rs if r["outcome"]["valid"]], seed, n_boot, key=f"pcbench:{t}")
        for t, rs in (by_type or {"all": recs}).items()
    }
    return {
        "overall": active,
        "sections": {},
        "subsets": subsets,
        "counts": {
            "problems": len(recs),
            "valid_for_metrics": len(valid),
            "invalid_format": len(recs) - len(valid),
            "empty_answer": sum(1 for r in recs if r["outcome"].get("empty_answer")),
            "judge_invalid": sum(1 for r in recs if r["outcome"].get("judge_invalid")),
            "normal_judged": sum(1 for r in recs if r["outcome"]["normal_correct"] is not None),
        },
        "extra": {"rates": rates, "statistics": stats, "models": sorted({str(r.get("model")) for r in recs})},
    }
