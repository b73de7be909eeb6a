"""REFUTE verdicts and data: the per-attempt verdict, the aggregate metrics and loading the dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks.refute import aggregate, load, outcome
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError
from assay.protocols.falsify import decide
from refute_cases import MAXSUB_CORRECT, PROBLEMS, write_jsonl

# --------------------------------------------------------------------------------------------------- verdict


def _run(status: str, out: str = "") -> dict[str, Any]:
    return {"status": status, "output": out}


AGREE = {"buggy": _run("OK"), "correct": _run("OK"), "same": True}


@pytest.mark.parametrize(
    "att,status,success",
    [
        ({"valid": False}, "invalid_answer", False),
        ({"valid": True}, "generator_failed", False),
        ({"valid": True, "validator": _run("RUNTIME_ERROR")}, "invalid_input", False),
        ({"valid": True, "validator": _run("OK"), "runs": [{"buggy": _run("RUNTIME_ERROR")}]}, "buggy_crashed", True),
        (
            {"valid": True, "validator": _run("OK"), "runs": [{"buggy": _run("TIME_LIMIT_EXCEEDED")}]},
            "buggy_timeout",
            True,
        ),
        (
            {"valid": True, "validator": _run("OK"), "runs": [{"buggy": _run("OK"), "correct": _run("RUNTIME_ERROR")}]},
            "correct_failed",
            False,
        ),
        (
            {
                "valid": True,
                "validator": _run("OK"),
                "runs": [{"buggy": _run("OK"), "correct": _run("OK"), "same": True}] * 4
                + [{"buggy": _run("OK"), "correct": _run("OK"), "same": False}],
            },
            "wrong_answer",
            True,
        ),
        (
            {
                "valid": True,
                "validator": _run("OK"),
                "runs": [{"buggy": _run("OK"), "correct": _run("OK"), "same": True}],
            },
            "agree",
            False,
        ),
        (
            {"valid": True, "validator": _run("OK"), "runs": [{"buggy": _run("COMPILE_ERROR")}]},
            "environment_error",
            False,
        ),
        (
            {"valid": True, "original_bugs": True, "validator": _run("OK"), "runs": [{"buggy": _run("COMPILE_ERROR")}]},
            "buggy_crashed",
            True,
        ),
    ],
)
def test_decide(att: dict[str, Any], status: str, success: bool) -> None:
    assert decide(att) == {"success": success, "status": status}


def test_aggregate_hand_computed() -> None:
    def rec(wins: list[int]) -> dict[str, Any]:
        atts = [
            {
                "valid": True,
                "validator": _run("OK"),
                "runs": [{"buggy": _run("RUNTIME_ERROR" if w else "OK"), "correct": _run("OK"), "same": True}],
            }
            for w in wins
        ]
        r = {"id": str(wins), "attempts": atts}
        r["outcome"] = outcome(r)
        return r

    recs = [rec([1, 1]), rec([0, 1]), rec([0, 0])]
    m = aggregate(recs, seed=0, n_boot=200)
    assert m["overall"]["value"] == pytest.approx(2 / 3) and m["overall"]["metric"] == "pass@2"
    assert m["pass@2"]["value"] == pytest.approx(2 / 3)
    assert m["pass@1"]["value"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["attempts"] == {"total": 6, "successes": 3, "rate": 0.5}
    assert m["statuses"] == {"agree": 3, "buggy_crashed": 3}
    assert m["overall"]["ci"][0] <= m["overall"]["value"] <= m["overall"]["ci"][1]
    assert aggregate(recs, 0, 200) == m  # a pure function of the records


def test_truncated_answers_are_counted_and_warned_about() -> None:
    def rec(reasons: list[str]) -> dict[str, Any]:
        atts = [{"valid": r == "stop", "finish_reason": r, "validator": _run("OK"), "runs": [AGREE]} for r in reasons]
        r = {"id": str(reasons), "attempts": atts}
        r["outcome"] = outcome(r)
        return r

    m = aggregate([rec(["length", "stop"]), rec(["length", "length"])], seed=0, n_boot=50)
    assert m["counts"]["truncated_answers"] == 3 and m["counts"]["invalid_answers"] == 3
    assert "3 of 4 answers were cut" in m["warning"] and "--max-tokens" in m["warning"]
    assert "warning" not in aggregate([rec(["stop"])], seed=0, n_boot=50)


# --------------------------------------------------------------------------------------------------- loading


def test_load_official_columns(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "r.jsonl", [PROBLEMS["maxsub"], {**PROBLEMS["sort"], "correct_cpp": "int main(){}"}])
    res = load(LoadOptions(data=str(data)))
    a, b = res.samples
    assert a.id == "maxsub" and a.subset == "refute"
    assert a.data["correct_lang"] == "Python 3" and a.data["correct_code"] == MAXSUB_CORRECT
    assert b.data["correct_lang"] == "C++ 20"  # correct_cpp wins when present, as in get_correct_sub
    assert a.meta["problem_rating"] == 1200 and a.meta["tags"] == ["greedy"]
    assert load(LoadOptions(data=str(data), limit=1)).samples[0].id == "maxsub"


def test_load_reports_bad_rows(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [PROBLEMS["maxsub"], {**PROBLEMS["sort"], "correct_python": None}])
    with pytest.raises(DataError, match=r"bad.jsonl: line 2: field 'correct_cpp'"):
        load(LoadOptions(data=str(bad)))
    res = load(LoadOptions(data=str(bad), skip_invalid=True))
    assert [s.id for s in res.samples] == ["maxsub"] and len(res.skipped) == 1
    missing = write_jsonl(tmp_path / "m.jsonl", [{k: v for k, v in PROBLEMS["maxsub"].items() if k != "validator"}])
    with pytest.raises(DataError, match="validator"):
        load(LoadOptions(data=str(missing)))
