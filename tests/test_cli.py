"""The CLI end to end on the embedded default model: run, show, leaderboard, compare, rescore, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SHARED_TOOLS = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_run.py"


def assay(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay.cli", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_help_everywhere() -> None:
    for cmd in (
        [],
        ["run"],
        ["list"],
        ["show"],
        ["leaderboard"],
        ["compare"],
        ["rescore"],
        ["demo"],
        ["report"],
    ):
        r = assay(*cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Usage" in r.stdout


def test_help_is_fast_and_imports_no_torch() -> None:
    code = "import sys, assay.cli; print('torch' in sys.modules, 'transformers' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["False", "False"]


def test_exit_codes(tmp_path: Path) -> None:
    assert assay("run", "no-such-bench", "--model", "baseline:length").returncode == 2
    assert assay("run", "demo-gsm8k", "--model", "nonsense:x").returncode == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "chosen": "a", "rejected": 3}\n')
    r = assay("run", str(bad), "--model", "baseline:length", "--out", str(tmp_path / "o"))
    assert r.returncode == 3, r.stderr
    assert "bad.jsonl" in r.stderr and "rejected" in r.stderr
    assert assay("show", str(tmp_path)).returncode == 4


def test_list_shows_benchmarks_and_kinds() -> None:
    r = assay("list", "--json")
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    names = {b["name"] for b in payload["benchmarks"]}
    assert {"rewardbench", "rewardbench2", "rmbench", "demo-gsm8k"} <= names
    assert all(b["source"] for b in payload["benchmarks"])
    kinds = " ".join(k["kind"] for k in payload["model_kinds"])
    for k in ("hf:", "lm:", "baseline:length", "assay:default"):
        assert k in kinds


@pytest.mark.slow
def test_run_show_leaderboard_compare_rescore(tmp_path: Path, default_model_dir: Path) -> None:
    cache = tmp_path / "cache"
    runs = tmp_path / "runs"
    common = ["--limit", "8", "--cache-dir", str(cache), "--quiet", "--n-boot", "300"]
    r1 = assay("run", "demo-gsm8k", "--model", "assay:default", "--out", str(runs / "a"), *common)
    assert r1.returncode == 0, r1.stderr
    r2 = assay("run", "demo-gsm8k", "--model", "baseline:length", "--out", str(runs / "b"), *common)
    assert r2.returncode == 0, r2.stderr
    if SHARED_TOOLS.exists():
        chk = subprocess.run(
            [sys.executable, str(SHARED_TOOLS), str(runs / "a"), str(runs / "b")],
            capture_output=True,
            text=True,
        )
        assert chk.returncode == 0, chk.stdout
    show = assay("show", str(runs / "a"))
    assert show.returncode == 0 and "overall" in show.stdout
    lb = assay("leaderboard", str(runs), "--json")
    assert lb.returncode == 0, lb.stderr
    assert "assay:default" in lb.stdout and "baseline:length" in lb.stdout
    cmp_ = assay("compare", str(runs / "a"), str(runs / "b"), "--json")
    assert cmp_.returncode == 0, cmp_.stderr
    assert json.loads(cmp_.stdout)["n_shared"] == 16
    rs = assay("rescore", str(runs / "a"))
    assert rs.returncode == 0, rs.stdout + rs.stderr
    # tampering with a score is caught by rescore
    lines = (runs / "a" / "samples.jsonl").read_text().splitlines()
    rec = json.loads(lines[0])
    if rec["kind"] == "pair":
        rec["scores"]["chosen"], rec["scores"]["rejected"] = (
            rec["scores"]["rejected"],
            rec["scores"]["chosen"] + 1,
        )
    lines[0] = json.dumps(rec)
    (runs / "a" / "samples.jsonl").write_text("\n".join(lines) + "\n")
    assert assay("rescore", str(runs / "a")).returncode == 4
