"""Long-RewardBench: official row format (one JSON Lines file per task), the original's presentation
shuffle, rank-position credit, and the results.csv columns (tasks, Same/Diff, Rank2-4, length buckets)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import longrewardbench as lrb
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError, Row
from assay.samples import Candidates, Pair

CHECK_RUN = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"
PROMPT = [{"role": "system", "content": "Read the context."}, {"role": "user", "content": "Context: ... Q?"}]


def pair_row(i: int, subtype: str | None = "same", length: str = "4k", **kw: Any) -> dict[str, Any]:
    """A PairWise row with the release's fields (dataset_info of LCM-Lab/LongRewardBench)."""
    row = {
        "id": i,
        "prompt_template": PROMPT,
        "question": "Q?",
        "source": "longbench",
        "chosen": f"good {i}",
        "rejected": f"bad {i}",
        "subtask": "qa",
        "chosen_model": "m1",
        "rejected_model": "m1",
        "ctx_length_for_length": length,
        "ctx_length_for_words": length,
        "length": 4000,
        "words_count": 3000,
        "task": "QA",
        "tasktype": "PairWise",
        "subtype": subtype,
    }
    return row | kw


def bon_row(i: int, n: int = 3, length: str = "8k", **kw: Any) -> dict[str, Any]:
    row = {
        "id": i,
        "prompt_template": PROMPT,
        "question": "Q?",
        "source": "longbench",
        "subtask": "qa",
        "ctx_length_for_length": length,
        "ctx_length_for_words": length,
        "length": 8000,
        "words_count": 6000,
        "task": "QA",
        "tasktype": "BestOfN",
        "subtype": str(n),
        "candidates_model": ["m"] * n,
        "candidates": [f"answer rank {k}" for k in range(n)],
        "candidates_score": [9.0 - k for k in range(n)],
    }
    return row | kw


def write(folder: Path, task: str, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{task}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def row(data: dict[str, Any], index: int = 0) -> Row:
    return Row("Cite.jsonl", index, data, line=index + 1)


# ---------------------------------------------------------------- rows


def test_pair_and_bestofn_rows() -> None:
    p = lrb.from_row(row(pair_row(7, subtype="same")), "Cite", [1, 0])
    assert isinstance(p, Pair) and p.id == "Cite:0" and (p.chosen, p.rejected) == ("good 7", "bad 7")
    assert [m.role for m in p.prompt] == ["system", "user"]
    assert p.meta["subset"] == "Cite" and p.meta["tasktype"] == "PairWise" and p.meta["subtype"] == "same"
    assert p.meta["length"] == "4k" and p.meta["order"] == [1, 0] and p.meta["models"] == ["m1", "m1"]
    b = lrb.from_row(row(bon_row(3, n=4), index=5), "Code")
    assert isinstance(b, Candidates) and b.id == "Code:5" and len(b.responses) == 4
    assert b.best == (0,) and b.ranking == (1, 2, 3, 4)  # candidates are listed best first
    assert b.meta["subtype"] == "4" and b.meta["order"] == [0, 1, 2, 3]
    # evaluator.py: subtype = str(k): a missing subtype becomes "None" (counted as Diff)
    assert lrb.from_row(row(pair_row(1, subtype=None)), "Cite").meta["subtype"] == "None"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (pair_row(1, tasktype="Ranking"), "tasktype"),
        ({k: v for k, v in pair_row(1).items() if k != "tasktype"}, "tasktype"),
        ({k: v for k, v in pair_row(1).items() if k != "ctx_length_for_length"}, "ctx_length_for_length"),
        (pair_row(1, rejected=""), "rejected"),
        (bon_row(1, candidates=["only one"]), "candidates"),
        (bon_row(1, candidates="not a list"), "candidates"),
        (pair_row(1, prompt_template=[{"role": "narrator", "content": "x"}]), "prompt_template[0]"),
    ],
)
def test_bad_rows_name_file_line_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as e:
        lrb.from_row(Row("Cite.jsonl", 2, data, line=3), "Cite")
    assert e.value.source == "Cite.jsonl" and e.value.location == "line 3" and e.value.field == field


