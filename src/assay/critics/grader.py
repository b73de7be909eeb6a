r"""A math answer grader shared by the critique benchmarks: extract, normalise, compare.

Public API (other modules import these names):

* ``extract_answer(text, task=None)``: the final answer of a solution or critique text, as the authors'
  parser extracts it (last ``\boxed{}``, else "the answer is ...", else the last number), normalised;
  ``None`` when there is none.
* ``normalize(ans)``: the canonical text of an answer (parser.py ``strip_string``).
* ``equivalent(pred, gt, *, timeout_s=5.0)``: equal as math answers. Raw-equal strings are always
  equivalent; otherwise a whole ``\boxed{...}`` is unwrapped (an addition: upstream compares answers
  that are already extracted), both are normalised and compared with ``math_equal``.
* ``math_equal(pred, ref, ...)``: the authors' comparison on already-normalised answers (RealCritic
  uses it directly, after its own per-task normalisation).

Source: QwenLM/Qwen2.5-Math ``evaluation/grader.py`` ``math_equal`` (the revision with the inline
list/matrix/equation branches that fall through to ``symbolic_equal``, commit e3564205), which
tangzhy/RealCritic ``evaluate.py`` calls as ``math_equal_process``; extraction and normalisation are
in :mod:`assay.critics.normalize`, sympy work in :mod:`assay.critics.symbolic`. ``math_equal`` is:

1. equal after ``strip().lower()``;
2. a reference option letter A-E and ``choice_answer_clean(pred)`` names it;
3. both parse as numbers (commas dropped, a trailing ``%`` or ``\%`` divides by 100) and the prediction
   is within rel_tol 1e-4 of the reference, the reference / 100 or the reference * 100 (percentages);
   two numbers that differ are unequal (no symbolic check);
4. an empty prediction is unequal;
5. equal after dropping ``{}()`` (and ``[]()`` at the ends when the shapes allow);
6. ``(a,b)``/``[a,b]`` lists element-wise; pmatrix matrices cell-wise (a ``{..,..}`` reference
   becomes a pmatrix when the prediction is one);
7. two equations: ``l - (r)`` symbolically equal up to sign; ``x=5`` against ``5`` (left side of at most
   two characters): the right side compared;
8. ``symbolic_equal`` in the sympy worker, with a timeout (a timeout is unequal).

Timeout: the authors run the whole ``math_equal`` in a process pool with a 3 s limit; here only the
sympy step runs in a separate process, with ``timeout_s`` per call, because the string and number steps
cannot hang. A timed-out comparison is not equal (as upstream) and is counted in ``stats()``.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from assay.critics.normalize import CHOICES, last_boxed, strip_string
from assay.critics.normalize import extract_answer as _extract
from assay.critics.symbolic import numeric_equal

__all__ = ["extract_answer", "normalize", "equivalent", "math_equal", "symbolic_equal", "stats"]

DEFAULT_TIMEOUT_S = 5.0
_WORKER_START_S = 120.0  # python + sympy import on a busy machine; not part of any comparison's timeout


# --- public API -----------------------------------------------------------------------------------


def extract_answer(text: str | None, task: str | None = None, *, use_last_number: bool = True) -> str | None:
    """The normalised final answer of ``text`` (parser.py ``extract_answer``), or None if there is none.

    ``task`` selects the authors' per-dataset rules: option letters for ``arc-challenge``, ``gpqa`` and
    ``mmlu*``, units kept for ``minerva_math``; None applies the general rules.
    """
    if not text:
        return None
    ans = _extract(text, task or "", use_last_number=use_last_number)
    return ans if ans else None


def normalize(ans: str | None, *, keep_units: bool = False) -> str:
    """parser.py ``strip_string``: the canonical text of an answer ("" for None)."""
    return "" if ans is None else strip_string(ans, skip_unit=keep_units)


def equivalent(pred: str | None, gt: str | None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when ``pred`` and ``gt`` are the same math answer (raw-equal strings always are)."""
    if pred is None or gt is None:
        return False
    if pred == gt:
        return True
    return math_equal(normalize(_unbox(pred)), normalize(_unbox(gt)), timeout_s=timeout_s)


