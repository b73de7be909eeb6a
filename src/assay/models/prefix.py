"""Shared-prefix KV reuse: run the tokens common to a prompt's responses once, then only the suffixes.

Pairs and best-of-N groups repeat the same templated prompt for every response. We take the longest
common prefix of the group's actual token ids (capped per sequence by the caller, e.g. so that every
suffix keeps at least one token), run it once with batch size 1 and a KV cache, copy the cache across
the suffix batch (``Cache.batch_repeat_interleave``) and run the right-padded suffixes with positions
starting after the prefix and an attention mask covering prefix + suffix. Scores equal the full pass
within 1e-5 (tests/test_models.py). Backends count tokens actually run vs. tokens without reuse.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.models.base import ScoreRequest
from assay.models.batching import pad_right, plan_batches
from assay.models.hf_common import cache_kwarg, common_prefix_len, output_cache

MIN_PREFIX_TOKENS = 8  # below this a separate prefix pass costs more than it saves


@dataclass(frozen=True)
class WorkBatch:
    """Items scored together. ``prefix_len`` > 0: all share that many leading tokens, computed once per
    ``group`` (consecutive batches of one group reuse the same prefix cache)."""

    indices: list[int]
    prefix_len: int = 0
    group: int = -1


def plan_work(
    requests: Sequence[ScoreRequest],
    seqs: Sequence[Sequence[int]],
    limits: Sequence[int],
    batch_size: int | None,
    budget: int,
    prefix_reuse: bool,
) -> list[WorkBatch]:
    """Batches for ``seqs``; with ``prefix_reuse``, requests sharing a prompt form groups whose common
    prefix (capped by ``limits[i]``, the most leading tokens item i may share) is computed once."""
    singles: list[int] = []
    work: list[WorkBatch] = []
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(r.prompt_key(), []).append(i)
    for members in groups.values():
        p = 0
        if prefix_reuse and len(members) > 1:
            p = min(common_prefix_len([seqs[i] for i in members]), *(limits[i] for i in members))
        if p < MIN_PREFIX_TOKENS:
            singles.extend(members)
            continue
        gid = len(work)
        for chunk in plan_batches([len(seqs[i]) - p for i in members], batch_size, budget):
            work.append(WorkBatch([members[j] for j in chunk], p, gid))
    for chunk in plan_batches([len(seqs[i]) for i in singles], batch_size, budget):
        work.append(WorkBatch([singles[j] for j in chunk]))
    return work


def supports_cache(model: Any) -> bool:
    """Whether ``model.forward`` takes a KV cache (needed for prefix reuse)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return "cache" in params or "past_key_values" in params


def run_prefix(model: Any, prefix_ids: Sequence[int], device: str, **kwargs: Any) -> tuple[Any, Any]:
    """Forward the prefix alone (batch 1, positions 0..P-1); returns (output, its KV cache)."""
    ids, mask, pos = pad_right([prefix_ids], 0, device)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, **kwargs)
    return out, output_cache(out)


def run_suffixes(
    model: Any,
    prefix_cache: Any,
    prefix_len: int,
    suffixes: Sequence[Sequence[int]],
    pad_id: int,
    device: str,
    **kwargs: Any,
) -> Any:
    """Forward right-padded ``suffixes`` on top of a copy of ``prefix_cache`` expanded to the batch."""
    import torch

    cache = copy.deepcopy(prefix_cache)
    if len(suffixes) > 1:
        cache.batch_repeat_interleave(len(suffixes))
    ids, mask, pos = pad_right(suffixes, pad_id, device, position_offset=prefix_len)
    full_mask = torch.cat([torch.ones((len(suffixes), prefix_len), dtype=mask.dtype, device=device), mask], 1)
    kwargs[cache_kwarg(model)] = cache
    return model(input_ids=ids, attention_mask=full_mask, position_ids=pos, use_cache=True, **kwargs)
