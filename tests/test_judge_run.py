"""A generative judge end to end on the embedded model: seeded placement, raw outputs kept, invalid
verdicts counted, both orders, cached re-run, rescore."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assay.protocols.judge_pairwise import chosen_is_a, judge_outcome
from assay.records.rescore import rescore
from assay.records.rundir import load_run
from assay.runner import evaluate

CHECK_RUN = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


def test_placement_is_seeded_and_balanced() -> None:
    picks = [chosen_is_a(0, f"item-{i}") for i in range(400)]
    assert picks == [chosen_is_a(0, f"item-{i}") for i in range(400)]
    assert 150 < sum(picks) < 250
    assert picks != [chosen_is_a(1, f"item-{i}") for i in range(400)]


def test_judge_outcome_rules() -> None:
    def rec(*js: tuple[str, str, bool]) -> dict:
        return {"judgements": [{"chosen_label": c, "verdict": v, "valid": ok} for c, v, ok in js]}

    assert judge_outcome(rec(("A", "A", True)))["credit"] == 1.0
    assert judge_outcome(rec(("B", "A", True)))["credit"] == 0.0
    o = judge_outcome(rec(("A", "invalid", False)))
    assert (o["credit"], o["invalid"], o["tie"]) == (0.5, 1, True)
    both = judge_outcome(rec(("A", "A", True), ("B", "B", True)))  # picks the chosen answer in both orders
    assert both["credit"] == 1.0 and both["agree"]
    flip = judge_outcome(rec(("A", "A", True), ("B", "A", True)))  # always says A: position bias
    assert flip["credit"] == 0.5 and not flip["agree"]


@pytest.mark.slow
def test_judge_run_on_default_model(tmp_path: Path, default_model_dir: Path) -> None:
    common = {
        "subsets": ("pairs",),
        "limit": 3,
        "cache_dir": str(tmp_path / "c"),
        "n_boot": 200,
        "max_tokens": 6,
        "both_orders": True,
    }
    run = evaluate("demo-gsm8k", "hfgen:default", out=str(tmp_path / "j"), **common)
    assert run.manifest["counts"]["items"] == 3 and run.manifest["counts"]["generated"] == 6
    for r in run.records:
        assert len(r["judgements"]) == 2 and {j["chosen_label"] for j in r["judgements"]} == {"A", "B"}
        for j in r["judgements"]:
            assert isinstance(j["raw"], str) and (j["valid"] or j["verdict"] == "invalid")
    judge = run.metrics["judge"]
    assert judge["judgements"] == 6 and judge["invalid"] == sum(r["outcome"]["invalid"] for r in run.records)
    assert "both_orders_agreement" in judge
    metrics, diffs = rescore(load_run(run.path))
    assert diffs == []
    if CHECK_RUN.exists():
        chk = subprocess.run([sys.executable, str(CHECK_RUN), str(run.path)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
    again = evaluate("demo-gsm8k", "hfgen:default", out=str(tmp_path / "j2"), **common)
    assert again.manifest["counts"]["generated"] == 0 and again.manifest["counts"]["cached"] == 6
    assert [r["judgements"] for r in again.records] == [r["judgements"] for r in run.records]
