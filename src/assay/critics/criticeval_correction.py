"""CriticEval correction grading: ``critic_bench/evaluators/correction_evaluator.py`` (``EvaluateMathCorrection``,
``EvaluateCodeCorrection``) and ``evaluators/utils/exec.py`` (``exec_math_code``, ``exec_code_no_unit_test``).

math_cot: ``parse_math_result(prediction) == parse_math_result(ground_truth_answer)`` (no number -> wrong).
math_pot and code_exec / code_not_exec run ``parse_code(prediction)`` (+ ``unit_test`` [+ ``check(fn)`` for
humaneval]) after exec.py's import prelude, in ``assay.sandbox`` when it is installed (the authors' 4 s / 2 s
alarms as CPU-time limits, wall clock capped at 5x), else they are recorded as not supported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from assay.benchmarks.registry import Record
from assay.critics.criticeval_parse import first_function_name, parse_code, parse_math_result, py_number
from assay.samples import Item

# the packages exec.py prepends to every program
PRELUDE = (
    "import sys\nimport time\nimport itertools\nfrom itertools import accumulate, product, permutations, "
    "combinations\nimport collections\nfrom collections import Counter, OrderedDict, deque, defaultdict, ChainMap\n"
    "from functools import lru_cache\nimport math\nfrom math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, "
    "exp, log, log2\nimport fractions\nfrom typing import List, Tuple\nimport numpy as np\nimport random\n"
    "import heapq\nfrom heapq import *\nfrom sympy import *\n"
)
MATH_PRELUDE = PRELUDE.replace("import sys\n", "import sys\nimport datetime\n")


def correction(item: Item, pred: str | None) -> dict[str, Any]:
    """The correction fields of a record; a program to run is left in ``program`` for ``execute_code``."""
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
