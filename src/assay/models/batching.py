"""Length-sorted batching under a token budget, and right padding with explicit positions.

Why: sorting by length (longest first) keeps padding small, and the longest batch runs first so an
out-of-memory error shows at once. Scores must not depend on the batch a request lands in, so batches
are right-padded with an attention mask and explicit ``position_ids`` (each row sees exactly the
positions it would see alone) and the model runs in float32; per-item scores then agree within 1e-5
across batch sizes (measured in tests/test_models.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CPU_TOKEN_BUDGET = 8192  # padded tokens per batch when batch_size is None, on CPU
GPU_TOKEN_BUDGET = 32768
MAX_AUTO_BATCH = 64  # cap on rows per automatic batch


def token_budget(device: str) -> int:
    """Padded tokens per automatic batch on this device."""
    return GPU_TOKEN_BUDGET if device.startswith("cuda") else CPU_TOKEN_BUDGET


def check_batch_size(batch_size: int | None) -> None:
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None (auto), got {batch_size!r}")


def plan_batches(
    lengths: Sequence[int],
    batch_size: int | None,
    budget: int = CPU_TOKEN_BUDGET,
    max_batch: int = MAX_AUTO_BATCH,
) -> list[list[int]]:
    """Group item indices into batches, longest first.

    ``batch_size`` int: exactly that many items per batch (the last may be smaller). None: pack items
    while rows x longest length stays within ``budget`` tokens and rows <= ``max_batch``; an item longer
    than the budget gets a batch of its own. Callers restore order with the returned indices.
    """
    check_batch_size(batch_size)
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    if batch_size is not None:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = lengths[current[0]] if current else lengths[i]
        if current and ((len(current) + 1) * longest > budget or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def pad_right(
    seqs: Sequence[Sequence[int]], pad_id: int, device: str = "cpu", position_offset: int = 0
) -> tuple[Any, Any, Any]:
    """(input_ids, attention_mask, position_ids) tensors, right-padded with ``pad_id``.

    ``position_offset`` starts positions after a cached prefix of that many tokens.
    """
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, s in enumerate(seqs):
        ids[row, : len(s)] = torch.tensor(list(s), dtype=torch.long)
        mask[row, : len(s)] = 1
    pos = torch.arange(position_offset, position_offset + width, dtype=torch.long).expand(len(seqs), width)
    return ids.to(device), mask.to(device), pos.contiguous().to(device)
