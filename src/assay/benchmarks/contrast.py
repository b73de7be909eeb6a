"""Contrast Instructions (Shen et al., "The Trickle-down Impact of Reward (In-)consistency on RLHF",
ICLR 2024, arXiv:2309.16155): does a reward model follow a small change of instruction?

Data: github.com/shadowkiller33/Contrast-Instruction ``data/contrast_instructions/`` (no hub copy):
``stack_contrast.json`` (StackExchange, 1188), ``wmt_contrast.json`` (WMT, 612), ``para_contrast.json``
(Twitter, 289), ``sum_contrast.json`` (RealSumm, 36); each a JSON list of objects ``{query, retrieval,
query_response_k, query_response_j, retrieval_response_k, retrieval_response_j}``. ``query`` (I1) and
``retrieval`` (I2) are two lexically similar task inputs, ``*_response_k`` the human-preferred response
to each (r1, r2); the ``*_response_j`` are not used by the consistency metrics (README). The rows carry
no id: the id is ``f"{dataset}:{row index}"`` (an ``id`` field wins); the dataset comes from the file
name or a ``subset`` field. Each instruction is the authors' task prefix + the input (their inference
scripts: ``"Translate the following sentence to English: "`` (WMT, ``reward_wmt.py``),
``"Paraphrase the following sentence: "`` (``inference_para.py``), ``"Summarize the paragraph: "``
(``inference_sum.py``), none for StackExchange (``inference.py``)) as one user turn; the authors'
own RMs read the flat ``"<instruction>\\n\\nAnswer: <response>"`` string instead of a chat template.

Scores (4 per item, different prompts, so a ``Contrast`` sample, kind "contrast"): ``I1r1, I1r2,
I2r1, I2r2``. Directional comparisons (strict ``>``; a tie is wrong):

* response consistency: ``R(I1,r1) > R(I1,r2)`` (``inference_mt.py``: query + query_response_k vs
  query + retrieval_response_k) and ``R(I2,r2) > R(I2,r1)``;
* instruction consistency: ``R(I1,r1) > R(I2,r1)`` (``inference.py``, ``inference_para.py``,
  ``inference_sum.py``: the same response under query vs retrieval) and ``R(I2,r2) > R(I1,r2)``.

The released scripts print only the I1 direction (``count / len(result)``). assay reports, per dataset,
each direction, both directions pooled (``response``, ``instruction``: chance level 50%) and both
directions right on the same item (``*_both``: chance 25%). A comparison is *undefined* when its two
sides are the same text (r1 == r2 for response, I1 == I2 for instruction): ``inference_mt.py`` skips
those items (``if sentence_j == sentence_k: continue``), so they are left out by default;
``aggregate_with(identical="wrong")`` counts them as ties (wrong), as ``inference.py`` would for
instructions. overall = mean over items of the item's mean over its defined directional comparisons
(= (response + instruction) / 2 when nothing is undefined); the paper reports no single number.
Not reproduced: the scripts drop items longer than 512 tokens for their own tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from assay.benchmarks.pairs import row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_str
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.models.base import ScoreRequest, ScoreResult
from assay.samples import Prompt, prompt_to_json, user_prompt

REPO = "https://github.com/shadowkiller33/Contrast-Instruction/tree/master/data/contrast_instructions"
# File stem prefix -> dataset name (README table).
DATASETS: dict[str, str] = {"stack": "StackExchange", "wmt": "WMT", "para": "Twitter", "sum": "RealSumm"}
SUBSETS: tuple[str, ...] = tuple(DATASETS.values())
# The instruction wording of the authors' scripts (see the module docstring).
TASK_PREFIX: dict[str, str] = {
    "StackExchange": "",
    "WMT": "Translate the following sentence to English: ",
    "Twitter": "Paraphrase the following sentence: ",
    "RealSumm": "Summarize the paragraph: ",
}
SCORE_KEYS = ("I1r1", "I1r2", "I2r1", "I2r2")  # request order
DIRECTIONS = ("response_I1", "response_I2", "instruction_r1", "instruction_r2")
COLUMNS = (*DIRECTIONS, "response_both", "instruction_both", "credit")


@dataclass(frozen=True)
class Contrast:
    """Two instructions with their preferred responses: ``prompts = (I1, I2)``, ``responses = (r1, r2)``."""

    id: str
    prompts: tuple[Prompt, Prompt]
    responses: tuple[str, str]
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    kind: ClassVar[str] = "contrast"

    @property
    def subset(self) -> str:
        return str(self.meta.get("subset", ""))


def contrast_requests(sample: Contrast) -> list[ScoreRequest]:
    """The 4 requests, in ``SCORE_KEYS`` order: (I1,r1), (I1,r2), (I2,r1), (I2,r2)."""
    for prompt in sample.prompts:
        if any(m.has_image() for m in prompt):
            raise ValueError(f"sample {sample.id}: holds an image; scalar text reward models take text only")
    (i1, i2), (r1, r2) = sample.prompts, sample.responses
    return [ScoreRequest(i1, r1), ScoreRequest(i1, r2), ScoreRequest(i2, r1), ScoreRequest(i2, r2)]


def contrast_record(sample: Contrast, results: Sequence[ScoreResult]) -> dict[str, Any]:
    """The samples.jsonl line (without outcome): inputs, kind "contrast", scores keyed by ``SCORE_KEYS``."""
    if len(results) != len(SCORE_KEYS):
        raise ValueError(f"sample {sample.id}: expected {len(SCORE_KEYS)} scores, got {len(results)}")
    return {
        "id": sample.id,
        "subset": sample.subset,
        "prompts": [prompt_to_json(p) for p in sample.prompts],
        "responses": list(sample.responses),
        "meta": sample.meta,
        "kind": Contrast.kind,
        "scores": {k: r.score for k, r in zip(SCORE_KEYS, results, strict=True)},
        "truncated": sum(1 for r in results if r.truncated),
    }


def dataset_of(row: Row) -> str:
    """The row's dataset: its ``subset`` field, else the file name (``<stack|wmt|para|sum>_...``)."""
    row.check()
    if row.data.get("subset") is not None:
        name = get_str(row, "subset")
        return DATASETS.get(name.lower(), name)
    stem = Path(row.source).name.split("_")[0].split(".")[0].lower()
    if stem in DATASETS:
        return DATASETS[stem]
    raise DataError.at(
        row,
        "subset",
        "missing: no 'subset' field and the file name does not name a dataset "
        f"({', '.join(f'{k}_contrast.json' for k in DATASETS)})",
    )


