"""One evaluation run: load samples, emit requests, score through the engine, write the run record.

``evaluate(benchmark, model, **options)`` is the Python API behind ``assay run``. A run killed at any
moment and started again with the same arguments resumes: finished batches come back from the score
cache, and the run files are written atomically at the end, so every item appears exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult
from assay.engine.cache import ScoreCache, default_cache_dir
from assay.engine.scorer import ProgressFactory, model_hash, score_requests
from assay.models.base import ScoreBackend
from assay.protocols.scalar import record_for, requests_for
from assay.records import environment
from assay.records.rundir import LOG, MANIFEST, METRICS, SAMPLES, write_json, write_samples

log = logging.getLogger("assay")


@dataclass(frozen=True)
class RunOptions:
    """Every option of a run; all of it is written to the manifest."""

    subsets: tuple[str, ...] = ()
    limit: int | None = None
    batch_size: int | None = None  # None = automatic token-budget packing
    max_length: int | None = None
    dtype: str = "float32"
    seed: int = 0
    n_boot: int = 1000
    data: str | None = None
    skip_invalid: bool = False
    columns: str | None = None  # column mapping for user files, e.g. "prompt=question,chosen=good"
    rule: str = "rb2"  # best-of-N rule for user candidate files: rb2 | rmb | long
    truncate: str | None = None  # left | right | middle | error; None = the benchmark's default policy
    calibrate: bool = False  # fit a temperature on a held-out half of the pairs (reported separately)
    judge_template: str = "rewardbench"  # generative judges: prompt template
    both_orders: bool = False  # generative judges: ask each pair in both placements
    max_tokens: int = 512  # generative judges: completion budget
    temperature: float = 0.0  # generative judges: > 0 samples, seeded per run by ``seed``
    images: str = "error"  # image parts for text-only models: error | placeholder (a labelled blind run)
    order_check: bool = True  # re-score a few requests in another order/batch and record the difference
    options: dict[str, str] = field(default_factory=dict)  # benchmark-specific options (--option key=value)
    judge_model: str | None = None  # a separate judge for protocols that need one (--judge-model)
    judge_max_tokens: int = 512  # that judge's completion budget (it always decodes greedily)
    out: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True


@dataclass
class Run:
    """The result of ``evaluate``: where it was written and what it found."""

    path: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    records: list[dict[str, Any]] = field(repr=False)


def resolve_benchmark(name: str, opts: RunOptions) -> Benchmark:
    """A registered benchmark, or a user file / hub dataset of a supported shape (pairs or candidates)."""
    from assay.benchmarks import registry

    try:
        bench = registry.get(name)
    except KeyError:
        if Path(name).exists() or re.fullmatch(r"[\w.-]+/[\w.-]+", name):
            from assay.benchmarks.custom import custom_benchmark

            bench = custom_benchmark(name, columns=opts.columns, rule=opts.rule)
        else:
            raise
    return bench.with_options(opts.options)


def compute_metrics(
    bench: Benchmark, records: list[dict[str, Any]], opts: RunOptions, *, truncated: int, invalid_rows: int
) -> dict[str, Any]:
    """metrics.json from the records alone (the same function serves ``assay rescore``)."""
    metrics = bench.aggregate(records, opts.seed, opts.n_boot)
    from assay.metrics.baselines import pairwise_baselines

    baselines = pairwise_baselines(records, bench.outcome, bench.aggregate, opts.seed, opts.n_boot)
    if baselines is not None:
        metrics["baselines"] = baselines
    if any("judgements" in r for r in records):
        from assay.protocols.judge_pairwise import judge_summary

        metrics["judge"] = judge_summary(records)
    elif any(r.get("kind") == "pair" for r in records):
        from assay.metrics.calibration import calibration_report

        metrics["calibration"] = calibration_report(records, opts.seed, opts.calibrate)
    ties = sum(1 for r in records if r["outcome"].get("tie"))
    metrics.setdefault("counts", {}).update(
        {"items": len(records), "ties": ties, "truncated": truncated, "invalid_rows": invalid_rows}
    )
    return metrics


def manifest_base(
    bench: Benchmark,
    loaded: LoadResult,
    records: list[dict[str, Any]],
    opts: RunOptions,
    spec: str,
    fp: dict[str, Any],
    mhash: str,
    started: str,
    t0: float,
) -> dict[str, Any]:
    """What every run records to be redone: data, model, options, seed, code, host, times."""
    return {
        "assay_manifest_version": 1,
        "status": "complete",
        "benchmark": {
            "name": bench.name,
            "source": bench.source,
            "data_source": loaded.source,
            "data_fingerprint": loaded.fingerprint,
            "subsets": sorted({r["subset"] for r in records}),
        },
        "model": {"spec": spec, "fingerprint": fp, "fingerprint_hash": mhash},
        "options": asdict(opts),
        "seed": opts.seed,
        "versions": environment.package_versions(),
        "git": environment.git_state(),
        "host": environment.host_info(),
        "command": sys.argv,
        "started_at": started,
        "ended_at": _now(),
        "duration_s": round(time.perf_counter() - t0, 3),
        "skipped_rows": loaded.skipped,
    }


def _metric_options(opts: RunOptions) -> dict[str, Any]:
    """The options that can change a run's records or metrics (not where it writes or caches)."""
    return {k: v for k, v in asdict(opts).items() if k not in ("out", "cache_dir", "use_cache")}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:60] or "model"


