"""The generative backend contract: ``GenerateRequest`` in bulk, one ``Generation`` per request back.

Generative judges (pairwise verdicts, rubric scores parsed from text) need a model that writes text
rather than one that returns a scalar. This module holds the typed request, its sampling settings and
result, and the ``GenerateBackend`` protocol that local (``hfgen:``) and remote (``openai:``) backends
implement. Like the scalar contract, a request's ``key()`` hashes only its content (messages and
sampling), so with the backend fingerprint it forms a cache key; a *sampled* request is cacheable only
when it carries a seed, because an unseeded sample is not a function of its inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from assay.samples import Prompt, canonical_json, prompt_to_json

FINISH_STOP = "stop"  # the model ended its turn (EOS / end-of-turn token)
FINISH_LENGTH = "length"  # cut at max_tokens


@dataclass(frozen=True)
class SamplingConfig:
    """Decoding settings. ``temperature == 0`` means greedy (``top_p`` and ``seed`` then change nothing
    for a local model); ``n`` is the number of completions per request."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    seed: int | None = None
    n: int = 1

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def to_json(self) -> dict[str, Any]:
        # floats normalised so 0 and 0.0 hash alike
        d = asdict(self)
        d["temperature"] = float(self.temperature)
        d["top_p"] = float(self.top_p)
        return d


@dataclass(frozen=True)
class GenerateRequest:
    """Generate the assistant's reply to the chat ``prompt`` with ``sampling``."""

    prompt: Prompt
    sampling: SamplingConfig = SamplingConfig()

    def key(self) -> str:
        """Content hash of (messages, sampling): with the backend fingerprint it forms the cache key."""
        payload = canonical_json({"messages": prompt_to_json(self.prompt), "sampling": self.sampling.to_json()})
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def cacheable(self) -> bool:
        """Greedy requests are deterministic; sampled ones only when seeded (else each call differs)."""
        return self.sampling.greedy or self.sampling.seed is not None


@dataclass(frozen=True)
class Generation:
    """The completions for one request (``len(texts) == sampling.n``) and what they cost."""

    texts: tuple[str, ...]
    prompt_tokens: int
    completion_tokens: int  # summed over the n completions
    latency_s: float
    finish_reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        """The first completion (the common n=1 case)."""
        return self.texts[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "texts": list(self.texts),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": self.latency_s,
            "finish_reasons": list(self.finish_reasons),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Generation:
        return cls(
            texts=tuple(d["texts"]),
            prompt_tokens=int(d["prompt_tokens"]),
            completion_tokens=int(d["completion_tokens"]),
            latency_s=float(d["latency_s"]),
            finish_reasons=tuple(d["finish_reasons"]),
        )


class GenerateBackend(Protocol):
    """What a generative judge needs from a text-generating model."""

    spec: str

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes the generated text (model identity, template, library versions...)
        and nothing that does not (batch size, concurrency, timeouts, secrets). Must not load weights."""
        ...

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """One ``Generation`` per request, in input order. Loads the model / opens connections lazily."""
        ...
