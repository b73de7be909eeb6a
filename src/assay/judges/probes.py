"""Bias probes for a generative judge on preference pairs, each with a seeded bootstrap CI.

* position: every pair is asked in both placements; P(verdict = A) among valid verdicts (0.5 = no
  position preference) and the both-orders agreement.
* verbosity: the same pairs with the *rejected* answer padded by non-informative text; the change in
  the judge's credit (padded minus original, paired bootstrap): a negative shift means the judge is
  swayed toward the longer, no better answer.
* self-preference (``self_name``): on pairs whose ``meta`` says which model wrote each answer
  (``chosen_model`` / ``rejected_model``), those with exactly one answer by the judge (``self_name``):
  the rate at which the judge picks its own answer, the rate at which its own answer is in fact the
  better one (the chosen), and their paired difference (> 0: the judge favours its own generations
  beyond their quality), plus the judge's accuracy split by whether its own answer is chosen or rejected.
* self-preference (``self_generate``): when no labelled generations are given, the judge first answers
  each prompt itself (greedy, cached), then judges its answer against the chosen and against the
  rejected one (both orders). Without ground truth on its own answers this is descriptive: the rate of
  picking its own answer over each, with CIs.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assay.samples import Pair

FILLER = (
    "To restate the approach clearly, each step above follows from the previous one.",
    "This reasoning is presented in a structured and thorough way for the reader.",
    "In summary, the answer above addresses the question as asked.",
    "The explanation is intended to be complete, careful and easy to follow.",
)


def pad(text: str, seed: int, key: str, sentences: int = 3) -> str:
    """``text`` plus a deterministic run of filler sentences (no information about the answer)."""
    start = hashlib.sha256(f"{seed}:{key}".encode()).digest()[0] % len(FILLER)
    extra = " ".join(FILLER[(start + i) % len(FILLER)] for i in range(sentences))
    return f"{text}\n\n{extra}"


def _ci(values: np.ndarray, seed: int, n_boot: int) -> dict[str, Any]:
    from assay.metrics.bootstrap import mean_ci

    return mean_ci(values, seed=seed, n_boot=n_boot)


def probe(
    bench: str,
    judge: str,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    cache_dir: str | None = None,
    self_name: str | None = None,
    self_generate: bool = False,
    **load: Any,
) -> dict[str, Any]:
    """Run the probes of ``judge`` on the pairs of ``bench`` (options as for ``assay.evaluate``)."""
    from assay.benchmarks.registry import LoadOptions
    from assay.engine.cache import ScoreCache, default_cache_dir
    from assay.engine.generate import generate_requests
    from assay.metrics.compare import paired_compare
    from assay.models.gen_spec import load_generator
    from assay.models.generation import GenerateRequest, SamplingConfig
    from assay.protocols.judge_pairwise import JudgeConfig, judge_outcome, judge_record, judge_requests
    from assay.runner import RunOptions, resolve_benchmark

    opts = RunOptions(seed=seed, n_boot=n_boot, **load)
    b = resolve_benchmark(bench, opts)
    loaded = b.load(LoadOptions(data=opts.data, subsets=opts.subsets, limit=opts.limit, seed=seed))
    pairs = [s for s in loaded.samples if isinstance(s, Pair)]
    if not pairs:
        raise ValueError(f"{bench}: no pairwise items to probe")
    padded = [replace(p, rejected=pad(p.rejected, seed, p.id)) for p in pairs]
    cfg = JudgeConfig(both_orders=True, seed=seed, sampling=SamplingConfig(max_tokens=opts.max_tokens))
    backend = load_generator(judge, cache_dir=Path(cache_dir) if cache_dir else None)
    variants = {"original": pairs, "padded_rejected": padded}
    records: dict[str, list[dict[str, Any]]] = {}
    with ScoreCache(Path(cache_dir or default_cache_dir()) / "scores.sqlite") as cache:
        if self_generate:
            own_reqs = [GenerateRequest(p.prompt, SamplingConfig(max_tokens=opts.max_tokens)) for p in pairs]
            own, _ = generate_requests(backend, own_reqs, cache=cache)
            variants["own_vs_chosen"] = [
                Pair(f"{p.id}/own-vs-chosen", p.prompt, g.text, p.chosen, {**p.meta, "own": "chosen"})
                for p, g in zip(pairs, own, strict=True)
            ]
            variants["own_vs_rejected"] = [
                Pair(f"{p.id}/own-vs-rejected", p.prompt, g.text, p.rejected, {**p.meta, "own": "chosen"})
                for p, g in zip(pairs, own, strict=True)
            ]
        for name, items in variants.items():
            reqs = [judge_requests(p, cfg) for p in items]
            gens, _ = generate_requests(backend, [r for rs in reqs for r in rs], cache=cache)
            recs, pos = [], 0
            for p, rs in zip(items, reqs, strict=True):
                recs.append(judge_record(p, cfg, gens[pos : pos + len(rs)]))
                pos += len(rs)
            records[name] = recs
    orig = records["original"]
    verdicts = [j["verdict"] for r in orig for j in r["judgements"] if j["valid"] and j["verdict"] in ("A", "B")]
    says_a = np.array([v == "A" for v in verdicts], dtype=float)
    agree = np.array([judge_outcome(r).get("agree", False) for r in orig], dtype=float)
    credit = {name: {r["id"]: judge_outcome(r)["credit"] for r in recs} for name, recs in records.items()}
    shift = paired_compare(credit["padded_rejected"], credit["original"], seed=seed, n_boot=n_boot)
    invalid = sum(1 for r in orig for j in r["judgements"] if not j["valid"])
    return {
        "benchmark": b.name,
        "judge": judge,
        "items": len(pairs),
        "position": {
            "p_verdict_A": _ci(says_a, seed, n_boot) if len(says_a) else None,
            "both_orders_agreement": _ci(agree, seed, n_boot),
            "invalid_judgements": invalid,
        },
        "verbosity": {
            "padding": "three filler sentences appended to the rejected answer",
            "accuracy_original": _ci(np.array(list(credit["original"].values())), seed, n_boot),
            "accuracy_padded_rejected": _ci(np.array(list(credit["padded_rejected"].values())), seed, n_boot),
            "shift": shift,
        },
        "self_preference": _self_preference(records, pairs, self_name, seed, n_boot),
    }


def _picks(record: dict[str, Any]) -> list[bool]:
    """Per valid A/B judgement: did the judge pick the record's *chosen* response?"""
    return [
        j["verdict"] == j["chosen_label"] for j in record["judgements"] if j["valid"] and j["verdict"] in ("A", "B")
    ]


