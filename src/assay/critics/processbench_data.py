"""ProcessBench / MR-GSM8K rows as ``Item`` samples, and the item fields every record carries.

Rows (hub ``Qwen/ProcessBench``, one split per subset; RUCBM/DeepCritic ``data/Mr-GSM8K/processed_test.json``):
``{id, generator, problem, steps[], final_answer_correct, label}``, ``label`` = 0-based index of the earliest
erroneous step, -1 when every step is right. The subset is the id prefix (``gsm8k-0``), else the file name,
else the only subset allowed (MR-GSM8K has integer ids). Bad input raises ``DataError`` naming file, row and
field.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assay.data.fields import get_int, get_str, get_str_list, optional
from assay.data.rows import DataError, Row
from assay.samples import Item

KIND_CRITIC = "first_error"  # record kind of a generative critic run (or released critic outputs)
KIND_PRM = "prm_steps"  # record kind of a process reward model run


def from_row(row: Row, subset: str | None, allowed: Sequence[str] = ()) -> Item:
    if subset is None:
        raise DataError.at(row, "id", f"cannot tell the subset (not a {'/'.join(allowed)} id or file name)")
    steps = get_str_list(row, "steps")
    label = get_int(row, "label")
    if not -1 <= label < len(steps):
        raise DataError.at(row, "label", f"{label} is outside -1..{len(steps) - 1} ({len(steps)} steps)")
    fac = optional(row, "final_answer_correct")
    if fac is not None and not isinstance(fac, bool):
        raise DataError.at(row, "final_answer_correct", f"expected true/false, got {fac!r:.40}")
    raw_id = optional(row, "id")
    if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise DataError.at(row, "id", f"expected a string or integer id, got {raw_id!r:.40}")
    generator = optional(row, "generator", "")
    return Item(
        id=str(raw_id),
        data={
            "problem": get_str(row, "problem"),
            "steps": steps,
            "label": label,
            "generator": generator if isinstance(generator, str) else str(generator),
            "final_answer_correct": fac,
        },
        meta={"subset": subset},
    )


def subset_from(name: str, item_id: str, allowed: Sequence[str]) -> str | None:
    """The id prefix if it is a subset, else the file name's stem, else the only subset (None if unknown)."""
    prefix = item_id.rsplit("-", 1)[0] if "-" in item_id else ""
    if prefix in allowed:
        return prefix
    stem = name.split(".")[0].lower()
    if stem in allowed:
        return stem
    return allowed[0] if len(allowed) == 1 else None  # MR-GSM8K: one subset, integer ids


def rows_with_subset(
    source: str, allowed: tuple[str, ...], wanted: tuple[str, ...], hub: bool
) -> Iterator[tuple[Row, str | None]]:
    """(row, subset) from one file, a folder of ``<subset>.json`` files, or the hub's per-subset splits."""
    from assay.data.rows import read_rows

    path = Path(source).expanduser()
    if path.is_file():
        for row in read_rows(source):
            rid = str(row.data.get("id", "")) if not row.error else ""
            yield row, subset_from(path.name, rid, allowed)
        return
    names = [s for s in allowed if not wanted or s in wanted]
    if path.is_dir() and not wanted:  # a folder: the subsets whose file is there
        present = {p.name.split(".")[0].lower() for p in path.iterdir()}
        names = [s for s in names if s in present] or names
    for s in names:
        for row in read_rows(source, split=s if (hub or path.is_dir()) else None):
            yield row, s


def item_fields(s: Item) -> dict[str, Any]:
    """The inputs every record repeats (so outcome and rescore need only the record)."""
    d = s.data
    return {
        "problem": d["problem"],
        "steps": list(d["steps"]),
        "label": int(d["label"]),
        "generator": d.get("generator", ""),
        "final_answer_correct": d.get("final_answer_correct"),
    }
