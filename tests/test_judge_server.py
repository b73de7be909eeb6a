"""Judge runs over a real OpenAI-compatible server: vLLM's CPU build (its own environment, .venv-vllm)
serving the embedded SmolLM2 on 127.0.0.1, started once per test session (tests/conftest.py). A pairwise
(both orders), a rating and a ranking judge run through ``openai:`` on 2-3 items each: records keep every raw
output with its verdict or ``invalid``, the invalid counts in metrics.json match the records, and ``assay rescore``
reproduces metrics.json. `make vllm-env` creates .venv-vllm; without it these tests skip and say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.records.rescore import rescore
from assay.records.rundir import load_run
from assay.runner import evaluate


@pytest.fixture()
def served(vllm_server: str) -> str:
    """The shared session server (tests/conftest.py) as an ``openai:`` judge spec."""
    return f"openai:{vllm_server}#smol?concurrency=4"


def _run(spec: str, tmp: Path, name: str, **kw: Any) -> Any:
    common: dict[str, Any] = {"max_tokens": 24, "n_boot": 100, "cache_dir": str(tmp / "c"), "out": str(tmp / name)}
    run = evaluate("demo-gsm8k", spec, **common, **kw)
    js = [j for r in run.records for j in r["judgements"]]
    assert run.metrics["judge"]["judgements"] == len(js) > 0
    assert run.metrics["judge"]["invalid"] == sum(1 for j in js if not j["valid"])
    assert run.manifest["counts"]["invalid_judgements"] == run.metrics["judge"]["invalid"]
    assert all(isinstance(j["raw"], str) and j["raw"] and (j["valid"] or j["verdict"] == "invalid") for j in js)
    assert run.manifest["engine"]["completion_tokens"] > 0
    assert rescore(load_run(run.path))[1] == []
    return run


@pytest.mark.slow
def test_pairwise_judge_both_orders(served: str, tmp_path: Path) -> None:
    run = _run(served, tmp_path, "pair", subsets=("pairs",), limit=3, both_orders=True)
    assert run.manifest["counts"]["generated"] == 6
    for r in run.records:
        assert [j["chosen_label"] for j in r["judgements"]] in (["A", "B"], ["B", "A"])
    assert "both_orders_agreement" in run.metrics["judge"]


@pytest.mark.slow
def test_rating_judge(served: str, tmp_path: Path) -> None:
    run = _run(served, tmp_path, "rating", subsets=("pairs",), limit=2, judge_template="rating")
    assert run.metrics["judge"]["policy"]["name"] == "rewardbench"
    for r in run.records:
        assert [j["response"] for j in r["judgements"]] == ["chosen", "rejected"]
        ratings = [j["verdict"] for j in r["judgements"]]
        assert r["outcome"]["ratings"] == [v if v != "invalid" else -1.0 for v in ratings]


@pytest.mark.slow
def test_ranking_judge(served: str, tmp_path: Path) -> None:
    run = _run(served, tmp_path, "rank", subsets=("best-of-4",), limit=2, judge_template="ranking")
    for r in run.records:
        (j,) = r["judgements"]
        assert sorted(j["order"]) == [0, 1, 2, 3]
        assert r["scores"] == ([0.0] * 4 if not j["valid"] else r["scores"])
        assert j["valid"] == ("positions" in j)
