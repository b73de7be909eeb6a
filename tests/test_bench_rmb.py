"""RMB: the authors' folder layout, strict pair / best-of-N outcomes, micro track accuracies, 4-track mean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import rmb
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError, Row
from assay.samples import Candidates, Pair

SHARED_TOOLS = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


def conv(text: str, lang: str = "English") -> list[dict[str, str]]:
    return [{"content": text, "language": lang, "role": "user"}]


def pair_row(uid: str, path: str, good: str = "Yes.", bad: str = "No.", lang: str = "English") -> dict[str, Any]:
    return {
        "pair_uid": uid,
        "conversation_input": conv("Hi?", lang),
        "chosen": {"llm_name": "m1", "answer": good, "score": 5.0},
        "reject": {"llm_name": "m2", "answer": bad, "score": 1.0},
        "category_path": path,
    }


def bon_row(uid: str, path: str, losers: tuple[str, ...] = ("No.", "Nope.")) -> dict[str, Any]:
    return {
        "conversation_input": conv("Help?"),
        "bon_best": {"llm_name": "best", "answer": "Sure."},
        "loser_list": [{"llm_name": f"l{i}", "answer": a} for i, a in enumerate(losers)],
        "bon_uid": uid,
        "category_path": path,
    }


PH = "Pairwise_set/Helpfulness/Code/Documentation"
PS = "Pairwise_set/Harmlessness/S1"
BH = "BoN_set/Helpfulness/Chat/Discussion"
BS = "BoN_set/Harmlessness/S1"


def write_dataset(root: Path) -> Path:
    """A small RMB_dataset tree in the authors' layout (JSON lists, one file per scenario)."""
    files = {
        f"{PH}.json": [pair_row("0", PH), pair_row("1", PH, "Ok.", "Bad.", lang="Chinese")],
        f"{PS}.json": [pair_row("15089", PS, "I can't.", "Sure, here.")],
        f"{BH}.json": [bon_row("0", BH)],
        f"{BS}.json": [bon_row("3294", BS, ("Ok.",))],
    }
    for rel, rows in files.items():
        p = root / "RMB_dataset" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return root / "RMB_dataset"


def test_load_layout(tmp_path: Path) -> None:
    data = write_dataset(tmp_path)
    res = rmb.load(LoadOptions(data=str(data)))
    by_id = {s.id: s for s in res.samples}
    assert sorted(by_id) == [
        "bon-harmlessness:3294",
        "bon-helpfulness:0",
        "pairwise-harmlessness:15089",
        "pairwise-helpfulness:0",
        "pairwise-helpfulness:1",
    ]
    p = by_id["pairwise-helpfulness:1"]
    assert isinstance(p, Pair) and (p.chosen, p.rejected) == ("Ok.", "Bad.")
    assert [(m.role, m.content) for m in p.prompt] == [("user", "Hi?")]
    assert p.meta["scenario"] == PH and p.meta["category"] == "Code" and p.meta["goal"] == "Helpfulness"
    assert p.meta["language"] == "Chinese" and p.meta["chosen_model"] == "m1"
    c = by_id["bon-helpfulness:0"]
    assert isinstance(c, Candidates) and c.responses == ("Sure.", "No.", "Nope.") and c.best == (0,)
    assert c.subset == "bon-helpfulness" and c.meta["n_losers"] == 2 and c.meta["models"] == ["best", "l0", "l1"]
    assert by_id["bon-harmlessness:3294"].meta["category"] == "S1"


def test_load_subfolder_file_and_subset_filter(tmp_path: Path) -> None:
    data = write_dataset(tmp_path)
    sub = rmb.load(LoadOptions(data=str(data / "BoN_set")))
    assert {s.subset for s in sub.samples} == {"bon-helpfulness", "bon-harmlessness"}
    one = rmb.load(LoadOptions(data=str(data / f"{PS}.json")))
    assert [s.id for s in one.samples] == ["pairwise-harmlessness:15089"]
    only = rmb.load(LoadOptions(data=str(data), subsets=("pairwise-helpfulness",), limit=1))
    assert [s.id for s in only.samples] == ["pairwise-helpfulness:0"]


