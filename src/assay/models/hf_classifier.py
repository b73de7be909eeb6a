"""``hf:`` scalar reward model: an ``AutoModelForSequenceClassification`` read at one output label.

score = logits[label] (default label 0) at the token the model pools: for decoder RMs
(``*ForSequenceClassification`` built on a causal LM) the rightmost token that is not the pad token,
exactly what the model computes on the sequence alone. We right-pad with the model's own
``pad_token_id`` (set to the tokenizer's pad, else its EOS, when the config has none), so padding never
moves the pooled token and scores do not depend on the batch. Conversations are rendered and tokenised
as in hf_common (chat template, no doubled BOS); default truncation is "left" so the end of the
conversation, where the score is read, survives. When the model takes a KV cache, responses to the same
prompt share one pass over the common prefix (prefix.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assay.models.base import BackendStats, ScoreRequest, ScoreResult
from assay.models.batching import check_batch_size, pad_right, token_budget
from assay.models.hf_common import (
    ChatEncoder,
    Encoded,
    canonical_dtype,
    default_max_length,
    library_versions,
    model_identity,
    pick_device,
    resolve_model,
    torch_dtype,
)
from assay.models.prefix import WorkBatch, plan_work, run_prefix, run_suffixes, supports_cache

SCORING_VERSION = 1  # bump when a change here alters scores, so cached scores are not reused


class HFClassifierBackend:
    """A sequence-classification reward model from a local folder or a hub id."""

    kind = "hf"

    def __init__(
        self,
        spec: str,
        model: str,
        *,
        template: str = "auto",
        truncation: str = "left",
        max_length: int | None = None,
        dtype: str = "float32",
        revision: str | None = None,
        label: int = 0,
        prefix_reuse: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        if label < 0:
            raise ValueError(f"label must be >= 0, got {label}")
        self.spec = spec
        self.model_ref = model
        self.template = template
        self.truncation = truncation
        self.max_length = max_length
        self.dtype = canonical_dtype(dtype)
        self.revision = revision
        self.label = label
        self.prefix_reuse = prefix_reuse
        self.cache_dir = cache_dir
        self.loaded = False
        self._stats = BackendStats()
        self._stats.extra.update(tokens_without_reuse=0, prefix_groups=0)
        self._model: Any = None
        self._encoder: ChatEncoder | None = None
        self._device = "cpu"
        self._pad_id = 0
        self._pass_positions = True
        self._prefix: tuple[int, Any] | None = None

    def fingerprint(self) -> dict[str, Any]:
        return {
            "backend": self.kind,
            "scoring_version": SCORING_VERSION,
            "model": model_identity(self.model_ref, self.revision, self.cache_dir),
            "label": self.label,
            "dtype": self.dtype,
            "template": self.template,
            "truncation": self.truncation,
            "max_length": self.max_length,
            "libraries": library_versions(),
        }

    @property
    def stats(self) -> BackendStats:
        return self._stats

    def load(self) -> None:
        """Load tokenizer and model once (never at construction)."""
        if self.loaded:
            return
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress bar is enough; keep piped output quiet

        src = resolve_model(self.model_ref, self.revision)
        tok = AutoTokenizer.from_pretrained(src)
        self._device = pick_device()
        model = AutoModelForSequenceClassification.from_pretrained(src, dtype=torch_dtype(self.dtype))
        model = model.to(self._device).eval()
        if self.label >= model.config.num_labels:
            raise ValueError(f"label={self.label} but the model has {model.config.num_labels} label(s)")
        cfg = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        if cfg.pad_token_id is None:
            pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
            if pad is None:
                raise ValueError(f"{self.model_ref}: no pad or eos token to pad batches with")
            cfg.pad_token_id = model.config.pad_token_id = pad
        self._pad_id = int(cfg.pad_token_id)
        self._pass_positions = "position_ids" in inspect.signature(model.forward).parameters
        max_len = self.max_length or default_max_length(model.config, tok)
        self._encoder = ChatEncoder(tok, self.template, max_len, self.truncation)
        self._model = model
        self.loaded = True

    def _pool_index(self, e: Encoded) -> int:
        """Index of the token the model pools (rightmost non-pad), used to cap the shared prefix."""
        for i in range(len(e.ids) - 1, -1, -1):
            if e.ids[i] != self._pad_id:
                return i
        return 0

    def score_stream(
        self, requests: Sequence[ScoreRequest], batch_size: int | None
    ) -> Iterator[tuple[list[int], list[ScoreResult]]]:
        check_batch_size(batch_size)
        if not requests:
            return
        self.load()
        import torch

        assert self._encoder is not None
        encs = [self._encoder.encode(r, boundary=False) for r in requests]
        reuse = self.prefix_reuse and self._pass_positions and supports_cache(self._model)
        limits = [min(self._pool_index(e), len(e.ids) - 1) for e in encs]
        budget = token_budget(self._device)
        work = plan_work(requests, [e.ids for e in encs], limits, batch_size, budget, reuse)
        self._stats.extra["prefix_groups"] += len({wb.group for wb in work if wb.prefix_len})
        self._prefix = None
        for wb in work:
            rows = [encs[i] for i in wb.indices]
            with torch.inference_mode():
                logits = self._forward(rows, wb)
            scores = logits[:, self.label].float().cpu().tolist()
            self._stats.batches += 1
            self._stats.truncated += sum(e.truncated for e in rows)
            self._stats.extra["tokens_without_reuse"] += sum(len(e.ids) for e in rows)
            yield (
                wb.indices,
                [
                    ScoreResult(score=float(s), truncated=e.truncated, n_tokens=len(e.ids))
                    for s, e in zip(scores, rows, strict=True)
                ],
            )
        self._prefix = None

    def _forward(self, rows: list[Encoded], wb: WorkBatch) -> Any:
        """Pooled logits [rows, num_labels] from a full pass or a prefix-reuse pass."""
        p = wb.prefix_len
        if not p:
            ids, mask, pos = pad_right([e.ids for e in rows], self._pad_id, self._device)
            kw = {"position_ids": pos} if self._pass_positions else {}
            self._stats.forward_tokens += sum(len(e.ids) for e in rows)
            self._stats.padded_tokens += ids.numel()
            return self._model(input_ids=ids, attention_mask=mask, use_cache=False, **kw).logits
        if self._prefix is None or self._prefix[0] != wb.group:
            _, cache = run_prefix(self._model, rows[0].ids[:p], self._device)
            self._prefix = (wb.group, cache)
            self._stats.forward_tokens += p
            self._stats.padded_tokens += p
        suffixes = [e.ids[p:] for e in rows]
        self._stats.forward_tokens += sum(len(s) for s in suffixes)
        self._stats.padded_tokens += len(rows) * max(len(s) for s in suffixes)
        return run_suffixes(self._model, self._prefix[1], p, suffixes, self._pad_id, self._device).logits
