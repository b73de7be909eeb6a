"""VLRMBench's released model outputs, read for ``assay score vlrmbench --predictions PATH``.

Format (JCruan519/VLRMBench ``model_eval/vllm_localapi_eval.py``): ``eval_res/<task>/<model>.jsonl``, the
data row plus ``model_answer`` (step tasks, foresight) or ``model_answer_front`` / ``model_answer_back``
(multi_solution). The task is the parent folder's name, else the file name; a folder may hold one file per
task. Records keep the raw answers; the benchmark's ``outcome`` parses them (``images_mode="released"``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import LoadOptions, PredictionsResult
from assay.critics.vlrm_data import STEP_TASKS, TASKS, gt_list
from assay.data.fields import optional
from assay.data.rows import DataError


def make_predictions(weighting: str) -> Any:
    """The benchmark's ``predictions`` reader, with the run's step-F1 weighting bound."""

    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        from assay.data.collect import skip_record
        from assay.data.rows import read_rows

        files = [path] if path.is_file() else sorted(p for p in path.rglob("*.jsonl"))
        by_task: dict[str, Path] = {}
        for f in files:
            task = f.parent.name if f.parent.name in TASKS else f.name.split(".")[0]
            if task not in TASKS:
                continue
            if task in by_task:
                raise DataError(str(path), None, None, f"several output files for task {task}; pass one file")
            by_task[task] = f
        if not by_task:
            raise DataError(str(path), None, None, f"no eval_res/<task>/<model>.jsonl file for tasks {TASKS}")
        records, skipped, digest = [], [], hashlib.sha256()
        for task, f in sorted(by_task.items()):
            if opts.subsets and task not in opts.subsets:
                continue
            digest.update(f"{task}\n".encode() + f.read_bytes())
            kept = 0
            for row in read_rows(str(f)):
                try:
                    rid = optional(row, "id")
                    if rid is None:
                        raise DataError.at(row, "id", "missing")
                    base = {
                        "id": f"{task}:{rid}",
                        "subset": task,
                        "images_mode": "released",
                        "weighting": weighting,
                    }
                    if task in STEP_TASKS:
                        rec = {
                            **base,
                            "kind": "vlrm_steps",
                            "task_gt": gt_list(row),
                            "answer": optional(row, "model_answer"),
                        }
                    elif task == "foresight":
                        gt = optional(row, "task_gt")
                        if not isinstance(gt, bool):
                            raise DataError.at(row, "task_gt", f"expected true/false, got {gt!r:.40}")
                        rec = {**base, "kind": "vlrm_foresight", "task_gt": gt, "answer": optional(row, "model_answer")}
                    else:
                        front, back = optional(row, "model_answer_front"), optional(row, "model_answer_back")
                        rec = {**base, "kind": "vlrm_multi_solution", "answer_front": front, "answer_back": back}
                except DataError as e:
                    if not opts.skip_invalid:
                        raise
                    skipped.append(skip_record(e))
                    continue
                if opts.limit is not None and kept >= opts.limit:
                    break
                kept += 1
                records.append(rec)
        return PredictionsResult(records, str(path), digest.hexdigest(), skipped)

    return predictions
