"""Shared fixtures: an isolated score cache per test, and the converted default model (once per machine)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture()
def cache_dir(tmp_path: Path) -> Path:
    d = tmp_path / "cache"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    from assay.models.default import default_model_path

    return default_model_path()


def shared_data(*parts: str) -> Path:
    p = SHARED.joinpath("data", *parts)
    if not p.exists():
        pytest.skip(f"{p} absent: the shared benchmark slices are only in the project workspace and CI")
    return p
