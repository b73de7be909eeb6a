"""The ``vllm:`` backend on vLLM's CPU build (.venv-vllm, `make vllm-env`), with the embedded SmolLM2.

Generation (greedy equals transformers' ``hfgen:`` token for token in fp32; seeded samples independent of
batch and order), a judge run through ``assay.evaluate`` with a fully cached re-run that starts no engine,
the worker's structured errors, the in-process path (vLLM importable in the interpreter itself), and
reward scores from the pooling runner equal to the ``hf:`` backend's. Engine starts are shared per class
(~20-30 s and ~5 GB each); without a vLLM Python the engine tests skip and say why.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.models import vllm_engine
from assay.models.generation import GenerateRequest, SamplingConfig
from assay.samples import user_prompt
from assay.serving.vllm_client import _Worker

QUESTIONS = ["What is the capital of France?", "Name a primary colour.", "What is 2+2?"]
ROOT = Path(__file__).resolve().parents[1]


def _require_vllm() -> vllm_engine.Runtime:
    try:
        return vllm_engine.vllm_runtime()
    except vllm_engine.VLLMUnavailableError as e:
        pytest.skip(f"no vLLM to run: {e}")


def _greedy(max_tokens: int = 16) -> list[GenerateRequest]:
    return [GenerateRequest(user_prompt(q), SamplingConfig(max_tokens=max_tokens)) for q in QUESTIONS]


@pytest.fixture(scope="module")
def hf_greedy(default_model_dir: Path) -> list[tuple[str, int]]:
    """transformers' greedy answers (text, prompt length) for QUESTIONS, max_tokens 16 (fp32)."""
    from assay.models.gen_spec import load_generator

    hf = load_generator("hfgen:default")
    gens = hf.generate(_greedy())
    hf.load()  # type: ignore[attr-defined]
    return [(g.text, len(hf.encode(r))) for g, r in zip(gens, _greedy(), strict=True)]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- no engine needed


def test_spec_dispatch_and_options() -> None:
    from assay.models.gen_spec import GENERATOR_KINDS, is_generator_spec
    from assay.models.spec import list_model_kinds

    assert is_generator_spec("vllm:default") and is_generator_spec("vllm:org/m?dtype=bfloat16&runner=generate")
    assert not is_generator_spec("vllm:org/rm?runner=pooling&label=0")
    assert any(k.startswith("vllm:") for k, _ in GENERATOR_KINDS)
    assert any(k == "vllm:PATH_OR_ID?runner=pooling" for k, _ in list_model_kinds())
    target, opts = vllm_engine.parse_vllm_spec("vllm:org/rm?runner=pooling&label=2&max_model_len=512&kv_cache_gb=1.5")
    assert target == "org/rm" and opts == {"runner": "pooling", "label": 2, "max_model_len": 512, "kv_cache_gb": 1.5}
    for bad, msg in [
        ("vllm:m?label=1", "unknown option 'label'"),  # label is a pooling option
        ("vllm:m?runner=embed", "unknown runner"),
        ("vllm:m?template=jinja", "unknown template"),
        ("vllm:m?runner=pooling&truncation=up", "unknown truncation"),
        ("vllm:m?max_model_len=x", "bad value for max_model_len"),
        ("vllm:?dtype=float32", "expected vllm:PATH_OR_ID"),
    ]:
        with pytest.raises(ValueError, match=msg):
            vllm_engine.parse_vllm_spec(bad)


