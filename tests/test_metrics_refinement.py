"""Critique-RL refinement metrics and RealCritic transitions on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from assay.metrics.refinement import (
    accuracy,
    delta,
    delta_c2i,
    delta_i2c,
    discriminability,
    refinement_metrics,
    transitions,
)

# 8 items: original o, refined r, verdict correctness v (None = no verdict parsed)
ORIG = [True, True, True, False, False, False, False, True]
REF = [True, False, True, True, False, True, False, True]
VERD = [True, False, None, True, True, None, False, True]


def test_hand_computed_rates() -> None:
    # r correct: items 0,2,3,5,7 -> 5/8; o correct: 0,1,2,7 -> 4/8
    assert accuracy(REF) == pytest.approx(5 / 8)
    assert delta(ORIG, REF) == pytest.approx((5 - 4) / 8)
    assert delta_c2i(ORIG, REF) == pytest.approx(1 / 8)  # item 1
    assert delta_i2c(ORIG, REF) == pytest.approx(2 / 8)  # items 3, 5
    # delta = delta_i2c - delta_c2i always
    assert delta(ORIG, REF) == pytest.approx(delta_i2c(ORIG, REF) - delta_c2i(ORIG, REF))
    # verdicts: 6 parsed, 4 right (items 0, 3, 4, 7)
    assert discriminability(VERD) == pytest.approx(4 / 6)


def test_transitions_are_conditional_ratios() -> None:
    t = transitions(ORIG, REF)
    assert t["counts"] == {"c->c": 3, "c->i": 1, "i->c": 2, "i->i": 2}
    assert (t["originally_correct"], t["originally_incorrect"], t["n"]) == (4, 4, 8)
    assert t["ratios"] == {"c->c": 0.75, "c->i": 0.25, "i->c": 0.5, "i->i": 0.5}
    assert t["ratio_n"] == {"c->c": 4, "c->i": 4, "i->c": 4, "i->i": 4}
    # no originally incorrect item: the i->* ratios measure nothing -> NaN with n 0
    t = transitions([True, True], [True, False])
    assert math.isnan(t["ratios"]["i->c"]) and math.isnan(t["ratios"]["i->i"]) and t["ratios"]["c->i"] == 0.5
    assert t["ratio_n"]["i->c"] == 0 and t["ratio_n"]["c->i"] == 2
    # evaluate.py prints 0 there: behind empty_ratio=0.0
    t = transitions([True, True], [True, False], empty_ratio=0.0)
    assert t["ratios"] == {"c->c": 0.5, "c->i": 0.5, "i->c": 0.0, "i->i": 0.0}
    m = refinement_metrics([False], [True], None, n_boot=0)
    assert math.isnan(m["transitions"]["ratios"]["c->c"]) and m["transitions"]["ratios"]["i->c"] == 1.0
    m = refinement_metrics([False], [True], None, n_boot=0, empty_ratio=0.0)
    assert m["transitions"]["ratios"]["c->c"] == 0.0


def test_refinement_metrics_values_cis_and_split_discriminability() -> None:
    m = refinement_metrics(ORIG, REF, VERD, seed=3, n_boot=500)
    assert m["acc"]["value"] == pytest.approx(5 / 8) and m["acc"]["n"] == 8
    assert m["delta"]["value"] == pytest.approx(1 / 8)
    assert m["delta_c2i"]["value"] == pytest.approx(1 / 8)
    assert m["delta_i2c"]["value"] == pytest.approx(2 / 8)
    assert m["discriminability"]["value"] == pytest.approx(4 / 6) and m["discriminability"]["n"] == 6
    # originally correct with a verdict: items 0, 1, 7 -> right 0, 7 -> 2/3; incorrect: 3, 4, 6 -> 2/3
    assert m["disc_c"]["value"] == pytest.approx(2 / 3) and m["disc_c"]["n"] == 3
    assert m["disc_i"]["value"] == pytest.approx(2 / 3) and m["disc_i"]["n"] == 3
    assert m["verdicts_parsed"] == 6
    for k in ("acc", "delta", "delta_c2i", "delta_i2c", "discriminability"):
        lo, hi = m[k]["ci"]
        assert lo <= m[k]["value"] <= hi
    assert m["delta"]["ci"][0] < 0 < m["delta"]["ci"][1]  # 8 items: the CI is wide
    # seeded: the same call gives the same CIs
    assert refinement_metrics(ORIG, REF, VERD, seed=3, n_boot=500) == m


def test_edge_cases() -> None:
    assert math.isnan(discriminability([None, None]))
    assert math.isnan(accuracy([]))
    m = refinement_metrics([], [], [], n_boot=100)
    assert m["acc"]["n"] == 0 and math.isnan(m["acc"]["value"])
    with pytest.raises(ValueError):
        delta([True], [True, False])
    with pytest.raises(ValueError):
        refinement_metrics([True], [True], [True, None])
    m = refinement_metrics([True, False], [True, True], None, n_boot=0)
    assert "discriminability" not in m
    assert m["acc"]["ci"] == [1.0, 1.0]  # n_boot = 0: degenerate interval
