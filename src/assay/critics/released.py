"""Helpers shared by the ``predictions`` readers of released outputs (``assay score BENCH --predictions``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import LoadOptions

Record = dict[str, Any]


def select_records(records: list[Record], opts: LoadOptions) -> list[Record]:
    """Keep the records of ``opts.subsets`` (an unknown name is an error listing the available ones) and the
    first ``opts.limit`` per subset, in file order, as loaders do for samples."""
    available = sorted({str(r["subset"]) for r in records})
    if opts.subsets:
        unknown = sorted(set(opts.subsets) - set(available))
        if unknown:
            raise ValueError(f"unknown subset(s) {unknown}; available: {available}")
        records = [r for r in records if r["subset"] in opts.subsets]
    if opts.limit is None:
        return records
    if opts.limit < 0:
        raise ValueError(f"limit must be >= 0, got {opts.limit}")
    kept: dict[str, int] = {}
    out = []
    for r in records:
        n = kept.get(r["subset"], 0)
        if n < opts.limit:
            kept[r["subset"]] = n + 1
            out.append(r)
    return out


def files_digest(paths: Iterable[Path]) -> str:
    """sha256 over the bytes of the files read, in the given order."""
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