def test_fingerprint_loads_nothing_and_tracks_what_changes_outputs(default_model_dir: Path) -> None:
    _require_vllm()
    from assay.models.gen_spec import load_generator
    from assay.models.spec import load_backend

    before = vllm_engine.engine_starts()
    a = load_generator("vllm:default")
    fp = a.fingerprint()
    assert vllm_engine.engine_starts() == before and not a.started  # no engine for a fingerprint
    assert fp["runner"] == "generate" and fp["model"]["source"] == "local" and fp["vllm"]["version"] != "absent"
    assert fp == load_generator(f"vllm:{default_model_dir}").fingerprint()  # same weights, same identity
    assert "batch" not in json.dumps(fp) and "python" not in json.dumps(fp)
    assert load_generator("vllm:default?template=chatml").fingerprint() != fp
    # a generator refuses prompt + max_tokens over the context, never cuts: max_model_len cannot change a text
    assert load_generator("vllm:default?max_model_len=1024").fingerprint() == fp and "max_model_len" not in fp
    assert load_generator("vllm:default?dtype=bfloat16").fingerprint()["dtype"] == "bfloat16"
    rm = load_backend(f"vllm:{default_model_dir}?runner=pooling", max_length=None, dtype="float32")
    rfp = rm.fingerprint()
    assert rfp["runner"] == "pooling" and rfp["label"] == 0 and rfp["truncation"] == "left"
    assert load_backend(f"vllm:{default_model_dir}?runner=pooling&label=1").fingerprint() != rfp
    # reward inputs are truncated to the context: there it changes scores
    short = load_backend(f"vllm:{default_model_dir}?runner=pooling&max_model_len=512", dtype="float32")
    assert short.fingerprint()["max_model_len"] == 512 and short.fingerprint() != rfp


# ---------------------------------------------------------------- generation (one engine for the class)


