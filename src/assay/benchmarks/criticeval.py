"""CriticEval (Lan et al. 2024, "CriticEval: Evaluating Large Language Model as Critic", arXiv:2402.13764;
released as "CriticBench" v1.3 in open-compass/CriticEval): the objective track, scored from predictions.

Predictions only: ``assay score criticeval --predictions MODEL_DIR --data ROOT``. The authors' prompts
exist (``inference/utils/prompts.py`` + ``formats.py``) but are not ported, so ``assay run`` cannot drive a
model on this benchmark; score the outputs of the authors' inference code (or any that follow its format).

Data (``--data``: the ``data/criticbench_v1.3`` folder, or its ``obj_{split}_data`` folder; option
``split=test|dev``), one ``Item`` per row, subset = critique dimension, as ``critic_bench/run_*.py`` read it:
feedback ``{domain}_feedback_correction.json`` + ``correction_part/{domain}_feedback.json`` (not code_exec);
comp_feedback ``{domain}_comp_feedback.json``; correction ``{domain}_feedback_correction.json`` (math_cot,
math_pot, code_exec, code_not_exec); meta_feedback ``meta_feedback_single/meta_feedback_singlewise_{domain}.json``.
Predictions (``MODEL_DIR``): ``{split}_{domain}_{dimension}_obj[_correction_part|_reverse].json`` =
``{"0": {"origin_prompt", "prediction"}, ...}``, key = row index; each is checked to quote its row's
question (and generation) as ``evaluators/base.py`` ``BaseEvaluator._load_data_obj`` asserts.

Metrics (fractions; the report shows x100 like the paper), ``critic_bench/evaluators``:

* feedback: ``feedback_evaluator.py`` ``EvaluateScalarFeedback.evaluate``: Spearman (``scipy.stats.spearmanr``)
  between ``extract_decision(prediction)`` and ``feedback_score``, pooled over every domain and both files;
  per ``metadata.quality`` too.
* meta_feedback: ``meta_feedback_evaluator.py`` ``EvaluateScalarMetaFeedback``: the same with
  ``extract_score`` ("Score: x") against ``meta_feedback_score``, per ``raw_quality``.
* comp_feedback: ``comp_feedback_evaluator.py`` ``EvaluateScalarCompFeedback.evaluate``: choice =
  ``extract_decision_option(...)[0]`` in both orders (the ``_obj_reverse`` file swaps A and B); an item scores 1
  only if both choices are in "ABC", the two orders agree, and the forward choice == ``obj.preference[-1]``;
  everything else (unparsed, disagreeing) scores 0 *in the denominator*. The authors' "agree" is
  ``forward != reverse`` (so A/C counts as agreeing and C/C as not); by default agreement means the reverse
  choice is the swap of the forward one (A<->B, C<->C); ``agreement=differ`` restores the original. Per
  difficulty: "easy" = qualities {low, high}, else "hard".
* correction: ``correction_evaluator.py``: math_cot ``parse_math_result(prediction) ==
  parse_math_result(ground_truth_answer)`` (no number -> 0); math_pot (``exec_math_code``) and code_exec /
  code_not_exec (``exec_code_no_unit_test`` on ``parse_code(prediction) + unit_test`` [+ ``check(fn)`` for
  humaneval]) need execution: run in ``assay.sandbox`` when installed (the authors' 4 s / 2 s alarms as
  CPU-time limits, wall clock capped at 5x), else recorded as not supported and left out (reported).
  Pass rate per domain; correction = mean over the domains (``run_correction.py``).
* overall (``compute_overall.py``): mean((feedback + 1) / 2, comp, correction, (meta + 1) / 2) over the
  dimensions present (the x100 formula (fb + 100) / 2 in fractions).
* unparsed scores: ``extract_decision`` yields '' when no number is found and the authors pass the list to
  ``spearmanr`` as is; numpy then turns every score into a string and ranks lexicographically, '' first.
  Option ``unparsed``: ``min`` (default: an unparsed score ranks below every parsed one, ties among
  themselves, numeric ranks; the authors' ranking whenever scores are single-digit), ``authors`` (the exact
  string ranking, quirks included), ``drop`` (leave the pair out), ``error`` (refuse). Counts are reported.
* ``parse_math_result`` calls ``eval`` on every token of the model's text; here a token counts only if it is
  a numeric literal or arithmetic on literals (what that ``eval`` returns as int/float); calls are not
  evaluated. Seeded bootstrap CIs resample items within each (dimension, quality / difficulty / domain) cell.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.data.fields import get_float, get_str
from assay.data.rows import DataError, Row
from assay.samples import Item

HUB_ID = "GMFTBY/CriticBench"
DOMAINS = ("translate", "chat", "qa", "harmlessness", "summary", "math_cot", "math_pot", "code_exec", "code_not_exec")
CORRECTION_DOMAINS = ("math_cot", "math_pot", "code_exec", "code_not_exec")
DIMENSIONS = ("feedback", "comp_feedback", "correction", "meta_feedback")
UNPARSED = ("min", "authors", "drop", "error")
SWAP = {"A": "B", "B": "A", "C": "C"}


# --- the authors' parsers (critic_bench/evaluators/utils/util_func.py), without eval ---------------------
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _arith(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Invert):
        v = _arith(node.operand)
        if isinstance(node.op, ast.Invert):
            return ~v if type(v) is int else None
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        a, b = _arith(node.left), _arith(node.right)
        if type(node.op) is ast.Pow and (abs(b) > 64 or abs(a) > 1e6):
            raise ValueError("power too large to evaluate safely")
        return _BINOPS[type(node.op)](a, b)
    raise ValueError("not arithmetic on numeric literals")


def py_number(token: str) -> int | float | None:
    """What ``eval(token)`` gives when that is an int or float (bool excluded), else None; never runs code."""
    try:
        v = _arith(ast.parse(token.lstrip(" \t"), mode="eval").body)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    return v if type(v) in (int, float) else None


def parse_math_result(string: Any) -> int | float | str:
    """The last token that evaluates to a non-zero int/float, else '' (``parse_math_result``)."""
    if not isinstance(string, str):
        return ""
    for v in reversed(string.replace("\n", " ").replace("=", "= ").split()):
        x = py_number(v)
        if x:  # upstream ``if eval(v)``: 0 is skipped
            return x
    return ""


def _extract(string: Any, tag: str) -> int | float | str:
    """``extract_decision`` ("Decision") / ``extract_score`` ("Score"): float after the tag, else the math rule."""
    if not isinstance(string, str):
        return ""
    found = re.findall(f".*({tag}: .+)", string)
    if found:
        decision = found[0].replace(f"{tag}:", "").strip()
        for candidate in (decision, decision.split()[0] if decision.split() else ""):
            try:
                return float(candidate)
            except ValueError:
                pass
    return parse_math_result(string)


def extract_decision(string: Any) -> int | float | str:
    return _extract(string, "Decision")


def extract_score(string: Any) -> int | float | str:
    return _extract(string, "Score")


def extract_decision_option(string: Any) -> str:
    """``extract_decision_option``: the text after "Decision:", else the text without dots, stripped."""
    if not isinstance(string, str):
        return ""
    found = re.findall(r".*(Decision: .+)", string)
    return found[0].replace("Decision:", "").strip() if found else string.replace(".", "").strip()


def parse_code(code: str, lang: str = "python") -> str:
    """``parse_code``: the first fenced block; the whole text when it has no fence; '' when unfenced code is absent."""
    match = re.search(rf"```{lang}.*?\s+(.*?)```", code, re.DOTALL)
    if match:
        return match.group(1)
    return code if "```python" not in code and "```" not in code else ""


def first_function_name(code: str) -> str:
    """``find_fist_function_name``: the first ``def`` name (else the first ``assert`` call's)."""
    for kw in ("def ", "assert "):
        if kw in code:
            line = code[code.index(kw) :].split("\n")[0]
            if "(" in line:
                return line[: line.index("(")].replace(kw.strip(), "").strip()
    raise ValueError("no function name in the code")


# --- data ------------------------------------------------------------------------------------------------
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


def load(opts: LoadOptions, split: str = "test") -> LoadResult:
    """Every objective file that exists (the authors skip missing ones too); none at all is an error."""
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    root = data_dir(opts.data, split)
    present = [(s, root / s.data) for s in file_specs(split) if (root / s.data).is_file()]
    if not present:
        raise DataError(str(root), None, None, "no CriticEval objective data files found")
    current: list[FileSpec] = []  # the spec of the row being converted (one data file serves two dimensions)

    def rows() -> Any:
        for spec, path in present:
            for row in read_rows(str(path)):
                current[:] = [spec]
                yield row

    return collect(
        rows(),
        lambda row: from_row(row, current[0]),
        skip_invalid=opts.skip_invalid,
        source=str(root),
        subsets=opts.subsets,
        limit=opts.limit,
    )


# --- released predictions ----------------------------------------------------------------------------------
def _prediction_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(str(path), None, None, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    if not isinstance(doc, dict):
        raise DataError(
            str(path), None, None, f'expected {{"0": {{"origin_prompt", "prediction"}}, ...}}, got {type(doc).__name__}'
        )
    return doc


def _prediction(doc: Mapping[str, Any], path: Path, item: Item) -> str | None:
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


def predictions(path: Path, opts: LoadOptions, o: Options) -> PredictionsResult:
    """One record per data row whose prediction file exists in ``path`` (the authors' per-model folder).

    A missing prediction file leaves its rows unscored (the authors skip it); each one is listed in
    ``skipped``. A comparison file needs its ``_reverse`` twin. A key missing from a file is a record
    without prediction (counted as unparsed / wrong).
    """
    if not path.is_dir():
        raise DataError(str(path), None, None, "expected the model's prediction folder ({split}_{domain}_..._obj.json)")
    loaded = load(opts, o.split)
    docs: dict[str, tuple[dict[str, Any], dict[str, Any] | None] | None] = {}
    digest = hashlib.sha256(loaded.fingerprint.encode())
    skipped = list(loaded.skipped)
    records = []
    for item in loaded.samples:
        assert isinstance(item, Item)
        name = str(item.meta["file"])
        if name not in docs:
            docs[name] = _open_predictions(path, name, item.subset == "comp_feedback", digest)
            if docs[name] is None:
                reason = "prediction file missing: these rows are not scored (as the authors skip it)"
                skipped.append({"source": str(path / name), "row": None, "field": None, "reason": reason})
        pair = docs[name]
        if pair is not None:
            records.append(_record(item, path / name, pair[0], pair[1]))
    if not records:
        raise DataError(
            str(path), None, None, "no prediction file matches the data files (names: {split}_{domain}_...)"
        )
    execute_code(records)
    return PredictionsResult(records, f"{path} + {loaded.source}", digest.hexdigest(), skipped)


def _open_predictions(
    folder: Path, name: str, with_reverse: bool, digest: Any
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    f = folder / name
    if not f.is_file():
        return None
    digest.update(name.encode() + f.read_bytes())
    if not with_reverse:
        return _prediction_file(f), None
    rev = folder / name.replace("_obj.json", "_obj_reverse.json")
    if not rev.is_file():
        raise DataError(str(rev), None, None, "missing: comp_feedback needs the reversed-order predictions")
    digest.update(rev.name.encode() + rev.read_bytes())
    return _prediction_file(f), _prediction_file(rev)


def _record(item: Item, file: Path, doc: Mapping[str, Any], reverse_doc: Mapping[str, Any] | None) -> Record:
    d = item.data
    pred = _prediction(doc, file, item)
    rec: dict[str, Any] = {"id": item.id, "subset": item.subset, "kind": "criticeval", **d, "prediction": pred}
    rec["missing"] = pred is None
    if item.subset in ("feedback", "meta_feedback"):
        score = (extract_decision if item.subset == "feedback" else extract_score)(pred)
        if isinstance(score, float) and math.isnan(score):
            score = ""
        rec.update(score=score, valid=score != "")
    elif item.subset == "comp_feedback":
        assert reverse_doc is not None
        reverse = _prediction(reverse_doc, file.with_name(file.name.replace("_obj.json", "_obj_reverse.json")), item)
        fwd, rev = extract_decision_option(pred), extract_decision_option(reverse)
        rec.update(reverse_prediction=reverse, forward_choice=fwd, reverse_choice=rev)
        rec["valid"] = bool(fwd) and bool(rev) and fwd[0] in "ABC" and rev[0] in "ABC"
    else:
        rec.update(_correction(item, pred))
    return rec


# --- correction ------------------------------------------------------------------------------------------
# the packages exec.py prepends to every program
PRELUDE = (
    "import sys\nimport time\nimport itertools\nfrom itertools import accumulate, product, permutations, "
    "combinations\nimport collections\nfrom collections import Counter, OrderedDict, deque, defaultdict, ChainMap\n"
    "from functools import lru_cache\nimport math\nfrom math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, "
    "exp, log, log2\nimport fractions\nfrom typing import List, Tuple\nimport numpy as np\nimport random\n"
    "import heapq\nfrom heapq import *\nfrom sympy import *\n"
)
MATH_PRELUDE = PRELUDE.replace("import sys\n", "import sys\nimport datetime\n")


def _correction(item: Item, pred: str | None) -> dict[str, Any]:
    d = item.data
    if pred is None:
        return {"answer": None, "passed": False, "valid": False, "error": "no prediction"}
    if d["domain"] == "math_cot":
        rest, gt = parse_math_result(pred), parse_math_result(d["ground_truth_answer"])
        return {"answer": rest, "expected": gt, "passed": bool(rest) and rest == gt, "valid": rest != "", "error": None}
    code = parse_code(pred)
    if not code:
        return {"answer": "", "passed": False, "valid": False, "error": "no code in the prediction"}
    if d["domain"] == "math_pot":
        expected = parse_math_result(d["ground_truth_answer"])
        program = MATH_PRELUDE + code + '\ninputs = ""\nsol = Solution()\nprint(sol.solution())'
        return {"answer": code, "expected": expected, "passed": None, "valid": True, "error": None, "program": program}
    program = PRELUDE + code + d["unit_test"]
    if d["data_source"] == "humaneval":
        try:
            program += f"\ncheck({first_function_name(code + d['unit_test'])})"
        except ValueError as e:
            return {"answer": code, "passed": False, "valid": True, "error": str(e)}
    return {"answer": code, "passed": None, "valid": True, "error": None, "program": program}


def execute_code(records: Sequence[Record]) -> None:
    """Run every pending program (``record["program"]``) on the sandbox pool and fill passed / error:
    math_pot passes when a printed line equals the answer (``exec_math_code``, 4 s), code when the program
    exits cleanly (``exec_code_no_unit_test``, 2 s)."""
    pending = [r for r in records if "program" in r]
    run = _sandbox()
    if run is None:
        for r in pending:
            del r["program"]
            r["error"] = "not supported: this correction needs code execution and assay.sandbox is not installed"
        return
    from assay.sandbox import run_many

    jobs = [lambda r=r: run(r["program"], 4.0 if r["domain"] == "math_pot" else 2.0) for r in pending]
    for r, res in zip(pending, run_many(jobs), strict=True):
        del r["program"]
        ok = bool(res.ok)
        if r["domain"] == "math_pot":
            ok = ok and any(_same_output(line, r["expected"]) for line in res.stdout.split("\n"))
        r.update(passed=ok, error=None if ok else f"{res.status}: {res.stderr[-500:]}")


def _same_output(out: str, expected: Any) -> bool:
    """``exec_math_code``'s line check: text equality, overridden by numeric equality for a numeric answer."""
    same = out == str(expected)
    if type(expected) in (int, float):
        v = py_number(out)
        if v is not None:
            same = (v == expected) if type(expected) is float else (int(v) == expected)
    return same


def _sandbox() -> Callable[[str, float], Any] | None:
    try:
        from assay.sandbox import Limits, run_python
    except ImportError:
        return None
    # the authors' wall-clock alarm as a CPU-time limit (stable on a loaded machine), wall clock capped at 5x
    return lambda program, seconds: run_python(program, limits=Limits(wall_s=5 * seconds, cpu_s=seconds))


# --- outcome and aggregation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    split: str = "test"
    unparsed: str = "min"
    agreement: str = "swap"


OPTIONS = {
    "split": "test (default) | dev: which obj_{split}_data and prediction files",
    "unparsed": "unparsed feedback / meta-feedback scores: min (default) | authors | drop | error",
    "agreement": "comparison, both orders agree when: swap (default: reverse = A<->B of forward) | differ (authors)",
}


def make_options(values: Mapping[str, str]) -> Options:
    o = Options(**{k: values[k] for k in ("split", "unparsed", "agreement") if k in values})
    checks = (("split", ("test", "dev")), ("unparsed", UNPARSED), ("agreement", ("swap", "differ")))
    for name, allowed in checks:
        if getattr(o, name) not in allowed:
            raise ValueError(f"criticeval: {name} must be one of {', '.join(allowed)}, got {getattr(o, name)!r}")
    return o


def outcome(record: Record, o: Options) -> dict[str, Any]:
    dim = record["subset"]
    if dim in ("feedback", "meta_feedback"):
        return {"parsed": int(bool(record["valid"])), "score": record["score"], "human": record["human"]}
    if dim == "comp_feedback":
        fwd, rev = record["forward_choice"], record["reverse_choice"]
        agreed = bool(record["valid"]) and (fwd[0] != rev[0] if o.agreement == "differ" else rev[0] == SWAP[fwd[0]])
        right = agreed and fwd[0] == record["preference"][-1]
        return {"parsed": int(bool(record["valid"])), "agreed": int(agreed), "correct": int(right)}
    passed = record.get("passed")
    return {"parsed": int(bool(record["valid"])), "passed": None if passed is None else int(bool(passed))}


def _rank_keys(scores: Sequence[Any], o: Options) -> list[float]:
    """Sort keys of the generated scores under the unparsed policy (unparsed = '')."""
    if o.unparsed == "authors" and any(s == "" for s in scores):
        order = {s: i for i, s in enumerate(sorted({str(s) for s in scores}))}  # numpy's str coercion
        return [float(order[str(s)]) for s in scores]
    return [-math.inf if s == "" else float(s) for s in scores]


def spearman(a: np.ndarray) -> np.ndarray:
    """Spearman rho of columns 0 and 1 of (B, n, 2) arrays, average ranks for ties; NaN when undefined."""
    from scipy.stats import rankdata

    if a.shape[-2] < 2:
        return np.full(a.shape[:-2], np.nan)
    rx, ry = rankdata(a[..., 0], axis=-1), rankdata(a[..., 1], axis=-1)
    dx, dy = rx - rx.mean(axis=-1, keepdims=True), ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((dx**2).sum(axis=-1) * (dy**2).sum(axis=-1))
    return np.where(den > 0, (dx * dy).sum(axis=-1) / np.where(den > 0, den, 1), np.nan)


def _cells(records: Sequence[Record], o: Options) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Bootstrap groups "dimension|cell" and the counts of unparsed / dropped / unsupported items."""
    groups: dict[str, list[Any]] = {}
    counts: dict[str, Any] = {"items": len(records)}
    by_dim: dict[str, list[Record]] = {}
    for r in records:
        by_dim.setdefault(str(r["subset"]), []).append(r)
    for dim, recs in by_dim.items():
        outs = [outcome(r, o) for r in recs]
        counts[f"{dim}_unparsed"] = sum(1 - x["parsed"] for x in outs)
        counts[f"{dim}_missing"] = sum(int(bool(r.get("missing"))) for r in recs)
        if dim in ("feedback", "meta_feedback"):
            if counts[f"{dim}_unparsed"] and o.unparsed == "error":
                raise ValueError(f"criticeval: {counts[f'{dim}_unparsed']} unparsed {dim} scores (unparsed=error)")
            keep = [(r, x) for r, x in zip(recs, outs, strict=True) if x["parsed"] or o.unparsed != "drop"]
            pooled = _rank_keys([x["score"] for _, x in keep], o)
            per_q: dict[str, list[Any]] = {}
            for (r, x), key in zip(keep, pooled, strict=True):
                per_q.setdefault(str(r["quality"]), []).append((x["score"], key, float(x["human"])))
            for q, rows in per_q.items():
                local = _rank_keys([s for s, _, _ in rows], o)  # the authors rank each quality on its own
                groups[f"{dim}|{q}"] = [[k, lk, h] for (_, k, h), lk in zip(rows, local, strict=True)]
            counts[f"{dim}_dropped"] = len(recs) - len(keep)
        elif dim == "comp_feedback":
            for r, x in zip(recs, outs, strict=True):
                groups.setdefault(f"{dim}|{r['quality']}", []).append(x["correct"])
            counts["comp_feedback_disagreed"] = sum(x["parsed"] - x["agreed"] for x in outs)
        else:
            counts["correction_not_supported"] = sum(1 for x in outs if x["passed"] is None)
            for r, x in zip(recs, outs, strict=True):
                if x["passed"] is not None:
                    groups.setdefault(f"{dim}|{r['domain']}", []).append(x["passed"])
    return groups, counts


def aggregate(records: Sequence[Record], seed: int, n_boot: int, o: Options) -> dict[str, Any]:
    from assay.metrics.bootstrap import stratified_cis

    if not records:
        raise ValueError("no records to aggregate")
    lists, counts = _cells(records, o)
    groups = {k: np.asarray(v, dtype=float) for k, v in lists.items()}
    names = {dim: sorted(k for k in groups if k.split("|")[0] == dim) for dim in DIMENSIONS}

    def cat(sampled: Mapping[str, np.ndarray], keys: Sequence[str], cols: Sequence[int] | None = None) -> np.ndarray:
        a = np.concatenate([sampled[k] for k in keys], axis=1)
        return a if cols is None else a[..., list(cols)]

    def dim_stat(dim: str) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        keys = names[dim]
        if dim in ("feedback", "meta_feedback"):
            return lambda s: spearman(cat(s, keys, (0, 2)))
        if dim == "comp_feedback":
            return lambda s: cat(s, keys).mean(axis=-1)
        return lambda s: np.mean([s[k].mean(axis=-1) for k in keys], axis=0)  # mean over correction domains

    present = [d for d in DIMENSIONS if names[d]]
    stats: dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]] = {d: dim_stat(d) for d in present}
    n = {d: sum(len(groups[k]) for k in names[d]) for d in present}
    for d in present:
        for k in names[d]:
            if d in ("feedback", "meta_feedback"):
                stats[k] = lambda s, k=k: spearman(s[k][..., [1, 2]])
            else:
                stats[k] = lambda s, k=k: s[k].mean(axis=-1)
            n[k] = len(groups[k])

    def overall(s: Mapping[str, np.ndarray]) -> np.ndarray:
        parts = [(stats[d](s) + 1) / 2 if d in ("feedback", "meta_feedback") else stats[d](s) for d in present]
        return np.mean(parts, axis=0)

    if present:
        stats["overall"] = overall
        n["overall"] = sum(n[d] for d in present)
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="criticeval") if present else {}
    nan = {"value": float("nan"), "ci": [float("nan"), float("nan")], "n": 0}
    cell_names = {
        "feedback": "quality",
        "meta_feedback": "quality",
        "comp_feedback": "difficulty",
        "correction": "domain",
    }
    breakdown = {d: {k.split("|", 1)[1]: cis[k] for k in names[d]} for d in present}
    return {
        "overall": cis.get("overall", nan),
        "sections": {},
        "subsets": {d: cis[d] for d in present},
        "counts": counts,
        "extra": {
            "dimensions": present,
            "breakdown": {d: {"by": cell_names[d], **breakdown[d]} for d in present},
            "options": {"unparsed": o.unparsed, "agreement": o.agreement, "split": o.split},
            "metric": "feedback/meta_feedback = Spearman rho; comp_feedback = accuracy; correction = mean domain "
            "pass rate; overall = mean((fb+1)/2, comp, corr, (meta+1)/2) over the dimensions present",
        },
    }


def build(values: Mapping[str, str] | None = None) -> Benchmark:
    o = make_options(values or {})
    return Benchmark(
        name="criticeval",
        description="CriticEval objective track from released predictions only (assay score): feedback and "
        "meta-feedback Spearman, two-order comparison accuracy, correction pass rate, overall.",
        source="Lan et al. 2024 (arXiv:2402.13764); open-compass/CriticEval critic_bench/evaluators "
        "(EvaluateScalarFeedback, EvaluateScalarCompFeedback, EvaluateMathCorrection, EvaluateCodeCorrection, "
        "EvaluateScalarMetaFeedback), compute_overall.py",
        hub_id=HUB_ID,
        subsets=DIMENSIONS,
        load=lambda opts: load(opts, o.split),
        outcome=lambda record: outcome(record, o),
        aggregate=lambda records, seed, n_boot: aggregate(records, seed, n_boot, o),
        predictions=lambda path, opts: predictions(path, opts, o),
        options=OPTIONS,
        configure=build,
    )


@register
def criticeval() -> Benchmark:
    return build()
