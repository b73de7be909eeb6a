"""Generation engine: dedup and cache keyed by the sampling config; unseeded samples are never cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.engine.cache import ScoreCache
from assay.engine.generate import generate_requests
from assay.models.gen_spec import is_generator_spec, load_generator
from assay.models.generation import GenerateRequest, SamplingConfig
from assay.samples import user_prompt


def test_generator_specs() -> None:
    assert is_generator_spec("hfgen:default") and is_generator_spec("openai:http://127.0.0.1:1/v1#m")
    assert not is_generator_spec("assay:default")
    with pytest.raises(ValueError, match="valid kinds"):
        load_generator("lm:x")


@pytest.mark.slow
def test_generation_cache(tmp_path: Path, default_model_dir: Path) -> None:
    greedy = SamplingConfig(temperature=0.0, max_tokens=4)
    seeded = SamplingConfig(temperature=1.0, max_tokens=4, seed=7)
    unseeded = SamplingConfig(temperature=1.0, max_tokens=4)
    p = user_prompt("Say one word.")
    reqs = [
        GenerateRequest(p, greedy),
        GenerateRequest(p, greedy),
        GenerateRequest(p, seeded),
        GenerateRequest(p, unseeded),
    ]
    with ScoreCache(tmp_path / "s.sqlite") as cache:
        first = load_generator("hfgen:default", cache_dir=tmp_path)
        gens, rep = generate_requests(first, reqs, cache=cache)
        assert (rep.n_requests, rep.n_unique, rep.n_cached, rep.n_generated, rep.n_uncacheable) == (4, 3, 0, 3, 1)
        assert gens[0] == gens[1]
        second = load_generator("hfgen:default", cache_dir=tmp_path)
        gens2, rep2 = generate_requests(second, reqs[:3], cache=cache)
        assert rep2.n_cached == 2 and rep2.n_generated == 0 and not second.loaded
        assert [g.texts for g in gens2] == [g.texts for g in gens[:3]]
        # a different sampling config is a different key: no false hit
        _, rep3 = generate_requests(second, [GenerateRequest(p, SamplingConfig(max_tokens=5))], cache=cache)
        assert rep3.n_cached == 0 and rep3.n_generated == 1