@pytest.mark.slow
class TestGenerate:
    @pytest.fixture(scope="class")
    @classmethod
    def gen(cls, default_model_dir: Path) -> Iterator[vllm_engine.VLLMGenerateBackend]:
        _require_vllm()
        from assay.models.gen_spec import load_generator

        backend = load_generator("vllm:default")
        assert isinstance(backend, vllm_engine.VLLMGenerateBackend)
        yield backend
        backend.close()

    def test_greedy_matches_transformers(
        self, gen: vllm_engine.VLLMGenerateBackend, hf_greedy: list[tuple[str, int]]
    ) -> None:
        calls = gen.stats["engine_calls"]
        first = gen.generate(_greedy())
        assert gen.stats["engine_calls"] == calls + 1  # the three requests went in one LLM.generate
        again = gen.generate(list(reversed(_greedy())))[::-1]  # deterministic, whatever the order
        assert [g.texts for g in again] == [g.texts for g in first]
        for g, (hf_text, hf_prompt_len) in zip(first, hf_greedy, strict=True):
            assert g.prompt_tokens == hf_prompt_len  # same template, tokenised once, no doubled BOS
            assert 0 < g.completion_tokens <= 16 and len(g.texts) == 1
            assert g.finish_reasons[0] == ("length" if g.completion_tokens == 16 else "stop")
            # fp32 logits agree with transformers within ~4e-6, so greedy decoding picks the same tokens
            assert g.text == hf_text
        assert "Paris" in first[0].text

    def test_seeded_samples_are_batch_and_order_independent(self, gen: vllm_engine.VLLMGenerateBackend) -> None:
        sampled = GenerateRequest(user_prompt("Tell me a joke."), SamplingConfig(0.9, 0.95, 12, seed=7, n=2))
        alone = gen.generate([sampled])[0]
        mixed = gen.generate([*_greedy(), sampled, GenerateRequest(user_prompt("Hi"), SamplingConfig(1.0, seed=8))])
        assert mixed[3].texts == alone.texts and len(alone.texts) == 2
        other_seed = GenerateRequest(sampled.prompt, SamplingConfig(0.9, 0.95, 12, seed=8, n=2))
        assert gen.generate([other_seed])[0].texts != alone.texts
        greedy_n = gen.generate([GenerateRequest(user_prompt(QUESTIONS[0]), SamplingConfig(max_tokens=16, n=3))])[0]
        assert len(set(greedy_n.texts)) == 1 and len(greedy_n.texts) == 3  # greedy n > 1: identical copies

    def test_errors_are_clear_and_the_engine_survives(self, gen: vllm_engine.VLLMGenerateBackend) -> None:
        with pytest.raises(ValueError, match="exceeds the engine's max_model_len of 2048"):
            gen.generate([GenerateRequest(user_prompt("x"), SamplingConfig(max_tokens=2040))])
        runtime = vllm_engine.vllm_runtime()
        if runtime.python is not None:  # worker: a failed request comes back as a structured error
            handle = vllm_engine.acquire(gen.engine_config())
            with pytest.raises(vllm_engine.VLLMWorkerError, match="unknown op 'nope'") as err:
                handle.call("nope")
            assert err.value.remote_type == "ValueError"
            with pytest.raises(vllm_engine.VLLMWorkerError, match="generate failed: .*") as err:
                handle.call("generate", requests=[{"ids": [1, 2], "temperature": -1.0}])
            assert err.value.remote_type
        assert "Paris" in gen.generate(_greedy()[:1])[0].text  # still serving

    def test_dead_worker_is_reported_then_replaced(self, gen: vllm_engine.VLLMGenerateBackend) -> None:
        if vllm_engine.vllm_runtime().python is None:
            pytest.skip("in-process engine: there is no worker to lose")
        handle = vllm_engine.acquire(gen.engine_config())
        assert isinstance(handle, _Worker)
        os.killpg(handle.proc.pid, signal.SIGKILL)  # the worker and vLLM's engine processes
        handle.proc.wait(timeout=30)
        with pytest.raises(vllm_engine.VLLMWorkerError, match="not running"):
            handle.call("info")
        starts = vllm_engine.engine_starts()
        assert "Paris" in gen.generate(_greedy()[:1])[0].text  # the pool starts a fresh engine
        assert vllm_engine.engine_starts() == starts + 1 and vllm_engine.acquire(gen.engine_config()) is not handle
        handle.log.unlink(missing_ok=True)

    def test_judge_run_then_fully_cached_rerun(self, gen: vllm_engine.VLLMGenerateBackend, tmp_path: Path) -> None:
        from assay import evaluate

        pairs = tmp_path / "pairs.jsonl"
        rows = [
            {"id": "a", "prompt": "What is 2+2?", "chosen": "4", "rejected": "5"},
            {"id": "b", "prompt": "Capital of France?", "chosen": "Paris", "rejected": "Lyon"},
            {"id": "c", "prompt": "Opposite of hot?", "chosen": "Cold", "rejected": "Warm"},
        ]
        pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
        common = {"cache_dir": str(tmp_path / "cache"), "max_tokens": 32, "n_boot": 50}
        gen.generate(_greedy()[:1])  # the class engine is up
        starts = vllm_engine.engine_starts()
        run = evaluate(str(pairs), "vllm:default", out=str(tmp_path / "r1"), **common)
        assert vllm_engine.engine_starts() == starts  # the run's backend shares the pooled engine
        assert run.manifest["counts"]["generated"] == 3 and run.manifest["engine"]["completion_tokens"] > 0
        assert run.manifest["model"]["fingerprint"]["backend"] == "vllm"
        assert len(run.records) == 3
        for r in run.records:
            assert len(r["judgements"]) == 1 and isinstance(r["judgements"][0]["raw"], str)
        vllm_engine.shutdown_all()  # nothing running now: a re-run needing the model would have to start one
        assert not gen.started
        again = evaluate(str(pairs), "vllm:default", out=str(tmp_path / "r2"), **common)
        assert vllm_engine.engine_starts() == starts and not gen.started  # fully cached: no engine started
        assert again.manifest["counts"]["generated"] == 0 and again.manifest["counts"]["cached"] == 3
        assert [r["judgements"] for r in again.records] == [r["judgements"] for r in run.records]
        assert again.metrics["overall"] == run.metrics["overall"]


