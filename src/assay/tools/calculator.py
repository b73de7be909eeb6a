"""The Themis ``calculator`` tool: a safe arithmetic evaluator and the authors' answer check around it.

Authors (Li et al., "Tool-Augmented Reward Modeling", ICLR 2024; ernie-research/Tool-Augmented-Reward-Model):

* ``src/tools/calculator.py`` ``calculator(expr)``: ``numexpr.evaluate(expr)``, or on any exception the
  string ``f"Error: {e}, try again and only use a numerical expression"``.
* ``generate_themis.py`` ``calculation_api(tool_inputs, input_text)``: the tool the reward model calls.
  Its input is the answer's GSM8K annotations (``<<40*4=160>>160, <<520-450=70>>70``), split on ``", "``;
  each piece's expression (text before ``=``, ``<<`` removed) is evaluated and compared, as a float, with
  the piece's stated result (the text after ``>>``); the last evaluated value is the "final answer",
  compared with the answer's ``#### N``. The observation is one of five fixed sentences (see
  ``calculation_api`` below). The ``Details:`` part is always "An unexpected error occurred during the
  calculation." whatever the error was; that is the authors' wording and is kept.

No ``eval``: ``evaluate_expression`` parses with ``ast.parse(mode="eval")`` (the same grammar and the same
failures as numexpr, which compiles the string with Python's ``compile``) and walks the tree, applying
Python's operators to the literal values. For an expression of constants that is exactly what numexpr does
(its ``stringToExpression`` evaluates the compiled code with plain Python numbers, so ``/`` is true
division, ``//`` and ``%`` follow Python, ``int ** negative int`` is a float); numexpr's functions
(``sqrt``, ``ceil``, ``log``...) are applied with numpy, as numexpr folds them, so ``ceil(2.4)`` is
``3.0``. The result is then typed as numexpr types a constant: a bool, an int (it must fit in int64, or
numexpr fails), a float or a complex. Guards that numexpr lacks: names, attributes, subscripts, strings,
lambdas and calls of anything but the listed functions are rejected; an input over ``MAX_CHARS``; an
integer power or shift whose result would exceed ``MAX_INT_BITS`` bits (numexpr would spend unbounded
time and memory, then fail the int64 conversion anyway) and any intermediate integer above that size.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from assay.tools.registry import ToolContext, ToolResult, register_tool

MAX_CHARS = 2000
MAX_INT_BITS = 4096  # far above int64; any larger integer could never come back from numexpr
Number = int | float | complex | bool | np.generic


class CalculatorError(ValueError):
    """The expression is not a numeric expression this calculator evaluates (or it failed)."""


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
# numexpr's scalar functions (``numexpr/expressions.py`` ``functions``), folded with numpy as numexpr does
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "arcsinh": np.arcsinh,
    "arccosh": np.arccosh,
    "arctanh": np.arctanh,
    "fmod": np.fmod,
    "arctan2": np.arctan2,
    "log": np.log,
    "log1p": np.log1p,
    "log10": np.log10,
    "exp": np.exp,
    "expm1": np.expm1,
    "abs": np.absolute,
    "ceil": np.ceil,
    "floor": np.floor,
    "where": np.where,
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _check_size(v: Any) -> Any:
    if isinstance(v, int) and v.bit_length() > MAX_INT_BITS:
        raise CalculatorError(f"integer too large (over {MAX_INT_BITS} bits)")
    return v


def _guard_binop(op: type, left: Any, right: Any) -> None:
    """Refuse the operations whose cost grows with the size of their result before doing them."""
    if op is ast.Pow and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        if right * math.log2(abs(int(left))) > MAX_INT_BITS:
            raise CalculatorError(f"power too large: the result would exceed {MAX_INT_BITS} bits")
    if op is ast.LShift and _is_int(right) and right > MAX_INT_BITS:
        raise CalculatorError(f"shift too large (over {MAX_INT_BITS} bits)")


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float | complex):
            raise CalculatorError(f"unsupported constant {v!r}: only numbers")
        return _check_size(v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left), _eval(node.right)
        _guard_binop(type(node.op), left, right)
        return _check_size(_BINOPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
        left, result = _eval(node.left), True
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp)
            result = _COMPARE[type(op)](left, right)
            if not result:
                return result
            left = right
        return result
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            what = node.func.id if isinstance(node.func, ast.Name) else type(node.func).__name__
            raise CalculatorError(f"unknown function {what!r}; allowed: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise CalculatorError("functions take positional numeric arguments only")
        args = [_eval(a) for a in node.args]
        with np.errstate(all="ignore"):
            return FUNCTIONS[node.func.id](*args)
    if isinstance(node, ast.Name):
        raise CalculatorError(f"unknown name {node.id!r}: only numbers, operators and functions")
    if isinstance(node, ast.Attribute):
        raise CalculatorError("attribute access is not allowed")
    raise CalculatorError(f"unsupported syntax: {type(node).__name__}")


def _as_result(v: Any) -> Number:
    """The value as numexpr returns a constant expression (``.item()`` of its 0-d result array)."""
    if isinstance(v, np.ndarray):
        if v.ndim != 0:
            raise CalculatorError("the result is not a single number")
        v = v[()]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool | float | complex):
        return v
    if isinstance(v, int):
        if not -(2**63) <= v < 2**63:
            raise CalculatorError("Python int too large to convert to C long")
        return v
    raise CalculatorError(f"unsupported result type {type(v).__name__}")


def evaluate_expression(expr: str) -> Number:
    """Evaluate a numeric expression safely (no ``eval``); raises ``CalculatorError`` when it cannot."""
    if not isinstance(expr, str):
        raise CalculatorError(f"expected a string expression, got {type(expr).__name__}")
    if len(expr) > MAX_CHARS:
        raise CalculatorError(f"expression longer than {MAX_CHARS} characters")
    try:
        tree = ast.parse(expr, mode="eval")  # no strip: like numexpr's compile, leading blanks fail
    except SyntaxError as e:  # includes IndentationError
        raise CalculatorError(f"{e.msg} (<expr>, line {e.lineno})") from None
    except (ValueError, MemoryError, RecursionError) as e:
        raise CalculatorError(str(e) or type(e).__name__) from None
    try:
        return _as_result(_eval(tree))
    except CalculatorError:
        raise
    except (ArithmeticError, TypeError, ValueError, RecursionError) as e:
        raise CalculatorError(str(e) or type(e).__name__) from None


def calculator(expr: str) -> Number | str:
    """The authors' ``calculator``: the value, or ``"Error: {e}, try again and only use a numerical
    expression"`` (their exact message; ``{e}`` is this evaluator's reason, not numexpr's)."""
    try:
        return evaluate_expression(expr)
    except CalculatorError as e:
        return f"Error: {e}, try again and only use a numerical expression"