def test_presentation_orders_replay_the_original_preprocess() -> None:
    """preprocess.py, transcribed: random.seed(42); random.shuffle(dataset); per item random.shuffle(order)."""
    sizes = [2, 3, 2, 4, 2]
    random.seed(42)
    dataset = [{"index": i, "k": k} for i, k in enumerate(sizes)]
    random.shuffle(dataset)
    expected: dict[int, list[int]] = {}
    for data in dataset:
        order = list(range(data["k"]))
        random.shuffle(order)
        expected[data["index"]] = order
    assert lrb.presentation_orders(sizes) == [expected[i] for i in range(len(sizes))]


# ---------------------------------------------------------------- outcomes


def prec(scores: Any, *, kind: str = "pair", order: list[int] | None = None, **meta: Any) -> dict[str, Any]:
    if kind == "pair":
        s: Any = {"chosen": scores[0], "rejected": scores[1]}
    else:
        s = list(scores)
    return {
        "id": "x",
        "subset": meta.pop("task", "Cite"),
        "kind": kind,
        "scores": s,
        "meta": {"order": order or list(range(len(scores))), **meta},
    }


def test_outcome_rank_credit() -> None:
    assert lrb.outcome(prec([2.0, 1.0]))["credit"] == 1.0
    assert lrb.outcome(prec([1.0, 2.0]))["credit"] == 0.0
    tie = lrb.outcome(prec([1.0, 1.0]))
    assert tie["credit"] == 0.5 and tie["tie"]  # expected over the random presentation order
    # BestOfN [3, 1, 2]: predicted ranks [1, 3, 2] against true [1, 2, 3]: only the best is placed -> 1/3
    assert lrb.outcome(prec([3.0, 1.0, 2.0], kind="candidates"))["credit"] == pytest.approx(1 / 3)
    # [2, 2, 1]: the tied pair shares ranks 1-2 (1/2 each), the last is right -> (0.5 + 0.5 + 1) / 3
    assert lrb.outcome(prec([2.0, 2.0, 1.0], kind="candidates"))["credit"] == pytest.approx(2 / 3)


def test_original_ties_follow_presentation_order() -> None:
    # a tie goes to the response shown first (stable sort of the presented scores)
    assert lrb.outcome_with(prec([1.0, 1.0], order=[0, 1]), "original")["credit"] == 1.0
    assert lrb.outcome_with(prec([1.0, 1.0], order=[1, 0]), "original")["credit"] == 0.0
    # scores [5, 5, 1] shown as [c1, c0, c2]: the tie goes to c1 (shown first), so only c2 is placed right
    tied = prec([5.0, 5.0, 1.0], kind="candidates", order=[1, 0, 2])
    out = lrb.outcome_with(tied, "original")
    assert out["credit"] == pytest.approx(1 / 3) and out["pred_rank"] == [2, 1, 3]
    assert lrb.outcome(tied)["credit"] == pytest.approx(2 / 3)  # expected: (1/2 + 1/2 + 1) / 3
    # without ties both policies agree: [0.3, 0.9, 0.1] ranks c1, c0, c2; only c2 is placed right
    r = prec([0.3, 0.9, 0.1], kind="candidates", order=[1, 2, 0])
    assert lrb.outcome_with(r, "original")["credit"] == lrb.outcome(r)["credit"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="ties policy"):
        lrb.outcome_with(r, "random")


# ---------------------------------------------------------------- aggregation


def records() -> list[dict[str, Any]]:
    return [
        prec([2.0, 1.0], task="Cite", tasktype="PairWise", subtype="same", length="4k"),  # 1
        prec([1.0, 2.0], task="Cite", tasktype="PairWise", subtype="diff", length="8k"),  # 0
        prec([2.0, 1.0], task="Code", tasktype="PairWise", subtype="None", length="4k"),  # 1 (Diff)
        prec([3.0, 1.0, 2.0], kind="candidates", task="Cite", tasktype="BestOfN", subtype="3", length="16k"),  # 1/3
        # [4, 3, 1, 2]: first two placed right -> 2/4
        prec([4.0, 3.0, 1.0, 2.0], kind="candidates", task="Code", tasktype="BestOfN", subtype="4", length="4k"),
    ]


