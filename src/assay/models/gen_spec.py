"""Generator spec strings -> generation backends (judges and critics). Construction loads no weights.

``hfgen:PATH_OR_ID[?options]`` runs transformers ``generate`` locally (``hfgen:default`` is the
embedded SmolLM2-135M-Instruct, usable as a weak judge); ``openai:BASE_URL#MODEL[?options]`` calls an
OpenAI-compatible server (vLLM, SGLang, llama.cpp, hosted APIs).
"""

from __future__ import annotations

from pathlib import Path

from assay.models.generation import GenerateBackend

GENERATOR_KINDS: list[tuple[str, str]] = [
    (
        "hfgen:PATH_OR_ID",
        "local transformers generate (hfgen:default = the embedded SmolLM2); options template, "
        "dtype, revision, batch_size",
    ),
    (
        "openai:BASE_URL#MODEL",
        "OpenAI-compatible chat completions over HTTP; options key_env (API key variable), "
        "concurrency, timeout, retries, backoff",
    ),
]


def is_generator_spec(spec: str) -> bool:
    return spec.startswith(("hfgen:", "openai:"))


def load_generator(spec: str, *, cache_dir: Path | None = None) -> GenerateBackend:
    if spec.startswith("hfgen:"):
        from assay.models.hf_generate import HFGenerateBackend

        head, sep, query = spec.partition("?")
        if head == "hfgen:default":
            from assay.models.default import default_model_path

            backend = HFGenerateBackend.from_spec(f"hfgen:{default_model_path()}{sep}{query}", cache_dir=cache_dir)
            backend.spec = spec
            return backend
        return HFGenerateBackend.from_spec(spec, cache_dir=cache_dir)
    if spec.startswith("openai:"):
        from assay.models.openai_http import OpenAIBackend

        return OpenAIBackend.from_spec(spec)
    kinds = ", ".join(k for k, _ in GENERATOR_KINDS)
    raise ValueError(f"not a generator spec: {spec!r}; valid kinds: {kinds}")
