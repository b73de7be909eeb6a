"""VLRMBench answer parsing and the step F1 (JCruan519/VLRMBench ``model_eval/utils.py``, ``get_*_eval_res.py``).

* ``format_model_answer_tolist``: every ``\\d+`` of the answer, values other than 0/1 become 1, truncated
  or padded with 0 to the number of steps.
* ``format_ms_ec_era_model_answer_tolist`` (two scores): the LAST two ``\\d+`` values, 0-padded; a missing
  answer is ``"[0,0]"``.
* ``get_fores_eval_res.py``: correct when ``task_gt`` is true and ``\\b(yes|true)\\b`` occurs
  (case-insensitive), or false and ``\\b(no|false)\\b`` occurs.
* ``get_sc_mc_rd_eval_res.py`` + ``utils.get_F1Score``: steps pooled, F1_pos and F1_neg (sklearn ``f1_score``,
  0 when undefined). The authors weight them ``(n_neg/N) F1_pos + (n_pos/N) F1_neg`` (``weighting="authors"``,
  the published metric and the default); ``weighting="support"`` is the conventional support-weighted F1,
  sklearn's ``average="weighted"``: ``(n_pos/N) F1_pos + (n_neg/N) F1_neg``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np


def parse_steps(answer: str | None, n: int) -> list[int]:
    """``format_model_answer_tolist``: digits runs, non-0/1 -> 1, cut or 0-padded to ``n``."""
    nums = [int(x) for x in re.findall(r"\d+", answer or "")]
    nums = [x if x in (0, 1) else 1 for x in nums]
    return nums[:n] if len(nums) >= n else nums + [0] * (n - len(nums))


def parse_pair(answer: str | None) -> list[int]:
    """``format_ms_ec_era_model_answer_tolist`` for two scores: the last two numbers, 0-padded."""
    nums = [int(x) for x in re.findall(r"\d+", answer or "[0,0]")]
    return nums[-2:] if len(nums) >= 2 else nums + [0] * (2 - len(nums))


def foresight_correct(answer: str | None, gt: bool) -> bool:
    pattern = r"\b(yes|true)\b" if gt else r"\b(no|false)\b"
    return re.search(pattern, answer or "", re.IGNORECASE) is not None


def confusion(pred: Sequence[int], gt: Sequence[int]) -> list[int]:
    """[TP, FP, FN, TN] with 1 (an erroneous step) as the positive class."""
    p, g = np.asarray(pred), np.asarray(gt)
    return [int(((p == 1) & (g == 1)).sum()), int(((p == 1) & (g == 0)).sum()), int(((p == 0) & (g == 1)).sum()),
            int(((p == 0) & (g == 0)).sum())]  # fmt: skip


def f1_scores(counts: Any, weighting: str = "authors") -> dict[str, Any]:
    """F1_pos, F1_neg and F1_w from summed [TP, FP, FN, TN] (last axis); 0 where a denominator is 0."""
    c = np.asarray(counts, dtype=float)
    tp, fp, fn, tn = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1_pos = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        f1_neg = np.where(2 * tn + fp + fn > 0, 2 * tn / (2 * tn + fp + fn), 0.0)
        n_pos, n_neg = tp + fn, tn + fp
        total = n_pos + n_neg
        if weighting == "authors":
            f1_w = (n_neg * f1_pos + n_pos * f1_neg) / total
        elif weighting == "support":
            f1_w = (n_pos * f1_pos + n_neg * f1_neg) / total
        else:
            raise ValueError(f"unknown weighting {weighting!r}; valid: support, authors")
    return {"f1_pos": f1_pos, "f1_neg": f1_neg, "f1_w": f1_w}
