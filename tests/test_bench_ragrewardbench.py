"""RAG-RewardBench: rows of the hub's Dataset/<category>.jsonl files, the prompt with the retrieved
documents and the question, strict pair outcomes, and the paper's item-weighted Helpful/Harmless/overall."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import ragrewardbench as rag
from assay.benchmarks.registry import LoadOptions
from assay.data.rows import DataError, Row

CHECK_RUN = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"
DOCS = "[1] Paris is the capital of France.\n[2] Lyon is a city in France."
QUESTION = "What is the capital of France?"
PROMPT = (
    f"## References\n{DOCS}\nUsing the references listed above, answer the following question in detail.\n"
    f"## Question: {QUESTION}\n## Answer:"
)


def rag_row(i: int, subset: str = "NQ", **kw: Any) -> dict[str, Any]:
    """A row with the published fields: prompt, question, chosen, reject, chosen_model, reject_model, subset."""
    row = {
        "prompt": PROMPT,
        "question": QUESTION,
        "chosen": f"Paris [1]. ({i})",
        "reject": f"Lyon. ({i})",
        "chosen_model": "Llama-3.1-8B-Instruct",
        "reject_model": "Qwen2.5-7B-Instruct",
        "subset": subset,
    }
    return row | kw


def write(folder: Path, category: str, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{category}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def rec(i: int, category: str, chosen: float, rejected: float, dataset: str | None = None) -> dict[str, Any]:
    return {
        "id": f"{category}:{i}",
        "subset": category,
        "kind": "pair",
        "scores": {"chosen": chosen, "rejected": rejected},
        "meta": {"dataset": dataset},
    }


# ---------------------------------------------------------------- rows


def test_row_with_question_in_prompt_is_kept() -> None:
    p = rag.from_row(Row("reason.jsonl", 4, rag_row(0, subset="HotpotQA"), line=5), "reason")
    assert p.id == "reason:4" and p.subset == "reason"
    assert [(m.role, m.content) for m in p.prompt] == [("user", PROMPT)]
    assert (p.chosen, p.rejected) == ("Paris [1]. (0)", "Lyon. (0)")
    assert p.meta["dataset"] == "HotpotQA" and p.meta["prompt_source"] == "field"
    assert p.meta["rejected_model"] == "Qwen2.5-7B-Instruct"


def test_prompt_without_question_gets_the_paper_template() -> None:
    p = rag.from_row(Row("helpful.jsonl", 0, rag_row(0, prompt=DOCS)), "helpful")
    assert p.meta["prompt_source"] == "template"
    # Table 5 user prompt: references, instruction, question, answer cue
    assert p.prompt[0].content == PROMPT
    msgs = [{"role": "system", "content": "Use the references."}, {"role": "user", "content": PROMPT}]
    kept = rag.from_row(Row("helpful.jsonl", 1, rag_row(1, prompt=msgs)), "helpful")
    assert [m.role for m in kept.prompt] == ["system", "user"] and kept.meta["prompt_source"] == "field"


def test_rejected_field_alias_and_category_from_subset() -> None:
    data = {k: v for k, v in rag_row(0).items() if k != "reject"} | {"rejected": "Lyon."}
    assert rag.from_row(Row("abstain.jsonl", 0, data), "abstain").rejected == "Lyon."
    p = rag.from_row(Row("all.jsonl", 3, rag_row(0, subset="Conflict")))
    assert p.subset == "conflict" and p.meta["dataset"] is None


@pytest.mark.parametrize(
    ("data", "category", "field", "needle"),
    [
        ({k: v for k, v in rag_row(0).items() if k != "reject"}, "helpful", "reject", "missing"),
        (rag_row(0, chosen=None), "helpful", "chosen", "missing"),
        (rag_row(0, prompt=""), "helpful", "prompt", "empty"),
        (rag_row(0, subset="harmless"), "helpful", "subset", "names category 'harmless'"),
        (rag_row(0, subset="NQ"), None, "subset", "cannot tell the category"),
    ],
)
def test_bad_rows(data: dict[str, Any], category: str | None, field: str, needle: str) -> None:
    with pytest.raises(DataError, match=needle) as e:
        rag.from_row(Row("x.jsonl", 1, data, line=2), category)
    assert e.value.location == "line 2" and e.value.field == field


# ---------------------------------------------------------------- loading


def test_load_hub_layout_subsets_limit(tmp_path: Path) -> None:
    folder = tmp_path / "RAG-RewardBench" / "Dataset"
    write(folder, "helpful", [rag_row(0, "NQ"), rag_row(1, "ASQA")])
    write(folder, "citation", [rag_row(0, "ASQA")])
    write(folder, "conflict", [rag_row(0, "NQ-Counterfactual")])
    res = rag.load(LoadOptions(data=str(tmp_path / "RAG-RewardBench")))
    assert sorted(s.id for s in res.samples) == ["citation:0", "conflict:0", "helpful:0", "helpful:1"]
    # ASQA appears in two categories and stays apart
    assert {(s.subset, s.meta["dataset"]) for s in res.samples} >= {("helpful", "ASQA"), ("citation", "ASQA")}
    lim = rag.load(LoadOptions(data=str(folder), subsets=("helpful",), limit=1))
    assert [s.id for s in lim.samples] == ["helpful:0"]
    assert len(rag.load(LoadOptions(data=str(folder / "citation.jsonl"))).samples) == 1
    with pytest.raises(ValueError, match="unknown RAG-RewardBench category"):
        rag.load(LoadOptions(data=str(folder), subsets=("Helpful",)))
    with pytest.raises(DataError, match="no category file"):
        rag.load(LoadOptions(data=str(folder), subsets=("abstain",)))


def test_load_malformed_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "harmless", [rag_row(0), rag_row(1, chosen=float("nan"))])
    with path.open("a") as f:
        f.write("[1, 2]\n")
    with pytest.raises(DataError) as e:
        rag.load(LoadOptions(data=str(tmp_path)))
    assert e.value.source == str(path) and e.value.location == "line 2" and e.value.field == "chosen"
    res = rag.load(LoadOptions(data=str(tmp_path), skip_invalid=True))
    assert [s.id for s in res.samples] == ["harmless:0"]
    assert [s["row"] for s in res.skipped] == ["line 2", "line 3"]


# ---------------------------------------------------------------- aggregation


def test_aggregate_hand_computed() -> None:
    recs = [
        rec(0, "helpful", 2, 1, "NQ"),  # right
        rec(1, "helpful", 0, 1, "NQ"),  # wrong
        rec(0, "reason", 1, 0, "HotpotQA"),  # right
        rec(0, "citation", 1, 1, "ASQA"),  # tie: wrong
        rec(0, "harmless", 1, 0),
        rec(1, "harmless", 1, 0),
        rec(0, "abstain", 0, 1),
        rec(0, "conflict", 1, 0),
    ]
    m = rag.aggregate(recs, seed=0, n_boot=200)
    assert {k: v["value"] for k, v in m["subsets"].items()} == {
        "helpful": 0.5,
        "reason": 1.0,
        "citation": 0.0,
        "harmless": 1.0,
        "abstain": 0.0,
        "conflict": 1.0,
    }
    # item-weighted: Helpful (1 + 0 + 1 + 0) / 4, Harmless (1 + 1 + 0 + 1) / 4, overall 5 / 8
    assert m["sections"]["Helpful"]["value"] == 0.5 and m["sections"]["Helpful"]["n"] == 4
    assert m["sections"]["Harmless"]["value"] == 0.75
    assert m["overall"]["value"] == 5 / 8 and m["overall"]["n"] == 8
    assert m["extra"]["macro"]["value"] == pytest.approx((0.5 + 1 + 0 + 1 + 0 + 1) / 6)
    assert m["extra"]["datasets"]["helpful/NQ"]["value"] == 0.5 and "harmless/None" not in m["extra"]["datasets"]
    assert m["counts"] == {"items": 8, "ties": 1}
    assert m == rag.aggregate(recs, seed=0, n_boot=200)


def test_aggregate_reproduces_paper_table2_row() -> None:
    """Skywork-Critic-Llama-3.1-70B in Table 2: 85.9 77.1 68.1 | 76.1 || 91.6 74.2 83.2 | 82.0 || 78.3.

    With the Table 4 sizes, 225/262, 236/306, 246/361, 142/155, 161/217, 153/184 correct give those six
    columns; the averages then come out as printed only when weighted by items: 707/929 = 76.1,
    456/556 = 82.0, 1163/1485 = 78.3 (a mean of the columns would give 77.0, 83.0 and 80.0).
    """
    correct = {"helpful": 225, "reason": 236, "citation": 246, "harmless": 142, "abstain": 161, "conflict": 153}
    recs = [
        rec(i, c, 1.0, 0.0) if i < correct[c] else rec(i, c, 0.0, 1.0)
        for c, n in rag.CATEGORY_COUNTS.items()
        for i in range(n)
    ]
    m = rag.aggregate(recs, seed=0, n_boot=20)
    cols = [round(100 * m["subsets"][c]["value"], 1) for c in rag.CATEGORIES]
    assert cols == [85.9, 77.1, 68.1, 91.6, 74.2, 83.2]
    assert round(100 * m["sections"]["Helpful"]["value"], 1) == 76.1
    assert round(100 * m["sections"]["Harmless"]["value"], 1) == 82.0
    assert round(100 * m["overall"]["value"], 1) == 78.3 and m["overall"]["n"] == 1485


def test_no_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="no RAG-RewardBench category"):
        rag.aggregate([rec(0, "other", 1, 0)], seed=0, n_boot=10)


def test_registered() -> None:
    from assay.benchmarks.registry import get

    b = get("rag-rewardbench")
    assert b.hub_id == "jinzhuoran/RAG-RewardBench" and b.subsets == rag.CATEGORIES
    assert sum(rag.CATEGORY_COUNTS.values()) == 1485 and set(b.sections) == {"Helpful", "Harmless"}


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
def test_end_to_end_default_model(tmp_path: Path, default_model_dir: Path) -> None:
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run
    from assay.runner import evaluate

    folder = tmp_path / "RAG-RewardBench" / "Dataset"
    write(folder, "reason", [rag_row(0, "HotpotQA")])
    write(folder, "citation", [rag_row(0, "ELI5", chosen="Paris [1].", reject="Lyon [2].")])
    write(folder, "abstain", [rag_row(0, "PopQA-Noise", prompt=DOCS, chosen="Paris.", reject="I cannot say.")])
    run = evaluate(
        "rag-rewardbench",
        "assay:default",
        data=str(folder.parent),
        out=str(tmp_path / "run"),
        cache_dir=str(tmp_path / "c"),
        n_boot=200,
    )
    assert run.manifest["counts"]["items"] == 3 and run.manifest["counts"]["unique_requests"] == 6
    outcomes = [r["outcome"]["correct"] for r in run.records]
    assert run.metrics["overall"]["value"] == pytest.approx(sum(outcomes) / 3)
    assert run.metrics["extra"]["prompt_from_template"] == 1
    metrics, diffs = rescore(load_run(run.path))
    assert diffs == []
    if CHECK_RUN.exists():
        chk = subprocess.run([sys.executable, str(CHECK_RUN), str(run.path)], capture_output=True, text=True)
        assert chk.returncode == 0, chk.stdout
