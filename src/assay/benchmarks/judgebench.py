"""JudgeBench (Tan et al. 2024, "JudgeBench: A Benchmark for Evaluating LLM-based Judges", arXiv:2410.12784,
ICLR 2025): hard response pairs on knowledge, reasoning, math and coding whose better answer is objectively
correct.

Data: hub ``ScalerLab/JudgeBench``, splits ``gpt`` (350 pairs answered by GPT-4o) and ``claude`` (270 by
Claude-3.5-Sonnet); the GitHub release has the same rows as ``data/dataset=judgebench,response_model=
<model>.jsonl``. Columns: ``pair_id``, ``original_id``, ``source`` (e.g. ``mmlu-pro-law``,
``livebench-reasoning``, ``livebench-math``, ``livecodebench``), ``question``, ``response_model``,
``response_A``, ``response_B``, ``label`` ("A>B" or "B>A"). ``--data`` takes a hub-layout folder, the
GitHub ``data/`` folder or one such file. A row becomes a Pair (chosen = the labelled better response)
with id ``<split>:<pair_id>``; the subset is the split, taken from ``response_model`` (``gpt...`` ->
``gpt``, ``claude...`` -> ``claude``), so ``--subset gpt`` is the paper's main table.

Protocol (ScalerLab/JudgeBench ``run_judge.py`` ``judge_pairs``): every pair is judged twice, as
(response_A, response_B) and as (response_B, response_A) (``reverse_order``, the default: ``--single_game``
is off); assay always asks both orders. Judges: the vanilla prompt (``--judge-template judgebench``, the
default here; ``utils/judges.py`` ``Vanilla``: the output must be exactly "Output (a)" or "Output (b)") and
Arena-Hard (``judgebench-arena-hard``, ``ArenaHard``, with its second attempt); other templates work too
(their A/B verdicts read as "A>B"/"B>A"; pointwise scores as "A>B"/"B>A"/"A=B").

Outcome (``utils/metrics.py`` ``compute_final_metrics`` with ``reverse_order=True``): the second decision is
flipped, each decision adds +1 if it equals the label, -1 if it equals the flipped label, 0 otherwise (None,
"A=B"); the pair is correct if the sum is > 0, incorrect if < 0, a tie at 0. A scalar reward model decides
as JudgeBench's reward-model judges do (``'A>B' if score_A > score_B else 'B>A'`` in each order), so it is
correct iff chosen > rejected and a tie on equal scores.

Aggregation (``run_judge.py`` ``main``): accuracy = share of correct pairs (the authors print 100x this),
for each source prefix ``mmlu-pro`` (Knowledge), ``livebench-reasoning`` (Reasoning), ``livebench-math``
(Math), ``livecodebench`` (Coding), and overall (prefix "", every pair). Here: ``overall`` over the items
of the run, ``sections`` by category, ``subsets`` by split, ``extra.by_split`` the category table per split,
and the authors' unreported counters (incorrect, tie, nulls, inconsistent, all / some / none correct), each
counted as ``compute_final_metrics`` does from the two decisions (:func:`pair_counters`): ``all_incorrect``
= neither decision equals the label (None and "A=B" included, not only counter -2), ``some_correct`` = the
pairs neither all correct nor all incorrect, ``inconsistent`` = decision1 != flipped decision2 (a scalar
model's equal scores too: B>A in both orders).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_str, optional
from assay.data.rows import DataError, Row
from assay.judges.scoring import judgebench_outcome
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Pair, user_prompt

HUB_ID = "ScalerLab/JudgeBench"
SPLITS: tuple[str, ...] = ("gpt", "claude")
# run_judge.py main: for source in ["mmlu-pro", "livebench-reasoning", "livebench-math", "livecodebench", ""]
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("mmlu-pro", "Knowledge"),
    ("livebench-reasoning", "Reasoning"),
    ("livebench-math", "Math"),
    ("livecodebench", "Coding"),
)
SECTION_NAMES = tuple(name for _, name in CATEGORIES)
OTHER = "other"


def category_of(source: str) -> str:
    """The paper's category of a ``source`` by its prefix (``x["source"].startswith(prefix)``)."""
    return next((name for prefix, name in CATEGORIES if source.startswith(prefix)), OTHER)


