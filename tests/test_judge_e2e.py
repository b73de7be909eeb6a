"""Rating, ranking, four-way, PC2, JudgeBench and Long-RewardBench judge runs on the embedded model
(``hfgen:default``, SmolLM2-135M): tiny (2 items, a few tokens), so most verdicts are unparseable. What is
checked is that every raw output is kept with its verdict or ``invalid``, the invalid counts in metrics.json
match the records, the seeded placements are recorded, a re-run is served from the cache, and ``assay
rescore`` reproduces metrics.json from samples.jsonl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assay.records.rescore import rescore
from assay.records.rundir import load_run
from assay.runner import evaluate
from test_judge_oracle import judgebench_file, long_dir

SPEC = "hfgen:default"


def _check(run: Any) -> None:
    assert rescore(load_run(run.path))[1] == []
    js = [j for r in run.records for j in r["judgements"]]
    assert run.metrics["judge"]["judgements"] == len(js)
    assert run.metrics["judge"]["invalid"] == sum(1 for j in js if not j["valid"])
    for j in js:
        assert j["valid"] or j["verdict"] == "invalid"
        assert isinstance(j["raw"], str) or (j.get("round") == "score" and not j["valid"])


@pytest.mark.slow
def test_rating_ranking_and_four_way_on_demo(tmp_path: Path, default_model_dir: Path) -> None:
    common: dict[str, Any] = {"limit": 2, "max_tokens": 12, "n_boot": 100, "cache_dir": str(tmp_path / "c")}
    rating = evaluate(
        "demo-gsm8k", SPEC, subsets=("pairs",), judge_template="rating", out=str(tmp_path / "r"), **common
    )
    _check(rating)
    assert all([j["response"] for j in r["judgements"]] == ["chosen", "rejected"] for r in rating.records)
    ranking = evaluate(
        "demo-gsm8k", SPEC, subsets=("best-of-4",), judge_template="ranking", out=str(tmp_path / "k"), **common
    )
    _check(ranking)
    for r in ranking.records:
        (j,) = r["judgements"]
        assert sorted(j["order"]) == [0, 1, 2, 3] and len(r["scores"]) == 4
    four = evaluate(
        "demo-gsm8k", SPEC, subsets=("best-of-4",), judge_template="rewardbench2", out=str(tmp_path / "f"), **common
    )
    _check(four)
    for r in four.records:
        (j,) = r["judgements"]
        assert j["order"][j["shuffle_option"]] == r["best"][0]  # the correct answer sits at the recorded slot
    again = evaluate(
        "demo-gsm8k", SPEC, subsets=("pairs",), judge_template="rating", out=str(tmp_path / "r2"), **common
    )
    assert again.manifest["counts"]["generated"] == 0
    assert [r["judgements"] for r in again.records] == [r["judgements"] for r in rating.records]


@pytest.mark.slow
def test_pc2_keeps_every_round(tmp_path: Path, default_model_dir: Path) -> None:
    run = evaluate(
        "demo-gsm8k",
        SPEC,
        subsets=("pairs",),
        limit=1,
        max_tokens=16,
        n_boot=100,
        judge_template="pc2",
        out=str(tmp_path / "p"),
        cache_dir=str(tmp_path / "c"),
    )
    _check(run)
    (rec,) = run.records
    rounds = [j["round"] for j in rec["judgements"]]
    assert rounds[:4] == ["aux", "aux", "aux", "criteria"] and rounds.count("score") == 2
    aux = [j["raw"] for j in rec["judgements"][:3]]
    assert len(set(aux)) > 1  # three seeded samples, not one greedy answer thrice
    assert run.manifest["counts"]["rounds"] >= 2


@pytest.mark.slow
def test_judgebench_and_long_rewardbench_native_templates(tmp_path: Path, default_model_dir: Path) -> None:
    common: dict[str, Any] = {"limit": 2, "max_tokens": 8, "n_boot": 100, "cache_dir": str(tmp_path / "c")}
    jb = evaluate("judgebench", SPEC, data=judgebench_file(tmp_path), out=str(tmp_path / "jb"), **common)
    _check(jb)
    assert jb.manifest["judge"]["template"] == "judgebench" and jb.metrics["judge"]["policy"]["name"] == "judgebench"
    assert all(len(r["judgements"]) == 2 for r in jb.records)  # both orders, always
    long = evaluate("long-rewardbench", SPEC, data=long_dir(tmp_path), out=str(tmp_path / "lr"), **common)
    _check(long)
    assert {r["judge"]["mode"] for r in long.records} == {"pairwise", "ranking"}
    assert long.metrics["judge"]["policy"]["name"] == "longrewardbench"
