"""The ``assay`` command line. Heavy libraries load only inside the commands that need them.

Exit codes: 0 success; 1 unexpected failure; 2 bad usage (unknown benchmark, model spec or option);
3 invalid input data (the message names file, row and field); 4 a check failed (rescore mismatch,
run directory problems).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.ui import console, err_console, progress_factory

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_DATA, EXIT_CHECK = 0, 1, 2, 3, 4

app = typer.Typer(
    help="assay: evaluate reward models, LLM judges and critics with the benchmarks' exact protocols.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(code: int, message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _batch_size(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter("expected 'auto' or a positive integer") from None
    if value < 1:
        raise typer.BadParameter("expected 'auto' or a positive integer")
    return value


@app.command()
def run(
    bench: Annotated[str, typer.Argument(help="Registered benchmark name, or a local file / HF dataset id.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec, e.g. assay:default, hf:PATH.")],
    subset: Annotated[list[str] | None, typer.Option("--subset", help="Only these subsets (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N items per subset.", min=1)] = None,
    batch_size: Annotated[str, typer.Option(help="'auto' (token-budget packing) or N.")] = "auto",
    max_length: Annotated[int | None, typer.Option(help="Max tokens per input (truncations are counted).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for bootstrap CIs and any sampling.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run directory (default runs/BENCH/MODEL-HASH).")] = None,
    data: Annotated[str | None, typer.Option(help="Local copy in the official format instead of the hub.")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Skip invalid rows (counted in the run record).")] = False,
    columns: Annotated[str | None, typer.Option(help="Column map for user files: prompt=q,chosen=a")] = None,
    rule: Annotated[str, typer.Option(help="Best-of-N rule for user candidate files: rb2|rmb|long.")] = "rb2",
    truncate: Annotated[
        str | None, typer.Option(help="Inputs longer than the model's context: left|right|middle|error.")
    ] = None,
    judge_template: Annotated[str, typer.Option(help="Generative judges: prompt template.")] = "rewardbench",
    both_orders: Annotated[bool, typer.Option(help="Generative judges: ask each pair in both orders.")] = False,
    max_tokens: Annotated[int, typer.Option(help="Generative judges: completion budget.", min=1)] = 512,
    temperature: Annotated[float, typer.Option(help="Generative judges: sampling temperature.", min=0)] = 0.0,
    images: Annotated[
        str, typer.Option(help="Image parts for text-only models: error | placeholder (labelled blind run).")
    ] = "error",
    calibrate: Annotated[bool, typer.Option(help="Fit a temperature on a held-out half of the pairs.")] = False,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Benchmark option key=value (repeatable).")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(help="Separate judge for protocols that use one (e.g. MetaCritique).")
    ] = None,
    judge_max_tokens: Annotated[
        int, typer.Option(help="Completion budget of --judge-model (greedy decoding).", min=1)
    ] = 512,
    dtype: Annotated[str, typer.Option(help="Model dtype.")] = "float32",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.", min=100)] = 1000,
    no_cache: Annotated[bool, typer.Option(help="Do not read or write the score cache.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory (default ~/.cache/assay).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Evaluate a model on a benchmark and write a run directory."""
    from assay.runner import evaluate

    try:
        result = evaluate(
            bench,
            model,
            progress=None if quiet else progress_factory("scoring"),
            subsets=tuple(subset or ()),
            limit=limit,
            batch_size=_batch_size(batch_size),
            max_length=max_length,
            seed=seed,
            out=str(out) if out else None,
            data=data,
            skip_invalid=skip_invalid,
            columns=columns,
            rule=rule,
            truncate=truncate,
            calibrate=calibrate,
            images=images,
            judge_template=judge_template,
            both_orders=both_orders,
            max_tokens=max_tokens,
            temperature=temperature,
            options=_options(option),
            judge_model=judge_model,
            judge_max_tokens=judge_max_tokens,
            dtype=dtype,
            n_boot=n_boot,
            use_cache=not no_cache,
            cache_dir=str(cache_dir) if cache_dir else None,
        )
    except Exception as e:  # noqa: BLE001 - mapped to exit codes
        raise _map_error(e) from None
    from assay.records.rundir import load_run
    from assay.report.leaderboard import render_leaderboard

    if not quiet or sys.stdout.isatty():
        render_leaderboard([load_run(result.path)], console)
    console.print(str(result.path), highlight=False, soft_wrap=True)


