"""REFUTE: answer parsing, the checker, the verdict rules, metrics, loading, and the protocol on small problems
written for these tests (a max-subarray solution that fails only on all-negative arrays, a sort that
crashes on one element, a YES/NO parity check, a loop that never ends on zero), each with a correct and a
wrong counterexample program fed through the protocol by a fake model that returns fixed texts.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks.refute import (
    HUMAN_PREFIX,
    ZERO_SHOT_SYSTEM,
    Config,
    _config,
    aggregate,
    build_prompt,
    desc_problem,
    load,
    outcome,
    pass_at_k,
    run,
)
from assay.benchmarks.registry import LoadOptions, get
from assay.data.rows import DataError
from assay.models.generation import Generation, SamplingConfig
from assay.protocols.falsify import (
    AnswerError,
    ExecSettings,
    Executor,
    compare_outputs,
    decide,
    parse_answer,
    parse_lang,
)

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox runs on Linux")

# ---------------------------------------------------------------------------------------------- problems

MAXSUB_VALIDATOR = """import sys
data = sys.stdin.read().split()
n = int(data[0])
assert 1 <= n <= 10 and len(data) == n + 1
assert all(-100 <= int(x) <= 100 for x in data[1:])
"""
MAXSUB_BUGGY = """n = int(input())
a = list(map(int, input().split()))
best = cur = 0
for x in a:
    cur = max(0, cur + x)
    best = max(best, cur)
print(best)
"""
MAXSUB_CORRECT = """n = int(input())
a = list(map(int, input().split()))
best, cur = a[0], 0
for x in a:
    cur = max(x, cur + x)
    best = max(best, cur)
