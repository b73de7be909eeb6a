"""The leaderboard (rich + JSON) and the self-contained HTML report, checked in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from assay.records.rundir import find_runs, load_run, write_json, write_samples
from assay.report.html import miss_reason, write_report
from assay.report.leaderboard import fmt_metric, leaderboard, leaderboard_json, render_leaderboard

EVIL = "<script>alert('x')</script>"


def _m(v: float, n: int = 100, half: float = 0.03) -> dict[str, Any]:
    return {"value": v, "ci": [v - half, min(v + half, 1.0)], "n": n}


def _pair(i: int, correct: bool, tie: bool = False, prompt: str = "What is 2+2?") -> dict[str, Any]:
    c, r = (1.0, 1.0) if tie else ((2.5, -1.25) if correct else (-0.5, 0.75))
    return {
        "id": f"p{i}",
        "subset": "math" if i % 2 else "chat-easy",
        "kind": "pair",
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": "4",
        "rejected": "5 " + "x" * 500,
        "scores": {"chosen": c, "rejected": r},
        "outcome": {"correct": int(correct and not tie), "tie": tie},
        "meta": {},
    }


def make_run(root: Path, name: str, bench: str, model: str, overall: float, **kw: Any) -> Path:
    """A well-formed run directory with manifest.json, metrics.json and samples.jsonl."""
    d = root / name
    records = kw.get("records") or [_pair(i, correct=i % 3 != 0) for i in range(10)]
    counts = {"items": len(records), "requests": 2 * len(records), "unique_requests": 2 * len(records)}
    counts |= {"cached": 0, "scored": 2 * len(records), "ties": kw.get("ties", 0), "truncated": 1}
    counts |= {"invalid_rows": 0}
    manifest = {
        "benchmark": {
            "name": bench,
            "source": "paper §3",
            "data_source": f"/data/{bench}.jsonl",
            "data_fingerprint": "d" * 64,
            "subsets": ["chat-easy", "math"],
        },
        "model": {"spec": model, "fingerprint": {"weights": "abc"}, "fingerprint_hash": f"fp-{name}"},
        "options": {"batch_size": 8, "max_length": 4096, "limit": None, "seed": 7, "n_boot": 1000},
        "seed": 7,
        "versions": {"python": "3.11.9", "torch": "2.4.0"},
        "git": {"commit": "0123abcd", "dirty": True},
        "host": {"hostname": "box", "gpu": "none"},
        "started_at": "2025-01-01T00:00:00+00:00",
        "ended_at": "2025-01-01T00:01:00+00:00",
        "duration_s": 60.0,
        "counts": counts,
        "status": "complete",
    }
    metrics = {
        "overall": _m(overall, len(records)),
        "sections": kw.get("sections", {"Chat": _m(overall + 0.05), "Reasoning": _m(overall - 0.05)}),
        "subsets": {"chat-easy": _m(overall + 0.1, 5), "math": _m(overall - 0.1, 5)},
        "counts": counts,
        "extra": {"by_length": {"short": _m(0.9), "long": 0.512345}},
    }
    write_json(d / "manifest.json", manifest)
    write_json(d / "metrics.json", metrics)
    write_samples(d / "samples.jsonl", records)
    return d


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    recs = [_pair(0, correct=False, prompt=EVIL + " tell me " + "y" * 600), _pair(1, True, tie=True)]
    recs += [_pair(i, correct=True) for i in range(2, 8)]
    make_run(root, "rb-small", "rewardbench", "org/rm-small", 0.6123, records=recs, ties=1)
    make_run(root, "rb-large", "rewardbench", "org/rm-large", 0.8456)
    cands = [
        {
            "id": f"c{i}",
            "subset": "Focus",
            "kind": "candidates",
            "prompt": [{"role": "user", "content": [{"type": "text", "text": "pick"}, {"type": "image"}]}],
            "responses": ["a", "b", "c", "d"],
            "best": [0],
            "scores": [0.1, 0.9, 0.2, 0.3] if i else [0.9, 0.1, 0.2, 0.3],
            "outcome": {"credit": 0.0 if i else 1.0},
            "meta": {},
        }
        for i in range(4)
    ]
    make_run(root, "rb2-large", "rewardbench2", "org/rm-large", 0.4, records=cands, sections={})
    return root


def test_fmt_metric() -> None:
    assert fmt_metric({"value": 0.7123, "ci": [0.68, 0.7412], "n": 3}) == "71.2 [68.0, 74.1]"
    assert fmt_metric({"value": 0.5, "ci": None}) == "50.0"
    assert fmt_metric(None) == "—"


def test_leaderboard_order_and_duplicates(runs_root: Path) -> None:
    make_run(runs_root, "rb-large-rerun", "rewardbench", "org/rm-large", 0.8401)
    board = leaderboard(find_runs([runs_root]))
    assert list(board) == ["rewardbench", "rewardbench2"]
    rows = board["rewardbench"]
    assert [r["overall"]["value"] for r in rows] == [0.8456, 0.8401, 0.6123]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["duplicate"] for r in rows] == [True, True, False]
    assert rows[0]["label"] == "org/rm-large (rb-large)"
    assert rows[2]["label"] == "org/rm-small" and rows[2]["ties"] == 1 and rows[2]["n"] == 8
    assert set(rows[0]["sections"]) == {"Chat", "Reasoning"}
    flat = leaderboard_json(find_runs([runs_root]))
    assert len(flat) == 4 and flat[-1]["benchmark"] == "rewardbench2"
    json.dumps(flat)  # JSON-ready


def test_render_leaderboard(runs_root: Path) -> None:
    make_run(runs_root, "rb-large-rerun", "rewardbench", "org/rm-large", 0.8401)
    console = Console(record=True, width=200)
    render_leaderboard(find_runs([runs_root]), console)
    text = console.export_text()
    assert "rewardbench  (3 runs)" in text and "rewardbench2  (1 run)" in text
    assert "84.6 [81.6, 87.6]" in text and "61.2 [58.2, 64.2]" in text
    assert "Chat" in text and "Reasoning" in text
    assert "(rb-large-rerun)" in text and "(rb-large)" in text
    lines = [ln for ln in text.splitlines() if "org/rm-" in ln]
    assert "rm-large" in lines[0] and "rm-small" in lines[2]  # best first
    empty = Console(record=True, width=80)
    render_leaderboard([], empty)
    assert "no finished runs" in empty.export_text()


def test_miss_reason() -> None:
    assert miss_reason(_pair(0, correct=True)) is None
    assert miss_reason(_pair(0, correct=False)) == "wrong"
    assert miss_reason(_pair(0, correct=True, tie=True)) == "tie"
    assert miss_reason({"kind": "candidates", "outcome": {"credit": 0.25}}) == "credit 0.25"


def test_write_report_content(runs_root: Path, tmp_path: Path) -> None:
    out = write_report(find_runs([runs_root]), tmp_path / "report.html", title="my <report>")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>my &lt;report&gt;</title>" in html
    for model in ("org/rm-small", "org/rm-large"):
        assert model in html
    assert "84.6 [81.6, 87.6]" in html and "61.2 [58.2, 64.2]" in html
    assert "3 runs" in html and "2 benchmarks" in html and "assay 0.1.0" in html
    # untrusted text is escaped: the prompt's <script> never reaches the page as markup
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    # no external resources of any kind
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    # one chart per benchmark; chance line only for the pairwise one
    assert html.count("<svg") == 2 and html.count('class="chance"') == 1
    assert "chance 50.0%" in html
    # breakdown, collapsible run details with manifest essentials and wrong/tied examples
    assert 'class="breakdown"' in html and "chat-easy" in html
    assert html.count('<details class="run"') == 3
    assert "fp-rb-small" in html and "0123abcd (dirty)" in html and "d" * 64 in html
    assert ">tie<" in html and ">wrong<" in html and "credit 0.00" in html
    assert "chosen -0.5 · rejected 0.75" in html
    assert "y" * 400 not in html and "x" * 300 not in html  # prompt and responses truncated
    assert "[image]" in html and "#0 (best)" in html
    assert "by_length.short" in html and "0.5123" in html


def test_write_report_survives_bad_samples(runs_root: Path, tmp_path: Path) -> None:
    (runs_root / "rb-large" / "samples.jsonl").write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    out = write_report([load_run(runs_root / "rb-large")], tmp_path)
    assert out == tmp_path / "report.html"
    assert "could not read samples" in out.read_text(encoding="utf-8")


def _chromium() -> str | None:
    return next((p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None)


@pytest.mark.slow
@pytest.mark.skipif(
    _chromium() is None,
    reason="no chromium/chromium-browser/google-chrome on PATH (Debian: apt-get install chromium)",
)
def test_report_in_headless_browser(runs_root: Path, tmp_path: Path) -> None:
    out = write_report(find_runs([runs_root]), tmp_path / "report.html")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    browser = str(_chromium())
    dom = subprocess.run([browser, *flags, "--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "<svg" in page and "<rect" in page and 'class="chance"' in page
    rows = re.findall(r'<table class="leaderboard">.*?</table>', page, re.S)
    assert len(rows) == 2
    assert rows[0].count("<tr") == 1 + 2 and "org/rm-large" in rows[0] and "org/rm-small" in rows[0]
    assert rows[0].index("org/rm-large") < rows[0].index("org/rm-small")
    assert "<script" not in page.lower()  # the escaped prompt stayed text in the live DOM
    shot = tmp_path / "shot.png"
    res = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,900", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