ERROR_DETAIL = "An unexpected error occurred during the calculation."


def _final_answer(input_text: str) -> str:
    """The ``#### N`` number as the authors find it: first ``####[ *]\\d.*`` line, then its first number."""
    found = re.findall(r"####[ *]\d.*", input_text)
    return "" if not found else re.findall(r"\d+[.]*\d*", found[0])[0]


def calculation_api(tool_inputs: str, input_text: str) -> str:
    """``generate_themis.py`` ``calculation_api``, line for line (with the safe evaluator).

    ``input_text`` is the text that holds the answer's ``#### N`` (the authors pass the whole prompt).
    A malformed ``#### N`` (``1..5``) raises ``ValueError`` outside the guarded block, as in the original;
    the tool runner turns that into the generic tool-error observation.
    """
    compute_process = tool_inputs.split(", ")
    answer_text = _final_answer(input_text)
    if answer_text == "":
        return "No valid answer."
    answer = float(answer_text)
    error_list: list[str] = []
    final_answer: Any = None
    try:
        for cpro in compute_process:
            cur_ans = re.sub("<<.*>>", "", cpro)
            equation = re.sub("<<|=.*", "", cpro)
            cal_res = calculator(equation)
            if isinstance(cal_res, str) and "Error" in cal_res:
                error_list.append(cal_res)
                continue
            if cur_ans != "" and cal_res != float(cur_ans):
                error_list.append(f"{equation} is not equal to {cur_ans}.")
            final_answer = cal_res
    except Exception:  # the authors' blanket handler: any failure replaces the error list
        error_list = ["An unexpected error occurred during the calculation"]
    if not error_list:
        if final_answer == answer:
            return "Both the calculation and the answer are correct."
        return (
            f"The calculation process is correct, but the resulting answer {final_answer} "
            f"does not match the predicted answer {answer}."
        )
    if final_answer == answer:
        return (
            "The calculation process is incorrect, but the answer matches the predicted answer. "
            f"Details: {ERROR_DETAIL}"
        )
    answer_str = f"The calculated answer {final_answer} does not match the predicted answer {answer}."
    return f"Both the calculation and the answer are incorrect. Details: {ERROR_DETAIL} {answer_str}"


class CalculatorTool:
    """``calculator``: checks the answer's ``<<expr=result>>result`` steps and its ``#### N`` answer."""

    name = "calculator"
    description = (
        "checks arithmetic. Input: the answer's calculation steps, comma-separated, in the form "
        "<<expression=result>>result (e.g. <<40*4=160>>160, <<520-450=70>>70); the answer must end with "
        "'#### N'. Output: whether the steps and the final answer are correct."
    )

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        text = "\n".join(t for t in (ctx.question, ctx.answer) if t)
        return ToolResult(calculation_api(tool_input, text))


register_tool(CalculatorTool())
