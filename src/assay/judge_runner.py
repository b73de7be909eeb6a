"""A run with a generative judge (``hfgen:`` or ``openai:``): picks the protocol, runs it, writes the run.

Which template and which scoring rule apply follows the benchmark (:func:`judge_plan`): the
``--judge-template`` name picks the protocol (pairwise, RewardBench 2 four-way, rating, ranking, PC2;
see :data:`assay.judges.templates.JUDGE_TEMPLATES`) and the benchmark picks the policy
(:func:`assay.judges.scoring.policy_for`). Left at its default (``rewardbench``), the template becomes
the benchmark's own where it has one (JudgeBench: its vanilla prompt; RewardBench 2: four-way; Long-
RewardBench: Long-RM's pair and rank prompts). Each protocol module builds the records (inputs, every
raw output with its parsed verdict or ``invalid``); multi-round protocols call the engine once per round.
Same record contract as scalar runs: the benchmark's own ``outcome`` and aggregation turn the records
into its published metrics, and metrics.json adds the judge summary (invalid rate, policy, agreement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadResult
from assay.engine.cache import ScoreCache
from assay.engine.generate import GenerateReport, generate_requests, generator_hash
from assay.judges.scoring import policy_for
from assay.judges.templates import JudgeTemplate, judge_template
from assay.models.gen_spec import load_generator
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.protocols.judge_pairwise import JudgeConfig
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
from assay.samples import Candidates, Pair, Sample

# The benchmark's own judge template, used when --judge-template is left at its default.
NATIVE_TEMPLATES = {"judgebench": "judgebench", "rewardbench2": "rewardbench2", "long-rewardbench": "ranking"}


def judge_plan(benchmark: str, opts: RunOptions) -> tuple[JudgeConfig, JudgeTemplate]:
    """The judge configuration of a run of ``benchmark`` with ``opts``."""
    name = opts.judge_template
    if name == "rewardbench" and benchmark in NATIVE_TEMPLATES:
        name = NATIVE_TEMPLATES[benchmark]
    template = judge_template(name)
    policy = policy_for(benchmark)
    cfg = JudgeConfig(
        template=template.name,
        parser=template.parser,
        both_orders=opts.both_orders or policy.both_orders,
        sampling=SamplingConfig(
            temperature=opts.temperature,
            max_tokens=opts.max_tokens,
            seed=opts.seed if opts.temperature > 0 else None,
        ),
        seed=opts.seed,
        policy=policy.name,
    )
    return cfg, template


def mode_for(sample: Sample, template: JudgeTemplate, cfg: JudgeConfig) -> str:
    """The protocol one item goes through (RewardBench 2's Ties are always rated, as the original does)."""
    if template.mode == "pc2":
        return "pc2"
    if isinstance(sample, Pair):
        if template.mode in ("pairwise", "ranking"):
            return "pairwise"
        if template.mode == "rating":
            return "rating"
    elif isinstance(sample, Candidates):
        if cfg.policy == "rewardbench2" and sample.subset.lower() == "ties" and template.mode in ("four", "rating"):
            return "rating"
        if template.mode in ("four", "rating", "ranking"):
            return template.mode
    kind = type(sample).__name__
    raise ValueError(
        f"item {sample.id}: template {template.name!r} ({template.mode}) does not judge {kind} items; pairs take "
        "pairwise, rating, ranking or pc2 templates, candidate lists rewardbench2, rating, ranking or pc2"
    )


def run_protocols(samples: Sequence[Sample], cfg: JudgeConfig, template: JudgeTemplate, generate: Any) -> list[dict]:
    """Records for ``samples`` in their order, each item through its protocol (grouped by mode)."""
    from assay.judges import pc2
    from assay.protocols import judge_pairwise, judge_ranking, judge_rating

    modes = [mode_for(s, template, cfg) for s in samples]
    records: list[dict | None] = [None] * len(samples)
    for mode in ("pairwise", "four", "ranking", "rating", "pc2"):
        idx = [i for i, m in enumerate(modes) if m == mode]
        if not idx:
            continue
        items: list[Any] = [samples[i] for i in idx]
        if mode == "pairwise":  # the ranking template judges pairs with Long-RM's pair prompt and [[A]]/[[B]]
            pair_cfg = replace(cfg, parser="rewardbench") if template.mode == "ranking" else cfg
            recs = judge_pairwise.run(items, pair_cfg, generate)
        elif mode in ("four", "ranking"):
            recs = judge_ranking.run(items, cfg, generate, mode)
        elif mode == "rating":
            recs = judge_rating.run(items, cfg, generate)
        else:
            recs = pc2.run(items, cfg, generate)
        for i, rec in zip(idx, recs, strict=True):
            records[i] = rec
    return [r for r in records if r is not None]


def evaluate_judge(
    bench: Benchmark, loaded: LoadResult, spec: str, opts: RunOptions, cache_dir: Path, started: str, t0: float
) -> Run:
    cfg, template = judge_plan(bench.name, opts)
    for s in loaded.samples:  # fail before any generation on an item the protocol cannot take
        mode_for(s, template, cfg)
    backend = load_generator(spec, cache_dir=cache_dir)
    fp = backend.fingerprint()
    mhash = generator_hash(backend)
    run_key = {"data": loaded.fingerprint, "model": mhash, **_metric_options(opts)}
    out = Path(opts.out) if opts.out else default_run_dir(bench.name, spec, run_key)
    handler = _attach_log(out / LOG)
    reports: list[GenerateReport] = []
    gens_all: list[Generation] = []
    cache = ScoreCache(cache_dir / "scores.sqlite") if opts.use_cache else None

    def generate(requests: Sequence[GenerateRequest]) -> list[Generation]:
        if not requests:
            return []
        gens, report = generate_requests(backend, requests, cache=cache)
        reports.append(report)
        gens_all.extend(gens)
        log.info("judge round %d: %d requests, %d generated", len(reports), report.n_requests, report.n_generated)
        return gens

    try:
        log.info(
            "judge %s on %s: %d items, template %s, policy %s -> %s",
            spec,
            bench.name,
            len(loaded.samples),
            cfg.template,
            cfg.policy,
            out,
        )
        try:
            records = run_protocols(loaded.samples, cfg, template, generate)
        finally:
            if cache is not None:
                cache.close()
        for rec in records:
            rec["outcome"] = bench.outcome(rec)
        metrics = compute_metrics(bench, records, opts, truncated=0, invalid_rows=len(loaded.skipped))
        manifest = manifest_base(bench, loaded, records, opts, spec, fp, mhash, started, t0)
        policy = policy_for(bench.name)
        manifest.update(
            {
                "judge": {
                    **asdict(cfg),
                    "template_source": template.source,
                    "mode": template.mode,
                    "policy_rule": policy.rule,
                    "policy_source": policy.source,
                },
                "counts": {
                    "items": len(records),
                    "rounds": len(reports),
                    "requests": sum(r.n_requests for r in reports),
                    "unique_requests": sum(r.n_unique for r in reports),
                    "cached": sum(r.n_cached for r in reports),
                    "generated": sum(r.n_generated for r in reports),
                    "invalid_judgements": metrics["judge"]["invalid"],
                    "ties": metrics["counts"]["ties"],
                    "truncated": 0,
                    "invalid_rows": len(loaded.skipped),
                },
                "engine": {
                    "rounds": [asdict(r) for r in reports],
                    "seconds": round(sum(r.seconds for r in reports), 3),
                    "prompt_tokens": sum(g.prompt_tokens for g in gens_all),
                    "completion_tokens": sum(g.completion_tokens for g in gens_all),
                    "latency_s": round(sum(g.latency_s for g in gens_all), 3),
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
