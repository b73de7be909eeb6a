"""VLRMBench (text side): prompts, the authors' 0/1 parse, weighted F1 (both weightings) on hand cases,
Forecasting Future and Multi-Solution rules, image handling, released outputs, and the real slices."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import vlrmbench as v
from assay.benchmarks.registry import LoadOptions, get
from assay.critics import vlrm_metrics as vm
from assay.critics import vlrm_prompts as vp
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.samples import Item
from conftest import shared_data

# ---------------------------------------------------------------- prompts and parsing


def test_step_prompts_keep_the_authors_text() -> None:
    p = vp.STEP_PROMPTS["location_error"]
    assert p.startswith(
        "## Task Description\nBased on the provided image, question and AI assistant's reasoning process, your task "
        "is to identify the steps that contains location errors in the reasoning process.\n\n## Instructions\n"
        "- There is at least one error in the reasoning process.\n"
    )
    assert "0 indicates that the step does not contain errors, and 1 indicates that the step contains errors. \n" in p
    assert p.endswith("[Indicator for STEP 1, Indicator for STEP 2, ..., Indicator for STEP N]\n\n## Your Output: \n")
    # the authors' line continuation glues two instructions together in detail_error
    assert "symbols are wrong - You need to assign" in vp.STEP_PROMPTS["detail_error"]
    assert "does not contain redundancy, and 1 indicates" in vp.STEP_PROMPTS["redundant_det"]
    assert vp.STEP_PROMPTS["most_confidence"] == vp.STEP_PROMPTS["step_correctness"]
    assert vp.FORESIGHT_PROMPT.endswith("## Only output Yes or No without additional explanation: \n")


@pytest.mark.parametrize(
    ("answer", "n", "expected"),
    [
        ("[0, 1, 0]", 3, [0, 1, 0]),
        ("[0, 1, 2, 0]", 3, [0, 1, 1]),  # values other than 0/1 become 1, then truncated
        ("[1,0]", 4, [1, 0, 0, 0]),  # padded with 0
        ("I cannot tell.", 2, [0, 0]),
        ("STEP1: 0, STEP2: 1", 2, [1, 0]),  # every digit run counts, step numbers included (authors' rule)
        (None, 2, [0, 0]),
    ],
)
def test_parse_steps(answer: str | None, n: int, expected: list[int]) -> None:
    assert vm.parse_steps(answer, n) == expected


def test_f1_weightings_hand_computed() -> None:
    # gt [1,0,0,0], pred [1,1,0,0]: TP 1, FP 1, FN 0, TN 2
    counts = vm.confusion([1, 1, 0, 0], [1, 0, 0, 0])
    assert counts == [1, 1, 0, 2]
    sup = vm.f1_scores(counts, "support")
    f1_pos, f1_neg = 2 / 3, 4 / 5  # 2TP/(2TP+FP+FN), 2TN/(2TN+FP+FN)
    assert float(sup["f1_pos"]) == pytest.approx(f1_pos) and float(sup["f1_neg"]) == pytest.approx(f1_neg)
    assert float(sup["f1_w"]) == pytest.approx(0.25 * f1_pos + 0.75 * f1_neg)  # n_pos 1, n_neg 3
    assert float(vm.f1_scores(counts, "authors")["f1_w"]) == pytest.approx(0.75 * f1_pos + 0.25 * f1_neg)
    # zero denominators: no positive label and none predicted -> F1_pos 0 (sklearn's zero_division)
    z = vm.f1_scores([0, 0, 0, 3], "support")
    assert float(z["f1_pos"]) == 0.0 and float(z["f1_neg"]) == 1.0 and float(z["f1_w"]) == 1.0
    assert float(vm.f1_scores([0, 0, 0, 3], "authors")["f1_w"]) == 0.0  # all weight on the empty class
    with pytest.raises(ValueError, match="weighting"):
        vm.f1_scores(counts, "macro")


def test_foresight_and_multi_solution_rules() -> None:
    assert vm.foresight_correct("Yes.", True) and not vm.foresight_correct("No", True)
    assert vm.foresight_correct("Yes, no doubt", False)  # a word match anywhere counts (authors' regex)
    assert not vm.foresight_correct("Yesterday", True)  # word boundaries
    assert vm.parse_pair("[8, 3]") == [8, 3]
    assert vm.parse_pair("Response 1: 8, Response 2: 3") == [2, 3]  # the LAST two numbers
    assert vm.parse_pair(None) == [0, 0] and vm.parse_pair("7") == [7, 0]
    rec = {"kind": "vlrm_multi_solution", "answer_front": "[8, 3]", "answer_back": "[2, 9]"}
    assert v.outcome(rec)["correct"] is True  # 8 + 9 > 3 + 2
    rec = {"kind": "vlrm_multi_solution", "answer_front": "[5, 5]", "answer_back": "[5, 5]"}
    assert v.outcome(rec)["correct"] is False  # a tie is wrong
    assert v.outcome({"kind": "vlrm_multi_solution", "answer_front": "9", "answer_back": None})["valid"] is False
    fo = v.outcome({"kind": "vlrm_foresight", "task_gt": True, "answer": "Maybe."})
    assert fo == {"correct": False, "valid": False}


# ---------------------------------------------------------------- aggregate on hand records


def _step(i: int, subset: str, gt: list[int], answer: str | None) -> dict[str, Any]:
    return {"id": f"{subset}{i}", "subset": subset, "kind": "vlrm_steps", "task_gt": gt, "answer": answer}


def test_aggregate_pools_steps_and_counts_invalid() -> None:
    recs = [
        _step(0, "location_error", [1, 0, 0], "[1, 1, 0]"),  # TP1 FP1 TN1
        _step(1, "location_error", [0, 1], "nothing"),  # invalid -> [0, 0]: FN1 TN1
    ]
    m = v.aggregate(recs, seed=0, n_boot=100)  # records without "weighting": the authors' (the default)
    t = m["tasks"]["location_error"]
    # pooled: TP 1, FP 1, FN 1, TN 2 -> F1_pos 2/4, F1_neg 4/6; n_pos 2, n_neg 3
    assert t["f1_pos"]["value"] == pytest.approx(0.5) and t["f1_neg"]["value"] == pytest.approx(2 / 3)
    # authors (get_F1Score): (n_pos/N) F1_neg + (n_neg/N) F1_pos = 0.4 * 2/3 + 0.6 * 0.5 = 17/30
    assert t["f1_w"]["value"] == pytest.approx(17 / 30)
    assert t["f1_w_support"]["value"] == pytest.approx(0.4 * 0.5 + 0.6 * 2 / 3)  # 3/5, also reported
    assert t["invalid"] == 1 and t["n_steps"] == 5 and t["n_error_steps"] == 2
    assert m["overall"]["value"] == pytest.approx(17 / 30) and m["extra"]["weighting"] == "authors"
    support = v.aggregate([dict(r, weighting="support") for r in recs], 0, 100)
    assert support["overall"]["value"] == pytest.approx(3 / 5)
    assert support["tasks"]["location_error"]["f1_w_authors"]["value"] == pytest.approx(17 / 30)


def test_default_weighting_is_the_authors() -> None:
    assert v.Config().weighting == "authors"
    assert float(vm.f1_scores([1, 1, 0, 2])["f1_w"]) == pytest.approx(0.75 * 2 / 3 + 0.25 * 4 / 5)
    item = _item("location_error", reasoning_error="STEP1: x\nSTEP2: y", task_gt=[0, 1])
    (rec,) = get("vlrmbench").run([item], FakeCtx(["[0, 1]"], text_only=False))  # type: ignore[misc]
    assert rec["weighting"] == "authors"
    assert (
        get("vlrmbench")
        .with_options({"weighting": "support"})
        .run(  # type: ignore[misc]
            [item], FakeCtx(["[0, 1]"], text_only=False)
        )[0]["weighting"]
        == "support"
    )


def test_outcome_tasks_only_give_mean_accuracy() -> None:
    recs = [
        {"id": "f0", "subset": "foresight", "kind": "vlrm_foresight", "task_gt": True, "answer": "Yes"},
        {"id": "f1", "subset": "foresight", "kind": "vlrm_foresight", "task_gt": False, "answer": "Yes"},
        {
            "id": "m0",
            "subset": "multi_solution",
            "kind": "vlrm_multi_solution",
            "answer_front": "[9,1]",
            "answer_back": "[1,9]",
        },  # fmt: skip
    ]
    m = v.aggregate(recs, 0, 50)
    assert m["subsets"]["foresight"]["value"] == 0.5 and m["subsets"]["multi_solution"]["value"] == 1.0
    assert m["overall"]["value"] == pytest.approx(0.75) and m["extra"]["overall_over"] == [
        "foresight",
        "multi_solution",
    ]


# ---------------------------------------------------------------- run: images


@dataclass
class FakeCtx:
    answers: list[str]
    text_only: bool = True
    spec: str = "fake"
    seed: int = 0
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_tokens=32))
    options: dict[str, str] = field(default_factory=dict)
    seen: list[GenerateRequest] = field(default_factory=list)

    def generate(self, requests: list[GenerateRequest]) -> list[Generation]:
        if self.text_only and any(m.has_image() for r in requests for m in r.prompt):
            raise ValueError("text-only model: the prompt holds an image part")  # what hf_common says
        self.seen.extend(requests)
        return [Generation((a,), 1, 1, 0.0, ("stop",)) for a in self.answers[: len(requests)]]


def _item(task: str, **data: Any) -> Item:
    base = {"task": task, "question": "Q?", "images": ["a/1.jpg"]}
    return Item(f"{task}-1", base | data, {"subset": task})


def test_text_only_model_gets_a_clear_error_and_placeholder_runs_blind() -> None:
    item = _item("location_error", reasoning_error="STEP1: x\nSTEP2: y", task_gt=[0, 1])
    with pytest.raises(ValueError, match="images=placeholder"):
        get("vlrmbench").run([item], FakeCtx(["[0, 1]"]))  # type: ignore[misc]
    # a (pretend) vision model receives the image part first, then the prompt text
    ctx = FakeCtx(["[0, 1]"], text_only=False)
    recs = get("vlrmbench").run([item], ctx)  # type: ignore[misc]
    parts = ctx.seen[0].prompt[0].content
    assert parts[0].type == "image" and parts[0].image_path == "a/1.jpg" and "STEP2: y" in (parts[1].text or "")
    assert recs[0]["answer"] == "[0, 1]" and v.outcome(recs[0])["counts"] == [1, 0, 0, 1]
    blind = get("vlrmbench").with_options({"images": "placeholder"})
    ctx = FakeCtx(["[1, 1]"])
    recs = blind.run([item], ctx)  # type: ignore[misc]
    assert ctx.seen[0].prompt[0].content[0].text == "[image]" and recs[0]["images_mode"] == "placeholder"
    for r in recs:
        r["outcome"] = v.outcome(r)
    assert blind.aggregate(recs, 0, 20)["extra"]["blind"] is True


def test_multi_solution_asks_both_orders_and_foresight_formats_a_list() -> None:
    ms = _item("multi_solution", step_list=["STEP1: good"], reasoning_error="STEP1: bad")
    fo = _item("foresight", task_gt=False, reasoning_process=["STEP1: a", "STEP2: b"])
    ctx = FakeCtx(["[9, 2]", "[3, 8]", "No."], text_only=False)
    recs = get("vlrmbench").run([ms, fo], ctx)  # type: ignore[misc]
    front, back = (r.prompt[0].content[-1].text or "" for r in ctx.seen[:2])
    assert front.index("['STEP1: good']") < front.index("STEP1: bad")  # response 1 = step_list (str.format)
    assert back.index("STEP1: bad") < back.index("['STEP1: good']")
    assert "['STEP1: a', 'STEP2: b']" in (ctx.seen[2].prompt[0].content[-1].text or "")
    assert [v.outcome(r)["correct"] for r in recs] == [True, True]


# ---------------------------------------------------------------- real slices and released outputs


def test_real_slices_load() -> None:
    data = shared_data("vlrmbench")
    res = get("vlrmbench").load(LoadOptions(data=str(data)))
    by: dict[str, list[Item]] = {}
    for s in res.samples:
        assert isinstance(s, Item)
        by.setdefault(s.subset, []).append(s)
    assert {k: len(x) for k, x in by.items()} == {"image_ref_error": 58, "location_error": 126}
    steps = sum(len(s.data["task_gt"]) for s in by["location_error"])
    errors = sum(sum(s.data["task_gt"]) for s in by["location_error"])
    assert (steps, errors) == (1676, 206)
    one = get("vlrmbench").load(LoadOptions(data=str(data / "image_ref_error.jsonl"), limit=3))
    assert len(one.samples) == 3 and all(len(s.data["images"]) >= 1 for s in one.samples)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="--data"):
        get("vlrmbench").load(LoadOptions())


def test_image_root_checks_the_files(tmp_path: Path) -> None:
    from assay.data.rows import DataError

    data = shared_data("vlrmbench", "location_error.jsonl")
    bench = get("vlrmbench").with_options({"image_root": str(tmp_path)})
    with pytest.raises(DataError, match="no such image file"):
        bench.load(LoadOptions(data=str(data), limit=1))


def test_released_outputs_score_and_rescore(tmp_path: Path) -> None:
    from assay.protocol_runner import score_predictions
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    d = tmp_path / "eval_res" / "location_error"
    d.mkdir(parents=True)
    rows = [
        {"id": "a", "task_gt": [1, 0, 0], "model_answer": "[1, 1, 0]"},
        {"id": "b", "task_gt": [0, 1], "model_answer": None},  # the authors' script drops this row; we count it
    ]
    (d / "qvq_72b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    f = tmp_path / "eval_res" / "foresight"
    f.mkdir()
    (f / "qvq_72b.jsonl").write_text(json.dumps({"id": "c", "task_gt": True, "model_answer": "Yes"}) + "\n")
    run = score_predictions("vlrmbench", tmp_path / "eval_res", out=str(tmp_path / "run"), n_boot=100)
    t = run.metrics["tasks"]["location_error"]
    assert t["f1_w"]["value"] == pytest.approx(0.6 * 0.5 + 0.4 * 2 / 3) and t["invalid"] == 1  # authors'
    assert run.metrics["tasks"]["foresight"]["accuracy"]["value"] == 1.0
    assert run.metrics["overall"]["value"] == pytest.approx(t["f1_w"]["value"])  # step tasks only
    assert rescore(load_run(run.path))[1] == []
    support = score_predictions(
        "vlrmbench", d / "qvq_72b.jsonl", out=str(tmp_path / "r2"), options={"weighting": "support"}, n_boot=50
    )
    assert support.metrics["overall"]["value"] == pytest.approx(0.4 * 0.5 + 0.6 * 2 / 3)
    assert not math.isnan(support.metrics["tasks"]["location_error"]["f1_pos"]["value"])


@pytest.mark.slow
def test_embedded_text_model_is_refused_clearly(tmp_path: Path, cache_dir: Path) -> None:
    import assay

    with pytest.raises(ValueError, match="takes text only"):
        assay.evaluate(
            "vlrmbench",
            "hfgen:default",
            data=str(shared_data("vlrmbench")),
            subsets=("location_error",),
            limit=1,
            max_tokens=8,
            out=str(tmp_path / "run"),
            cache_dir=str(cache_dir),
        )
