"""``hfgen:PATH_OR_ID`` text generation with a local transformers causal LM (for generative judges).

Spec: ``hfgen:PATH_OR_ID[?template=auto|tokenizer|plain|chatml&dtype=float32|bfloat16|float16&revision=REV
&batch_size=N]``. Construction never loads weights; the first ``generate`` does.

Rules, chosen so a generation is a function of (model, request) and can be cached:

- The chat template is applied once (``add_generation_prompt=True``) and the text tokenised with
  ``add_special_tokens=False`` (BOS prepended only if the tokenizer adds one and the template did not:
  see ``hf_common.ChatEncoder``), so SmolLM2-style templates do not get a doubled BOS.
- Greedy requests (temperature 0) are batched with LEFT padding (the new tokens line up at the right
  edge), grouped by (max_tokens, n) and sorted by length to limit padding. ``n > 1`` greedy completions
  are identical, so one is generated and repeated.
- Sampled requests are generated one at a time under ``torch.manual_seed(seed)`` inside a forked RNG
  state, so a seeded sample does not depend on batch composition, order or earlier calls, and the global
  torch RNG is left untouched. Sampling uses only temperature and top_p (top_k disabled), like the
  OpenAI API; the model's own generation_config defaults are not inherited (only its EOS tokens).
- ``finish_reasons``: "stop" when an EOS/end-of-turn token was produced, else "length".
  ``completion_tokens`` counts the generated tokens up to and including the EOS, summed over the n texts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from assay.models.generation import FINISH_LENGTH, FINISH_STOP, GenerateRequest, Generation
from assay.models.hf_common import (
    TEMPLATES,
    ChatEncoder,
    canonical_dtype,
    default_max_length,
    library_versions,
    model_identity,
    pick_device,
    prompt_messages,
    resolve_model,
    torch_dtype,
)

GENERATION_VERSION = 1  # bump when a change here alters generated text, so cached generations are not reused
DEFAULT_BATCH_SIZE = 8
OPTIONS = ("template", "dtype", "revision", "batch_size")


class HFGenerateBackend:
    """Generates chat replies with ``model.generate`` (greedy batched, seeded sampling per request)."""

    kind = "hfgen"

    def __init__(
        self,
        spec: str,
        model: str,
        *,
        template: str = "auto",
        dtype: str = "float32",
        revision: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        cache_dir: Path | None = None,
    ) -> None:
        if template not in TEMPLATES:
            raise ValueError(f"unknown template {template!r}; valid: {', '.join(TEMPLATES)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.spec = spec
        self.model_ref = model
        self.template = template
        self.dtype = canonical_dtype(dtype)
        self.revision = revision
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.loaded = False
        self.stats: dict[str, Any] = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "latency_s": 0.0}
        self._model: Any = None
        self._tok: Any = None
        self._encoder: ChatEncoder | None = None
        self._device = "cpu"
        self._pad_id = 0
        self._eos_ids: list[int] = []
        self._max_len = 0

    @classmethod
    def from_spec(cls, spec: str, cache_dir: Path | None = None) -> HFGenerateBackend:
        """Parse ``hfgen:PATH_OR_ID[?options]``."""
        head, _, query = spec.strip().partition("?")
        kind, sep, target = head.partition(":")
        if kind != cls.kind or not sep or not target:
            raise ValueError(f"expected hfgen:PATH_OR_ID[?options], got {spec!r}")
        opts: dict[str, Any] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name not in OPTIONS:
                raise ValueError(f"unknown option {name!r} for hfgen; valid options: {', '.join(OPTIONS)}")
            opts[name] = int(value) if name == "batch_size" else value
        return cls(spec, target, cache_dir=cache_dir, **opts)

    # ------------------------------------------------------------------ identity

    def fingerprint(self) -> dict[str, Any]:
        """Model identity, dtype, template and library versions (torch too: it draws the samples).
        Batch size is left out: greedy output does not depend on it, sampled output is per request."""
        from importlib.metadata import PackageNotFoundError, version

        libs = library_versions()
        try:
            libs["torch"] = version("torch")
        except PackageNotFoundError:
            libs["torch"] = "absent"
        return {
            "backend": self.kind,
            "generation_version": GENERATION_VERSION,
            "model": model_identity(self.model_ref, self.revision, self.cache_dir),
            "dtype": self.dtype,
            "template": self.template,
            "libraries": libs,
        }

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """Load tokenizer and model once (never at construction)."""
        if self.loaded:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        src = resolve_model(self.model_ref, self.revision)
        tok = AutoTokenizer.from_pretrained(src)
        self._device = pick_device()
        model = AutoModelForCausalLM.from_pretrained(src, dtype=torch_dtype(self.dtype)).to(self._device).eval()
        self._max_len = default_max_length(model.config, tok)
        self._encoder = ChatEncoder(tok, self.template, self._max_len, "error")
        eos: set[int] = set()
        for value in (model.generation_config.eos_token_id, tok.eos_token_id):
            if isinstance(value, int):
                eos.add(value)
            elif value:
                eos.update(int(v) for v in value)
        self._eos_ids = sorted(eos)
        pad = tok.pad_token_id if tok.pad_token_id is not None else (self._eos_ids[0] if self._eos_ids else 0)
        self._pad_id = int(pad)
        self._tok = tok
        self._model = model
        self.loaded = True

    def encode(self, request: GenerateRequest) -> list[int]:
        """Prompt token ids: the chat template applied once, tokenised without extra special tokens."""
        assert self._encoder is not None
        text = self._encoder.render(prompt_messages(request.prompt), add_generation_prompt=True)
        ids = self._encoder.tokenize(text)
        need = len(ids) + request.sampling.max_tokens
        if need > self._max_len:
            raise ValueError(
                f"prompt of {len(ids)} tokens + max_tokens={request.sampling.max_tokens} exceeds the model's "
                f"context of {self._max_len} tokens"
            )
        return ids

    # ------------------------------------------------------------------ generation

    def generate(self, requests: Sequence[GenerateRequest]) -> list[Generation]:
        """One Generation per request, in input order."""
        if not requests:
            return []
        self.load()
        encoded = [self.encode(r) for r in requests]  # fail on any bad request before compute
        out: list[Generation | None] = [None] * len(requests)
        greedy: dict[tuple[int, int], list[int]] = {}
        for i, r in enumerate(requests):
            if r.sampling.greedy:
                greedy.setdefault((r.sampling.max_tokens, r.sampling.n), []).append(i)
            else:
                out[i] = self._run([encoded[i]], requests[i])[0]
        for idx in greedy.values():
            idx.sort(key=lambda i: len(encoded[i]))
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start : start + self.batch_size]
                for i, g in zip(chunk, self._run([encoded[i] for i in chunk], requests[chunk[0]]), strict=True):
                    out[i] = g
        result = [g for g in out if g is not None]
        assert len(result) == len(requests)
        return result

    def _config(self, request: GenerateRequest) -> Any:
        from transformers import GenerationConfig

        s = request.sampling
        common: dict[str, Any] = {
            "max_new_tokens": s.max_tokens,
            "eos_token_id": self._eos_ids or None,
            "pad_token_id": self._pad_id,
        }
        if s.greedy:
            return GenerationConfig(do_sample=False, **common)
        return GenerationConfig(
            do_sample=True, temperature=s.temperature, top_p=s.top_p, top_k=0, num_return_sequences=s.n, **common
        )

    def _run(self, rows: list[list[int]], request: GenerateRequest) -> list[Generation]:
        """Generate for a batch of prompts sharing ``request``'s sampling (sampled: a batch of one)."""
        import torch

        s = request.sampling
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for b, r in enumerate(rows):  # left padding: every prompt ends at the right edge
            ids[b, width - len(r) :] = torch.tensor(r, dtype=torch.long)
            mask[b, width - len(r) :] = 1
        config = self._config(request)
        t0 = time.perf_counter()
        with torch.inference_mode():
            if s.greedy:
                seqs = self._model.generate(
                    input_ids=ids.to(self._device), attention_mask=mask.to(self._device), generation_config=config
                )
            else:
                devices = [torch.device(self._device).index or 0] if self._device.startswith("cuda") else []
                with torch.random.fork_rng(devices=devices):
                    if s.seed is not None:
                        torch.manual_seed(s.seed)
                    seqs = self._model.generate(
                        input_ids=ids.to(self._device), attention_mask=mask.to(self._device), generation_config=config
                    )
        latency = (time.perf_counter() - t0) / len(rows)
        new = seqs[:, width:].cpu().tolist()
        per_row = len(new) // len(rows)  # n sequences per prompt when sampling, else 1
        results = []
        for b, r in enumerate(rows):
            texts, reasons, n_tok = [], [], 0
            for seq in new[b * per_row : (b + 1) * per_row]:
                cut = next((k for k, t in enumerate(seq) if t in self._eos_ids), None)
                kept = seq if cut is None else seq[: cut + 1]
                texts.append(self._tok.decode(kept, skip_special_tokens=True))
                reasons.append(FINISH_LENGTH if cut is None else FINISH_STOP)
                n_tok += len(kept)
            if per_row == 1 and s.n > 1:  # greedy n > 1: identical completions
                texts, reasons, n_tok = texts * s.n, reasons * s.n, n_tok * s.n
            g = Generation(tuple(texts), len(r), n_tok, latency, tuple(reasons))
            self.stats["requests"] += 1
            self.stats["prompt_tokens"] += g.prompt_tokens
            self.stats["completion_tokens"] += g.completion_tokens
            self.stats["latency_s"] += latency
            results.append(g)
        return results
