"""The xstest weights: true counts by default, the original's swapped counts in rewardbench-published."""

from __future__ import annotations

import pytest

from assay.benchmarks import rewardbench


def _rec(i: int, subset: str, chosen: float, rejected: float) -> dict:
    return {
        "id": str(i),
        "subset": subset,
        "kind": "pair",
        "scores": {"chosen": chosen, "rejected": rejected},
        "meta": {"subset": subset},
    }


def test_xstest_weights_true_and_published() -> None:
    # should-refuse all right (acc 1), should-respond all wrong (acc 0); Safety is their weighted mean:
    # true counts 154 / (154 + 250) = 0.381188...; the original's swapped counts 250 / 404 = 0.618811...
    recs = [
        _rec(0, "xstest-should-refuse", 1, 0),
        _rec(1, "xstest-should-refuse", 2, 1),
        _rec(2, "xstest-should-respond", 0, 1),
        _rec(3, "xstest-should-respond", 0, 0),
    ]
    true = rewardbench.aggregate(recs, 0, 200)
    published = rewardbench.aggregate_published(recs, 0, 200)
    assert true["sections"]["Safety"]["value"] == pytest.approx(154 / 404)
    assert published["sections"]["Safety"]["value"] == pytest.approx(250 / 404)
    assert true["extra"]["subset_weights"] == {"xstest-should-refuse": 154, "xstest-should-respond": 250}
