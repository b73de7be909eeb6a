"""REFUTE data (Hugging Face ``bethgelab/REFUTE``, split ``train``): rows -> ``Item``, as the authors'
falsifiers/REFUTE ``refute/utils/get_dataset.py`` and ``dataset_parser.py`` read the columns.

Split out of :mod:`assay.benchmarks.refute` (the benchmark, its prompt, protocol and metrics; its module
docstring lists the columns), which re-exports ``load``, ``to_item`` and the constants here.
A malformed row raises ``DataError`` naming the file, row and field.
"""

from __future__ import annotations

from typing import Any

from assay.benchmarks.registry import LoadOptions, LoadResult
from assay.data.collect import collect
from assay.data.fields import get_str, optional
from assay.data.rows import DataError, Row, read_rows
from assay.samples import Item

HUB_ID = "bethgelab/REFUTE"
SUBSET = "refute"

TEXT_FIELDS = ("statement", "input", "output", "example_input", "example_output", "note")
KNOWN = {"problem_id", "time_limit", "memory_limit", "wrong_code", "wrong_code_lang", "correct_cpp"}
KNOWN |= {"correct_python", "validator", *TEXT_FIELDS}


def _opt_text(row: Row, name: str) -> str | None:
    v = optional(row, name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise DataError.at(row, name, f"expected a string or null, got {type(v).__name__}")
    return v


def _number(row: Row, name: str) -> float | int | None:
    v = optional(row, name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise DataError.at(row, name, f"expected a number, got {type(v).__name__}")
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise DataError.at(row, name, f"expected a number, got {v!r:.30}") from None
    return int(v) if float(v).is_integer() else float(v)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, str | int | float | bool) or v is None:
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return repr(v)


def to_item(row: Row) -> Item:
    """One REFUTE problem; ``data`` holds the columns the protocol uses (see the module docstring)."""
    pid = get_str(row, "problem_id")
    correct_cpp, correct_python = _opt_text(row, "correct_cpp"), _opt_text(row, "correct_python")
    if correct_cpp is None and correct_python is None:
        raise DataError.at(row, "correct_cpp", "no correct solution: correct_cpp and correct_python are both null")
    # dataset_parser.py get_correct_sub: correct_cpp as "C++ 20" unless it is None, else correct_python
    correct_code, correct_lang = (correct_cpp, "C++ 20") if correct_cpp is not None else (correct_python, "Python 3")
    data: dict[str, Any] = {
        "problem_id": pid,
        **{f: _opt_text(row, f) for f in TEXT_FIELDS},
        "time_limit": _number(row, "time_limit"),
        "memory_limit": _number(row, "memory_limit"),
        "wrong_code": get_str(row, "wrong_code"),
        "wrong_code_lang": get_str(row, "wrong_code_lang"),
        "correct_code": correct_code,
        "correct_lang": correct_lang,
        "validator": get_str(row, "validator"),
    }
    meta = {"subset": SUBSET, **{k: _jsonable(v) for k, v in row.data.items() if k not in KNOWN}}
    return Item(id=pid, data=data, meta=meta)


def load(opts: LoadOptions) -> LoadResult:
    source = opts.data or HUB_ID
    return collect(
        read_rows(source, split="train"),
        to_item,
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )
