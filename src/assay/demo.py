"""The main job: evaluate the embedded default model and the bias baselines on the offline GSM8K suite,
print a leaderboard with CIs, and write a self-contained HTML report. Seconds when cached."""

from __future__ import annotations

import time
from pathlib import Path

from assay.ui import console, err_console, progress_factory

DEMO_MODELS = ("assay:default", "baseline:length", "baseline:shorter", "baseline:random?seed=0")


def run_demo(
    out: Path, *, n: int = 200, seed: int = 0, quiet: bool = False, models: tuple[str, ...] = DEMO_MODELS
) -> Path:
    from assay.records.rundir import load_run
    from assay.report.html import write_report
    from assay.report.leaderboard import render_leaderboard
    from assay.runner import _slug, evaluate

    t0 = time.perf_counter()
    views = []
    for spec in models:
        if not quiet:
            err_console.print(f"[bold]demo[/]: {spec} on demo-gsm8k ({n} pairs + {n} best-of-4 sets)")
        run = evaluate(
            "demo-gsm8k",
            spec,
            limit=n,
            seed=seed,
            out=str(out / _slug(spec)),
            progress=None if quiet else progress_factory(spec),
        )
        views.append(load_run(run.path))
    render_leaderboard(views, console)
    report = write_report(views, out / "report.html", title="assay demo: GSM8K preferences")
    console.print(f"report: {report}", highlight=False, soft_wrap=True)
    console.print(f"demo finished in {time.perf_counter() - t0:.1f} s", highlight=False)
    return report
