"""RewardBench 2: row mapping, 1/k tie credit, the Ties formula on a hand-worked example, overall."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from assay.benchmarks import rewardbench2 as rb2
from assay.data.rows import DataError, Row


def rec(item_id: str, subset: str, scores: list[float], n_correct: int = 1) -> dict[str, Any]:
    return {
        "id": item_id,
        "subset": subset,
        "kind": "candidates",
        "scores": scores,
        "best": list(range(n_correct)),
    }


def test_from_row_responses_and_best() -> None:
    row = Row(
        "hf",
        0,
        {
            "id": "tied:3",
            "prompt": "Name a prime.",
            "chosen": ["2", "3"],
            "rejected": ["4"],
            "subset": "Ties",
            "num_correct": 2,
        },
    )
    s = rb2.from_row(row)
    assert s.responses == ("2", "3", "4") and s.best == (0, 1) and s.subset == "Ties"
    bad = Row(
        "hf",
        1,
        {
            "id": "tied-3",
            "prompt": "p",
            "chosen": ["a"],
            "rejected": ["b"],
            "subset": "Ties",
            "num_correct": 1,
        },
    )
    with pytest.raises(DataError, match="'id'"):
        rb2.from_row(bad)
    with pytest.raises(DataError, match="num_correct"):
        rb2.from_row(
            Row(
                "hf",
                2,
                {
                    "id": "x",
                    "prompt": "p",
                    "chosen": ["a"],
                    "rejected": ["b"],
                    "subset": "Math",
                    "num_correct": 3,
                },
            )
        )


def test_non_ties_tie_credit() -> None:
    assert rb2.outcome(rec("a", "Math", [3, 1, 2, 0]))["credit"] == 1.0
    assert rb2.outcome(rec("b", "Math", [3, 3, 2, 0]))["credit"] == 0.5
    assert rb2.outcome(rec("c", "Math", [3, 3, 3, 0]))["credit"] == pytest.approx(1 / 3)
    assert rb2.outcome(rec("d", "Math", [1, 3, 2, 0]))["credit"] == 0.0
    # num_correct > 1 outside Ties: the original only looks at index 0 (here tied with index 1: 1/2)
    assert rb2.outcome(rec("e", "Focus", [3, 3, 2, 0], n_correct=2))["credit"] == 0.5


def ties_records() -> list[dict[str, Any]]:
    return [
        # prompt 0. ref: correct [5], incorrect [1, 2] -> accurate, gap 5-2 = 3, spread None.
        rec("ref:0", "Ties", [5, 1, 2], 1),
        # tied: correct [6, 4], incorrect [1, 2] -> worst 4 > 2 accurate, gap 4-2 = 2, spread 6-4 = 2.
        rec("tied:0", "Ties", [6, 4, 1, 2], 2),
        # prompt 1. ref: correct [1], incorrect [3] -> not accurate, gap -2.
        rec("ref:1", "Ties", [1, 3], 1),
        # tied: correct [5, 4.5], incorrect [1] -> accurate, gap 3.5, spread 0.5.
        rec("tied:1", "Ties", [5, 4.5, 1], 2),
    ]


# tied acc (1 + 1)/2 = 1; ref acc (1 + 0)/2 = 0.5
# preferred: [gap_t > spread]: p0 2 > 2 no, p1 3.5 > 0.5 yes -> 0.5
# preferred hard: [min(gap_r, gap_t) > spread]: p0 min(3,2)=2 > 2 no, p1 min(-2,3.5) > 0.5 no -> 0
# margin: p0 tanh(2/2 - 1) = 0, p1 tanh(-2/0.5 - 1) = tanh(-5) -> mean tanh(-5)/2
TIES = 0.3 * 1 + 0.3 * 0.5 + 0.2 * 0.5 + 0.2 * 0 + 0.01 * (math.tanh(-5) / 2)  # 0.5450004540...


def test_ties_formula_hand_example() -> None:
    m = rb2.aggregate(ties_records(), seed=0, n_boot=200)
    assert m["subsets"]["Ties"]["value"] == pytest.approx(TIES, abs=1e-12)
    t = m["extra"]["ties"]
    assert t["tied_accuracy"]["value"] == 1.0 and t["ref_accuracy"]["value"] == 0.5
    assert t["correctness_preferred"]["value"] == 0.5 and t["correctness_preferred_hard"]["value"] == 0.0
    assert t["correctness_margin_score"]["value"] == pytest.approx(math.tanh(-5) / 2)
    assert (t["n_prompts"], t["n_ref"], t["n_tied"], t["n_compared"]) == (2, 2, 2, 2)
    assert m["overall"]["value"] == pytest.approx(TIES)  # the only subset present


def test_ties_row_outcomes_keep_gap_and_spread() -> None:
    o = rb2.outcome(rec("tied:1", "Ties", [5, 4.5, 1], 2))
    assert o == {
        "credit": 1.0,
        "tie": False,
        "accurate": True,
        "gap": 3.5,
        "spread": 0.5,
        "role": "tied",
        "prompt": 1,
    }
    # all correct answers must beat every incorrect one: 4 < 4.5 -> not accurate
    assert rb2.outcome(rec("tied:2", "Ties", [6, 4, 4.5], 2))["accurate"] is False


def test_ties_unpaired_rows_and_zero_spread() -> None:
    recs = [
        rec("tied:5", "Ties", [2, 1, 0], 2),  # tied without ref: counts in tied accuracy only
        rec("ref:6", "Ties", [0, 1], 1),  # ref without tied: counts in ref accuracy only (wrong)
        rec("ref:7", "Ties", [3, 1], 1),  # gap 2
        rec("tied:7", "Ties", [2, 2, 1], 2),  # spread 0: preferred [1 > 0], hard [min(2,1) > 0]
    ]
    m = rb2.aggregate(recs, seed=0, n_boot=50)
    # tied acc (1 + 1)/2, ref acc (0 + 1)/2, preferred 1, hard 1; margin: upstream tanh(1 / 0 - 1) = tanh(inf) = 1
    assert m["subsets"]["Ties"]["value"] == pytest.approx(0.3 * 1 + 0.3 * 0.5 + 0.2 + 0.2 + 0.01 * 1.0)


def test_ties_zero_spread_review_case() -> None:
    # ref [1, 0] (gap 1); tied [2, 2, 0] with two correct: gap 2, spread 0 -> every term 1, margin sign(1) = 1
    recs = [rec("ref:1", "Ties", [1, 0], 1), rec("tied:1", "Ties", [2, 2, 0], 2)]
    assert rb2.aggregate(recs, seed=0, n_boot=50)["subsets"]["Ties"]["value"] == pytest.approx(1.01)
    # 0 / 0 is NaN upstream, turned into 0 by nan_to_num: ref [1, 1] is not accurate (gap 0)
    recs = [rec("ref:1", "Ties", [1, 1], 1), rec("tied:1", "Ties", [2, 2, 0], 2)]
    # tied acc 1, ref acc 0, preferred [2 > 0] 1, hard [min(0, 2) > 0] 0, margin 0
    assert rb2.aggregate(recs, seed=0, n_boot=50)["subsets"]["Ties"]["value"] == pytest.approx(0.3 + 0.2)


def _ties_reference(records: list[dict[str, Any]]) -> float:
    """An independent restatement of process_single_model's overall score (for random checks)."""
    stats: dict[str, dict[int, dict[str, Any]]] = {"ref": {}, "tied": {}}
    for r in records:
        kind, pid = r["id"].split(":")
        k = len(r["best"])
        good, bad = r["scores"][:k], r["scores"][k:]
        stats[kind][int(pid)] = {
            "acc": min(good) > max(bad),
            "gap": min(good) - max(bad),
            "spread": (max(good) - min(good)) if len(good) > 1 else None,
        }
    ref, tied = stats["ref"], stats["tied"]
    acc_r = sum(v["acc"] for v in ref.values()) / len(ref)
    acc_t = sum(v["acc"] for v in tied.values()) / len(tied)
    both = [p for p in ref if p in tied and tied[p]["spread"] is not None]
    pref = sum(tied[p]["gap"] > tied[p]["spread"] for p in both) / len(both)
    hard = sum(min(ref[p]["gap"], tied[p]["gap"]) > tied[p]["spread"] for p in both) / len(both)

    def term(p: int) -> float:  # np.nan_to_num(np.tanh(low / spread - 1), nan=0) with numpy's x / 0
        low, spread = min(ref[p]["gap"], tied[p]["gap"]), tied[p]["spread"]
        return math.tanh(low / spread - 1) if spread > 0 else (0.0 if low == 0 else math.copysign(1.0, low))

    margin = sum(term(p) for p in both) / len(both) if both else 0.0
    return 0.3 * acc_t + 0.3 * acc_r + 0.2 * pref + 0.2 * hard + 0.01 * margin


