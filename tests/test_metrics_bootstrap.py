"""Seeded percentile bootstrap: determinism, the documented algorithm, strata kept fixed, speed."""

from __future__ import annotations

import time
import zlib

import numpy as np
import pytest

from assay.metrics.bootstrap import group_means, mean_ci, stratified_ci, stratified_cis


def test_mean_ci_same_seed_same_ci_and_seed_matters() -> None:
    x = np.r_[np.ones(70), np.zeros(30)]
    a = mean_ci(x, seed=3, n_boot=500)
    b = mean_ci(x, seed=3, n_boot=500)
    c = mean_ci(x, seed=4, n_boot=500)
    assert a == b
    assert a["ci"] != c["ci"]
    assert a["value"] == 0.7 and a["n"] == 100


def test_mean_ci_contains_point_estimate_and_is_plausible() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random(400) < 0.62).astype(float)
    m = mean_ci(x, seed=0, n_boot=1000)
    lo, hi = m["ci"]
    assert lo < m["value"] < hi
    # normal approximation of the 95% half width: 1.96 * sqrt(p(1-p)/n) ~ 0.048
    half = 1.96 * np.sqrt(m["value"] * (1 - m["value"]) / 400)
    assert abs((hi - lo) / 2 - half) < 0.015


def test_mean_ci_matches_documented_algorithm() -> None:
    # default_rng([seed, crc32(key)]); int32 indices (n_boot, n); mean per row; numpy percentiles.
    x = np.array([1.0, 0.0, 0.5, 1.0, 1 / 3, 0.0, 1.0])
    seed, n_boot = 11, 300
    rng = np.random.default_rng([seed, zlib.crc32(b"k")])
    idx = rng.integers(0, x.size, size=(n_boot, x.size), dtype=np.int32)
    lo, hi = np.percentile(x[idx].mean(axis=1), [2.5, 97.5])
    m = mean_ci(x, seed, n_boot, key="k")
    assert m["ci"] == [pytest.approx(lo, abs=0), pytest.approx(hi, abs=0)]


def test_mean_ci_edge_cases() -> None:
    e = mean_ci([], seed=0)
    assert e["n"] == 0 and np.isnan(e["value"])
    assert mean_ci([0.25, 0.75], seed=0, n_boot=0) == {"value": 0.5, "ci": [0.5, 0.5], "n": 2}
    assert mean_ci([1.0], seed=0)["ci"] == [1.0, 1.0]


def test_stratified_keeps_group_sizes_fixed() -> None:
    # Group a holds 3 ones, group b 5 zeros. Resampling within groups can only redraw ones in a and
    # zeros in b, so the pooled mean is always 3/8 and the CI collapses to [0.375, 0.375]. A plain
    # (unstratified) bootstrap of the 8 items would vary.
    groups = {"a": np.ones(3), "b": np.zeros(5)}

    def pooled(s: dict[str, np.ndarray]) -> np.ndarray:
        return (s["a"].sum(axis=1) + s["b"].sum(axis=1)) / (s["a"].shape[1] + s["b"].shape[1])

    m = stratified_ci(groups, pooled, seed=0, n_boot=200, vectorized=True)
    assert m == {"value": 0.375, "ci": [0.375, 0.375], "n": 8}


def test_stratified_scalar_and_vectorised_forms_agree() -> None:
    rng = np.random.default_rng(1)
    groups = {"x": (rng.random(40) < 0.3).astype(float), "y": (rng.random(25) < 0.8).astype(float)}
    weights = {"x": 2.0, "y": 1.0}

    def scalar(g: dict[str, np.ndarray]) -> float:
        return float((2 * g["x"].mean() + g["y"].mean()) / 3)

    def vector(s: dict[str, np.ndarray]) -> np.ndarray:
        m = group_means(s)
        return (weights["x"] * m["x"] + weights["y"] * m["y"]) / 3

    a = stratified_ci(groups, scalar, seed=5, n_boot=200)
    b = stratified_ci(groups, vector, seed=5, n_boot=200, vectorized=True)
    assert a["value"] == pytest.approx(b["value"])
    assert a["ci"] == pytest.approx(b["ci"])
    assert a["ci"][0] <= a["value"] <= a["ci"][1]


def test_stratified_multi_column_units() -> None:
    # Units with two columns are resampled as rows: column 0 always equals 2 * column 1.
    units = np.array([[2.0, 1.0], [4.0, 2.0], [0.0, 0.0]])
    out = stratified_cis(
        {"u": units},
        {"ratio": lambda s: s["u"][..., 0].sum(1) / np.maximum(s["u"][..., 1].sum(1), 1e-9)},
        seed=0,
        n_boot=100,
    )
    assert out["ratio"]["value"] == 2.0
    assert 0.0 <= out["ratio"]["ci"][0] <= 2.0 <= out["ratio"]["ci"][1]


def test_speed_3000_items_1000_resamples() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random(3000) < 0.7).astype(float)
    t0 = time.perf_counter()
    mean_ci(x, seed=0, n_boot=1000)
    t_mean = time.perf_counter() - t0
    groups = {f"s{i}": x[i * 130 : (i + 1) * 130] for i in range(23)}
    t0 = time.perf_counter()
    stratified_cis(groups, {"m": lambda s: sum(group_means(s).values()) / len(s)}, seed=0, n_boot=1000)
    t_strat = time.perf_counter() - t0
    assert t_mean < 0.5 and t_strat < 0.5, (t_mean, t_strat)
