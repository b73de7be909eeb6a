"""``vllm:PATH_OR_ID[?options]``: vLLM's offline engine for batched generation, and for reward models.

- ``vllm:PATH_OR_ID`` is a generator (judges, critics): every ``generate`` call sends its requests to ONE
  ``LLM.generate`` call (vLLM batches them; per-request ``SamplingParams``: temperature, top_p, max_tokens,
  seed, n), with prefix caching on, so a judge template shared by many prompts is computed once.
  ``vllm:default`` is the embedded SmolLM2-135M-Instruct (the safetensors folder ``hfgen:default`` uses).
- ``vllm:PATH_OR_ID?runner=pooling`` is a scalar score backend (``ScoreBackend``) for sequence-
  classification reward models: score = raw logit ``label`` (default 0) from
  ``LLM(model, runner="pooling").classify(..., pooling_params=PoolingParams(use_activation=False))``, which
  pools the last token like transformers' ``*ForSequenceClassification`` (the ``hf:`` backend).

Options: ``template`` (auto|tokenizer|plain|chatml), ``dtype`` (float32|bfloat16|float16|auto),
``max_model_len``, ``kv_cache_gb``, ``revision``, ``tp`` (tensor parallel size); pooling adds ``label`` and
``truncation`` (left|right|middle|error). Defaults on vLLM's CPU build: float32, eager mode, a 2 GiB KV cache,
2048 tokens (bf16 garbles small models there); on accelerators: the checkpoint's dtype ("auto"), vLLM's
memory defaults and the model's own context length.

Tokenisation happens here, in assay's process, with ``hf_common.ChatEncoder`` (the chat template applied
once, no doubled BOS, the same truncation policies as ``hf:``), and vLLM receives token ids: prompts are
token for token those of ``hfgen:`` / ``hf:``, and completions are decoded here with the same rule as
``hfgen:`` (EOS ids from the generation config, ``skip_special_tokens``).

Where the engine runs (``assay.serving.vllm_client``): in this process when ``vllm`` is importable here (a
GPU machine with ``pip install vllm``), else in ONE worker subprocess (``assay/serving/vllm_worker.py``)
under the vLLM Python ($ASSAY_VLLM_PYTHON, else ``.venv-vllm/bin/python``: ``make vllm-env``) that holds
the engine and speaks JSON lines. Engines are pooled per process by configuration, so backends for the
same model (a run, then its re-run) share one; ``close()`` / ``shutdown_all()`` and exit stop it, and a
worker dies with its parent.

The fingerprint names the weights (file digests; hub commit), runner, dtype, eager mode, tensor parallel
size, template (plus label, truncation and max_model_len for pooling, where over-long inputs are truncated to
the context), the vLLM/torch/transformers versions of the vLLM environment (package metadata, probed once)
and the tokenizer libraries used here. Never the batch size, KV-cache size, the Python path or in-process vs
worker, nor a generator's max_model_len (a prompt + max_tokens over it is refused, never cut, so it does not
change an accepted generation): they do not change the outputs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from assay.models.base import BackendStats, ScoreRequest, ScoreResult
from assay.models.batching import check_batch_size
from assay.models.generation import FINISH_LENGTH, FINISH_STOP, GenerateRequest, Generation
from assay.models.hf_common import (
    TEMPLATES,
    TRUNCATIONS,
    ChatEncoder,
    canonical_dtype,
    library_versions,
    model_identity,
    prompt_messages,
    resolve_model,
)
from assay.serving.vllm_client import (
    EngineConfig,
    EngineHandle,
    Runtime,
    VLLMUnavailableError,
    VLLMWorkerError,
    acquire,
    engine_starts,
    find_vllm_python,
    is_running,
    release,
    shutdown_all,
    vllm_runtime,
)

ENGINE_VERSION = 1  # bump when a change here alters generations or scores, so cached ones are not reused
GEN_OPTIONS = ("runner", "template", "dtype", "max_model_len", "kv_cache_gb", "revision", "tp")
POOL_OPTIONS = (*GEN_OPTIONS, "label", "truncation")
CPU_DEFAULTS = {"dtype": "float32", "max_model_len": 2048, "kv_cache_gb": 2.0, "enforce_eager": True}
GPU_DEFAULTS = {"dtype": "auto", "max_model_len": None, "kv_cache_gb": None, "enforce_eager": False}
MAX_CALL = 512  # requests per engine call (bounds one JSON message; vLLM batches within it)
_CONVERT = {"max_model_len": int, "kv_cache_gb": float, "tp": int, "label": int}
__all__ = [  # the engine side lives in assay.serving.vllm_client; re-exported for callers of this module
    "EngineConfig",
    "Runtime",
    "VLLMGenerateBackend",
    "VLLMRewardBackend",
    "VLLMUnavailableError",
    "VLLMWorkerError",
    "acquire",
    "engine_starts",
    "find_vllm_python",
    "is_pooling_spec",
    "load_reward_backend",
    "parse_vllm_spec",
    "release",
    "shutdown_all",
    "vllm_runtime",
]


# ---------------------------------------------------------------- spec


def parse_vllm_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``vllm:TARGET[?options]`` -> (target, typed options incl. runner). Raises ValueError naming what is valid."""
    head, _, query = spec.strip().partition("?")
    kind, sep, target = head.partition(":")
    if kind != "vllm" or not sep or not target:
        raise ValueError(f"expected vllm:PATH_OR_ID[?options], got {spec!r}")
    raw: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in raw:
            raise ValueError(f"option {name!r} given twice in {spec!r}")
        raw[name] = value
    runner = raw.get("runner", "generate")
    if runner not in ("generate", "pooling"):
        raise ValueError(f"unknown runner {runner!r} in {spec!r}; valid: generate, pooling")
    valid = POOL_OPTIONS if runner == "pooling" else GEN_OPTIONS
    opts: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in valid:
            raise ValueError(f"unknown option {name!r} for vllm (runner={runner}); valid options: {', '.join(valid)}")
        try:
            opts[name] = _CONVERT.get(name, str)(value)
        except ValueError as e:
            raise ValueError(f"bad value for {name} in {spec!r}: {e}") from None
    opts["runner"] = runner
    if opts.get("template", "auto") not in TEMPLATES:
        raise ValueError(f"unknown template {opts['template']!r}; valid: {', '.join(TEMPLATES)}")
    if opts.get("truncation", "left") not in TRUNCATIONS:
        raise ValueError(f"unknown truncation {opts['truncation']!r}; valid: {', '.join(TRUNCATIONS)}")
    return target, opts


