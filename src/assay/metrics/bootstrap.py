"""Seeded percentile bootstrap confidence intervals, vectorised with numpy.

Two entry points:

* ``mean_ci(values, seed)``: the mean of per-item values (accuracy of 0/1 outcomes, mean credit)
  with a percentile-bootstrap CI from ``n_boot`` resamples of the items.
* ``stratified_ci(groups, stat, seed)`` / ``stratified_cis``: an aggregation over groups (subsets)
  recomputed on resamples drawn *within each group*, so every group keeps its size and only the items
  vary. This is the bootstrap for weighted aggregates such as RewardBench's section scores.

Determinism: every CI comes from ``numpy.random.default_rng([seed, crc32(key)])`` (PCG64 seeded via
SeedSequence), so the same seed, data and key give the same CI on every platform and numpy >= 1.17;
``key`` keeps the streams of different metrics of one run independent. The interval is the
``alpha/2`` and ``1 - alpha/2`` percentiles of the replicate statistics (numpy's default "linear"
quantile method). No bias correction is applied; for a plain mean the interval is centred near the
point estimate, for a non-linear statistic it need not contain it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Metric = dict[str, Any]
"""{"value": float, "ci": [lo, hi], "n": int}"""

# Resample indices are drawn in chunks of at most this many entries (int32: 4 bytes each).
_CHUNK_ELEMENTS = 4_000_000


def rng_for(seed: int, key: str = "") -> np.random.Generator:
    """The generator for metric ``key`` under run seed ``seed`` (independent streams per key)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8"))])


def metric(value: float, ci: Sequence[float], n: int) -> Metric:
    """A metric dict with plain Python floats (JSON- and equality-stable)."""
    return {"value": float(value), "ci": [float(ci[0]), float(ci[1])], "n": int(n)}


def percentile_interval(replicates: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """The (alpha/2, 1-alpha/2) percentiles of the bootstrap replicates; NaN replicates ignored."""
    reps = np.asarray(replicates, dtype=float)
    reps = reps[~np.isnan(reps)]
    if reps.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(reps, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)


def _resample_indices(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """(n_boot, n) int32 indices into a group of n items, drawn with replacement."""
    return rng.integers(0, n, size=(n_boot, n), dtype=np.int32)


def mean_ci(
    values: Sequence[float] | np.ndarray,
    seed: int,
    n_boot: int = 1000,
    alpha: float = 0.05,
    *,
    key: str = "",
) -> Metric:
    """Mean of ``values`` with a seeded percentile-bootstrap CI: ``{"value", "ci": [lo, hi], "n"}``.

    Empty input gives value and CI NaN with n = 0. ``n_boot = 0`` gives the degenerate CI [v, v].
    """
    x = np.asarray(values, dtype=float).ravel()
    n = x.size
    if n == 0:
        return metric(float("nan"), (float("nan"), float("nan")), 0)
    value = float(x.mean())
    if n_boot <= 0:
        return metric(value, (value, value), n)
    rng = rng_for(seed, key)
    reps = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = _resample_indices(rng, n, stop - start)
        reps[start:stop] = x[idx].mean(axis=1)
    return metric(value, percentile_interval(reps, alpha), n)


VectorStat = Callable[[Mapping[str, np.ndarray]], np.ndarray]
ScalarStat = Callable[[Mapping[str, np.ndarray]], float]


def _as_group_arrays(groups: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, v in groups.items():
        a = np.asarray(v, dtype=float)
        if a.ndim == 0:
            a = a.reshape(1)
        out[name] = a
    return out


def stratified_replicates(
    groups: Mapping[str, Any],
    stats: Mapping[str, VectorStat],
    seed: int,
    n_boot: int,
    *,
    key: str = "",
) -> dict[str, np.ndarray]:
    """Bootstrap replicates (shape (n_boot,)) of every vectorised statistic in ``stats``.

    Each group is an array whose first axis indexes items (units) and may carry more axes for
    multi-valued items. Every replicate draws ``len(group)`` units with replacement from each group
    independently; a stat receives ``{name: array of shape (n_boot, n_g, ...)}`` and must return an
    array of shape (n_boot,). All stats share the same replicates, so sections and the overall score
    of one run are computed from one coherent set of resamples.
    """
    arrays = _as_group_arrays(groups)
    rng = rng_for(seed, key)
    total = sum(max(1, len(a)) for a in arrays.values())
    step = max(1, _CHUNK_ELEMENTS // total)
    reps = {name: np.empty(n_boot) for name in stats}
    for start in range(0, n_boot, step):
        b = min(n_boot, start + step) - start
        sampled = {}
        for name in sorted(arrays):  # fixed order: the draws do not depend on dict insertion order
            a = arrays[name]
            sampled[name] = a[_resample_indices(rng, len(a), b)] if len(a) else np.empty((b, 0) + a.shape[1:])
        for sname, fn in stats.items():
            reps[sname][start : start + b] = np.asarray(fn(sampled), dtype=float).reshape(b)
    return reps


def stratified_cis(
    groups: Mapping[str, Any],
    stats: Mapping[str, VectorStat],
    seed: int,
    n_boot: int = 1000,
    alpha: float = 0.05,
    *,
    n: Mapping[str, int] | None = None,
    key: str = "",
) -> dict[str, Metric]:
    """Point estimates and stratified percentile CIs of several vectorised statistics at once.

    The point estimate calls each stat on the observed data with a leading replicate axis of size 1.
    ``n`` gives the item count reported per stat (default: all units of all groups).
    """
    arrays = _as_group_arrays(groups)
    observed = {name: a[np.newaxis, ...] for name, a in arrays.items()}
    total = sum(len(a) for a in arrays.values())
    values = {s: float(np.asarray(fn(observed), dtype=float).reshape(-1)[0]) for s, fn in stats.items()}
    if n_boot > 0 and total > 0:
        reps = stratified_replicates(arrays, stats, seed, n_boot, key=key)
        cis = {s: percentile_interval(reps[s], alpha) for s in stats}
    else:
        cis = {s: (values[s], values[s]) for s in stats}
    counts = n or {}
    return {s: metric(values[s], cis[s], counts.get(s, total)) for s in stats}


def stratified_ci(
    groups: Mapping[str, Any],
    stat: VectorStat | ScalarStat,
    seed: int,
    n_boot: int = 1000,
    alpha: float = 0.05,
    *,
    vectorized: bool = False,
    key: str = "",
) -> Metric:
    """One aggregation over groups with a bootstrap CI that resamples items within each group.

    ``stat`` takes ``{group: values}``. With ``vectorized=False`` it gets 1-D arrays (one resample)
    and returns a float; it is then called once per replicate. With ``vectorized=True`` it gets arrays
    with a leading replicate axis ``(n_boot, n_g, ...)`` and returns shape ``(n_boot,)`` (fast path).
    """
    if vectorized:
        vec = stat  # type: ignore[assignment]
    else:
        scalar = stat

        def vec(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
            b = next(iter(sampled.values())).shape[0] if sampled else 1
            return np.array([scalar({k: v[i] for k, v in sampled.items()}) for i in range(b)])

    return stratified_cis(groups, {"stat": vec}, seed, n_boot, alpha, key=key)["stat"]  # type: ignore[dict-item]


def group_means(sampled: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-group means over the item axis of resampled 1-D groups: ``{name: (n_boot,)}`` (NaN if empty)."""
    out = {}
    for name, a in sampled.items():
        if a.shape[1] == 0:
            out[name] = np.full(a.shape[0], np.nan)
        else:
            out[name] = a.mean(axis=1)
    return out
