"""``hfgen:`` on the default SmolLM2-135M-Instruct model (a few tokens only): greedy output must not depend
on batch composition (left padding), a seeded sample must be reproducible whatever batch it lands in, and
the request types hash and cache as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.models.generation import GenerateRequest, SamplingConfig
from assay.models.hf_generate import HFGenerateBackend
from assay.samples import Message, user_prompt

PROMPTS = ["What is 2+2?", "Name a colour.", "Say hello in French, please, and keep it short."]


def _view(g: object) -> tuple[object, ...]:
    """Everything but latency (which varies run to run)."""
    return (g.texts, g.prompt_tokens, g.completion_tokens, g.finish_reasons)  # type: ignore[attr-defined]


def test_request_key_and_cacheable() -> None:
    p = user_prompt("hi")
    greedy = GenerateRequest(p, SamplingConfig())
    assert greedy.key() == GenerateRequest(p, SamplingConfig(temperature=0)).key()
    assert greedy.key() != GenerateRequest(p, SamplingConfig(max_tokens=8)).key()
    assert greedy.key() != GenerateRequest((Message("user", "hi!"),), SamplingConfig()).key()
    assert greedy.cacheable()
    assert not GenerateRequest(p, SamplingConfig(temperature=0.7)).cacheable()
    assert GenerateRequest(p, SamplingConfig(temperature=0.7, seed=1)).cacheable()
    with pytest.raises(ValueError):
        SamplingConfig(top_p=0)


def test_spec_and_fingerprint_do_not_load(tmp_path: Path) -> None:
    b = HFGenerateBackend.from_spec("hfgen:some-org/some-model?dtype=bfloat16&batch_size=4")
    fp = b.fingerprint()
    assert fp["backend"] == "hfgen" and fp["dtype"] == "bfloat16" and "batch_size" not in fp
    assert not b.loaded
    with pytest.raises(ValueError):
        HFGenerateBackend.from_spec("hfgen:x?mode=sum")


@pytest.fixture(scope="module")
def gen_backend(default_model_dir: Path) -> HFGenerateBackend:
    return HFGenerateBackend.from_spec(f"hfgen:{default_model_dir}")


@pytest.mark.slow
def test_greedy_is_batch_independent(gen_backend: HFGenerateBackend) -> None:
    s = SamplingConfig(max_tokens=8)
    requests = [GenerateRequest(user_prompt(p), s) for p in PROMPTS]
    alone = [gen_backend.generate([r])[0] for r in requests]
    batched = gen_backend.generate(requests)
    assert [_view(g) for g in alone] == [_view(g) for g in batched]
    for g in batched:
        assert len(g.texts) == 1 and g.texts[0].strip()
        assert 1 <= g.completion_tokens <= 8 and g.finish_reasons[0] in ("stop", "length")
    # the chat template is applied once, without a doubled BOS
    ids = gen_backend.encode(requests[0])
    bos = gen_backend._tok.bos_token_id
    assert ids[:2] != [bos, bos]
    assert batched[0].prompt_tokens == len(ids)


@pytest.mark.slow
def test_seeded_sample_is_reproducible(gen_backend: HFGenerateBackend) -> None:
    sampled = GenerateRequest(
        user_prompt("Tell me a joke."), SamplingConfig(temperature=1.0, max_tokens=6, seed=7, n=2)
    )
    other = GenerateRequest(user_prompt(PROMPTS[0]), SamplingConfig(max_tokens=4))
    first = gen_backend.generate([sampled])[0]
    second = gen_backend.generate([other, sampled])[1]
    assert _view(first) == _view(second)
    assert len(first.texts) == 2
    reseeded = GenerateRequest(sampled.prompt, SamplingConfig(temperature=1.0, max_tokens=6, seed=8, n=2))
    assert gen_backend.generate([reseeded])[0].texts != first.texts  # the seed matters
