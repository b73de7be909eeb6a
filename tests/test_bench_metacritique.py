"""MetaCritique: the authors' parser and formulas on hand-computed cases, exact reproduction of the 300 stored
per-critique scores from the human labels, malformed inputs, the protocol with a fake context, and an
end-to-end run on the embedded model that ``assay rescore`` reproduces."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import metacritique as mc
from assay.benchmarks.registry import LoadOptions, get
from assay.critics import metacritique_prompts as P
from assay.data.rows import DataError
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from conftest import shared_data


def annotation() -> Path:
    return shared_data("metacritique", "data_annotation_data.json")


# ----------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("To verify ... Therefore, the claim is true.", True),
        ("  THE CLAIM IS FALSE  ", False),
        ("the claim is true, or is it? the claim is false", True),  # "true" is tested first upstream
        ("The claim is not true.", None),
        ("True", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_verdict(text: str | None, verdict: bool | None) -> None:
    assert mc.parse_verdict(text) is verdict


def test_f1_is_the_authors_expression() -> None:
    assert mc.f1_score(0.9, 0.8) == 2 / (1 / 0.9 + 1 / 0.8) == 0.8470588235294118  # item 0, llm1 (stored)
    assert mc.f1_score(0.5, 0.25) == pytest.approx(1 / 3)
    assert mc.f1_score(0, 1.0) == 0 and mc.f1_score(0.7, 0) == 0
    # item 1, human critique: P = 1, R = 2/5; stored 0.5714285714285714 = 2/(1/p+1/r), not 2pr/(p+r)
    p, r = 1.0, 2 / 5
    assert mc.f1_score(p, r) == 0.5714285714285714 != 2 * p * r / (p + r)


def test_scores_count_unparsed_verdicts_false() -> None:
    s = mc.critique_scores([True, None, False, True], [True, True, False, False, False])
    assert s["precision"] == 0.5 and s["recall"] == 0.4
    assert s["f1"] == 2 / (1 / 0.5 + 1 / 0.4)
    assert mc.critique_scores([], [True])["precision"] == 0.0  # no AIU: P = 0 (upstream divides by zero)


def test_split_aius() -> None:
    out = "\nClaim one.\n\nClaim two.\n  \n"
    assert mc.split_aius(out) == ["Claim one.", "Claim two."]
    assert mc.split_aius(out, "original") == ["Claim one.", "", "Claim two."]  # strip() then split("\n")


# ----------------------------------------------------------------------------- release reproduction


def test_human_labels_reproduce_every_stored_score_exactly() -> None:
    res = mc.predictions(annotation(), LoadOptions())
    assert len(res.records) == 300 and {r["subset"] for r in res.records} == {"human", "llm1", "llm2"}
    mismatches = []
    for rec in res.records:
        o = mc.outcome(rec)
        for k in ("precision", "recall", "f1"):
            if o[k] != rec["stored_scores"][k]:  # exact float equality, no tolerance
                mismatches.append((rec["id"], k, o[k], rec["stored_scores"][k]))
        assert o["stored_match"] is (not any(m[0] == rec["id"] for m in mismatches))
    assert mismatches == []
    assert sum(len(r["precision_checks"]) for r in res.records) == 1951  # + 702 reference AIUs = 2653 (paper)
    for rec in res.records:
        rec["outcome"] = mc.outcome(rec)
    m = mc.aggregate(res.records, seed=0, n_boot=200)
    assert m["extra"]["stored_scores"] == {"compared": 300, "exact_match": 300}
    human = [r["stored_scores"] for r in res.records if r["subset"] == "human"]
    for k in ("precision", "recall", "f1"):
        assert m["extra"]["by_subset"]["human"][k]["value"] == pytest.approx(sum(h[k] for h in human) / 100, abs=1e-15)
    assert m["overall"]["value"] == m["extra"]["meta_f1"]["value"]
    lo, hi = m["overall"]["ci"]
    assert lo < m["overall"]["value"] < hi and m["overall"]["n"] == 300
    assert m["counts"]["invalid_verdicts"] == 0


def test_predictions_subsets_and_limit() -> None:
    res = mc.predictions(annotation(), LoadOptions(subsets=("llm2",), limit=3))
    assert [r["id"] for r in res.records] == ["0:llm2", "1:llm2", "2:llm2"]
    with pytest.raises(ValueError, match="unknown subset"):
        mc.predictions(annotation(), LoadOptions(subsets=("gpt5",)))


# ----------------------------------------------------------------------------- malformed inputs


def _rows() -> list[dict[str, Any]]:
    return json.loads(annotation().read_text())[:2]


def test_bad_label_names_file_row_and_field(tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["llm1_critique"]["precision_labels"][2] = "yes"
    p = tmp_path / "ann.json"
    p.write_text(json.dumps(rows))
    with pytest.raises(DataError) as e:
        mc.predictions(p, LoadOptions())
    assert e.value.source == str(p) and e.value.location == "row 1"
    assert e.value.field == "llm1_critique.precision_labels[2]"
    rows[1]["llm1_critique"]["precision_labels"] = [True]
    p.write_text(json.dumps(rows))
    with pytest.raises(DataError, match="1 labels for 7 AIUs"):
        mc.predictions(p, LoadOptions())
    res = mc.predictions(p, LoadOptions(skip_invalid=True))
    assert len(res.records) == 3 and res.skipped[0]["field"] == "llm1_critique.precision_labels"


def test_loader_errors_name_the_field(tmp_path: Path) -> None:
    rows = _rows()
    del rows[0]["gpt4_answer"]
    rows[1]["gpt4_critique"]["aius"][1] = 7
    p = tmp_path / "bench.json"
    p.write_text(json.dumps(rows))
    with pytest.raises(DataError) as e:
        mc.load_with("generate", LoadOptions(data=str(p)))
    assert (
        e.value.location == "row 0" and e.value.field == "reference_answer"
    )  # neither gpt4_answer nor reference_answer
    res = mc.load_with("generate", LoadOptions(data=str(p), skip_invalid=True))
    assert res.samples == [] and [s["field"] for s in res.skipped] == ["reference_answer", "gpt4_critique.aius[1]"]
    bench = shared_data("metacritique", "data_benchmark_data.json")
    with pytest.raises(DataError, match="need the annotation file"):
        mc.load_with("human", LoadOptions(data=str(bench), limit=1))
    with pytest.raises(ValueError, match="--data"):
        mc.load_with("generate", LoadOptions())


def test_step_outputs_folder(tmp_path: Path) -> None:
    """The authors' step 5-7 files, consumed critique by critique as meta_score does (hand-computed)."""
    base = {"question": "q", "response": "r", "gpt4_answer": "a"}
    data = [
        {**base, "index": 0, "hypothesis_critique": {"critique": "c0", "aius": ["h1", "h2"]},
         "gpt4_critique": {"aius": ["g1", "g2", "g3"]}},
        {**base, "index": 1, "hypothesis_critique": {"critique": "c1", "aius": ["h3"]},
         "gpt4_critique": {"aius": ["g4", "g5"]}},
    ]  # fmt: skip

    def v(x: bool | None) -> dict[str, Any]:
        return {"explanation": "...", "verifying_result": x}

    (tmp_path / "hypothesis_eval_data.json").write_text(json.dumps(data))
    (tmp_path / "hypothesis_precision.json").write_text(json.dumps([v(True), v(False), v(True)]))
    (tmp_path / "hypothesis_recall.json").write_text(json.dumps([v(True), None, v(None), v(False), v(True)]))
    res = mc.predictions(tmp_path, LoadOptions())
    outs = [mc.outcome(r) for r in res.records]
    assert [(o["precision"], o["recall"]) for o in outs] == [(0.5, 1 / 3), (1.0, 0.5)]
    assert outs[0]["invalid_verdicts"] == 2 and outs[1]["invalid_verdicts"] == 0
    for r, o in zip(res.records, outs, strict=True):
        r["outcome"] = o
    m = mc.aggregate(res.records, 0, 0)
    f1s = [2 / (1 / 0.5 + 3), 2 / (1 + 2)]
    assert m["overall"]["value"] == pytest.approx(sum(f1s) / 2)
    assert m["extra"]["meta_precision"]["value"] == 0.75
    (tmp_path / "hypothesis_recall.json").write_text(json.dumps([v(True)]))
    with pytest.raises(DataError, match="1 entries for 5 AIUs") as e:
        mc.predictions(tmp_path, LoadOptions())
    assert e.value.source.endswith("hypothesis_recall.json")