print(best)
"""


def row(pid: str, buggy: str, correct: str, validator: str, **extra: Any) -> dict[str, Any]:
    return {
        "problem_id": pid,
        "statement": f"Problem {pid}. Prices are in $$$n$$$ coins.",
        "time_limit": 1000,
        "memory_limit": 256,
        "input": "n, then n integers",
        "output": "one line",
        "example_input": "1\n5",
        "example_output": "5",
        "note": None,
        "wrong_code": buggy,
        "wrong_code_lang": "Python 3",
        "correct_cpp": None,
        "correct_python": correct,
        "validator": validator,
        "problem_rating": 1200,
        "tags": ["greedy"],
        **extra,
    }


PROBLEMS = {
    "maxsub": row("maxsub", MAXSUB_BUGGY, MAXSUB_CORRECT, MAXSUB_VALIDATOR),
    "sort": row(
        "sort",
        "n = int(input())\na = sorted(map(int, input().split()))\nprint(*a)\nassert a[1] >= a[0]\n",
        "n = int(input())\nprint(*sorted(map(int, input().split())))\n",
        MAXSUB_VALIDATOR,
    ),
    "parity": row(
        "parity",
        "n = int(input())\nprint('Yes' if n % 2 == 0 or n == 7 else 'no')\n",
        "n = int(input())\nprint('YES' if n % 2 == 0 else 'NO')\n",
        "n = int(input())\nassert 1 <= n <= 100\n",
    ),
    "loop": row(
        "loop",
        "n = int(input())\nwhile n == 0:\n    pass\nprint(n)\n",
        "print(int(input()))\n",
        "n = int(input())\nassert 0 <= n <= 9\n",
    ),
    "fragile": row(
        "fragile",
        "print(int(input()) + 1)\n",
        "n = int(input())\nassert n != 5\nprint(n + 1)\n",
        "n = int(input())\nassert 0 <= n <= 9\n",
    ),
}


def answer(code: str, lang: str = "Python 3", reason: str = "because") -> str:
    return (
        f"<reason>\n{reason}\n</reason>\n<action>\n<name>print_fail_case</name>\n"
        f"<code>\n{code}\n</code>\n<lang>{lang}</lang>\n</action>"
    )


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class FakeCtx:
    """Stands in for RunContext: returns fixed texts (this tests the protocol, not a model)."""

    def __init__(self, texts: dict[str, list[str]], cache_dir: Path) -> None:
        self.texts = texts
        self.sampling = SamplingConfig(temperature=0.7, max_tokens=64, seed=0)  # sampled: pass@k with k > 1
        self.seed = 0
        self.options: dict[str, str] = {}
        self.cache_dir = cache_dir
        self.requests: list[Any] = []

    def generate(self, requests: list[Any]) -> list[Generation]:
        self.requests.extend(requests)
        out = []
        for r in requests:
            pid = next(p for p in self.texts if f"Problem {p}." in r.prompt[1].content)
            ts = self.texts[pid][: r.sampling.n]
            out.append(Generation(tuple(ts), 10, 10, 0.0, tuple("stop" for _ in ts)))
        return out


def run_protocol(
    tmp_path: Path, texts: dict[str, list[str]], temperature: float = 0.7, **options: str
) -> list[dict[str, Any]]:
    data = write_jsonl(tmp_path / "refute.jsonl", [PROBLEMS[p] for p in texts])
    loaded = load(LoadOptions(data=str(data)))
    cfg = _config({"attempts": str(max(len(v) for v in texts.values())), **options})
    ctx = FakeCtx(texts, tmp_path)
    ctx.sampling = SamplingConfig(temperature=temperature, max_tokens=64, seed=0 if temperature else None)
    records = run(loaded.samples, ctx, cfg)
    for r in records:
        r["outcome"] = outcome(r)
    return records


# ------------------------------------------------------------------------------------------------ parsing


def test_parse_answer_follows_the_authors_xml_parser() -> None:
    text = "Sure!\n<thoughts>scratch <action>nope</action></thoughts>" + answer("print(1 < 2 and 3 > 2)")
    assert parse_answer(text) == {"code": "print(1 < 2 and 3 > 2)", "lang": "Python 3"}
    # no <reason>: from the first <action> to the last </action>
    two = (
        "<action><name>other</name><code>x</code><lang>C++</lang></action>\n"
        "<action><name>print_fail_case</name><code>print(2)</code><lang>Python 3</lang></action>"
    )
    assert parse_answer(two)["code"] == "print(2)"


@pytest.mark.parametrize(
    "text,why",
    [
        ("I think the input is 5", "no <action>"),
        ("<action><name>print_fail_case</name><code>x</code></action>", "needs <code> and <lang>"),
        ("<action><name>generate_tc</name><code>x</code><lang>Python 3</lang></action>", "no print_fail_case"),
        ("<action><name>print_fail_case</name><code>x</code><lang>a & b</lang></action>", "not well-formed"),
        ("<action><name>print_fail_case</name><code>x</code><lang></lang></action>", "empty element"),
    ],
)
def test_parse_answer_failures(text: str, why: str) -> None:
    with pytest.raises(AnswerError, match=why):
        parse_answer(text)


@pytest.mark.parametrize(
    "lang,expected",
    [
        ("C++17 (GCC 7-32)", "cpp"),
        ("GNU G++20 11.2.0 (64 bit, winlibs)", "cpp"),
        ("Python 3", "python"),
        ("PyPy 3-64", "python"),
        ("PyPy", "python"),
        ("Python 2", False),
        ("python", False),  # no version and not PyPy
        ("Java 21", False),
        ("", False),
        (None, False),
    ],
)
def test_parse_lang_returns_false_like_the_original(lang: str | None, expected: str | bool) -> None:
    # False, never None: the original's run_code checks `lang is None`, so these all run as Python
    assert parse_lang(lang) is expected if expected is False else parse_lang(lang) == expected


@linux
def test_model_program_in_an_unknown_language_runs_as_python_like_the_original() -> None:
    """eval.py runs the model's program with run_code, whose `if lang is None` never fires."""
    ex = Executor(ExecSettings(runs=1))
    for lang in ("python", "Python", "Kotlin", ""):
        gen = ex.run("print(2 + 3)", lang, "", unknown_as_python=True)
        assert (gen["status"], gen["output"], gen["ran_as"]) == ("OK", "5\n", "python"), lang
    # a dataset solution in an unknown language is an environment problem, not Python (original_bugs: Python)
    assert ex.run("print(1)", "Kotlin", "")["status"] == "INVALID_LANGUAGE"


@linux
def test_dataset_solution_in_an_unknown_language(tmp_path: Path) -> None:
    PROBLEMS["unversioned"] = {**PROBLEMS["sort"], "problem_id": "unversioned", "wrong_code_lang": "Python"}
    PROBLEMS["unversioned"]["statement"] = "Problem unversioned."
    try:
        texts = {"unversioned": [answer("print(1)\nprint(5)")]}
        (fixed,) = run_protocol(tmp_path, texts, runs="1")
        (orig,) = run_protocol(tmp_path, texts, runs="1", original_bugs="true")
    finally:
        del PROBLEMS["unversioned"]
    assert fixed["outcome"]["statuses"] == ["environment_error"]
    assert orig["outcome"]["statuses"] == ["buggy_crashed"]  # run as Python by the original: it crashes
    assert orig["attempts"][0]["runs"][0]["buggy"]["ran_as"] == "python"


