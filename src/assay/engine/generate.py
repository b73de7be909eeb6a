"""Generate in bulk: deduplicate, serve cacheable requests from the cache, run only the misses.

The cache key is (generator fingerprint hash, request key); the request key covers the messages and
the whole sampling config (temperature, top_p, max tokens, seed, n). A sampled request (temperature >
0) is cached only when it carries a seed: an unseeded sample is a fresh draw every time. Misses run in
chunks, each committed to the cache at once, so a killed run keeps what it finished.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from assay.engine.cache import ScoreCache
from assay.models.generation import GenerateBackend, GenerateRequest, Generation
from assay.samples import canonical_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
  model TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  created REAL NOT NULL,
  PRIMARY KEY (model, input)
) WITHOUT ROWID;
"""
CHUNK = 64


@dataclass(frozen=True)
class GenerateReport:
    n_requests: int
    n_unique: int
    n_cached: int
    n_generated: int
    n_uncacheable: int
    seconds: float


def generator_hash(backend: GenerateBackend) -> str:
    return hashlib.sha256(canonical_json(backend.fingerprint()).encode()).hexdigest()


def generate_requests(
    backend: GenerateBackend, requests: Sequence[GenerateRequest], *, cache: ScoreCache | None
) -> tuple[list[Generation], GenerateReport]:
    """Generations for ``requests`` in input order (identical cacheable requests share one answer)."""
    t0 = time.perf_counter()
    db = cache.db if cache is not None else None
    if db is not None:
        db.executescript(_SCHEMA)
    mhash = generator_hash(backend)
    results: dict[int, Generation] = {}
    unique: dict[str, list[int]] = {}
    fresh_draws: list[int] = []
    for i, r in enumerate(requests):
        if r.cacheable():
            unique.setdefault(r.key(), []).append(i)
        else:
            fresh_draws.append(i)  # an unseeded sample: never shared, never cached
    found: dict[str, Generation] = {}
    if db is not None and unique:
        keys = list(unique)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            q = f"SELECT input, output FROM generations WHERE model = ? AND input IN ({','.join('?' * len(chunk))})"
            for key, out in db.execute(q, [mhash, *chunk]):
                found[key] = Generation.from_json(json.loads(out))
    missing_keys = [k for k in unique if k not in found]
    todo = [requests[unique[k][0]] for k in missing_keys] + [requests[i] for i in fresh_draws]
    for start in range(0, len(todo), CHUNK):
        part = todo[start : start + CHUNK]
        gens = backend.generate(part)
        rows = []
        for j, g in enumerate(gens):
            pos = start + j
            if pos < len(missing_keys):
                found[missing_keys[pos]] = g
                rows.append((mhash, missing_keys[pos], json.dumps(g.to_json()), time.time()))
            else:
                results[fresh_draws[pos - len(missing_keys)]] = g
        if db is not None and rows:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?)", rows)
    for key, idxs in unique.items():
        for i in idxs:
            results[i] = found[key]
    report = GenerateReport(
        n_requests=len(requests),
        n_unique=len(unique) + len(fresh_draws),
        n_cached=len(unique) - len(missing_keys),
        n_generated=len(todo),
        n_uncacheable=len(fresh_draws),
        seconds=time.perf_counter() - t0,
    )
    return [results[i] for i in range(len(requests))], report
