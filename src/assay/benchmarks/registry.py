"""Benchmark registry: each benchmark module registers one ``Benchmark`` by name with ``@register``.

A benchmark bundles: where its data lives (hub id, official format), how a row becomes a typed sample,
how a scored record becomes an outcome, and the exact aggregation of the original paper's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.samples import Sample

if TYPE_CHECKING:
    from assay.protocols.context import RunContext

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
class PredictionsResult:
    """Records built from outputs that already exist (the authors' release format), for ``assay score``."""

    records: list[Record]  # without "outcome": the runner adds bench.outcome(record)
    source: str  # the file(s) read
    fingerprint: str  # sha256 over what was read
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
    # a model-driven protocol (critic, judge, falsifier): one record per sample, without "outcome"
    run: Callable[[Sequence[Sample], RunContext], list[Record]] | None = None
    # records from released outputs (``assay score BENCH --predictions PATH``); no model is run
    predictions: Callable[[Path, LoadOptions], PredictionsResult] | None = None
    # benchmark-specific options (``--option key=value``): name -> help, and the binder that returns the
    # variant with them applied (re-applied by ``assay rescore`` from the manifest)
    options: dict[str, str] = field(default_factory=dict)
    configure: Callable[[Mapping[str, str]], Benchmark] | None = None

    def with_options(self, values: Mapping[str, str]) -> Benchmark:
        """The variant of this benchmark for ``values``; unknown option names are a usage error."""
        if not values:
            return self
        unknown = sorted(set(values) - set(self.options))
        if unknown or self.configure is None:
            valid = ", ".join(sorted(self.options)) or "none"
            raise ValueError(f"{self.name}: unknown option(s) {', '.join(unknown or sorted(values))}; valid: {valid}")
        return self.configure(values)


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
