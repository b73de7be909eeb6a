"""The generic protocol runner: Benchmark.run with a real model, options, judge model, cache, rescore, score."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.benchmarks.registry import (
    _REGISTRY,
    Benchmark,
    LoadOptions,
    LoadResult,
    PredictionsResult,
)
from assay.models.generation import GenerateRequest
from assay.protocols.context import RunContext
from assay.samples import Item, Sample, user_prompt

QUESTIONS = ["What is 2 + 3?", "Name a colour.", "What is 10 - 4?"]


def _load(opts: LoadOptions) -> LoadResult:
    items = [Item(id=f"q{i}", data={"question": q}, meta={"subset": "all"}) for i, q in enumerate(QUESTIONS)]
    items = items[: opts.limit] if opts.limit else items
    digest = hashlib.sha256(json.dumps([i.data for i in items]).encode()).hexdigest()
    return LoadResult(samples=list(items), source="inline", fingerprint=digest)


def _make(upper: bool = False) -> Benchmark:
    def run(samples: Sequence[Sample], ctx: RunContext) -> list[dict[str, Any]]:
        reqs = [GenerateRequest(user_prompt(s.data["question"]), ctx.sampling) for s in samples if isinstance(s, Item)]
        gens = ctx.generate(reqs)  # round 1: the model under test
        checks = (
            ctx.judge_generate([GenerateRequest(user_prompt(f"Is this right? {g.text}"), ctx.sampling) for g in gens])
            if ctx.judge_spec
            else [None] * len(gens)
        )
        out = []
        for s, g, c in zip(samples, gens, checks, strict=True):
            assert isinstance(s, Item)
            text = g.text.upper() if upper else g.text
            out.append(
                {
                    "id": s.id,
                    "subset": s.subset,
                    "kind": "echo",
                    "question": s.data["question"],
                    "raw": text,
                    "judge_raw": c.text if c else None,
                    "valid": bool(text.strip()),
                }
            )
        return out

    def outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
        return {"correct": int(any(ch.isdigit() for ch in rec["raw"])), "invalid": int(not rec["valid"])}

    def aggregate(records: Sequence[Mapping[str, Any]], seed: int, n_boot: int) -> dict[str, Any]:
        n = len(records)
        return {"overall": {"value": sum(r["outcome"]["correct"] for r in records) / n, "n": n}}

    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        recs = [{"id": r["id"], "subset": "all", "kind": "echo", "raw": r["text"], "valid": True} for r in rows]
        return PredictionsResult(recs, str(path), hashlib.sha256(path.read_bytes()).hexdigest())

    return Benchmark(
        name="test-echo",
        description="test protocol",
        source="tests",
        hub_id=None,
        subsets=("all",),
        load=_load,
        outcome=outcome,
        aggregate=aggregate,
        run=run,
        predictions=predictions,
        options={"upper": "upper-case the answers (true|false)"},
        configure=lambda o: _make(upper=o.get("upper") == "true"),
    )


@pytest.fixture(scope="module", autouse=True)
def registered() -> None:
    from assay.benchmarks.registry import _load_all

    _load_all()
    _REGISTRY["test-echo"] = _make()
    yield
    _REGISTRY.pop("test-echo", None)


@pytest.mark.slow
def test_protocol_run_cache_rescore_and_options(tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    common = dict(limit=2, max_tokens=8, cache_dir=str(cache_dir))
    r1 = assay.evaluate("test-echo", "hfgen:default", out=str(tmp_path / "r1"), **common)
    assert [r["id"] for r in r1.records] == ["q0", "q1"]
    assert r1.manifest["counts"]["generated"] == 2 and r1.manifest["counts"]["cached"] == 0
    assert "hfgen:default" in r1.manifest["model"]["models"]
    # second run: everything from the cache, identical records
    r2 = assay.evaluate("test-echo", "hfgen:default", out=str(tmp_path / "r2"), **common)
    assert r2.manifest["counts"]["generated"] == 0 and r2.manifest["counts"]["cached"] == 2
    assert [r["raw"] for r in r2.records] == [r["raw"] for r in r1.records]
    _, diffs = rescore(load_run(r1.path))
    assert diffs == []
    # a benchmark option changes the protocol, is recorded and re-applied by rescore
    r3 = assay.evaluate("test-echo", "hfgen:default", out=str(tmp_path / "r3"), options={"upper": "true"}, **common)
    assert [r["raw"] for r in r3.records] == [r["raw"].upper() for r in r1.records]
    assert r3.manifest["options"]["options"] == {"upper": "true"}
    _, diffs = rescore(load_run(r3.path))
    assert diffs == []
    # a judge model is a second generator with its own fingerprint and usage
    r4 = assay.evaluate(
        "test-echo", "hfgen:default", out=str(tmp_path / "r4"), judge_model="hfgen:default?template=plain", **common
    )
    assert all(r["judge_raw"] is not None for r in r4.records)
    assert r4.manifest["judge_model"]["spec"] == "hfgen:default?template=plain"
    assert set(r4.manifest["engine"]["usage"]) == {"hfgen:default", "hfgen:default?template=plain"}


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    from assay.cli import app

    res = CliRunner().invoke(
        app, ["run", "test-echo", "-m", "hfgen:default", "-o", "colour=red", "--out", str(tmp_path / "x"), "-q"]
    )
    assert res.exit_code == 2
    assert "unknown option(s) colour" in res.output and "upper" in res.output
    res = CliRunner().invoke(app, ["run", "test-echo", "-m", "hfgen:default", "-o", "novalue", "-q"])
    assert res.exit_code == 2


def test_judge_model_rejected_for_scalar_benchmarks(tmp_path: Path) -> None:
    import assay

    with pytest.raises(ValueError, match="judge-model"):
        assay.evaluate(
            "demo-gsm8k",
            "baseline:length",
            judge_model="hfgen:default",
            limit=2,
            out=str(tmp_path / "x"),
            subsets=("pairs",),
        )


def test_score_predictions_writes_a_rescorable_run(tmp_path: Path) -> None:
    from assay.cli import app
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "a", "text": "it is 5"}\n{"id": "b", "text": "blue"}\n')
    out = tmp_path / "scored"
    res = CliRunner().invoke(app, ["score", "test-echo", "--predictions", str(preds), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    view = load_run(out)
    assert view.metrics["overall"]["value"] == 0.5
    assert view.manifest["model"]["spec"] == f"predictions:{preds}"
    assert rescore(view)[1] == []
    res = CliRunner().invoke(app, ["score", "test-echo", "--predictions", str(tmp_path / "nope.jsonl"), "-q"])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["score", "rewardbench", "--predictions", str(preds), "-q"])
    assert res.exit_code == 2 and "test-echo" in res.output
