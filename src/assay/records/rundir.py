"""A run directory: manifest.json, samples.jsonl, metrics.json and log.txt.

Every file is written atomically (temporary file + rename), so a run killed at any moment leaves either
the previous complete file or the new complete file, never a torn one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
METRICS = "metrics.json"
LOG = "log.txt"


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, bytes):
        return o.hex()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(obj: Any, indent: int | None = None) -> str:
    # A model can emit NaN/inf scores (low precision, -inf log-probs): they are kept as written, counted as
    # wrong by the metrics, and flagged by validators, rather than crashing the run after all the scoring.
    return json.dumps(obj, ensure_ascii=False, indent=indent, default=_json_default, allow_nan=True)


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, dumps(obj, indent=2) + "\n")


def write_samples(path: Path, records: Iterable[dict[str, Any]]) -> None:
    atomic_write(path, "".join(dumps(r) + "\n" for r in records))


def read_samples(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as e:
                    raise ValueError(f"{path}: line {n}: not JSON ({e})") from None


@dataclass(frozen=True)
class RunView:
    """A finished run as read back from disk (for show, leaderboard, compare and the report)."""

    path: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]

    @property
    def benchmark(self) -> str:
        return str(self.manifest.get("benchmark", {}).get("name", "?"))

    @property
    def model(self) -> str:
        return str(self.manifest.get("model", {}).get("spec", "?"))

    def records(self) -> Iterator[dict[str, Any]]:
        return read_samples(self.path / SAMPLES)


def is_run_dir(path: Path) -> bool:
    return (path / MANIFEST).is_file() and (path / METRICS).is_file() and (path / SAMPLES).is_file()


def load_run(path: Path) -> RunView:
    if not is_run_dir(path):
        raise FileNotFoundError(f"{path}: not a finished run directory (needs {MANIFEST}, {SAMPLES}, {METRICS})")
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    metrics = json.loads((path / METRICS).read_text(encoding="utf-8"))
    return RunView(path, manifest, metrics)


def find_runs(paths: Iterable[Path]) -> list[RunView]:
    """Every finished run at or below the given paths, sorted by benchmark then model."""
    found: dict[Path, RunView] = {}
    for p in paths:
        candidates = [p] if is_run_dir(p) else sorted(m.parent for m in p.rglob(MANIFEST))
        for c in candidates:
            if is_run_dir(c):
                found[c.resolve()] = load_run(c)
    return sorted(found.values(), key=lambda r: (r.benchmark, r.model, str(r.path)))


def finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