def test_aggregate_hand_computed() -> None:
    m = lrb.aggregate(records(), seed=0, n_boot=200)
    v = {k: x["value"] for k, x in m["sections"].items()}
    n = {k: x["n"] for k, x in m["sections"].items()}
    # tasks are PairWise only: Cite (1 + 0) / 2, Code 1 / 1
    assert {k: x["value"] for k, x in m["subsets"].items()} == {"Cite": 0.5, "Code": 1.0}
    assert v["Same"] == 1.0 and v["Diff"] == 0.5 and n["Diff"] == 2  # Diff = every non-"same" pair
    assert v["PairWise"] == pytest.approx(2 / 3)
    assert v["Rank3"] == pytest.approx(1 / 3) and v["Rank4"] == 0.5 and "Rank2" not in v
    assert v["BestOfN"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    # length buckets are PairWise only: 4k = (1 + 1) / 2, 8k = 0; the BoN 16k item is in no bucket
    assert v["4k"] == 1.0 and v["8k"] == 0.0 and "16k" not in v and n["4k"] == 2
    # AVG. = micro over all five items: (1 + 0 + 1 + 1/3 + 1/2) / 5 = 17/30
    assert m["overall"]["value"] == pytest.approx(17 / 30) and m["overall"]["n"] == 5
    assert list(m["sections"]) == ["Same", "Diff", "PairWise", "Rank3", "Rank4", "BestOfN", "4k", "8k"]
    assert m["extra"]["tasks_bestofn"]["Cite"]["value"] == pytest.approx(1 / 3)
    assert m["extra"]["items"] == {"PairWise": 3, "BestOfN": 2, "per_task": {"Cite": 3, "Code": 2}}
    for x in [m["overall"], *m["sections"].values(), *m["subsets"].values()]:
        assert x["ci"][0] <= x["value"] <= x["ci"][1] or x["ci"][0] == x["ci"][1]
    assert m == lrb.aggregate(records(), seed=0, n_boot=200)


def test_aggregate_ties_policy_and_checks() -> None:
    recs = [
        prec(
            [1.0, 1.0], order=[1, 0], task="Cite", tasktype="PairWise", subtype="same", length="4k", models=["a", "a"]
        ),
        prec([2.0, 1.0], task="Cite", tasktype="PairWise", subtype="diff", length="4k", models=["a", "a"]),
        prec([1.0, 2.0, 0.0], kind="candidates", task="Cite", tasktype="BestOfN", subtype="4", length="4k"),
    ]
    recs[0]["truncated"] = 2
    expected = lrb.aggregate(recs, seed=1, n_boot=50)
    original = lrb.aggregate_with(recs, seed=1, n_boot=50, ties="original")
    assert expected["sections"]["Same"]["value"] == 0.5 and original["sections"]["Same"]["value"] == 0.0
    assert expected["counts"]["ties"] == 1 and expected["extra"]["ties_policy"] == "expected"
    checks = expected["extra"]["checks"]
    assert checks["pair_subtype_vs_models"]["same_equal_models"] == 1
    assert checks["pair_subtype_vs_models"]["diff_equal_models"] == 1
    assert checks["bon_subtype_not_n"] == 1  # subtype "4" on a 3-candidate item
    assert expected["extra"]["truncation"] == {"items": 1, "inputs": 2}


# ---------------------------------------------------------------- loading


def test_load_folder_orders_limit_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "LongRewardBench"
    write(folder, "Cite", [pair_row(0), bon_row(1, n=3), pair_row(2, subtype="diff")])
    write(folder, "Code", [pair_row(0), bon_row(1, n=4)])
    (folder / "README.md").write_text("not data")
    res = lrb.load(LoadOptions(data=str(folder)))
    ids = sorted(s.id for s in res.samples)
    assert ids == ["Cite:0", "Cite:1", "Cite:2", "Code:0", "Code:1"]
    cite = [s for s in res.samples if s.subset == "Cite"]
    assert [s.meta["order"] for s in cite] == lrb.presentation_orders([2, 3, 2])  # per file, seed 42
    only = lrb.load(LoadOptions(data=str(folder), subsets=("Code",), limit=1))
    assert [s.id for s in only.samples] == ["Code:0"]
    single = lrb.load(LoadOptions(data=str(folder / "Cite.jsonl")))
    assert len(single.samples) == 3 and single.fingerprint != res.fingerprint
    with pytest.raises(ValueError, match="unknown Long-RewardBench task"):
        lrb.load(LoadOptions(data=str(folder), subsets=("Poetry",)))
    other = tmp_path / "mixed.jsonl"
    other.write_text(json.dumps(pair_row(0)) + "\n")
    with pytest.raises(DataError, match="name the file after its task"):
        lrb.load(LoadOptions(data=str(other)))
    with pytest.raises(DataError, match="no task file"):
        lrb.load(LoadOptions(data=str(tmp_path / "LongRewardBench"), subsets=("Math",)))


def test_load_malformed_row(tmp_path: Path) -> None:
    folder = tmp_path / "bench"
    path = write(folder, "Math", [pair_row(0), bon_row(1, candidates=["x"])])
    with path.open("a") as f:
        f.write("{not json\n")
    with pytest.raises(DataError) as e:
        lrb.load(LoadOptions(data=str(folder)))
    assert e.value.source == str(path) and e.value.location == "line 2" and e.value.field == "candidates"
    res = lrb.load(LoadOptions(data=str(folder), skip_invalid=True))
    assert [s.id for s in res.samples] == ["Math:0"]
    assert [(s["row"], s["field"]) for s in res.skipped] == [("line 2", "candidates"), ("line 3", None)]


def test_registered() -> None:
    from assay.benchmarks.registry import get

    b = get("long-rewardbench")
    assert b.hub_id == "LCM-Lab/LongRewardBench" and b.default_truncation == "error"
    assert b.subsets == ("LongQA", "Summ", "Safety", "ICL", "Cite", "Code", "Math")
    assert sum(lrb.SAMPLE_NUMBERS.values()) == 1900


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_end_to_end_default_model(tmp_path: Path, default_model_dir: Path) -> None:
    from assay.models.hf_common import ContextOverflowError
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run
    from assay.runner import evaluate

    folder = tmp_path / "LongRewardBench"
    write(folder, "Cite", [pair_row(0, chosen="Paris [1].", rejected="Lyon."), bon_row(1, n=3)])
    write(folder, "Safety", [pair_row(0, subtype="diff", length="8k", chosen="I can't help.", rejected="Sure.")])
    common = {"data": str(folder), "cache_dir": str(tmp_path / "c"), "n_boot": 200}
    run = evaluate("long-rewardbench", "assay:default", out=str(tmp_path / "run"), **common)
    assert run.manifest["truncation"]["policy"] == "error" and run.manifest["counts"]["truncated"] == 0
    assert run.metrics["overall"]["n"] == 3 and set(run.metrics["subsets"]) == {"Cite", "Safety"}
    credits = [r["outcome"]["credit"] for r in run.records]
    assert run.metrics["overall"]["value"] == pytest.approx(sum(credits) / 3)
    metrics, diffs = rescore(load_run(run.path))
    assert diffs == []
    if CHECK_RUN.exists():
        chk = subprocess.run([sys.executable, str(CHECK_RUN), str(run.path)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
    # too long for max_length: the default policy refuses, naming the item(s), the request and the lengths
    with pytest.raises(ValueError, match=r"long-rewardbench: item\(s\) .+exceed max_length=24") as err:
        evaluate("long-rewardbench", "assay:default", out=str(tmp_path / "err"), max_length=24, **common)
    assert isinstance(err.value.__cause__, ContextOverflowError)
    cut = evaluate(
        "long-rewardbench", "assay:default", out=str(tmp_path / "mid"), max_length=24, truncate="middle", **common
    )
    assert cut.manifest["truncation"]["policy"] == "middle" and cut.manifest["counts"]["truncated"] > 0
    assert cut.metrics["extra"]["truncation"]["items"] > 0
