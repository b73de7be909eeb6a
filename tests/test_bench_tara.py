"""TARA: loader (errors name file, row, field), the tool-augmented judge protocol driven by a scripted fake
model (live / oracle / none, malformed actions, unknown tools, failures), the authors' accuracy rule,
tara-rm through the scalar path, tara-exec in the sandbox, and one run on the embedded model + rescore."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import registry, tara
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.records.rescore import rescore
from assay.records.rundir import load_run
from assay.samples import Item, Pair, Prompt
from conftest import shared_data

CHECK_RUN = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


@dataclass
class FakeCtx:
    """A RunContext stand-in: ``script(prompt)`` writes each generation; every call is logged."""

    script: Callable[[Prompt], str]
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_tokens=64))
    seed: int = 0
    options: dict[str, str] = field(default_factory=dict)
    batches: list[list[Prompt]] = field(default_factory=list)

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        self.batches.append([r.prompt for r in requests])
        return [Generation((self.script(r.prompt),), 1, 1, 0.0, ("stop",)) for r in requests]


def answer_of(prompt: Prompt) -> str:
    return prompt[0].text().split("\nAnswer: ", 1)[1].split("\n\nTool calls", 1)[0]


def items(subsets: tuple[str, ...], limit: int | None = None) -> list[Item]:
    res = tara.load_items(LoadOptions(data=str(shared_data("themis_tara")), subsets=subsets, limit=limit))
    return [s for s in res.samples if isinstance(s, Item)]


def run_bench(samples: list[Item], ctx: FakeCtx, **opts: str) -> list[dict[str, Any]]:
    bench = registry.get("tara").with_options(opts)
    assert bench.run is not None
    records = bench.run(samples, ctx)  # type: ignore[arg-type]
    for rec in records:
        rec["outcome"] = bench.outcome(rec)
    return records


# -------------------------------------------------------------------------------------------- loader


def test_loader_reads_all_seven_tools() -> None:
    res = tara.load_items(LoadOptions(data=str(shared_data("themis_tara"))))
    counts: dict[str, int] = {}
    for s in res.samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == {
        "calculator": 154,
        "calendar": 106,
        "code": 189,
        "multi_tools": 144,
        "translator": 300,
        "weather": 158,
        "wikisearch": 284,
    }
    by_id = {s.id: s for s in res.samples}
    cal = by_id["calendar:calendar_test_0"]
    assert cal.data["pos"]["steps"] == [
        {
            "thought": "I need to search what day of the week is 2015-03-24.",
            "action": "Calendar.week_day",
            "action_input": "2015-03-24",
            "observation": "Tuesday",
        }
    ]
    assert (cal.data["pos"]["score"], cal.data["neg"]["score"]) == (1.0, -1.0) and tara.label(cal)
    assert len(by_id["multi_tools:multi_tools_test_0"].data["neg"]["steps"]) == 2
    assert by_id["translator:mlqa_test_0"].data["context"].startswith("Semerkhet's burial site")
    assert len(by_id["code:code_train_0"].data["test_list"]) == 3
    one = tara.load_items(LoadOptions(data=str(shared_data("themis_tara", "weather")), limit=3))
    assert [s.id for s in one.samples] == ["weather:weather_test_0", "weather:weather_test_1", "weather:weather_test_2"]
    with pytest.raises(ValueError, match="unknown subset"):
        tara.load_items(LoadOptions(data=str(shared_data("themis_tara")), subsets=("webgpt",)))


def _row(**over: Any) -> dict[str, Any]:
    side = {
        "answer": "2015-03-24 is Tuesday",
        "score": 1.0,
        "actions": {
            "Thought": "t",
            "Action": "Calendar.week_day",
            "Action Input": "2015-03-24",
            "Observation": "Tuesday",
        },
        "score_agent": {"explanation": "ok", "score": "1.0"},
    }
    row = {
        "id": "calendar_test_0",
        "question": "Which day is 2015-03-24?",
        "pos_answer": side,
        "neg_answer": {**side, "answer": "2015-03-24 is Sunday", "score": -1.0},
    }
    row.update(over)
    return row


@pytest.mark.parametrize(
    ("change", "field_name", "message"),
    [
        (lambda r: r.pop("question"), "question", "missing"),
        (lambda r: r["pos_answer"].update(score="high"), "pos_answer.score", "expected a finite number"),
        (lambda r: r["neg_answer"].pop("answer"), "neg_answer.answer", "missing"),
        (lambda r: r["pos_answer"]["actions"].pop("Observation"), "pos_answer.actions.Observation", "missing"),
        (lambda r: r["pos_answer"].update(actions="no steps here"), "pos_answer.actions", "no 'Thought"),
        (lambda r: r["pos_answer"].update(actions=3), "pos_answer.actions", "dict or a string"),
        (lambda r: r["pos_answer"].update(score_agent={"score": "1"}), "pos_answer.score_agent.explanation", "missing"),
    ],
)
def test_loader_errors_name_file_row_and_field(tmp_path: Path, change: Callable, field_name: str, message: str) -> None:
    folder = tmp_path / "calendar"
    folder.mkdir()
    bad = _row(id="calendar_test_1")
    change(bad)
    path = folder / "agent_calendar_test.json"
    path.write_text(json.dumps(_row()) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError) as err:
        tara.load_items(LoadOptions(data=str(tmp_path)))
    e = err.value
    assert (e.source, e.location, e.field) == (str(path), "line 2", field_name)
    assert message in e.message
    skipped = tara.load_items(LoadOptions(data=str(tmp_path), skip_invalid=True))
    assert [s.id for s in skipped.samples] == ["calendar:calendar_test_0"]
    assert skipped.skipped[0]["row"] == "line 2" and skipped.skipped[0]["field"] == field_name


def test_loader_code_rows_need_tests_and_files_need_a_tool_name(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    path = tmp_path / "code" / "reserve_code_test_data.json"
    path.write_text(json.dumps(_row(id="code_train_0")) + "\n")
    with pytest.raises(DataError, match="line 1: field 'test_list'"):
        tara.load_items(LoadOptions(data=str(tmp_path)))
    stray = tmp_path / "mine.json"
    stray.write_text(json.dumps(_row()) + "\n")
    with pytest.raises(DataError, match="cannot tell the tool"):
        tara.load_items(LoadOptions(data=str(stray)))
    with pytest.raises(DataError, match="no TARA test file"):
        tara.load_items(LoadOptions(data=str(tmp_path / "code" / ".." / "..")))
    with pytest.raises(ValueError, match="--data"):
        tara.load_items(LoadOptions())


# ------------------------------------------------------------------------------------------ protocol


def weekday_judge(prompt: Prompt) -> str:
    """Asks the calendar, then scores 1 when the observed weekday is in the answer, else -1."""
    if len(prompt) == 1:
        return "Thought: check the day\nAction: Calendar.week_day\nAction Input: 2015-03-24\nObservation: Friday"
    observed = prompt[-1].text().removeprefix("Observation: ")
    good = observed in answer_of(prompt)
    return f"Rationale: the tool says {observed}.\nScore: {1 if good else -1}"


def test_live_judge_runs_the_tool_and_feeds_back_the_real_observation() -> None:
    ctx = FakeCtx(weekday_judge)
    [rec] = run_bench(items(("calendar",), 1), ctx)
    pos, neg = rec["judge"]["pos"], rec["judge"]["neg"]
    assert [len(b) for b in ctx.batches] == [2, 2]  # both answers advance together, one call per round
    second = ctx.batches[1][0]
    assert second[1].role == "assistant" and "Friday" not in second[1].text()  # the invented observation is cut
    assert second[2].text() == "Observation: Tuesday"  # the tool's, not the model's
    assert pos["steps"][0]["kind"] == "action" and pos["steps"][0]["observation"] == "Tuesday"
    assert (pos["score"], neg["score"], pos["valid"], neg["valid"]) == (1.0, -1.0, True, True)
    assert pos["n_generations"] == 2 and pos["rationale"] == "the tool says Tuesday."
    assert rec["outcome"] == {"credit": 1.0, "correct": 1, "failed": False, "tie": False, "pred": True}
    assert "Calendar.week_day" in pos["prompt"][0]["content"] and "wiki_search" in rec["tools"]


def test_malformed_actions_and_unknown_tools_are_recorded_not_fatal() -> None:
    def script(prompt: Prompt) -> str:
        if "Tuesday" not in answer_of(prompt):
            return "Rationale: wrong day\nScore: -1"
        return [
            "Thought: x\nAction: calculator\n",
            "Action: searcher\nAction Input: 2015-03-24",
            "Rationale: fine\nScore: 1",
        ][len(prompt) // 2]

    [rec] = run_bench(items(("calendar",), 1), FakeCtx(script))
    steps = rec["judge"]["pos"]["steps"]
    assert [s["error"] for s in steps] == ["malformed_action", "unknown_tool"]
    assert steps[0]["observation"].startswith("Malformed action") and "calculator" in steps[1]["observation"]
    assert rec["judge"]["pos"]["score"] == 1.0 and rec["outcome"]["correct"] == 1
    metrics = tara.aggregate([rec], 0, 50)
    assert metrics["extra"]["tools"]["errors"] == {"malformed_action": 1, "unknown_tool": 1}
    assert metrics["extra"]["tools"]["calls"] == {"searcher": 1}


def test_failed_generations_and_ties_count_as_wrong() -> None:
    samples = items(("calendar",), 4)
    which = {(i, side): s.data[side]["answer"] for i, s in enumerate(samples) for side in ("pos", "neg")}
    replies = {
        (0, "pos"): "Score: 1",
        (0, "neg"): "I cannot decide.",  # no score: the pair fails
        (1, "pos"): "Score: 0.5",
        (1, "neg"): "Score: 0.5",  # a tie
        (2, "pos"): "Action: Calendar.week_day\nAction Input: 2015-03-24",  # never finishes
        (2, "neg"): "Score: -1",
        (3, "pos"): "Score: 0.9",
        (3, "neg"): "Score: 0.1",
    }

    def script(prompt: Prompt) -> str:
        key = next(k for k, answer in which.items() if answer == answer_of(prompt))
        return replies[key]

    records = run_bench(samples, FakeCtx(script), max_steps="2")
    o = [r["outcome"] for r in records]
    assert [x["failed"] for x in o] == [True, False, True, False]
    assert [x["credit"] for x in o] == [0.0, 0.0, 0.0, 1.0]
    assert o[1]["tie"] and not o[0]["tie"]
    assert records[0]["judge"]["neg"]["reason"] == "no score"
    stuck = records[2]["judge"]["pos"]
    assert stuck["reason"] == "no score after 2 rounds (max_steps)" and len(stuck["steps"]) == 2
    assert stuck["n_generations"] == 2 and stuck["raw"] is None
    m = tara.aggregate(records, 0, 100)
    assert m["overall"]["value"] == 0.25 and m["counts"]["ties"] == 1
    assert m["extra"]["failed"] == {"calendar": 2}


def test_oracle_and_none_modes() -> None:
    seen: list[str] = []

    def script(prompt: Prompt) -> str:
        seen.append(prompt[0].text())
        return "Rationale: as observed\nScore: 1" if "Tuesday" in answer_of(prompt) else "Score: -1"

    [rec] = run_bench(items(("calendar",), 1), FakeCtx(script), observations="oracle")
    assert rec["mode"] == "oracle" and rec["tools"] == [] and rec["outcome"]["correct"] == 1
    assert "Observation: Tuesday" in seen[0] and "Action: Calendar.week_day" in seen[0] and "Tools:" not in seen[0]
    assert rec["judge"]["pos"]["steps"] == [] and rec["judge"]["pos"]["n_generations"] == 1
    seen.clear()
    # multi-step traces are given whole
    [multi] = run_bench(items(("multi_tools",), 1), FakeCtx(lambda p: "Score: 0"), observations="oracle")
    assert "Observation: 2023-06-13" in multi["judge"]["pos"]["prompt"][0]["content"]
    assert "humidity: 32.0" in multi["judge"]["pos"]["prompt"][0]["content"] and multi["outcome"]["tie"]
    [plain] = run_bench(items(("calendar",), 1), FakeCtx(script), observations="none")
    assert "Observation" not in plain["judge"]["pos"]["prompt"][0]["content"]
    assert "Tools:" not in plain["judge"]["pos"]["prompt"][0]["content"]
    # in oracle/none mode an action in the output is not run: the output is final (no score: failed)
    [no_tools] = run_bench(
        items(("calendar",), 1), FakeCtx(lambda p: "Action: calculator\nAction Input: 1"), observations="none"
    )
    assert no_tools["judge"]["pos"]["steps"] == [] and no_tools["outcome"]["failed"]


def test_options_are_validated() -> None:
    bench = registry.get("tara")
    for bad in (
        {"observations": "cheat"},
        {"max_steps": "0"},
        {"max_steps": "x"},
        {"action_input": "all"},
        {"temperature": "1"},
    ):
        with pytest.raises(ValueError):
            bench.with_options(bad)


def test_records_do_not_depend_on_batch_order_or_company() -> None:
    samples = items(("calculator", "calendar", "weather"), 2)

    def script(prompt: Prompt) -> str:
        if len(prompt) == 1:
            return "Thought: check\nAction: calculator\nAction Input: <<1+1=2>>2"
        return f"Score: {len(prompt[-1].text()) % 7}"

    full = {r["id"]: r for r in run_bench(samples, FakeCtx(script))}
    part = {r["id"]: r for r in run_bench(list(reversed(samples[1:4])), FakeCtx(script))}
    for rid, rec in part.items():
        assert rec == full[rid]


def test_outcome_follows_the_label_from_the_data() -> None:
    def rec(label: bool, sp: float | None, sn: float | None) -> dict[str, Any]:
        return {"label": label, "judge": {"pos": {"score": sp}, "neg": {"score": sn}}}

    assert tara.outcome(rec(True, 0.9, 0.1))["credit"] == 1.0
    assert tara.outcome(rec(False, 0.1, 0.9))["credit"] == 1.0  # the data prefers neg; so does the judge
    assert tara.outcome(rec(False, 0.9, 0.1))["credit"] == 0.0
    assert tara.outcome(rec(False, None, 0.1)) == {
        "credit": 0.0,
        "correct": 0,
        "failed": True,
        "tie": False,
        "pred": True,
    }
    assert tara.outcome(rec(True, 0.5, 0.5))["credit"] == 0.0  # tie: pred False, the data says pos
    assert tara.outcome(rec(False, 0.5, 0.5))["credit"] == 1.0  # tie: pred False, and so is the label


def test_equal_data_scores_are_kept_with_label_false(tmp_path: Path) -> None:
    """collect_labels_preds: label = pos.score > neg.score, so a row with equal scores is a label-False pair
    (not an error); a judge tie is then right, a judge preferring pos wrong; tara-rm chooses neg."""
    folder = tmp_path / "calendar"
    folder.mkdir()
    even = _row(id="calendar_test_1")
    even["neg_answer"]["score"] = 1.0  # same as pos
    (folder / "agent_calendar_test.json").write_text(json.dumps(_row()) + "\n" + json.dumps(even) + "\n")
    res = tara.load_items(LoadOptions(data=str(tmp_path)))
    assert [s.id for s in res.samples] == ["calendar:calendar_test_0", "calendar:calendar_test_1"]
    first, second = (s for s in res.samples if isinstance(s, Item))
    assert tara.label(first) and not tara.label(second)

    def script(prompt: Prompt) -> str:
        return "Score: 0.5"  # every answer the same score: a tie on both pairs

    records = run_bench([first, second], FakeCtx(script), observations="none")
    assert [r["label"] for r in records] == [True, False]
    assert [r["outcome"]["credit"] for r in records] == [0.0, 1.0]
    assert all(r["outcome"]["tie"] for r in records)

    pairs = registry.get("tara-rm").load(LoadOptions(data=str(tmp_path))).samples
    assert pairs[1].meta["chosen_side"] == "neg" and pairs[1].chosen == "2015-03-24 is Sunday"
    rm = registry.get("tara-rm")

    def scored(pair: Pair, c: float, r: float) -> dict[str, Any]:
        return {"id": pair.id, "subset": pair.subset, "meta": pair.meta, "scores": {"chosen": c, "rejected": r}}

    # generate_rm.py: pred = pos_rm > neg_rm. Pos chosen: chosen > rejected; neg chosen: a tie is right
    assert [rm.outcome(scored(pairs[0], c, r))["credit"] for c, r in [(2, 1), (1, 1), (1, 2)]] == [1.0, 0.0, 0.0]
    assert [rm.outcome(scored(pairs[1], c, r))["credit"] for c, r in [(2, 1), (1, 1), (1, 2)]] == [1.0, 1.0, 0.0]
    m = rm.aggregate([scored(pairs[0], 1, 1), scored(pairs[1], 1, 1)], 0, 50)
    assert m["overall"]["value"] == 0.5


# ----------------------------------------------------------------------------------- tara-rm / exec


def test_tara_rm_pairs_and_scalar_run(tmp_path: Path) -> None:
    import assay

    data = str(shared_data("themis_tara"))
    pairs = registry.get("tara-rm").load(LoadOptions(data=data, subsets=("translator", "calculator"), limit=2))
    assert all(isinstance(p, Pair) for p in pairs.samples)
    tr = next(p for p in pairs.samples if p.subset == "translator")
    assert (
        tr.prompt[0].text().startswith("Context: Semerkhet's burial site")
        and "\nQuestion: Cái gì" in tr.prompt[0].text()
    )
    assert (tr.chosen, tr.rejected) == ("tomb", "when he died")
    run = assay.evaluate(
        "tara-rm",
        "baseline:length",
        data=data,
        subsets=("translator", "calculator"),
        limit=3,
        out=str(tmp_path / "rm"),
        cache_dir=str(tmp_path / "c"),
        n_boot=100,
    )
    assert run.metrics["counts"]["items"] == 6 and set(run.metrics["subsets"]) == {"translator", "calculator"}
    assert rescore(load_run(run.path))[1] == []


def test_tara_exec_reference_judge(tmp_path: Path) -> None:
    pytest.importorskip("assay.sandbox")
    from assay.protocol_runner import score_predictions
    from assay.runner import evaluate

    code = shared_data("themis_tara", "code")
    run = score_predictions("tara-exec", code, limit=4, out=str(tmp_path / "x"), n_boot=100)
    by_id = {r["id"]: r for r in run.records}
    first = by_id["code:code_train_0"]
    assert first["scores"] == {"chosen": 1.0, "rejected": 0.0} and first["outcome"]["credit"] == 1.0
    assert first["exec"]["chosen"]["observation"] == "The pass rate is 1.0. All test cases passed."
    assert first["exec"]["rejected"]["results"][0].startswith("failed: expected an indented block")
    assert run.metrics["counts"]["items"] == 4
    assert rescore(load_run(run.path))[1] == []
    with pytest.raises(ValueError, match="assay score tara-exec"):
        evaluate("tara-exec", "baseline:length", data=str(code))


# --------------------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_tara_end_to_end_on_the_default_model(tmp_path: Path, default_model_dir: Path) -> None:
    import assay

    run = assay.evaluate(
        "tara",
        "hfgen:default",
        data=str(shared_data("themis_tara")),
        limit=2,
        subsets=("calculator",),
        max_tokens=64,
        out=str(tmp_path / "t"),
        cache_dir=str(tmp_path / "c"),
        n_boot=100,
    )
    assert run.metrics["counts"]["items"] == 2 and set(run.metrics["subsets"]) == {"calculator"}
    for rec in run.records:
        for side in ("pos", "neg"):
            ep = rec["judge"][side]
            assert ep["n_generations"] >= 1 and isinstance(ep["prompt"][0]["content"], str)
            assert ep["valid"] == (ep["score"] is not None)
            assert all(isinstance(s["raw"], str) for s in ep["steps"])
        assert rec["outcome"]["credit"] == float(rec["outcome"]["correct"])
    failed = sum(r["outcome"]["failed"] for r in run.records)
    assert run.metrics["extra"]["failed"]["calculator"] == failed
    metrics, diffs = rescore(load_run(run.path))
    assert diffs == [] and metrics["overall"] == run.metrics["overall"]
    if CHECK_RUN.exists():
        chk = subprocess.run([sys.executable, str(CHECK_RUN), str(run.path)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout


def test_tara_refuses_a_scalar_model(tmp_path: Path) -> None:
    import assay

    with pytest.raises(ValueError, match="score reward models on tara-rm"):
        assay.evaluate(
            "tara",
            "baseline:length",
            data=str(shared_data("themis_tara")),
            limit=1,
            subsets=("calendar",),
            out=str(tmp_path / "x"),
            cache_dir=str(tmp_path / "c"),
        )
