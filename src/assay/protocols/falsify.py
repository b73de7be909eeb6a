"""Counterexample checking for REFUTE (Sinha et al., 2025, "Can Language Models Falsify?").

Follows the authors' evaluation code, falsifiers/REFUTE (the repository the dataset card links):

* ``refute/utils/xml_parser.py`` ``sanitize_xml`` + ``parse_multiple_actions``: the answer's
  ``<action><name>print_fail_case</name><code>..</code><lang>..</lang></action>`` block -> :func:`parse_answer`.
* ``refute/utils/dataset_parser.py`` ``parse_lang`` (-> :func:`parse_lang`) and ``get_correct_sub`` (the
  correct solution is ``correct_cpp`` as "C++ 20", else ``correct_python`` as "Python 3").
* ``refute/utils/checker.py`` ``AdaptiveChecker.check``: output comparison -> :func:`compare_outputs`.
* ``refute/utils/code_exec.py`` ``run_code`` (statuses OK / RUNTIME_ERROR / TIME_LIMIT_EXCEEDED /
  COMPILE_ERROR / INVALID_LANGUAGE, a 20 s limit), ``eval_sub`` and ``is_fail_case``:

      validator(input) must exit 0, else no success;
      repeat runs_per_eval (5) times:
          buggy = run(wrong_code, input);   status != OK          -> success (crash or time limit)
          correct = run(correct, input);    status != OK          -> no success ("correct code failed")
          if not compare_outputs(correct.out, buggy.out)          -> success
      -> no success ("buggy and correct codes agree")

* ``refute/eval.py`` ``standard_eval``: the input is the stdout of the model's program, run with no stdin.

Every program runs in :mod:`assay.sandbox` (its own directory, limits, no network). C++ is compiled with
the authors' g++ flags minus the two that cannot work on Linux (``-Wl,--stack=268435456`` is a Windows PE
linker option: the 256 MB stack is given as RLIMIT_STACK instead; ``-lstdc++exp`` exists only with
GCC >= 14 and is added when the compiler has it), inside the sandbox too; binaries are cached by hash.

Languages: the original's ``parse_lang`` returns False (never None) for a language it does not know, so
``run_code``'s ``if lang is None`` never fires and anything that is not C++ runs as Python. The model's
program is run that way (``parse_lang(lang) or "python"``: ``<lang>python</lang>``, ``Python``, or
``Kotlin`` all run as Python). C++ programs get a 256 MB RLIMIT_STACK (the authors' linker flag); Python
programs keep the default stack, since glibc makes RLIMIT_STACK every thread's default stack size.

Deviations, each fixing a bug of the original (``original_bugs=True`` restores the original behaviour):

1. A model program that does not run cleanly (non-zero exit, time limit, compile error, unknown language)
   is a failed attempt. The original feeds whatever ``run_code`` returned as "output" (stderr of a crash,
   the compiler's messages, "" after a time limit) to the validator as the counterexample.
2. A wrong or correct solution of the *dataset* that cannot be compiled or started in this environment
   (or is in a language ``parse_lang`` does not know) is an environment error, never a success. The
   original counts a wrong solution that fails to compile as a successful counterexample (its status is
   not OK), and runs a solution in an unknown language as Python.

The verdict is recomputed from the recorded facts by :func:`decide` (so ``assay rescore`` reproduces it).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assay.sandbox import Limits, SandboxResult, run_command, run_python

OK, RUNTIME_ERROR, TIME_LIMIT_EXCEEDED = "OK", "RUNTIME_ERROR", "TIME_LIMIT_EXCEEDED"
COMPILE_ERROR, INVALID_LANGUAGE, SANDBOX_ERROR = "COMPILE_ERROR", "INVALID_LANGUAGE", "SANDBOX_ERROR"
AUTHORS_TIME_LIMIT_S = 20.0  # code_exec.py: exec_time_lim = 20
RUNS_PER_EVAL = 5  # eval.py: --runs_per_eval default
STORED_TEXT = 20_000  # characters of each program output kept in a record

# ----------------------------------------------------------------------------------------------- parsing


class AnswerError(ValueError):
    """The model's answer has no usable print_fail_case action (recorded, counted as a failed attempt)."""


