"""Runs of model-driven protocols (``Benchmark.run``) and scoring of released outputs (``assay score``).

Both write the same run record as a scalar run (manifest.json, samples.jsonl, metrics.json, log.txt):
the records carry every raw output with its parsed value, the runner adds ``bench.outcome(record)`` to
each, and ``bench.aggregate`` computes metrics.json from the records alone, so ``assay rescore``
reproduces it. A killed run resumes from the generation cache (each chunk is committed as it finishes).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult
from assay.engine.cache import ScoreCache
from assay.models.generation import SamplingConfig
from assay.protocols.context import RunContext
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


def _check_records(bench: Benchmark, records: list[dict[str, Any]], n_expected: int | None) -> None:
    if n_expected is not None and len(records) != n_expected:
        raise RuntimeError(f"{bench.name}: run returned {len(records)} records for {n_expected} samples")
    seen: set[str] = set()
    for r in records:
        rid = str(r.get("id"))
        if "id" not in r or rid in seen:
            raise RuntimeError(f"{bench.name}: record without an id or with a duplicate id {rid!r}")
        seen.add(rid)


def _finish(bench: Benchmark, records: list[dict[str, Any]], opts: RunOptions, invalid_rows: int) -> dict[str, Any]:
    for rec in records:
        rec["outcome"] = bench.outcome(rec)
    return compute_metrics(bench, records, opts, truncated=0, invalid_rows=invalid_rows)


def evaluate_protocol(
    bench: Benchmark, loaded: LoadResult, spec: str, opts: RunOptions, cache_dir: Path, started: str, t0: float
) -> Run:
    """Run ``bench.run`` with model ``spec`` (and ``opts.judge_model``) and write the run directory."""
    assert bench.run is not None
    sampling = SamplingConfig(
        temperature=opts.temperature,
        max_tokens=opts.max_tokens,
        seed=opts.seed if opts.temperature > 0 else None,
    )
    cache = ScoreCache(cache_dir / "scores.sqlite") if opts.use_cache else None
    ctx = RunContext(
        spec=spec,
        seed=opts.seed,
        sampling=sampling,
        options=dict(opts.options),
        cache_dir=cache_dir,
        cache=cache,
        judge_spec=opts.judge_model,
        judge_sampling=SamplingConfig(temperature=0.0, max_tokens=opts.judge_max_tokens),
    )
    try:
        fps = ctx.fingerprints()  # no weights are loaded for this
        mhash = hashlib.sha256(repr(sorted((k, v["fingerprint_hash"]) for k, v in fps.items())).encode()).hexdigest()
        run_key = {"data": loaded.fingerprint, "model": mhash, **_metric_options(opts)}
        out = Path(opts.out) if opts.out else default_run_dir(bench.name, spec, run_key)
        handler = _attach_log(out / LOG)
        try:
            log.info("%s on %s: %d items -> %s", spec, bench.name, len(loaded.samples), out)
            records = bench.run(loaded.samples, ctx)
            _check_records(bench, records, len(loaded.samples))
            metrics = _finish(bench, records, opts, len(loaded.skipped))
            manifest = manifest_base(bench, loaded, records, opts, spec, fps[spec]["fingerprint"], mhash, started, t0)
            manifest["model"]["models"] = fps
            if opts.judge_model:
                manifest["judge_model"] = {"spec": opts.judge_model, **fps[opts.judge_model]}
            usage = ctx.usage()
            manifest.update(
                {
                    "counts": {
                        "items": len(records),
                        "requests": sum(u["requests"] for u in usage.values()),
                        "generated": sum(u["generated"] for u in usage.values()),
                        "cached": sum(u["cached"] for u in usage.values()),
                        "ties": metrics["counts"]["ties"],
                        "invalid_rows": len(loaded.skipped),
                    },
                    "engine": {
                        "usage": usage,
                        "sampling": asdict(sampling),
                        "judge_sampling": asdict(ctx.judge_sampling),
                    },
                }
            )
            write_samples(out / SAMPLES, records)
            write_json(out / METRICS, metrics)
            write_json(out / MANIFEST, manifest)
            log.info("overall %s; wrote %s", metrics.get("overall", {}).get("value"), out)
            return Run(out, manifest, metrics, records)
        finally:
            log.removeHandler(handler)
            handler.close()
    finally:
        if cache is not None:
            cache.close()


def score_predictions(benchmark: str, predictions: str | Path, **options: Any) -> Run:
    """Metrics of a benchmark from outputs that already exist (no model is run), as a run directory."""
    from assay.runner import _now, resolve_benchmark

    opts = RunOptions(**options)
    started, t0 = _now(), time.perf_counter()
    bench = resolve_benchmark(benchmark, opts)
    if bench.predictions is None:
        able = ", ".join(b.name for b in _with_predictions()) or "none"
        raise ValueError(f"{bench.name}: cannot score released predictions; benchmarks that can: {able}")
    path = Path(predictions)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    res: PredictionsResult = bench.predictions(
        path,
        LoadOptions(
            data=opts.data, subsets=opts.subsets, limit=opts.limit, skip_invalid=opts.skip_invalid, seed=opts.seed
        ),
    )
    if not res.records:
        raise ValueError(f"{bench.name}: no predictions to score in {res.source}")
    _check_records(bench, res.records, None)
    spec = f"predictions:{path}"
    run_key = {"data": res.fingerprint, **_metric_options(opts)}
    out = Path(opts.out) if opts.out else default_run_dir(bench.name, f"predictions-{path.name}", run_key)
    handler = _attach_log(out / LOG)
    try:
        log.info("scoring released outputs %s on %s: %d records -> %s", path, bench.name, len(res.records), out)
        metrics = _finish(bench, res.records, opts, len(res.skipped))
        loaded = LoadResult(samples=[], source=res.source, fingerprint=res.fingerprint, skipped=res.skipped)
        fp = {"kind": "predictions", "path": str(path.resolve()), "sha256": res.fingerprint}
        manifest = manifest_base(bench, loaded, res.records, opts, spec, fp, res.fingerprint, started, t0)
        manifest["counts"] = {
            "items": len(res.records),
            "ties": metrics["counts"]["ties"],
            "invalid_rows": len(res.skipped),
        }
        write_samples(out / SAMPLES, res.records)
        write_json(out / METRICS, metrics)
        write_json(out / MANIFEST, manifest)
        return Run(out, manifest, metrics, res.records)
    finally:
        log.removeHandler(handler)
        handler.close()


def _with_predictions() -> list[Benchmark]:
    from assay.benchmarks.registry import all_benchmarks

    return [b for b in all_benchmarks() if b.predictions is not None]