def _options(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option: expected key=value, got {p!r}")
        out[key.strip()] = value.strip()
    return out


@app.command()
def score(
    bench: Annotated[str, typer.Argument(help="Registered benchmark that can read released outputs.")],
    predictions: Annotated[Path, typer.Option(help="The released outputs (file or folder, authors' format).")],
    subset: Annotated[list[str] | None, typer.Option("--subset", help="Only these subsets (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N items per subset.", min=1)] = None,
    data: Annotated[str | None, typer.Option(help="Problem metadata, where the benchmark uses it.")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Benchmark option key=value (repeatable).")
    ] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Skip invalid rows (counted in the run record).")] = False,
    seed: Annotated[int, typer.Option(help="Seed for bootstrap CIs.")] = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for CIs.", min=100)] = 1000,
    out: Annotated[Path | None, typer.Option(help="Run directory (default runs/BENCH/predictions-NAME-HASH).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")] = False,
) -> None:
    """Compute a benchmark's metrics from outputs that already exist (no model is run); writes a run."""
    from assay.protocol_runner import score_predictions

    try:
        result = score_predictions(
            bench,
            predictions,
            subsets=tuple(subset or ()),
            limit=limit,
            data=data,
            options=_options(option),
            skip_invalid=skip_invalid,
            seed=seed,
            n_boot=n_boot,
            out=str(out) if out else None,
        )
    except Exception as e:  # noqa: BLE001 - mapped to exit codes
        raise _map_error(e) from None
    from assay.records.rundir import load_run
    from assay.report.leaderboard import render_leaderboard

    if not quiet or sys.stdout.isatty():
        render_leaderboard([load_run(result.path)], console)
    console.print(str(result.path), highlight=False, soft_wrap=True)


def _map_error(e: Exception) -> typer.Exit:
    from assay.data.rows import DataError

    if isinstance(e, DataError):
        return _fail(EXIT_DATA, str(e))
    if isinstance(e, (KeyError, ValueError, FileNotFoundError)):
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        return _fail(EXIT_USAGE, str(msg))
    err_console.print_exception(show_locals=False) if err_console.is_terminal else None
    return _fail(EXIT_FAIL, f"{type(e).__name__}: {e}")


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the registered benchmarks (with subsets and sources) and the model kinds."""
    from assay.benchmarks.registry import all_benchmarks
    from assay.models.gen_spec import GENERATOR_KINDS
    from assay.models.spec import list_model_kinds

    benches = all_benchmarks()
    kinds = list_model_kinds() + [(k, f"generator (judges, critics): {d}") for k, d in GENERATOR_KINDS]
    if as_json:
        payload = {
            "benchmarks": [
                {
                    "name": b.name,
                    "description": b.description,
                    "hub_id": b.hub_id,
                    "subsets": list(b.subsets),
                    "source": b.source,
                    "options": b.options,
                    "protocol": b.run is not None,
                    "scores_predictions": b.predictions is not None,
                }
                for b in benches
            ],
            "model_kinds": [{"kind": k, "description": d} for k, d in kinds],
        }
        print(json.dumps(payload, indent=2))
        return
    from rich.table import Table

    t = Table(title="Benchmarks", show_lines=True)
    for col in ("name", "subsets", "source"):
        t.add_column(col, overflow="fold")
    for b in benches:
        extra = "".join(f"\n  -o {k}=...: {v}" for k, v in b.options.items())
        if b.predictions is not None:
            extra += "\n  assay score: reads released outputs"
        t.add_row(f"[bold]{b.name}[/]\n{b.description}{extra}", ", ".join(b.subsets), b.source)
    console.print(t)
    k = Table(title="Model kinds")
    k.add_column("spec")
    k.add_column("what")
    for kind, desc in kinds:
        k.add_row(kind, desc)
    console.print(k)


@app.command()
def show(run_dir: Annotated[Path, typer.Argument(help="A run directory.")]) -> None:
    """Show a run: what was evaluated, how, and its metrics with CIs."""
    from assay.records.rundir import load_run
    from assay.report.summary import render_run

    try:
        view = load_run(run_dir)
    except FileNotFoundError as e:
        raise _fail(EXIT_CHECK, str(e)) from None
    render_run(view, console)


@app.command()
def leaderboard(
    runs: Annotated[list[Path] | None, typer.Argument(help="Run directories or folders of runs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Rank the runs found under the given paths (default ./runs) per benchmark, with 95% CIs."""
    from assay.records.rundir import find_runs
    from assay.report.leaderboard import leaderboard_json, render_leaderboard

    views = find_runs(runs or [Path("runs")])
    if not views:
        raise _fail(EXIT_CHECK, "no finished runs found")
    if as_json:
        print(json.dumps(leaderboard_json(views), indent=2))
    else:
        render_leaderboard(views, console)


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="First run directory.")],
    run_b: Annotated[Path, typer.Argument(help="Second run directory.")],
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.", min=100)] = 2000,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Paired comparison on the shared items: bootstrap CI of A - B and McNemar's exact p-value."""
    from assay.records.compare import compare_runs
    from assay.records.rundir import load_run

    try:
        a, b = load_run(run_a), load_run(run_b)
        result = compare_runs(a, b, seed=seed, n_boot=n_boot)
    except (FileNotFoundError, ValueError) as e:
        raise _fail(EXIT_CHECK, str(e)) from None
    if as_json:
        print(json.dumps(result, indent=2))
        return
    from assay.report.summary import render_compare

    render_compare(a, b, result, console)