def default_run_dir(bench: str, model_spec: str, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(repr(sorted(key.items())).encode()).hexdigest()[:10]
    return Path("runs") / _slug(bench) / f"{_slug(model_spec)}-{digest}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _attach_log(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def evaluate(
    benchmark: str,
    model: str | ScoreBackend,
    *,
    progress: ProgressFactory | None = None,
    on_stage: Callable[[str], None] | None = None,
    **options: Any,
) -> Run:
    """Evaluate ``model`` (a spec string or a backend) on ``benchmark``; returns the written Run."""
    opts = RunOptions(**options)
    from assay.protocols.scalar import IMAGE_POLICIES

    if opts.images not in IMAGE_POLICIES:
        raise ValueError(f"unknown image policy {opts.images!r}; valid: {', '.join(IMAGE_POLICIES)}")
    started, t0 = _now(), time.perf_counter()
    bench = resolve_benchmark(benchmark, opts)
    loaded: LoadResult = bench.load(
        LoadOptions(
            data=opts.data,
            subsets=opts.subsets,
            limit=opts.limit,
            skip_invalid=opts.skip_invalid,
            seed=opts.seed,
        )
    )
    if not loaded.samples:
        raise ValueError(f"{bench.name}: no samples to evaluate in {loaded.source}")
    cache_dir = Path(opts.cache_dir) if opts.cache_dir else default_cache_dir()
    if bench.run is not None:
        if not isinstance(model, str):
            raise ValueError(f"{bench.name}: a protocol benchmark takes a model spec string")
        from assay.protocol_runner import evaluate_protocol

        return evaluate_protocol(bench, loaded, model, opts, cache_dir, started, t0)
    from assay.samples import Item

    if any(isinstance(s, Item) for s in loaded.samples):
        how = f"`assay score {bench.name} --predictions PATH`" if bench.predictions is not None else "no way"
        raise ValueError(f"{bench.name}: no model protocol is implemented here; score released outputs with {how}")
    if opts.judge_model:
        raise ValueError(f"{bench.name}: --judge-model applies only to benchmarks whose protocol uses a judge")
    if isinstance(model, str):
        from assay.models.gen_spec import is_generator_spec

        if is_generator_spec(model):
            from assay.judge_runner import evaluate_judge

            return evaluate_judge(bench, loaded, model, opts, cache_dir, started, t0)

        from assay.models.spec import load_backend

        backend = load_backend(
            model,
            max_length=opts.max_length,
            dtype=opts.dtype,
            cache_dir=cache_dir,
            truncation=opts.truncate or bench.default_truncation,
        )
    else:
        backend = model
    fp = backend.fingerprint()
    mhash = model_hash(backend)
    run_key = {"data": loaded.fingerprint, "model": mhash, **_metric_options(opts)}
    out = Path(opts.out) if opts.out else default_run_dir(bench.name, backend.spec, run_key)
    handler = _attach_log(out / LOG)
    try:
        log.info(
            "run %s on %s (%d samples from %s) -> %s",
            backend.spec,
            bench.name,
            len(loaded.samples),
            loaded.source,
            out,
        )
        per_sample = [requests_for(s, opts.images) for s in loaded.samples]
        flat = [r for reqs in per_sample for r in reqs]
        if on_stage:
            on_stage(f"scoring {len(flat)} requests for {len(loaded.samples)} items")
        cache = ScoreCache(cache_dir / "scores.sqlite") if opts.use_cache else None
        try:
            results, report = score_requests(backend, flat, cache=cache, batch_size=opts.batch_size, progress=progress)
        except ValueError as e:
            key = getattr(e, "key", None)  # a request-level error (e.g. context overflow): name the items
            if key is None:
                raise
            hit = [
                s.id for s, reqs in zip(loaded.samples, per_sample, strict=True) if any(r.key() == key for r in reqs)
            ]
            raise ValueError(f"{bench.name}: item(s) {', '.join(hit[:5])}: {e}") from e
        finally:
            if cache is not None:
                cache.close()
        log.info("scored: %s", asdict(report))
        records: list[dict[str, Any]] = []
        pos = 0
        for sample, reqs in zip(loaded.samples, per_sample, strict=True):
            rec = record_for(sample, results[pos : pos + len(reqs)])
            pos += len(reqs)
            rec["outcome"] = bench.outcome(rec)
            records.append(rec)
        metrics = compute_metrics(bench, records, opts, truncated=report.truncated, invalid_rows=len(loaded.skipped))
        counts = {
            "items": len(records),
            "requests": report.n_requests,
            "unique_requests": report.n_unique,
            "cached": report.n_cached,
            "scored": report.n_scored,
            "ties": metrics["counts"]["ties"],
            "truncated": report.truncated,
            "invalid_rows": len(loaded.skipped),
        }
        stats = getattr(backend, "stats", None)
        stats_snapshot = asdict(stats) if stats is not None else None
        checked: dict[str, Any] = {"skipped": "every score came from the cache (checked when first scored)"}
        if opts.order_check and report.model_loaded:
            from assay.engine.consistency import order_check

            checked = order_check(backend, flat, results)
            if not checked["ok"]:
                log.warning("order check failed: %s", checked)
        manifest = manifest_base(bench, loaded, records, opts, backend.spec, fp, mhash, started, t0)
        manifest.update(
            {
                "counts": counts,
                "engine": {**asdict(report), "backend_stats": stats_snapshot, "order_check": checked},
                "truncation": {
                    "policy": fp.get("truncation", "n/a (no tokenizer)"),
                    "max_length": fp.get("max_length"),
                    "truncated_inputs": report.truncated,
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