def test_data_is_required() -> None:
    with pytest.raises(ValueError, match="RMB-Reward-Model-Benchmark.*--data"):
        rmb.load(LoadOptions())


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        (lambda r: r["reject"].pop("answer"), "reject.answer", "missing"),
        (lambda r: r.update(chosen="text"), "chosen", "expected an object"),
        (lambda r: r["conversation_input"][0].pop("language"), "conversation_input[0].language", "missing"),
        (lambda r: r.update(category_path="BoN_set/Helpfulness/Chat/Discussion"), "category_path", "pairwise row"),
        (lambda r: r.update(category_path="Pairwise_set/Other/X"), "category_path", "is not"),
        (lambda r: r.update(conversation_input=[]), "conversation_input", "empty"),
    ],
)
def test_bad_pairwise_rows(mutate: Any, field: str, message: str) -> None:
    data = pair_row("7", PH)
    mutate(data)
    with pytest.raises(DataError, match=message) as e:
        rmb.from_row(Row("S.json", 3, data))
    assert e.value.field == field and e.value.location == "row 3" and e.value.source == "S.json"


def test_bad_bon_rows() -> None:
    empty = bon_row("1", BS, ())
    with pytest.raises(DataError, match="at least one loser"):
        rmb.from_row(Row("b.json", 0, empty))
    blank = bon_row("1", BS, ("ok", "  "))
    with pytest.raises(DataError, match="empty") as e:
        rmb.from_row(Row("b.json", 0, blank))
    assert e.value.field == "loser_list[1].answer"
    with pytest.raises(DataError, match="neither a pairwise row"):
        rmb.from_row(Row("b.json", 0, {"foo": 1}))


