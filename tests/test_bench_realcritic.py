"""RealCritic: loader, prompts, answer/verdict parsing, the self/cross/iterative protocol on a scripted
model, aggregation by hand, released-output scoring, and end to end on the embedded model + rescore."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import realcritic as rc
from assay.benchmarks.registry import LoadOptions, get
from assay.data.rows import DataError
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from conftest import shared_data

COUNTS = {
    "arc-challenge": 263, "college_math": 279, "gpqa": 190, "gsm8k": 273,
    "math": 268, "minerva_math": 261, "mmlu_stem": 292, "olympiadbench": 267,
}  # fmt: skip


class ScriptedCtx:
    """A stand-in RunContext whose model answers from a function of the request (tests the protocol)."""

    def __init__(self, reply: Callable[[GenerateRequest], str], finish: str = "stop") -> None:
        self.reply = reply
        self.finish = finish
        self.sampling = SamplingConfig(max_tokens=64)
        self.seed = 0
        self.options: dict[str, str] = {}
        self.spec = "scripted"
        self.calls: list[list[GenerateRequest]] = []

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        self.calls.append(list(requests))
        return [Generation((self.reply(r),), 1, 1, 0.0, (self.finish,)) for r in requests]


def _data() -> str:
    return str(shared_data("realcritic"))


def _load(bench: Any = None, **kw: Any) -> list[Any]:
    bench = bench or get("realcritic")
    return bench.load(LoadOptions(data=_data(), **kw)).samples


def _finish(bench: Any, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in recs:
        r["outcome"] = bench.outcome(r)
    return recs


# --- loader ---------------------------------------------------------------------------------------


def test_loader_reads_all_eight_tasks() -> None:
    res = get("realcritic").load(LoadOptions(data=_data()))
    by: dict[str, int] = {}
    for s in res.samples:
        by[s.subset] = by.get(s.subset, 0) + 1
    assert by == COUNTS
    first = res.samples[0]
    assert first.id == "arc-challenge/0" and first.meta["idx"] == 0
    assert first.data["previous_score"] is False and first.data["gt"] == "C"
    assert "choices" in first.meta  # the row's extra fields are kept
    assert (
        sum(s.data["previous_score"] for s in res.samples) == 1044
    )  # 131+139+95+136+134+130+146+133: about half per task


def test_loader_subsets_limit_and_folder_layout(tmp_path: Path) -> None:
    samples = _load(subsets=("gsm8k", "math"), limit=2)
    assert [s.id for s in samples] == ["gsm8k/0", "gsm8k/1", "math/0", "math/1"]
    # the repository's own layout: data/mix_data/<task>/test.jsonl
    (tmp_path / "gsm8k").mkdir()
    lines = (Path(_data()) / "gsm8k.test.jsonl").read_text().splitlines()[:3]
    (tmp_path / "gsm8k" / "test.jsonl").write_text("\n".join(lines) + "\n")
    res = get("realcritic").load(LoadOptions(data=str(tmp_path)))
    assert [s.id for s in res.samples] == ["gsm8k/0", "gsm8k/1", "gsm8k/2"]


def test_loader_bad_rows_name_file_line_field(tmp_path: Path) -> None:
    row = json.loads((Path(_data()) / "gsm8k.test.jsonl").read_text().splitlines()[0])
    bad = dict(row, idx=1, previous_score="yes")
    f = tmp_path / "gsm8k.test.jsonl"
    f.write_text(json.dumps(row) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError) as e:
        get("realcritic").load(LoadOptions(data=str(tmp_path)))
    assert "line 2" in str(e.value) and "previous_score" in str(e.value) and str(f) in str(e.value)
    res = get("realcritic").load(LoadOptions(data=str(tmp_path), skip_invalid=True))
    assert len(res.samples) == 1 and res.skipped[0]["field"] == "previous_score"
    with pytest.raises(ValueError, match="--data"):
        get("realcritic").load(LoadOptions())


# --- prompts and parsing --------------------------------------------------------------------------


def test_prompts_are_the_authors() -> None:
    p = rc.critique_prompt("What is 1+1?", "1+1=3")
    assert [m.role for m in p] == ["system", "user"]
    assert p[0].content.startswith("I will provide a math problem along with a student solution.")
    assert "The final answer is \\boxed{[answer]}." in p[0].content  # single backslash (raw string)
    assert p[1].content == (
        "The following is the data for your task:\n\n## Math Problem\nWhat is 1+1?\n\n## Student Solution\n1+1=3"
    )
    f = rc.follow_up(p, "my critique \n\n")
    assert f[2].content == "my critique" and f[3].content.endswith("Place the final answer in \\boxed{{}}.")
    s = rc.solve_prompt("Q?")
    assert s[0].content == "Please reason step by step, and put your final answer within \\boxed{}."


@pytest.mark.parametrize(
    ("text", "task", "gt", "want"),
    [
        ("... so the final answer is \\boxed{540}.", "gsm8k", "540", "540"),
        ("The answer is 12 inches", "gsm8k", "12", "12"),
        ("The answer is 12 dollars", "gsm8k", "12", "12dollars"),  # not in the unit list (upstream)
        ("Therefore the correct answer is (B).", "arc-challenge", "C", "B"),
        ("I pick option D because", "mmlu_stem", "A", "D"),  # choice_answer_clean on the whole text
        ("\\boxed{thymine}", "arc-challenge", "B", "\\boxed{thymine}"),  # no letter: the whole text (upstream)
        ("nothing", "gsm8k", "5", ""),
        ("", "gsm8k", "5", None),
        ("   ", "gsm8k", "5", None),
    ],
)
def test_predicted_answer(text: str, task: str, gt: str, want: str | None) -> None:
    assert rc.predicted_answer(text, task, gt) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("## Conclusion of Critique\nThe solution is Correct.\nThe first error step number: -1", "correct"),
        ("The solution is **Incorrect**.", "incorrect"),
        ("the solution is incorrect. The solution is Incorrect.", "incorrect"),
        # both stated: the last one is read (it used to give no verdict)
        ("[For correct] The solution is Correct. [For incorrect] The solution is Incorrect.", "incorrect"),
        ("The solution is Incorrect... on reflection the solution is correct.", "correct"),
        ("The first error step number: 3", "incorrect"),
        ("The first error step number: -1", "correct"),
        ("The first error step number: 3\nThe first error step number: -1", "correct"),
        ("The student solution is correct and well-reasoned.", None),
        ("", None),
    ],
)
def test_parse_verdict(text: str, want: str | None) -> None:
    assert rc.parse_verdict(text) == want


def test_parse_verdict_reads_the_conclusion_after_an_echoed_format_block() -> None:
    # the model echoes the format block of the system prompt (both conclusions, -1 as the only number),
    # then writes its own critique: its own conclusion section decides
    echo = rc.CRITIC_SYSTEM.split("```")[1]
    own = (
        "## Critique of Student Solution Steps\n### Critique of Step 1\nWrong sum.\n\n"
        "## Conclusion of Critique\nThe solution is Incorrect.\nThe first error step number: 1\n\n"
        "## Correction of Student Solution\n... the solution is correct now. \\boxed{4}"
    )
    assert rc.parse_verdict(echo + own) == "incorrect"  # not the echo's, not the correction's words
    assert rc.parse_verdict(own + echo) == "incorrect"  # the echo's section names both: skipped
    # the echo alone names both in its only section: the last statement of the text
    assert rc.parse_verdict(echo) == "incorrect"


# --- the protocol on a scripted model -------------------------------------------------------------


def test_cross_mode_records_outcomes_and_invalid() -> None:
    bench = get("realcritic")
    first8 = _load(bench, subsets=("gsm8k",), limit=8)
    samples = [first8[0], first8[7], first8[1]]
    assert [s.data["previous_score"] for s in samples] == [True, False, True]
    scripted = {
        "gsm8k/0": "The solution is Correct.\nThe final answer is \\boxed{540}.",  # right, kept right
        "gsm8k/7": "The solution is Correct. \\boxed{2}",  # wrong verdict on a wrong solution
        "gsm8k/1": "I cannot tell.",  # no answer at all: invalid, scored incorrect
    }
    by_q = {s.data["question"]: scripted[s.id] for s in samples}
    ctx = ScriptedCtx(lambda r: by_q[r.prompt[1].content.split("## Math Problem\n")[1].split("\n\n## Student")[0]])
    recs = _finish(bench, bench.run(samples, ctx))
    assert len(ctx.calls) == 1 and len(ctx.calls[0]) == 3  # one round, batched
    assert ctx.calls[0][0].prompt[1].content.endswith(samples[0].data["solution"])
    r0, r1, r2 = recs
    assert r0["turns"][0]["pred"] == "540" and r0["valid"] and r0["kind"] == "critique"
    assert r0["outcome"]["transition"] == "c->c" and r0["outcome"]["verdict_correct"] is True
    gt1 = samples[1].data["gt"]
    assert gt1 != "2"
    assert r1["outcome"]["transition"] == "i->i" and r1["outcome"]["verdict_correct"] is False
    assert r2["valid"] is False and r2["turns"][0]["raw"] == "I cannot tell."
    assert r2["outcome"]["invalid"] and r2["outcome"]["transition"] == "c->i" and r2["outcome"]["verdict"] is None
    m = bench.aggregate(recs, 0, 200)
    assert m["counts"]["invalid"] == 1 and m["counts"]["no_verdict"] == 1
    assert m["overall"]["value"] == pytest.approx(1 / 3)
    crl = m["extra"]["all"]
    assert crl["delta"]["value"] == pytest.approx((1 - 2) / 3)
    assert crl["discriminability"]["value"] == pytest.approx(1 / 2)
    assert crl["transitions"]["counts"] == {"c->c": 1, "c->i": 1, "i->c": 0, "i->i": 1}


def test_self_mode_solves_then_critiques_its_own_solution() -> None:
    bench = get("realcritic").with_options({"mode": "self"})
    samples = _load(bench, subsets=("gsm8k",), limit=2)
    gts = {s.data["question"]: s.data["gt"] for s in samples}

    def reply(r: GenerateRequest) -> str:
        if r.prompt[0].content == rc.SOLVE_SYSTEM:  # the solve step: right for item 0, wrong for item 1
            q = r.prompt[1].content
            return f"  Step by step... \\boxed{{{gts[q] if q == samples[0].data['question'] else '-1'}}}  \n"
        return "The solution is Incorrect.\nTherefore, the final answer is \\boxed{" + gts[_question(r)] + "}."

    def _question(r: GenerateRequest) -> str:
        return r.prompt[1].content.split("## Math Problem\n")[1].split("\n\n## Student")[0]

    ctx = ScriptedCtx(reply)
    recs = _finish(bench, bench.run(samples, ctx))
    assert [len(c) for c in ctx.calls] == [2, 2]  # solve round, then critique round
    solve_text = recs[0]["solve"]["raw"]
    assert ctx.calls[1][0].prompt[1].content.endswith("## Student Solution\n" + solve_text.strip())
    assert recs[0]["previous_score"] is None and recs[0]["mode"] == "self"
    assert recs[0]["outcome"]["original_correct"] is True and recs[1]["outcome"]["original_correct"] is False
    assert [r["outcome"]["transition"] for r in recs] == ["c->c", "i->c"]
    assert [r["outcome"]["verdict_correct"] for r in recs] == [False, True]
    assert recs[0]["outcome"]["solve_invalid"] is False
    m = bench.aggregate(recs, 0, 100)
    assert m["extra"]["all"]["delta_i2c"]["value"] == pytest.approx(0.5)
    assert m["counts"]["solve_invalid"] == 0


def test_iterative_mode_appends_the_follow_up_and_scores_the_last_turn() -> None:
    bench = get("realcritic").with_options({"mode": "iterative", "rounds": "3"})
    samples = _load(bench, subsets=("gsm8k",), limit=1)
    gt = samples[0].data["gt"]
    turn_answers = {2: "The solution is Correct. \\boxed{0}", 4: "\\boxed{1}", 6: f"\\boxed{{{gt}}}"}
    ctx = ScriptedCtx(lambda r: turn_answers[len(r.prompt)], finish="length")
    recs = _finish(bench, bench.run(samples, ctx))
    assert [len(c[0].prompt) for c in ctx.calls] == [2, 4, 6]
    last = ctx.calls[2][0].prompt
    assert [m.role for m in last] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert last[2].content == turn_answers[2] and last[3].content == rc.FOLLOW_UP
    r = recs[0]
    assert [t["pred"] for t in r["turns"]] == ["0", "1", gt]
    assert r["outcome"]["refined_correct"] is True  # the last turn is scored
    assert r["outcome"]["verdict"] == "correct"  # the verdict is the first turn's
    assert r["outcome"]["truncated_turns"] == 3
    with pytest.raises(ValueError, match="rounds"):
        get("realcritic").with_options({"mode": "iterative", "rounds": "1"})
    with pytest.raises(ValueError, match="mode"):
        get("realcritic").with_options({"mode": "both"})
    with pytest.raises(ValueError, match="unknown option"):
        get("realcritic").with_options({"turns": "2"})


def test_grades_are_stored_at_run_time_and_reused_by_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.critics import grader

    bench = get("realcritic")
    samples = _load(bench, subsets=("gsm8k",), limit=2)
    gts = {s.data["question"]: s.data["gt"] for s in samples}
    ctx = ScriptedCtx(
        lambda r: "\\boxed{" + gts[r.prompt[1].content.split("## Math Problem\n")[1].split("\n\n")[0]] + "}"
    )

    def slow_machine(pred: str, ref: str, **kw: Any) -> bool:  # a sympy call that timed out: unequal
        grader._WORKER.counts["timeouts"] += 1
        return False

    with monkeypatch.context() as m:  # item 0 graded on a loaded machine, item 1 normally
        m.setattr(grader, "math_equal", slow_machine)
        (r0,) = bench.run(samples[:1], ctx)  # type: ignore[misc]
    (r1,) = bench.run(samples[1:], ctx)  # type: ignore[misc]
    assert r0["turns"][-1]["grade"] == {"equal": False, "timed_out": True}
    assert r1["turns"][-1]["grade"] == {"equal": True, "timed_out": False}

    def no_regrading(*a: Any, **kw: Any) -> bool:
        raise AssertionError("outcome re-ran the grader although the record holds the grade")

    monkeypatch.setattr(grader, "math_equal", no_regrading)
    o0, o1 = bench.outcome(r0), bench.outcome(r1)  # a rescore: the stored grades, whatever the load now
    assert (o0["refined_correct"], o0["grader_timeout"]) == (False, True)
    assert (o1["refined_correct"], o1["grader_timeout"]) == (True, False)
    m = rc.aggregate([r0, r1], 0, 50)  # records without "outcome": computed (from the stored grades)
    assert m["counts"]["grader_timeouts"] == 1 and m["subsets"]["gsm8k"]["value"] == 0.5
    monkeypatch.undo()
    old = {**r0, "turns": [{k: v for k, v in r0["turns"][-1].items() if k != "grade"}]}
    assert bench.outcome(old)["refined_correct"] is True  # an old record without a grade is graded here


def test_self_mode_stores_the_solve_grade(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.critics import grader

    bench = get("realcritic").with_options({"mode": "self"})
    (s,) = _load(bench, subsets=("gsm8k",), limit=1)
    recs = bench.run([s], ScriptedCtx(lambda r: "\\boxed{" + s.data["gt"] + "}"))  # type: ignore[misc]
    assert recs[0]["solve"]["grade"] == {"equal": True, "timed_out": False}
    monkeypatch.setattr(grader, "math_equal", lambda *a, **kw: pytest.fail("regraded"))
    assert bench.outcome(recs[0])["original_correct"] is True


def test_overall_complete_only_with_all_eight_tasks() -> None:
    recs = [_rec(t, 0, True, i % 2 == 0, True) for i, t in enumerate(rc.TASKS)]
    m = rc.aggregate(recs, 0, 20)
    assert m["extra"]["overall_over"] == list(rc.TASKS) and m["extra"]["overall_complete"] is True
    assert m["overall"]["value"] == pytest.approx(0.5)
    m = rc.aggregate(recs[:-1], 0, 20)
    assert m["extra"]["overall_complete"] is False and m["overall"]["value"] == pytest.approx(4 / 7)


# --- aggregation by hand --------------------------------------------------------------------------


def _rec(task: str, i: int, o: bool, r: bool, v: bool | None, invalid: bool = False) -> dict[str, Any]:
    verdict = None if v is None else ("correct" if v == o else "incorrect")
    return {
        "id": f"{task}/{i}",
        "subset": task,
        "mode": "cross",
        "outcome": {
            "original_correct": o,
            "refined_correct": r,
            "invalid": invalid,
            "verdict": verdict,
            "verdict_correct": v,
            "truncated_turns": 0,
            "grader_timeout": False,
        },
    }


def test_aggregate_hand_case() -> None:
    recs = [
        _rec("gsm8k", 0, True, True, True),
        _rec("gsm8k", 1, True, False, False),
        _rec("gsm8k", 2, False, True, True),
        _rec("gsm8k", 3, False, True, None, invalid=False),
        _rec("math", 0, False, False, True, invalid=True),
        _rec("math", 1, True, True, None),
    ]
    m = rc.aggregate(recs, seed=0, n_boot=300)
    assert m["subsets"]["gsm8k"]["value"] == pytest.approx(0.75)
    assert m["subsets"]["math"]["value"] == pytest.approx(0.5)
    assert m["overall"]["value"] == pytest.approx((0.75 + 0.5) / 2)  # unweighted over tasks, not 4/6
    assert m["overall"]["n"] == 6
    lo, hi = m["overall"]["ci"]
    assert lo <= 0.625 <= hi
    g = m["extra"]["tasks"]["gsm8k"]
    assert g["transitions"]["counts"] == {"c->c": 1, "c->i": 1, "i->c": 2, "i->i": 0}
    assert g["transitions"]["ratios"]["c->i"] == 0.5 and g["transitions"]["ratios"]["i->c"] == 1.0
    a = m["extra"]["all"]
    assert a["acc"]["value"] == pytest.approx(4 / 6)
    assert a["delta"]["value"] == pytest.approx((4 - 3) / 6)
    assert a["delta_c2i"]["value"] == pytest.approx(1 / 6)
    assert a["delta_i2c"]["value"] == pytest.approx(2 / 6)
    assert a["discriminability"]["value"] == pytest.approx(3 / 4)
    assert m["counts"]["invalid"] == 1 and m["counts"]["no_verdict"] == 2
    assert m["extra"]["overall_over"] == ["gsm8k", "math"] and m["extra"]["overall_complete"] is False
    again = rc.aggregate(recs, seed=0, n_boot=300)  # a pure function of the records (NaN-aware compare)
    assert json.dumps(again, sort_keys=True) == json.dumps(m, sort_keys=True)


# --- released outputs -----------------------------------------------------------------------------


def _authors_rows(samples: list[Any]) -> list[dict[str, Any]]:
    """Rows shaped like math_eval.py's saved output (o1-mini example in the repository)."""
    texts = ["The solution is Correct.\nThe final answer is \\boxed{540}.", "The solution is Incorrect. \\boxed{-3}"]
    rows = []
    for s, text in zip(samples, texts, strict=True):
        msg = [
            {"role": "system", "content": rc.CRITIC_SYSTEM},
            {"role": "user", "content": rc.CRITIC_USER.format(question=s.data["question"], reasoning="sol")},
        ]
        rows.append(
            {
                "idx": s.meta["idx"],
                "question": s.data["question"],
                "gt_cot": s.data["gt_cot"],
                "gt": s.data["gt"],
                "answer": s.meta.get("answer"),
                "critic": [text],
                "pred": ["540" if "540" in text else "-3"],
                "report": [None],
                "message": msg,
                "score": ["540" in text],
            }
        )
    return rows


