"""Terminal views of one run (``assay show``) and of a paired comparison (``assay compare``)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from assay.records.rundir import RunView


def fmt_metric(m: dict[str, Any] | None) -> str:
    if not m or m.get("value") is None:
        return "-"
    ci = m.get("ci") or [None, None]
    if ci[0] is None:
        return f"{100 * m['value']:.1f}"
    return f"{100 * m['value']:.1f} [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def render_run(view: RunView, console: Console) -> None:
    man, met = view.manifest, view.metrics
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    bench = man.get("benchmark", {})
    model = man.get("model", {})
    git = man.get("git", {})
    rows = [
        ("run", str(view.path)),
        ("benchmark", f"{bench.get('name')}  ({bench.get('data_source')})"),
        ("data fingerprint", str(bench.get("data_fingerprint"))),
        ("model", f"{model.get('spec')}  fingerprint {str(model.get('fingerprint_hash'))[:16]}"),
        ("seed", str(man.get("seed"))),
        ("code", f"{git.get('commit')} {'(dirty)' if git.get('dirty') else ''}"),
        ("when", f"{man.get('started_at')} .. {man.get('ended_at')} ({man.get('duration_s')} s)"),
        ("counts", ", ".join(f"{k} {v}" for k, v in man.get("counts", {}).items())),
    ]
    for k, v in rows:
        head.add_row(k, v)
    console.print(head)
    t = Table(title="metrics (%, 95% bootstrap CI)")
    t.add_column("level")
    t.add_column("name")
    t.add_column("value [CI]", justify="right")
    t.add_column("n", justify="right")
    t.add_row("overall", "", fmt_metric(met.get("overall")), str(met.get("overall", {}).get("n", "")))
    for level in ("sections", "subsets"):
        for name, m in met.get(level, {}).items():
            t.add_row(level[:-1], name, fmt_metric(m), str(m.get("n", "")))
    console.print(t)


def render_compare(a: RunView, b: RunView, result: dict[str, Any], console: Console) -> None:
    t = Table(title=f"{result.get('benchmark')}: A = {a.model}  vs  B = {b.model}")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in result.items():
        if k in ("benchmark", "model_a", "model_b", "run_a", "run_b"):
            continue
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif isinstance(v, list):
            v = "[" + ", ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in v) + "]"
        t.add_row(k, str(v))
    console.print(t)
