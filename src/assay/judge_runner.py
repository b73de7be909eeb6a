"""A run with a generative judge (``hfgen:`` or ``openai:``) on a pairwise benchmark.

Same record contract as scalar runs: each item's line holds the inputs, every judgement (placement,
raw output, parsed verdict or ``invalid``) and the outcome, which the benchmark's own aggregation turns
into its published metrics; metrics.json adds the judge's invalid rate and both-orders agreement.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadResult
from assay.engine.cache import ScoreCache
from assay.engine.generate import generate_requests, generator_hash
from assay.models.gen_spec import load_generator
from assay.models.generation import SamplingConfig
from assay.protocols.judge_pairwise import JudgeConfig, judge_record, judge_requests
from assay.records.rundir import LOG, MANIFEST, METRICS, SAMPLES, write_json, write_samples
from assay.runner import (
    Run,
    RunOptions,
    _attach_log,
    _metric_options,
    compute_metrics,
    default_run_dir,
    log,
    manifest_base,
)
from assay.samples import Pair


def evaluate_judge(
    bench: Benchmark, loaded: LoadResult, spec: str, opts: RunOptions, cache_dir: Path, started: str, t0: float
) -> Run:
    bad = [s.id for s in loaded.samples if not isinstance(s, Pair)]
    if bad:
        raise ValueError(
            f"{bench.name}: generative judges take pairwise items here; item {bad[0]} is not a pair "
            f"({len(bad)} such items)"
        )
    cfg = JudgeConfig(
        template=opts.judge_template,
        both_orders=opts.both_orders,
        sampling=SamplingConfig(
            temperature=opts.temperature,
            max_tokens=opts.max_tokens,
            seed=opts.seed if opts.temperature > 0 else None,
        ),
        seed=opts.seed,
    )
    backend = load_generator(spec, cache_dir=cache_dir)
    fp = backend.fingerprint()
    mhash = generator_hash(backend)
    run_key = {"data": loaded.fingerprint, "model": mhash, **_metric_options(opts)}
    out = Path(opts.out) if opts.out else default_run_dir(bench.name, spec, run_key)
    handler = _attach_log(out / LOG)
    try:
        pairs = [s for s in loaded.samples if isinstance(s, Pair)]
        per_sample = [judge_requests(s, cfg) for s in pairs]
        flat = [r for reqs in per_sample for r in reqs]
        log.info("judge %s on %s: %d items, %d judgements -> %s", spec, bench.name, len(pairs), len(flat), out)
        cache = ScoreCache(cache_dir / "scores.sqlite") if opts.use_cache else None
        try:
            gens, report = generate_requests(backend, flat, cache=cache)
        finally:
            if cache is not None:
                cache.close()
        records: list[dict[str, Any]] = []
        pos = 0
        for sample, reqs in zip(pairs, per_sample, strict=True):
            rec = judge_record(sample, cfg, gens[pos : pos + len(reqs)])
            pos += len(reqs)
            rec["outcome"] = bench.outcome(rec)
            records.append(rec)
        metrics = compute_metrics(bench, records, opts, truncated=0, invalid_rows=len(loaded.skipped))
        manifest = manifest_base(bench, loaded, records, opts, spec, fp, mhash, started, t0)
        manifest.update(
            {
                "judge": {**asdict(cfg), "placement": "chosen shown as A iff sha256(f'{seed}:{id}')[0] is even"},
                "counts": {
                    "items": len(records),
                    "requests": report.n_requests,
                    "unique_requests": report.n_unique,
                    "cached": report.n_cached,
                    "generated": report.n_generated,
                    "invalid_judgements": metrics["judge"]["invalid"],
                    "ties": metrics["counts"]["ties"],
                    "truncated": 0,
                    "invalid_rows": len(loaded.skipped),
                },
                "engine": {
                    **asdict(report),
                    "prompt_tokens": sum(g.prompt_tokens for g in gens),
                    "completion_tokens": sum(g.completion_tokens for g in gens),
                    "latency_s": round(sum(g.latency_s for g in gens), 3),
                },
            }
        )
        write_samples(out / SAMPLES, records)
        write_json(out / METRICS, metrics)
        write_json(out / MANIFEST, manifest)
        log.info("overall %.4f; wrote %s", metrics.get("overall", {}).get("value", float("nan")), out)
        return Run(out, manifest, metrics, records)
    finally:
        log.removeHandler(handler)
        handler.close()
