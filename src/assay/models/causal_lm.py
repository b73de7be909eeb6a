"""``lm:`` implicit reward from a causal LM: log-probs of the response tokens given the prompt.

Modes follow RewardBench's DPO path (rewardbench/dpo.py, ``DPOInference.get_batch_logps``; the
reference-free choice is ``--ref_free_type`` in scripts/run_dpo.py, default "avg"). With lp the
response-token log-probs:

- ``mean`` (RewardBench "avg", our default): ``(lp * mask).sum(-1) / mask.sum(-1)``
- ``sum``  (RewardBench "sum"): ``(lp * mask).sum(-1)``
- ``norm`` (RewardBench "norm"): ``-torch.norm(lp * mask, p=2, dim=-1)``, i.e. minus the L2 norm
- with ``ref=`` (DPO; RewardBench sets ref_free_norm "none" = sum): ``beta * (sum lp_policy - sum lp_ref)``.
  RewardBench returns ``policy_logps - ref_logps`` without beta, so our default ``beta=1.0`` gives the
  same numbers; any beta > 0 ranks identically. ``mode=mean`` with a reference is allowed
  (length-normalised log-ratio) but is not a RewardBench setting.

Differences from RewardBench: its DPO tokenisation prepends a BOS to the templated prompt and appends
an EOS to the answer regardless of the template; we score exactly the chat-templated text (see
hf_common: no doubled BOS, response = tokens after the generation prompt, end-of-turn tokens included).
Per-token log-probs come from ``log_softmax`` in float32 and are reduced in float64.
"""

from __future__ import annotations

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

MODES = ("sum", "mean", "norm")
MODE_ALIASES = {"avg": "mean"}
SCORING_VERSION = 1  # bump when a change here alters scores, so cached scores are not reused
LOGITS_BUDGET = 1 << 29  # float32 logits kept per batch (2 GiB): caps auto batches for big vocabularies


def canonical_mode(mode: str) -> str:
    m = MODE_ALIASES.get(mode, mode)
    if m not in MODES:
        raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)} (avg = mean)")
    return m


def reduce_logprobs(lp: Any, mode: str) -> float:
    """One number from the response-token log-probs (float64), by RewardBench's formulas."""
    if lp.numel() == 0:
        raise ValueError("no response tokens to score (right truncation cut the whole response?)")
    if mode == "sum":
        return float(lp.sum())
    if mode == "mean":
        return float(lp.sum() / lp.numel())
    return float(-lp.norm(p=2))


def _start(e: Encoded) -> int:
    """First scorable response position (token 0 has no context)."""
    return max(1, e.response_start)


