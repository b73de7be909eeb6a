"""Persistent score cache: SQLite in WAL mode, shared by every run and process on the machine.

Key = (model fingerprint hash, input hash). The fingerprint holds everything that changes a score
(weights identity, revision, dtype, template, truncation, max length, scoring mode) and nothing that
does not (batch size, worker count, order), so a cached score is valid for any later run. Writes are
committed per batch: a run killed at any moment loses at most the batch in flight.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from assay.models.base import ScoreResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
  model TEXT NOT NULL,
  input TEXT NOT NULL,
  score REAL,
  truncated INTEGER NOT NULL DEFAULT 0,
  n_tokens INTEGER NOT NULL DEFAULT 0,
  created REAL NOT NULL,
  PRIMARY KEY (model, input)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (
  model TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL
);
"""


def default_cache_dir() -> Path:
    env = os.environ.get("ASSAY_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "assay"


class ScoreCache:
    """A (model, input) -> score table. Safe for several processes at once (WAL + busy timeout)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=60000")
        self._db.executescript(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for tables that live beside the scores (e.g. cached generations)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ScoreCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register_model(self, model_hash: str, fingerprint_json: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO models (model, fingerprint) VALUES (?, ?)", (model_hash, fingerprint_json)
        )

    def get_many(self, model_hash: str, keys: Sequence[str]) -> dict[str, ScoreResult]:
        """Cached results for the keys present; looked up in chunks to stay under SQLite's variable limit."""
        found: dict[str, ScoreResult] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT input, score, truncated, n_tokens FROM scores WHERE model = ? AND input IN ({marks})",
                [model_hash, *chunk],
            )
            for key, score, truncated, n_tokens in rows:
                # SQLite stores NaN as NULL: a NaN score comes back as NaN (and counts as wrong)
                found[key] = ScoreResult(
                    float("nan") if score is None else float(score), bool(truncated), int(n_tokens)
                )
        return found

    def put_many(self, model_hash: str, items: Iterable[tuple[str, ScoreResult]]) -> None:
        """Insert one batch in a single transaction (all or nothing)."""
        now = time.time()
        rows = [(model_hash, k, r.score, int(r.truncated), r.n_tokens, now) for k, r in items]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO scores (model, input, score, truncated, n_tokens, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def count(self, model_hash: str | None = None) -> int:
        if model_hash is None:
            return int(self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0])
        q = "SELECT COUNT(*) FROM scores WHERE model = ?"
        return int(self._db.execute(q, (model_hash,)).fetchone()[0])
