"""Engine: dedup, SQLite cache, lazy model loading, batch-size invariance of whole runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assay.engine.cache import ScoreCache
from assay.engine.scorer import score_requests
from assay.models.base import ScoreRequest, ScoreResult
from assay.models.spec import load_backend
from assay.samples import user_prompt


def test_cache_roundtrip_and_wal(tmp_path: Path) -> None:
    with ScoreCache(tmp_path / "s.sqlite") as c:
        c.put_many("m", [("k1", ScoreResult(0.5, True, 3)), ("k2", ScoreResult(-1.25))])
        got = c.get_many("m", ["k1", "k2", "k3"])
        assert got == {"k1": ScoreResult(0.5, True, 3), "k2": ScoreResult(-1.25, False, 0)}
        assert c.get_many("other-model", ["k1"]) == {}
    mode = sqlite3.connect(tmp_path / "s.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_dedup_and_cache_hits(cache_dir: Path) -> None:
    backend = load_backend("baseline:length")
    p = user_prompt("q")
    reqs = [
        ScoreRequest(p, "a"),
        ScoreRequest(p, "bb"),
        ScoreRequest(p, "a"),
        ScoreRequest(user_prompt("x"), "a"),
    ]
    with ScoreCache(cache_dir / "s.sqlite") as cache:
        res, rep = score_requests(backend, reqs, cache=cache)
        assert [r.score for r in res] == [1.0, 2.0, 1.0, 1.0]
        assert (rep.n_requests, rep.n_unique, rep.n_cached, rep.n_scored) == (4, 3, 0, 3)
        res2, rep2 = score_requests(backend, reqs, cache=cache)
        assert [r.score for r in res2] == [r.score for r in res]
        assert (rep2.n_cached, rep2.n_scored, rep2.model_loaded) == (3, 0, False)


def test_lazy_model_loading_when_cached(cache_dir: Path, default_model_dir: Path) -> None:
    """When every request hits the cache, the weights are never loaded."""
    reqs = [ScoreRequest(user_prompt("What is 2+2?"), "4"), ScoreRequest(user_prompt("What is 2+2?"), "5")]
    with ScoreCache(cache_dir / "s.sqlite") as cache:
        first = load_backend(f"lm:{default_model_dir}?mode=mean")
        res, _ = score_requests(first, reqs, cache=cache)
        assert first.loaded
        second = load_backend(f"lm:{default_model_dir}?mode=mean")
        res2, rep = score_requests(second, reqs, cache=cache)
        assert not second.loaded and rep.n_cached == 2
        assert [r.score for r in res2] == [r.score for r in res]
        # a different scoring mode is a different fingerprint: no false hits
        third = load_backend(f"lm:{default_model_dir}?mode=sum")
        _, rep3 = score_requests(third, reqs, cache=cache)
        assert rep3.n_cached == 0 and third.loaded


@pytest.mark.slow
def test_run_scores_do_not_depend_on_batch_size(tmp_path: Path, default_model_dir: Path) -> None:
    from assay.runner import evaluate

    per_bs = {}
    for bs in (1, 7, 32):
        run = evaluate(
            "demo-gsm8k",
            f"lm:{default_model_dir}?mode=mean",
            limit=6,
            batch_size=bs,
            out=str(tmp_path / f"bs{bs}"),
            use_cache=False,
        )
        per_bs[bs] = {r["id"]: r["scores"] for r in run.records}
    flat = {bs: [] for bs in per_bs}
    for bs, recs in per_bs.items():
        for rid in sorted(recs):
            s = recs[rid]
            flat[bs].extend([s["chosen"], s["rejected"]] if isinstance(s, dict) else s)
    for bs in (7, 32):
        diff = max(abs(a - b) for a, b in zip(flat[1], flat[bs], strict=True))
        assert diff < 1e-5, f"batch size {bs}: max diff {diff}"


def test_non_finite_scores_survive_cache_and_records(tmp_path: Path) -> None:
    """NaN / inf scores (fp16 overflow, -inf log-probs) are cached, written and counted as wrong."""
    import math

    from assay.benchmarks.pairs import pairs_outcome
    from assay.records.rundir import read_samples, write_samples

    with ScoreCache(tmp_path / "s.sqlite") as c:
        c.put_many("m", [("nan", ScoreResult(float("nan"))), ("inf", ScoreResult(float("-inf")))])
        got = c.get_many("m", ["nan", "inf"])
    assert math.isnan(got["nan"].score) and got["inf"].score == float("-inf")
    rec = {"id": "x", "kind": "pair", "scores": {"chosen": float("nan"), "rejected": 0.0}}
    write_samples(tmp_path / "s.jsonl", [rec])
    back = next(read_samples(tmp_path / "s.jsonl"))
    assert math.isnan(back["scores"]["chosen"]) and pairs_outcome(back)["correct"] == 0
