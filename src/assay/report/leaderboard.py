"""Leaderboards over finished runs: one ranked table per benchmark (terminal, JSON, and the HTML report).

Runs are grouped by benchmark and ranked by overall value, best first. When the same (benchmark, model)
appears in several runs each row is shown, labelled with its run directory name so they can be told apart.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assay.records.rundir import RunView

MISSING = "—"


def _num(x: Any) -> float | None:
    """``x`` as a finite float, or None (missing, null, NaN, a string...)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


def _int(x: Any) -> int | None:
    v = _num(x)
    return int(v) if v is not None else None


def metric(obj: Any) -> dict[str, Any]:
    """A ``{"value", "ci", "n"}`` object normalised: value float|None, ci [lo, hi]|None, n int|None."""
    if not isinstance(obj, dict):
        return {"value": _num(obj), "ci": None, "n": None}
    ci = obj.get("ci")
    lo_hi = None
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        lo, hi = _num(ci[0]), _num(ci[1])
        if lo is not None and hi is not None:
            lo_hi = [lo, hi]
    return {"value": _num(obj.get("value")), "ci": lo_hi, "n": _int(obj.get("n"))}


def fmt_pct(x: float | None) -> str:
    """A fraction as a percentage with one decimal (``0.7123`` -> ``71.2``)."""
    return MISSING if x is None else f"{100 * x:.1f}"


def fmt_metric(m: dict[str, Any] | None) -> str:
    """A metric as ``71.2 [68.0, 74.1]`` (the CI only when present)."""
    if not m or m.get("value") is None:
        return MISSING
    s = fmt_pct(m["value"])
    if m.get("ci"):
        lo, hi = m["ci"]
        s += f" [{fmt_pct(lo)}, {fmt_pct(hi)}]"
    return s


def _count(run: RunView, key: str) -> int | None:
    """A count from the manifest, falling back to metrics.json's counts."""
    for src in (run.manifest.get("counts"), run.metrics.get("counts")):
        if isinstance(src, dict) and _int(src.get(key)) is not None:
            return _int(src.get(key))
    return None


def _row(run: RunView) -> dict[str, Any]:
    overall = metric(run.metrics.get("overall"))
    sections = run.metrics.get("sections")
    if not sections:  # benchmarks without sections show their subsets (when there are a few)
        subsets = run.metrics.get("subsets")
        sections = subsets if isinstance(subsets, dict) and 1 < len(subsets) <= 8 else {}
    n = _count(run, "items")
    return {
        "benchmark": run.benchmark,
        "model": run.model,
        "overall": overall,
        "sections": {str(k): metric(v) for k, v in sections.items()} if isinstance(sections, dict) else {},
        "n": n if n is not None else overall["n"],
        "ties": _count(run, "ties"),
        "truncated": _count(run, "truncated"),
        "run": str(run.path),
        "run_name": run.path.name,
    }


def _sort_key(row: dict[str, Any]) -> tuple[int, float, str, str]:
    v = row["overall"]["value"]
    return (v is None, -(v or 0.0), row["model"], row["run"])


def leaderboard(runs: list[RunView]) -> dict[str, list[dict[str, Any]]]:
    """Rows per benchmark (benchmarks sorted by name), best overall value first; runs lacking one last.

    Each row: benchmark, rank, model, label (the model, plus the run dir name when the model has several
    runs of that benchmark), duplicate, overall, sections ({name: metric}), n, ties, truncated, run, run_name.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(run.benchmark, []).append(_row(run))
    out: dict[str, list[dict[str, Any]]] = {}
    for bench in sorted(groups):
        rows = sorted(groups[bench], key=_sort_key)
        seen = Counter(r["model"] for r in rows)
        for rank, r in enumerate(rows, 1):
            r["rank"] = rank
            r["duplicate"] = seen[r["model"]] > 1
            r["label"] = f"{r['model']} ({r['run_name']})" if r["duplicate"] else r["model"]
        out[bench] = rows
    return out


def baseline_rows(rows: list[dict[str, Any]], runs: list[RunView]) -> list[dict[str, Any]]:
    """Reference baselines computed on the items of the runs in ``rows`` (metrics.json ``baselines``),
    one row per distinct (baseline, items, value), best first; they are not ranked."""
    by_path = {str(r.path): r for r in runs}
    seen: dict[tuple[str, int | None, float | None], dict[str, Any]] = {}
    for row in rows:
        run = by_path.get(row["run"])
        base = run.metrics.get("baselines") if run is not None else None
        if not isinstance(base, dict):
            continue
        for name, entry in base.items():
            if not isinstance(entry, dict):
                continue
            overall = metric(entry.get("overall"))
            sections = entry.get("sections") if isinstance(entry.get("sections"), dict) else {}
            key = (name, row["n"], overall["value"])
            label = f"baseline: {name}" + (f" (n={row['n']})" if row["n"] is not None else "")
            seen.setdefault(
                key,
                {
                    "name": name,
                    "label": label,
                    "rule": str(entry.get("rule", "")),
                    "overall": overall,
                    "sections": {str(k): metric(v) for k, v in sections.items()},
                    "n": row["n"],
                },
            )
    return sorted(seen.values(), key=lambda r: (r["overall"]["value"] is None, -(r["overall"]["value"] or 0.0)))


def section_names(rows: list[dict[str, Any]]) -> list[str]:
    """Section names present in any row, in first-seen order."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r["sections"]))
    return list(names)


def leaderboard_json(runs: list[RunView]) -> list[dict[str, Any]]:
    """The leaderboard as one flat JSON-ready list (each row carries its benchmark and rank)."""
    return [row for rows in leaderboard(runs).values() for row in rows]


def _cell(x: int | None) -> str:
    return MISSING if x is None else str(x)


def render_leaderboard(runs: list[RunView], console: Console) -> None:
    """Print one rich table per benchmark: rank, model, overall with CI, each section, n, ties, truncated."""
    board = leaderboard(runs)
    if not board:
        console.print("no finished runs found")
        return
    for bench, rows in board.items():
        sections = section_names(rows)
        plural = "s" if len(rows) != 1 else ""
        table = Table(title=f"{escape(bench)}  ({len(rows)} run{plural})", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("model", overflow="fold")
        table.add_column("overall", justify="right", style="bold")
        for s in sections:
            table.add_column(escape(s), justify="right")
        for col in ("n", "ties", "trunc"):
            table.add_column(col, justify="right", style="dim")
        for r in rows:
            dup = f" [dim]({escape(r['run_name'])})[/dim]" if r["duplicate"] else ""
            table.add_row(
                str(r["rank"]),
                escape(r["model"]) + dup,
                fmt_metric(r["overall"]),
                *(fmt_metric(r["sections"].get(s)) for s in sections),
                _cell(r["n"]),
                _cell(r["ties"]),
                _cell(r["truncated"]),
            )
        bases = baseline_rows(rows, runs)
        if bases:
            table.add_section()
            for b in bases:
                table.add_row(
                    "",
                    f"[dim]{escape(b['label'])}[/dim]",
                    f"[dim]{fmt_metric(b['overall'])}[/dim]",
                    *(f"[dim]{fmt_metric(b['sections'].get(s))}[/dim]" for s in sections),
                    _cell(b["n"]),
                    "",
                    "",
                )
        console.print(table)
        if any(r["duplicate"] for r in rows):
            console.print("[dim]models with several runs are marked by their run directory name[/dim]")
