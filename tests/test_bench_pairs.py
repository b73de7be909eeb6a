"""Generic user-data aggregation: pairs (strict), candidates under rb2 / rmb / long, mixed."""

from __future__ import annotations

from typing import Any

import pytest

from assay.benchmarks import pairs
from assay.data.rows import DataError, Row


def pair(i: int, subset: str, c: float, r: float) -> dict[str, Any]:
    return {"id": str(i), "subset": subset, "kind": "pair", "scores": {"chosen": c, "rejected": r}}


def cand(i: int, subset: str, scores: list[float], best: list[int], ranking: list[int] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"id": str(i), "subset": subset, "kind": "candidates", "scores": scores, "best": best}
    if ranking is not None:
        r["ranking"] = ranking
    return r


def test_pairs_aggregate_micro_overall_and_subsets() -> None:
    recs = [pair(0, "a", 2, 1), pair(1, "a", 1, 1), pair(2, "a", 0, 1), pair(3, "b", 5, 1)]
    m = pairs.pairs_aggregate(recs, seed=0, n_boot=200)
    # a: 1 of 3 (the tie is wrong); b: 1 of 1; overall item-level 2/4; macro (1/3 + 1)/2
    assert m["subsets"]["a"]["value"] == pytest.approx(1 / 3) and m["subsets"]["b"]["value"] == 1.0
    assert m["overall"]["value"] == 0.5 and m["overall"]["n"] == 4
    assert m["extra"]["macro"]["value"] == pytest.approx(2 / 3)
    assert m["counts"] == {"items": 4, "ties": 1} and m["sections"] == {}


def test_candidates_rules() -> None:
    recs = [cand(0, "s", [3, 3, 1], [0], [1, 2, 3]), cand(1, "s", [1, 2, 0], [1], [3, 1, 2])]
    # rb2: item 0 two-way tie at the top -> 1/2; item 1 best (index 1) on top -> 1. Mean 0.75
    assert pairs.candidates_aggregate(recs, 0, 50, rule="rb2")["overall"]["value"] == 0.75
    # rmb: item 0 tie with a loser -> 0; item 1 -> 1. Mean 0.5
    assert pairs.candidates_aggregate(recs, 0, 50, rule="rmb")["overall"]["value"] == 0.5
    # long: item 0 ranks (tied 1-2, then 3) vs true 1,2,3 -> (1/2 + 1/2 + 1)/3 = 2/3;
    #       item 1 predicted ranks 2,1,3 vs true 3,1,2 -> only index 1 matches -> 1/3. Mean 1/2
    assert pairs.candidates_aggregate(recs, 0, 50, rule="long")["overall"]["value"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown best-of-N rule"):
        pairs.candidates_aggregate(recs, 0, 50, rule="best")
    with pytest.raises(ValueError, match="needs a ranking"):
        pairs.candidates_outcome(cand(2, "s", [1, 0], [0]), rule="long")


def test_mixed_aggregate() -> None:
    recs = [pair(0, "pairs", 1, 0), pair(1, "pairs", 0, 1), cand(2, "best-of-4", [2, 2, 0, 0], [1])]
    m = pairs.mixed_aggregate(recs, seed=0, n_boot=50)
    assert m["subsets"]["pairs"]["value"] == 0.5 and m["subsets"]["best-of-4"]["value"] == 0.5
    assert m["overall"]["value"] == pytest.approx(1 / 3 * (1 + 0 + 0.5))


def test_row_id_int_or_str() -> None:
    assert pairs.row_id(Row("f", 0, {"id": 3})) == "3"
    assert pairs.row_id(Row("f", 0, {"id": 3.0})) == "3"
    assert pairs.row_id(Row("f", 0, {"id": "abc"})) == "abc"
    with pytest.raises(DataError):
        pairs.row_id(Row("f", 0, {"id": float("nan")}))