def test_predictions_in_the_authors_format_and_ours(tmp_path: Path) -> None:
    import assay.protocol_runner as pr
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    samples = _load(subsets=("gsm8k",), limit=2)
    out_dir = tmp_path / "outputs" / "m" / "math_eval" / "gsm8k"
    out_dir.mkdir(parents=True)
    f = out_dir / "test_critic_and_correct_-1_seed0_t0.0_s0_e-1_turn1.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in _authors_rows(samples)))
    (out_dir / "test_critic_and_correct_-1_seed0_t0.0_s0_e-1_turn1_critic_and_correct_metrics.json").write_text("{}")
    run = pr.score_predictions("realcritic", tmp_path / "outputs", data=_data(), out=str(tmp_path / "scored"))
    recs = {r["id"]: r for r in run.records}
    assert set(recs) == {"gsm8k/0", "gsm8k/1"}
    assert recs["gsm8k/0"]["previous_score"] is True  # looked up in --data: upstream rows lack it
    assert recs["gsm8k/0"]["solution"] == "sol"  # the solution the critic was shown (its message)
    assert recs["gsm8k/0"]["outcome"]["refined_correct"] is True
    assert recs["gsm8k/1"]["outcome"]["refined_correct"] is False
    assert recs["gsm8k/0"]["turns"][-1]["grade"] == {"equal": True, "timed_out": False}  # graded when read
    assert run.metrics["extra"]["authors_score_agreement"] == {"value": 1.0, "n": 2}
    assert rescore(load_run(run.path))[1] == []
    # without --data the original correctness is unknown: a located error
    with pytest.raises(DataError, match="previous_score"):
        pr.score_predictions("realcritic", f, out=str(tmp_path / "x"))
    # our own form: id + critique turns
    ours = tmp_path / "ours.jsonl"
    ours.write_text(json.dumps({"id": "gsm8k/0", "critique": ["first", "The final answer is \\boxed{540}."]}) + "\n")
    run2 = pr.score_predictions("realcritic", ours, data=_data(), out=str(tmp_path / "scored2"))
    (r,) = run2.records
    assert r["rounds"] == 2 and r["outcome"]["refined_correct"] is True and r["solution"] == samples[0].data["solution"]


