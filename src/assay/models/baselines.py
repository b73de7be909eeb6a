"""Reference points that need no model: they show what a benchmark rewards by surface features alone.

- ``length``: score = number of characters (Unicode code points) of the response. Characters, not
  tokens, so the baseline is the same for every tokenizer and needs none.
- ``shorter``: score = -length (prefers the shorter response).
- ``random?seed=N``: score = a uniform number in [0, 1) derived from sha256(seed, request.key()), so it
  is independent of request order, batching and process, and changes only with the seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from assay.models.base import BackendStats, ScoreRequest, ScoreResult
from assay.models.batching import check_batch_size

BASELINES = {
    "length": "score = response length in characters",
    "shorter": "score = minus the response length in characters",
    "random": "score = uniform [0, 1) from a hash of (seed, request); option seed=N (default 0)",
}
AUTO_CHUNK = 4096  # requests per yielded batch when batch_size is None


def random_score(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


class BaselineBackend:
    """A model-free scorer: length, shorter or random."""

    kind = "baseline"

    def __init__(self, spec: str, name: str, seed: int = 0) -> None:
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name!r}; valid: {', '.join(BASELINES)}")
        if name != "random" and seed != 0:
            raise ValueError(f"baseline:{name} takes no seed")
        self.spec = spec
        self.name = name
        self.seed = seed
        self.loaded = True  # nothing to load
        self._stats = BackendStats()

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {"backend": self.kind, "name": self.name, "version": 1}
        if self.name == "random":
            fp["seed"] = self.seed
        return fp

    @property
    def stats(self) -> BackendStats:
        return self._stats

    def score(self, request: ScoreRequest) -> float:
        if self.name == "length":
            return float(len(request.response))
        if self.name == "shorter":
            return -float(len(request.response))
        return random_score(self.seed, request.key())

    def score_stream(
        self, requests: Sequence[ScoreRequest], batch_size: int | None
    ) -> Iterator[tuple[list[int], list[ScoreResult]]]:
        check_batch_size(batch_size)
        step = batch_size or AUTO_CHUNK
        for lo in range(0, len(requests), step):
            idx = list(range(lo, min(lo + step, len(requests))))
            self._stats.batches += 1
            yield idx, [ScoreResult(score=self.score(requests[i])) for i in idx]