@app.command()
def rescore(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    write: Annotated[bool, typer.Option(help="Overwrite metrics.json with the recomputed metrics.")] = False,
) -> None:
    """Recompute metrics.json from samples.jsonl alone (no model) and report any difference."""
    from assay.records.rescore import rescore as do_rescore
    from assay.records.rundir import METRICS, load_run, write_json

    try:
        view = load_run(run_dir)
        metrics, diffs = do_rescore(view)
    except (FileNotFoundError, KeyError, ValueError) as e:
        raise _fail(EXIT_CHECK, str(e)) from None
    if write:
        write_json(run_dir / METRICS, metrics)
    if diffs:
        for d in diffs[:50]:
            err_console.print(d, highlight=False)
        raise _fail(EXIT_CHECK, f"{len(diffs)} difference(s) between stored and recomputed metrics")
    overall = metrics.get("overall", {}).get("value")
    console.print(f"rescore ok: metrics.json reproduced from samples.jsonl (overall {overall})", highlight=False)


@app.command()
def report(
    runs: Annotated[list[Path] | None, typer.Argument(help="Run directories or folders of runs.")] = None,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("runs/report.html"),
) -> None:
    """Write a self-contained HTML report of the runs (default ./runs)."""
    from assay.records.rundir import find_runs
    from assay.report.html import write_report

    views = find_runs(runs or [Path("runs")])
    if not views:
        raise _fail(EXIT_CHECK, "no finished runs found")
    path = write_report(views, out)
    console.print(str(path), highlight=False, soft_wrap=True)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo runs and report.")] = Path("runs/demo"),
    n: Annotated[int, typer.Option(help="GSM8K problems per subset.", min=4)] = 200,
    seed: Annotated[int, typer.Option(help="Seed for the corruptions and the CIs.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Build a verifiable GSM8K suite offline, evaluate the default model and the baselines, report."""
    from assay.demo import run_demo

    try:
        run_demo(out, n=n, seed=seed, quiet=quiet)
    except Exception as e:  # noqa: BLE001
        raise _map_error(e) from None


@app.command()
def probe(
    judge: Annotated[str, typer.Argument(help="Generator spec of the judge, e.g. hfgen:default, openai:URL#MODEL.")],
    bench: Annotated[str, typer.Option("--bench", help="Pairwise benchmark to probe on.")] = "demo-gsm8k",
    subset: Annotated[list[str] | None, typer.Option("--subset", help="Only these subsets (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N items per subset.", min=1)] = 50,
    data: Annotated[str | None, typer.Option(help="Local copy in the official format.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Completion budget per judgement.", min=1)] = 512,
    seed: Annotated[int, typer.Option(help="Seed for placement, padding and CIs.")] = 0,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory (default ~/.cache/assay).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the probe results as JSON here.")] = None,
    self_name: Annotated[
        str | None,
        typer.Option(help="Self-preference: the judge's name in the pairs' chosen_model/rejected_model fields."),
    ] = None,
    self_generate: Annotated[
        bool, typer.Option(help="Self-preference: the judge answers each prompt, then judges its own answer.")
    ] = False,
) -> None:
    """Bias probes of a generative judge: position (both orders), verbosity (padded answers) and
    self-preference (its own generations, labelled or generated), each with a bootstrap CI."""
    from assay.judges.probes import probe as run_probe

    if bench == "demo-gsm8k" and not subset:
        subset = ["pairs"]
    try:
        result = run_probe(
            bench,
            judge,
            seed=seed,
            cache_dir=str(cache_dir) if cache_dir else None,
            subsets=tuple(subset or ()),
            limit=limit,
            data=data,
            max_tokens=max_tokens,
            self_name=self_name,
            self_generate=self_generate,
        )
    except Exception as e:  # noqa: BLE001
        raise _map_error(e) from None
    text = json.dumps(result, indent=2)
    if out:
        out.write_text(text + "\n")
    print(text)


def _register_extras() -> None:
    from assay.judges.parse_cli import register

    register(app)
    __import__("assay.sandbox.cli", fromlist=["register"]).register(app)


_register_extras()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
