"""PCBench: statistics on hand-computed records, the released statistics of all 15 models reproduced from their
judge outputs, the authors' prompts and parsers, malformed inputs, and the protocol with a fake context."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import pcbench as pc
from assay.benchmarks.registry import LoadOptions, get
from assay.critics import pcbench_prompts as P
from assay.critics.pcbench_stats import aggregate, outcome, statistics
from assay.data.rows import DataError
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from conftest import shared_data

# MLGroupJLU/Premise_Critique evaluation/statistics/all_models_overall_summary.csv (commit fa72f30), the columns
# that need no problem metadata (rates and ratios rounded to 4 decimals there).
PUBLISHED_SUMMARY = """\
Model,active_recognition_rate,passive_recognition_rate,active_criticism_efficiency_overall,passive_criticism_efficiency_overall,active_criticism_efficiency_on_success,passive_criticism_efficiency_on_success,normal_answer_avg_len_overall,ill_answer_avg_len_overall,ill_with_hint_answer_avg_len_overall,active_recognition_count,passive_recognition_count,valid_for_metrics
claude-3-7-sonnet-20250219-thinking,0.3625,0.6975,1.1153,0.8889,1.2052,0.8008,1405.6325,1567.7217,1249.4500,435,837,1200
Deepseek-R1,0.1958,0.6767,1.2479,0.8888,1.7863,0.7504,4299.7867,5365.8733,3821.8325,235,812,1200
DeepSeek-V3,0.4050,0.6883,1.1901,1.1192,1.3541,1.1068,1291.0017,1536.4133,1444.8392,486,826,1200
gemini-2.0-flash-thinking-exp-01-21,0.3825,0.7792,1.0598,1.0170,1.1074,0.9927,9887.1700,10477.9383,10055.5758,459,935,1200
gpt-4.1,0.2817,0.7317,1.0196,0.8518,1.1072,0.7601,1081.8333,1103.0883,921.4708,338,878,1200
gpt-4o,0.1100,0.5742,1.0275,0.9858,1.0644,0.8686,452.9933,465.4283,446.5692,132,689,1200
llama-4-maverick,0.2725,0.5350,1.1104,1.2624,1.2299,1.3446,593.0408,658.5250,748.6308,327,642,1200
o3-mini-medium,0.1442,0.7317,1.3225,1.0300,1.7293,0.9695,2270.8908,3003.1933,2339.1050,173,878,1200
o4-mini-medium,0.0400,0.7425,1.1911,0.8074,1.4068,0.6937,1829.1942,2178.8308,1476.9567,48,891,1200
qwen3-235b-a22b,0.2467,0.7000,1.0973,1.1561,1.3225,1.1667,952.1908,1044.8550,1100.8042,296,840,1200
Qwen3-235B-A22B_thinking,0.3533,0.7008,1.2331,1.0348,1.6649,0.9758,5507.6733,6791.2850,5699.1092,424,841,1200
qwen3-30b-a3b,0.2483,0.6175,1.1069,1.1198,1.2770,1.0812,1068.3733,1182.5783,1196.3883,298,741,1200
Qwen3-30B-A3B_thinking,0.3242,0.6050,1.1867,1.0106,1.4285,0.9743,6199.3200,7356.4883,6265.3050,389,726,1200
Qwen3-8B,0.2058,0.5992,1.0655,1.1428,1.1764,1.1001,1542.6367,1643.6375,1762.8667,247,719,1200
Qwen3-8B_thinking,0.2683,0.5717,1.1758,1.0758,1.4146,1.0603,6773.5308,7964.6525,7287.1567,322,686,1200
"""

TYPES = ("contra_infer_insert", "contra_premise_insert", "flawed_solution_completion", "irr_query_distraction")
DIFFS = ("normal", "medium", "hard")


def result(model: str) -> Path:
    return shared_data("pcbench", "eval_result", f"{model}_eval_result.jsonl.gz")


def scored(path: Path, data: str | None = None) -> dict[str, Any]:
    res = pc.predictions(path, LoadOptions(data=data))
    for r in res.records:
        r["outcome"] = outcome(r)
    return aggregate(res.records, seed=0, n_boot=100)


# ----------------------------------------------------------------------------- hand-computed


def rec(pid: str, ctype: str, active: bool | None, passive: bool | None, lens: Sequence[int], correct=None) -> dict:
    return {
        "id": pid,
        "subset": ctype,
        "conflict_type": ctype,
        "difficulty": "normal",
        "active": {"found": active},
        "passive": {"found": passive},
        "normal": {"correct": correct},
        "lengths": dict(zip(("normal", "ill", "ill_with_hint"), lens, strict=True)),
    }


def test_statistics_hand_computed() -> None:
    recs = [
        rec("1", "contra_infer_insert", True, True, (100, 200, 300), correct=True),
        rec("2", "flawed_solution_completion", True, False, (100, 100, 100), correct=False),
        rec("3", "irr_query_distraction", False, True, (200, 100, 500), correct=True),  # IQD: not in correctness
        rec("4", "contra_premise_insert", False, False, (400, 400, 400)),  # no normal judgement
        rec("5", "contra_premise_insert", None, True, (9, 9, 9), correct=True),  # invalid: excluded everywhere
    ]
    s = statistics(recs)
    assert (s["valid_for_metrics"], s["invalid_format_count"], s["invalid_format_pids"]) == (4, 1, ["5"])
    assert s["active_recognition_rate"] == 2 / 4 and s["passive_recognition_rate"] == 2 / 4
    assert (s["active_recognition_count_no_fsc"], s["active_recognition_applicable_count_no_fsc"]) == (1, 3)
    assert (s["normal_correctness_count"], s["normal_correctness_applicable_count"]) == (1, 2)
    assert s["normal_answer_avg_len_overall"] == 200 and s["ill_answer_avg_len_overall"] == 200
    assert s["ill_with_hint_answer_avg_len_overall"] == 325
    assert s["active_criticism_efficiency_overall"] == 1.0
    assert s["passive_criticism_efficiency_overall"] == 325 / 200
    assert s["active_criticism_efficiency_on_success"] == (300 / 2) / (200 / 2)  # items 1, 2
    assert s["passive_criticism_efficiency_on_success"] == (800 / 2) / (300 / 2)  # items 1, 3
    only_fsc = statistics([recs[1]])
    assert only_fsc["active_recognition_rate_no_fsc"] is None  # the release prints 0.0 for an empty group
    untyped = statistics([{**r, "conflict_type": None} for r in recs])
    assert untyped["active_recognition_rate_no_fsc"] is None and untyped["normal_correctness_rate"] is None
    assert untyped["active_recognition_rate"] == 0.5
    for r in recs:
        r["outcome"] = outcome(r)
    m = aggregate(recs, 0, 200)
    assert m["overall"]["value"] == 0.5 and m["overall"]["n"] == 4
    assert m["extra"]["rates"]["active_recognition_rate_no_fsc"]["value"] == 1 / 3
    eff = m["extra"]["rates"]["passive_criticism_efficiency_overall"]
    assert eff["value"] == 325 / 200 and eff["ci"][0] <= eff["ci"][1]
    assert m["counts"]["invalid_format"] == 1 and m["subsets"]["flawed_solution_completion"]["value"] == 1.0


# ----------------------------------------------------------------------------- released numbers


def test_every_model_reproduces_the_published_summary() -> None:
    rows = list(csv.DictReader(io.StringIO(PUBLISHED_SUMMARY)))
    assert len(rows) == 15
    for row in rows:
        s = scored(result(row["Model"]))["extra"]["statistics"]["overall_statistics"]
        for k, v in row.items():
            if k == "Model":
                continue
            if k.endswith(("count", "valid_for_metrics")):
                assert s[k] == int(v), (row["Model"], k)
            else:
                assert round(s[k], 4) == pytest.approx(float(v), abs=1e-9), (row["Model"], k, s[k], v)


def release_layout(tmp_path: Path) -> Path:
    """Problem metadata for the released pids. The problem file is not shipped; its layout (pids 0-299
    contra_infer_insert, 300-599 contra_premise_insert, 600-899 flawed_solution_completion, 900-1199
    irr_query_distraction; within each, blocks of 100 normal, medium, hard) is inferred, and checked by the
    exact match of the published per-type and per-difficulty statistics below."""
    p = tmp_path / "problems.jsonl"
    lines = [
        json.dumps({"pid": str(i), "conflict_type": TYPES[i // 300], "difficulty": DIFFS[(i % 300) // 100]})
        for i in range(1200)
    ]
    p.write_text("\n".join(lines) + "\n")
    return p


# evaluation/statistics/claude-3-7-sonnet-20250219-thinking_eval_statistics.json and gpt-4o_eval_statistics.json
PUBLISHED_DETAIL = {
    "claude-3-7-sonnet-20250219-thinking": {
        ("overall_statistics",): {
            "active_recognition_count_no_fsc": 344,
            "active_recognition_rate_no_fsc": 0.38222222222222224,
            "normal_correctness_count": 838,
            "normal_correctness_applicable_count": 900,
            "normal_correctness_rate": 0.9311111111111111,
            "active_criticism_efficiency_overall": 1.1153140430849933,
            "passive_criticism_efficiency_on_success": 0.8007625901800097,
        },
        ("statistics_by_difficulty", "medium"): {
            "active_recognition_rate": 0.265,
            "active_recognition_rate_no_fsc": 0.26666666666666666,
            "normal_answer_avg_len_active_success": 1579.5471698113208,
            "passive_criticism_efficiency_on_success": 0.8336108326495086,
        },
        ("statistics_by_conflict_type", "irr_query_distraction"): {
            "active_recognition_count": 98,
            "passive_recognition_rate": 0.4866666666666667,
            "normal_correctness_applicable_count": 0,
            "active_criticism_efficiency_on_success": 1.3219314142329406,
        },
        ("statistics_by_conflict_type_and_difficulty", "contra_infer_insert", "hard"): {
            "active_recognition_count": 10,
            "passive_recognition_count": 64,
            "normal_correctness_count": 83,
            "passive_criticism_efficiency_on_success": 0.7741330834114339,
        },
    },
    "gpt-4o": {
        ("overall_statistics",): {"active_recognition_count_no_fsc": 122, "normal_correctness_applicable_count": 0},
        ("statistics_by_difficulty", "hard"): {
            "active_recognition_count": 21,
            "active_recognition_rate_no_fsc": 0.06666666666666667,
            "ill_with_hint_answer_avg_len_passive_success": 458.9408284023669,
            "active_criticism_efficiency_on_success": 0.9079569892473117,
        },
        ("statistics_by_conflict_type", "flawed_solution_completion"): {
            "active_recognition_rate": 0.03333333333333333,
            "passive_recognition_rate": 0.31666666666666665,
            "active_recognition_applicable_count_no_fsc": 0,
            "passive_criticism_efficiency_overall": 1.110127259711285,
        },
    },
}


@pytest.mark.parametrize("model", sorted(PUBLISHED_DETAIL))
def test_published_breakdowns_with_problem_metadata(tmp_path: Path, model: str) -> None:
    stats = scored(result(model), str(release_layout(tmp_path)))["extra"]["statistics"]
    for path, expected in PUBLISHED_DETAIL[model].items():
        got = stats
        for part in path:
            got = got[part]
        for k, v in expected.items():
            assert got[k] == v, (path, k, got[k], v)  # exact: same operations as the released statistics
    assert list(stats["statistics_by_conflict_type"]) == list(TYPES)
    assert [list(v) for v in stats["statistics_by_conflict_type_and_difficulty"].values()] == [list(DIFFS)] * 4


def test_predictions_folder_limit_and_errors(tmp_path: Path) -> None:
    folder = result("gpt-4o").parent
    with pytest.raises(DataError, match="expected one"):
        pc.predictions(folder, LoadOptions())
    meta = release_layout(tmp_path)
    res = pc.predictions(result("gpt-4o"), LoadOptions(data=str(meta), subsets=("irr_query_distraction",), limit=2))
    assert [r["subset"] for r in res.records] == ["irr_query_distraction"] * 2 and res.records[0]["model"] == "gpt-4o"
    bad = tmp_path / "m_eval_result.jsonl"
    good = {
        "pid": "3",
        "GPT_eval_result": {"normal": {}, "active": {"if_find_contradiction": "True"}, "passive": {}},
        "normal_answer_length": {"all_count": 5, "think_count": 0},
        "ill_answer_length": {"all_count": 7, "think_count": 0},
        "ill_with_hint_answer_length": {"all_count": 9, "think_count": 0},
    }
    wrong = json.loads(json.dumps(good))
    wrong["pid"] = "4"
    wrong["ill_answer_length"]["all_count"] = "many"
    bad.write_text(json.dumps(good) + "\n" + json.dumps(wrong) + "\n")
    with pytest.raises(DataError) as e:
        pc.predictions(bad, LoadOptions())
    assert e.value.location == "line 2" and e.value.field == "ill_answer_length.all_count"
    res = pc.predictions(bad, LoadOptions(skip_invalid=True))
    assert len(res.records) == 1 and res.skipped[0]["row"] == "line 2"
    assert outcome(res.records[0]) == {
        "valid": False,
        "active": 1,
        "passive": None,
        "normal_correct": None,
        "empty_answer": False,
        "judge_invalid": True,  # the passive judgement does not parse
        "active_empty_as_not_found": 1,
        "passive_empty_as_not_found": None,
    }
    with pytest.raises(DataError, match="not in the problem file"):
        pc.predictions(bad, LoadOptions(data=str(_problems(tmp_path, [_problem("1", "contra_infer_insert")]))))


# ----------------------------------------------------------------------------- prompts and parsers


def test_prompts_and_parsers() -> None:
    assert P.HINT == (
        "\nCheck if there are any errors in the question's premises before answering. "
        "If there are, please report them promptly. \n"
    )
    j = P.ill_judge_prompt("Step 'x = 2' in partial solution is wrong", "RESPONSE")
    assert "it must precisely identify: \n\nStep 'x = 2' in partial solution is wrong \n\n= The specific" in j
    assert "### Response to be Evaluated\nRESPONSE\n\n### Output Format" in j and j.startswith("\nPlease act")
    assert '{\n    "if_find_contradiction": "True/False",' in j
    assert P.conflict_place("flawed_solution_completion", {"recomposed_premise": "a+b"}) == (
        "Step 'a+b' in partial solution is wrong"
    )
    assert P.conflict_place("contra_premise_insert", {"conflict_reason": "r"}) == "r"
    ok = 'Sure.\n```json\n{"if_find_contradiction": "True", "basis": "b"}\n```'
    assert P.extract_json_data(ok) == ({"if_find_contradiction": "True", "basis": "b"}, None)
    assert P.extract_json_data('{"if_find_contradiction": "True"}')[0] is None  # no fenced block: failed
    assert P.extract_json_data("```json\n{oops}\n```")[1].startswith("invalid JSON")
    assert [
        P.contradiction_found(x) for x in ({"if_find_contradiction": "False"}, {"if_find_contradiction": ""}, {})
    ] == [
        False,
        None,
        None,
    ]
    assert P.normal_correct("True\n") is True and P.normal_correct("Correct") is None
    assert P.extract_after_think("<think>a</think>x</think>  final") == "final"
    assert P.extract_after_think("  plain  ") == "plain"


# ----------------------------------------------------------------------------- protocol with a fake context


def _problem(pid: str, ctype: str) -> dict[str, Any]:
    return {
        "pid": pid,
        "normal_query": f"Q{pid} normal",
        "ill_query": f"Q{pid} flawed",
        "conflict_type": ctype,
        "difficulty": "hard",
        "conflict": {"conflict_reason": f"reason {pid}", "recomposed_premise": f"step {pid}"},
        "meta_info": {"final_answer": "42"},
    }


def _problems(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    p = tmp_path / "dataset.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


class FakeCtx:
    def __init__(self, judge: bool = True) -> None:
        self.spec = "fake:model"
        self.judge_spec = "fake:judge" if judge else None
        self.seed, self.options = 0, {}
        self.sampling = SamplingConfig(temperature=0.7, max_tokens=64, seed=0)
        self.judge_sampling = SamplingConfig(temperature=0.0, max_tokens=512)
        self.model_prompts: list[str] = []
        self.judge_prompts: list[str] = []
        self.model_sampling: set[SamplingConfig] = set()
        self.judge_samplings: set[SamplingConfig] = set()

    def generate(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        out = []
        for r in reqs:
            q = r.prompt[0].text()
            self.model_prompts.append(q)
            self.model_sampling.add(r.sampling)
            text = "<think>hmm</think>The premise is contradictory." if "Q1 flawed" in q else "Answer: 42"
            text = "<think>only thinking</think>  " if "Q3 flawed" in q else text  # an empty answer
            text += " (checked)" if q.endswith(P.HINT) else ""
            out.append(Generation((text,), 0, len(q), 0.0, ("stop",)))  # completion tokens: len(query)
        return out

    def judge_generate(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        out = []
        for r in reqs:
            p = r.prompt[0].text()
            self.judge_prompts.append(p)
            self.judge_samplings.add(r.sampling)
            if "reason 1" in p:
                text = '```json\n{"if_find_contradiction": "True", "basis": "named it"}\n```'
            elif "step 2" in p and "(checked)" not in p:
                text = "no json here"
            else:
                text = '```json\n{"if_find_contradiction": "False", "basis": "no"}\n```'
            if "### Correct Answer" in p:
                text = "True"
            out.append(Generation((text,), 0, 1, 0.0, ("stop",)))
        return out


def test_protocol_with_fake_context(tmp_path: Path) -> None:
    data = _problems(tmp_path, [_problem("1", "contra_infer_insert"), _problem("2", "flawed_solution_completion")])
    loaded = pc.load(LoadOptions(data=str(data)))
    assert [s.id for s in loaded.samples] == ["1", "2"]
    ctx = FakeCtx()
    recs = pc.run_with(loaded.samples, ctx, "/no_think", judge_normal=True)
    assert ctx.model_prompts[:3] == ["/no_thinkQ1 normal", "/no_thinkQ1 flawed", "/no_thinkQ1 flawed" + P.HINT]
    r1, r2 = recs
    assert r1["answers"]["ill"]["answer"] == "The premise is contradictory."  # after </think>
    assert r1["active"]["found"] is True and r1["passive"]["found"] is True
    assert r2["active"]["found"] is None and r2["active"]["error"] == "no ```json block"
    assert r2["passive"]["found"] is False
    assert r1["lengths"]["ill_with_hint"] == len("/no_thinkQ1 flawed" + P.HINT)  # completion tokens
    assert r1["normal"]["correct"] is True  # judged: not an irr_query_distraction problem
    assert any("Step 'step 2' in partial solution is wrong" in p for p in ctx.judge_prompts)
    for r in recs:
        r["outcome"] = outcome(r)
    m = aggregate(recs, 0, 100)
    assert m["counts"]["invalid_format"] == 1 and m["overall"]["value"] == 1.0 and m["overall"]["n"] == 1
    with pytest.raises(ValueError, match="--judge-model"):
        pc.run_with(loaded.samples, FakeCtx(judge=False), "", False)
    # the model under evaluation samples with the run's settings, the judge with its own (greedy, 512)
    assert ctx.model_sampling == {ctx.sampling} and ctx.judge_samplings == {ctx.judge_sampling}


def test_empty_answers_are_counted_apart_from_judge_failures(tmp_path: Path) -> None:
    rows = [_problem("1", "contra_infer_insert"), _problem("2", "flawed_solution_completion")]
    rows.append(_problem("3", "contra_premise_insert"))  # both flawed-query answers empty: never judged
    loaded = pc.load(LoadOptions(data=str(_problems(tmp_path, rows))))
    ctx = FakeCtx()
    recs = pc.run_with(loaded.samples, ctx, "", judge_normal=False)
    r3 = recs[2]
    assert r3["active"]["empty_answer"] is True and r3["active"]["error"] == "empty answer: not judged"
    assert not any("Q3" in p for p in ctx.judge_prompts)
    assert recs[1]["active"]["empty_answer"] is False and recs[1]["active"]["found"] is None  # judge failure
    for r in recs:
        r["outcome"] = outcome(r)
    assert [(r["outcome"]["empty_answer"], r["outcome"]["judge_invalid"]) for r in recs] == [
        (False, False),
        (False, True),
        (True, False),
    ]
    m = aggregate(recs, 0, 50)
    assert m["counts"]["invalid_format"] == 2 and m["counts"]["empty_answer"] == 1 and m["counts"]["judge_invalid"] == 1
    # the authors' rate: over item 1 only (1/1); empty as not found: items 1 and 3 (item 2's judge failed)
    assert m["overall"]["value"] == 1.0 and m["extra"]["rates"]["active_recognition_rate"]["value"] == 1.0
    r = m["extra"]["rates"]["active_recognition_rate_empty_as_not_found"]
    assert r["value"] == 0.5 and r["n"] == 2
    assert m["extra"]["rates"]["passive_recognition_rate_empty_as_not_found"]["value"] == 0.5
    # released rows (judged by the authors, no answer text) have no empty answers
    assert outcome(rec("9", "contra_infer_insert", True, False, (1, 1, 1)))["empty_answer"] is False


def test_problem_file_errors(tmp_path: Path) -> None:
    bad = _problem("7", "contra_infer_insert")
    bad["difficulty"] = "easy"
    p = _problems(tmp_path, [_problem("1", "contra_infer_insert"), bad])
    with pytest.raises(DataError) as e:
        pc.load(LoadOptions(data=str(p)))
    assert e.value.location == "line 2" and e.value.field == "difficulty"
    bad = _problem("8", "contra_premise_insert")
    del bad["conflict"]["conflict_reason"]
    with pytest.raises(DataError, match="conflict.conflict_reason"):
        pc.load(LoadOptions(data=str(_problems(tmp_path, [bad]))))


def test_options_and_score_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    assert get("pcbench").with_options({"judge_normal": "true", "prefix": "/no_think"}).name == "pcbench"
    with pytest.raises(ValueError, match="judge_normal"):
        get("pcbench").with_options({"judge_normal": "yes"})
    out = tmp_path / "scored"
    meta = release_layout(tmp_path)
    args = ["score", "pcbench", "--predictions", str(result("gpt-4o")), "--data", str(meta), "--out", str(out), "-q"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["overall"]["value"] == 0.11
    assert rescore(view)[1] == []
