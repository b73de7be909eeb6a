"""ReviewCritique: the loader on the released file (bare NaN), errors naming file / line / field, segment-level
P/R/F1 and per-type recall / precision on hand-computed cases, the flag parser, and the protocol with a fake
context."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import reviewcritique as rc
from assay.benchmarks.registry import LoadOptions, get
from assay.critics import reviewcritique_prompt as RP
from assay.data.rows import DataError
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from conftest import shared_data


def release() -> Path:
    return shared_data("reviewcritique", "ReviewCritique_LLM.jsonl")


def test_release_loads_despite_bare_nan() -> None:
    assert b"NaN" in release().read_bytes()  # strict JSON parsers reject this file
    res = rc.load(LoadOptions(data=str(release())))
    assert len(res.samples) == 60 and {s.subset for s in res.samples} == set(rc.REVIEWERS)
    segs = [x for s in res.samples for x in s.data["segments"]]
    assert len(segs) == 1610 and sum(x["deficient"] for x in segs) == 226
    types = [x["error_type"] for x in segs if x["deficient"]]
    assert types.count("Out-of-scope") == 68 and "out-of-scope" not in types  # 65 + 3 lower-case spellings
    assert types.count(rc.UNSPECIFIED) == 3  # deficient with a NaN error type
    assert all(x["error_type"] is None for x in segs if not x["deficient"])  # incl. one "Yes" with a type
    assert res.samples[0].id == "0/claude_opus" and res.samples[1].id == "0/gpt4"
    limited = rc.load(LoadOptions(data=str(release()), subsets=("gpt4",), limit=2))
    assert [s.id for s in limited.samples] == ["0/gpt4", "1/gpt4"]


def _paper(reviews: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    base = {"title": "T", "body_text": "PAPER BODY", "decision": "rejected"}
    return {**base, **{k: {"review": v} for k, v in reviews.items()}}


def seg(text: str, ok: bool, etype: Any = None) -> dict[str, Any]:
    return {"segment_text": text, "reliability": "Yes" if ok else "No", "explanation": None, "error_type": etype}


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "rc.jsonl"
    good = json.dumps(_paper({"gpt4": [seg("a", True)]}))
    p.write_text(good + "\n" + '{"title": "U", "gpt4": {"review": [{"segment_text": "x", "reliability": NaN}]}}\n')
    with pytest.raises(DataError) as e:
        rc.load(LoadOptions(data=str(p)))
    assert e.value.source == str(p) and e.value.location == "line 2"
    assert e.value.field == "gpt4.review[0].reliability" and "got nan" in str(e.value)
    p.write_text(good + "\n{not json\n" + json.dumps({"title": "no reviews"}) + "\n")
    res = rc.load(LoadOptions(data=str(p), skip_invalid=True))
    assert len(res.samples) == 1 and [s["row"] for s in res.skipped] == ["line 2", "line 3"]


def hand_file(tmp_path: Path) -> Path:
    p = tmp_path / "rc.jsonl"
    reviews = {
        "gpt4": [seg("s0", True), seg("s1", False, "Neglect"), seg("s2", False, "Vague Critique"), seg("s3", True)],
        "claude_opus": [seg("t0", False, "neglect"), seg("t1", True)],
    }
    p.write_text(json.dumps(_paper(reviews)) + "\n")
    return p


def score(recs: list[dict[str, Any]]) -> dict[str, Any]:
    for r in recs:
        r["outcome"] = rc.outcome(r)
    return rc.aggregate(recs, seed=0, n_boot=200)


def test_hand_computed_prf_and_per_type(tmp_path: Path) -> None:
    data = hand_file(tmp_path)
    preds = tmp_path / "preds.jsonl"
    lines = [
        {"id": "0/gpt4/1", "deficient": "yes", "error_type": "Neglect"},  # TP, type right
        {"id": "0/gpt4/2", "deficient": False},  # FN (Vague Critique)
        {"id": "0/gpt4/3", "deficient": True, "error_type": "Writing"},  # FP
        {"id": "0/claude_opus/0", "deficient": "no"},  # FN (Neglect)
        {"id": "0/claude_opus/1", "deficient": "yes", "error_type": "Neglect"},  # FP
    ]  # 0/gpt4/0 has no line: counted missing, not flagged (TN)
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    res = rc.predictions(preds, LoadOptions(data=str(data)))
    m = score(res.records)
    # TP 1, FP 2, FN 2: P = 1/3, R = 1/3, F1 = 1/3
    assert m["extra"]["confusion"] == {"tp": 1, "fp": 2, "fn": 2, "tn": 1}
    assert m["extra"]["precision"]["value"] == pytest.approx(1 / 3) and m["overall"]["value"] == pytest.approx(1 / 3)
    assert m["extra"]["by_subset"]["gpt4"]["precision"]["value"] == 0.5
    assert m["extra"]["by_subset"]["claude_opus"]["recall"]["value"] == 0.0
    assert m["extra"]["by_subset"]["claude_opus"]["f1"]["value"] == 0.0  # zero denominators give 0
    assert m["extra"]["recall_by_error_type"] == {
        "Neglect": {"recall": 0.5, "flagged": 1, "deficient": 2},
        "Vague Critique": {"recall": 0.0, "flagged": 0, "deficient": 1},
    }
    assert m["extra"]["precision_by_error_type"] == {
        "Neglect": {"precision": 0.5, "correct": 1, "flagged": 2},
        "Writing": {"precision": 0.0, "correct": 0, "flagged": 1},
    }
    assert m["counts"]["missing_predictions"] == 1 and m["counts"]["gold_deficient"] == 3
    lo, hi = m["overall"]["ci"]
    assert 0 <= lo <= hi <= 1


def test_predictions_errors(tmp_path: Path) -> None:
    data = hand_file(tmp_path)
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "0/gpt4/1", "deficient": true}\n{"id": "0/gpt4/2", "deficient": "maybe"}\n')
    with pytest.raises(DataError) as e:
        rc.predictions(preds, LoadOptions(data=str(data)))
    assert e.value.location == "line 2" and e.value.field == "deficient"
    preds.write_text('{"id": "0/gpt4/9", "deficient": true}\n')
    with pytest.raises(DataError, match="not in"):
        rc.predictions(preds, LoadOptions(data=str(data)))
    preds.write_text('{"id": "gpt4-1", "deficient": true}\n')
    with pytest.raises(DataError, match="<paper>/<reviewer>/<segment>"):
        rc.predictions(preds, LoadOptions(data=str(data)))
    with pytest.raises(ValueError, match="--data"):
        rc.predictions(preds, LoadOptions())


@pytest.mark.parametrize(
    ("text", "flags", "why"),
    [
        ("Segment 2 is vague.\nDeficient segments: 2, 4", {2, 4}, None),
        ("deficient segments: none", set(), None),
        ("Deficient segments: 1\nDeficient segments: 3", {3}, None),  # the last answer line counts
        ("Deficient segments: 3, 12", {3}, "out-of-range segment number(s) [12] dropped"),
        ("I think segment 2 is bad.", None, "no 'Deficient segments:' line"),
    ],
)
def test_parse_flags(text: str, flags: set[int] | None, why: str | None) -> None:
    assert RP.parse_flags(text, 5) == (flags, why)


class FakeCtx:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.spec, self.judge_spec, self.seed, self.options = "fake:model", None, 0, {}
        self.sampling = SamplingConfig(max_tokens=64)
        self.outputs = outputs
        self.prompts: list[str] = []

    def generate(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        out = []
        for r in reqs:
            p = r.prompt[0].text()
            self.prompts.append(p)
            key = next(k for k in self.outputs if k in p)
            out.append(Generation((self.outputs[key],), 0, 3, 0.0, ("stop",)))
        return out


def test_protocol_with_fake_context(tmp_path: Path) -> None:
    loaded = rc.load(LoadOptions(data=str(hand_file(tmp_path))))
    ctx = FakeCtx({"[1] s0": "Segment 2 misreads.\nDeficient segments: 2, 4", "[1] t0": "All fine, I think."})
    recs = rc.run_with(loaded.samples, ctx, paper_chars=5)
    assert "### Paper\nPAPER\n\n### Review segments\n[1] s0\n[2] s1\n[3] s2\n[4] s3\n\n" in ctx.prompts[0]
    gpt4, claude = sorted(recs, key=lambda r: r["id"], reverse=True)
    assert [s["pred"] for s in gpt4["segments"]] == [False, True, False, True] and gpt4["valid"]
    assert claude["valid"] is False and claude["raw"] == "All fine, I think." and claude["error"]
    m = score(recs)
    assert m["counts"]["invalid_outputs"] == 1
    assert m["extra"]["confusion"] == {"tp": 1, "fp": 1, "fn": 2, "tn": 2}
    assert m["extra"]["precision_by_error_type"] is None  # untyped flags: no per-type precision


def test_options() -> None:
    b = get("reviewcritique")
    assert b.with_options({"paper_chars": "2000"}).name == "reviewcritique"
    with pytest.raises(ValueError, match="paper_chars"):
        b.with_options({"paper_chars": "half"})


def test_score_cli_writes_a_rescorable_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    data = hand_file(tmp_path)
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "0/gpt4/1", "deficient": "yes"}\n{"id": "0/claude_opus/1", "deficient": "yes"}\n')
    out = tmp_path / "scored"
    args = ["score", "reviewcritique", "--predictions", str(preds), "--data", str(data), "--out", str(out), "-q"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["overall"]["value"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))  # P 1/2, R 1/3
    assert rescore(view)[1] == []
