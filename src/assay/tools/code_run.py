"""The Themis ``code_run`` tool: run a program against its ``test_list`` in the sandbox; report the pass rate.

Authors: ``generate_themis.py`` ``code_api(answer, test_list)`` over Hugging Face ``evaluate``'s
``code_eval`` (``src/tools/code_interpreter.py`` ``get_code_interperter``). ``code_eval.compute(
predictions=[[answer]] * len(test_list), references=test_list)`` runs each test as its own program
``answer + "\\n" + test`` (``exec`` in fresh globals, output swallowed, 3 s time limit): the result of
one test is "passed", "timed out" or ``f"failed: {e}"``. With one candidate per test, pass@1 is the
fraction of tests passed. The observation is, exactly:

    The pass rate is {pass@1}. All test cases passed.
    The pass rate is {pass@1}. All test cases failed.[ Failed reason: r1; r2]
    The pass rate is {pass@1}. {n_passed} test cases passed, and {n_failed} test cases failed.[ Failed reason: ...]

where the reasons are the distinct non-empty ``result.replace("failed:", "").strip()`` (an assertion
failure has an empty message and adds none). The authors join a Python ``set`` (arbitrary order per
process); here the distinct reasons keep first-seen order, so the text is reproducible. The tool ignores
its input ("Same as the answer" in the data): it always runs the answer under judgement.

Each test runs in ``assay.sandbox.run_python`` (a separate, resource-limited process). Inside it a small
harness reads the program from stdin, executes it like ``code_eval`` (fresh globals, stdout/stderr
swallowed, a 3 s ``setitimer`` limit giving "timed out") and prints its result after a per-run random
marker. A process that dies without printing one (killed by the sandbox's limits, ``os._exit``) counts
as failed with the sandbox's reason. Exception messages are this interpreter's: a ``SyntaxError`` worded
by Python 3.8 in the data ("invalid syntax") may read differently here, so the pass rate agrees with the
recorded observations more often than the full text does.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from assay.tools.registry import ToolContext, ToolResult, register_tool

TIMEOUT_S = 3.0  # code_eval's default per-test time limit
SLACK_S = 5.0  # interpreter start-up and harness, on top of the test's own limit

_HARNESS = r"""
import contextlib, io, json, signal, sys
_p = json.loads(sys.stdin.read())
class _Timeout(BaseException):
    pass
def _alarm(signum, frame):
    raise _Timeout()
_result = None
signal.signal(signal.SIGALRM, _alarm)
try:
    _out = io.StringIO()
    with contextlib.redirect_stdout(_out), contextlib.redirect_stderr(_out):
        signal.setitimer(signal.ITIMER_REAL, _p["timeout"])
        try:
            exec(_p["program"], {})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    _result = "passed"
except _Timeout:
    _result = "timed out"
except BaseException as e:
    _result = "failed: " + str(e)
sys.__stdout__.write("\n" + _p["marker"] + json.dumps(_result) + "\n")
sys.__stdout__.flush()
"""


@dataclass(frozen=True)
class TestRun:
    """One test's result as code_eval words it ("passed", "timed out", "failed: ...")."""

    test: str
    result: str
    sandbox: dict[str, Any]

    @property
    def passed(self) -> bool:
        return self.result == "passed"


@dataclass(frozen=True)
class CodeReport:
    runs: tuple[TestRun, ...]

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.runs)

    @property
    def n_failed(self) -> int:
        return len(self.runs) - self.n_passed

    @property
    def pass_rate(self) -> float:
        return self.n_passed / len(self.runs) if self.runs else 0.0

    def observation(self) -> str:
        return code_observation([r.result for r in self.runs])

    def to_json(self) -> dict[str, Any]:
        return {
            "pass_rate": self.pass_rate,
            "n_passed": self.n_passed,
            "n_failed": self.n_failed,
            "results": [r.result for r in self.runs],
        }


def code_observation(results: Sequence[str]) -> str:
    """``code_api``'s text from the per-test results (reasons in first-seen order)."""
    if not results:
        raise ValueError("no test results: code_run needs a non-empty test_list")
    n_passed = sum(r == "passed" for r in results)
    n_failed = len(results) - n_passed
    pass_1 = n_passed / len(results)
    reasons: dict[str, None] = {}
    for r in results:
        if r != "passed":
            failed = r.replace("failed:", "").strip()
            if failed:
                reasons[failed] = None
    failed_reason = f" Failed reason: {'; '.join(reasons)}" if reasons else ""
    text = f"The pass rate is {float(pass_1)}. "
    if n_passed == 0:
        return text + "All test cases failed." + failed_reason
    if n_failed == 0:
        return text + "All test cases passed."
    return text + f"{n_passed} test cases passed, and {n_failed} test cases failed." + failed_reason


def _sandbox_summary(res: Any) -> dict[str, Any]:
    return {
        "exit_code": res.exit_code,
        "signal": res.signal,
        "timed_out": res.timed_out,
        "memory_exceeded": res.memory_exceeded,
        "wall_s": round(float(res.wall_s), 3),
    }


def run_test(program: str, test: str, *, timeout: float = TIMEOUT_S) -> TestRun:
    """Run ``program + "\\n" + test`` once in the sandbox, as code_eval runs one reference."""
    from assay.sandbox import Limits, run_python

    marker = f"@@assay-code-run-{secrets.token_hex(8)}@@"
    payload = json.dumps({"program": program + "\n" + test, "timeout": timeout, "marker": marker})
    # the harness' own timer gives code_eval's "timed out"; the sandbox limit is the backstop
    res = run_python(_HARNESS, stdin=payload, limits=Limits(wall_s=timeout + SLACK_S, cpu_s=timeout + SLACK_S))
    summary = _sandbox_summary(res)
    for line in reversed(res.stdout.splitlines()):
        if line.startswith(marker):
            return TestRun(test, str(json.loads(line[len(marker) :])), summary)
    if res.timed_out:
        return TestRun(test, "timed out", summary)
    why = "memory limit exceeded" if res.memory_exceeded else f"process ended without a result (exit {res.exit_code})"
    if res.signal:
        why += f", signal {res.signal}"
    if res.error:
        why += f", sandbox error: {res.error}"
    return TestRun(test, f"failed: {why}", summary)


def run_test_jobs(jobs: Sequence[tuple[str, str]], *, timeout: float = TIMEOUT_S) -> list[TestRun]:
    """``run_test`` for each ``(program, test)``, on the sandbox's shared pool; results in input order."""
    from assay.sandbox import run_many

    return run_many([partial(run_test, program, test, timeout=timeout) for program, test in jobs])


def run_tests(program: str, tests: Sequence[str], *, timeout: float = TIMEOUT_S) -> CodeReport:
    """Every test of ``tests`` against ``program`` (each in its own sandboxed process), in order."""
    if not tests:
        raise ValueError("no tests: code_run needs a non-empty test_list")
    return CodeReport(tuple(run_test_jobs([(program, t) for t in tests], timeout=timeout)))


class CodeRunTool:
    """``code_run``: the answer's pass rate on the item's ``test_list`` (its input is ignored)."""

    name = "code_run"
    description = (
        "runs the answer's Python code against the question's test cases. Input: 'Same as the answer'. "
        "Output: the pass rate and the failure reasons."
    )

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        if not ctx.test_list:
            raise ValueError("this item has no test_list to run the code against")
        report = run_tests(ctx.answer, ctx.test_list)
        return ToolResult(report.observation(), detail=report.to_json())


register_tool(CodeRunTool())
