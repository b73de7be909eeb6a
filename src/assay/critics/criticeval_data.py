"""CriticEval release formats: the objective data files as ``Item`` rows and the models' prediction files.

Data (the ``data/criticbench_v1.3`` folder, or its ``obj_{split}_data`` folder), as ``critic_bench/run_*.py``
read it: feedback ``{domain}_feedback_correction.json`` + ``correction_part/{domain}_feedback.json`` (not
code_exec); comp_feedback ``{domain}_comp_feedback.json``; correction ``{domain}_feedback_correction.json``
(math_cot, math_pot, code_exec, code_not_exec); meta_feedback
``meta_feedback_single/meta_feedback_singlewise_{domain}.json``. Predictions:
``{split}_{domain}_{dimension}_obj[_correction_part|_reverse].json`` = ``{"0": {"origin_prompt", "prediction"},
...}``, key = row index; each is checked to quote its row's question (and generation) as
``evaluators/base.py`` ``BaseEvaluator._load_data_obj`` asserts. Bad input raises ``DataError`` naming file,
row and (nested) field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.data.fields import get_float, get_str
from assay.data.rows import DataError, Row
from assay.samples import Item

HUB_ID = "GMFTBY/CriticBench"
DOMAINS = ("translate", "chat", "qa", "harmlessness", "summary", "math_cot", "math_pot", "code_exec", "code_not_exec")
CORRECTION_DOMAINS = ("math_cot", "math_pot", "code_exec", "code_not_exec")
DIMENSIONS = ("feedback", "comp_feedback", "correction", "meta_feedback")


@dataclass(frozen=True)
class FileSpec:
    dimension: str
    domain: str
    part: str  # "main" | "correction_part"
    data: str  # path relative to obj_{split}_data
    prediction: str  # file name in the model's prediction folder

    @property
    def tag(self) -> str:
        return f"{self.dimension}/{self.domain}" + ("/correction_part" if self.part != "main" else "")


def file_specs(split: str) -> list[FileSpec]:
    """Every objective file pair, in the order of the authors' run_*.py."""
    out = []
    for d in DOMAINS:
        out.append(FileSpec("feedback", d, "main", f"{d}_feedback_correction.json", f"{split}_{d}_feedback_obj.json"))
        if d != "code_exec":
            pred = f"{split}_{d}_feedback_obj_correction_part.json"
            out.append(FileSpec("feedback", d, "correction_part", f"correction_part/{d}_feedback.json", pred))
    for d in DOMAINS:
        out.append(
            FileSpec("comp_feedback", d, "main", f"{d}_comp_feedback.json", f"{split}_{d}_comp_feedback_obj.json")
        )
    for d in CORRECTION_DOMAINS:
        out.append(
            FileSpec("correction", d, "main", f"{d}_feedback_correction.json", f"{split}_{d}_correction_obj.json")
        )
    for d in DOMAINS:
        data = f"meta_feedback_single/meta_feedback_singlewise_{d}.json"
        out.append(FileSpec("meta_feedback", d, "main", data, f"{split}_{d}_meta_feedback_obj.json"))
    return out


def _flat(row: Row) -> Row:
    """The row with nested objects also reachable as "obj.preference", so errors name the nested field."""
    row.check()
    flat = dict(row.data)
    for k, v in row.data.items():
        if isinstance(v, dict):
            flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
    return Row(row.source, row.index, flat, row.line)


def from_row(row: Row, spec: FileSpec) -> Item:
    """One row of ``spec``'s data file as an ``Item`` (subset = the dimension, id = tag/row index)."""
    r = _flat(row)
    d: dict[str, Any] = {
        "domain": spec.domain,
        "part": spec.part,
        "index": row.index,
        "question": get_str(r, "question"),
    }
    if "generation" in row.data:
        d["generation"] = get_str(r, "generation", allow_empty=True)
    if spec.dimension == "feedback":
        d.update(human=get_float(r, "feedback_score"), quality=get_str(r, "metadata.quality"))
    elif spec.dimension == "meta_feedback":
        d.update(human=get_float(r, "meta_feedback_score"), quality=get_str(r, "raw_quality"))
    elif spec.dimension == "comp_feedback":
        pref = get_str(r, "obj.preference")
        qs = {get_str(r, "metadata.quality_a_sub"), get_str(r, "metadata.quality_b_sub")}
        d.update(preference=pref, quality="easy" if qs == {"low", "high"} else "hard")
    else:
        d["quality"] = get_str(r, "metadata.quality")
        if spec.domain.startswith("math"):
            d["ground_truth_answer"] = get_str(r, "ground_truth_answer")
        else:
            d.update(unit_test=get_str(r, "unit_test"), data_source=get_str(r, "data_source"))
    return Item(id=f"{spec.tag}/{row.index}", data=d, meta={"subset": spec.dimension, "file": spec.prediction})


def data_dir(data: str | None, split: str) -> Path:
    """The ``obj_{split}_data`` folder: ``data`` itself or inside it."""
    if data is None:
        raise ValueError(
            f"criticeval: pass --data: the authors' data/criticbench_v1.3 folder (open-compass/CriticEval, or the "
            f"hub dataset {HUB_ID}) holding obj_{split}_data/"
        )
    root = Path(data)
    if (root / f"obj_{split}_data").is_dir():
        return root / f"obj_{split}_data"
    if root.is_dir() and root.name == f"obj_{split}_data":
        return root
    raise FileNotFoundError(f"criticeval: {root} holds no obj_{split}_data folder")


def read_prediction_file(path: Path) -> dict[str, Any]:
    """One prediction file: ``{"0": {"origin_prompt", "prediction"}, ...}``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(str(path), None, None, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    if not isinstance(doc, dict):
        raise DataError(
            str(path), None, None, f'expected {{"0": {{"origin_prompt", "prediction"}}, ...}}, got {type(doc).__name__}'
        )
    return doc


def prediction_text(doc: Mapping[str, Any], path: Path, item: Item) -> str | None:
    """The prediction text for ``item``, after the authors' alignment check; None when the key is absent."""
    key = str(item.data["index"])
    entry = doc.get(key)
    if entry is None:
        return None
    if not isinstance(entry, dict) or "prediction" not in entry:
        raise DataError(str(path), f"key {key}", "prediction", "missing")
    prompt = entry.get("origin_prompt")
    if isinstance(prompt, list) and prompt and isinstance(prompt[0], dict):
        prompt = prompt[0].get("prompt")
    if not isinstance(prompt, str):
        raise DataError(str(path), f"key {key}", "origin_prompt", "expected a string or [{'prompt': ...}]")
    for field in ("question", "generation"):
        if field in item.data and item.data[field] not in prompt:
            raise DataError(
                str(path), f"key {key}", "origin_prompt", f"does not contain the data row's {field} (misaligned)"
            )
    pred = entry["prediction"]
    return pred if isinstance(pred, str) else json.dumps(pred)


def open_predictions(
    folder: Path, name: str, with_reverse: bool, digest: Any
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The prediction file ``name`` in ``folder`` (and its ``_reverse`` twin when ``with_reverse``), both
    added to ``digest``; None when the file is absent."""
    f = folder / name
    if not f.is_file():
        return None
    digest.update(name.encode() + f.read_bytes())
    if not with_reverse:
        return read_prediction_file(f), None
    rev = folder / name.replace("_obj.json", "_obj_reverse.json")
    if not rev.is_file():
        raise DataError(str(rev), None, None, "missing: comp_feedback needs the reversed-order predictions")
    digest.update(rev.name.encode() + rev.read_bytes())
    return read_prediction_file(f), read_prediction_file(rev)
