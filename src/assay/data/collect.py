"""Turn raw rows into typed samples: validate, deduplicate, filter by subset, limit, fingerprint.

Every row is converted and checked, even past ``limit`` or outside the requested subsets, so a
limited run validates the same file a full run would and duplicate ids anywhere are caught. A bad row
raises its ``DataError`` unless ``skip_invalid``; then it is recorded in ``LoadResult.skipped`` as
``{"source", "row", "field", "reason"}`` ("row" is the printed location, e.g. "line 7"). The
fingerprint covers exactly the rows kept, in order, so two runs with equal fingerprints saw the same
inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from assay.benchmarks.registry import LoadResult
from assay.data.rows import DataError, Row
from assay.samples import Sample


def _json_default(o: Any) -> Any:
    """JSON stand-ins for values parquet/datasets rows may hold (bytes, images, numpy, dates)."""
    if isinstance(o, bytes | bytearray):
        return {"$bytes_sha256": hashlib.sha256(o).hexdigest()}
    if hasattr(o, "tobytes") and hasattr(o, "mode"):  # PIL image
        return {"$image_sha256": hashlib.sha256(o.tobytes()).hexdigest(), "size": list(o.size)}
    if hasattr(o, "tolist"):  # numpy array / scalar
        return o.tolist()
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if isinstance(o, set | frozenset):
        return sorted(o, key=repr)
    return {"$repr": repr(o)}


def canonical_row(data: dict[str, Any]) -> str:
    """Canonical JSON of a raw row: sorted keys, compact, NaN kept as NaN, odd types by stand-ins."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def stable_id(data: dict[str, Any]) -> str:
    """An id for files without an id column: the first 16 hex chars of sha256(canonical row).

    Two identical rows get the same id, so ``collect`` reports them as duplicate ids (or, with
    skip_invalid, keeps the first and records the second): an exact duplicate row is never scored
    twice silently. A collision between different rows (2**-64 per pair) is reported the same way.
    """
    return hashlib.sha256(canonical_row(data).encode("utf-8")).hexdigest()[:16]


def skip_record(e: DataError) -> dict[str, Any]:
    """The ``LoadResult.skipped`` entry for a data error."""
    return {"source": e.source, "row": e.location, "field": e.field, "reason": e.message}


def collect(
    rows: Iterable[Row],
    to_sample: Callable[[Row], Sample],
    *,
    skip_invalid: bool,
    source: str,
    subsets: Sequence[str] = (),
    limit: int | None = None,
) -> LoadResult:
    """Convert ``rows`` with ``to_sample`` into a ``LoadResult``.

    ``subsets``: keep only these (an unknown name is a ValueError listing the available ones);
    ``limit``: keep the first N valid samples per subset, in file order. ``source`` is recorded as
    what was read (the file, folder or hub id).
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    wanted = set(subsets)
    samples: list[Sample] = []
    skipped: list[dict[str, Any]] = []
    first_seen: dict[str, Row] = {}
    available: dict[str, None] = {}
    kept_per_subset: Counter[str] = Counter()
    digest = hashlib.sha256()

    for row in rows:
        try:
            row.check()
            try:
                sample = to_sample(row)
            except DataError:
                raise
            except Exception as e:  # a loader bug: keep it a bug, but say which row triggered it
                e.add_note(f"while converting {row.source}: {row.label}")
                raise
            first = first_seen.get(sample.id)
            if first is not None:
                raise DataError.at(row, "id", f"duplicate id {sample.id!r} (first at {first.source}: {first.label})")
        except DataError as e:
            if not skip_invalid:
                raise
            rec = skip_record(e)
            raw_subset = row.data.get("subset") if isinstance(row.data, dict) else None
            if isinstance(raw_subset, str):  # so a skip outside the requested subsets is not counted
                rec["subset"] = raw_subset
                available[raw_subset] = None
            skipped.append(rec)
            continue
        first_seen[sample.id] = row
        subset = sample.subset
        available[subset] = None
        if wanted and subset not in wanted:
            continue
        if limit is not None and kept_per_subset[subset] >= limit:
            continue
        kept_per_subset[subset] += 1
        samples.append(sample)
        digest.update(canonical_row(row.data).encode("utf-8"))
        digest.update(b"\n")

    if wanted:
        skipped = [s for s in skipped if s.get("subset") is None or s["subset"] in wanted]
    unknown = sorted(wanted - set(available))
    if unknown:
        raise ValueError(f"{source}: unknown subset(s) {unknown}; available: {sorted(available)}")
    return LoadResult(samples=samples, source=source, fingerprint=digest.hexdigest(), skipped=skipped)
