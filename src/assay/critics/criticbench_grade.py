"""CriticBench correction grading: the authors' ``src/utils/grader.py`` (``math_equal``, ``EM``) and
``src/infer/result_processor.py`` ``ResultProcessor.result_check`` / ``check_code``, ported.

Per source: HotpotQA/AmbigNQ ``EM`` to any gold answer; the choice datasets
``math_equal(gold.lower(), pred.lower())``; Repeat Copy ``math_equal(raw.strip(), gold)``; the rest
lower-cased ``math_equal(pred, gold)``, MATH included (its answer extracted with the shared grader's
``extract_answer`` + ``strip_string``, the parser lineage of the authors' ``extract_latex_answer``).
``grader="shared"`` compares MATH and the numeric sources with ``assay.critics.grader.equivalent``
(sympy-backed) instead. MBPP/HumanEval corrections are executed (code + "\\n" +
tests) on the ``assay.sandbox`` pool when it is installed, else recorded as not supported.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Sequence
from typing import Any

from assay.benchmarks.registry import Record
from assay.critics.criticbench_parse import CODE, extract_answer, extract_answer_str

CHOICE = ("AQuA", "Colored Object", "CSQA", "Date", "Penguins")
NUMERIC = ("GSM8K", "MATH", "Object Counting", "TabMWP")  # math_equal sources that grader=shared switches


def _is_digit(s: Any) -> bool:
    try:
        float(str(s).replace(",", ""))
        return True
    except ValueError:
        return False


def math_equal(prediction: Any, reference: Any, include_percentage: bool = True, is_close: bool = True) -> bool:
    """The authors' ``math_equal``: numbers (also x/100 and x*100, rel_tol 1e-4), then bracket-stripped text."""
    if _is_digit(prediction) and _is_digit(reference):
        p = float(str(prediction).replace(",", ""))
        r = float(str(reference).replace(",", ""))
        for item in [r / 100, r, r * 100] if include_percentage else [r]:
            if math.isclose(item, p, rel_tol=1e-4) if is_close else item == p:
                return True
        return False
    if not prediction and prediction not in [0, False]:
        return False
    reference, prediction = str(reference).strip(), str(prediction).strip()
    pred_s, ref_s = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
        prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")
    ):
        pred_s, ref_s = pred_s.strip("[]()"), ref_s.strip("[]()")
    for ch in "{}()":
        ref_s, pred_s = ref_s.replace(ch, ""), pred_s.replace(ch, "")
    if pred_s == ref_s:
        return True
    brackets = (
        (prediction.startswith("[") and prediction.endswith("]"))
        and (reference.startswith("[") and reference.endswith("]"))
        or (prediction.startswith("(") and prediction.endswith(")"))
        and (reference.startswith("(") and reference.endswith(")"))
    )
    if brackets:
        pp, rp = prediction[1:-1].split(","), reference[1:-1].split(",")
        if len(pp) == len(rp) and all(
            math_equal(a, b, include_percentage, is_close) for a, b in zip(pp, rp, strict=True)
        ):
            return True
    return False


_PUNCT = frozenset(string.punctuation)


