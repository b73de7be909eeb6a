"""RealCritic critiques that already exist -> records for ``assay score realcritic --predictions PATH``.

Two input formats, one JSON object per line:

1. The authors' output (tangzhy/RealCritic ``math_eval.py`` ``main`` + ``save_jsonl``), written to
   ``<output_dir>/math_eval/<task>/test_critic_and_correct_..._turn<k>.jsonl``: ``idx``, ``question``,
   ``gt``, ``gt_cot``, ``critic`` (a list with one critique per sample, or a string in older revisions),
   ``pred``/``score`` (upstream's own extraction and grade, kept as ``authors_pred``/``authors_score``),
   ``message`` (the conversation; its assistant turns are the earlier rounds of an iterative critique).
   The task is the name of the file's folder. Upstream does not copy ``previous_score`` into these rows,
   so the original correctness is looked up by (task, idx) in ``--data``: the RealCritic data the
   critiques were made on (cross), or the model's own ``direct-cot`` output folder (self), which both
   carry ``previous_score``.
2. Our own minimal form: ``id`` (``"<task>/<idx>"``) or ``task``/``subset`` + ``idx``, and ``critique``
   (the critique text, or the list of turns, last scored); any of question, gt, gt_cot, previous_score
   and solution may be given, the rest comes from ``--data``.

A PATH may be one file or a folder; in a folder every ``*.jsonl`` whose parent folder is named after a
task (at any depth, ``*metrics*`` files ignored) is read, one file per task.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from assay.benchmarks.realcritic import (
    DEFAULT_GRADER_TIMEOUT_S,
    TASKS,
    answer_found,
    from_row,
    grade_record,
    parse_turn,
    task_files,
)
from assay.benchmarks.registry import LoadOptions, PredictionsResult, Record
from assay.data.collect import skip_record
from assay.data.rows import DataError, Row, read_rows


def prediction_files(path: Path) -> list[tuple[str, Path]]:
    """(task, file) pairs under ``path``; one file per task."""
    if path.is_file():
        stem = path.name.split(".")[0]
        return [(stem if stem in TASKS else path.parent.name, path)]
    found: dict[str, list[Path]] = {}
    for f in sorted(path.rglob("*.jsonl")):
        if "metrics" in f.name:
            continue
        task = f.parent.name if f.parent.name in TASKS else f.name.split(".")[0]
        if task in TASKS:
            found.setdefault(task, []).append(f)
    if not found:
        raise DataError(str(path), None, None, f"no prediction files for the tasks {', '.join(TASKS)}")
    several = {t: fs for t, fs in found.items() if len(fs) > 1}
    if several:
        t, fs = next(iter(several.items()))
        names = ", ".join(str(f.relative_to(path)) for f in fs)
        raise DataError(str(path), None, None, f"several prediction files for task {t}: {names}; pass one file")
    return sorted(((t, fs[0]) for t, fs in found.items()), key=lambda kv: TASKS.index(kv[0]))


def _reference(opts: LoadOptions) -> dict[tuple[str, str], dict[str, Any]]:
    """(task, idx) -> the item's data from ``--data`` (empty without it)."""
    if not opts.data:
        return {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for task, f in task_files(Path(opts.data).expanduser()):
        for row in read_rows(str(f)):
            item = from_row(row, task)
            out[(task, str(item.meta["idx"]))] = {**item.data, "meta": item.meta}
    return out


def _key(row: Row, task: str) -> tuple[str, str]:
    d = row.data
    if isinstance(d.get("id"), str) and "/" in d["id"]:
        t, _, idx = d["id"].partition("/")
        return t, idx
    t = d.get("task") or d.get("subset") or task
    if "idx" not in d or d["idx"] is None:
        raise DataError.at(row, "idx", "missing: give idx (or an id '<task>/<idx>')")
    return str(t), str(d["idx"])


def _turns(row: Row) -> list[str]:
    d = row.data
    if "critique" in d:
        v = d["critique"]
        texts = v if isinstance(v, list) else [v]
    elif "critic" in d:
        v = d["critic"]
        final = v[-1] if isinstance(v, list) and v else v
        earlier = [
            m.get("content") for m in d.get("message") or [] if isinstance(m, dict) and m.get("role") == "assistant"
        ]
        texts = [*earlier, final]
    else:
        raise DataError.at(row, "critic", "missing: a RealCritic output row has 'critic' (ours: 'critique')")
    if not texts or not all(isinstance(t, str) for t in texts):
        raise DataError.at(row, "critique" if "critique" in d else "critic", "expected text (or a list of texts)")
    return texts


def _solution_from_message(d: dict[str, Any]) -> str | None:
    for m in d.get("message") or []:
        if isinstance(m, dict) and m.get("role") == "user" and "## Student Solution\n" in str(m.get("content")):
            return str(m["content"]).split("## Student Solution\n", 1)[1]
    return None


def to_record(row: Row, task: str, ref: dict[tuple[str, str], dict[str, Any]], mode: str) -> Record:
    row.check()
    d = row.data
    t, idx = _key(row, task)
    base = ref.get((t, idx), {})

    def pick(name: str, ref_name: str | None = None) -> Any:
        if d.get(name) is not None:
            return d[name]
        return base.get(ref_name or name)

    prev = pick("previous_score")
    if isinstance(prev, list) and len(prev) == 1:
        prev = prev[0]
    if not isinstance(prev, bool):
        hint = "pass --data: the RealCritic data (cross) or the direct-cot outputs (self) the critiques were made on"
        raise DataError.at(row, "previous_score", f"absent for {t}/{idx} ({hint})")
    for name in ("question", "gt"):
        if not isinstance(pick(name), str):
            raise DataError.at(row, name, f"missing for {t}/{idx} (in neither the row nor --data)")
    texts = _turns(row)
    gt = str(pick("gt"))
    turns = [parse_turn(x, None, t, gt) for x in texts]  # upstream records no finish reason
    authors_score = d.get("score")
    if isinstance(authors_score, list):
        authors_score = authors_score[-1] if authors_score else None
    authors_pred = d.get("pred")
    if isinstance(authors_pred, list):
        authors_pred = authors_pred[-1] if authors_pred else None
    gt_cot = pick("gt_cot")
    return {
        "id": f"{t}/{idx}",
        "subset": t,
        "kind": "critique",
        "mode": mode,
        "rounds": len(turns),
        "question": pick("question"),
        "gt": gt,
        "gt_cot": gt_cot if isinstance(gt_cot, str) else None,
        "solution": d.get("solution") or _solution_from_message(d) or base.get("solution"),
        "solution_pred": base.get("solution_pred"),
        "previous_score": prev,
        "turns": turns,
        "valid": answer_found(turns[-1]["pred"], gt),
        "authors_pred": authors_pred if isinstance(authors_pred, str) else None,
        "authors_score": authors_score if isinstance(authors_score, bool) else None,
        "meta": {"subset": t, "idx": idx, "source": row.source, "row": row.label},
    }


def read_predictions(
    path: Path, opts: LoadOptions, *, mode: str = "cross", timeout_s: float = DEFAULT_GRADER_TIMEOUT_S
) -> PredictionsResult:
    """Records of the kept rows, the last turn's answer graded once here (``turns[-1].grade``)."""
    files = prediction_files(path)
    ref = _reference(opts)
    wanted = set(opts.subsets)
    digest = hashlib.sha256()
    records: list[Record] = []
    skipped: list[dict[str, Any]] = []
    seen: set[str] = set()
    kept: dict[str, int] = {}
    for task, f in files:
        digest.update(f.read_bytes())
        for row in read_rows(str(f)):
            try:
                rec = to_record(row, task, ref, mode)
                if rec["id"] in seen:
                    raise DataError.at(row, "idx", f"duplicate item {rec['id']}")
            except DataError as e:
                if not opts.skip_invalid:
                    raise
                skipped.append({**skip_record(e), "subset": task})
                continue
            seen.add(rec["id"])
            t = rec["subset"]
            if (wanted and t not in wanted) or (opts.limit is not None and kept.get(t, 0) >= opts.limit):
                continue
            kept[t] = kept.get(t, 0) + 1
            last = rec["turns"][-1]
            last["grade"] = grade_record(last["pred"], rec["gt"], rec["gt_cot"], t, timeout_s)
            records.append(rec)
    unknown = sorted(wanted - set(kept))
    if unknown:
        raise ValueError(f"{path}: no predictions for subset(s) {unknown}; found: {sorted(kept) or 'none'}")
    if wanted:
        skipped = [s for s in skipped if s["subset"] in wanted]
    return PredictionsResult(records=records, source=str(path), fingerprint=digest.hexdigest(), skipped=skipped)
