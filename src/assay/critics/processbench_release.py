"""ProcessBench's released critic outputs, read for ``assay score processbench --predictions PATH``.

Format (QwenLM/ProcessBench ``code/run_eval.py``, which writes ``outputs/<model>/<subset>_error.jsonl`` and
``<subset>_correct.jsonl``): the data row plus ``generated_critique`` (a string, or a list of strings for a
voting run), ``prediction`` and ``match``. Records keep the critique text so the outcome is recomputed from
it with assay's parser; a row without ``generated_critique`` (e.g. a PRM run's output) keeps the authors'
``prediction``. A row in the wrong file (label -1 in ``_error``) is a ``DataError``.

``--limit N`` keeps N items per subset taken alternately from its files (``_correct`` row 1, ``_error``
row 1, ``_correct`` row 2, ...; files in name order, a shorter file simply runs out), so a limited score
sees both correct and erroneous solutions; reading the files one after the other would fill the limit
from ``<subset>_correct.jsonl`` alone (its name sorts first), leaving acc_err undefined.
"""

from __future__ import annotations

import hashlib
import re
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import LoadOptions, PredictionsResult, Record
from assay.critics.processbench_data import KIND_CRITIC, from_row, item_fields, subset_from
from assay.data.fields import optional
from assay.data.rows import DataError

_FILE = re.compile(r"^(.*)_(error|correct)\.jsonl$")


def prediction_files(path: Path) -> list[Path]:
    """The file itself, or the ``<subset>_error.jsonl`` / ``<subset>_correct.jsonl`` files of a folder."""
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if re.search(r"_(error|correct)\.jsonl$", p.name))
    if not files:
        raise DataError(str(path), None, None, "no <subset>_error.jsonl / <subset>_correct.jsonl files")
    return files


def interleave(lists: list[list[Record]], limit: int | None) -> list[Record]:
    """Round-robin over ``lists`` (one per file), the first ``limit`` records (all when None)."""
    gap = object()
    merged = [r for r in chain.from_iterable(zip_longest(*lists, fillvalue=gap)) if r is not gap]
    return merged if limit is None else merged[:limit]


def make_predictions(allowed: tuple[str, ...], numbering: int, parse: str) -> Any:
    """The benchmark's ``predictions`` reader, with the run's numbering and parse rule bound."""

    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        from assay.data.collect import skip_record
        from assay.data.rows import read_rows

        files = prediction_files(path)
        digest = hashlib.sha256()
        by_file: dict[str, dict[str, list[Record]]] = {}  # subset -> file name -> records, in file order
        skipped: list[dict[str, Any]] = []
        for f in files:
            digest.update(f"{f.name}\n".encode() + f.read_bytes())
            m = _FILE.match(f.name)
            for row in read_rows(str(f)):
                try:
                    item = from_row(row, "", allowed)
                    subset = subset_from(m.group(1) if m else f.name, item.id, allowed)
                    if subset is None:
                        raise DataError.at(row, "id", f"cannot tell the subset (expected one of {allowed})")
                    if m and (m.group(2) == "error") != (item.data["label"] != -1):
                        raise DataError.at(row, "label", f"label {item.data['label']} in a _{m.group(2)} file")
                    crit = optional(row, "generated_critique")
                    if crit is not None and not (
                        isinstance(crit, str) or (isinstance(crit, list) and all(isinstance(c, str) for c in crit))
                    ):
                        raise DataError.at(row, "generated_critique", "expected a string or a list of strings")
                    released = row.data.get("prediction")
                    if crit is None and "prediction" not in row.data:
                        raise DataError.at(row, "prediction", "missing (and no generated_critique to parse)")
                except DataError as e:
                    if not opts.skip_invalid:
                        raise
                    skipped.append(skip_record(e))
                    continue
                if opts.subsets and subset not in opts.subsets:
                    continue
                by_file.setdefault(subset, {}).setdefault(f.name, []).append(
                    {
                        "id": item.id,
                        "subset": subset,
                        "kind": KIND_CRITIC,
                        **item_fields(item),
                        "numbering": numbering,
                        "parse": parse,
                        "votes": len(crit) if isinstance(crit, list) else 1,
                        "critiques": None if crit is None else ([crit] if isinstance(crit, str) else list(crit)),
                        "released_prediction": released,
                        "source_file": f.name,
                    }
                )
        records = [r for per_file in by_file.values() for r in interleave(list(per_file.values()), opts.limit)]
        return PredictionsResult(records, str(path), digest.hexdigest(), skipped)

    return predictions
