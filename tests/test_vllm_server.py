"""A real OpenAI-compatible server (vLLM's CPU build, in its own environment .venv-vllm) serving the
embedded SmolLM2 on 127.0.0.1: a generative judge run over HTTP, its records, cache and rescore.

`make vllm-env` (called by .ci/run) creates .venv-vllm; without it these tests skip and say so.
The ``vllm_server`` fixture (tests/conftest.py) starts the server once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.slow
def test_pairwise_judge_over_http(vllm_server: str, tmp_path: Path) -> None:
    from assay.records.rescore import rescore
    from assay.records.rundir import load_run
    from assay.runner import evaluate

    spec = f"openai:{vllm_server}#smol?concurrency=4"
    common = {
        "subsets": ("pairs",),
        "limit": 4,
        "cache_dir": str(tmp_path / "c"),
        "n_boot": 200,
        "max_tokens": 16,
        "both_orders": True,
    }
    run = evaluate("demo-gsm8k", spec, out=str(tmp_path / "r1"), **common)
    assert run.manifest["counts"]["generated"] == 8 and run.manifest["engine"]["completion_tokens"] > 0
    judge = run.metrics["judge"]
    assert judge["judgements"] == 8 and 0.0 <= judge["invalid_rate"] <= 1.0
    for r in run.records:
        assert [j["chosen_label"] for j in r["judgements"]] in (["A", "B"], ["B", "A"])
        assert all(isinstance(j["raw"], str) and j["raw"] for j in r["judgements"])
    assert rescore(load_run(run.path))[1] == []
    again = evaluate("demo-gsm8k", spec, out=str(tmp_path / "r2"), **common)
    assert again.manifest["counts"]["generated"] == 0
    assert [r["judgements"] for r in again.records] == [r["judgements"] for r in run.records]


@pytest.mark.slow
def test_greedy_answers_match_transformers(vllm_server: str) -> None:
    """The served model and the in-process transformers generate agree on a short greedy answer."""
    from assay.models.gen_spec import load_generator
    from assay.models.generation import GenerateRequest, SamplingConfig
    from assay.samples import user_prompt

    reqs = [GenerateRequest(user_prompt("What is the capital of France?"), SamplingConfig(max_tokens=8))]
    http = load_generator(f"openai:{vllm_server}#smol").generate(reqs)[0]
    local = load_generator("hfgen:default").generate(reqs)[0]
    assert http.text.strip() == local.text.strip()


@pytest.mark.slow
def test_streamed_answers_match_unstreamed(vllm_server: str) -> None:
    """``stream=1`` against the real server: same text, finish reasons and usage as a plain request."""
    from assay.models.gen_spec import load_generator
    from assay.models.generation import GenerateRequest, SamplingConfig
    from assay.samples import user_prompt

    reqs = [
        GenerateRequest(user_prompt(q), SamplingConfig(max_tokens=12))
        for q in ("Name a fruit.", "What is 3 + 4?", "Say hello.")
    ]
    plain = load_generator(f"openai:{vllm_server}#smol").generate(reqs)
    streamed = load_generator(f"openai:{vllm_server}#smol?stream=1&concurrency=3").generate(reqs)
    for p, s in zip(plain, streamed, strict=True):
        assert s.texts == p.texts and s.finish_reasons == p.finish_reasons
        assert (s.prompt_tokens, s.completion_tokens) == (p.prompt_tokens, p.completion_tokens)
        assert s.completion_tokens > 0


@pytest.mark.slow
def test_critic_run_over_http(vllm_server: str, tmp_path: Path) -> None:
    """A critic protocol (ProcessBench, first erroneous step) through the real server: records keep every
    raw critique with its parsed step or invalid, the metric counts both, rescore reproduces it."""
    import json

    from assay.records.rescore import rescore
    from assay.records.rundir import load_run
    from assay.runner import evaluate
    from conftest import shared_data

    rows = json.loads((shared_data("processbench") / "gsm8k.json").read_text())
    key = lambda r: (len(r["problem"]) + sum(len(s) for s in r["steps"]), r["id"])  # noqa: E731
    pick = (
        sorted((r for r in rows if r["label"] == -1), key=key)[:2]
        + sorted((r for r in rows if r["label"] != -1), key=key)[:2]
    )
    data = tmp_path / "gsm8k.json"
    data.write_text(json.dumps(pick))
    spec = f"openai:{vllm_server}#smol?concurrency=4"
    run = evaluate(
        "processbench",
        spec,
        data=str(data),
        subsets=("gsm8k",),
        limit=4,
        max_tokens=48,
        out=str(tmp_path / "r"),
        cache_dir=str(tmp_path / "c"),
        n_boot=200,
    )
    assert len(run.records) == 4 and run.manifest["counts"]["generated"] == 4
    for r in run.records:
        assert len(r["critiques"]) == 1 and isinstance(r["critiques"][0], str)  # raw text kept
    invalid = sum(1 for r in run.records if not r["outcome"]["valid"])
    proc = run.metrics["process"]["gsm8k"]
    assert (proc["n_error"], proc["n_correct"]) == (2, 2)
    assert proc["invalid"] == invalid == run.metrics["counts"]["invalid"]
    assert rescore(load_run(run.path))[1] == []
