"""REFUTE parsing and set-up: answers and languages, the output checker, pass@k, prompts and options."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.benchmarks.refute import (
    HUMAN_PREFIX,
    ZERO_SHOT_SYSTEM,
    Config,
    _config,
    build_prompt,
    desc_problem,
    pass_at_k,
)
from assay.benchmarks.registry import get
from assay.protocols.falsify import AnswerError, ExecSettings, Executor, compare_outputs, parse_answer, parse_lang
from refute_cases import MAXSUB_BUGGY, PROBLEMS, answer, linux, run_protocol


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