def from_row(row: Row) -> Contrast:
    subset = dataset_of(row)
    item_id = row_id(row) if row.data.get("id") is not None else f"{subset}:{row.index}"
    q, ret = get_str(row, "query"), get_str(row, "retrieval")
    r1, r2 = get_str(row, "query_response_k"), get_str(row, "retrieval_response_k")
    if q == ret and r1 == r2:
        raise DataError.at(
            row, "retrieval", "query and retrieval and their responses are identical: nothing to contrast"
        )
    prefix = TASK_PREFIX.get(subset, "")
    return Contrast(
        id=item_id,
        prompts=(user_prompt(prefix + q), user_prompt(prefix + ret)),
        responses=(r1, r2),
        meta={"subset": subset},
    )


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    if not opts.data:
        raise ValueError(
            f"contrast-instructions has no hub dataset: download the four JSON files from {REPO} and pass --data"
        )
    return collect(
        read_rows(opts.data),
        from_row,  # type: ignore[arg-type]
        skip_invalid=opts.skip_invalid,
        source=opts.data,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def _gt(a: float, b: float, defined: bool) -> int | None:
    return int(float(a) > float(b)) if defined else None


def outcome(record: Record) -> dict[str, Any]:
    """The four directional comparisons (None where undefined), the two ``*_both``, ``tie``, ``credit``."""
    s = record["scores"]
    p1, p2 = record["prompts"]
    r1, r2 = record["responses"]
    resp, ins = r1 != r2, p1 != p2
    out: dict[str, Any] = {
        "response_I1": _gt(s["I1r1"], s["I1r2"], resp),
        "response_I2": _gt(s["I2r2"], s["I2r1"], resp),
        "instruction_r1": _gt(s["I1r1"], s["I2r1"], ins),
        "instruction_r2": _gt(s["I2r2"], s["I1r2"], ins),
    }
    out["response_both"] = int(out["response_I1"] and out["response_I2"]) if resp else None
    out["instruction_both"] = int(out["instruction_r1"] and out["instruction_r2"]) if ins else None
    pairs = [("I1r1", "I1r2", resp), ("I2r2", "I2r1", resp), ("I1r1", "I2r1", ins), ("I2r2", "I1r2", ins)]
    out["tie"] = any(d and float(s[a]) == float(s[b]) for a, b, d in pairs)
    defined = [v for k, v in out.items() if k in DIRECTIONS and v is not None]
    out["credit"] = float(np.mean(defined))
    return out


def _units(outcomes: Sequence[Mapping[str, Any]], identical: str) -> np.ndarray:
    """(n, 7) rows of ``COLUMNS``; undefined -> NaN ("exclude") or 0 ("wrong")."""
    fill = {"exclude": np.nan, "wrong": 0.0}[identical]
    rows = [[fill if o[c] is None else float(o[c]) for c in COLUMNS[:-1]] for o in outcomes]
    a = np.array(rows, dtype=float).reshape(-1, len(COLUMNS) - 1)
    credit = np.nanmean(a[:, :4], axis=1) if len(a) else np.empty(0)
    return np.column_stack([a, credit]) if len(a) else np.empty((0, len(COLUMNS)))


def _nan_mean(arrays: Sequence[np.ndarray], cols: Sequence[int]) -> np.ndarray:
    """Mean of the defined (non-NaN) entries of ``cols`` pooled over groups: (B, n, k) -> (B,)."""
    tot = sum(np.nansum(a[..., list(cols)], axis=(1, 2)) for a in arrays)
    cnt = sum((~np.isnan(a[..., list(cols)])).sum(axis=(1, 2)) for a in arrays)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)  # type: ignore[no-any-return]


