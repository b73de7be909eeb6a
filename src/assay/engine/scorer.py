"""Score a bulk of requests: deduplicate, consult the cache, run only the misses, restore the order.

Never scores the same (model, input) twice: identical requests across pairs, candidate lists and
benchmarks collapse to one key, and every key already in the cache is served from it. The model is
loaded only when at least one request misses the cache (backends load lazily on first score_stream).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assay.engine.cache import ScoreCache
from assay.models.base import ScoreBackend, ScoreRequest, ScoreResult
from assay.samples import canonical_json


@dataclass(frozen=True)
class ScoreReport:
    """What the engine did, for the manifest and the speed benchmark."""

    n_requests: int
    n_unique: int
    n_cached: int
    n_scored: int
    truncated: int
    seconds: float
    model_loaded: bool


def model_hash(backend: ScoreBackend) -> str:
    return hashlib.sha256(canonical_json(backend.fingerprint()).encode()).hexdigest()


ProgressFactory = Callable[[int], Callable[[int], None]]


def score_requests(
    backend: ScoreBackend,
    requests: Sequence[ScoreRequest],
    *,
    cache: ScoreCache | None,
    batch_size: int | None = None,
    progress: ProgressFactory | None = None,
) -> tuple[list[ScoreResult], ScoreReport]:
    """Scores for ``requests`` in input order; each fresh batch is committed to the cache at once."""
    t0 = time.perf_counter()
    keys = [r.key() for r in requests]
    unique: dict[str, ScoreRequest] = {}
    for k, r in zip(keys, requests, strict=True):
        unique.setdefault(k, r)
    mhash = model_hash(backend)
    if '"unresolved":true' in canonical_json(backend.fingerprint()):
        cache = None  # weights not pinned to a commit: a cached score could belong to other weights
    results: dict[str, ScoreResult] = {}
    if cache is not None:
        cache.register_model(mhash, json.dumps(backend.fingerprint(), sort_keys=True))
        results.update(cache.get_many(mhash, list(unique)))
    n_cached = len(results)
    missing_keys = [k for k in unique if k not in results]
    missing = [unique[k] for k in missing_keys]
    if missing:
        advance = progress(len(missing)) if progress else None
        for idx, batch_results in backend.score_stream(missing, batch_size):
            fresh = [(missing_keys[i], res) for i, res in zip(idx, batch_results, strict=True)]
            for k, res in fresh:
                results[k] = res
            if cache is not None:
                cache.put_many(mhash, fresh)
            if advance:
                advance(len(fresh))
    absent = [k for k in unique if k not in results]
    if absent:
        raise RuntimeError(f"backend {backend.spec} returned no score for {len(absent)} request(s)")
    out = [results[k] for k in keys]
    report = ScoreReport(
        n_requests=len(requests),
        n_unique=len(unique),
        n_cached=n_cached,
        n_scored=len(missing),
        truncated=sum(1 for k in unique if results[k].truncated),
        seconds=time.perf_counter() - t0,
        model_loaded=bool(missing),
    )
    return out, report
