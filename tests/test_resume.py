"""A run killed with SIGKILL mid-scoring and started again ends with every item exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _cached_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return int(sqlite3.connect(db, timeout=1).execute("SELECT COUNT(*) FROM scores").fetchone()[0])
    except sqlite3.Error:
        return 0


def _cmd(out: Path, cache: Path, model: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assay.cli",
        "run",
        "demo-gsm8k",
        "--model",
        model,
        "--limit",
        "12",
        "--batch-size",
        "2",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--quiet",
        "--n-boot",
        "200",
    ]


@pytest.mark.slow
def test_kill_and_resume(tmp_path: Path, default_model_dir: Path) -> None:
    model = f"lm:{default_model_dir}?mode=mean"
    out, cache = tmp_path / "run", tmp_path / "cache"
    db = cache / "scores.sqlite"
    proc = subprocess.Popen(_cmd(out, cache, model), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while _cached_rows(db) < 6:  # some batches committed, most still to do (72 unique requests)
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "no progress within 300 s"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _cached_rows(db)
    assert done_before < 72, "the run finished before it could be killed; make it longer"
    assert not (out / "samples.jsonl").exists()

    resumed = subprocess.run(_cmd(out, cache, model), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in lines]
    assert len(ids) == len(set(ids)) == 24
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["cached"] >= done_before  # the work done before the kill was kept
    assert manifest["counts"]["cached"] + manifest["counts"]["scored"] == manifest["counts"]["unique_requests"]

    # the resumed run equals a clean uninterrupted one
    clean = subprocess.run(
        _cmd(tmp_path / "clean", tmp_path / "cache2", model), capture_output=True, text=True, timeout=600
    )
    assert clean.returncode == 0, clean.stderr
    ref = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "clean" / "samples.jsonl").read_text().splitlines()}
    for r in lines:
        assert r["outcome"] == ref[r["id"]]["outcome"]
        a, b = r["scores"], ref[r["id"]]["scores"]
        va = [a["chosen"], a["rejected"]] if isinstance(a, dict) else a
        vb = [b["chosen"], b["rejected"]] if isinstance(b, dict) else b
        assert max(abs(x - y) for x, y in zip(va, vb, strict=True)) < 1e-6
    assert (
        json.loads((out / "metrics.json").read_text())["overall"]
        == json.loads((tmp_path / "clean" / "metrics.json").read_text())["overall"]
    )