@linux
def test_python_programs_can_start_threads_under_refutes_limits() -> None:
    """The 256 MB stack stands in for a C++ linker flag: as RLIMIT_STACK it would be every thread's
    default stack, and 12 threads would not fit in the 2 GB address space."""
    settings = ExecSettings(runs=1)
    assert settings.limits(cpp=True).stack_mb == 256 and settings.limits().stack_mb is None
    code = (
        "import os, threading\nb = threading.Barrier(12, timeout=5)\n"
        "ts = [threading.Thread(target=b.wait) for _ in range(12)]\n"
        "[t.start() for t in ts]\n[t.join() for t in ts]\n"
        "print('threads ok', os.environ['OMP_NUM_THREADS'], os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    got = Executor(settings).run(code, "Python 3", "")
    assert (got["status"], got["output"]) == ("OK", "threads ok 1 1\n"), got["output"]


@pytest.mark.parametrize(
    "jury,contestant,same",
    [
        ("1 2\n", "1   2", True),
        ("1\n\n2\n", "1 2", True),
        ("1 2", "1 3", False),
        ("1 2", "1 2 3", False),
        ("YES\nNO", "yes no", True),
        ("YES", "No", False),
        ("YES", "1", False),
        ("", "  \n", True),
        ("", "x", False),
        ("x", "", False),
        ("Yes", "YES extra", False),
    ],
)
def test_compare_outputs_is_the_adaptive_checker(jury: str, contestant: str, same: bool) -> None:
    assert compare_outputs(jury, contestant)[0] is same


def test_pass_at_k_hand_computed() -> None:
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(3, 0, 2) == 0.0
    assert pass_at_k(3, 2, 2) == 1.0  # n - c < k
    assert pass_at_k(3, 1, 3) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_desc_problem_matches_the_original_layout() -> None:
    p = PROBLEMS["maxsub"]
    assert desc_problem(p) == (
        "## Statement \nProblem maxsub. Prices are in $$n$$ coins.\n\n"
        "Time Limit: 1000ms\n\nMemory Limit: 256 megabytes\n\n"
        "## Input Format \nn, then n integers\n\n## Output Format \none line\n\n"
        "## Example Input \n```\n1\n5\n```\n\n## Example Output \n```\n5\n```\n\n"
    )
    assert "Time Limit" not in desc_problem({**p, "time_limit": None})
    assert "Memory Limit: None megabytes" in desc_problem({**p, "memory_limit": None})


def test_prompt_is_system_plus_human() -> None:
    msgs = build_prompt(PROBLEMS["maxsub"], ZERO_SHOT_SYSTEM, HUMAN_PREFIX)
    assert [m.role for m in msgs] == ["system", "user"]
    assert msgs[1].content.startswith(HUMAN_PREFIX + "\n\n## Statement \n")
    assert msgs[1].content.endswith(f"\n## Code\n```\n{MAXSUB_BUGGY}\n```")
    assert len(ZERO_SHOT_SYSTEM) == 637 and ZERO_SHOT_SYSTEM.endswith("</action>\n```")


def test_few_shot_needs_the_authors_templates(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prompts_dir"):
        Config(prompt="few_shot").templates()
    (tmp_path / "few_shot_system.txt").write_text("SYS")
    (tmp_path / "few_shot_human.txt").write_text("HUM")
    assert _config({"prompt": "few_shot", "prompts_dir": str(tmp_path)}).templates() == ("SYS", "HUM")


def test_options_are_validated() -> None:
    for bad in ({"attempts": "0"}, {"runs": "x"}, {"time_limit": "-1"}, {"prompt": "cot"}, {"original_bugs": "y"}):
        with pytest.raises(ValueError):
            _config(bad)
    assert _config({"time_limit": "problem"}).time_limit_s({"time_limit": 2500}) == 2.5
    assert _config({}).time_limit_s({"time_limit": 2500}) is None  # the authors' fixed 20 s
    with pytest.raises(ValueError, match="unknown option"):
        get("refute").with_options({"k": "2"})


# --------------------------------------------------------------------------------------------------- verdict


def _run(status: str, out: str = "") -> dict[str, Any]:
    return {"status": status, "output": out}


OKV = {"valid": True, "validator": _run("OK")}
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


def test_benchmark_is_registered_with_its_options() -> None:
    b = get("refute")
    assert b.hub_id == "bethgelab/REFUTE" and b.run is not None and b.predictions is not None
    assert {"attempts", "runs", "time_limit", "prompt", "original_bugs"} <= set(b.options)
    assert b.with_options({"attempts": "3"}).name == "refute"


def gen_inp(code: str) -> dict[str, Any]:
    return {"generate_inp": {"code": code, "lang": "Python 3"}}


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
