"""``assay parse FORMAT FILE``: parse a JSONL file of judge outputs into verdicts (JSONL on stdout).

Input lines: ``{"text": <judge output>, "id"?: ..., "chosen_label"? (or "placement"?): "A".., "n"?: int,
"lo"?/"hi"?: numbers}``. ``n`` is required by the ranking format; ``lo``/``hi`` set the rating scale.
Output lines: ``{"id", "format", "verdict", "valid", "reason", "raw"}`` plus ``"credit"`` when the
placement is given and the format's published rule scores one output alone (rewardbench, rewardbench2,
rm-r1; see :func:`assay.judges.scoring.credit_for`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from assay.judges.parsers import PARSERS
from assay.judges.scoring import credit_for
from assay.judges.verdict import Verdict

EXIT_USAGE, EXIT_DATA = 2, 3


def _bad(path: Path, lineno: int, message: str) -> ValueError:
    return ValueError(f"{path}: line {lineno}: {message}")


def _parse_one(fmt: str, row: dict[str, Any], path: Path, lineno: int) -> Verdict:
    text = row["text"]
    if fmt == "ranking":
        n = row.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 26:
            raise _bad(path, lineno, "format 'ranking' needs an integer 'n' in 1..26")
        return PARSERS[fmt](text, n)
    if fmt == "rating":
        lo, hi = row.get("lo", 1), row.get("hi", 10)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lo, hi)) or lo > hi:
            raise _bad(path, lineno, "'lo' and 'hi' must be numbers with lo <= hi")
        return PARSERS[fmt](text, lo, hi)
    return PARSERS[fmt](text)


def parse_file(fmt: str, path: Path) -> Iterator[dict[str, Any]]:
    """Yield one parsed record per non-blank line; a malformed line raises ValueError naming file and line."""
    if fmt not in PARSERS:
        raise KeyError(f"unknown format {fmt!r}; valid: {', '.join(PARSERS)}")
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad(path, lineno, f"invalid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise _bad(path, lineno, "expected a JSON object")
            if not isinstance(row.get("text"), str):
                raise _bad(path, lineno, "missing string field 'text'")
            verdict = _parse_one(fmt, row, path, lineno)
            out: dict[str, Any] = {"id": row.get("id", lineno), "format": fmt, **verdict.to_json()}
            placement = row.get("chosen_label", row.get("placement"))
            if placement is not None:
                try:
                    credit = credit_for(fmt, verdict, placement)
                except ValueError as exc:
                    raise _bad(path, lineno, str(exc)) from None
                if credit is not None:
                    out["credit"] = credit
            yield out


def register(app: typer.Typer) -> None:
    """Add ``parse FORMAT FILE`` to the assay app."""

    @app.command("parse")
    def parse(
        fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(PARSERS)}.")],
        file: Annotated[Path, typer.Argument(metavar="FILE", help="JSONL of judge outputs ({'text': ...}).")],
    ) -> None:
        """Parse judge outputs with a benchmark's published rule; print verdicts as JSONL."""
        if fmt not in PARSERS:
            typer.echo(f"error: unknown format {fmt!r}; valid formats: {', '.join(PARSERS)}", err=True)
            raise typer.Exit(EXIT_USAGE)
        if not file.is_file():
            typer.echo(f"error: no such file: {file}", err=True)
            raise typer.Exit(EXIT_USAGE)
        try:
            for record in parse_file(fmt, file):
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_DATA) from None