_STATS: dict[str, tuple[int, ...]] = {
    "overall": (6,),
    "response": (0, 1),
    "instruction": (2, 3),
    **{name: (j,) for j, name in enumerate(COLUMNS[:-1])},
}


def aggregate_with(records: Sequence[Record], seed: int, n_boot: int, *, identical: str = "exclude") -> dict[str, Any]:
    """Consistency metrics; ``identical="wrong"`` counts undefined comparisons as wrong ties."""
    if identical not in ("exclude", "wrong"):
        raise ValueError(f"identical must be 'exclude' or 'wrong', got {identical!r}")
    if not records:
        raise ValueError("no records to aggregate")
    outs: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        outs.setdefault(str(rec.get("subset", "")), []).append(outcome(rec))
    groups = {k: _units(v, identical) for k, v in outs.items()}
    stats: dict[str, Any] = {}
    n: dict[str, int] = {}
    for name, cols in _STATS.items():
        stats[name] = lambda s, cols=cols: _nan_mean(list(s.values()), cols)
        n[name] = int(sum((~np.isnan(g[:, list(cols)])).sum() for g in groups.values()))
        for sub in groups:
            stats[f"{sub}:{name}"] = lambda s, cols=cols, sub=sub: _nan_mean([s[sub]], cols)
            n[f"{sub}:{name}"] = int((~np.isnan(groups[sub][:, list(cols)])).sum())
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="contrast-instructions")
    undefined = {
        "response": sum(1 for v in outs.values() for o in v if o["response_I1"] is None),
        "instruction": sum(1 for v in outs.values() for o in v if o["instruction_r1"] is None),
    }
    return {
        "overall": cis["overall"],
        "sections": {"response": cis["response"], "instruction": cis["instruction"]},
        "subsets": {sub: cis[f"{sub}:overall"] for sub in groups},
        "counts": {"items": len(records), "ties": sum(1 for v in outs.values() for o in v if o["tie"])},
        "extra": {
            **{name: cis[name] for name in COLUMNS[:-1]},
            "by_subset": {sub: {name: cis[f"{sub}:{name}"] for name in _STATS if name != "overall"} for sub in groups},
            "identical": identical,
            "undefined_items": undefined,
        },
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """Consistency with undefined comparisons (identical texts) left out, as ``inference_mt.py``."""
    return aggregate_with(records, seed, n_boot)


@register
def contrast_instructions() -> Benchmark:
    return Benchmark(
        name="contrast-instructions",
        description="Contrast Instructions: response and instruction consistency of an RM on pairs of similar "
        "instructions (StackExchange, WMT, Twitter, RealSumm).",
        source="Shen et al. ICLR 2024 (arXiv:2309.16155); shadowkiller33/Contrast-Instruction code/inference.py, "
        "inference_mt.py, inference_para.py, inference_sum.py",
        hub_id=None,
        subsets=SUBSETS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
    )
