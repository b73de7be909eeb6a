"""What a model-driven protocol (critic, falsifier, tool-using judge...) may use while it runs.

A benchmark's ``run(samples, ctx)`` never loads a model itself: it asks ``ctx.generate`` (the model under
evaluation) or ``ctx.judge_generate`` (a separate judge, ``--judge-model``) for generations. Both go
through the engine: identical requests are deduplicated, cacheable ones are served from the SQLite cache
and committed per chunk, and the model is loaded only when a request misses the cache. Multi-round
protocols call ``generate`` once per round. Usage (requests, cache hits, tokens) is accumulated per model
for the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assay.engine.cache import ScoreCache
from assay.engine.generate import generate_requests, generator_hash
from assay.models.generation import GenerateBackend, GenerateRequest, Generation, SamplingConfig

ProgressHook = Callable[[int, str], Callable[[int], None]]


@dataclass
class _Usage:
    calls: int = 0
    requests: int = 0
    unique: int = 0
    cached: int = 0
    generated: int = 0
    uncacheable: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    seconds: float = 0.0


@dataclass
class _Model:
    spec: str
    cache_dir: Path
    backend: GenerateBackend | None = None
    usage: _Usage = field(default_factory=_Usage)

    def get(self) -> GenerateBackend:
        if self.backend is None:
            from assay.models.gen_spec import load_generator

            self.backend = load_generator(self.spec, cache_dir=self.cache_dir)  # lazy: loads no weights
        return self.backend


@dataclass
class RunContext:
    """The run's model access and settings, handed to ``Benchmark.run``."""

    spec: str
    seed: int
    sampling: SamplingConfig
    options: Mapping[str, str]
    cache_dir: Path
    cache: ScoreCache | None
    judge_spec: str | None = None
    # the judge's own decoding: greedy, its own budget (the paper judges decode at temperature 0), so the
    # sampling settings of the model under evaluation never change or truncate the judge's verdicts
    judge_sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.0, max_tokens=512))
    progress: ProgressHook | None = None
    _models: dict[str, _Model] = field(default_factory=dict, repr=False)

    def _model(self, spec: str) -> _Model:
        if spec not in self._models:
            self._models[spec] = _Model(spec, self.cache_dir)
        return self._models[spec]

    def _run(self, spec: str, requests: Sequence[GenerateRequest]) -> list[Generation]:
        if not requests:
            return []
        m = self._model(spec)
        gens, report = generate_requests(m.get(), requests, cache=self.cache)
        u = m.usage
        u.calls += 1
        u.requests += report.n_requests
        u.unique += report.n_unique
        u.cached += report.n_cached
        u.generated += report.n_generated
        u.uncacheable += report.n_uncacheable
        u.seconds += report.seconds
        u.prompt_tokens += sum(g.prompt_tokens for g in gens)
        u.completion_tokens += sum(g.completion_tokens for g in gens)
        u.latency_s += sum(g.latency_s for g in gens)
        return gens

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Generations of the model under evaluation, one per request, in input order."""
        return self._run(self.spec, requests)

    def judge_generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """Generations of the judge model given by ``--judge-model``."""
        if self.judge_spec is None:
            raise ValueError("this benchmark needs a judge model: pass --judge-model SPEC (e.g. hfgen:default)")
        return self._run(self.judge_spec, requests)

    def fingerprints(self) -> dict[str, Any]:
        """Fingerprint and its hash for every model this run used (or would use)."""
        from assay.models.gen_spec import is_generator_spec

        out: dict[str, Any] = {}
        for spec in dict.fromkeys([self.spec, *([self.judge_spec] if self.judge_spec else [])]):
            if is_generator_spec(spec):
                backend = self._model(spec).get()
                out[spec] = {"fingerprint": backend.fingerprint(), "fingerprint_hash": generator_hash(backend)}
            else:  # a scalar or step-score backend that the protocol drives itself (e.g. a PRM)
                from assay.engine.scorer import model_hash
                from assay.models.spec import load_backend

                scorer = load_backend(spec, cache_dir=self.cache_dir)
                out[spec] = {"fingerprint": scorer.fingerprint(), "fingerprint_hash": model_hash(scorer)}
        return out

    def usage(self) -> dict[str, Any]:
        return {
            spec: {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(m.usage).items()}
            for spec, m in self._models.items()
        }
