"""``assay sandbox run FILE``: run one program under the benchmarks' sandbox and print the result as JSON.

For people debugging a benchmark's executions: the same limits, isolation and typed result that a
benchmark records. ``assay sandbox info`` prints which isolation mechanisms this machine provides.
Exit status: 0 when the command ran (whatever the program did), 2 for bad usage.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_USAGE = 2

sandbox_app = typer.Typer(
    help="Run programs in the sandbox used by code-executing benchmarks (REFUTE...).",
    no_args_is_help=True,
    add_completion=False,
)


@sandbox_app.command("run")
def run_cmd(
    file: Annotated[Path, typer.Argument(help="A Python file (.py), or an executable, to run.")],
    timeout: Annotated[float, typer.Option(help="Wall-clock limit in seconds (the CPU limit too).", min=0.01)] = 10.0,
    memory: Annotated[int, typer.Option(help="Address-space limit in MB.", min=16)] = 512,
    stdin: Annotated[Path | None, typer.Option("--stdin", help="A file fed to the program's stdin.")] = None,
    output_bytes: Annotated[int, typer.Option(help="Bytes kept per stream.", min=1)] = 1_000_000,
    processes: Annotated[int, typer.Option(help="Process/thread limit.", min=1)] = 64,
    arg: Annotated[list[str] | None, typer.Option("--arg", help="A program argument (repeatable).")] = None,
) -> None:
    """Run FILE under the sandbox's limits and print the typed result (exit code or signal, timeout,
    memory, truncation, stdout/stderr, wall and CPU time, isolation in force) as JSON."""
    from assay.sandbox import Limits, run_command, run_python

    if not file.is_file():
        typer.echo(f"error: {file}: no such file", err=True)
        raise typer.Exit(EXIT_USAGE)
    if stdin is not None and not stdin.is_file():
        typer.echo(f"error: {stdin}: no such file", err=True)
        raise typer.Exit(EXIT_USAGE)
    data = stdin.read_bytes() if stdin is not None else b""
    limits = Limits(wall_s=timeout, cpu_s=timeout, memory_mb=memory, output_bytes=output_bytes, max_processes=processes)
    args = list(arg or [])
    if file.suffix == ".py":
        res = run_python(file.read_text(encoding="utf-8"), stdin=data, limits=limits, args=args)
    elif os.access(file, os.X_OK):
        res = run_command(["./" + file.name, *args], stdin=data, limits=limits, files={file.name: file.read_bytes()})
    else:
        typer.echo(f"error: {file}: not a .py file and not executable", err=True)
        raise typer.Exit(EXIT_USAGE)
    json.dump(res.to_json(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


@sandbox_app.command("info")
def info_cmd() -> None:
    """Print the isolation mechanisms in force on this machine (runs one trivial program)."""
    from assay.sandbox import describe

    json.dump(describe(), sys.stdout, indent=2)
    sys.stdout.write("\n")


def register(app: typer.Typer) -> None:
    """Add ``assay sandbox ...`` to the main command line."""
    app.add_typer(sandbox_app, name="sandbox")
