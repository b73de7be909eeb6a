"""Order/batching leak check: a scalar score must not depend on what else is in the batch or its order.

For scalar reward models position robustness is exact by construction, so this is a check of the
implementation (e.g. a padding or prefix-reuse bug), recorded in every run's manifest: a few requests
are scored again in reverse order as one batch, bypassing the cache, and compared with the run's scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.models.base import ScoreBackend, ScoreRequest, ScoreResult

TOLERANCE = 1e-5  # absolute for |score| <= 1, relative above (fp32 sums of per-token log-probs)


def order_check(
    backend: ScoreBackend, requests: Sequence[ScoreRequest], results: Sequence[ScoreResult], n: int = 8
) -> dict[str, Any]:
    unique: dict[str, tuple[ScoreRequest, float]] = {}
    for req, res in zip(requests, results, strict=True):
        unique.setdefault(req.key(), (req, res.score))
    keys = sorted(unique)[:n]  # deterministic choice
    if len(keys) < 2:
        return {"checked": len(keys), "ok": True, "max_abs_diff": 0.0, "note": "fewer than 2 unique requests"}
    keys.reverse()
    again: dict[int, float] = {}
    for idx, res in backend.score_stream([unique[k][0] for k in keys], len(keys)):
        again.update({i: r.score for i, r in zip(idx, res, strict=True)})
    diffs = [abs(again[i] - unique[k][1]) for i, k in enumerate(keys)]
    bounds = [TOLERANCE * max(1.0, abs(unique[k][1])) for k in keys]
    return {
        "checked": len(keys),
        "max_abs_diff": max(diffs),
        "tolerance": "1e-5 x max(1, |score|)",
        "ok": all(d <= b for d, b in zip(diffs, bounds, strict=True)),
    }