def normalize_answer(s: str) -> str:
    """SQuAD normalisation as ``grader.normalize_answer``: lower, drop punctuation and articles, squeeze."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def em(answer: str, key: str) -> bool:
    return normalize_answer(answer) == normalize_answer(key)


def _shared_grader() -> Any:
    try:
        from assay.critics import grader
    except ImportError as e:  # pragma: no cover - depends on the shared grader being installed
        raise RuntimeError("criticbench: MATH / grader=shared need assay.critics.grader") from e
    return grader


def math_answer(raw: str, answer_str: str, original_bug: bool = False) -> str:
    """The MATH answer: ``extract_latex_answer`` (boxed, "the answer is", else the *last number*).

    Bug fixed unless ``original_bug``: an answer the prompt's format already isolated (``[[3/8]]``, a JSON
    ``answer``) without boxed / "the answer is" is taken whole; upstream its last number ("8") is kept.
    """
    g = _shared_grader()
    isolated = answer_str != raw and "boxed" not in answer_str and "he answer is" not in answer_str
    if isolated and not original_bug:
        return g.normalize(answer_str.strip())
    return g.extract_answer(answer_str) or ""


def grade(
    source: str,
    raw: str,
    pattern: str,
    answers: Sequence[Any],
    question: str,
    *,
    grader: str = "authors",
    original_bug: bool = False,
) -> dict[str, Any]:
    """The corrected answer and whether it is right: {"answer", "correct" (bool|None), "error"}.

    ``grader``: "authors" (ported ``math_equal`` on lower-cased strings, MATH included) or "shared"
    (``assay.critics.grader.equivalent`` for ``NUMERIC``);
    ``original_bug``: the authors' extraction bugs (see ``math_answer``, ``extract_answer``, ``_grade_code``).
    """
    answer_str = extract_answer_str(raw, pattern)
    if source in CODE:
        return _grade_code(source, raw, answer_str, pattern, answers, question, original_bug)
    if source == "MATH":
        pred = math_answer(raw, answer_str, original_bug)
    else:
        pred = extract_answer(answer_str, source, original_bug)
    if source in ("HotpotQA", "AmbigNQ"):
        ok = any(em(pred, str(g)) for g in answers)
    elif source in CHOICE:
        ok = any(math_equal(str(g).lower(), pred.lower()) for g in answers)
    elif source == "Repeat Copy":
        pred = raw.strip()
        ok = any(math_equal(pred, g) for g in answers)
    elif grader == "shared" and source in NUMERIC:
        ok = pred != "" and any(_shared_grader().equivalent(pred, str(g)) for g in answers)
    else:  # result_check's last branch (GSM8K, MATH, Object Counting, StrategyQA, TabMWP): no sympy
        lower = [g.lower() if isinstance(g, str) else g for g in answers]
        ok = any(math_equal(pred.lower(), g) for g in lower)
    return {"answer": pred, "correct": bool(ok), "error": None}


def _grade_code(
    source: str, raw: str, answer_str: str, pattern: str, answers: Sequence[Any], question: str, original_bug: bool
) -> dict[str, Any]:
    """``check_code``: program = cleaned code + "\\n" + answer[0] (the tests), passed = it runs cleanly.

    Bug fixed unless ``original_bug``: under a ``json: code`` prompt the authors execute the raw reply (JSON
    text); here the extracted code."""
    code = raw if (original_bug or "json" not in pattern) else answer_str
    if source == "HumanEval":
        if "def" not in code:
            code = question + code
        code = code.replace("[DONE]", "").replace("[BEGIN]", "").replace("```python", "").replace("```", "")
    else:
        code = code.replace("[DONE]", "").replace("[BEGIN]", "")
    # executed later for all items at once (execute_code): HF code_eval runs candidate + "\n" + test
    return {"answer": code, "correct": None, "error": None, "program": code + "\n" + str(answers[0])}


def _sandbox() -> Callable[[str], Any] | None:
    """``assay.sandbox.run_python`` with code_eval's 3-second limit, or None when it is not installed."""
    try:
        from assay.sandbox import Limits, run_python
    except ImportError:
        return None
    limits = Limits(wall_s=15.0, cpu_s=3.0)  # code_eval's 3 s timeout as CPU time; wall clock capped at 15 s
    return lambda program: run_python(program, limits=limits)


def execute_code(records: Sequence[Record]) -> None:
    """Run every pending code correction (``correction.program``) on the sandbox pool; fill correct/error."""
    pending = [r["correction"] for r in records if r.get("correction") and "program" in r["correction"]]
    run = _sandbox()
    if run is None:
        for c in pending:
            c.update(correct=None, error="not supported: code correction needs execution and assay.sandbox is missing")
            del c["program"]
        return
    from assay.sandbox import run_many

    results = run_many([lambda p=c["program"]: run(p) for c in pending])
    for c, res in zip(pending, results, strict=True):
        del c["program"]
        c.update(correct=bool(res.ok), error=None if res.ok else f"{res.status}: {res.stderr[-500:]}")