def is_pooling_spec(spec: str) -> bool:
    """True for ``vllm:...?runner=pooling`` (a score backend, not a generator)."""
    head, _, query = spec.strip().partition("?")
    return head.startswith("vllm:") and ("runner", "pooling") in parse_qsl(query)


def _model_ref(target: str) -> str:
    if target == "default":
        from assay.models.default import default_model_path

        return str(default_model_path())
    return target


# ---------------------------------------------------------------- backends


class _VLLMBase:
    kind = "vllm"

    def __init__(self, spec: str, cache_dir: Path | None, defaults: dict[str, Any] | None = None) -> None:
        target, opts = parse_vllm_spec(spec)
        for key, value in (defaults or {}).items():
            if value is not None:
                opts.setdefault(key, value)
        self.spec = spec
        self.model_ref = _model_ref(target)
        self.options = opts
        self.runner: str = opts["runner"]
        self.template: str = opts.get("template", "auto")
        self.revision: str | None = opts.get("revision")
        self.cache_dir = cache_dir
        self._config: EngineConfig | None = None
        self._tok: Any = None

    def engine_config(self) -> EngineConfig:
        """Options over the platform's defaults (needs the runtime probe; loads nothing)."""
        if self._config is None:
            base = CPU_DEFAULTS if vllm_runtime().cpu else GPU_DEFAULTS
            dtype = self.options.get("dtype", base["dtype"])
            dtype = "auto" if dtype == "auto" else canonical_dtype(dtype)
            model = resolve_model(self.model_ref, self.revision)
            self._config = EngineConfig(
                model=model,
                runner=self.runner,
                dtype=dtype,
                max_model_len=self.options.get("max_model_len", base["max_model_len"]),
                enforce_eager=bool(base["enforce_eager"]),
                kv_cache_gb=self.options.get("kv_cache_gb", base["kv_cache_gb"]),
                revision=self.revision if model == self.model_ref and not Path(model).exists() else None,
                tensor_parallel_size=int(self.options.get("tp", 1)),
                enable_prefix_caching=self.runner == "generate",
            )
        return self._config

    def _fingerprint(self) -> dict[str, Any]:
        cfg = self.engine_config()
        info = vllm_runtime().info
        return {
            "backend": self.kind,
            "engine_version": ENGINE_VERSION,
            "runner": self.runner,
            "model": model_identity(self.model_ref, self.revision, self.cache_dir),
            "dtype": cfg.dtype,
            "enforce_eager": cfg.enforce_eager,
            "tensor_parallel_size": cfg.tensor_parallel_size,
            "template": self.template,
            "vllm": {k: info.get(k) for k in ("distribution", "version", "torch", "transformers", "platform")},
            "libraries": library_versions(),  # tokenisation happens in this process
        }

    def _engine(self) -> EngineHandle:
        handle = acquire(self.engine_config())
        if self._tok is None:
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(
                self.engine_config().model, revision=self.engine_config().revision
            )
        return handle

    @property
    def started(self) -> bool:
        """Whether an engine for this backend's configuration is running in this process."""
        return self._config is not None and is_running(self._config)

    def close(self) -> None:
        """Stop this configuration's engine (shared with any backend of the same configuration)."""
        if self._config is not None:
            release(self._config)