class CausalLMBackend:
    """Scores a response by its log-probability under a causal LM (optionally relative to a reference)."""

    kind = "lm"

    def __init__(
        self,
        spec: str,
        model: str,
        *,
        mode: str | None = None,
        ref: str | None = None,
        beta: float = 1.0,
        template: str = "auto",
        truncation: str = "left",
        max_length: int | None = None,
        dtype: str = "float32",
        revision: str | None = None,
        prefix_reuse: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self.spec = spec
        self.model_ref = model
        self.mode = canonical_mode(mode or ("sum" if ref else "mean"))
        if ref and self.mode == "norm":
            raise ValueError("mode=norm is reference-free only; with ref= use sum (DPO) or mean")
        if beta <= 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.ref = ref
        self.beta = float(beta)
        self.template = template
        self.truncation = truncation
        self.max_length = max_length
        self.dtype = canonical_dtype(dtype)
        self.revision = revision
        self.prefix_reuse = prefix_reuse
        self.cache_dir = cache_dir
        self.loaded = False
        self._stats = BackendStats()
        self._stats.extra.update(tokens_without_reuse=0, prefix_groups=0)
        self._model: Any = None
        self._ref_model: Any = None
        self._encoder: ChatEncoder | None = None
        self._device = "cpu"
        self._pad_id = 0
        self._keep_logits = False
        self._prefix_state: dict[int, tuple[int, Any, Any, int]] = {}

    # ------------------------------------------------------------------ identity

    def model_source(self) -> str:
        """The folder or hub id to load (subclasses may resolve it lazily)."""
        return self.model_ref

    def model_fingerprint(self) -> dict[str, Any]:
        return model_identity(self.model_ref, self.revision, self.cache_dir)

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {
            "backend": self.kind,
            "scoring_version": SCORING_VERSION,
            "model": self.model_fingerprint(),
            "mode": self.mode,
            "dtype": self.dtype,
            "template": self.template,
            "truncation": self.truncation,
            "max_length": self.max_length,
            "libraries": library_versions(),
        }
        if self.ref:
            fp["ref"] = model_identity(self.ref, None, self.cache_dir)
            fp["beta"] = self.beta
        return fp

    @property
    def stats(self) -> BackendStats:
        return self._stats

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        """Load tokenizer and model(s) once (never at construction)."""
        if self.loaded:
            return
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress bar is enough; keep piped output quiet

        src = resolve_model(self.model_source(), self.revision)
        tok = AutoTokenizer.from_pretrained(src)
        self._device = pick_device()
        dt = torch_dtype(self.dtype)
        model = AutoModelForCausalLM.from_pretrained(src, dtype=dt).to(self._device).eval()
        if self.ref:
            ref_src = resolve_model(self.ref)
            if AutoTokenizer.from_pretrained(ref_src).get_vocab() != tok.get_vocab():
                raise ValueError(f"reference {self.ref} has a different tokenizer than {self.model_ref}")
            self._ref_model = AutoModelForCausalLM.from_pretrained(ref_src, dtype=dt).to(self._device).eval()
        max_len = self.max_length or default_max_length(model.config, tok)
        self._encoder = ChatEncoder(tok, self.template, max_len, self.truncation)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self._pad_id = int(pad) if pad is not None else 0
        import inspect

        self._keep_logits = "logits_to_keep" in inspect.signature(model.forward).parameters
        self._model = model
        self.loaded = True

    # ------------------------------------------------------------------ scoring

    def score_stream(
        self, requests: Sequence[ScoreRequest], batch_size: int | None
    ) -> Iterator[tuple[list[int], list[ScoreResult]]]:
        check_batch_size(batch_size)
        if not requests:
            return
        self.load()
        import torch

        assert self._encoder is not None
        encs = [self._encoder.encode(r) for r in requests]
        for i, e in enumerate(encs):  # fail before any compute rather than mid-run
            if len(e.ids) <= _start(e):
                raise ValueError(
                    f"request {i}: no response tokens left after truncation to "
                    f"max_length={self._encoder.max_length}; use truncation=left or raise it"
                )
        reuse = self.prefix_reuse and supports_cache(self._model)
        limits = [len(e.ids) - 1 for e in encs]
        vocab = int(getattr(self._model.config.get_text_config(), "vocab_size", 0) or 32000)
        budget = min(token_budget(self._device), max(512, LOGITS_BUDGET // vocab))
        work = plan_work(requests, [e.ids for e in encs], limits, batch_size, budget, reuse)
        group_first: dict[int, int] = {}
        for wb in work:
            if wb.prefix_len:
                lo = min(_start(encs[i]) for i in wb.indices) - 1
                group_first[wb.group] = min(group_first.get(wb.group, lo), lo)
        self._stats.extra["prefix_groups"] += len(group_first)
        self._prefix_state.clear()
        for wb in work:
            rows = [encs[i] for i in wb.indices]
            with torch.inference_mode():
                first = group_first.get(wb.group, 0)
                pol = self._logprobs(self._model, rows, wb, first)
                ref = self._logprobs(self._ref_model, rows, wb, first) if self.ref else None
            results = []
            for k, e in enumerate(rows):
                score = reduce_logprobs(pol[k].double(), self.mode)
                if ref is not None:
                    score = self.beta * (score - reduce_logprobs(ref[k].double(), self.mode))
                results.append(ScoreResult(score=score, truncated=e.truncated, n_tokens=len(e.ids)))
            self._stats.batches += 1
            self._stats.truncated += sum(e.truncated for e in rows)
            yield wb.indices, results
        self._prefix_state.clear()

    def _count(self, computed: int, padded: int, rows: list[Encoded]) -> None:
        self._stats.forward_tokens += computed
        self._stats.padded_tokens += padded
        self._stats.extra["tokens_without_reuse"] += sum(len(e.ids) for e in rows)

    def _keep(self, n: int) -> dict[str, Any]:
        return {"logits_to_keep": n} if self._keep_logits else {}

    def _logprobs(self, model: Any, rows: list[Encoded], wb: WorkBatch, group_first: int) -> list[Any]:
        """Response-token log-probs per row, from a full pass or a prefix-reuse pass."""
        if wb.prefix_len:
            return self._prefix_logprobs(model, rows, wb, group_first)
        ids, mask, pos = pad_right([e.ids for e in rows], self._pad_id, self._device)
        width = ids.shape[1]
        first = min(_start(e) for e in rows) - 1 if self._keep_logits else 0
        logits = model(
            input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=False, **self._keep(width - first)
        ).logits
        self._count(sum(len(e.ids) for e in rows), ids.numel(), rows)
        return [
            _gather(logits[b, _start(e) - 1 - first : len(e.ids) - 1 - first], e.ids[_start(e) :])
            for b, e in enumerate(rows)
        ]

    def _prefix_logprobs(self, model: Any, rows: list[Encoded], wb: WorkBatch, group_first: int) -> list[Any]:
        p = wb.prefix_len
        state = self._prefix_state.get(id(model))
        if state is None or state[0] != wb.group:
            # logits kept for prefix positions pf..p-1 (pf: first position any group member needs)
            pf = min(group_first, p - 1) if self._keep_logits else 0
            out, cache = run_prefix(model, rows[0].ids[:p], self._device, **self._keep(p - pf))
            state = (wb.group, out.logits[0], cache, pf)
            self._prefix_state[id(model)] = state
            self._count(p, p, [])
        _, pre_logits, cache, pf = state
        suffixes = [e.ids[p:] for e in rows]
        width = max(len(s) for s in suffixes)
        sfirst = max(min(_start(e) for e in rows) - 1, p) - p if self._keep_logits else 0
        keep = self._keep(width - sfirst)
        out = run_suffixes(model, cache, p, suffixes, self._pad_id, self._device, **keep)
        self._count(sum(len(s) for s in suffixes), len(rows) * width, rows)
        import torch

        res = []
        for b, e in enumerate(rows):
            s, n = _start(e), len(e.ids)
            parts = []
            if s - 1 < p:  # positions s-1..p-1 come from the prefix pass
                parts.append(pre_logits[s - 1 - pf : p - pf])
            lo = max(s - 1, p)  # positions lo..n-2 come from the suffix pass
            parts.append(out.logits[b, lo - p - sfirst : n - 1 - p - sfirst])
            res.append(_gather(torch.cat(parts, 0), e.ids[s:]))
        return res


def _gather(logits: Any, targets: Sequence[int]) -> Any:
    """log p(target_t) from the logits that predict each target (float32 log_softmax, as RewardBench)."""
    import torch

    t = torch.tensor(list(targets), dtype=torch.long, device=logits.device)
    return torch.log_softmax(logits.float(), -1).gather(-1, t[:, None]).squeeze(-1).cpu()
