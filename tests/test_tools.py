"""The Themis tools: safe calculator and the authors' answer check, calendar, replay, BM25, code_run's
observation text, the trace format and the tool registry (hand-computed cases)."""

from __future__ import annotations

import builtins
import json
import math
import time
from pathlib import Path

import pytest

from assay.data.rows import DataError
from assay.tools.calculator import CalculatorError, calculation_api, calculator, evaluate_expression
from assay.tools.calendar import calendar_api, day_difference, target_day, week_day
from assay.tools.code_run import code_observation
from assay.tools.registry import (
    TOOL_ERROR,
    ToolContext,
    ToolResult,
    get_tool,
    register_tool,
    registered_tools,
    resolve_tool,
    run_tool,
    unregister_tool,
)
from assay.tools.replay import TranslateReplay, WeatherReplay, load_translate_history, load_weather_history
from assay.tools.trace import (
    Step,
    format_trace,
    mentions_action,
    parse_action,
    parse_rationale,
    parse_score,
    parse_stop_part,
    parse_trace,
    recorded_steps,
)
from assay.tools.wiki_search import BM25, WikiSearch, corpus_from_observations

# ----------------------------------------------------------------------------------------- calculator


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("40*4", 160),
        ("100+160+140+120", 520),
        ("7/2", 3.5),  # true division, as numexpr under Python 3
        ("40/10", 4.0),
        ("10//3", 3),
        ("-7 % 3", 2),  # Python's sign rule
        ("2**-1", 0.5),
        ("2**10", 1024),
        ("3^2", 1),  # numexpr evaluates constants with Python: ^ is xor on ints
        ("ceil(2.4)", 3.0),  # numexpr's ceil is numpy's: a float
        ("sqrt(16)", 4.0),
        ("abs(-3)", 3),
        ("3 > 2", True),
        ("1 < 2 < 3", True),
        ("1_000 * 2", 2000),
        ("2**62", 2**62),
    ],
)
def test_calculator_values_and_types(expr: str, value: object) -> None:
    got = evaluate_expression(expr)
    assert got == value
    assert type(got) is type(value)


@pytest.mark.parametrize(
    "expr",
    [
        "C*6",  # a name (numexpr: unknown variable)
        "x",
        "30*20%",  # syntax error
        "(1+0.15)^2",  # xor of a float
        "1/0",
        " 3+4",  # leading blank: Python's compile (and so numexpr) rejects it
        "'ab'*3",
        "(1).real",  # attribute
        "__import__('os').system('true')",
        "open('x')",
        "[1, 2][0]",
        "lambda: 1",
        "2**63",  # does not fit int64: numexpr cannot return it
        "",
    ],
)
def test_calculator_rejects(expr: str) -> None:
    with pytest.raises(CalculatorError):
        evaluate_expression(expr)
    assert calculator(expr).startswith("Error: ")
    assert calculator(expr).endswith(", try again and only use a numerical expression")


@pytest.mark.parametrize("expr", ["10**10**10", "9**9**9**9", "2**100000", "1 << 10**9", "(2**4000)*(2**4000)"])
def test_calculator_refuses_huge_results_quickly(expr: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(CalculatorError, match="too large"):
        evaluate_expression(expr)
    assert time.perf_counter() - t0 < 1.0


def test_calculator_refuses_long_input() -> None:
    with pytest.raises(CalculatorError, match="longer than"):
        evaluate_expression("1+" * 2000 + "1")


def test_calculator_never_calls_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*a: object, **k: object) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate_expression("(2+3)*4") == 20
    assert calculation_api("<<2*3=6>>6", "#### 6") == "Both the calculation and the answer are correct."