def _wrap_cdata(tag: str, content: str) -> str:
    return re.sub(rf"<{tag}>(.*?)</{tag}>", rf"<{tag}><![CDATA[\1]]></{tag}>", content, flags=re.DOTALL)


def parse_answer(text: str) -> dict[str, str]:
    """The ``print_fail_case`` action of an answer: {"code", "lang"} (xml_parser.py, exactly).

    ``sanitize_xml``: drop ``<thoughts>..</thoughts>`` (greedy); keep from the first ``<reason>`` to the last
    ``</action>`` when both reason tags occur, else from the first ``<action>`` to the last ``</action>``;
    wrap ``<reason>`` and ``<code>`` bodies in CDATA; parse ``<root>..</root>``; each action's children
    other than ``name`` become ``{tag: text.strip()}``. Anything the original would fail on raises.
    """
    out = re.sub(r"<thoughts>.*</thoughts>", "", text, flags=re.DOTALL)
    if "<reason>" in out and "</reason>" in out:
        m = re.search(r"<reason>.*</action>", out, re.DOTALL)
    else:
        m = re.search(r"<action>.*</action>", out, re.DOTALL)
    if m is None:
        raise AnswerError("no <action>...</action> block")
    xml = _wrap_cdata("code", _wrap_cdata("reason", m.group(0)))
    try:
        root = ET.fromstring(f"<root>{xml}</root>")
    except ET.ParseError as e:
        raise AnswerError(f"not well-formed XML: {e}") from None
    actions: dict[str, dict[str, str]] = {}
    for action in root.findall("action"):
        name = action.find("name")
        if name is None or name.text is None:
            raise AnswerError("an <action> without a <name>")
        try:
            actions[name.text.strip()] = {el.tag: el.text.strip() for el in action.findall("*") if el.tag != "name"}  # type: ignore[union-attr]
        except AttributeError:
            raise AnswerError("an empty element in the action") from None
    act = actions.get("print_fail_case")
    if act is None:
        raise AnswerError(f"no print_fail_case action (found: {sorted(actions) or 'none'})")
    if "code" not in act or "lang" not in act:
        raise AnswerError("the print_fail_case action needs <code> and <lang>")
    return {"code": act["code"], "lang": act["lang"]}


def parse_lang(language: str | None) -> str | Literal[False]:
    """ "cpp", "python" or False, exactly as dataset_parser.py ``parse_lang`` (any C++, Python >= 3, PyPy).

    The original returns False, never None, for anything else, so ``run_code``'s ``if lang is None:
    return INVALID_LANGUAGE`` never fires and every program that is not C++ runs as Python (``python
    file``). :meth:`Executor.run` does the same for the model's program (``parse_lang(lang) or "python"``);
    see its ``unknown_as_python``.
    """
    if not language:
        return False
    lang = language.lower().strip()
    if "c++" in lang or "cpp" in lang or "g++" in lang:
        return "cpp"
    if "python" in lang or "pypy" in lang:
        version = "".join(ch for ch in lang if ch.isdigit() or ch == ".")
        if "pypy" in lang and not version:
            return "python"
        if version:
            try:
                return "python" if float(version.split(".")[0]) >= 3 else False
            except ValueError:
                return False
        return False
    return False


# ------------------------------------------------------------------------------------------------ checker


def _tokens(output: str) -> list[str]:
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    return " ".join(lines).split()


def _yes(t: str) -> bool:
    return t.lower() == "yes"


def _no(t: str) -> bool:
    return t.lower() == "no"