def _unbox(ans: str) -> str:
    r"""``\boxed{X}`` (optionally in ``$...$``) -> ``X``: a whole boxed answer compares as its content."""
    s = ans.strip().strip("$").strip()
    if s.startswith("\\boxed{") and s.endswith("}"):
        inner = last_boxed(s)
        if "\\boxed{" + inner + "}" == s:
            return inner
    return ans


# --- grader.py math_equal -------------------------------------------------------------------------


def _choice_clean(pred: str) -> str:
    """grader.py ``choice_answer_clean`` (simpler than parser.py's: no "answer is" split)."""
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    found = re.findall(r"\b(A|B|C|D|E)\b", pred.upper())
    out = found[-1] if found else pred.strip().strip(".")
    return out.rstrip(".").rstrip("/")


def parse_digits(num: Any) -> float | None:
    """grader.py ``parse_digits``: a float from text with commas, or a percentage as a fraction."""
    s = str(num).replace(",", "")
    try:
        return float(s)
    except ValueError:
        if s.endswith("%"):
            s = s[:-1]
            if s.endswith("\\"):
                s = s[:-1]
            try:
                return float(s) / 100
            except ValueError:
                pass
    return None


def is_digit(num: Any) -> bool:
    return parse_digits(num) is not None


def str_to_pmatrix(input_str: str) -> str:
    input_str = input_str.strip()
    out = []
    for m in re.findall(r"\{.*,.*\}", input_str):
        m = m.strip("{}")
        out.append(r"\begin{pmatrix}" + m.replace(",", "\\") + r"\end{pmatrix}")
    return ", ".join(out)


_LIST = re.compile(r"(\(|\[).+(\)|\])")
_MAT_OPEN = ("\\begin{pmatrix}", "\\begin{bmatrix}")
_MAT_CLOSE = ("\\end{pmatrix}", "\\end{bmatrix}")


