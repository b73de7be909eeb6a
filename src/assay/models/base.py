"""The scalar score backend contract: typed requests in bulk, scores streamed back batch by batch.

A backend never sees duplicates (the engine deduplicates and consults the cache first) and must give
the same score for a request whatever batch it lands in (fp32 results equal within 1e-5).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assay.samples import Prompt, canonical_json, prompt_to_json


@dataclass(frozen=True)
class ScoreRequest:
    """Score ``response`` as the assistant's reply to the chat ``prompt``."""

    prompt: Prompt
    response: str

    def key(self) -> str:
        """Content hash of the input: with the model fingerprint it forms the cache key."""
        payload = canonical_json({"prompt": prompt_to_json(self.prompt), "response": self.response})
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def prompt_key(self) -> str:
        payload = canonical_json(prompt_to_json(self.prompt))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ScoreResult:
    score: float
    truncated: bool = False
    n_tokens: int = 0


@dataclass
class BackendStats:
    """Counters a backend fills while scoring; copied into the run manifest."""

    forward_tokens: int = 0  # tokens actually run through the model (prefix reuse lowers it)
    padded_tokens: int = 0  # batch_size x max_len summed over batches
    truncated: int = 0
    batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


ProgressFn = Callable[[int], None]


class ScoreBackend(Protocol):
    """What the engine needs from a scalar reward model."""

    spec: str

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes a score (weights identity, revision, dtype, template, truncation,
        max length, mode...) and nothing that does not (batch size, workers). Must not load weights."""
        ...

    def score_stream(
        self, requests: Sequence[ScoreRequest], batch_size: int | None
    ) -> Iterator[tuple[list[int], list[ScoreResult]]]:
        """Score unique requests; yield (indices into ``requests``, results) per batch, in any order.
        ``batch_size`` None means automatic (token-budget packing). Loads the model on first use."""
        ...

    @property
    def stats(self) -> BackendStats: ...