def _self_preference(
    records: dict[str, list[dict[str, Any]]], pairs: list[Pair], self_name: str | None, seed: int, n_boot: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if self_name is not None:
        own_chosen: list[float] = []
        picked_own: list[float] = []
        unjudged = 0
        for p, rec in zip(pairs, records["original"], strict=True):
            sides = (p.meta.get("chosen_model") == self_name, p.meta.get("rejected_model") == self_name)
            if sides[0] == sides[1]:  # neither or both answers by the judge: no contrast
                continue
            picks = _picks(rec)
            if not picks:
                unjudged += 1
                continue
            chosen_rate = sum(picks) / len(picks)
            own_chosen.append(1.0 if sides[0] else 0.0)
            picked_own.append(chosen_rate if sides[0] else 1.0 - chosen_rate)
        oc, po = np.array(own_chosen), np.array(picked_own)
        labelled: dict[str, Any] = {"self_name": self_name, "pairs_with_own_answer": len(oc), "unjudged": unjudged}
        if len(oc):
            acc = np.where(oc == 1, po, 1.0 - po)  # credit: picked the chosen answer
            labelled.update(
                {
                    "pick_own_rate": _ci(po, seed, n_boot),
                    "own_is_chosen_rate": _ci(oc, seed, n_boot),
                    "self_preference": _ci(po - oc, seed, n_boot),
                    "accuracy_own_chosen": _ci(acc[oc == 1], seed, n_boot) if (oc == 1).any() else None,
                    "accuracy_own_rejected": _ci(acc[oc == 0], seed, n_boot) if (oc == 0).any() else None,
                }
            )
        else:
            labelled["note"] = "no pair has exactly one answer whose chosen_model/rejected_model is self_name"
        out["labelled"] = labelled
    if "own_vs_chosen" in records:
        gen: dict[str, Any] = {"answers": "the judge's own greedy answer to each prompt"}
        for name in ("own_vs_chosen", "own_vs_rejected"):
            rates = [sum(pk) / len(pk) for pk in map(_picks, records[name]) if pk]
            gen[f"pick_own_rate_{name.split('_vs_')[1]}"] = _ci(np.array(rates), seed, n_boot) if rates else None
            gen[f"unjudged_{name.split('_vs_')[1]}"] = len(records[name]) - len(rates)
        out["generated"] = gen
    if not out:
        return {"note": "not probed: give self_name (pairs labelled with chosen_model/rejected_model) or self_generate"}
    return out