def compare_outputs(jury: str, contestant: str) -> tuple[bool, str]:
    """(same, message): checker.py ``AdaptiveChecker.check``. Tokens are whitespace-separated words of
    the non-blank lines; if every jury token is yes/no (any case) the answers compare as booleans,
    otherwise tokens must be identical. Both empty: same; one empty: different."""
    if not jury.strip() and not contestant.strip():
        return True, "OK"
    if not jury.strip():
        return False, "Expected empty output"
    if not contestant.strip():
        return False, "Contestant's output is empty"
    jt, ct = _tokens(jury), _tokens(contestant)
    if jt and all(_yes(t) or _no(t) for t in jt):
        if len(jt) != len(ct):
            return False, f"Expected {len(jt)} answers, but found {len(ct)}"
        for i, (j, c) in enumerate(zip(jt, ct, strict=True)):
            if not (_yes(c) or _no(c)):
                return False, f"Token {i + 1}: Expected YES/NO, found '{c}'"
            if _yes(j) != _yes(c):
                return False, f"Token {i + 1}: Expected {'YES' if _yes(j) else 'NO'}, found '{c}'"
        return True, "OK"
    if len(jt) != len(ct):
        return False, f"Expected {len(jt)} tokens, but found {len(ct)}"
    for i, (j, c) in enumerate(zip(jt, ct, strict=True)):
        if j != c:
            return False, f"Token {i + 1}: Expected '{j}', found '{c}'"
    return True, "OK"


# ---------------------------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class ExecSettings:
    """How programs are run: the time limit (s) for each run, the memory cap, output cap, stack, runs."""

    time_limit_s: float = AUTHORS_TIME_LIMIT_S
    memory_mb: int = 2048
    output_bytes: int = 64 * 1024 * 1024
    stack_mb: int = 256
    runs: int = RUNS_PER_EVAL
    original_bugs: bool = False
    compile_timeout_s: float = 60.0
    cache_dir: Path | None = None

    def limits(self, time_limit_s: float | None = None, *, cpp: bool = False) -> Limits:
        """The limits of one run. ``stack_mb`` stands in for the authors' C++ linker flag and is given to
        C++ programs only: glibc makes RLIMIT_STACK every thread's default stack, so under the address-space
        limit a Python program could start only a few threads with it."""
        t = float(time_limit_s or self.time_limit_s)
        return Limits(
            wall_s=t,
            cpu_s=t,
            memory_mb=self.memory_mb,
            output_bytes=self.output_bytes,
            stack_mb=self.stack_mb if cpp else None,
            file_size_mb=64,
        )


@dataclass
class Executor:
    """Runs Python and C++ programs in the sandbox; compiled binaries are cached (memory + cache_dir)."""

    settings: ExecSettings = field(default_factory=ExecSettings)
    _bins: dict[str, bytes | str] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _compile(self, code: str) -> tuple[bytes | None, str]:
        flags = cpp_flags()
        key = hashlib.sha256(("\0".join([*flags, _gxx_version(), code])).encode()).hexdigest()
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._bins:
                got = self._bins[key]
                return (got, "") if isinstance(got, bytes) else (None, got)
            disk = self.settings.cache_dir / "refute-bin" / key if self.settings.cache_dir else None
            if disk is not None and disk.is_file():
                self._bins[key] = disk.read_bytes()
                return self._bins[key], ""  # type: ignore[return-value]
            lim = Limits(wall_s=self.settings.compile_timeout_s, cpu_s=self.settings.compile_timeout_s, memory_mb=4096)
            with tempfile.TemporaryDirectory(prefix="assay-refute-") as d:
                tmp = Path(d) / "prog"
                res = run_command(
                    ["g++", "prog.cpp", *flags, "-o", "prog"],
                    files={"prog.cpp": code},
                    limits=lim,
                    export={"prog": tmp},
                )
                data = tmp.read_bytes() if res.ok and tmp.is_file() else None
            if data is not None:
                self._bins[key] = data
                if disk is not None:
                    disk.parent.mkdir(parents=True, exist_ok=True)
                    part = disk.with_suffix(".part")
                    part.write_bytes(data)
                    part.replace(disk)
                return data, ""
            message = (res.stderr or res.error or res.status)[-STORED_TEXT:]
            self._bins[key] = message
            return None, message

    def run(
        self,
        code: str,
        lang: str | None,
        stdin: str,
        time_limit_s: float | None = None,
        *,
        unknown_as_python: bool = False,
    ) -> dict[str, Any]:
        """``run_code``: {"status", "output", "lang", "ran_as", "result"} with the authors' statuses (+
        SANDBOX_ERROR). ``unknown_as_python``: a language ``parse_lang`` does not know runs as Python, as in
        the original (its ``lang is None`` check never fires); otherwise it is INVALID_LANGUAGE."""
        kind = parse_lang(lang) or ("python" if unknown_as_python else None)
        if kind is None:
            return {"status": INVALID_LANGUAGE, "output": "", "lang": lang, "ran_as": None}
        limits = self.settings.limits(time_limit_s, cpp=kind == "cpp")
        if kind == "python":
            res = run_python(code, stdin=stdin, limits=limits)
        else:
            binary, message = self._compile(code)
            if binary is None:
                return {"status": COMPILE_ERROR, "output": message, "lang": lang, "ran_as": kind}
            res = run_command(["./prog"], files={"prog": binary}, stdin=stdin, limits=limits)
        return {"status": status_of(res), "output": output_of(res), "lang": lang, "ran_as": kind, "result": stored(res)}


