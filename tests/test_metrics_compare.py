"""Paired comparison: mean difference, paired bootstrap CI, exact McNemar on a known case."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from assay.metrics.compare import mcnemar_exact, paired_compare


def test_mcnemar_known_case() -> None:
    # b10 = 6, b01 = 1, n = 7: two-sided p = 2 * P(X <= 1) = 2 * (1 + 7) / 2**7 = 0.125
    assert mcnemar_exact(1, 6) == pytest.approx(0.125)
    assert mcnemar_exact(1, 6) == pytest.approx(binomtest(6, 7, 0.5).pvalue)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    for b01, b10 in [(0, 9), (3, 12), (20, 7), (40, 61)]:
        assert mcnemar_exact(b01, b10) == pytest.approx(binomtest(b10, b01 + b10, 0.5).pvalue)


def test_paired_compare_counts_and_difference() -> None:
    # 10 shared items: a right on all; b wrong on 0..5 (b10 = 6), and on item 9 a is wrong, b right.
    a = {f"i{k}": 1.0 for k in range(10)}
    a["i9"] = 0.0
    b = {f"i{k}": (0.0 if k < 6 else 1.0) for k in range(10)}
    a["only_a"] = 1.0
    b["only_b1"] = 0.0
    b["only_b2"] = 1.0
    r = paired_compare(a, b, seed=0, n_boot=500)
    assert (r["n_shared"], r["n_only_a"], r["n_only_b"]) == (10, 1, 2)
    assert (r["b10"], r["b01"]) == (6, 1)
    assert r["p_value"] == pytest.approx(0.125)
    # mean a = 9/10, mean b = 4/10 -> diff 0.5
    assert r["mean_a"] == pytest.approx(0.9) and r["mean_b"] == pytest.approx(0.4)
    assert r["diff"]["value"] == pytest.approx(0.5)
    lo, hi = r["diff"]["ci"]
    assert lo <= 0.5 <= hi
    assert paired_compare(a, b, seed=0, n_boot=500) == r  # same seed, same answer


def test_fractional_credit_binarised_above_half() -> None:
    # credits 1/2 (two-way tie) is not a success; 2/3 is. Item x: a=0.5 (fail) vs b=1 (success) -> b01.
    a = {"x": 0.5, "y": 2 / 3, "z": 1 / 3}
    b = {"x": 1.0, "y": 0.0, "z": 0.0}
    r = paired_compare(a, b, seed=0, n_boot=100)
    assert (r["b01"], r["b10"]) == (1, 1)  # y: a succeeds, b fails; z: both fail
    assert r["diff"]["value"] == pytest.approx(((0.5 - 1) + 2 / 3 + 1 / 3) / 3)
