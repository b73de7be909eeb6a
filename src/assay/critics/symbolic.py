"""Symbolic answer equality with sympy, run in a worker process (``python -m assay.critics.symbolic``).

``symbolic_equal`` is QwenLM/Qwen2.5-Math ``evaluation/grader.py`` ``symbolic_equal`` (as used by
tangzhy/RealCritic ``evaluate.py``): parse both answers (first ``parse_latex``, then ``parse_expr``,
else keep the text), then equal if the printed forms or the objects are equal, or ``a.equals(b)`` or
``simplify(a - b) == 0``, or the equations' ``|lhs - rhs|`` are equal, or ``float(N(a))`` and
``float(N(b))`` agree within rel_tol 1e-4, or two matrices of one shape agree after rounding to 3
decimals. Every step swallows its own errors, as upstream.

Parsers: ``parse_latex`` is :func:`assay.critics.latex.parse_latex` (a re-implementation of sympy's
ANTLR grammar, which needs a runtime this project does not ship); ``parse_expr`` is sympy's, applied only
to text made of digits, single letters, operators and a list of math function names, because
``parse_expr`` evaluates its input as Python. The third upstream parser, latex2sympy2, is not available.

Why a worker process: ``simplify`` can run for minutes on some inputs. The grader sends one pair per
line over a pipe and kills the worker when an answer does not come within the timeout (upstream runs each
comparison in a process pool with a 3 s timeout and scores a timeout as not equal).
"""

from __future__ import annotations

import json
import re
import sys
from math import isclose
from typing import Any

_SAFE_TEXT = re.compile(r"^[0-9A-Za-z+\-*/^().,\[\]!\s]*$")
_NAME = re.compile(r"[A-Za-z]+")
_SAFE_NAMES = {
    "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "sinh", "cosh", "tanh", "log",
    "ln", "exp", "pi", "E", "I", "oo", "Abs", "factorial", "binomial", "floor", "ceiling", "Rational",
}  # fmt: skip


def numeric_equal(prediction: float, reference: float) -> bool:
    """grader.py ``numeric_equal``: relative tolerance 1e-4."""
    return isclose(reference, prediction, rel_tol=1e-4)


def safe_parse_expr(s: str) -> Any:
    """sympy ``parse_expr`` for plain math text only (it evaluates Python); raises on anything else."""
    if not _SAFE_TEXT.match(s) or "__" in s:
        raise ValueError("not plain math text")
    for name in _NAME.findall(s):
        if len(name) > 1 and name not in _SAFE_NAMES:
            raise ValueError(f"name {name!r} not allowed")
    from sympy.parsing.sympy_parser import parse_expr

    return parse_expr(s)


def _parse(s: str) -> Any:
    from assay.critics.latex import parse_latex

    for f in (parse_latex, safe_parse_expr):
        try:
            return f(s.replace("\\\\", "\\"))
        except Exception:
            try:
                return f(s)
            except Exception:
                pass
    return s


def symbolic_equal(a_text: str, b_text: str) -> bool:
    """grader.py ``symbolic_equal`` on two answer strings."""
    from sympy import N, simplify

    a = _parse(a_text)
    b = _parse(b_text)
    try:
        if str(a) == str(b) or a == b:
            return True
    except Exception:
        pass
    try:
        if a.equals(b) or simplify(a - b) == 0:
            return True
    except Exception:
        pass
    try:
        if (abs(a.lhs - a.rhs)).equals(abs(b.lhs - b.rhs)):
            return True
    except Exception:
        pass
    try:
        if numeric_equal(float(N(a)), float(N(b))):
            return True
    except Exception:
        pass
    try:
        if a.shape == b.shape:
            _a = a.applyfunc(lambda x: round(x, 3))
            _b = b.applyfunc(lambda x: round(x, 3))
            if _a.equals(_b):
                return True
    except Exception:
        pass
    return False


def serve(stdin: Any = None, stdout: Any = None) -> None:
    """Worker loop: ``{"a", "b"}`` per input line -> ``{"eq": bool}`` per output line; "ready" first."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    sys.stdout = sys.stderr  # a stray print from a library must not corrupt the reply stream
    try:
        import sympy  # noqa: F401
    except ImportError as e:
        stdout.write(json.dumps({"fatal": f"sympy is not installed ({e}); pip install sympy"}) + "\n")
        stdout.flush()
        return
    stdout.write(json.dumps({"ready": True}) + "\n")
    stdout.flush()
    for line in stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            out: dict[str, Any] = {"eq": bool(symbolic_equal(str(req["a"]), str(req["b"])))}
        except Exception as e:  # symbolic_equal guards itself; this is a bug in the worker, reported
            out = {"error": f"{type(e).__name__}: {e}"}
        stdout.write(json.dumps(out) + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve()