def status_of(res: SandboxResult) -> str:
    if res.error is not None:
        return SANDBOX_ERROR
    if res.timed_out:
        return TIME_LIMIT_EXCEEDED
    return OK if res.ok else RUNTIME_ERROR


def output_of(res: SandboxResult) -> str:
    """``run_code``'s "output": stdout when OK, else stderr (or stdout when stderr is empty); "" on TLE."""
    if res.timed_out:
        return ""
    if res.ok:
        return res.stdout
    return res.stderr or res.stdout


def stored(res: SandboxResult) -> dict[str, Any]:
    """The result as kept in a record: every field, with stdout/stderr cut to STORED_TEXT characters."""
    d = res.to_json()
    for k in ("stdout", "stderr"):
        text = d[k]
        d[f"{k}_chars"] = len(text)
        if len(text) > STORED_TEXT:
            d[k] = text[:STORED_TEXT]
            d[f"{k}_sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    d.pop("limits", None)
    return d


def cpp_flags() -> list[str]:
    """The authors' g++ flags that work here (see the module docstring)."""
    return list(_cpp_flags())


def _gxx_version() -> str:
    return _probe_gxx()[0]


_probe_lock = threading.Lock()
_probe: tuple[str, tuple[str, ...]] | None = None


def _probe_gxx() -> tuple[str, tuple[str, ...]]:
    global _probe
    with _probe_lock:
        if _probe is None:
            if shutil.which("g++") is None:
                _probe = ("none", ())
            else:
                ver = subprocess.run(["g++", "--version"], capture_output=True, text=True, check=False).stdout
                flags = ["-static", "-DONLINE_JUDGE", "-O2", "-std=c++23"]
                if _links("-lstdc++exp"):
                    flags.append("-lstdc++exp")
                if _machine() == "x86_64":
                    flags += ["-march=x86-64", "-mno-avx2"]
                _probe = (ver.splitlines()[0] if ver else "g++", tuple(flags))
        return _probe


def _cpp_flags() -> tuple[str, ...]:
    return _probe_gxx()[1]


def _machine() -> str:
    import platform

    return platform.machine()


def _links(flag: str) -> bool:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "t.cpp"
        src.write_text("int main(){return 0;}\n")
        r = subprocess.run(["g++", str(src), flag, "-o", str(Path(d) / "t")], capture_output=True, check=False)
        return r.returncode == 0


# ------------------------------------------------------------------------------------------------ verdict


def check_input(problem: Mapping[str, Any], inp: str, ex: Executor) -> dict[str, Any]:
    """``is_fail_case``: validate ``inp``, then up to ``runs`` times run the buggy and the correct solution.

    Returns the facts (validator run, each buggy/correct run with the checker's answer); the verdict is
    :func:`decide`'s. Stops where the original stops (first success, first correct-solution failure).
    """
    val = ex.run(problem["validator"], "Python 3", inp)
    facts: dict[str, Any] = {"validator": val, "runs": []}
    if val["status"] != OK:
        return facts
    tl = problem.get("time_limit_s")
    original = ex.settings.original_bugs  # the original runs a dataset solution in an unknown language as Python
    for _ in range(ex.settings.runs):
        buggy = ex.run(problem["wrong_code"], problem["wrong_code_lang"], inp, tl, unknown_as_python=original)
        entry: dict[str, Any] = {"buggy": _strip_output(buggy)}
        facts["runs"].append(entry)
        if buggy["status"] != OK:
            break
        correct = ex.run(problem["correct_code"], problem["correct_lang"], inp, tl, unknown_as_python=original)
        entry["correct"] = _strip_output(correct)
        if correct["status"] != OK:
            break
        same, message = compare_outputs(correct["output"], buggy["output"])
        entry["same"], entry["checker"] = same, message
        if not same:
            break
    return facts


def _strip_output(run: dict[str, Any]) -> dict[str, Any]:
    out = dict(run)
    out["output"] = run["output"][:STORED_TEXT]
    return out


def decide(attempt: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict of one attempt from its recorded facts: {"success": bool, "status": str}.

    Statuses: invalid_answer, generator_failed, invalid_input (validator rejected), buggy_crashed,
    buggy_timeout, wrong_answer (successes); correct_failed, agree (no success); environment_error
    (a dataset solution could not be compiled or started here; no success unless ``original_bugs``).
    """
    if not attempt.get("valid"):
        return {"success": False, "status": "invalid_answer"}
    if "validator" not in attempt:
        return {"success": False, "status": "generator_failed"}
    if attempt["validator"]["status"] != OK:
        return {"success": False, "status": "invalid_input"}
    original = bool(attempt.get("original_bugs"))
    for run in attempt.get("runs", []):
        b = run["buggy"]["status"]
        if b in (COMPILE_ERROR, INVALID_LANGUAGE, SANDBOX_ERROR) and not original:
            return {"success": False, "status": "environment_error"}
        if b == TIME_LIMIT_EXCEEDED:
            return {"success": True, "status": "buggy_timeout"}
        if b != OK:
            return {"success": True, "status": "buggy_crashed"}
        c = run.get("correct")
        if c is None or c["status"] != OK:
            if c is not None and c["status"] in (COMPILE_ERROR, INVALID_LANGUAGE, SANDBOX_ERROR):
                return {"success": False, "status": "environment_error"}
            return {"success": False, "status": "correct_failed"}
        if not run.get("same", True):
            return {"success": True, "status": "wrong_answer"}
    return {"success": False, "status": "agree"}


def evaluate_attempt(problem: Mapping[str, Any], raw: str, ex: Executor) -> dict[str, Any]:
    """One attempt: parse the answer, run its program, check the input (``standard_eval``)."""
    att: dict[str, Any] = {"raw": raw, "original_bugs": ex.settings.original_bugs}
    try:
        parsed = parse_answer(raw)
    except AnswerError as e:
        att.update(valid=False, parse_error=str(e), program=None)
        att["verdict"] = decide(att)
        return att
    att.update(valid=True, parse_error=None, program=parsed)
    gen = ex.run(parsed["code"], parsed["lang"], "", unknown_as_python=True)  # eval.py: parse_lang(..) or Python
    inp = gen["output"]
    att["generator"] = _strip_output(gen)
    att["input"] = inp[:STORED_TEXT]
    att["input_chars"] = len(inp)
    att["input_sha256"] = hashlib.sha256(inp.encode("utf-8")).hexdigest()
    if gen["status"] == OK or ex.settings.original_bugs:
        att.update(check_input(problem, inp, ex))
    att["verdict"] = decide(att)
    return att