class VLLMGenerateBackend(_VLLMBase):
    """``vllm:PATH_OR_ID``: chat replies from vLLM, all requests of a call in one ``LLM.generate``."""

    def __init__(self, spec: str, *, cache_dir: Path | None = None) -> None:
        super().__init__(spec, cache_dir)
        if self.runner != "generate":
            raise ValueError(f"{spec!r} is a pooling (score) model, not a generator")
        self.stats: dict[str, Any] = {
            "requests": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "latency_s": 0.0,
            "engine_calls": 0,
        }
        self._encoder: ChatEncoder | None = None
        self._eos_ids: list[int] = []

    @classmethod
    def from_spec(cls, spec: str, cache_dir: Path | None = None) -> VLLMGenerateBackend:
        return cls(spec, cache_dir=cache_dir)

    def fingerprint(self) -> dict[str, Any]:
        return self._fingerprint()

    def _prepare(self) -> EngineHandle:
        handle = self._engine()
        if self._encoder is None:
            from transformers import AutoConfig, GenerationConfig

            src, rev = self.engine_config().model, self.engine_config().revision
            try:
                gen_eos = GenerationConfig.from_pretrained(src, revision=rev).eos_token_id
            except OSError:  # no generation_config.json: the model config's EOS
                gen_eos = getattr(AutoConfig.from_pretrained(src, revision=rev), "eos_token_id", None)
            eos: set[int] = set()
            for value in (gen_eos, self._tok.eos_token_id):
                if isinstance(value, int):
                    eos.add(value)
                elif value:
                    eos.update(int(v) for v in value)
            self._eos_ids = sorted(eos)
            self._encoder = ChatEncoder(self._tok, self.template, int(handle.info["max_model_len"]), "error")
        return handle

    def encode(self, request: GenerateRequest) -> list[int]:
        """Prompt token ids (template once, no doubled BOS); refuses prompt + max_tokens over the context."""
        assert self._encoder is not None
        ids = self._encoder.tokenize(self._encoder.render(prompt_messages(request.prompt), add_generation_prompt=True))
        limit = self._encoder.max_length
        if len(ids) + request.sampling.max_tokens > limit:
            raise ValueError(
                f"prompt of {len(ids)} tokens + max_tokens={request.sampling.max_tokens} exceeds the engine's "
                f"max_model_len of {limit} tokens (option max_model_len)"
            )
        return ids

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """One Generation per request, in input order (greedy n > 1: one completion, repeated)."""
        if not requests:
            return []
        handle = self._prepare()
        encoded = [self.encode(r) for r in requests]  # refuse any bad request before compute
        out: list[Generation] = []
        for start in range(0, len(requests), MAX_CALL):
            part = list(range(start, min(len(requests), start + MAX_CALL)))
            payload = []
            for i in part:
                s = requests[i].sampling
                payload.append(
                    {
                        "ids": encoded[i],
                        "temperature": float(s.temperature),
                        "top_p": 1.0 if s.greedy else float(s.top_p),
                        "max_tokens": s.max_tokens,
                        "seed": None if s.greedy else s.seed,
                        "n": 1 if s.greedy else s.n,
                        "stop_ids": self._eos_ids,
                    }
                )
            t0 = time.perf_counter()
            results = handle.call("generate", requests=payload)
            latency = (time.perf_counter() - t0) / len(part)
            self.stats["engine_calls"] += 1
            for i, res in zip(part, results, strict=True):
                out.append(self._generation(requests[i], res, latency))
        return out

    def _generation(self, request: GenerateRequest, res: dict[str, Any], latency: float) -> Generation:
        texts, reasons, n_tok = [], [], 0
        for o in res["outputs"]:
            reason = o["finish_reason"]
            if reason not in (FINISH_STOP, FINISH_LENGTH):
                raise VLLMWorkerError(f"vLLM ended a request with finish_reason={reason!r}")
            texts.append(self._tok.decode(o["token_ids"], skip_special_tokens=True))
            reasons.append(reason)
            n_tok += len(o["token_ids"])
        n = request.sampling.n
        if len(texts) == 1 and n > 1:  # greedy n > 1: identical completions
            texts, reasons, n_tok = texts * n, reasons * n, n_tok * n
        g = Generation(tuple(texts), int(res["prompt_tokens"]), n_tok, latency, tuple(reasons))
        self.stats["requests"] += 1
        self.stats["prompt_tokens"] += g.prompt_tokens
        self.stats["completion_tokens"] += g.completion_tokens
        self.stats["latency_s"] += latency
        return g