@pytest.mark.slow
def test_in_process_engine_matches(hf_greedy: list[tuple[str, int]], tmp_path: Path) -> None:
    """With vLLM importable in the interpreter itself, the engine runs in-process: same greedy texts.

    Run under the vLLM environment's Python with assay's sources on the path (its own transformers 5.19)."""
    runtime = _require_vllm()
    if runtime.python is None:
        pytest.skip("vLLM is importable here: the in-process path is what every other test uses")
    script = tmp_path / "inproc.py"
    script.write_text(
        "import json\n"
        "from assay.models import vllm_engine\n"
        "from assay.models.gen_spec import load_generator\n"
        "from assay.models.generation import GenerateRequest, SamplingConfig\n"
        "from assay.samples import user_prompt\n"
        "if __name__ == '__main__':  # vLLM's CPU engine process is spawned: the main module must be guarded\n"
        "    b = load_generator('vllm:default')\n"
        f"    reqs = [GenerateRequest(user_prompt(q), SamplingConfig(max_tokens=16)) for q in {QUESTIONS!r}]\n"
        "    texts = [g.text for g in b.generate(reqs)]\n"
        "    print('RESULT ' + json.dumps({'python': vllm_engine.vllm_runtime().python, 'texts': texts}))\n"
        "    b.close()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("ASSAY_VLLM_PYTHON", None)
    out = subprocess.run([runtime.python, str(script)], capture_output=True, text=True, env=env, timeout=600)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["python"] is None  # in-process: no worker
    assert result["texts"] == [t for t, _ in hf_greedy]


# ---------------------------------------------------------------- pooling / reward scores


@pytest.fixture(scope="module")
def reward_model_dir(default_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-label sequence classifier on SmolLM2 with a seeded random head (a stand-in reward model)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    out = tmp_path_factory.mktemp("rm") / "smol-rm"
    torch.manual_seed(1234)
    model = AutoModelForSequenceClassification.from_pretrained(str(default_model_dir), num_labels=1)
    tok = AutoTokenizer.from_pretrained(str(default_model_dir))
    with torch.no_grad():
        model.score.weight.normal_(0.0, 0.05)
    model.config.pad_token_id = tok.pad_token_id
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out


@pytest.mark.slow
def test_pooling_scores_equal_transformers(reward_model_dir: Path, tmp_path: Path) -> None:
    _require_vllm()
    from assay.models.base import ScoreRequest
    from assay.models.spec import load_backend
    from assay.samples import Message, Prompt

    multi = Prompt((Message("system", "Be brief."), Message("user", "Name a fruit.")))
    reqs = [
        ScoreRequest(user_prompt("What is 2+2?"), "4"),
        ScoreRequest(user_prompt("What is 2+2?"), "The answer is five."),
        ScoreRequest(user_prompt("Capital of France?"), "Paris is the capital of France."),
        ScoreRequest(multi, "An apple."),
    ]

    def scores(spec: str, batch_size: int | None) -> list[float]:
        out: dict[int, float] = {}
        for idx, res in load_backend(spec, cache_dir=tmp_path / "c").score_stream(reqs, batch_size):
            assert all(r.n_tokens > 5 and not r.truncated for r in res)
            out.update({i: r.score for i, r in zip(idx, res, strict=True)})
        return [out[i] for i in range(len(reqs))]

    spec = f"vllm:{reward_model_dir}?runner=pooling"
    starts = vllm_engine.engine_starts()
    by_two = scores(spec, 2)  # two classify calls of two
    one_call = scores(spec, None)  # all four in one classify call, on the same (pooled) engine
    with pytest.raises(ValueError, match="label=1 but the model has 1 label"):
        scores(f"{spec}&label=1", None)
    assert vllm_engine.engine_starts() == starts + 1
    vllm_engine.shutdown_all()
    ref = scores(f"hf:{reward_model_dir}", None)
    diff = max(abs(a - b) for a, b in zip(one_call, ref, strict=True))
    print(f"vllm pooling vs transformers: max |diff| = {diff:.2e}; scores {one_call}")
    assert diff < 1e-4
    assert max(abs(a - b) for a, b in zip(by_two, one_call, strict=True)) < 1e-5  # batch-independent
    assert len({round(s, 4) for s in ref}) == len(ref)  # the scores differ: the comparison means something
