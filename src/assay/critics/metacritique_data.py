"""MetaCritique data: the authors' JSON rows as typed items, and their released labels as records.

Field checks name the file, the row and the nested field (``human_critique.precision_labels[3]``). Formats:
``data/benchmark_data.json`` / ``data/annotation_data.json`` (gpt4_answer, gpt4_critique {critique, aius};
the annotation file adds human_critique / llm1_critique / llm2_critique, each {critique, aius,
precision_labels, recall_labels, precision_score, recall_score, f1_score[, model]}), the
``eval_examples/test_samples.json`` shape (reference_answer, reference_critique, hypothesis_critique), and the
step-by-step outputs of the authors' README (``hypothesis_eval_data.json`` with ``hypothesis_precision.json``
and ``hypothesis_recall.json``: flat lists of {explanation, verifying_result}, consumed critique by critique
as ``cal_meta_scores.meta_score`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import LoadOptions, LoadResult, PredictionsResult, Record
from assay.critics.released import files_digest, select_records
from assay.data.fields import get_int, get_str, optional
from assay.data.rows import DataError, Row
from assay.samples import Item

REPO = "https://github.com/GAIR-NLP/MetaCritique"
SLOTS = ("human", "llm1", "llm2")
KIND = "critique_eval"
STEP_FILES = ("hypothesis_eval_data.json", "hypothesis_precision.json", "hypothesis_recall.json")


def _dict(row: Row, field: str) -> dict[str, Any]:
    v = row.data.get(field)
    if not isinstance(v, dict):
        raise DataError.at(row, field, f"expected an object, got {type(v).__name__}")
    return v


def _text_in(row: Row, field: str, obj: dict[str, Any], key: str, allow_empty: bool = False) -> str:
    v = obj.get(key)
    if not isinstance(v, str) or (not allow_empty and not v.strip()):
        what = "empty" if isinstance(v, str) else f"expected a string, got {type(v).__name__}"
        raise DataError.at(row, f"{field}.{key}", what)
    return v


def _str_list(row: Row, label: str, v: Any) -> list[str]:
    if not isinstance(v, list) or not v:
        raise DataError.at(row, label, "expected a non-empty list of strings")
    for i, x in enumerate(v):
        if not isinstance(x, str):
            raise DataError.at(row, f"{label}[{i}]", f"expected a string, got {type(x).__name__}")
    return list(v)


def _bool_list(row: Row, label: str, v: Any, n: int) -> list[bool]:
    if not isinstance(v, list):
        raise DataError.at(row, label, f"expected a list of true/false, got {type(v).__name__}")
    if len(v) != n:
        raise DataError.at(row, label, f"{len(v)} labels for {n} AIUs")
    for i, x in enumerate(v):
        if not isinstance(x, bool):
            raise DataError.at(row, f"{label}[{i}]", f"expected true/false, got {x!r:.40}")
    return list(v)


def _reference(row: Row) -> tuple[str, str, list[str] | None]:
    """(reference answer, reference critique, its AIUs or None) from gpt4_* or reference_* fields."""
    ans_field = "gpt4_answer" if "gpt4_answer" in row.data else "reference_answer"
    answer = get_str(row, ans_field)
    crit_field = "gpt4_critique" if "gpt4_critique" in row.data else "reference_critique"
    raw = row.data.get(crit_field)
    if isinstance(raw, str):
        return answer, get_str(row, crit_field), None
    crit = _dict(row, crit_field)
    text = _text_in(row, crit_field, crit, "critique")
    aius = _str_list(row, f"{crit_field}.aius", crit["aius"]) if "aius" in crit else None
    return answer, text, aius


def _slot(row: Row, slot: str) -> dict[str, Any]:
    field = f"{slot}_critique"
    if field not in row.data:
        raise DataError.at(row, field, "missing: critique sources human/llm1/llm2 need the annotation file")
    return _dict(row, field)


def from_row(row: Row, source: str) -> Item:
    idx = get_int(row, "index")
    answer, ref_text, ref_aius = _reference(row)
    data: dict[str, Any] = {
        "dataset": str(optional(row, "dataset", "")),
        "question": get_str(row, "question"),
        "response": get_str(row, "response", allow_empty=True),
        "reference_answer": answer,
        "reference_critique": ref_text,
        "reference_aius": ref_aius,
        "critique_source": source,
        "critique": None,
        "stored_aius": None,
        "human_scores": None,
        "critic_model": None,
    }
    if source in SLOTS:
        obj = _slot(row, source)
        field = f"{source}_critique"
        data["critique"] = _text_in(row, field, obj, "critique", allow_empty=True)
        data["stored_aius"] = _str_list(row, f"{field}.aius", obj.get("aius"))
        data["critic_model"] = obj.get("model", "human" if source == "human" else None)
        if "precision_score" in obj:
            data["human_scores"] = {k: obj.get(f"{k}_score") for k in ("precision", "recall", "f1")}
    elif source == "hypothesis":
        raw = row.data.get("hypothesis_critique")
        data["critique"] = (
            _text_in(row, "hypothesis_critique", raw, "critique", allow_empty=True)
            if isinstance(raw, dict)
            else get_str(row, "hypothesis_critique", allow_empty=True)
        )
    return Item(id=str(idx), data=data, meta={"subset": source})


def _need_data(opts: LoadOptions) -> str:
    if not opts.data:
        raise ValueError(
            "metacritique has no hub copy: pass --data PATH to the authors' data/benchmark_data.json or "
            f"data/annotation_data.json ({REPO})"
        )
    return opts.data


def load_with(source: str, opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    path = _need_data(opts)
    return collect(
        read_rows(path),
        lambda row: from_row(row, source),
        skip_invalid=opts.skip_invalid,
        source=path,
        subsets=opts.subsets,
        limit=opts.limit,
    )


# ----------------------------------------------------------------------------- released outputs


def _checks(aius: Sequence[str], labels: Sequence[Any], raws: Sequence[str | None] | None = None) -> list[dict]:
    raws = raws if raws is not None else [None] * len(aius)
    return [{"aiu": a, "raw": r, "verdict": v} for a, v, r in zip(aius, labels, raws, strict=True)]


def _human_records(row: Row) -> list[Record]:
    """One record per annotated critique: its AIUs with the human labels and the stored scores."""
    idx = get_int(row, "index")
    _, _, ref_aius = _reference(row)
    if ref_aius is None:
        raise DataError.at(row, "gpt4_critique.aius", "missing: the human labels refer to the reference AIUs")
    out = []
    for slot in SLOTS:
        obj, field = _slot(row, slot), f"{slot}_critique"
        aius = _str_list(row, f"{field}.aius", obj.get("aius"))
        plabels = _bool_list(row, f"{field}.precision_labels", obj.get("precision_labels"), len(aius))
        rlabels = _bool_list(row, f"{field}.recall_labels", obj.get("recall_labels"), len(ref_aius))
        stored = {}
        for k in ("precision", "recall", "f1"):
            v = obj.get(f"{k}_score")
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise DataError.at(row, f"{field}.{k}_score", f"expected a number, got {v!r:.40}")
            stored[k] = v
        out.append(
            {
                "id": f"{idx}:{slot}",
                "subset": slot,
                "kind": KIND,
                "dataset": str(optional(row, "dataset", "")),
                "critic_model": obj.get("model", "human" if slot == "human" else None),
                "critique": {"source": slot, "text": obj.get("critique"), "raw": None},
                "judge": "human",
                "hypothesis_aius": {"aius": aius, "raw": None, "valid": True},
                "precision_checks": _checks(aius, plabels),
                "recall_checks": _checks(ref_aius, rlabels),
                "stored_scores": stored,
            }
        )
    return out


def _verdicts(path: Path, entries: Any, n: int) -> list[tuple[bool | None, str | None]]:
    """``hypothesis_{precision,recall}.json``: a list of {explanation, verifying_result} (or null = failed)."""
    if not isinstance(entries, list):
        raise DataError(str(path), None, None, f"expected a JSON list, got {type(entries).__name__}")
    if len(entries) != n:
        raise DataError(str(path), None, None, f"{len(entries)} entries for {n} AIUs in hypothesis_eval_data.json")
    out: list[tuple[bool | None, str | None]] = []
    for i, e in enumerate(entries):
        if e is None:
            out.append((None, None))
            continue
        if not isinstance(e, dict):
            raise DataError(str(path), i, None, f"expected an object, got {type(e).__name__}")
        v = e.get("verifying_result")
        if v is not None and not isinstance(v, bool):
            raise DataError(str(path), i, "verifying_result", f"expected true/false/null, got {v!r:.40}")
        out.append((v, e.get("explanation")))
    return out


def _step_records(folder: Path) -> tuple[list[Record], str]:
    """``meta_score(all_data, precision, recall)``: flat verdict lists consumed critique by critique."""
    import json

    from assay.data.rows import read_rows

    missing = [f for f in STEP_FILES if not (folder / f).is_file()]
    if missing:
        raise DataError(str(folder), None, None, f"missing {', '.join(missing)} (the authors' steps 5-7 outputs)")
    rows = list(read_rows(str(folder / STEP_FILES[0])))
    parsed = []
    for row in rows:
        row.check()
        hyp, ref = _dict(row, "hypothesis_critique"), _dict(row, "gpt4_critique")
        parsed.append(
            (
                row,
                _text_in(row, "hypothesis_critique", hyp, "critique", allow_empty=True),
                _str_list(row, "hypothesis_critique.aius", hyp.get("aius")),
                _str_list(row, "gpt4_critique.aius", ref.get("aius")),
            )
        )
    lists = []
    for name, k in ((STEP_FILES[1], 2), (STEP_FILES[2], 3)):
        p = folder / name
        try:
            entries = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataError(str(p), None, None, f"invalid JSON at line {e.lineno}: {e.msg}") from e
        lists.append(_verdicts(p, entries, sum(len(x[k]) for x in parsed)))
    records, ps, rs = [], 0, 0
    for row, text, hyp_aius, ref_aius in parsed:
        pv, rv = lists[0][ps : ps + len(hyp_aius)], lists[1][rs : rs + len(ref_aius)]
        ps, rs = ps + len(hyp_aius), rs + len(ref_aius)
        idx = optional(row, "index", row.index)
        records.append(
            {
                "id": str(idx),
                "subset": "hypothesis",
                "kind": KIND,
                "dataset": str(optional(row, "dataset", "")),
                "critique": {"source": "hypothesis", "text": text, "raw": None},
                "judge": "released",
                "hypothesis_aius": {"aius": hyp_aius, "raw": None, "valid": True},
                "precision_checks": _checks(hyp_aius, [v for v, _ in pv], [e for _, e in pv]),
                "recall_checks": _checks(ref_aius, [v for v, _ in rv], [e for _, e in rv]),
            }
        )
    return records, str(folder)


def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
    """Records from released labels: annotation_data.json (human labels) or a folder of step outputs."""
    from assay.data.collect import skip_record
    from assay.data.rows import read_rows

    skipped: list[dict[str, Any]] = []
    if path.is_dir():
        records, source = _step_records(path)
        digest = files_digest(path / f for f in STEP_FILES)
    else:
        digest = files_digest([path])
        records, source = [], str(path)
        for row in read_rows(str(path)):
            try:
                row.check()
                records.extend(_human_records(row))
            except DataError as e:
                if not opts.skip_invalid:
                    raise
                skipped.append(skip_record(e))
    return PredictionsResult(select_records(records, opts), source, digest, skipped)
