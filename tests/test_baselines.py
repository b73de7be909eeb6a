"""Length and position baselines beside every pairwise run, by the benchmark's own rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from assay.benchmarks.pairs import pairs_outcome
from assay.metrics.baselines import pairwise_baselines

# chosen/rejected lengths: (10, 5) long wins, (3, 8) short wins, (6, 6) length tie, (9, 1) long wins
PAIRS = [("c" * 10, "r" * 5), ("c" * 3, "r" * 8), ("c" * 6, "r" * 6), ("c" * 9, "r")]


def _write(tmp_path: Path) -> Path:
    p = tmp_path / "pairs.jsonl"
    p.write_text(
        "".join(
            json.dumps({"id": f"p{i}", "prompt": "q", "chosen": c, "rejected": r}) + "\n"
            for i, (c, r) in enumerate(PAIRS)
        )
    )
    return p


def _mean(records: list[dict], seed: int, n_boot: int) -> dict:
    vals = [r["outcome"]["credit"] for r in records]
    return {"overall": {"value": sum(vals) / len(vals), "n": len(vals)}}


def test_length_baselines_hand_computed_and_equal_to_the_length_model(tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    data = _write(tmp_path)
    run = assay.evaluate(
        str(data), "baseline:random?seed=3", out=str(tmp_path / "r"), cache_dir=str(cache_dir), n_boot=200
    )
    base = run.metrics["baselines"]
    # strict rule, ties wrong: length 2/4, shorter 1/4 (the tie is wrong both ways)
    assert base["length"]["overall"]["value"] == 0.5
    assert base["shorter"]["overall"]["value"] == 0.25
    assert "always_A" not in base  # not a judge run
    # the baseline is what the baseline:length model itself gets on the same items, CI included
    length_run = assay.evaluate(
        str(data), "baseline:length", out=str(tmp_path / "l"), cache_dir=str(cache_dir), n_boot=200
    )
    assert length_run.metrics["overall"] == base["length"]["overall"]
    assert rescore(load_run(run.path))[1] == []


def test_position_baselines_follow_the_recorded_placements() -> None:
    recs = []
    for i, labels in enumerate([["A"], ["A"], ["B"], ["A", "B"]]):
        recs.append(
            {
                "id": str(i),
                "subset": "s",
                "kind": "pair",
                "chosen": "x" * (i + 1),
                "rejected": "y",
                "judgements": [
                    {"chosen_label": lab, "raw": "?", "verdict": "invalid", "valid": False} for lab in labels
                ],
            }
        )
    base = pairwise_baselines(recs, pairs_outcome, _mean, seed=0, n_boot=100)
    assert base is not None
    # always A: credit 1, 1, 0 and 0.5 (both orders: one right, one wrong) -> 2.5 / 4
    assert base["always_A"]["overall"]["value"] == 2.5 / 4
    assert base["always_B"]["overall"]["value"] == 1.5 / 4
    # length on the same items: chosen longer except item 0 (1 vs 1: a tie, wrong)
    assert base["length"]["overall"]["value"] == 3 / 4
    # the run's own judgements are not altered
    assert all(not j["valid"] for r in recs for j in r["judgements"])


def test_no_baselines_for_non_pair_runs() -> None:
    recs = [{"id": "a", "kind": "candidates", "responses": ["x", "yy"], "best": [0]}]
    assert pairwise_baselines(recs, pairs_outcome, _mean, seed=0, n_boot=100) is None


def test_leaderboard_and_report_show_baselines(tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rundir import find_runs
    from assay.report.html import write_report
    from assay.report.leaderboard import render_leaderboard

    data = _write(tmp_path)
    assay.evaluate(
        str(data), "baseline:random?seed=1", out=str(tmp_path / "runs" / "a"), cache_dir=str(cache_dir), n_boot=200
    )
    views = find_runs([tmp_path / "runs"])
    buf = io.StringIO()
    render_leaderboard(views, Console(file=buf, width=200, color_system=None))
    text = buf.getvalue()
    assert "baseline: length (n=4)" in text and "50.0" in text
    assert "baseline: shorter (n=4)" in text and "25.0" in text
    html = write_report(views, tmp_path / "report.html").read_text()
    assert 'class="baseline"' in html and "baseline: length (n=4)" in html


def test_position_baselines_only_for_pairwise_verdicts_in_the_parsers_vocabulary() -> None:
    seen: list[list[str]] = []

    def spy(rec: dict) -> dict:
        seen.append([j["verdict"] for j in rec.get("judgements", [])])
        return {"credit": 0.0}

    base = {"id": "a", "subset": "s", "kind": "pair", "chosen": "xx", "rejected": "y"}
    jb = {
        **base,
        "judge": {"mode": "pairwise", "parser": "judgebench"},
        "judgements": [{"chosen_label": "A", "verdict": "invalid", "valid": False}],
    }
    out = pairwise_baselines([jb], spy, _mean, seed=0, n_boot=10)
    assert out is not None and {"always_A", "always_B"} <= set(out)
    assert ["A>B"] in seen and ["B>A"] in seen
    rating = {
        **base,
        "judge": {"mode": "rating", "parser": "rating"},
        "judgements": [{"response": "chosen", "verdict": 7, "valid": True}],
    }
    out = pairwise_baselines([rating], spy, _mean, seed=0, n_boot=10)
    assert out is not None and set(out) == {"length", "shorter"}