# ----------------------------------------------------------------------------- protocol with a fake context


class FakeCtx:
    """Answers by prompt kind; records every request (model and judge separately)."""

    def __init__(self, judge: bool, respond: Callable[[GenerateRequest], str]) -> None:
        self.spec = "fake:model"
        self.judge_spec = "fake:judge" if judge else None
        self.seed = 0
        self.options: dict[str, str] = {}
        self.sampling = SamplingConfig(temperature=0.7, max_tokens=64, seed=0)
        self.judge_sampling = SamplingConfig(temperature=0.0, max_tokens=512)
        self.respond = respond
        self.model_calls: list[list[GenerateRequest]] = []
        self.judge_calls: list[list[GenerateRequest]] = []

    def _gen(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        return [Generation((self.respond(r),), 0, 5, 0.0, ("stop",)) for r in reqs]

    def generate(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        self.model_calls.append(list(reqs))
        return self._gen(reqs)

    def judge_generate(self, reqs: Sequence[GenerateRequest]) -> list[Generation]:
        self.judge_calls.append(list(reqs))
        return self._gen(reqs)


def respond(req: GenerateRequest) -> str:
    system, user = req.prompt[0].text(), req.prompt[1].text()
    if system == P.REFERENCE_CRITIQUE_SYSTEM:
        return "The answer is wrong. It ignores the question."
    if system == P.EXTRACT_AIUS_SYSTEM:
        return "The answer is wrong.\n\nIt ignores the question.\n"
    if system == P.PRECISION_SYSTEM:
        return "Therefore, the claim is true." if "<claim>\nThe answer is wrong." in user else "I am unsure."
    assert system == P.RECALL_SYSTEM
    return "The claim is false." if "kitchen" in user else "The claim is true."


def test_protocol_with_judge() -> None:
    loaded = mc.load_with("generate", LoadOptions(data=str(annotation()), limit=2))
    ctx = FakeCtx(judge=True, respond=respond)
    recs = mc.run_with(loaded.samples, ctx, "generate", "extract", "clean")
    assert len(ctx.model_calls) == 1 and len(ctx.model_calls[0]) == 2  # the critic: one round
    assert len(ctx.judge_calls) == 2  # extraction, then every check in one round
    user = ctx.model_calls[0][0].prompt[1].text()
    assert user == "input question:\nkitchen towel\n\nmodel-generated answer:\ncan be cut with vise grip\n\ncritique:\n"
    assert ctx.judge_calls[0][0].prompt[1].text() == (
        "input:\nThe answer is wrong. It ignores the question.\nclaims:\n"
    )
    r0 = recs[0]
    assert r0["judge"] == "judge-model" and r0["hypothesis_aius"]["aius"] == [
        "The answer is wrong.",
        "It ignores the question.",
    ]
    assert [c["verdict"] for c in r0["precision_checks"]] == [True, None]
    assert [c["verdict"] for c in r0["recall_checks"]] == [True, False, False, True, False]  # "kitchen" -> false
    o = mc.outcome(r0)
    assert o["precision"] == 0.5 and o["recall"] == 0.4 and o["invalid_verdicts"] == 1
    assert o["f1"] == 2 / (1 / 0.5 + 1 / 0.4)
    precision_user = ctx.judge_calls[1][0].prompt[1].text()
    assert precision_user.startswith("<input question>\nkitchen towel\n\n<model-generated answer>\n")
    assert precision_user.endswith("<claim>\nThe answer is wrong.\n\n<verify claim>\n")
    # the critic samples with the run's settings, every judge request with the judge's own
    assert {r.sampling for r in ctx.model_calls[0]} == {ctx.sampling}
    assert {r.sampling for call in ctx.judge_calls for r in call} == {ctx.judge_sampling}
    # the same items in another order give the same per-item records
    again = mc.run_with(list(reversed(loaded.samples)), FakeCtx(True, respond), "generate", "extract", "clean")
    assert {r["id"]: r for r in again} == {r["id"]: r for r in recs}


def test_protocol_self_judged_and_stored_critiques() -> None:
    loaded = mc.load_with("human", LoadOptions(data=str(annotation()), limit=1))
    ctx = FakeCtx(judge=False, respond=respond)
    recs = mc.run_with(loaded.samples, ctx, "human", "stored", "clean")
    assert ctx.judge_calls == [] and len(ctx.model_calls) == 1  # no critique, no extraction: checks only
    # self-judged: the evaluated model judges, but with the judge's decoding settings
    assert {r.sampling for r in ctx.model_calls[0]} == {ctx.judge_sampling}
    r = recs[0]
    assert r["judge"] == "self" and r["critique"]["text"].startswith("A kitchen towel cannot be cut")
    assert r["hypothesis_aius"]["stored"] and len(r["precision_checks"]) == 3
    assert r["human_scores"] == {"precision": 0.3333333333333333, "recall": 0.0, "f1": 0}


def test_options() -> None:
    b = get("metacritique")
    assert b.with_options({"critique": "llm1", "hyp_aius": "stored"}).name == "metacritique"
    with pytest.raises(ValueError, match="critique='gpt'"):
        b.with_options({"critique": "gpt"})
    with pytest.raises(ValueError, match="unknown option"):
        b.with_options({"colour": "red"})


# ----------------------------------------------------------------------------- end to end


def test_score_cli_writes_a_rescorable_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    out = tmp_path / "scored"
    res = CliRunner().invoke(
        app, ["score", "metacritique", "--predictions", str(annotation()), "--out", str(out), "-q"]
    )
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["extra"]["stored_scores"]["exact_match"] == 300
    assert rescore(view)[1] == []


@pytest.mark.slow
def test_end_to_end_default_model_and_rescore(tmp_path: Path, cache_dir: Path) -> None:
    """The embedded model critiques, extracts AIUs and judges itself (no --judge-model) on release item 0,
    cut to two reference AIUs to keep the CPU time small; the record is rescored exactly."""
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    row = json.loads(shared_data("metacritique", "data_benchmark_data.json").read_text())[0]
    row["gpt4_critique"]["aius"] = row["gpt4_critique"]["aius"][:2]
    data = tmp_path / "one.json"
    data.write_text(json.dumps([row]))
    run = assay.evaluate(
        "metacritique",
        "hfgen:default",
        data=str(data),
        limit=1,
        max_tokens=16,
        out=str(tmp_path / "run"),
        cache_dir=str(cache_dir),
    )
    (rec,) = run.records
    assert rec["judge"] == "self" and rec["critique"]["raw"] is not None
    n_checks = len(rec["precision_checks"]) + len(rec["recall_checks"])
    assert len(rec["recall_checks"]) == 2 and run.manifest["counts"]["requests"] == 2 + n_checks
    invalid = sum(c["verdict"] is None for c in rec["precision_checks"] + rec["recall_checks"])
    assert run.metrics["counts"]["invalid_verdicts"] == invalid == rec["outcome"]["invalid_verdicts"]
    assert run.metrics["overall"]["value"] == rec["outcome"]["f1"]
    _, diffs = rescore(load_run(run.path))
    assert diffs == []