# --- end to end on the embedded model -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cross", "self"])
def test_end_to_end_on_default_model_and_rescore(mode: str, tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    run = assay.evaluate(
        "realcritic",
        "hfgen:default",
        data=_data(),
        subsets=("gsm8k",),
        limit=2,
        max_tokens=64,
        options={"mode": mode},
        out=str(tmp_path / mode),
        cache_dir=str(cache_dir),
    )
    assert [r["id"] for r in run.records] == ["gsm8k/0", "gsm8k/1"]
    for r in run.records:
        assert r["turns"][0]["raw"]  # every raw output kept with its parsed value
        assert "pred" in r["turns"][0] and "valid" in r
        assert (r["mode"] == "self") == ("solve" in r)
    assert run.manifest["options"]["options"] == {"mode": mode}
    m = run.metrics
    assert 0.0 <= m["overall"]["value"] <= 1.0
    assert m["counts"]["invalid"] == sum(r["outcome"]["invalid"] for r in run.records)
    assert m["counts"]["truncated_turns"] >= 0
    _, diffs = rescore(load_run(run.path))
    assert diffs == []


def test_authors_iterative_row_rebuilds_turns_and_filters(tmp_path: Path) -> None:
    from assay.benchmarks.realcritic_release import read_predictions

    samples = _load(subsets=("gsm8k",), limit=1)
    row = _authors_rows(samples + _load(subsets=("gsm8k",), limit=2)[1:])[0]
    row["message"] += [
        {"role": "assistant", "content": "The solution is Incorrect. \\boxed{1}"},
        {"role": "user", "content": rc.FOLLOW_UP},
    ]
    row["previous_score"] = [True]  # present in the row: no --data needed
    f = tmp_path / "gsm8k" / "out_turn2.jsonl"
    f.parent.mkdir()
    f.write_text(json.dumps(row) + "\n")
    res = read_predictions(tmp_path, LoadOptions(), mode="iterative")
    (rec,) = res.records
    assert [t["pred"] for t in rec["turns"]] == ["1", "540"] and rec["rounds"] == 2 and rec["mode"] == "iterative"
    out = get("realcritic").outcome(rec)
    assert out["verdict"] == "incorrect" and out["refined_correct"] is True  # first turn's verdict, last scored
    with pytest.raises(ValueError, match="no predictions for subset"):
        read_predictions(tmp_path, LoadOptions(subsets=("math",)))
    assert read_predictions(tmp_path, LoadOptions(limit=0)).records == []
