"""REFUTE end to end: the protocol on the test problems, registration, released predictions and a real model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assay.benchmarks.registry import get
from refute_cases import PROBLEMS, answer, linux, row, run_protocol, write_jsonl

# -------------------------------------------------------------------------------- the protocol, end to end


@linux
def test_maxsub_right_and_wrong_counterexamples(tmp_path: Path) -> None:
    right = answer('print(3)\nprint("-1 -2 -3")')
    wrong = answer('print(3)\nprint("1 2 3")')
    recs = run_protocol(tmp_path, {"maxsub": [wrong, right]})
    (rec,) = recs
    first, second = rec["attempts"]
    assert first["verdict"] == {"success": False, "status": "agree"}
    assert len(first["runs"]) == 5 and all(r["same"] for r in first["runs"])  # runs_per_eval = 5
    assert first["runs"][0]["buggy"]["output"] == "6\n"
    assert second["verdict"] == {"success": True, "status": "wrong_answer"}
    assert second["input"] == "3\n-1 -2 -3\n" and second["validator"]["status"] == "OK"
    assert second["runs"][0]["buggy"]["output"] == "0\n" and second["runs"][0]["correct"]["output"] == "-1\n"
    assert len(second["runs"]) == 1  # stops at the first disagreement
    assert second["generator"]["result"]["ok"] and second["generator"]["result"]["network_isolated"] in (True, False)
    assert rec["outcome"] == {
        "success": 1,
        "correct": 1,
        "n_attempts": 2,
        "n_success": 1,
        "first_success": 1,
        "statuses": ["agree", "wrong_answer"],
        "invalid": 0,
    }
    assert second["raw"] == right and first["finish_reason"] == "stop"
    assert second["program"] == {"code": 'print(3)\nprint("-1 -2 -3")', "lang": "Python 3"}
    json.dumps(rec)  # the record is plain JSON


@linux
def test_invalid_inputs_failed_generators_and_bad_answers(tmp_path: Path) -> None:
    texts = [
        answer('print(3)\nprint("1000 -2 -3")'),  # out of range: the validator refuses it
        answer("import sys\nsys.stderr.write('3\\n-1 -2 -3\\n')\nsys.exit(1)"),  # crashes
        "the answer is 3 / -1 -2 -3",  # no XML
        answer('print(3)\nprint("-1 -2 -3")', lang="python"),  # parse_lang: False, so run as Python
    ]
    (rec,) = run_protocol(tmp_path, {"maxsub": texts}, runs="1")
    assert rec["outcome"]["statuses"] == ["invalid_input", "generator_failed", "invalid_answer", "wrong_answer"]
    assert rec["outcome"]["success"] == 1 and rec["outcome"]["invalid"] == 1 and rec["valid"] is False
    assert rec["attempts"][2]["raw"] == texts[2] and rec["attempts"][2]["parse_error"]
    assert rec["attempts"][3]["generator"]["ran_as"] == "python" and rec["attempts"][3]["generator"]["lang"] == "python"


@linux
def test_original_bugs_feeds_a_crashing_generators_stderr_as_input(tmp_path: Path) -> None:
    crashing = answer("import sys\nsys.stderr.write('3\\n-1 -2 -3\\n')\nsys.exit(1)")
    (fixed,) = run_protocol(tmp_path, {"maxsub": [crashing]}, runs="1")
    (orig,) = run_protocol(tmp_path, {"maxsub": [crashing]}, runs="1", original_bugs="true")
    assert fixed["outcome"]["statuses"] == ["generator_failed"]
    assert orig["outcome"]["statuses"] == ["wrong_answer"] and orig["attempts"][0]["input"] == "3\n-1 -2 -3\n"


@linux
def test_crash_timeout_yes_no_and_correct_failure(tmp_path: Path) -> None:
    texts = {
        "sort": [answer("print(1)\nprint(5)"), answer("print(2)\nprint('5 1')")],
        "parity": [answer("print(4)"), answer("print(3)"), answer("print(7)")],
        "loop": [answer("print(0)"), answer("print(3)")],
        "fragile": [answer("print(5)")],
    }
    recs = {r["id"]: r for r in run_protocol(tmp_path, texts, runs="1", time_limit="1")}
    assert recs["sort"]["outcome"]["statuses"] == ["buggy_crashed", "agree"]
    assert "IndexError" in recs["sort"]["attempts"][0]["runs"][0]["buggy"]["output"]
    # "Yes" and "YES" are the same answer; "no" for 3 is right; "no" for 7 is wrong
    assert recs["parity"]["outcome"]["statuses"] == ["agree", "agree", "wrong_answer"]
    loop = recs["loop"]
    assert loop["outcome"]["statuses"] == ["buggy_timeout", "agree"]
    assert loop["attempts"][0]["runs"][0]["buggy"]["result"]["timed_out"] and loop["time_limit_s"] == 1.0
    assert recs["fragile"]["outcome"]["statuses"] == ["correct_failed"]  # never a success


@linux
@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cpp_buggy_solution_and_cpp_counterexample(tmp_path: Path) -> None:
    cpp = '#include <cstdio>\nint main(){int a,b; scanf("%d %d",&a,&b); printf("%d\\n", a+b);}\n'
    gen = '#include <cstdio>\nint main(){printf("2000000000 2000000000\\n");}\n'
    prob = row(
        "overflow",
        cpp,
        "a, b = map(int, input().split())\nprint(a + b)\n",
        "a, b = map(int, input().split())\nassert 0 <= a <= 2 * 10**9 and 0 <= b <= 2 * 10**9\n",
        wrong_code_lang="GNU C++17",
    )
    PROBLEMS["overflow"] = prob
    try:
        texts = {"overflow": [answer("print(1, 2)"), answer(gen, lang="C++ 17")]}
        (rec,) = run_protocol(tmp_path, texts, runs="1")
    finally:
        del PROBLEMS["overflow"]
    assert rec["outcome"]["statuses"] == ["agree", "wrong_answer"], rec["attempts"][1]
    assert rec["attempts"][1]["runs"][0]["buggy"]["output"] == "-294967296\n"
    assert list((tmp_path / "refute-bin").iterdir())  # compiled binaries are cached by hash


def test_pass_at_k_refuses_greedy_decoding(tmp_path: Path) -> None:
    two = [answer("print(1)"), answer("print(1)")]
    with pytest.raises(ValueError, match=r"pass@k needs sampling: --temperature > 0"):
        run_protocol(tmp_path, {"maxsub": two}, temperature=0.0)


def test_benchmark_is_registered_with_its_options() -> None:
    b = get("refute")
    assert b.hub_id == "bethgelab/REFUTE" and b.run is not None and b.predictions is not None
    assert {"attempts", "runs", "time_limit", "prompt", "original_bugs"} <= set(b.options)
    assert b.with_options({"attempts": "3"}).name == "refute"


@linux
def test_released_predictions_are_checked(tmp_path: Path) -> None:
    from assay.protocol_runner import score_predictions

    data = write_jsonl(tmp_path / "refute.jsonl", [PROBLEMS["maxsub"], PROBLEMS["parity"]])
    preds = tmp_path / "preds.json"
    preds.write_text(
        json.dumps(
            [
                {
                    "problem_id": "maxsub",
                    "method": "standard",
                    "attempts": [{"generate_inp": {"code": "print(1)\nprint(-4)", "lang": "Python 3"}}],
                },
                {
                    "problem_id": "parity",
                    "method": "standard",
                    "attempts": [{"generate_inp": {"code": "print(8)", "lang": "Python 3"}}],
                },
            ]
        )
    )
    res = score_predictions("refute", preds, data=str(data), out=str(tmp_path / "run"), options={"runs": "1"})
    assert [r["outcome"]["statuses"] for r in res.records] == [["wrong_answer"], ["agree"]]
    assert res.metrics["overall"]["value"] == 0.5


@pytest.mark.slow
@linux
def test_end_to_end_default_model_then_rescore(tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    data = write_jsonl(tmp_path / "refute.jsonl", [PROBLEMS["maxsub"], PROBLEMS["parity"]])
    run_ = assay.evaluate(
        "refute",
        "hfgen:default",
        data=str(data),
        limit=2,
        max_tokens=64,
        out=str(tmp_path / "run"),
        cache_dir=str(cache_dir),
        options={"runs": "1"},
    )
    assert len(run_.records) == 2
    for rec in run_.records:
        (att,) = rec["attempts"]
        assert isinstance(att["raw"], str) and "verdict" in att and rec["outcome"]["n_attempts"] == 1
    assert 0.0 <= run_.metrics["overall"]["value"] <= 1.0
    assert run_.manifest["options"]["options"] == {"runs": "1"}
    metrics, diffs = rescore(load_run(run_.path))
    assert diffs == [] and metrics["overall"] == run_.metrics["overall"]
