"""CriticEval objective track: the authors' parsers (without eval), Spearman by hand and against scipy on
the authors' own mixed-type call, two-order comparison agreement, correction, the overall formula, the
unparsed policies, located loader / prediction errors, and `assay score` -> rescore."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats

from assay.benchmarks import criticeval as ce
from assay.benchmarks.registry import LoadOptions
from assay.critics import criticeval_correction as correction
from assay.critics.criticeval_metrics import overall, rank_keys, spearman
from assay.critics.criticeval_parse import (
    extract_decision,
    extract_decision_option,
    extract_score,
    first_function_name,
    parse_code,
    parse_math_result,
    py_number,
)
from assay.data.rows import DataError
from assay.samples import Item

DATA = Path(__file__).parent / "data" / "criticeval"
ROOT = DATA / "data"
MODEL = DATA / "predictions" / "model-x"


def score_fixture(**options: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records and metrics of the fixture predictions (reads the files and runs the code again)."""
    o = ce.make_options(options)
    res = ce.predictions(MODEL, LoadOptions(data=str(ROOT)), o)
    return res.records, ce.aggregate(res.records, seed=0, n_boot=200, o=o)


@functools.lru_cache(maxsize=8)
def _scored(options: tuple[tuple[str, str], ...]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return score_fixture(**dict(options))


def scored(**options: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``score_fixture``, computed once per options (the sandboxed code runs take seconds); read-only."""
    return _scored(tuple(sorted(options.items())))


# --- parsers -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "value"),
    [("7", 7), ("7.5", 7.5), ("-3", -3), ("3/7", 3 / 7), ("2**3", 8), ("0x10", 16), ("(5)", 5), ("1_000", 1000)],
)
def test_py_number_matches_eval_on_numbers(token: str, value: float) -> None:
    assert py_number(token) == value == eval(token)  # noqa: S307 - literal test tokens only


@pytest.mark.parametrize("token", ["True", "abs(-3)", "[1]", "7,", "x", "1/0", "__import__('os')", "5%", "9**9**9"])
def test_py_number_refuses_everything_else(token: str) -> None:
    assert py_number(token) is None


def test_parse_math_result_and_extract_decision() -> None:
    assert parse_math_result("so x = 12 apples") == 12
    assert parse_math_result("The answer is 0.") == ""  # upstream ``if eval(v)`` skips 0
    assert parse_math_result("a=5") == 5  # "=" is split off first
    assert extract_decision("Decision: 6") == 6.0
    assert extract_decision("Decision: 6 (good)\nDecision: 2") == 6.0  # the first line with the tag
    assert extract_decision("I rate it Decision: 5. Decision: 4") == 4.0  # greedy .* on that line
    assert extract_decision("Decision: 3/7") == pytest.approx(3 / 7)  # float fails -> last number token
    assert extract_decision("Decision: 6 out of 7") == 6.0  # float of the first word
    assert extract_decision("no number here") == ""
    assert extract_score("Score: 5") == 5.0 and extract_score("Decision: 5") == 5
    assert extract_decision_option("Decision: B.") == "B."
    assert extract_decision_option("A is better.") == "A is better"
    assert parse_code("x\n```python\ndef f():\n    return 1\n```\ny") == "def f():\n    return 1\n"
    assert parse_code("def f(): pass") == "def f(): pass" and parse_code("```js\nf()\n```") == ""
    assert first_function_name("import x\ndef add(a, b):\n  pass") == "add"


# --- Spearman ----------------------------------------------------------------------------------------------
def test_spearman_by_hand_and_with_ties() -> None:
    # generated 2 3 6 7 1 vs human 1 3 5 7 2: rank differences 1 0 0 0 -1 -> 1 - 6 * 2 / (5 * 24) = 0.9
    a = np.array([[2, 1], [3, 3], [6, 5], [7, 7], [1, 2]], dtype=float)[None]
    assert spearman(a)[0] == pytest.approx(0.9)
    b = np.array([[1, 2], [1, 3], [2, 1], [3, 3], [-np.inf, 0]], dtype=float)
    assert spearman(b[None])[0] == pytest.approx(scipy.stats.spearmanr(b[:, 0], b[:, 1])[0])
    assert np.isnan(spearman(np.array([[[1, 2], [1, 3]]], dtype=float))[0])  # constant column
    assert np.isnan(spearman(np.array([[[1, 2]]], dtype=float))[0])  # one pair


def test_rank_keys_policies_and_overall_by_hand() -> None:
    scores = ["", 7, 7.0, 10.0]
    assert rank_keys(scores) == [-np.inf, 7.0, 7.0, 10.0]  # min: unparsed below every parsed score
    # authors: numpy's string coercion, sorted "" < "10.0" < "7" < "7.0"
    assert rank_keys(scores, "authors") == [0.0, 2.0, 3.0, 1.0]
    assert rank_keys([3, 1.5], "authors") == [3.0, 1.5]  # nothing unparsed: numeric, as numpy keeps floats
    # compute_overall.py: correlations mapped by (rho + 1) / 2, then the mean over the dimensions present
    got = overall({"feedback": np.array([0.5]), "comp_feedback": np.array([0.25]), "meta_feedback": np.array([-1.0])})
    assert got[0] == pytest.approx((0.75 + 0.25 + 0.0) / 3)


GEN = [2.0, 5.0, "", 6.0, 7, 3 / 7, 7.0]  # the fixture's parsed feedback scores, in the authors' file order
HUMAN = [1.0, 4.0, 7.0, 6.0, 7.0, 2.0, 5.0]


def test_feedback_spearman_min_policy_by_hand() -> None:
    recs, m = scored()
    fb = [r for r in recs if r["subset"] == "feedback"]
    assert [r["score"] for r in fb] == GEN and [r["human"] for r in fb] == HUMAN
    assert type(fb[4]["score"]) is int and type(fb[6]["score"]) is float  # 7 vs 7.0 kept for "authors"
    # ranks (unparsed lowest, ties averaged): gen 3 4 1 5 6.5 2 6.5, human 1 3 6.5 5 6.5 2 4
    # centred products sum 6.75, squares 27.5 and 27.5 -> rho = 6.75 / 27.5
    assert m["subsets"]["feedback"]["value"] == pytest.approx(6.75 / 27.5)
    assert m["subsets"]["feedback"]["n"] == 7 and m["counts"]["feedback_unparsed"] == 1
    q = m["extra"]["breakdown"]["feedback"]
    assert q["low"]["value"] == -1.0 and q["super-high"]["value"] == 1.0 and np.isnan(q["med"]["value"])


def test_feedback_spearman_authors_policy_is_their_scipy_call() -> None:
    _, m = scored(unparsed="authors")
    # EvaluateScalarFeedback.evaluate: spearmanr(generated_scores, feedback_scores) on the raw list
    expected = scipy.stats.spearmanr(GEN, HUMAN)[0]
    assert m["subsets"]["feedback"]["value"] == pytest.approx(expected)
    assert expected != pytest.approx(6.75 / 27.5)  # '7' < '7.0' as strings: the quirk is reproduced


def test_unparsed_drop_and_error() -> None:
    _, m = scored(unparsed="drop")
    keep = [i for i, g in enumerate(GEN) if g != ""]
    expected = scipy.stats.spearmanr([float(GEN[i]) for i in keep], [HUMAN[i] for i in keep])[0]
    assert m["subsets"]["feedback"]["value"] == pytest.approx(expected) and m["counts"]["feedback_dropped"] == 1
    with pytest.raises(ValueError, match="1 unparsed feedback scores"):
        scored(unparsed="error")


# --- comparison, correction, overall ------------------------------------------------------------------------
def test_comparison_both_orders() -> None:
    recs, m = scored()
    cmp = [r for r in recs if r["subset"] == "comp_feedback"]
    assert [(r["forward_choice"][:1], r["reverse_choice"][:1]) for r in cmp] == [
        ("A", "B"),
        ("A", "B"),
        ("A", "C"),
        ("B", "H"),
        ("C", "C"),
        ("C", "C"),
    ]
    # swap rule: A/B right, A/B but gold B, A/C disagree, H unparsed, C/C gold C, C/C gold C -> 3 / 6
    assert m["subsets"]["comp_feedback"]["value"] == pytest.approx(3 / 6)
    assert m["extra"]["breakdown"]["comp_feedback"]["easy"]["value"] == pytest.approx(2 / 3)
    assert m["counts"]["comp_feedback_disagreed"] == 1 and m["counts"]["comp_feedback_unparsed"] == 1
    # the authors' rule (letters differ): A/C counts (and is right), C/C does not -> 2 / 6
    _, orig = scored(agreement="differ")
    assert orig["subsets"]["comp_feedback"]["value"] == pytest.approx(2 / 6)
    assert orig["counts"]["comp_feedback_disagreed"] == 2


def test_correction_and_overall_formula() -> None:
    recs, m = scored()
    cor = {r["domain"]: r for r in recs if r["subset"] == "correction" and r["index"] == 0}
    assert cor["math_cot"]["answer"] == 12 and cor["math_cot"]["passed"] is True
    second = next(r for r in recs if r["id"] == "correction/math_cot/1")
    assert second["passed"] is False and second["answer"] == ""  # "0." is skipped, nothing parsed
    code = cor["code_not_exec"]
    if code["passed"] is None:
        assert "not supported" in code["error"] and m["counts"]["correction_not_supported"] == 1
        corr = 0.5  # math_cot only
    else:
        assert code["passed"] is True  # add() fixed; PRELUDE (numpy, sympy) + code + unit test ran cleanly
        corr = (0.5 + 1.0) / 2
    assert m["subsets"]["correction"]["value"] == pytest.approx(corr)
    assert m["subsets"]["meta_feedback"]["value"] == pytest.approx(0.9)  # the 5-point case above
    fb = 6.75 / 27.5
    # compute_overall.py: mean((fb + 100) / 2, comp, corr, (meta + 100) / 2) in x100 units
    assert m["overall"]["value"] == pytest.approx(np.mean([(fb + 1) / 2, 0.5, corr, (0.9 + 1) / 2]))
    assert m["overall"]["ci"][0] <= m["overall"]["value"] <= m["overall"]["ci"][1]
    assert m["extra"]["dimensions"] == ["feedback", "comp_feedback", "correction", "meta_feedback"]


def _corrected(item: Item, prediction: str) -> dict[str, Any]:
    rec = {"domain": item.data["domain"], **correction.correction(item, prediction)}
    correction.execute_code([rec])
    return rec


@pytest.mark.skipif(correction._sandbox() is None, reason="assay.sandbox is not installed")
def test_math_pot_and_code_exec_in_the_sandbox() -> None:
    item = Item(id="x", data={"domain": "math_pot", "ground_truth_answer": "#### 12"}, meta={})
    ok = "```python\nclass Solution:\n    def solution(self):\n        return 5 + 7\n```"
    assert _corrected(item, ok)["passed"] is True
    assert _corrected(item, ok.replace("5 + 7", "5 * 7"))["passed"] is False  # prints 35
    assert _corrected(item, ok.replace("5 + 7", "12.0"))["passed"] is True  # int(eval("12.0")) == 12
    unit = "\ndef check(f):\n    assert f(2) == 4\n"
    he = Item("y", {"domain": "code_exec", "unit_test": unit, "data_source": "humaneval"}, {})
    assert _corrected(he, "```python\ndef sq(x):\n    return x * x\n```")["passed"] is True
    wrong = _corrected(he, "```python\ndef sq(x):\n    return x + 1\n```")
    assert wrong["passed"] is False and "AssertionError" in wrong["error"]


def test_without_a_sandbox_code_is_not_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(correction, "_sandbox", lambda: None)
    _, m = score_fixture()
    assert m["counts"]["correction_not_supported"] == 1
    assert m["subsets"]["correction"]["value"] == pytest.approx(0.5)  # math_cot only
    assert list(m["extra"]["breakdown"]["correction"]) == ["by", "math_cot"]


# --- data and prediction errors -------------------------------------------------------------------------------
def _copy(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(DATA, tmp_path / "c")
    return tmp_path / "c" / "data", tmp_path / "c" / "predictions" / "model-x"


def test_loader_errors_name_file_row_and_nested_field(tmp_path: Path) -> None:
    root, _ = _copy(tmp_path)
    f = root / "obj_test_data" / "translate_comp_feedback.json"
    rows = json.loads(f.read_text())
    del rows[2]["obj"]["preference"]
    f.write_text(json.dumps(rows))
    with pytest.raises(DataError) as e:
        ce.load(LoadOptions(data=str(root)))
    assert e.value.source == str(f) and e.value.location == "row 2" and e.value.field == "obj.preference"
    g = root / "obj_test_data" / "translate_feedback_correction.json"
    rows = json.loads(g.read_text())
    rows[1]["feedback_score"] = "high"
    g.write_text(json.dumps(rows))
    with pytest.raises(DataError, match=r"row 1: field 'feedback_score': expected a number"):
        ce.load(LoadOptions(data=str(root), subsets=("feedback",)))
    with pytest.raises(ValueError, match="pass --data"):
        ce.load(LoadOptions())


def test_prediction_errors_and_skipped_files(tmp_path: Path) -> None:
    root, model = _copy(tmp_path)
    res = ce.predictions(model, LoadOptions(data=str(root)), ce.Options())
    assert [s["source"] for s in res.skipped] == [str(model / "test_code_not_exec_feedback_obj.json")]
    assert not any(r["id"].startswith("feedback/code_not_exec") for r in res.records)
    # a prediction that does not quote its row's question: misaligned
    p = model / "test_translate_feedback_obj.json"
    doc = json.loads(p.read_text())
    doc["1"]["origin_prompt"] = "### Source:\nsomething else"
    p.write_text(json.dumps(doc))
    with pytest.raises(DataError) as e:
        ce.predictions(model, LoadOptions(data=str(root)), ce.Options())
    assert (e.value.source, e.value.location, e.value.field) == (str(p), "key 1", "origin_prompt")
    (model / "test_translate_comp_feedback_obj_reverse.json").unlink()
    with pytest.raises(DataError, match="reversed-order"):
        ce.predictions(model, LoadOptions(data=str(root), subsets=("comp_feedback",)), ce.Options())


def test_a_missing_key_is_an_unparsed_record(tmp_path: Path) -> None:
    root, model = _copy(tmp_path)
    p = model / "test_translate_meta_feedback_obj.json"
    doc = json.loads(p.read_text())
    del doc["4"]
    p.write_text(json.dumps(doc))
    recs, m = (lambda r: (r.records, ce.aggregate(r.records, 0, 50, ce.Options())))(
        ce.predictions(model, LoadOptions(data=str(root), subsets=("meta_feedback",)), ce.Options())
    )
    assert recs[4]["missing"] and recs[4]["score"] == "" and m["counts"]["meta_feedback_missing"] == 1


def test_options_and_no_run() -> None:
    with pytest.raises(ValueError, match="unparsed must be one of"):
        ce.build({"unparsed": "zero"})
    with pytest.raises(ValueError, match="agreement must be one of"):
        ce.build({"agreement": "both"})
    b = ce.build()
    assert b.run is None and "predictions only" in b.description.lower().replace("-", " ")


def test_assay_score_cli_and_rescore(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    out = tmp_path / "scored"
    args = ["score", "criticeval", "--predictions", str(MODEL), "--data", str(ROOT), "--n-boot", "100"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "-o", "agreement=differ", "-q"])
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["subsets"]["comp_feedback"]["value"] == pytest.approx(2 / 6)
    assert view.manifest["options"]["options"] == {"agreement": "differ"}
    _, diffs = rescore(view)  # the option is re-applied from the manifest
    assert diffs == []
