"""User data evaluated like a registered benchmark: a local file (JSONL, JSON, Parquet, CSV) or a
Hugging Face dataset id (``owner/name`` or ``owner/name:split``) of a supported shape: pairs
(prompt, chosen, rejected) or candidate lists (prompt, responses, best or ranking), with a column map."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record


def _split(name: str) -> tuple[str, str | None]:
    if Path(name).exists() or ":" not in name:
        return name, None
    base, split = name.rsplit(":", 1)
    return base, split


def custom_benchmark(name: str, *, columns: str | None = None, rule: str = "rb2") -> Benchmark:
    from assay.data.columns import ColumnMap

    if rule not in ("rb2", "rmb", "long"):
        raise ValueError(f"unknown best-of-N rule {rule!r}; use rb2, rmb or long")
    cmap = ColumnMap.parse(columns) if columns else ColumnMap()
    path, split = _split(name)

    def load(opts: LoadOptions) -> LoadResult:
        from assay.data.collect import collect
        from assay.data.columns import candidates_from_row, detect_shape, pair_from_row
        from assay.data.rows import read_rows

        source = opts.data or path
        rows = list(read_rows(source, split=split))
        if not rows:
            raise ValueError(f"{source}: no rows")
        first = next((r for r in rows if r.error is None), None)
        if first is None or not opts.skip_invalid:
            rows[0].check()  # a broken first line is reported as itself, not as an unknown shape
        shape = detect_shape(list((first or rows[0]).data.keys()), cmap, source=source)
        convert = pair_from_row if shape == "pairs" else candidates_from_row
        return collect(
            rows,
            lambda r: convert(r, cmap),
            skip_invalid=opts.skip_invalid,
            source=source,
            subsets=opts.subsets,
            limit=opts.limit,
        )

    def outcome(record: Record) -> dict[str, Any]:
        from assay.benchmarks.pairs import candidates_outcome, pairs_outcome

        return pairs_outcome(record) if record["kind"] == "pair" else candidates_outcome(record, rule=rule)

    def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
        from assay.benchmarks.pairs import candidates_aggregate, pairs_aggregate

        if records and records[0]["kind"] == "pair":
            return pairs_aggregate(records, seed, n_boot)
        return candidates_aggregate(records, seed, n_boot, rule=rule)

    return Benchmark(
        name=name,
        description=f"user data ({cmap})",
        source="user-provided file or dataset",
        hub_id=None if Path(path).exists() else path,
        subsets=(),
        load=load,
        outcome=outcome,
        aggregate=aggregate,
    )
