"""CriticEval's answer parsers, ported from open-compass/CriticEval ``critic_bench/evaluators/utils/util_func.py``
(``extract_decision``, ``extract_score``, ``extract_decision_option``, ``parse_math_result``, ``parse_code``,
``find_fist_function_name``), without ``eval``.

``parse_math_result`` calls ``eval`` on every token of the model's text; here a token counts only if it is a
numeric literal or arithmetic on literals (what that ``eval`` returns as int/float); calls are not evaluated.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

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