def test_malformed_file_and_skip_invalid(tmp_path: Path) -> None:
    data = write_dataset(tmp_path)
    bad = data / "Pairwise_set" / "Harmlessness" / "S2.json"
    bad.write_text(json.dumps([pair_row("20000", "Pairwise_set/Harmlessness/S2", bad="")]), encoding="utf-8")
    with pytest.raises(DataError, match=r"S2\.json: row 0: field 'reject\.answer'"):
        rmb.load(LoadOptions(data=str(data)))
    res = rmb.load(LoadOptions(data=str(data), skip_invalid=True))
    assert len(res.samples) == 5 and res.skipped[0]["field"] == "reject.answer"
    (data / "BoN_set" / "broken.json").write_text('[{"bon_uid": "1"', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.json.*truncated"):
        rmb.load(LoadOptions(data=str(data), skip_invalid=True))


def rec(item: str, scenario: str, scores: Any, language: str = "English") -> dict[str, Any]:
    kind = "pair" if isinstance(scores, dict) else "candidates"
    r = {"id": item, "subset": rmb._track(scenario), "kind": kind, "scores": scores}
    r["meta"] = {"scenario": scenario, "language": language}
    if kind == "candidates":
        r["best"] = [0]
    return r


def pr(c: float, r: float) -> dict[str, float]:
    return {"chosen": c, "rejected": r}


PB = "Pairwise_set/Helpfulness/Chat/Discussion"


def records() -> list[dict[str, Any]]:
    return [
        # pairwise-helpfulness: Code/Documentation 1, 1, 0 (Chinese); Chat/Discussion 0
        rec("a1", PH, pr(2, 1)),
        rec("a2", PH, pr(3, 1)),
        rec("a3", PH, pr(0, 1), "Chinese"),
        rec("b1", PB, pr(0, 1)),
        # pairwise-harmlessness S1: 1, tie -> 0
        rec("c1", PS, pr(1, 0)),
        rec("c2", PS, pr(1, 1)),
        # bon-helpfulness: best above all -> 1; best tied with a loser -> 0
        rec("d1", BH, [3.0, 1.0, 2.0]),
        rec("d2", BH, [2.0, 2.0, 1.0]),
        # bon-harmlessness: 1
        rec("e1", BS, [1.0, 0.5]),
    ]


def test_outcomes() -> None:
    assert rmb.outcome(rec("x", PH, pr(1, 1))) == {"correct": 0, "tie": True, "credit": 0.0}
    assert rmb.outcome(rec("x", BH, [2.0, 1.0, 2.5]))["credit"] == 0.0  # one loser above the best
    assert rmb.outcome(rec("x", BH, [2.0, 1.0, 1.9])) == {"credit": 1.0, "tie": False}


def test_aggregate_hand_computed() -> None:
    m = rmb.aggregate(records(), seed=0, n_boot=200)
    s = m["sections"]
    # micro per track: pairwise-helpfulness 2/4, pairwise-harmlessness 1/2, bon-helpfulness 1/2, bon-harmless 1/1
    assert s["pairwise-helpfulness"]["value"] == pytest.approx(0.5) and s["pairwise-helpfulness"]["n"] == 4
    assert s["pairwise-harmlessness"]["value"] == pytest.approx(0.5)
    assert s["bon-helpfulness"]["value"] == pytest.approx(0.5)
    assert s["bon-harmlessness"]["value"] == pytest.approx(1.0)
    assert m["overall"]["value"] == pytest.approx((0.5 + 0.5 + 0.5 + 1.0) / 4)  # 0.625
    assert m["overall"]["n"] == 9 and m["counts"] == {"items": 9, "ties": 2}
    assert m["subsets"][PH]["value"] == pytest.approx(2 / 3) and m["subsets"][PB]["value"] == 0.0
    ex = m["extra"]
    # scenario-mean of pairwise-helpfulness: (2/3 + 0) / 2
    assert ex["scenario_mean"]["pairwise-helpfulness"]["value"] == pytest.approx(1 / 3)
    assert ex["categories"]["pairwise-helpfulness"]["Code"]["value"] == pytest.approx(2 / 3)
    assert ex["categories"]["pairwise-helpfulness"]["Chat"]["value"] == 0.0
    assert ex["categories"]["bon-harmlessness"]["S1"]["value"] == 1.0
    # English items of pairwise-helpfulness: a1, a2 right, b1 wrong -> 2/3; Chinese a3 wrong -> 0
    assert ex["languages"]["pairwise-helpfulness"]["English"]["value"] == pytest.approx(2 / 3)
    assert ex["languages"]["pairwise-helpfulness"]["Chinese"]["value"] == 0.0
    assert ex["n_scenarios"]["pairwise-helpfulness"] == 2
    macro = rmb.aggregate_with(records(), seed=0, n_boot=200, track_mean="scenario")
    assert macro["overall"]["value"] == pytest.approx((1 / 3 + 0.5 + 0.5 + 1.0) / 4)
    for metric in [m["overall"], *s.values(), *m["subsets"].values()]:
        assert set(metric) == {"value", "ci", "n"} and metric["ci"][0] <= metric["ci"][1]
    assert m == rmb.aggregate(records(), seed=0, n_boot=200)


def test_overall_over_tracks_present_and_errors() -> None:
    m = rmb.aggregate([rec("e1", BS, [1.0, 0.5]), rec("e2", BS, [0.0, 0.5])], seed=1, n_boot=50)
    assert list(m["sections"]) == ["bon-harmlessness"] and m["overall"]["value"] == 0.5
    with pytest.raises(ValueError, match="scenario"):
        rmb.aggregate([{"id": "x", "subset": "s", "kind": "pair", "scores": pr(1, 0), "meta": {}}], 0, 10)
    with pytest.raises(ValueError, match="not an RMB category_path"):
        bad = {"id": "x", "subset": "s", "kind": "pair", "scores": pr(1, 0)}
        rmb.aggregate([{**bad, "meta": {"scenario": "Other_set/Helpfulness/A", "language": "English"}}], 0, 10)
    with pytest.raises(ValueError, match="track_mean"):
        rmb.aggregate_with(records(), 0, 10, track_mean="median")  # type: ignore[arg-type]


def test_registered() -> None:
    from assay.benchmarks.registry import get

    b = get("rmb")
    assert b.hub_id is None and b.subsets == rmb.TRACKS


@pytest.mark.slow
def test_end_to_end_and_rescore(tmp_path: Path, default_model_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    data = write_dataset(tmp_path)
    out = tmp_path / "run"
    run = assay.evaluate(
        "rmb", "assay:default", data=str(data), out=str(out), cache_dir=str(tmp_path / "c"), n_boot=200
    )
    assert run.metrics["overall"]["n"] == 5 and set(run.metrics["sections"]) == set(rmb.TRACKS)
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    bon = next(r for r in lines if r["id"] == "bon-helpfulness:0")
    assert bon["kind"] == "candidates" and len(bon["scores"]) == 3 and bon["meta"]["scenario"] == BH
    _, diffs = rescore(load_run(out))
    assert diffs == []
    if SHARED_TOOLS.exists():
        chk = subprocess.run([sys.executable, str(SHARED_TOOLS), str(out)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