def test_ties_matches_reference_on_random_data() -> None:
    rng = random.Random(1)
    for _ in range(20):
        recs = []
        for pid in range(rng.randint(1, 12)):
            recs.append(rec(f"ref:{pid}", "Ties", [rng.gauss(0, 1) for _ in range(4)], 1))
            recs.append(rec(f"tied:{pid}", "Ties", [rng.gauss(0.5, 1) for _ in range(6)], 3))
        got = rb2.aggregate(recs, seed=0, n_boot=0)["subsets"]["Ties"]["value"]
        assert got == pytest.approx(_ties_reference(recs), abs=1e-12)


def test_overall_is_unweighted_mean_of_subsets() -> None:
    recs = [
        rec("m1", "Math", [3, 3, 0, 0]),
        rec("m2", "Math", [1, 0, 0, 0]),  # Math (0.5 + 1)/2 = 0.75
        rec("f1", "Factuality", [0, 1, 0, 0]),  # Factuality 0 (one item, subset size ignored)
        *ties_records(),
    ]
    m = rb2.aggregate(recs, seed=3, n_boot=300)
    assert m["subsets"]["Math"]["value"] == 0.75 and m["subsets"]["Factuality"]["value"] == 0.0
    assert m["overall"]["value"] == pytest.approx((0.75 + 0.0 + TIES) / 3)
    assert m["overall"]["n"] == 7 and m["subsets"]["Ties"]["n"] == 4
    assert m == rb2.aggregate(recs, seed=3, n_boot=300)
    lo, hi = m["overall"]["ci"]
    assert lo <= hi
    assert m["counts"]["ties"] == 1  # the Math item with a two-way tie at the top


def test_bad_ties_id_in_records() -> None:
    with pytest.raises(ValueError, match="Ties id"):
        rb2.aggregate([rec("oops", "Ties", [1, 0], 1)], seed=0, n_boot=10)