def _matrix_rows(s: str) -> list[str]:
    body = s[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
    return [line.strip() for line in body.split("\\\\") if line.strip()]


def math_equal(
    prediction: str | None,
    reference: str | None,
    include_percentage: bool = True,
    is_close: bool = True,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> bool:
    """grader.py ``math_equal`` on normalised answers; ``timeout_s`` bounds each sympy call (None: none)."""
    if prediction is None or reference is None:
        return False
    if prediction.strip().lower() == reference.strip().lower():
        return True
    if reference in CHOICES and _choice_clean(prediction) == reference:
        return True

    # 1. numerical equal
    if is_digit(prediction) and is_digit(reference):
        p, r = parse_digits(prediction), parse_digits(reference)
        assert p is not None and r is not None
        candidates = [r / 100, r, r * 100] if include_percentage else [r]
        for item in candidates:
            if numeric_equal(p, item) if is_close else item == p:
                return True
        return False

    if not prediction:
        return False

    # 2. symbolic equal
    reference = str(reference).strip()
    prediction = str(prediction).strip()
    if "pmatrix" in prediction and "pmatrix" not in reference:
        reference = str_to_pmatrix(reference)

    pred_str, ref_str = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
        prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")
    ):
        pred_str = pred_str.strip("[]()")
        ref_str = ref_str.strip("[]()")
    for ch in ("{", "}", "(", ")"):
        ref_str = ref_str.replace(ch, "")
        pred_str = pred_str.replace(ch, "")
    if pred_str.lower() == ref_str.lower():
        return True

    def eq(a: str, b: str) -> bool:
        return math_equal(a, b, include_percentage, is_close, timeout_s=timeout_s)

    # [a, b] vs. [c, d]: element-wise (falls through when unequal, as upstream)
    if _LIST.match(prediction) and _LIST.match(reference):
        pred_parts = prediction[1:-1].split(",")
        ref_parts = reference[1:-1].split(",")
        if len(pred_parts) == len(ref_parts) and all(eq(a, b) for a, b in zip(pred_parts, ref_parts, strict=True)):
            return True
    if prediction.startswith(_MAT_OPEN) and prediction.endswith(_MAT_CLOSE):
        if reference.startswith(_MAT_OPEN) and reference.endswith(_MAT_CLOSE):
            pred_lines, ref_lines = _matrix_rows(prediction), _matrix_rows(reference)
            matched = len(pred_lines) == len(ref_lines)
            if matched:
                for pl, rl in zip(pred_lines, ref_lines, strict=True):
                    pp, rp = pl.split("&"), rl.split("&")
                    if len(pp) != len(rp) or not all(eq(a, b) for a, b in zip(pp, rp, strict=True)):
                        matched = False
                        break
            if matched:
                return True

    if prediction.count("=") == 1 and reference.count("=") == 1:
        pl, pr = prediction.split("=")
        rl, rr = reference.split("=")
        pred = f"{pl.strip()} - ({pr.strip()})"
        ref = f"{rl.strip()} - ({rr.strip()})"
        if symbolic_equal(pred, ref, timeout_s=timeout_s) or symbolic_equal(f"-({pred})", ref, timeout_s=timeout_s):
            return True
    elif prediction.count("=") == 1 and len(prediction.split("=")[0].strip()) <= 2 and "=" not in reference:
        if eq(prediction.split("=")[1], reference):
            return True
    elif reference.count("=") == 1 and len(reference.split("=")[0].strip()) <= 2 and "=" not in prediction:
        if eq(prediction, reference.split("=")[1]):
            return True

    return symbolic_equal(prediction, reference, timeout_s=timeout_s)


# --- the sympy worker -----------------------------------------------------------------------------


class _Worker:
    """One long-lived ``python -m assay.critics.symbolic`` process; killed and restarted on a timeout."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.buf = b""
        self.lock = threading.Lock()
        self.cache: dict[tuple[str, str], bool] = {}
        self.counts = {"calls": 0, "cached": 0, "timeouts": 0, "restarts": 0}

    def _start(self) -> None:
        src_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assay.critics.symbolic"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.buf = b""
        reply = self._read(_WORKER_START_S)
        if reply is None or not reply.get("ready"):
            self._kill()
            why = reply.get("fatal") if reply else f"no answer within {_WORKER_START_S:.0f} s"
            raise RuntimeError(f"the sympy answer checker did not start: {why}")

    def _kill(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except Exception:
                pass
        self.proc = None
        self.buf = b""

    def _read(self, timeout_s: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:  # the worker died
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None

    def equal(self, a: str, b: str, timeout_s: float | None) -> bool:
        key = (a, b)
        with self.lock:
            self.counts["calls"] += 1
            if key in self.cache:
                self.counts["cached"] += 1
                return self.cache[key]
            if self.proc is None or self.proc.poll() is not None:
                if self.proc is not None:
                    self.counts["restarts"] += 1
                self._start()
            assert self.proc is not None and self.proc.stdin is not None
            try:
                self.proc.stdin.write((json.dumps({"a": a, "b": b}) + "\n").encode("utf-8"))
                self.proc.stdin.flush()
            except BrokenPipeError:
                self._kill()
                raise RuntimeError("the sympy answer checker exited unexpectedly") from None
            reply = self._read(timeout_s if timeout_s is not None else 1e9)
            if reply is None or "eq" not in reply:
                if reply is not None and "error" in reply:
                    raise RuntimeError(f"sympy answer checker failed on {a!r} vs {b!r}: {reply['error']}")
                self.counts["timeouts"] += 1
                self._kill()  # it may still be computing: a fresh worker answers the next call
                return False  # not cached: a later call with more time may still decide it
            result = bool(reply["eq"])
            self.cache[key] = result
            return result


_WORKER = _Worker()
atexit.register(_WORKER._kill)


def symbolic_equal(a: str, b: str, *, timeout_s: float | None = DEFAULT_TIMEOUT_S) -> bool:
    """grader.py ``symbolic_equal`` in the worker process; False when it takes longer than ``timeout_s``."""
    return _WORKER.equal(a, b, timeout_s)


def stats() -> dict[str, int]:
    """Counters of the sympy worker in this process: calls, cached, timeouts, restarts."""
    return dict(_WORKER.counts)
