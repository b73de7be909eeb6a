"""ProcessBench with a process reward model (``prm:`` specs): step scores, the first-error rule, thresholds.

One forward pass gives a score per step (``assay.models.prm``); the prediction is the first step whose
score is below ``threshold`` (-1 if none). QwenLM/ProcessBench ``code/run_eval_prm_trl.py`` takes the
argmax of a 2-class head (``find_first_zero``), i.e. threshold 0.5 on the positive probability (the
default; argmax also flags an exact 0.5, the strict ``<`` here does not). ``threshold=auto`` (assay's
addition) picks the threshold maximising the mean subset F1 on a seeded half of the items
(``sha256(f"{seed}:{id}")`` even, ``assay.models.prm.tune_split``) and reports the metrics on the other half.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.benchmarks.registry import Record
from assay.critics.process_metrics import f1_of, is_match
from assay.critics.processbench_data import KIND_PRM, item_fields
from assay.models.prm import choose_threshold, first_below, tune_split
from assay.samples import Item


def run_prm(items: list[Item], ctx: Any, threshold: str) -> list[Record]:
    """One record per item with its step scores (None, with the reason, when the model could not score it)."""
    from assay.models.prm import PRMBackend, cached_step_scores
    from assay.models.spec import load_backend

    backend = load_backend(ctx.spec, cache_dir=ctx.cache_dir)
    if not isinstance(backend, PRMBackend):
        raise TypeError(f"{ctx.spec}: not a process reward model backend")
    results = cached_step_scores(backend, [(s.data["problem"], list(s.data["steps"])) for s in items], ctx.cache)
    records = []
    for s, r in zip(items, results, strict=True):
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND_PRM,
                **item_fields(s),
                "numbering": 0,
                "threshold": threshold,
                "step_scores": None if r.scores is None else list(r.scores),
                "n_tokens": r.n_tokens,
                "valid": r.scores is not None,
                "invalid_reason": r.error,
            }
        )
    return records


def _predict(scores: Sequence[float] | None, threshold: float, label: int) -> dict[str, Any]:
    pred = None if scores is None else first_below(scores, threshold)
    return {"prediction": pred, "match": is_match(pred, label), "valid": pred is not None}


def prm_outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The fixed-threshold prediction; with ``threshold=auto`` it depends on the other items (aggregate)."""
    scores = rec.get("step_scores")
    if rec.get("threshold") == "auto":
        return {"prediction": None, "match": None, "valid": scores is not None, "threshold": "auto"}
    return _predict(scores, float(rec["threshold"]), int(rec["label"]))


def auto_threshold(records: Sequence[Record], seed: int) -> tuple[list[tuple[Record, dict[str, Any]]], dict[str, Any]]:
    """(record, outcome) pairs of the evaluation half at the threshold tuned on the other half, and its report."""
    by_subset: dict[str, list[tuple[Any, int]]] = {}
    for r in records:
        if tune_split(seed, str(r["id"])):
            by_subset.setdefault(str(r["subset"]), []).append((r["step_scores"], int(r["label"])))
    chosen = choose_threshold(by_subset, f1_of)
    t = chosen["value"]
    pairs = [(r, _predict(r["step_scores"], t, int(r["label"]))) for r in records if not tune_split(seed, str(r["id"]))]
    if not pairs:
        raise ValueError("threshold=auto: no items in the evaluation half")
    report = {
        "mode": "auto",
        **chosen,
        "split": f"tuned on items with sha256('{seed}:<id>') even, reported on the rest",
        "eval_n": len(pairs),
    }
    return pairs, report
