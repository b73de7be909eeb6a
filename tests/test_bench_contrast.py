"""Contrast Instructions: official JSON files, the Contrast sample and its 4 requests, consistency metrics
by hand, and the end-to-end run (needs the "contrast" dispatch in protocols/scalar.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import contrast as ci
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError
from assay.models.base import ScoreResult
from assay.samples import ContentPart, Message, prompt_to_json, user_prompt

SHARED_TOOLS = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


def item(q: str, ret: str, r1: str, r2: str) -> dict[str, str]:
    """One release object (README field names; the *_response_j are not used by the metrics)."""
    return {
        "query": q,
        "retrieval": ret,
        "query_response_k": r1,
        "query_response_j": r1 + " (worse)",
        "retrieval_response_k": r2,
        "retrieval_response_j": r2 + " (worse)",
    }


def release(tmp_path: Path) -> Path:
    d = tmp_path / "contrast_instructions"
    d.mkdir()
    wmt = [
        item("我爱猫。", "我爱狗。", "I love cats.", "I love dogs."),
        item("他很高。", "他很矮。", "He is tall.", "He is short."),
    ]
    para = [item("The sky is blue.", "The sea is blue.", "Blue is the sky.", "Blue is the sea.")]
    (d / "wmt_contrast.json").write_text(json.dumps(wmt, ensure_ascii=False, indent=4))
    (d / "para_contrast.json").write_text(json.dumps(para, indent=4))
    return d


def test_load_release_folder(tmp_path: Path) -> None:
    res = ci.load(LoadOptions(data=str(release(tmp_path))))
    assert [s.id for s in res.samples] == ["Twitter:0", "WMT:0", "WMT:1"]  # files in name order
    s = res.samples[1]
    assert isinstance(s, ci.Contrast) and s.subset == "WMT"
    assert s.prompts == (
        user_prompt("Translate the following sentence to English: 我爱猫。"),
        user_prompt("Translate the following sentence to English: 我爱狗。"),
    )
    assert s.responses == ("I love cats.", "I love dogs.")
    assert res.samples[0].prompts[0] == user_prompt("Paraphrase the following sentence: The sky is blue.")
    only = ci.load(LoadOptions(data=str(tmp_path / "contrast_instructions"), subsets=("Twitter",)))
    assert [x.id for x in only.samples] == ["Twitter:0"]


def test_load_needs_a_local_copy() -> None:
    with pytest.raises(ValueError, match="github.com/shadowkiller33/Contrast-Instruction"):
        ci.load(LoadOptions())


def test_jsonl_with_subset_and_id_fields(tmp_path: Path) -> None:
    rows = [{**item("q?", "r?", "a", "b"), "subset": "stack", "id": 7}, {**item("x", "y", "c", "d"), "subset": "Mine"}]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = ci.load(LoadOptions(data=str(path)))
    assert [(s.id, s.subset) for s in res.samples] == [("7", "StackExchange"), ("Mine:1", "Mine")]
    assert res.samples[0].prompts[0] == user_prompt("q?")  # StackExchange: no task prefix


@pytest.mark.parametrize(
    ("name", "bad", "field", "msg"),
    [
        (
            "sum_contrast.json",
            {k: v for k, v in item("a", "b", "c", "d").items() if k != "retrieval_response_k"},
            "retrieval_response_k",
            "missing",
        ),
        ("sum_contrast.json", {**item("a", "b", "c", "d"), "query": 5}, "query", "expected a string"),
        ("sum_contrast.json", item("a", "a", "c", "c"), "retrieval", "nothing to contrast"),
        ("other.json", item("a", "b", "c", "d"), "subset", "does not name a dataset"),
    ],
)
def test_malformed_rows_name_file_row_field(
    tmp_path: Path, name: str, bad: dict[str, Any], field: str, msg: str
) -> None:
    path = tmp_path / name
    path.write_text(json.dumps([item("ok", "fine", "x", "y"), bad]) if name != "other.json" else json.dumps([bad]))
    with pytest.raises(DataError, match=msg) as e:
        ci.load(LoadOptions(data=str(path)))
    assert e.value.source == str(path) and e.value.field == field
    assert e.value.location == ("row 1" if name != "other.json" else "row 0")


def test_requests_and_record_shape() -> None:
    s = ci.Contrast("x", (user_prompt("I1"), user_prompt("I2")), ("r1", "r2"), {"subset": "WMT"})
    reqs = ci.contrast_requests(s)
    assert [(r.prompt[0].content, r.response) for r in reqs] == [("I1", "r1"), ("I1", "r2"), ("I2", "r1"), ("I2", "r2")]
    rec = ci.contrast_record(
        s, [ScoreResult(1.0), ScoreResult(2.0, truncated=True), ScoreResult(3.0), ScoreResult(4.0)]
    )
    assert rec == {
        "id": "x",
        "subset": "WMT",
        "prompts": [prompt_to_json(user_prompt("I1")), prompt_to_json(user_prompt("I2"))],
        "responses": ["r1", "r2"],
        "meta": {"subset": "WMT"},
        "kind": "contrast",
        "scores": {"I1r1": 1.0, "I1r2": 2.0, "I2r1": 3.0, "I2r2": 4.0},
        "truncated": 1,
    }
    img = (Message("user", (ContentPart("image", image_path="a.png"), ContentPart("text", text="I"))),)
    with pytest.raises(ValueError, match="sample y: holds an image"):
        ci.contrast_requests(ci.Contrast("y", (img, user_prompt("I2")), ("a", "b")))


def rec(i: str, subset: str, scores: tuple[float, float, float, float], same_r: bool = False) -> dict[str, Any]:
    return {
        "id": i,
        "subset": subset,
        "kind": "contrast",
        "prompts": [prompt_to_json(user_prompt(f"{i}-I1")), prompt_to_json(user_prompt(f"{i}-I2"))],
        "responses": ["same", "same"] if same_r else [f"{i}-r1", f"{i}-r2"],
        "scores": dict(zip(ci.SCORE_KEYS, scores, strict=True)),
    }


#            I1r1 I1r2 I2r1 I2r2   resp_I1 resp_I2 ins_r1 ins_r2  credit
# A (WMT)     3    1    2    4      1       1       1      1       1
# B (WMT)     1    2    0    3      0       1       1      1       .75
# C (Twitter) 1    1    2    0      0(tie)  0       0      0       0
# D (Twitter) 2    2    1    1      -       -       1      0       .5   (r1 == r2: response undefined)
RECORDS = [
    rec("A", "WMT", (3, 1, 2, 4)),
    rec("B", "WMT", (1, 2, 0, 3)),
    rec("C", "Twitter", (1, 1, 2, 0)),
    rec("D", "Twitter", (2, 2, 1, 1), same_r=True),
]


def test_outcomes_by_hand() -> None:
    b = ci.outcome(RECORDS[1])
    assert (b["response_I1"], b["response_I2"], b["instruction_r1"], b["instruction_r2"]) == (0, 1, 1, 1)
    assert (b["response_both"], b["instruction_both"], b["credit"], b["tie"]) == (0, 1, 0.75, False)
    assert ci.outcome(RECORDS[2])["tie"] and ci.outcome(RECORDS[2])["credit"] == 0.0
    d = ci.outcome(RECORDS[3])
    assert d["response_I1"] is None and d["response_both"] is None and d["credit"] == 0.5 and not d["tie"]


def test_consistency_metrics_by_hand() -> None:
    m = ci.aggregate(RECORDS, seed=0, n_boot=200)
    x = m["extra"]
    # overall = mean credit = (1 + .75 + 0 + .5) / 4
    assert m["overall"]["value"] == pytest.approx(0.5625) and m["overall"]["n"] == 4
    # response pooled over defined directions: A 2/2, B 1/2, C 0/2 -> 3/6; instruction: 2+2+0+1 of 8
    assert m["sections"]["response"]["value"] == pytest.approx(0.5) and m["sections"]["response"]["n"] == 6
    assert m["sections"]["instruction"]["value"] == pytest.approx(5 / 8) and m["sections"]["instruction"]["n"] == 8
    assert x["response_I1"]["value"] == pytest.approx(1 / 3) and x["response_I2"]["value"] == pytest.approx(2 / 3)
    assert x["instruction_r1"]["value"] == pytest.approx(3 / 4) and x["instruction_r2"]["value"] == pytest.approx(2 / 4)
    assert x["response_both"]["value"] == pytest.approx(1 / 3) and x["instruction_both"]["value"] == pytest.approx(0.5)
    # per dataset: WMT credits (1, .75), Twitter (0, .5)
    assert m["subsets"]["WMT"]["value"] == pytest.approx(0.875) and m["subsets"]["Twitter"]["value"] == pytest.approx(
        0.25
    )
    assert x["by_subset"]["WMT"]["response"]["value"] == pytest.approx(3 / 4)
    assert x["by_subset"]["Twitter"]["instruction"]["value"] == pytest.approx(1 / 4)
    assert m["counts"] == {"items": 4, "ties": 1} and x["undefined_items"] == {"response": 1, "instruction": 0}


def test_identical_texts_counted_wrong_on_request() -> None:
    # D's response comparisons become wrong ties: D credit (0 + 0 + 1 + 0) / 4; response 3/8
    m = ci.aggregate_with(RECORDS, seed=0, n_boot=50, identical="wrong")
    assert m["overall"]["value"] == pytest.approx((1 + 0.75 + 0 + 0.25) / 4)
    assert m["sections"]["response"]["value"] == pytest.approx(3 / 8)
    assert m == ci.aggregate_with(RECORDS, seed=0, n_boot=50, identical="wrong")


@pytest.mark.slow
def test_end_to_end_default_model(tmp_path: Path, default_model_dir: Path) -> None:
    """Needs the lead's dispatch in protocols/scalar.py (requests_for / record_for -> kind "contrast")."""
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    run = assay.evaluate(
        "contrast-instructions",
        "assay:default",
        data=str(release(tmp_path)),
        out=str(tmp_path / "run"),
        cache_dir=str(tmp_path / "cache"),
        n_boot=200,
    )
    assert run.metrics["counts"]["items"] == 3 and all(r["kind"] == "contrast" for r in run.records)
    assert all(set(r["scores"]) == set(ci.SCORE_KEYS) for r in run.records)
    assert 0.0 <= run.metrics["overall"]["value"] <= 1.0 and set(run.metrics["sections"]) == {"response", "instruction"}
    _, diffs = rescore(load_run(run.path))
    assert diffs == []
    if SHARED_TOOLS.exists():
        chk = subprocess.run([sys.executable, str(SHARED_TOOLS), str(run.path)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
