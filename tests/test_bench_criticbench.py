"""CriticBench: verdict and answer parsers, the authors' math_equal, F1 with the forced-wrong rule by hand,
the loader's located errors, released outputs -> metrics, the two-round protocol on a fake context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assay.benchmarks import criticbench as cb
from assay.benchmarks.registry import LoadOptions
from assay.critics import criticbench_grade as grading
from assay.critics.criticbench_data import from_row
from assay.critics.criticbench_grade import em, grade, math_equal
from assay.critics.criticbench_metrics import f1_wrong
from assay.critics.criticbench_parse import SOURCES, extract_answer, extract_answer_str, parse_verdict
from assay.critics.criticbench_prompts import INFERRED_SOURCES, builtin_prompt, parse_prompt_file
from assay.data.rows import DataError, Row
from assay.models.generation import GenerateRequest, SamplingConfig

DATA = Path(__file__).parent / "data" / "criticbench"
TEST = DATA / "test.jsonl"
PREDS = DATA / "predictions"


# --- parsers -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "pattern", "verdict"),
    [
        ("So the verdict is: [[correct]]", "[[correct/wrong]]", "correct"),
        ("So the verdict is: [[WRONG]]", "[[correct/wrong]]", "wrong"),
        # both tags: the word rule decides, and it sees "wrong" inside the tag itself
        ("[[correct]] ... no, [[wrong]]; it is correct", "[[correct/wrong]]", "wrong"),
        ("It is correct: [[Correct]]", "[[correct/wrong]]", "correct"),
        ("This is not correct.", "[[correct/wrong]]", "wrong"),
        ("Looks fine.", "[[correct/wrong]]", None),
        ("", "[[correct/wrong]]", None),
        ('{"analysis": "the sum is right", "verdict": "correct"}', "json: verdict", "correct"),
        # the analysis says "wrong" but the JSON verdict is what the json pattern reads
        ('{"analysis": "nothing wrong", "verdict": "correct"}', "json: verdict", "correct"),
        ('{"analysis": "nothing wrong", "verdict": "correct"}', "[[correct/wrong]]", "wrong"),
        # broken JSON: the authors' fallback regex "verdict.*?}" still finds it
        ('{"analysis": "a "quoted" slip", "verdict": "wrong"}', "json: verdict", "wrong"),
    ],
)
def test_parse_verdict(text: str, pattern: str, verdict: str | None) -> None:
    assert parse_verdict(text, pattern) == verdict


def test_extract_answer_str_patterns() -> None:
    assert extract_answer_str("so [[5]] then [[7]]", "[[]]") == "7"
    assert extract_answer_str("no brackets", "[[]]") == "no brackets"
    assert extract_answer_str('{"solution": "s", "answer": "B"}', "json: answer") == "B"
    assert extract_answer_str('{"code": "def f(): pass"}', "json: code") == "def f(): pass"


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("So the answer is 1,234 dollars", "GSM8K", "1234"),
        ("The answer is $72.00.", "GSM8K", "72.00"),
        ("(C)", "CSQA", "C"),
        ("The answer is (D) maybe (E)", "Date", "E"),
        ("answer: b.", "Penguins", "b"),
        ("Yes", "StrategyQA", "yes"),
        ("yes and no", "StrategyQA", ""),
        ("The answer is (B).", "AQuA", "B"),
        ("the Paris.", "HotpotQA", "the Paris"),
        ("The answer is: Rome.", "AmbigNQ", " Rome"),
        ("The answer is 12 apples", "TabMWP", "12"),
    ],
)
def test_extract_answer_by_source(text: str, source: str, expected: str) -> None:
    assert extract_answer(text, source) == expected


def test_tabmwp_final_fraction_bug_fixed_and_kept_behind_option() -> None:
    assert extract_answer("The answer is 3/4.", "TabMWP") == "3/4"
    assert extract_answer("The answer is 3/4.", "TabMWP", original_bug=True) == "."
    assert extract_answer("3/4 of 8 is 6", "TabMWP") == "6"  # a later number still wins, as upstream


def test_math_equal_and_em() -> None:
    assert math_equal("72.00", "72") and math_equal("0.5", "50")  # the percentage rule
    assert math_equal("5000", "50") and not math_equal("51", "50")
    assert math_equal("[[cat dog]]", "cat dog")  # brackets stripped: Repeat Copy passes this way
    assert math_equal("(1, 2)", "(1,2.0)") and not math_equal("(1, 2)", "(1, 3)")
    assert not math_equal("", "0") and math_equal("b", "b")
    assert em("The  Paris!", "paris") and not em("Paris Hilton", "Paris")


# --- loader ------------------------------------------------------------------------------------------------
def test_loader_reads_the_release_columns() -> None:
    res = cb.load(LoadOptions(data=str(TEST)))
    assert [s.id for s in res.samples][:3] == ["gsm-1", "gsm-2", "csqa-1"]
    s = res.samples[6]
    assert s.subset == "MBPP" and s.data["domain"] == "code" and s.data["response_label"] is False
    assert s.data["answers"] == ["assert add(1, 2) == 3"]
    assert len(cb.load(LoadOptions(data=str(TEST), subsets=("GSM8K",), limit=1)).samples) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"response_label": "yes"}, "response_label", "expected a bool"),
        ({"question_source": "SVAMP"}, "question_source", "unknown source"),
        ({"answer": None}, "answer", "missing"),
        ({"question_type": None}, "question_type", "missing"),
    ],
)
def test_loader_errors_name_file_row_field(change: dict[str, Any], field: str, message: str) -> None:
    row = json.loads(TEST.read_text().splitlines()[0]) | change
    with pytest.raises(DataError) as e:
        from_row(Row("criticbench.jsonl", 4, row, line=5))
    assert e.value.source == "criticbench.jsonl" and e.value.location == "line 5" and e.value.field == field
    assert message in str(e.value)


# --- metrics -----------------------------------------------------------------------------------------------
def test_f1_wrong_by_hand() -> None:
    # gold wrong:  1 1 1 0 0 ; predicted wrong: 1 0 1 1 0 -> tp 2, fp 1, fn 1 -> F1 = 4 / 6
    a = np.array([[1, 1], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)[None]
    assert f1_wrong(a)[0] == pytest.approx(4 / 6)
    assert f1_wrong(np.array([[[0, 0], [0, 0]]], dtype=float))[0] == 0.0  # no positive: 0 (sklearn)


def _rec(label: bool, verdict: str | None, correct: bool | None = None) -> dict[str, Any]:
    return {
        "id": "x",
        "subset": "GSM8K",
        "domain": "math",
        "response_label": label,
        "critique": {"verdict": verdict},
        "correction": None if correct is None else {"correct": correct},
    }


def test_outcome_forces_an_unparsed_verdict_to_the_mistaken_label() -> None:
    assert cb.outcome(_rec(True, None)) | {} == {
        "gold_wrong": 0,
        "pred_wrong": 1,  # a correct response with no verdict counts as called wrong
        "parsed": 0,
        "verdict_right": 0,
        "correction": None,
    }
    o = cb.outcome(_rec(False, None, correct=True))
    assert (o["gold_wrong"], o["pred_wrong"], o["verdict_right"], o["correction"]) == (1, 0, 0, 1)
    assert cb.outcome(_rec(False, "wrong"))["verdict_right"] == 1


def test_released_outputs_to_metrics_by_hand() -> None:
    res = cb.predictions(PREDS, LoadOptions(data=str(TEST)), cb.Options())
    recs = {r["id"]: r for r in res.records}
    assert len(recs) == 8 and recs["rc-1"]["critique"]["missing"] and recs["rc-1"]["critique"]["verdict"] is None
    assert recs["csqa-1"]["critique"]["verdict"] is None and recs["hotpot-1"]["critique"]["verdict"] == "wrong"
    assert recs["gsm-2"]["correction"]["answer"] == "72.00" and recs["gsm-2"]["correction"]["correct"] is True
    assert recs["csqa-1"]["correction"]["correct"] is False
    assert recs["rc-1"]["correction"]["correct"] is True  # math_equal("[[cat cat dog]]", gold)
    assert recs["tab-1"]["correction"]["missing"] and recs["tab-1"]["correction"]["correct"] is False
    mbpp = recs["mbpp-1"]["correction"]
    if mbpp["correct"] is None:  # no assay.sandbox: recorded as not supported, with the reason
        assert "not supported" in mbpp["error"]
    m = cb.aggregate(res.records, seed=0, n_boot=200)
    # gold wrong: gsm-2 csqa-1 hotpot-1 rc-1 mbpp-1; predicted wrong: gsm-2 sqa-1 hotpot-1 tab-1 (forced)
    # tp = 2 (gsm-2, hotpot-1), fp = 2 (sqa-1, tab-1), fn = 3 (csqa-1 forced, rc-1 forced, mbpp-1) -> 4 / 9
    assert m["overall"]["value"] == pytest.approx(4 / 9) and m["overall"]["n"] == 8
    lo, hi = m["overall"]["ci"]
    assert lo <= 4 / 9 <= hi
    assert m["counts"]["critique_unparsed"] == 3 and m["counts"]["critique_missing"] == 1
    assert m["subsets"]["GSM8K"]["value"] == 1.0 and m["subsets"]["CSQA"]["value"] == 0.0
    assert m["sections"]["math"]["value"] == pytest.approx(2 / 3)  # tp 1, fp 1 (tab-1), fn 0
    assert m["sections"]["commonsense"]["value"] == pytest.approx(0.5)  # tp 1, fp 1, fn 1
    # parsed verdicts: gsm-1 ok, gsm-2 ok, sqa-1 no, hotpot-1 ok, mbpp-1 no
    assert m["extra"]["discriminability"]["overall"]["value"] == pytest.approx(3 / 5)
    corr = m["extra"]["correction_accuracy"]
    if mbpp["correct"] is None:
        # gsm-1, gsm-2, sqa-1, hotpot-1, rc-1 right; csqa-1 wrong, tab-1 missing (wrong); mbpp-1 left out
        assert corr["overall"]["value"] == pytest.approx(5 / 7) and m["counts"]["correction_not_supported"] == 1
    else:  # executed in assay.sandbox: the corrected add() passes its assert
        assert mbpp["correct"] is True and mbpp["answer"] == "\ndef add(a, b):\n    return a + b\n"
        assert corr["overall"]["value"] == pytest.approx(6 / 8) and corr["domains"]["code"]["value"] == 1.0
    assert m["counts"]["correction_missing"] == 1
    # determinism: same records and seed, same CIs
    assert cb.aggregate(res.records, seed=0, n_boot=200) == m


@pytest.mark.skipif(grading._sandbox() is None, reason="assay.sandbox is not installed")
def test_code_corrections_run_in_the_sandbox(tmp_path: Path) -> None:
    lopts = LoadOptions(data=str(TEST), subsets=("MBPP",))
    f = tmp_path / "code.jsonl"
    for reply, ok in [
        ("[BEGIN]\ndef add(a, b):\n    return a - b\n[DONE]", False),  # the assert fails
        ('{"code": "def add(a, b):\\n    return a + b"}', True),  # json: code -> the extracted code
    ]:
        f.write_text(json.dumps({"id": "mbpp-1", "critique_result": "[[wrong]]", "correction_result": reply}) + "\n")
        prompt = "fs" if ok is False else "zs-crit-cot"
        rec = cb.predictions(f, lopts, cb.make_options({"prompt": prompt})).records[0]
        assert rec["correction"]["correct"] is ok, rec["correction"]
        if not ok:
            assert "AssertionError" in rec["correction"]["error"]
    # the authors' bug: under a json prompt they execute the raw reply, which is JSON, not Python
    bug = cb.predictions(f, lopts, cb.make_options({"prompt": "zs-crit-cot", "original_bug": "true"}))
    assert bug.records[0]["correction"]["correct"] is False


def test_released_outputs_single_file_and_prompt_type(tmp_path: Path) -> None:
    f = tmp_path / "merged.jsonl"
    rows = [
        {"id": "gsm-1", "critique_result": '{"verdict": "correct"}', "correction_result": '{"answer": "18"}'},
        {"id": "gsm-2", "critique_result": '{"analysis": "wrong sum", "verdict": "correct"}'},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    lopts = LoadOptions(data=str(TEST), subsets=("GSM8K",))
    res = cb.predictions(f, lopts, cb.make_options({"prompt": "zs-crit-cot"}))
    recs = {r["id"]: r for r in res.records}
    assert recs["gsm-2"]["critique"]["verdict"] == "correct"  # the JSON verdict, not the analysis
    assert recs["gsm-1"]["correction"]["correct"] is True and recs["gsm-2"]["correction"]["missing"]
    # no prompt type given and no name hint: fs (the authors' default) reads the whole text
    res_fs = cb.predictions(f, lopts, cb.Options())
    assert {r["id"]: r for r in res_fs.records}["gsm-2"]["critique"]["verdict"] == "wrong"
    dup = tmp_path / "dup.jsonl"
    dup.write_text(json.dumps(rows[0]) + "\n" + json.dumps(rows[0]) + "\n")
    with pytest.raises(DataError, match="line 2: field 'id': duplicate id 'gsm-1'"):
        cb.predictions(dup, lopts, cb.Options())


# --- prompts and the protocol ------------------------------------------------------------------------------
def test_prompt_files_parse_and_fill_like_the_authors() -> None:
    info = parse_prompt_file((DATA / "prompt" / "critique" / "GSM8K" / "few_shot.txt").read_text())
    assert info.answer_pattern == "[[correct/wrong]]"
    text = info.fill(question="Q?", solution="A.")
    assert text.startswith("Review the above answer") and "Here are some examples:\n---\n\nQuestion: Sam" in text
    assert text.endswith(
        "---\n\nPlease consider the example provided and think it step by step.\nQuestion: Q?\nAnswer: A.\nVerdict:"
    )
    zs = builtin_prompt("correction", "HumanEval", "zs-cot")
    assert zs.answer_pattern == "json: code"
    assert zs.fill(solution="def f(): pass", critique="bad").startswith(
        "Code:\ndef f(): pass\nAnalysis and verdict: bad\n"
    )
    with pytest.raises(ValueError, match="prompt_dir"):
        builtin_prompt("critique", "GSM8K", "fs")


@dataclass
class _Gen:
    text: str


class FakeCtx:
    """Returns fixed texts and records every prompt it was asked (tests the protocol, not a model)."""

    def __init__(self, options: dict[str, str] | None = None) -> None:
        self.sampling = SamplingConfig(max_tokens=64)
        self.seed = 0
        self.options = options or {}
        self.prompts: list[list[str]] = []

    def generate(self, requests: list[GenerateRequest]) -> list[_Gen]:
        texts = [r.prompt[-1].text() for r in requests]
        self.prompts.append(texts)
        if len(self.prompts) == 1:  # critiques: JSON verdicts, with text after a stop string to be cut
            return [_Gen('{"analysis": "x", "verdict": "wrong"}\n\nQuestion: next one') for _ in texts]
        return [_Gen('{"solution": "3 * 24 = 72", "answer": "72"}') for _ in texts]


def test_protocol_two_rounds_on_a_fake_context() -> None:
    samples = cb.load(LoadOptions(data=str(TEST), subsets=("GSM8K",))).samples
    ctx = FakeCtx()
    recs = cb.build().run(samples, ctx)  # type: ignore[misc]
    assert len(ctx.prompts) == 2 and len(ctx.prompts[0]) == 2
    assert ctx.prompts[0][1].startswith("Question: A shirt costs $24.") and ctx.prompts[0][1].endswith(
        "Analysis and verdict:"
    )
    # the correction prompt carries the critique cut at the first stop string
    assert 'Analysis and verdict: {"analysis": "x", "verdict": "wrong"}\nBased on' in ctx.prompts[1][1]
    r = {x["id"]: x for x in recs}
    assert r["gsm-2"]["critique"]["text"] == '{"analysis": "x", "verdict": "wrong"}'
    assert r["gsm-2"]["critique"]["raw"].endswith("Question: next one")
    assert r["gsm-2"]["critique"]["verdict"] == "wrong" and r["gsm-2"]["correction"]["correct"] is True
    assert r["gsm-1"]["correction"]["correct"] is False  # "72" is not 18
    m = cb.aggregate(recs, seed=1, n_boot=50)
    assert m["overall"]["value"] == pytest.approx(2 / 3)  # tp 1 (gsm-2), fp 1 (gsm-1)


def test_protocol_with_the_authors_prompt_dir() -> None:
    samples = cb.load(LoadOptions(data=str(TEST), subsets=("GSM8K",), limit=1)).samples
    ctx = FakeCtx()
    bench = cb.build({"prompt": "fs", "prompt_dir": str(DATA / "prompt")})
    recs = bench.run(samples, ctx)  # type: ignore[misc]
    assert ctx.prompts[0][0].startswith("Review the above answer") and ctx.prompts[1][0].endswith("Improved Answer:")
    assert recs[0]["critique"]["prompt_type"] == "fs" and recs[0]["correction"]["prompt_type"] == "fs"
    assert recs[0]["critique"]["verdict"] == "wrong"  # fs pattern: the words decide ("wrong" in the JSON)
    assert recs[0]["prompt_verified"] is True  # the authors' own files
    assert cb.aggregate(recs, 0, 20)["extra"]["inferred_prompt_sources"] == []


def test_inferred_builtin_prompts_are_flagged_per_item_and_in_metrics() -> None:
    # seen in the authors' files: critique zs-cot of HumanEval, MBPP, Object Counting; correction zs-cot of
    # all but GSM8K, MATH, HotpotQA, Penguins -> only those three sources are fully verified
    assert set(INFERRED_SOURCES) == set(SOURCES) - {"HumanEval", "MBPP", "Object Counting"}
    samples = cb.load(LoadOptions(data=str(TEST), subsets=("GSM8K", "MBPP"))).samples
    recs = cb.build().run(samples, FakeCtx())  # type: ignore[misc]
    assert {r["subset"]: r["prompt_verified"] for r in recs} == {"GSM8K": False, "MBPP": True}
    m = cb.aggregate(recs, 0, 20)
    assert m["extra"]["inferred_prompt_sources"] == ["GSM8K"]
    assert m["counts"]["prompt_unverified"] == sum(r["subset"] == "GSM8K" for r in recs) == 2
    assert "inferred" in cb.build().description
    released = cb.predictions(PREDS, LoadOptions(data=str(TEST)), cb.Options()).records
    assert all(r["prompt_verified"] is True for r in released)  # the authors ran their own prompts


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="prompt must be one of"):
        cb.build({"prompt": "few-shot"})
    with pytest.raises(ValueError, match="unknown option"):
        cb.build().with_options({"temperature": "1"})


@pytest.mark.slow
def test_end_to_end_with_the_embedded_model_and_rescore(tmp_path: Path, cache_dir: Path) -> None:
    """One item, both rounds (critique, then correction given it), 32 tokens each: the wiring, not the model."""
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    run = assay.evaluate(
        "criticbench",
        "hfgen:default",
        data=str(TEST),
        subsets=("GSM8K",),
        limit=1,
        max_tokens=32,
        n_boot=100,
        out=str(tmp_path / "run"),
        cache_dir=str(cache_dir),
    )
    assert run.manifest["counts"]["generated"] == 2  # one critique and one correction
    (r,) = run.records
    assert isinstance(r["critique"]["raw"], str) and r["critique"]["prompt_type"] == "zs-crit-cot"
    assert isinstance(r["correction"]["raw"], str) and r["correction"]["prompt_type"] == "zs-cot"
    assert isinstance(r["correction"]["correct"], bool)  # GSM8K: graded, never left out
    # an unparsed verdict is kept with its raw text, counted, and forced to the mistaken label
    assert r["critique"]["valid"] is (r["critique"]["verdict"] is not None)
    assert run.metrics["counts"]["critique_unparsed"] == (0 if r["critique"]["valid"] else 1)
    if not r["critique"]["valid"]:
        assert r["outcome"]["parsed"] == 0 and r["outcome"]["verdict_right"] == 0
    assert 0.0 <= run.metrics["overall"]["value"] <= 1.0
    _, diffs = rescore(load_run(run.path))
    assert diffs == []


def test_assay_score_cli_writes_a_run_that_rescores(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    out = tmp_path / "scored"
    args = ["score", "criticbench", "--predictions", str(PREDS), "--data", str(TEST), "--n-boot", "100"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["overall"]["value"] == pytest.approx(4 / 9)
    assert view.manifest["benchmark"]["name"] == "criticbench"
    _, diffs = rescore(view)
    assert diffs == []
    bad = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "x"), "--option", "grader=sympy"])
    assert bad.exit_code != 0 and "grader must be authors or shared" in bad.output


def test_math_compares_as_the_authors_and_fixes_the_last_number_bug() -> None:
    pytest.importorskip("assay.critics.grader")
    gold = ["\\frac{3}{8}"]
    r = grade("MATH", " The answer is [[3/8]].", "[[]]", gold, "q")
    assert r["correct"] is True and r["answer"] == "\\frac{3}{8}"  # strip_string: 3/8 -> \frac{3}{8}
    r = grade("MATH", " The answer is [[3/8]].", "[[]]", gold, "q", original_bug=True)
    assert r["correct"] is False and r["answer"] == "8"  # upstream extract_latex_answer: the last number
    # grader=authors (result_check): math_equal("0.375", "\frac{3}{8}"): not both numbers, strings differ
    r = grade("MATH", "so $\\boxed{0.375}$", "[[]]", gold, "q")
    assert r["answer"] == "0.375" and r["correct"] is False
    assert grade("MATH", "so $\\boxed{0.375}$", "[[]]", gold, "q", grader="shared")["correct"] is True  # sympy
    assert grade("MATH", "[[Even]]", "[[]]", ["even"], "q")["correct"] is True  # both sides lower-cased
    assert grade("MATH", "[[37.5%]]", "[[]]", ["0.375"], "q")["correct"] is True  # 37.5 = 0.375 * 100
    assert grade("MATH", "[[x+1]]", "[[]]", ["1+x"], "q")["correct"] is False  # strings only
    assert grade("MATH", "[[x+1]]", "[[]]", ["1+x"], "q", grader="shared")["correct"] is True
    assert grade("MATH", "no answer", "[[]]", gold, "q")["correct"] is False
    # grader=shared: GSM8K compared with the shared equivalent instead of the ported math_equal
    assert grade("GSM8K", "[[1,000]]", "[[]]", ["1000"], "q", grader="shared")["correct"] is True
    # ... which differs where the authors' string comparison does not see a value: 0.5 vs 1/2
    assert grade("GSM8K", "[[0.5]]", "[[]]", ["1/2"], "q")["correct"] is False
    assert grade("GSM8K", "[[0.5]]", "[[]]", ["1/2"], "q", grader="shared")["correct"] is True