class VLLMRewardBackend(_VLLMBase):
    """``vllm:PATH_OR_ID?runner=pooling``: a sequence-classification reward model's raw logit ``label``."""

    def __init__(
        self,
        spec: str,
        *,
        max_length: int | None = None,
        dtype: str | None = None,
        truncation: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """``max_length`` / ``dtype`` / ``truncation`` are a run's defaults; the spec's options win."""
        super().__init__(spec, cache_dir, {"max_model_len": max_length, "dtype": dtype, "truncation": truncation})
        if self.runner != "pooling":
            raise ValueError(f"{spec!r} is a generator; add ?runner=pooling for a reward model")
        self.label: int = self.options.get("label", 0)
        if self.label < 0:
            raise ValueError(f"label must be >= 0, got {self.label}")
        self.truncation: str = self.options.get("truncation", "left")
        self._stats = BackendStats()
        self._encoder: ChatEncoder | None = None

    def fingerprint(self) -> dict[str, Any]:
        """The shared identity plus label, truncation and ``max_model_len``: inputs longer than the context
        are truncated to it, so it changes scores (a generator refuses such prompts instead)."""
        fp = self._fingerprint()
        return {
            **fp,
            "max_model_len": self.engine_config().max_model_len,
            "label": self.label,
            "truncation": self.truncation,
        }

    @property
    def stats(self) -> BackendStats:
        return self._stats

    def score_stream(
        self, requests: Sequence[ScoreRequest], batch_size: int | None
    ) -> Iterator[tuple[list[int], list[ScoreResult]]]:
        """Scores in chunks of ``batch_size`` (default 512) requests, each ONE ``LLM.classify`` call."""
        check_batch_size(batch_size)
        if not requests:
            return
        handle = self._engine()
        if self._encoder is None:
            self._encoder = ChatEncoder(self._tok, self.template, int(handle.info["max_model_len"]), self.truncation)
        encs = [self._encoder.encode(r, boundary=False) for r in requests]
        step = batch_size or MAX_CALL
        for start in range(0, len(encs), step):
            idx = list(range(start, min(len(encs), start + step)))
            logits = handle.call("classify", inputs=[list(encs[i].ids) for i in idx])
            if logits and self.label >= len(logits[0]):
                raise ValueError(f"label={self.label} but the model has {len(logits[0])} label(s)")
            rows = [encs[i] for i in idx]
            self._stats.batches += 1
            self._stats.forward_tokens += sum(len(e.ids) for e in rows)
            self._stats.padded_tokens += sum(len(e.ids) for e in rows)  # vLLM packs sequences: no padding
            self._stats.truncated += sum(e.truncated for e in rows)
            yield (
                idx,
                [
                    ScoreResult(score=float(v[self.label]), truncated=e.truncated, n_tokens=len(e.ids))
                    for v, e in zip(logits, rows, strict=True)
                ],
            )


def load_reward_backend(spec: str, **run_defaults: Any) -> VLLMRewardBackend:
    """The score backend for ``vllm:...?runner=pooling`` (``run_defaults``: max_length, dtype, truncation,
    cache_dir as ``spec.load_backend`` passes them)."""
    return VLLMRewardBackend(spec, **run_defaults)
