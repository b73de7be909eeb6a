"""Generator spec strings -> generation backends (judges and critics). Construction loads no weights.

``hfgen:PATH_OR_ID[?options]`` runs transformers ``generate`` locally (``hfgen:default`` is the
embedded SmolLM2-135M-Instruct, usable as a weak judge); ``openai:BASE_URL#MODEL[?options]`` calls an
OpenAI-compatible server (vLLM, SGLang, llama.cpp, hosted APIs); ``vllm:PATH_OR_ID[?options]`` runs vLLM's
engine itself (models/vllm_engine.py; ``vllm:...?runner=pooling`` is a score backend, see spec.py).
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
    (
        "vllm:PATH_OR_ID",
        "vLLM engine, batched, prefix caching (vllm:default = the embedded SmolLM2; in-process, or a worker "
        "under .venv-vllm / $ASSAY_VLLM_PYTHON); options template, dtype, max_model_len, kv_cache_gb, revision, tp",
    ),
]


def is_generator_spec(spec: str) -> bool:
    if spec.startswith("vllm:"):
        from assay.models.vllm_engine import is_pooling_spec

        return not is_pooling_spec(spec)  # vllm:...?runner=pooling is a score backend
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
    if is_generator_spec(spec) and spec.startswith("vllm:"):
        from assay.models.vllm_engine import VLLMGenerateBackend

        return VLLMGenerateBackend.from_spec(spec, cache_dir=cache_dir)  # vllm:default resolves there
    kinds = ", ".join(k for k, _ in GENERATOR_KINDS)
    raise ValueError(f"not a generator spec: {spec!r}; valid kinds: {kinds}")
