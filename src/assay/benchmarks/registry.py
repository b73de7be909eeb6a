"""Benchmark registry: each benchmark module registers one ``Benchmark`` by name with ``@register``.

A benchmark bundles: where its data lives (hub id, official format), how a row becomes a typed sample,
how a scored record becomes an outcome, and the exact aggregation of the original paper's code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.samples import Sample

Record = dict[str, Any]
"""One line of samples.jsonl: id, subset, kind, scores, outcome, meta (+ the inputs)."""


@dataclass(frozen=True)
class LoadOptions:
    data: str | None = None  # local path in the official format instead of the hub id
    subsets: tuple[str, ...] = ()  # empty = all
    limit: int | None = None  # per subset, first N rows in file order
    skip_invalid: bool = False
    seed: int = 0


@dataclass(frozen=True)
class LoadResult:
    samples: list[Sample]
    source: str  # the file(s) or hub id actually read
    fingerprint: str  # sha256 over the rows read
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {source,row,field,reason} when skip_invalid


@dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    source: str  # paper + repository file/function followed
    hub_id: str | None
    subsets: tuple[str, ...]
    load: Callable[[LoadOptions], LoadResult]
    outcome: Callable[[Record], dict[str, Any]]  # from the record's scores (and inputs) only
    aggregate: Callable[[Sequence[Record], int, int], dict[str, Any]]  # (records, seed, n_boot) -> metrics
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # truncation policy when the run gives none (None: the backend's own default, left); long-context
    # benchmarks use "error" so that no input is silently cut
    default_truncation: str | None = None


_REGISTRY: dict[str, Benchmark] = {}


def register(factory: Callable[[], Benchmark]) -> Callable[[], Benchmark]:
    b = factory()
    if b.name in _REGISTRY:
        raise ValueError(f"benchmark {b.name!r} registered twice")
    _REGISTRY[b.name] = b
    return factory


def _load_all() -> None:
    from assay.benchmarks import builtin  # noqa: F401  (imports every benchmark module)


def get(name: str) -> Benchmark:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown benchmark {name!r}; registered: {known}") from None


def all_benchmarks() -> list[Benchmark]:
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
