"""Bias probes for a generative judge on preference pairs, each with a seeded bootstrap CI.

* position: every pair is asked in both placements; P(verdict = A) among valid verdicts (0.5 = no
  position preference) and the both-orders agreement.
* verbosity: the same pairs with the *rejected* answer padded by non-informative text; the change in
  the judge's credit (padded minus original, paired bootstrap): a negative shift means the judge is
  swayed toward the longer, no better answer.
Self-preference needs the judge's own generations among the answers; it is not probed here.
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
    **load: Any,
) -> dict[str, Any]:
    """Run the probes of ``judge`` on the pairs of ``bench`` (options as for ``assay.evaluate``)."""
    from assay.benchmarks.registry import LoadOptions
    from assay.engine.cache import ScoreCache, default_cache_dir
    from assay.engine.generate import generate_requests
    from assay.metrics.compare import paired_compare
    from assay.models.gen_spec import load_generator
    from assay.models.generation import SamplingConfig
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
        "self_preference": "not probed: needs the judge's own generations among the answers",
    }
