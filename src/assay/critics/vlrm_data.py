"""VLRMBench rows (JCruan519/VLRMBench ``benchmark_data/<task>.jsonl``) as ``Item`` samples.

Rows: ``id, image[] (paths under the authors' meta_data/Image), question, step_list[] (the original
reasoning), reasoning_error (the reasoning with injected errors, one string), task_gt, category``. The task
is the file name, else the row's ``category``. The same source sample recurs across task files, so item ids
are ``<task>:<id>``. Bad input raises ``DataError`` naming file, row and field; with ``image_root`` every
image path must name a file under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.data.fields import get_str, get_str_list, optional
from assay.data.rows import DataError, Row
from assay.samples import Item

STEP_TASKS = (
    "step_correctness",
    "redundant_det",
    "most_confidence",
    "attribute_hallucination",
    "existence_hallucination",
    "detail_error",
    "image_ref_error",
    "location_error",
)
OUTCOME_TASKS = ("foresight", "multi_solution")
TASKS = STEP_TASKS + OUTCOME_TASKS


def task_of(name: str, row: Row) -> str:
    """The task named by the file, else by the row's ``category``."""
    stem = Path(name).name.split(".")[0]
    if stem in TASKS:
        return stem
    cat = optional(row, "category")
    if isinstance(cat, str) and cat in TASKS:
        return cat
    raise DataError.at(
        row, "category", f"cannot tell the task: file {name!r} and category {cat!r} name none of {TASKS}"
    )


def gt_list(row: Row) -> list[int]:
    """A step task's ``task_gt``: a non-empty list of 0/1 (1 = the step holds the error)."""
    v = optional(row, "task_gt")
    if not isinstance(v, list) or not v or any(isinstance(x, bool) or x not in (0, 1) for x in v):
        raise DataError.at(row, "task_gt", f"expected a non-empty list of 0/1, got {v!r:.60}")
    return [int(x) for x in v]


def from_row(row: Row, task: str, image_root: str | None = None) -> Item:
    images = get_str_list(row, "image", allow_empty=True) if optional(row, "image") is not None else []
    if image_root:
        for p in images:
            if not (Path(image_root) / p).is_file():
                raise DataError.at(row, "image", f"{Path(image_root) / p}: no such image file")
    data: dict[str, Any] = {"task": task, "question": get_str(row, "question"), "images": images}
    if task in STEP_TASKS:
        data["reasoning_error"] = get_str(row, "reasoning_error")
        data["task_gt"] = gt_list(row)
    elif task == "foresight":
        gt = optional(row, "task_gt")
        if not isinstance(gt, bool):
            raise DataError.at(row, "task_gt", f"expected true/false, got {gt!r:.40}")
        process = optional(row, "reasoning_error")
        if process is None:
            process = optional(row, "step_list")
        if process is None:
            raise DataError.at(row, "step_list", "missing, and no reasoning_error either")
        data.update(task_gt=gt, reasoning_process=process)
    else:
        data.update(step_list=get_str_list(row, "step_list"), reasoning_error=get_str(row, "reasoning_error"))
    raw_id = optional(row, "id")
    if raw_id is None or str(raw_id) == "":
        raise DataError.at(row, "id", "missing")
    # the same source sample recurs across task files: ids are namespaced by task
    return Item(id=f"{task}:{raw_id}", data=data, meta={"subset": task})
