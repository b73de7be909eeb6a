"""A single self-contained HTML report over finished runs (inline CSS and SVG; no scripts, fonts or CDN).

Per benchmark: the leaderboard, a bar chart of overall accuracy with 95% CI whiskers (and the chance line
for pairwise benchmarks), and a section/subset breakdown with one column per run. Per run: the manifest
essentials and the first few items the model got wrong or tied. All data is untrusted and escaped
(jinja2 autoescaping); a Content-Security-Policy forbids every script and every network fetch.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2

from assay.records.rundir import RunView, atomic_write
from assay.report.leaderboard import (
    _num,
    baseline_rows,
    fmt_metric,
    fmt_pct,
    leaderboard,
    metric,
    section_names,
)

N_EXAMPLES = 5
PROMPT_CHARS = 300
RESPONSE_CHARS = 200
MAX_RESPONSES = 6
PAIRWISE_KINDS = {"pair", "matrix"}  # chance level 50%

# chart geometry (SVG user units)
LABEL_W, PLOT_W, VALUE_W, ROW_H, TOP, BOTTOM = 290, 440, 140, 28, 26, 26


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _fmt_num(x: Any) -> str:
    v = _num(x)
    if v is None:
        return "null" if x is None else str(x)
    return str(int(v)) if isinstance(x, int) else f"{v:.4g}"


def _fmt_scores(obj: Any) -> str:
    """Scores compactly: ``chosen 1.23 · rejected 0.5``, ``[1.2, 0.3]`` or nested mixes of both."""
    if isinstance(obj, dict):
        return " · ".join(f"{k} {_fmt_scores(v)}" for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return "[" + ", ".join(_fmt_scores(v) for v in obj) + "]"
    return _fmt_num(obj)


def _flat(value: Any, limit: int = 400) -> str:
    """A manifest value on one line: dicts as ``k=v, ...``; nested values as compact JSON."""
    if isinstance(value, dict):
        parts = [f"{k}={v if isinstance(v, (str, int, float, bool)) else _json(v)}" for k, v in value.items()]
        text = ", ".join(parts)
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    return _clip(text, limit) if text else "—"


def _json(v: Any) -> str:
    try:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(v)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, dict) and p.get("type") == "text":
                parts.append(str(p.get("text") or ""))
            else:
                parts.append("[image]" if isinstance(p, dict) and p.get("type") == "image" else str(p))
        return "".join(parts)
    return "" if content is None else str(content)


def _prompt_text(prompt: Any) -> str:
    if not isinstance(prompt, list):
        return _content_text(prompt)
    lines = []
    for m in prompt:
        if isinstance(m, dict):
            lines.append(f"{m.get('role', '?')}: {_content_text(m.get('content'))}")
        else:
            lines.append(str(m))
    return "\n".join(lines)


def _responses(rec: dict[str, Any]) -> list[tuple[str, str]]:
    if "chosen" in rec or "rejected" in rec:
        return [(k, _clip(str(rec.get(k, "")), RESPONSE_CHARS)) for k in ("chosen", "rejected")]
    resp = rec.get("responses")
    if not isinstance(resp, list):
        return []
    best = set(rec.get("best") or []) if isinstance(rec.get("best"), list) else set()
    out = [
        (f"#{i}{' (best)' if i in best else ''}", _clip(str(r), RESPONSE_CHARS))
        for i, r in enumerate(resp[:MAX_RESPONSES])
    ]
    if len(resp) > MAX_RESPONSES:
        out.append(("…", f"{len(resp) - MAX_RESPONSES} more responses"))
    return out


def miss_reason(rec: dict[str, Any]) -> str | None:
    """Why a record counts as missed ("tie", "wrong", "credit 0.33"), or None when the model got it right."""
    outcome = rec.get("outcome") if isinstance(rec.get("outcome"), dict) else {}
    scores = rec.get("scores")
    if outcome.get("tie") or (
        rec.get("kind") == "pair"
        and isinstance(scores, dict)
        and _num(scores.get("chosen")) is not None
        and scores.get("chosen") == scores.get("rejected")
    ):
        return "tie"
    correct, credit = _num(outcome.get("correct")), _num(outcome.get("credit"))
    if correct is not None and correct < 1:
        return "wrong"
    if credit is not None and credit < 1:
        return f"credit {credit:.2f}"
    return None


def _scan(run: RunView) -> tuple[str | None, list[dict[str, Any]], str | None]:
    """(kind of the first record, the first few missed items, an error message if samples.jsonl is bad)."""
    kind: str | None = None
    examples: list[dict[str, Any]] = []
    try:
        for rec in run.records():
            if not isinstance(rec, dict):
                continue
            kind = kind or str(rec.get("kind") or "")
            reason = miss_reason(rec)
            if reason is None:
                continue
            examples.append(
                {
                    "id": str(rec.get("id", "")),
                    "subset": str(rec.get("subset", "")),
                    "reason": reason,
                    "scores": _clip(_fmt_scores(rec.get("scores")), 300),
                    "prompt": _clip(_prompt_text(rec.get("prompt")), PROMPT_CHARS),
                    "responses": _responses(rec),
                }
            )
            if len(examples) >= N_EXAMPLES:
                break
    except (OSError, ValueError) as e:
        return kind, examples, f"could not read samples: {e}"
    return kind, examples, None


def _extra(obj: Any, prefix: str = "", out: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """benchmark-specific metrics flattened to (dotted key, formatted value) pairs."""
    out = [] if out is None else out
    if isinstance(obj, dict) and "value" in obj and _num(obj.get("value")) is not None:
        m = metric(obj)
        out.append((prefix, fmt_metric(m) + (f"  (n={m['n']})" if m["n"] is not None else "")))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _extra(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, (list, tuple)):
        out.append((prefix, _clip(_json(obj), 200)))
    else:
        out.append((prefix, _fmt_num(obj)))
    return out[:80]


def _essentials(run: RunView) -> list[tuple[str, str]]:
    m = run.manifest
    bench, model = m.get("benchmark") or {}, m.get("model") or {}
    git = m.get("git") or {}
    opts = m.get("options") or {}
    commit = str(git.get("commit") or "—") + (" (dirty)" if git.get("dirty") else "")
    dur = _num(m.get("duration_s"))
    return [
        ("run dir", str(run.path)),
        ("model", str(model.get("spec", "?"))),
        ("model fingerprint", str(model.get("fingerprint_hash") or "—")),
        ("benchmark source", _flat(bench.get("source"))),
        ("data source", _flat(bench.get("data_source"))),
        ("data fingerprint", _flat(bench.get("data_fingerprint"))),
        ("subsets", _flat(bench.get("subsets"))),
        ("seed", _flat(m.get("seed", opts.get("seed")))),
        ("options", _flat(opts)),
        ("versions", _flat(m.get("versions"))),
        ("git commit", commit),
        ("host", _flat(m.get("host"))),
        ("started", _flat(m.get("started_at"))),
        ("ended", _flat(m.get("ended_at"))),
        ("duration", f"{dur:.1f} s" if dur is not None else "—"),
        ("counts", _flat(m.get("counts"))),
        ("status", _flat(m.get("status"))),
    ]


def _chart(rows: list[dict[str, Any]], chance: float | None) -> dict[str, Any]:
    """Geometry of the horizontal bar chart: one bar per run with its CI whisker."""

    def x(v: float) -> float:
        return round(LABEL_W + PLOT_W * min(max(v, 0.0), 1.0), 1)

    bars = []
    for i, r in enumerate(rows):
        v, ci = r["overall"]["value"], r["overall"]["ci"]
        y = TOP + i * ROW_H
        bars.append(
            {
                "label": _clip(r["label"], 42),
                "title": r["label"],
                "y": y,
                "cy": y + ROW_H / 2,
                "w": (x(v) - LABEL_W) if v is not None else None,
                "lo": x(ci[0]) if ci else None,
                "hi": x(ci[1]) if ci else None,
                "text": fmt_metric(r["overall"]),
            }
        )
    height = TOP + len(rows) * ROW_H + BOTTOM
    ticks = [{"x": x(t / 4), "label": f"{25 * t}%"} for t in range(5)]
    return {
        "width": LABEL_W + PLOT_W + VALUE_W,
        "label_x": LABEL_W - 8,
        "bar_x": LABEL_W,
        "value_x": LABEL_W + PLOT_W + 8,
        "height": height,
        "plot_bottom": height - BOTTOM,
        "bars": bars,
        "ticks": ticks,
        "chance": {"x": x(chance), "label": f"chance {fmt_pct(chance)}%"} if chance is not None else None,
    }


def _breakdown(rows: list[dict[str, Any]], runs: dict[str, RunView]) -> dict[str, Any]:
    """Sections then subsets as rows, one column per run (in leaderboard order)."""
    subsets: dict[str, None] = {}
    for r in rows:
        s = runs[r["run"]].metrics.get("subsets")
        subsets.update(dict.fromkeys(map(str, s)) if isinstance(s, dict) else {})
    lines = []
    for kind, names in (("section", section_names(rows)), ("subset", list(subsets))):
        for name in names:
            cells = []
            for r in rows:
                src = r["sections"] if kind == "section" else runs[r["run"]].metrics.get("subsets") or {}
                m = metric(src.get(name)) if name in src else None
                cells.append({"text": fmt_metric(m), "n": "" if not m or m["n"] is None else f"n={m['n']}"})
            lines.append({"kind": kind, "name": name, "cells": cells})
    return {"columns": [r["label"] for r in rows], "lines": lines}


def _assay_version() -> str:
    try:
        return version("assay")
    except PackageNotFoundError:
        return "unknown"


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
 padding:16px 24px;color:#1f2328;background:#fff}
h1{margin:0 0 4px}h2{margin:32px 0 8px;border-bottom:2px solid #d0d7de;padding-bottom:4px}
h3{margin:18px 0 6px;font-size:15px}.meta{color:#57606a}nav a{margin-right:12px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #d0d7de;padding:3px 8px;
 vertical-align:top}th{background:#f6f8fa;text-align:left}td.num{text-align:right;white-space:nowrap;
 font-variant-numeric:tabular-nums}tr.dup td{background:#fff8e5}
tr.baseline td{color:#57606a;font-style:italic}.tag{color:#57606a;font-size:12px}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:12px;max-width:420px}
details{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;margin:8px 0}
summary{cursor:pointer;font-weight:600}dl{display:grid;grid-template-columns:170px 1fr;gap:2px 12px}
dt{color:#57606a}dd{margin:0;word-break:break-all}svg text{font:12px system-ui,sans-serif;fill:#1f2328}
"""

