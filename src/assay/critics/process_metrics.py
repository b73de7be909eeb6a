"""ProcessBench answer parsing, voting, the match rule and the acc_err / acc_cor / F1 metric.

Sources (QwenLM/ProcessBench): ``code/run_eval.py`` ``extract_answer`` (the LAST match of
``r'\\\\boxed\\{([^}]*)\\}'``, stripped, then ``int()``; failure is ``None``) and ``--use_voting``
(``Counter(preds).most_common(1)`` over the extracted strings); ``code/run_eval.py`` /
``code/run_eval_prm_trl.py`` for the metric: per subset acc_err = mean(pred == label) over ``label != -1``,
acc_cor = mean(pred == -1) over ``label == -1``, F1 = 2 acc_err acc_cor / (acc_err + acc_cor); the headline
is the mean of the subset F1s. RUCBM/DeepCritic ``ProcessBench/code/eval.py``: with 1-based numbering an
erroneous solution matches when ``pred == label + 1``.

Deviations (documented in the benchmark): F1 with acc_err = acc_cor = 0 is 0 (numpy gives NaN upstream);
``parse="balanced"`` (not the authors' rule) reads the last ``\\boxed{}`` with nested braces and unwraps
``\\text{}``-style wrappers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assay.metrics.bootstrap import stratified_cis

_AUTHORS_BOXED = re.compile(r"\\boxed\{([^}]*)\}")
_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|texttt|mbox)\{(.*)\}$", re.S)
PARSES = ("authors", "balanced")


# ---------------------------------------------------------------- parsing and voting


def _balanced_last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                inner = text[i:j].strip()
                while (m := _WRAPPER.match(inner)) is not None:
                    inner = m.group(1).strip()
                return inner.strip("$ ")
    return None  # unclosed box


def extract_boxed(text: str, parse: str = "authors") -> str | None:
    """The answer string of the last ``\\boxed{}`` (``extract_answer``), or None."""
    if parse == "authors":
        found = _AUTHORS_BOXED.findall(text)
        return found[-1].strip() if found else None
    if parse == "balanced":
        return _balanced_last_boxed(text)
    raise ValueError(f"unknown parse {parse!r}; valid: {', '.join(PARSES)}")


def to_index(answer: str | None) -> int | None:
    """``int(pred)`` as upstream (Python's int: surrounding spaces and a sign allowed), else None."""
    if answer is None:
        return None
    try:
        return int(answer)
    except ValueError:
        return None


def vote(extracted: Sequence[str | None]) -> tuple[int | None, bool]:
    """(prediction, tie) of ``Counter(preds).most_common(1)`` over the non-None answer strings."""
    present = [e for e in extracted if e is not None]
    if not present:
        return None, False
    counts = Counter(present)
    winner, top = counts.most_common(1)[0]
    tie = sum(1 for c in counts.values() if c == top) > 1
    return to_index(winner), tie


def is_match(pred: int | None, label: int, numbering: int = 0) -> bool:
    """ProcessBench ``pred == label``; DeepCritic ``pred == label + 1`` for erroneous solutions."""
    if pred is None:
        return False
    return pred == -1 if label == -1 else pred == label + numbering


# ---------------------------------------------------------------- metrics


def f1_of(acc_err: Any, acc_cor: Any) -> Any:
    """2ab/(a+b), 0 where a + b == 0, NaN where either is NaN (numpy arrays or floats)."""
    a, b = np.asarray(acc_err, dtype=float), np.asarray(acc_cor, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(a + b > 0, 2 * a * b / (a + b), 0.0)
    out = np.where(np.isnan(a) | np.isnan(b), np.nan, out)
    return float(out) if out.ndim == 0 else out


def _mean(a: np.ndarray) -> np.ndarray:
    """Mean over the item axis of (B, n) resamples; NaN for an empty group."""
    if a.shape[1] == 0:
        return np.full(a.shape[0], np.nan)
    return a.mean(axis=1)


def subset_metrics(
    matches: Mapping[str, tuple[Sequence[bool], Sequence[bool]]], seed: int, n_boot: int, key: str
) -> dict[str, Any]:
    """Per subset acc_err/acc_cor/F1 and the mean F1, with CIs from resampling within (subset, kind)."""
    groups: dict[str, np.ndarray] = {}
    for s, (err, cor) in matches.items():
        groups[f"{s}:error"] = np.asarray(err, dtype=float)
        groups[f"{s}:correct"] = np.asarray(cor, dtype=float)
    stats: dict[str, Any] = {}
    n: dict[str, int] = {}
    for s, (err, cor) in matches.items():
        stats[f"acc_err:{s}"] = lambda x, s=s: _mean(x[f"{s}:error"])
        stats[f"acc_cor:{s}"] = lambda x, s=s: _mean(x[f"{s}:correct"])
        stats[f"f1:{s}"] = lambda x, s=s: f1_of(_mean(x[f"{s}:error"]), _mean(x[f"{s}:correct"]))
        n.update({f"acc_err:{s}": len(err), f"acc_cor:{s}": len(cor), f"f1:{s}": len(err) + len(cor)})
    names = list(matches)
    stats["overall"] = lambda x: sum(stats[f"f1:{s}"](x) for s in names) / len(names)
    n["overall"] = sum(n[f"f1:{s}"] for s in names)
    return stratified_cis(groups, stats, seed, n_boot, n=n, key=key)
