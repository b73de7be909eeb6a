"""An execution-based reference judge for code preference pairs: run both programs' tests, prefer the one
that passes more.

Each program is scored with ``code_run``'s pass rate (``assay.tools.code_run``: the authors' ``code_api``
over ``code_eval``: every test in its own sandboxed process, pass@1 = fraction of tests passed); the pair
is judged by the strict rule ``chosen > rejected`` (equal pass rates, e.g. both 0 or both 1, are a tie:
wrong). It needs no model, so it is a reference point for any code subset whose items carry tests: how
far can a judge that only runs the tests go, and which pairs can tests not separate (the ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.tools.code_run import TIMEOUT_S, CodeReport, run_test_jobs

Pair = tuple[str, str, Sequence[str]]  # (chosen program, rejected program, tests)


def judge_pairs(pairs: Sequence[Pair], *, timeout: float = TIMEOUT_S) -> list[dict[str, Any]]:
    """``{"scores": {"chosen", "rejected"}, "exec": {side: report}}`` per pair; every test of every pair
    runs on the sandbox's shared pool at once."""
    jobs: list[tuple[str, str]] = []
    for chosen, rejected, tests in pairs:
        if not tests:
            raise ValueError("a code pair needs a non-empty test list")
        jobs += [(chosen, t) for t in tests] + [(rejected, t) for t in tests]
    runs = run_test_jobs(jobs, timeout=timeout)
    out, at = [], 0
    for _, _, tests in pairs:
        n = len(tests)
        reports = {
            "chosen": CodeReport(tuple(runs[at : at + n])),
            "rejected": CodeReport(tuple(runs[at + n : at + 2 * n])),
        }
        at += 2 * n
        out.append(
            {
                "scores": {side: r.pass_rate for side, r in reports.items()},
                "exec": {side: {**r.to_json(), "observation": r.observation()} for side, r in reports.items()},
            }
        )
    return out


def judge_pair(chosen: str, rejected: str, tests: Sequence[str], *, timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """One pair of programs (see ``judge_pairs``)."""
    return judge_pairs([(chosen, rejected, tests)], timeout=timeout)[0]
