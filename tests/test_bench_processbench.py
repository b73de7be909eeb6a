"""ProcessBench / MR-GSM8K: prompts, \\boxed parsing, voting, numbering, metrics on hand cases, the released
output format, the real data files, and an end-to-end critic run with the embedded model + rescore."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assay.benchmarks import processbench as pb
from assay.benchmarks.registry import LoadOptions, get
from assay.critics import process_metrics as pm
from assay.critics import process_prompts as pp
from assay.critics.processbench_data import KIND_CRITIC
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.samples import Item
from conftest import shared_data

# ---------------------------------------------------------------- prompt


def test_prompt_is_the_authors_template_with_paragraph_tags() -> None:
    text = pp.critique_prompt("What is 1+1?", ["1+1=3.", "So 3."], 0)
    assert text.startswith(
        "The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed "
        "from 0):\n\n[Math Problem]\n\nWhat is 1+1?\n\n[Solution]\n\n"
        "<paragraph_0>\n1+1=3.\n</paragraph_0>\n\n<paragraph_1>\nSo 3.\n</paragraph_1>\n\nYour task"
    )
    assert text.endswith("Please put your final answer (i.e., the index) in \\boxed{}.")


def test_deepcritic_numbering_prefixes_steps_unless_they_have_one() -> None:
    assert pp.tagged_response(["a", "Step 2: b", "c"], 1) == "Step 1: a\n\nStep 2: b\n\nStep 3: c"
    text = pp.critique_prompt("Q", ["a"], 1)
    assert "with i indexed starting from 1" in text and "<Solution>\nStep 1: a\n</Solution>" in text
    assert text.endswith("put your final answer (i.e., the step index) in \\boxed{}.")


# ---------------------------------------------------------------- parsing and voting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first \\boxed{3} then \\boxed{5}", 5),  # the last group
        ("\\boxed{ -1 }", -1),
        ("The answer is \\boxed{\\text{2}}", None),  # [^}]* stops at the first }: "\\text{2" is not an int
        ("\\boxed{2} and finally \\boxed{\\text{3}}", None),  # last group rule: no fallback to an earlier box
        ("no box, paragraph 2", None),
        ("\\boxed{}", None),
        ("\\boxed{two}", None),
        ("\\boxed{+4}", 4),  # Python int()
    ],
)
def test_authors_boxed_parse(text: str, expected: int | None) -> None:
    assert pm.to_index(pm.extract_boxed(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is \\boxed{\\text{2}}", 2),
        ("\\boxed{\\textbf{ 3 }} done", 3),
        ("\\boxed{1} then \\boxed{$-1$}", -1),
        ("\\boxed{\\text{2}", None),  # unclosed
        ("\\boxed{{4}}", None),  # a bare brace group is not unwrapped
    ],
)
def test_balanced_boxed_parse(text: str, expected: int | None) -> None:
    assert pm.to_index(pm.extract_boxed(text, "balanced")) == expected


def test_unknown_parse_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown parse"):
        pm.extract_boxed("\\boxed{1}", "loose")


def test_vote_is_counter_most_common_on_strings() -> None:
    # a tie goes to the answer seen first, exactly as Counter.most_common(1)
    assert pm.vote(["2", "1", "1", "2"]) == (2, True)
    assert Counter(["2", "1", "1", "2"]).most_common(1)[0][0] == "2"
    assert pm.vote(["1", "2", "2", "1"]) == (1, True)
    assert pm.vote(["3", None, "3", "1"]) == (3, False)  # boxless samples drop out of the vote
    # votes are on strings: a winning non-integer answer makes the item invalid even if ints were present
    assert pm.vote(["1", "x", "x"]) == (None, False)
    assert pm.vote([None, None]) == (None, False)


@pytest.mark.parametrize(
    ("pred", "label", "numbering", "match"),
    [
        (2, 2, 0, True),
        (1, 2, 0, False),
        (-1, -1, 0, True),
        (None, -1, 0, False),
        (3, 2, 1, True),  # DeepCritic: pred == label + 1
        (2, 2, 1, False),
        (-1, -1, 1, True),
        (0, -1, 1, False),  # "0" is not "no error" under 1-based numbering
    ],
)
def test_match_rule(pred: int | None, label: int, numbering: int, match: bool) -> None:
    assert pm.is_match(pred, label, numbering) is match


# ---------------------------------------------------------------- metrics on hand cases


def test_f1_including_zero_denominators() -> None:
    assert pm.f1_of(0.5, 1.0) == pytest.approx(2 / 3)
    assert pm.f1_of(1.0, 0.0) == 0.0
    assert pm.f1_of(0.0, 0.0) == 0.0  # harmonic mean of two zeros (numpy gives NaN upstream)
    assert math.isnan(pm.f1_of(float("nan"), 1.0))  # an undefined accuracy stays undefined


def _rec(i: int, subset: str, label: int, text: str, numbering: int = 0) -> dict[str, Any]:
    return {
        "id": f"{subset}-{i}",
        "subset": subset,
        "kind": KIND_CRITIC,
        "problem": "p",
        "steps": ["a", "b", "c", "d"],
        "label": label,
        "numbering": numbering,
        "parse": "authors",
        "votes": 1,
        "critiques": [text],
    }


def _hand_records() -> list[dict[str, Any]]:
    a = [
        _rec(0, "gsm8k", 1, "\\boxed{1}"),  # hit
        _rec(1, "gsm8k", 2, "\\boxed{0}"),  # miss
        _rec(2, "gsm8k", 0, "I think paragraph 0."),  # invalid: counted as a miss
        _rec(3, "gsm8k", -1, "\\boxed{-1}"),  # hit
        _rec(4, "gsm8k", -1, "\\boxed{3}"),  # miss
    ]
    b = [_rec(0, "math", 0, "\\boxed{0}"), _rec(1, "math", -1, "\\boxed{-1}")]
    return a + b


def test_aggregate_hand_computed() -> None:
    m = pb.aggregate(_hand_records(), seed=0, n_boot=200)
    g = m["process"]["gsm8k"]
    assert g["acc_err"]["value"] == pytest.approx(1 / 3) and g["acc_err"]["n"] == 3
    assert g["acc_cor"]["value"] == pytest.approx(1 / 2) and g["acc_cor"]["n"] == 2
    assert g["f1"]["value"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # 0.4
    assert g["invalid"] == 1 and g["invalid_rate"] == pytest.approx(1 / 5)
    assert m["process"]["math"]["f1"]["value"] == 1.0
    assert m["overall"]["value"] == pytest.approx((0.4 + 1.0) / 2)
    assert m["counts"]["invalid"] == 1
    lo, hi = g["f1"]["ci"]
    assert 0.0 <= lo <= hi <= 1.0
    # the same records give the same metrics (pure function of records + seed)
    assert pb.aggregate(_hand_records(), seed=0, n_boot=200) == m


def test_subset_without_correct_items_has_undefined_f1() -> None:
    recs = [_rec(0, "gsm8k", 1, "\\boxed{1}"), _rec(1, "gsm8k", 2, "\\boxed{2}")]
    m = pb.aggregate(recs, seed=0, n_boot=50)
    assert m["process"]["gsm8k"]["acc_err"]["value"] == 1.0
    assert m["process"]["gsm8k"]["acc_cor"]["n"] == 0 and math.isnan(m["process"]["gsm8k"]["acc_cor"]["value"])
    assert math.isnan(m["overall"]["value"])


def test_all_wrong_gives_zero_not_nan() -> None:
    recs = [_rec(0, "gsm8k", 1, "\\boxed{0}"), _rec(1, "gsm8k", -1, "\\boxed{2}")]
    assert pb.aggregate(recs, seed=0, n_boot=50)["overall"]["value"] == 0.0


def test_outcome_uses_record_numbering() -> None:
    rec = _rec(0, "mr-gsm8k", 1, "Step 2 is wrong. \\boxed{2}", numbering=1)
    assert pb.outcome(rec)["match"] is True
    rec["numbering"] = 0
    assert pb.outcome(rec)["match"] is False


# ---------------------------------------------------------------- run with a fake context


@dataclass
class FakeCtx:
    """What Benchmark.run may use, answering with fixed texts (one per requested completion)."""

    answers: list[str]
    spec: str = "fake"
    seed: int = 0
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_tokens=64))
    options: dict[str, str] = field(default_factory=dict)
    cache: Any = None
    cache_dir: Path = Path("/nonexistent")
    seen: list[GenerateRequest] = field(default_factory=list)

    def generate(self, requests: list[GenerateRequest]) -> list[Generation]:
        self.seen.extend(requests)
        it = iter(self.answers)
        out = []
        for r in requests:
            texts = tuple(next(it) for _ in range(r.sampling.n))
            out.append(Generation(texts, 10, 5, 0.0, ("stop",) * r.sampling.n))
        return out


def _items() -> list[Item]:
    return [
        Item("gsm8k-0", {"problem": "P0", "steps": ["a", "b"], "label": 1}, {"subset": "gsm8k"}),
        Item("gsm8k-1", {"problem": "P1", "steps": ["a", "b"], "label": -1}, {"subset": "gsm8k"}),
    ]


def test_run_records_raw_outputs_and_counts_invalid() -> None:
    bench = get("processbench")
    ctx = FakeCtx(["... so \\boxed{1}", "no idea"])
    recs = bench.run(_items(), ctx)  # type: ignore[misc]
    assert [r["critiques"] for r in recs] == [["... so \\boxed{1}"], ["no idea"]]
    assert [r["prediction"] for r in recs] == [1, None] and [r["valid"] for r in recs] == [True, False]
    assert "<paragraph_1>\nb\n</paragraph_1>" in ctx.seen[0].prompt[0].text()
    for r in recs:
        r["outcome"] = bench.outcome(r)
    m = bench.aggregate(recs, 0, 50)
    assert m["process"]["gsm8k"]["acc_err"]["value"] == 1.0 and m["process"]["gsm8k"]["acc_cor"]["value"] == 0.0
    assert m["counts"]["invalid"] == 1


def test_numbering_and_votes_options() -> None:
    bench = get("processbench").with_options({"numbering": "1", "votes": "3"})
    with pytest.raises(ValueError, match="temperature"):
        bench.run(_items(), FakeCtx([]))  # type: ignore[misc]
    ctx = FakeCtx(["\\boxed{2}", "\\boxed{1}", "\\boxed{2}", "\\boxed{-1}", "\\boxed{0}", "\\boxed{0}"])
    ctx.sampling = SamplingConfig(temperature=1.0, top_p=0.9, max_tokens=64, seed=3)
    recs = bench.run(_items(), ctx)  # type: ignore[misc]
    assert [r.sampling.n for r in ctx.seen] == [3, 3]
    assert "Step 1: a\n\nStep 2: b" in ctx.seen[0].prompt[0].text()
    outs = [bench.outcome(r) for r in recs]
    assert [o["prediction"] for o in outs] == [2, 0]
    assert [o["match"] for o in outs] == [True, False]  # label 1 -> "2" (1-based); label -1 -> needs -1
    with pytest.raises(ValueError, match="numbering"):
        get("processbench").with_options({"numbering": "2"})
    with pytest.raises(ValueError, match="votes"):
        get("processbench").with_options({"votes": "0"})
    with pytest.raises(ValueError, match="unknown option"):
        get("processbench").with_options({"colour": "red"})


def test_mr_gsm8k_defaults_to_deepcritic_numbering() -> None:
    ctx = FakeCtx(["\\boxed{2}", "\\boxed{-1}"])
    recs = get("mr-gsm8k").run(_items(), ctx)  # type: ignore[misc]
    assert recs[0]["numbering"] == 1 and "Step 1: a" in ctx.seen[0].prompt[0].text()


# ---------------------------------------------------------------- released outputs (run_eval.py format)


def _release_row(i: int, label: int, critique: Any, prediction: Any) -> dict[str, Any]:
    return {
        "id": f"gsm8k-{i}",
        "generator": "Qwen2-7B-Instruct",
        "problem": f"problem {i}",
        "steps": ["s0", "s1", "s2"],
        "final_answer_correct": label == -1,
        "label": label,
        "generated_critique": critique,
        "prediction": prediction,
        "match": prediction == label,
    }


def _write_release(folder: Path) -> None:
    folder.mkdir()
    err = [
        _release_row(0, 1, "... \\boxed{1}", 1),
        _release_row(1, 2, "... \\boxed{0}", 0),
        _release_row(2, 0, "no box at all", None),
    ]
    cor = [_release_row(3, -1, "\\boxed{-1}", -1), _release_row(4, -1, "\\boxed{2}", 2)]
    (folder / "gsm8k_error.jsonl").write_text("".join(json.dumps(r) + "\n" for r in err))
    (folder / "gsm8k_correct.jsonl").write_text("".join(json.dumps(r) + "\n" for r in cor))
    # voting run: generated_critique is a list; a PRM run: no critique, only the prediction
    math_err = [{**_release_row(0, 1, ["\\boxed{1}", "\\boxed{2}", "\\boxed{1}"], 1), "id": "math-0"}]
    math_cor = [
        {k: v for k, v in _release_row(1, -1, None, -1).items() if k != "generated_critique"} | {"id": "math-1"}
    ]
    (folder / "math_error.jsonl").write_text("".join(json.dumps(r) + "\n" for r in math_err))
    (folder / "math_correct.jsonl").write_text("".join(json.dumps(r) + "\n" for r in math_cor))


def test_score_released_predictions_and_rescore(tmp_path: Path) -> None:
    from assay.protocol_runner import score_predictions
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    _write_release(tmp_path / "outputs")
    run = score_predictions("processbench", tmp_path / "outputs", out=str(tmp_path / "run"), n_boot=200)
    g = run.metrics["process"]["gsm8k"]
    assert g["acc_err"]["value"] == pytest.approx(1 / 3) and g["acc_cor"]["value"] == pytest.approx(1 / 2)
    assert g["invalid"] == 1
    assert run.metrics["process"]["math"]["f1"]["value"] == 1.0  # vote "1" of 3; PRM-style prediction -1
    assert run.metrics["overall"]["value"] == pytest.approx((0.4 + 1.0) / 2)
    _, diffs = rescore(load_run(run.path))
    assert diffs == []
    only = score_predictions(
        "processbench", tmp_path / "outputs" / "gsm8k_error.jsonl", out=str(tmp_path / "r2"), n_boot=50
    )
    assert {r["subset"] for r in only.records} == {"gsm8k"} and len(only.records) == 3


def test_release_limit_takes_rows_from_both_files_alternately(tmp_path: Path) -> None:
    _write_release(tmp_path / "outputs")  # gsm8k: 3 error rows (ids 0-2), 2 correct rows (ids 3-4)
    pred = get("processbench").predictions
    res = pred(tmp_path / "outputs", LoadOptions(subsets=("gsm8k",), limit=2))  # type: ignore[misc]
    # _correct sorts first: correct 3, error 0 (reading the files in turn gave 3, 4: no erroneous item)
    assert [r["id"] for r in res.records] == ["gsm8k-3", "gsm8k-0"]
    res = pred(tmp_path / "outputs", LoadOptions(subsets=("gsm8k",), limit=5))  # type: ignore[misc]
    assert [r["id"] for r in res.records] == ["gsm8k-3", "gsm8k-0", "gsm8k-4", "gsm8k-1", "gsm8k-2"]
    res = pred(tmp_path / "outputs", LoadOptions(limit=1))  # type: ignore[misc]
    assert [r["id"] for r in res.records] == ["gsm8k-3", "math-1"]  # per subset
    m = pb.aggregate(pred(tmp_path / "outputs", LoadOptions(limit=2)).records, 0, 20)  # type: ignore[misc]
    assert not math.isnan(m["process"]["gsm8k"]["f1"]["value"])  # both kinds present


def test_overall_names_the_subsets_it_averages() -> None:
    m = pb.aggregate(_hand_records(), seed=0, n_boot=20)
    assert m["extra"]["overall_over"] == ["gsm8k", "math"] and m["extra"]["overall_complete"] is False
    four = [_rec(i, s, -1, "\\boxed{-1}") for i, s in enumerate(("omnimath", "gsm8k", "math", "olympiadbench"))]
    four += [_rec(9, s, 0, "\\boxed{0}") for s in ("omnimath", "gsm8k", "math", "olympiadbench")]
    m = pb.aggregate(four, seed=0, n_boot=20)
    assert m["extra"]["overall_over"] == ["gsm8k", "math", "olympiadbench", "omnimath"]
    assert m["extra"]["overall_complete"] is True and m["overall"]["value"] == 1.0
    mr = [{**r, "subset": "mr-gsm8k", "id": f"mr-{i}"} for i, r in enumerate(four[:2])]
    assert get("mr-gsm8k").aggregate(mr, 0, 20)["extra"]["overall_complete"] is True
    assert get("processbench").aggregate(four[:2] + four[4:6], 0, 20)["extra"]["overall_complete"] is False


def test_released_file_with_label_in_the_wrong_file_is_a_data_error(tmp_path: Path) -> None:
    from assay.data.rows import DataError

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "gsm8k_error.jsonl").write_text(json.dumps(_release_row(0, -1, "\\boxed{-1}", -1)) + "\n")
    with pytest.raises(DataError, match="label -1 in a _error file"):
        get("processbench").predictions(folder, LoadOptions())  # type: ignore[misc]


# ---------------------------------------------------------------- the real data


def test_real_processbench_subsets_load_with_the_authors_counts() -> None:
    data = shared_data("processbench")
    res = get("processbench").load(LoadOptions(data=str(data)))
    by = Counter((s.subset, s.data["label"] == -1) for s in res.samples if isinstance(s, Item))
    # run_eval_prm_trl.py configs: error / correct counts per subset
    expected = {"gsm8k": (207, 193), "math": (594, 406), "olympiadbench": (661, 339), "omnimath": (759, 241)}
    for subset, (n_err, n_cor) in expected.items():
        assert by[(subset, False)] == n_err and by[(subset, True)] == n_cor
    one = get("processbench").load(LoadOptions(data=str(data / "omnimath.json"), limit=2))
    assert [(s.id, s.subset) for s in one.samples] == [("omnimath-0", "omnimath"), ("omnimath-1", "omnimath")]


def test_real_mr_gsm8k_loads() -> None:
    path = shared_data("mr_gsm8k", "mr-gsm8k_processed_test.json")
    res = get("mr-gsm8k").load(LoadOptions(data=str(path)))
    assert len(res.samples) == 1418 and {s.subset for s in res.samples} == {"mr-gsm8k"}
    labels = Counter(s.data["label"] == -1 for s in res.samples if isinstance(s, Item))
    assert labels == {False: 725, True: 693}
    with pytest.raises(ValueError, match="--data"):
        get("mr-gsm8k").load(LoadOptions())


def test_bad_label_is_a_located_data_error(tmp_path: Path) -> None:
    from assay.data.rows import DataError

    f = tmp_path / "gsm8k.json"
    f.write_text(json.dumps([{"id": "gsm8k-0", "problem": "p", "steps": ["a"], "label": 3}]))
    with pytest.raises(DataError, match=r"gsm8k.json: row 0: field 'label': 3 is outside -1..0"):
        get("processbench").load(LoadOptions(data=str(f)))


# ---------------------------------------------------------------- end to end with the embedded model


def _shortest_real_rows(n_each: int) -> list[dict[str, Any]]:
    """The ``n_each`` shortest (characters of problem + steps, then id) correct and erroneous gsm8k rows."""
    rows = json.loads(shared_data("processbench", "gsm8k.json").read_text())

    def size(r: dict[str, Any]) -> tuple[int, str]:
        return len(r["problem"]) + sum(len(s) for s in r["steps"]), r["id"]

    correct = sorted((r for r in rows if r["label"] == -1), key=size)[:n_each]
    wrong = sorted((r for r in rows if r["label"] != -1), key=size)[:n_each]
    chosen = {r["id"] for r in correct + wrong}
    return [r for r in rows if r["id"] in chosen]


@pytest.mark.slow
def test_end_to_end_critic_run_rescore_and_cache(tmp_path: Path, cache_dir: Path) -> None:
    import assay
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run

    rows = _shortest_real_rows(2)
    data = tmp_path / "gsm8k.json"  # the official schema: a JSON array of rows
    data.write_text(json.dumps(rows))
    opts = {"data": str(data), "subsets": ("gsm8k",), "limit": 4, "max_tokens": 32, "cache_dir": str(cache_dir)}
    run = assay.evaluate("processbench", "hfgen:default", n_boot=200, out=str(tmp_path / "run"), **opts)
    assert [r["id"] for r in run.records] == [r["id"] for r in rows] and len(run.records) == 4
    for r in run.records:
        assert len(r["critiques"]) == 1 and r["critiques"][0]  # the raw output is kept, valid or not
        parsed = pm.to_index(pm.extract_boxed(r["critiques"][0]))
        assert r["outcome"]["valid"] == (parsed is not None) and r["outcome"]["prediction"] == parsed
        assert r["outcome"]["match"] == pm.is_match(parsed, r["label"])
    n_invalid = sum(1 for r in run.records if not r["outcome"]["valid"])
    g = run.metrics["process"]["gsm8k"]
    assert g["n_error"] == 2 and g["n_correct"] == 2
    assert g["invalid"] == n_invalid == run.metrics["counts"]["invalid"] and g["invalid_rate"] == n_invalid / 4
    # the metric, recomputed by hand from the per-item matches
    err = [r["outcome"]["match"] for r in run.records if r["label"] != -1]
    cor = [r["outcome"]["match"] for r in run.records if r["label"] == -1]
    acc_err, acc_cor = sum(err) / 2, sum(cor) / 2
    assert g["acc_err"]["n"] == 2 and g["acc_err"]["value"] == pytest.approx(acc_err)
    assert g["acc_cor"]["n"] == 2 and g["acc_cor"]["value"] == pytest.approx(acc_cor)
    f1 = 2 * acc_err * acc_cor / (acc_err + acc_cor) if acc_err + acc_cor else 0.0
    assert math.isfinite(g["f1"]["value"]) and g["f1"]["value"] == pytest.approx(f1)
    assert run.metrics["overall"]["value"] == pytest.approx(f1) and run.metrics["overall"]["n"] == 4
    assert run.manifest["counts"]["generated"] == 4 and run.manifest["counts"]["cached"] == 0
    _, diffs = rescore(load_run(run.path))
    assert diffs == []

    again = assay.evaluate("processbench", "hfgen:default", n_boot=200, out=str(tmp_path / "run2"), **opts)
    assert again.manifest["counts"]["generated"] == 0 and again.manifest["counts"]["cached"] == 4
    assert [r["critiques"] for r in again.records] == [r["critiques"] for r in run.records]
    assert again.metrics == run.metrics


def test_cli_score_on_a_release_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assay.cli import app
    from assay.records.rundir import load_run

    _write_release(tmp_path / "outputs")
    out = tmp_path / "scored"
    res = CliRunner().invoke(
        app, ["score", "processbench", "--predictions", str(tmp_path / "outputs"), "--out", str(out), "-q"]
    )
    assert res.exit_code == 0, res.output
    assert load_run(out).metrics["overall"]["value"] == pytest.approx(0.7)
    res = CliRunner().invoke(app, ["rescore", str(out)])
    assert res.exit_code == 0 and "rescore ok" in res.output


def test_unknown_subset_row_is_located_or_skipped(tmp_path: Path) -> None:
    from assay.data.rows import DataError

    f = tmp_path / "mixed.json"
    rows = [
        {"id": "gsm8k-0", "problem": "p", "steps": ["a"], "label": 0},
        {"id": "aime-3", "problem": "p", "steps": ["a"], "label": -1},
    ]
    f.write_text(json.dumps(rows))
    with pytest.raises(DataError, match="row 1: field 'id': cannot tell the subset"):
        get("processbench").load(LoadOptions(data=str(f)))
    res = get("processbench").load(LoadOptions(data=str(f), skip_invalid=True))
    assert [s.id for s in res.samples] == ["gsm8k-0"] and len(res.skipped) == 1


def test_threshold_option_is_refused_for_a_critic() -> None:
    bench = get("processbench").with_options({"threshold": "auto"})
    with pytest.raises(ValueError, match="prm: specs"):
        bench.run(_items(), FakeCtx([]))  # type: ignore[misc]
    with pytest.raises(ValueError, match="number or auto"):
        get("processbench").with_options({"threshold": "high"})