TEMPLATE = (
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><style>"""
    + CSS
    + """</style></head><body>
<h1>{{ title }}</h1>
<p class="meta" id="summary">generated {{ generated }} · {{ n_runs }} run{{ "s" if n_runs != 1 }}
 · {{ benchmarks|length }} benchmark{{ "s" if benchmarks|length != 1 }} · assay {{ version }}</p>
<nav>{% for b in benchmarks %}<a href="#{{ b.anchor }}">{{ b.name }}</a>{% endfor %}</nav>
{% if not benchmarks %}<p>No finished runs.</p>{% endif %}
{% for b in benchmarks %}
<h2 id="{{ b.anchor }}">{{ b.name }}</h2>
<table class="leaderboard"><thead><tr><th>#</th><th>model</th><th>overall</th>
{% for s in b.sections %}<th>{{ s }}</th>{% endfor %}<th>n</th><th>ties</th><th>truncated</th><th>run</th>
</tr></thead><tbody>
{% for r in b.rows %}
<tr class="{{ 'dup' if r.duplicate }}"><td class="num">{{ r.rank }}</td><td>{{ r.model }}
{% if r.duplicate %} <span class="tag">({{ r.run_name }})</span>{% endif %}</td>
<td class="num"><b>{{ r.overall|metric }}</b></td>
{% for s in b.sections %}<td class="num">{{ r.sections.get(s)|metric }}</td>{% endfor %}
<td class="num">{{ r.n|count }}</td><td class="num">{{ r.ties|count }}</td>
<td class="num">{{ r.truncated|count }}</td><td class="tag">{{ r.run_name }}</td></tr>
{% endfor %}
{% for r in b.baselines %}
<tr class="baseline"><td class="num"></td><td title="{{ r.rule }}">{{ r.label }}</td>
<td class="num">{{ r.overall|metric }}</td>
{% for s in b.sections %}<td class="num">{{ r.sections.get(s)|metric }}</td>{% endfor %}
<td class="num">{{ r.n|count }}</td><td></td><td></td><td class="tag">same items, benchmark's rules</td></tr>
{% endfor %}
</tbody></table>
{% set c = b.chart %}
<svg class="chart" role="img" aria-label="overall accuracy of {{ b.name }} with 95% CI"
 xmlns="http://www.w3.org/2000/svg" width="{{ c.width }}" height="{{ c.height }}"
 viewBox="0 0 {{ c.width }} {{ c.height }}">
{% for t in c.ticks %}
<line x1="{{ t.x }}" y1="18" x2="{{ t.x }}" y2="{{ c.plot_bottom }}" stroke="#eaeef2"/>
<text x="{{ t.x }}" y="{{ c.height - 8 }}" text-anchor="middle">{{ t.label }}</text>
{% endfor %}
{% for bar in c.bars %}
<g class="bar"><title>{{ bar.title }}: {{ bar.text }}</title>
<text x="{{ c.label_x }}" y="{{ bar.cy + 4 }}" text-anchor="end">{{ bar.label }}</text>
{% if bar.w is not none %}
<rect x="{{ c.bar_x }}" y="{{ bar.y + 5 }}" width="{{ bar.w }}" height="18" fill="#4c8bd6"/>
{% endif %}
{% if bar.lo is not none %}<path d="M{{ bar.lo }} {{ bar.cy }}H{{ bar.hi }}M{{ bar.lo }} {{ bar.cy - 5 }}V{{
 bar.cy + 5 }}M{{ bar.hi }} {{ bar.cy - 5 }}V{{ bar.cy + 5 }}" stroke="#1f2328" stroke-width="1.5"/>
{% endif %}
<text x="{{ c.value_x }}" y="{{ bar.cy + 4 }}">{{ bar.text }}</text></g>
{% endfor %}
{% if c.chance %}<line class="chance" x1="{{ c.chance.x }}" y1="18" x2="{{ c.chance.x }}"
 y2="{{ c.plot_bottom }}" stroke="#cf222e" stroke-dasharray="5,4" stroke-width="1.5"/>