CALC_CASES = [
    ("<<40*4=160>>160, <<160-90=70>>70", "#### 70", "Both the calculation and the answer are correct."),
    (
        "<<2*5=10>>10",
        "so 4 weeks\n#### 4",
        "The calculation process is correct, but the resulting answer 10 does not match the predicted answer 4.0.",
    ),
    (
        "<<40*4+35*4=280>>250, <<450-380=70>>70",
        "#### 70",
        "The calculation process is incorrect, but the answer matches the predicted answer. "
        "Details: An unexpected error occurred during the calculation.",
    ),
    (
        "<<30+20%*30=36>>36",
        "#### 360",
        "Both the calculation and the answer are incorrect. Details: An unexpected error occurred during the "
        "calculation. The calculated answer None does not match the predicted answer 360.0.",
    ),
    (  # a piece without <<...>>: float("40*4") fails and the authors' blanket handler fires
        "40*4",
        "#### 160",
        "Both the calculation and the answer are incorrect. Details: An unexpected error occurred during the "
        "calculation. The calculated answer None does not match the predicted answer 160.0.",
    ),
    (  # the evaluated value still becomes the final answer when the stated one differs
        "<<2*3=7>>7",
        "#### 7",
        "Both the calculation and the answer are incorrect. Details: An unexpected error occurred during the "
        "calculation. The calculated answer 6 does not match the predicted answer 7.0.",
    ),
    ("<<1+1=2>>2", "the answer is 2", "No valid answer."),
    (
        "<<1+1=2>>2",
        "#### 1,000",
        "The calculation process is correct, but the resulting answer 2 does not match the predicted answer 1.0.",
    ),  # the first number of the #### line: "1"
]


@pytest.mark.parametrize(("inputs", "text", "expected"), CALC_CASES)
def test_calculation_api_observations(inputs: str, text: str, expected: str) -> None:
    assert calculation_api(inputs, text) == expected


def test_calculation_api_malformed_answer_raises_and_tool_reports_it() -> None:
    with pytest.raises(ValueError):
        calculation_api("<<1+1=2>>2", "#### 1..5")
    ctx = ToolContext(question="q", answer="#### 1..5")
    res = run_tool("calculator", "<<1+1=2>>2", registered_tools(), ctx)
    assert (res.observation, res.error) == (TOOL_ERROR, "tool_error")


# ------------------------------------------------------------------------------------------- calendar


def test_calendar_functions() -> None:
    assert week_day("2015-03-24") == "Tuesday"
    assert week_day("2000-01-01") == "Saturday"
    assert target_day("2017-09-28", 223) == "2018-05-09"
    assert target_day("2000-04-25", -247) == "1999-08-22"
    assert target_day("2024-02-28", 1) == "2024-02-29"
    assert target_day("2023-02-28", 1) == "2023-03-01"
    assert day_difference("2020-06-10", "2000-01-10") == 7457
    assert day_difference("2000-12-18", "2005-02-11") == 1516


def test_calendar_api_dispatch_and_errors() -> None:
    assert calendar_api("2015-03-24", "Calendar.week_day") == "Tuesday"
    assert calendar_api("2023-06-01, 12", "Calendar.target_day") == "2023-06-13"
    assert calendar_api("2005-02-11, 2000-12-18", "Calendar.day_difference") == 1516
    assert calendar_api("2015-03-24", "Calendar.now_time") is None
    with pytest.raises(ValueError):
        calendar_api("2015-03-24", "Calendar.target_day")  # one part, two expected
    with pytest.raises(ValueError):
        calendar_api("2015-13-01", "Calendar.week_day")
    tools = registered_tools()
    ctx = ToolContext(action="Calendar.week_day")
    assert run_tool("Calendar.week_day", "2015-03-24", tools, ctx).observation == "Tuesday"
    # the authors' dispatch: any action containing "calendar" reaches the calendar tool

    def call(action: str, text: str) -> str:
        return run_tool(action, text, tools, ToolContext(action=action)).observation

    assert call("calendar.day_difference", "2020-06-10, 2000-01-10") == "7457"
    assert call("Calendar.now_time", "2015-03-24") == "None"
    bad = run_tool("Calendar.target_day", "2015-03-24", tools, ToolContext(action="Calendar.target_day"))
    assert (bad.observation, bad.error) == (TOOL_ERROR, "tool_error")
    assert "ValueError" in bad.detail["exception"]


# ------------------------------------------------------------------------------------------- registry


class _Echo:
    name = "echo"
    description = "echoes its input"

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        return ToolResult(f"{ctx.item_id}:{tool_input}")


class _Boom:
    name = "boom"
    description = "always fails"

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        raise RuntimeError("kaput")


def test_registry_register_resolve_and_errors() -> None:
    assert {"calculator", "Calendar", "code_run"} <= set(registered_tools())
    register_tool(_Echo())
    try:
        assert get_tool("echo").name == "echo"
        with pytest.raises(ValueError, match="registered twice"):
            register_tool(_Echo())
        register_tool(_Echo(), replace=True)
        tools = registered_tools()
        assert run_tool("echo", "hi", tools, ToolContext(item_id="x1")).observation == "x1:hi"
        assert resolve_tool("CALENDAR.week_day", tools) is tools["Calendar"]
        assert resolve_tool("nope", tools) is None
    finally:
        unregister_tool("echo")
    assert "echo" not in registered_tools()
    with pytest.raises(KeyError, match="unknown tool 'echo'"):
        get_tool("echo")
    with pytest.raises(TypeError, match="not a Tool"):
        register_tool(object())  # type: ignore[arg-type]


