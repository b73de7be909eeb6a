"""CriticBench release formats: dataset rows as ``Item`` and the authors' released critique/correction results.

Rows (hub ``llm-agents/CriticBench``, split ``test``): ``id``, ``question``, ``response``, ``response_label``
(bool: the response is correct), ``answer`` (gold answers; MBPP/HumanEval: ``answer[0]`` is the test code),
``question_source`` (the subset) and ``question_type`` (the domain). Results: the authors'
``output/<model>/{critique,correction}/<type>_result_<time>.jsonl`` (rows ``{"id", "critique_result"}`` /
``{"id", "correction_result"}``), or one merged JSONL file holding both keys. Bad input raises ``DataError``
naming file, row and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assay.benchmarks.pairs import row_id
from assay.critics.criticbench_parse import SOURCES
from assay.critics.criticbench_prompts import CORRECTION_FILES, CORRECTION_TYPE, CRITIQUE_FILES
from assay.data.fields import get_str, optional
from assay.data.rows import DataError, Row
from assay.samples import Item


def from_row(row: Row) -> Item:
    """One dataset row as an ``Item`` (subset = ``question_source``, ``domain`` = ``question_type``)."""
    source = get_str(row, "question_source")
    if source not in SOURCES:
        raise DataError.at(row, "question_source", f"unknown source {source!r}; expected one of {list(SOURCES)}")
    label = row.data.get("response_label")
    if isinstance(label, int) and not isinstance(label, bool) and label in (0, 1):
        label = bool(label)
    if not isinstance(label, bool):
        raise DataError.at(row, "response_label", f"expected a bool (the response is correct), got {label!r:.40}")
    answers = optional(row, "answer")
    if answers is None or (isinstance(answers, str) and not answers.strip()):
        raise DataError.at(row, "answer", "missing (the gold answer(s))")
    answers = list(answers) if isinstance(answers, list | tuple) else [answers]
    if not answers or any(a is None for a in answers):
        raise DataError.at(row, "answer", f"expected gold answers, got {answers!r:.60}")
    data = {
        "question": get_str(row, "question"),
        "response": get_str(row, "response", allow_empty=True),
        "response_label": label,
        "answers": answers,
        "domain": get_str(row, "question_type"),
    }
    return Item(id=row_id(row), data=data, meta={"subset": source})


@dataclass(frozen=True)
class Released:
    """Released results by id, the prompt type of each task (it fixes the answer format) and the files read."""

    critiques: dict[str, str]
    corrections: dict[str, str] | None
    critique_type: str
    correction_type: str | None
    files: list[Path]


def _type_from_name(path: Path, task: str) -> str | None:
    prefix = path.name.split("_result_")[0] if "_result_" in path.name else None
    known = CRITIQUE_FILES if task == "critique" else CORRECTION_FILES
    return prefix if prefix in known else None


def _find(path: Path, task: str) -> Path | None:
    folder = path / task
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.jsonl"))
    if len(files) > 1:
        raise DataError(str(folder), None, None, f"several result files, pass one: {[f.name for f in files]}")
    return files[0] if files else None


def _read_results(path: Path) -> dict[str, dict[str, str]]:
    """{"critique_result": {id: text}, "correction_result": {id: text}} from one result file."""
    from assay.data.rows import read_rows

    out: dict[str, dict[str, str]] = {}
    for row in read_rows(str(path)):
        rid = row_id(row)
        keys = [k for k in ("critique_result", "correction_result") if k in row.data]
        if not keys:
            raise DataError.at(
                row, "critique_result", "missing (a result row holds critique_result or correction_result)"
            )
        for key in keys:
            seen = out.setdefault(key, {})
            if rid in seen:
                raise DataError.at(row, "id", f"duplicate id {rid!r}")
            seen[rid] = get_str(row, key, allow_empty=True)
    return out


def read_released(path: Path, prompt: str | None) -> Released:
    """The results under ``path`` (the ``output/<model>`` folder, or one JSONL file).

    The prompt type is ``prompt`` when given, else the file name's prefix, else "fs" (the authors' default).
    """
    if path.is_dir():
        crit_file, corr_file = _find(path, "critique"), _find(path, "correction")
        if crit_file is None:
            raise DataError(str(path), None, None, "no critique/<type>_result_<time>.jsonl (the authors' layout)")
        crit = _read_results(crit_file).get("critique_result", {})
        corr = _read_results(corr_file).get("correction_result", {}) if corr_file else None
        files = [crit_file] + ([corr_file] if corr_file else [])
    else:
        crit_file = corr_file = path
        both = _read_results(path)
        if "critique_result" not in both:
            raise DataError(str(path), None, "critique_result", "no row holds a critique_result")
        crit, corr, files = both["critique_result"], both.get("correction_result"), [path]
    crit_type = prompt or _type_from_name(crit_file, "critique") or "fs"
    corr_type = None
    if corr is not None:
        named = _type_from_name(corr_file, "correction") if corr_file is not None else None
        corr_type = CORRECTION_TYPE[prompt] if prompt else (named or CORRECTION_TYPE[crit_type])
    return Released(crit, corr, crit_type, corr_type, files)
