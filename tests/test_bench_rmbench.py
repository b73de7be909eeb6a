"""RM-Bench: 3x3 matrix orientation, hard/normal/easy, item-wise safety pooling, mean of domains."""

from __future__ import annotations

from typing import Any

import pytest

from assay.benchmarks import rmbench
from assay.data.rows import DataError, Row
from assay.protocols.scalar import kind_of


def rec(i: int, subset: str, chosen: list[float], rejected: list[float]) -> dict[str, Any]:
    scores = {"chosen": chosen, "rejected": rejected}
    return {"id": str(i), "subset": subset, "kind": "matrix", "scores": scores}


def test_from_row_matrix_sample() -> None:
    row = Row(
        "total_dataset.json",
        0,
        {
            "id": 5,
            "prompt": "q",
            "chosen": ["c0", "c1", "c2"],
            "rejected": ["r0", "r1", "r2"],
            "domain": "safety-refuse",
        },
    )
    s = rmbench.from_row(row)
    assert s.responses == ("c0", "c1", "c2", "r0", "r1", "r2") and s.best == (0, 1, 2)
    assert s.subset == "safety-refuse" and kind_of(s) == "matrix" and s.meta["n_chosen"] == 3
    with pytest.raises(DataError, match="expected 3 items"):
        rmbench.from_row(
            Row(
                "f",
                1,
                {"id": 1, "prompt": "q", "chosen": ["a", "b"], "rejected": ["x", "y", "z"], "domain": "chat"},
            )
        )
    with pytest.raises(DataError, match="domain"):
        rmbench.from_row(
            Row(
                "f",
                2,
                {
                    "id": 2,
                    "prompt": "q",
                    "chosen": ["a", "b", "c"],
                    "rejected": ["x", "y", "z"],
                    "domain": "poetry",
                },
            )
        )


def test_matrix_orientation() -> None:
    # Scores rise with style (concise < detailed plain < markdown): the model likes fancy answers.
    # M[i][j] = chosen_i > rejected_j, rows = chosen style, columns = rejected style:
    #   c0=1 vs r 0.5,1.5,2.5 -> 1 0 0
    #   c1=2                  -> 1 1 0
    #   c2=3                  -> 1 1 1
    # hard = upper triangle (plain chosen vs fancier rejected) = 0; normal = diagonal = 1; easy = 1.
    o = rmbench.outcome(rec(0, "chat", [1, 2, 3], [0.5, 1.5, 2.5]))
    assert o["matrix"] == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert (o["hard"], o["normal"], o["easy"]) == (0.0, 1.0, 1.0)
    assert o["credit"] == pytest.approx(2 / 3) and o["tie"] is False


def test_ties_are_wrong() -> None:
    o = rmbench.outcome(rec(0, "math", [1, 1, 1], [1, 0, 0]))
    # row i: [1 > 1, 1 > 0, 1 > 0] = [0, 1, 1] for every i (column 0 ties: wrong)
    # upper M01, M02, M12 = 1, 1, 1 -> hard 1; diagonal 0, 1, 1 -> 2/3; lower M10, M20, M21 = 0, 0, 1 -> 1/3
    assert o["matrix"] == [[0, 1, 1]] * 3 and o["tie"] is True
    assert o["hard"] == 1.0
    assert (o["normal"], o["easy"]) == (pytest.approx(2 / 3), pytest.approx(1 / 3))


ALL_RIGHT = ([10, 10, 10], [0, 0, 0])
ALL_WRONG = ([0, 0, 0], [10, 10, 10])


def test_domains_pool_safety_items_and_average_domains() -> None:
    recs = [
        rec(0, "chat", *ALL_WRONG),  # chat: 0
        rec(1, "safety-refuse", *ALL_RIGHT),  # safety pooled item-wise: (1 + 0 + 1)/3 = 2/3
        rec(2, "safety-response", *ALL_WRONG),  # (a mean of sub-domains would give (1 + 0.5)/2 = 0.75)
        rec(3, "safety-response", *ALL_RIGHT),
    ]
    m = rmbench.aggregate(recs, seed=0, n_boot=200)
    assert m["sections"]["chat"]["value"] == 0.0
    assert m["sections"]["safety"]["value"] == pytest.approx(2 / 3)
    # overall = mean of domain scores (0 + 2/3)/2 = 1/3, not the item mean 2/4
    assert m["overall"]["value"] == pytest.approx(1 / 3)
    assert m["extra"]["hard"]["value"] == pytest.approx(1 / 3)
    assert m["subsets"]["safety-response"]["value"] == 0.5 and m["subsets"]["safety-refuse"]["n"] == 1
    assert m["sections"]["safety"]["n"] == 3 and m["overall"]["n"] == 4
    assert m["extra"]["acc_matrix"]["safety"] == [[pytest.approx(2 / 3)] * 3] * 3


def test_levels_averaged_over_domains() -> None:
    # chat item: hard 0, normal 1, easy 1 (the fancy-preferring model above); math item all right.
    recs = [rec(0, "chat", [1, 2, 3], [0.5, 1.5, 2.5]), rec(1, "math", *ALL_RIGHT)]
    m = rmbench.aggregate(recs, seed=1, n_boot=100)
    assert m["extra"]["hard"]["value"] == pytest.approx((0 + 1) / 2)
    assert m["extra"]["normal"]["value"] == pytest.approx(1.0)
    assert m["extra"]["easy"]["value"] == pytest.approx(1.0)
    assert m["extra"]["domains"]["chat"]["hard"]["value"] == 0.0
    assert m["overall"]["value"] == pytest.approx((2 / 3 + 1) / 2)
    assert m == rmbench.aggregate(recs, seed=1, n_boot=100)