def test_run_tool_unknown_and_raising_tools_never_raise() -> None:
    tools = {"boom": _Boom(), **registered_tools()}
    unknown = run_tool("searcher", "x", tools, ToolContext())
    assert unknown.error == "unknown_tool"
    assert "Unknown tool 'searcher'" in unknown.observation and "calculator" in unknown.observation
    boom = run_tool("boom", "x", tools, ToolContext())
    assert (boom.observation, boom.error) == (TOOL_ERROR, "tool_error")
    assert boom.detail["exception"] == "RuntimeError: kaput"


# --------------------------------------------------------------------------------------------- replay


def test_weather_and_translate_replay(tmp_path: Path) -> None:
    w = WeatherReplay({"Suzhou, 2023-06-23": "The weather for Suzhou on 2023-06-23 is: sunny"})
    assert w("Suzhou, 2023-06-23", ToolContext()).observation.endswith("sunny")
    assert w("Suzhou,2023-06-23", ToolContext()).observation == "None"  # exact key, as the authors
    t = TranslateReplay({"mlqa_test_0": {"question": "Cái gì bị phá hủy? ", "answer": "What was destroyed?"}})
    # keyed by item id: the input does not matter
    assert t("anything at all", ToolContext(item_id="mlqa_test_0")).observation == "What was destroyed?"
    res = run_tool("translate", "x", {"translate": t}, ToolContext(item_id="mlqa_test_9"))
    assert res.error == "tool_error" and "no recorded translation" in res.detail["exception"]

    good = tmp_path / "w.json"
    good.write_text(json.dumps({"A, 2023-01-01": "sunny"}))
    assert load_weather_history(good) == {"A, 2023-01-01": "sunny"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"A, 2023-01-01": 3}))
    with pytest.raises(DataError, match=r"bad\.json: key 'A, 2023-01-01': expected an observation string"):
        load_weather_history(bad)
    bad.write_text(json.dumps({"mlqa_test_0": {"question": "q"}}))
    with pytest.raises(DataError, match=r"field 'answer'"):
        load_translate_history(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(DataError, match="expected a JSON object"):
        load_translate_history(bad)


# ----------------------------------------------------------------------------------------------- BM25


def test_bm25_hand_computed() -> None:
    docs = ["apple banana", "banana cherry cherry", "date"]
    bm = BM25(docs)
    # idf(cherry) = ln((3 - 1 + .5) / (1 + .5)); avgdl = 2; doc 1 has tf 2, length 3
    idf_cherry = math.log(2.5 / 1.5)
    expected = idf_cherry * 2 * 2.5 / (2 + 1.5 * (1 - 0.75 + 0.75 * 3 / 2))
    assert bm.scores("cherry") == pytest.approx([0.0, expected, 0.0])
    # banana is in 2 of 3 docs: negative idf ln(1.5/2.5), floored at 0.25 * mean idf over the 4 terms
    mean_idf = (3 * math.log(2.5 / 1.5) + math.log(1.5 / 2.5)) / 4
    floor = 0.25 * mean_idf
    assert bm.scores("banana") == pytest.approx(
        [floor * 2.5 / (1 + 1.5 * (0.25 + 0.75 * 2 / 2)), floor * 2.5 / (1 + 1.5 * (0.25 + 0.75 * 3 / 2)), 0.0]
    )
    assert [h.index for h in bm.search("banana", k=2)] == [0, 1]
    assert bm.search("zebra")[0].index == 0 and bm.search("zebra")[0].score == 0.0  # ties: corpus order
    assert bm.search("Cherry!")[0].text == "banana cherry cherry"  # case and punctuation ignored
    with pytest.raises(ValueError):
        BM25([])


def test_wiki_search_tool_and_corpus() -> None:
    corpus = corpus_from_observations(["A | alpha text", "", "B | beta text", "A | alpha text", "C | gamma"])
    assert corpus == ["A | alpha text", "B | beta text", "C | gamma"]
    res = WikiSearch(corpus)("beta", ToolContext())
    assert res.observation == "B | beta text" and res.detail["passage"] == 1 and res.detail["score"] > 0


# ----------------------------------------------------------------------------------- code_run text


def test_code_observation_text() -> None:
    assert code_observation(["passed"] * 3) == "The pass rate is 1.0. All test cases passed."
    assert code_observation(["passed", "passed", "failed: "]) == (
        "The pass rate is 0.6666666666666666. 2 test cases passed, and 1 test cases failed."
    )
    assert code_observation(["failed: x", "timed out", "failed: x"]) == (
        "The pass rate is 0.0. All test cases failed. Failed reason: x; timed out"
    )
    assert code_observation(["passed", "failed: name 're' is not defined", "failed:"]) == (
        "The pass rate is 0.3333333333333333. 1 test cases passed, and 2 test cases failed. "
        "Failed reason: name 're' is not defined"
    )
    with pytest.raises(ValueError):
        code_observation([])


# ---------------------------------------------------------------------------------------------- trace


def test_trace_parse_and_produce() -> None:
    out = 'Thought: check it\nAction: calculator\nAction Input: "<<2*3=6>>6"\nObservation: made up\nScore: 1'
    cut = parse_stop_part(out)
    assert cut == 'Thought: check it\nAction: calculator\nAction Input: "<<2*3=6>>6"'
    step = parse_action(cut)
    assert step == Step("check it", "calculator", "<<2*3=6>>6")
    two_lines = "Action: Calendar.week_day\nAction Input: 2015-03-24\nRationale: so\nScore: 1"
    assert parse_action(two_lines).action_input == "2015-03-24"
    assert parse_action(two_lines, "rest").action_input == "2015-03-24\nRationale: so\nScore: 1"
    assert parse_action("Rationale: fine\nScore: 0.5") is None
    assert parse_action("Action: calculator\nno input here") is None and mentions_action("Action: calculator\n")
    assert not mentions_action("The Action: word mid-line")
    assert parse_stop_part("a <start_observation> b") == "a "
    assert parse_score("Score: 1\nthen Score: -0.5") == -0.5
    assert parse_score("score = **0.75**") == 0.75
    assert parse_score("no number") is None
    assert parse_rationale("Rationale: it adds up\nScore: 1") == "it adds up"
    assert parse_rationale("Work: ok\nScore: 1") == "ok"

    steps = [
        Step("t1", "Calendar.target_day", "2023-06-01, 12", "2023-06-13"),
        Step("t2", "history_weather", "Anyang, 2023-06-13", "The weather is: \nsunny; humidity: 32.0."),
    ]
    text = format_trace(steps, "consistent", 1)
    assert text.endswith("Observation: The weather is: \nsunny; humidity: 32.0.\nRationale: consistent\nScore: 1")
    assert parse_trace(format_trace(steps)) == steps
    assert recorded_steps({"Thought": "t", "Action": "a", "Action Input": "i", "Observation": "o"}) == [
        Step("t", "a", "i", "o")
    ]
    with pytest.raises(TypeError):
        recorded_steps(3)


def test_code_run_in_the_sandbox() -> None:
    pytest.importorskip("assay.sandbox")
    from assay.tools.code_run import run_test, run_tests

    program = "def f(x):\n    return x + 1\n"
    report = run_tests(program, ["assert f(1) == 2", "assert f(2) == 4", "assert g(1)"])
    assert [r.result for r in report.runs] == ["passed", "failed: ", "failed: name 'g' is not defined"]
    assert report.observation() == (
        "The pass rate is 0.3333333333333333. 1 test cases passed, and 2 test cases failed. "
        "Failed reason: name 'g' is not defined"
    )
    assert run_test("while True:\n    pass\n", "", timeout=0.5).result == "timed out"
    assert run_test("import os\nos._exit(0)\n", "").result.startswith("failed: process ended without a result")
    assert run_test("print('x' * 10**6)\n", "assert False, 'boom'").result == "failed: boom"  # output swallowed
    assert run_test("def f(:\n    pass\n", "").result.startswith("failed: invalid syntax (<string>, line 1)")
    res = run_tool(
        "code_run",
        "Same as the answer",
        registered_tools(),
        ToolContext(answer=program, test_list=("assert f(1) == 2",)),
    )
    assert res.observation == "The pass rate is 1.0. All test cases passed." and res.detail["pass_rate"] == 1.0
    missing = run_tool("code_run", "x", registered_tools(), ToolContext(answer=program))
    assert missing.error == "tool_error" and "no test_list" in missing.detail["exception"]