def split_of(response_model: str) -> str:
    low = response_model.lower()
    return next((s for s in SPLITS if low.startswith(s)), response_model)


def from_row(row: Row) -> Pair:
    label = get_str(row, "label")
    if label not in ("A>B", "B>A"):
        raise DataError.at(row, "label", f"{label!r} is neither 'A>B' nor 'B>A'")
    a, b = get_str(row, "response_A"), get_str(row, "response_B")
    source = get_str(row, "source")
    response_model = get_str(row, "response_model")
    split = split_of(response_model)
    pair_id = get_str(row, "pair_id")
    meta: dict[str, Any] = {
        "subset": split,
        "source": source,
        "category": category_of(source),
        "label": label,
        "response_model": response_model,
        "original_id": optional(row, "original_id"),
    }
    chosen, rejected = (a, b) if label == "A>B" else (b, a)
    return Pair(f"{split}:{pair_id}", user_prompt(get_str(row, "question")), chosen, rejected, meta)


def _rows(opts: LoadOptions) -> Iterator[Row]:
    from assay.data.rows import read_rows

    if opts.data:
        path = Path(opts.data).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{opts.data}: no such file or directory")
        yield from read_rows(str(path))
        return
    unknown = sorted(set(opts.subsets) - set(SPLITS))
    if unknown:
        raise ValueError(f"unknown JudgeBench split(s) {unknown}; available: {list(SPLITS)}")
    for split in SPLITS:
        if not opts.subsets or split in opts.subsets:
            yield from read_rows(HUB_ID, split=split)


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect

    return collect(
        _rows(opts),
        from_row,
        skip_invalid=opts.skip_invalid,
        source=opts.data or HUB_ID,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def _rm_decision(score_first: float, score_second: float) -> str:
    """JudgeBench's reward-model judges: ``'A>B' if score1 > score2 else 'B>A'``."""
    return "A>B" if score_first > score_second else "B>A"


def outcome(record: Record) -> dict[str, Any]:
    """``{"credit", "correct", "counter", "tie", "decisions", ...}`` by the two-order rule (judge or scalar
    records); ``decisions`` are the two orders' decisions as judged (the second not yet flipped)."""
    if "judgements" in record:
        from assay.protocols.judge_pairwise import judge_outcome

        return judge_outcome(record)
    s = record["scores"]
    chosen, rejected = float(s["chosen"]), float(s["rejected"])
    label = _label(record)
    score_a, score_b = (chosen, rejected) if label == "A>B" else (rejected, chosen)
    d1, d2 = _rm_decision(score_a, score_b), _rm_decision(score_b, score_a)
    counter, correct = judgebench_outcome(d1, d2, label)
    return {
        "credit": float(correct),
        "correct": int(correct),
        "counter": counter,
        "tie": counter == 0,
        "invalid": 0,
        "decisions": [d1, d2],
        "consistent": d1 == _FLIP[d2],
    }


_FLIP = {"A>B": "B>A", "B>A": "A>B"}


def _label(record: Record) -> str:
    """The label in the first order: the first judgement's placement, else the dataset's ``label``."""
    js = record.get("judgements")
    if js:
        return "A>B" if js[0]["chosen_label"] == "A" else "B>A"
    return str((record.get("meta") or {}).get("label", "A>B"))


def pair_counters(decisions: Sequence[Any], label: str) -> tuple[bool, bool, bool, bool]:
    """``(all_correct, all_incorrect, null, inconsistent)`` of one pair, as ``compute_final_metrics`` counts
    them from ``decision1`` and the flipped ``decision2``: all correct if both equal the label, all incorrect
    if NEITHER does (a None or "A=B" decision counts as not correct, so a pair at counter -1 or 0 can be all
    incorrect), null if either is None, inconsistent if they differ. ``some_correct`` is the rest."""
    d1 = decisions[0]
    d2 = decisions[1]
    d2 = _FLIP.get(d2, d2) if isinstance(d2, str) else d2
    return d1 == label and d2 == label, d1 != label and d2 != label, d1 is None or d2 is None, d1 != d2


def _unit(rec: Record) -> tuple[str, list[float]]:
    """Stratum ``split|category`` and [correct, incorrect, tie, null, inconsistent, all, none] of one record."""
    o = outcome(rec)
    counter = int(o.get("counter", 1 if o["credit"] else -1))
    decisions = o.get("decisions")
    if decisions is not None and len(decisions) == 2:
        flags = [float(f) for f in pair_counters(decisions, _label(rec))]
        all_correct, all_incorrect, null, inconsistent = flags
    else:  # a record without the two decisions: only its counter is known
        all_correct, all_incorrect = float(counter == 2), float(counter == -2)
        null, inconsistent = 0.0, float("consistent" in o and not o["consistent"])
    meta = rec.get("meta") or {}
    key = f"{rec.get('subset', '')}|{meta.get('category') or category_of(str(meta.get('source', '')))}"
    return key, [
        float(counter > 0),
        float(counter < 0),
        float(counter == 0),
        null,
        inconsistent,
        all_correct,
        all_incorrect,
    ]


def _share(col: int, split: str | None = None, category: str | None = None) -> Any:
    def stat(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
        num: Any = 0.0
        den: Any = 0.0
        for key, a in sampled.items():
            sp, cat = key.split("|", 1)
            if (split is None or sp == split) and (category is None or cat == category):
                num = num + a[..., col].sum(axis=1)
                den = den + a.shape[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(num, dtype=float) / np.asarray(den, dtype=float)

    return stat


COUNTERS = ("incorrect", "tie", "null", "inconsistent", "all_correct", "all_incorrect")


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    strata: dict[str, list[list[float]]] = {}
    for rec in records:
        key, unit = _unit(rec)
        strata.setdefault(key, []).append(unit)
    groups = {k: np.array(v, dtype=float).reshape(-1, 7) for k, v in strata.items()}
    splits = sorted({k.split("|", 1)[0] for k in groups})
    cats = [c for c in (*SECTION_NAMES, OTHER) if any(k.endswith("|" + c) for k in groups)]
    stats: dict[str, Any] = {"overall": _share(0)}
    n: dict[str, int] = {"overall": len(records)}
    for cat in cats:
        stats[f"cat:{cat}"] = _share(0, category=cat)
        n[f"cat:{cat}"] = sum(len(a) for k, a in groups.items() if k.endswith("|" + cat))
    for sp in splits:
        stats[f"split:{sp}"] = _share(0, split=sp)
        n[f"split:{sp}"] = sum(len(a) for k, a in groups.items() if k.startswith(sp + "|"))
        for cat in cats:
            if f"{sp}|{cat}" in groups:
                stats[f"cell:{sp}:{cat}"] = _share(0, sp, cat)
                n[f"cell:{sp}:{cat}"] = len(groups[f"{sp}|{cat}"])
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="judgebench")
    all_units = np.concatenate(list(groups.values()))
    counts = {name: int(all_units[:, i + 1].sum()) for i, name in enumerate(COUNTERS)}
    counts["correct"] = int(all_units[:, 0].sum())
    counts["some_correct"] = len(all_units) - counts["all_correct"] - counts["all_incorrect"]
    return {
        "overall": cis["overall"],
        "sections": {c: cis[f"cat:{c}"] for c in cats if c != OTHER},
        "subsets": {sp: cis[f"split:{sp}"] for sp in splits},
        "counts": {"items": len(records), "ties": counts["tie"]},
        "extra": {
            "by_split": {sp: {c: cis[f"cell:{sp}:{c}"] for c in cats if f"cell:{sp}:{c}" in cis} for sp in splits},
            "pairs": counts,
            "not_in_sections": {OTHER: n[f"cat:{OTHER}"]} if OTHER in cats else {},
            "scale": "fractions; the authors print 100 x accuracy",
        },
    }


@register
def judgebench() -> Benchmark:
    return Benchmark(
        name="judgebench",
        description="JudgeBench: 620 hard GPT-4o / Claude-3.5 response pairs (knowledge, reasoning, math, "
        "coding); both orders, correct iff the two verdicts sum > 0; accuracy per category and overall.",
        source="Tan et al. 2024 (arXiv:2410.12784); ScalerLab/JudgeBench run_judge.py judge_pairs / main, "
        "utils/metrics.py compute_final_metrics, utils/judges.py Vanilla / ArenaHard",
        hub_id=HUB_ID,
        subsets=SPLITS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        sections={name: SPLITS for name in SECTION_NAMES},
    )