<text x="{{ c.chance.x + 4 }}" y="13" fill="#cf222e">{{ c.chance.label }}</text>{% endif %}
</svg>
{% if b.breakdown.lines %}
<h3>By section and subset</h3>
<table class="breakdown"><thead><tr><th></th>{% for col in b.breakdown.columns %}<th>{{ col }}</th>
{% endfor %}</tr></thead><tbody>
{% for line in b.breakdown.lines %}<tr><th>{{ line.name }} <span class="tag">{{ line.kind }}</span></th>
{% for cell in line.cells %}<td class="num" title="{{ cell.n }}">{{ cell.text }}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table>
{% endif %}
{% for run in runs if run.benchmark == b.name %}
<details class="run" id="{{ run.anchor }}"><summary>{{ run.label }} — {{ run.overall }}</summary>
<dl>{% for k, v in run.essentials %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
{% if run.extra %}<h3>Benchmark-specific metrics</h3>
<dl>{% for k, v in run.extra %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>{% endif %}
<h3>First {{ n_examples }} items wrong or tied</h3>
{% if run.error %}<p class="tag">{{ run.error }}</p>{% endif %}
{% if run.examples %}
<table class="examples"><thead><tr><th>id</th><th>subset</th><th>outcome</th><th>scores</th><th>prompt</th>
<th>responses</th></tr></thead><tbody>
{% for e in run.examples %}<tr><td>{{ e.id }}</td><td>{{ e.subset }}</td><td>{{ e.reason }}</td>
<td>{{ e.scores }}</td><td><pre>{{ e.prompt }}</pre></td>
<td>{% for name, text in e.responses %}<div><span class="tag">{{ name }}</span><pre>{{ text }}</pre></div>
{% endfor %}</td></tr>
{% endfor %}
</tbody></table>
{% elif not run.error %}<p class="tag">none: every item was right.</p>{% endif %}
</details>
{% endfor %}
{% endfor %}
</body></html>
"""
)


def write_report(runs: list[RunView], out: Path, title: str = "assay report") -> Path:
    """Write one self-contained HTML report over ``runs`` to ``out`` (a file, or report.html in a dir)."""
    out = out / "report.html" if out.is_dir() else out
    by_path = {str(r.path): r for r in runs}
    scans = {str(r.path): _scan(r) for r in runs}
    benchmarks, run_views = [], []
    for bi, (bench, rows) in enumerate(leaderboard(runs).items()):
        pairwise = any(scans[r["run"]][0] in PAIRWISE_KINDS for r in rows)
        benchmarks.append(
            {
                "anchor": f"bench-{bi}",
                "name": bench,
                "rows": rows,
                "sections": section_names(rows),
                "baselines": baseline_rows(rows, runs),
                "chart": _chart(rows, 0.5 if pairwise else None),
                "breakdown": _breakdown(rows, by_path),
            }
        )
        for r in rows:
            run = by_path[r["run"]]
            kind, examples, error = scans[r["run"]]
            run_views.append(
                {
                    "anchor": f"run-{len(run_views)}",
                    "benchmark": bench,
                    "label": r["label"],
                    "overall": fmt_metric(r["overall"]),
                    "essentials": _essentials(run),
                    "extra": _extra(run.metrics.get("extra") or {}),
                    "examples": examples,
                    "error": error,
                }
            )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["metric"] = fmt_metric
    env.filters["count"] = lambda v: "—" if v is None else str(v)
    html = env.from_string(TEMPLATE).render(
        title=title,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        version=_assay_version(),
        n_runs=len(runs),
        benchmarks=benchmarks,
        runs=run_views,
        n_examples=N_EXAMPLES,
    )
    atomic_write(out, html)
    return out
