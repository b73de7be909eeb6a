"""Long-RewardBench (Tang et al. 2025, "LongRM: Revealing and Unlocking the Context Boundary of Reward
Modeling", arXiv:2510.06915): pairwise and best-of-N items over contexts of 4k to 128k tokens.

Data: hub ``LCM-Lab/LongRewardBench`` (also ModelScope ``LCM_group/LongReward-Bench-V1``), one JSON Lines
file per task: ``Cite, Code, ICL, LongQA, Math, Safety, Summ`` ``.jsonl``. Fields used:
``prompt_template`` (messages: the long context and the question), ``tasktype`` ("PairWise" | "BestOfN"),
``chosen``/``rejected`` (PairWise), ``candidates`` (BestOfN, best first: the true rank is the list index),
``subtype`` ("same" or not for PairWise; the number of candidates for BestOfN), ``ctx_length_for_length``
(the context-length bucket "4k" ... "128k"), and for reference ``id``, ``source``, ``chosen_model``,
``rejected_model``. The task is the file name (the original's ``subset = task_info``).

Scoring, as LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench``: the discriminative path
(``preprocess.py`` ``LongRewardBenchDisRMPreprocess``) scores ``prompt_template + [assistant: response]``
per response; ``utils/prompt.py`` ``extract_judgement(..., is_disrm=True)`` ranks the responses by score
(stable sort, descending) and ``evaluator.py`` ``compare_shuffled`` gives the item the fraction of
responses whose predicted rank equals the true rank (``metrics.bestofn.long_rank_credit``). A pair is 1
when chosen > rejected, else 0. Ties: the original breaks them by a seeded random presentation order;
assay's default gives the expected credit over that order (a tied pair is 0.5); ``aggregate_with(...,
ties="original")`` replays the original's ``random.seed(42)`` shuffles (kept per item in ``meta.order``).

Aggregation, exactly ``evaluator.py`` ``LongRewardBenchEvaluator.evaluate`` (all micro means over items):
tasks = PairWise accuracy per task (BestOfN items are not in the task columns); Same = PairWise items with
``subtype == "same"``, Diff = every other PairWise item; PairWise = all PairWise items; Rank2/3/4 =
BestOfN items with ``subtype == "2"/"3"/"4"``; BestOfN ("Rank Avg") = all BestOfN items; 4k ... 128k =
PairWise items by ``ctx_length_for_length``; overall ("AVG.") = all items. A column with no item is
left out (the original prints 0). Truncation: the run's default policy is "error" (``DEFAULT_TRUNCATION``);
``extra.truncation`` counts the truncated items and inputs from the records.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_prompt, get_str, get_str_list, optional
from assay.data.rows import DATA_SUFFIXES, DataError, Row
from assay.metrics.bestofn import long_rank_credit
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Candidates, Pair, Sample

HUB_ID = "LCM-Lab/LongRewardBench"
# evaluate/eval.py: tasks = ["LongQA", "Summ", "Safety", "ICL", "Cite", "Code", "Math"] (column order).
TASKS: tuple[str, ...] = ("LongQA", "Summ", "Safety", "ICL", "Cite", "Code", "Math")
# evaluator.py sample_numbers_map (items per task in the release).
SAMPLE_NUMBERS: dict[str, int] = {
    "Cite": 390,
    "Code": 197,
    "ICL": 162,
    "LongQA": 522,
    "Summ": 429,
    "Safety": 140,
    "Math": 60,
}
PAIR, BON = "PairWise", "BestOfN"  # evaluator.py task_formats
LENGTHS: tuple[str, ...] = ("4k", "8k", "16k", "32k", "64k", "128k")  # evaluate(): ctx_length buckets
RANKS: tuple[int, ...] = (2, 3, 4)  # evaluate(): rank_type in [2, 3, 4]
SECTIONS: tuple[str, ...] = ("Same", "Diff", PAIR, "Rank2", "Rank3", "Rank4", BON, *LENGTHS)
SHUFFLE_SEED = 42  # preprocess.py: random.seed(42)
DEFAULT_TRUNCATION = "error"
TIES = ("expected", "original")


def presentation_orders(sizes: Sequence[int], seed: int = SHUFFLE_SEED) -> list[list[int]]:
    """The original's presentation order per item of one task file (``order[p]`` = response shown at p).

    ``preprocess.py``: ``random.seed(42)``; ``random.shuffle(dataset)``; then, in shuffled order, per item
    ``order = list(range(k)); random.shuffle(order)`` with k = 2 or the number of candidates.
    """
    rng = random.Random(seed)
    visit = list(range(len(sizes)))
    rng.shuffle(visit)
    out: list[list[int]] = [[] for _ in sizes]
    for i in visit:
        order = list(range(sizes[i]))
        rng.shuffle(order)
        out[i] = order
    return out


def _size(row: Row) -> int | None:
    """Responses the original would shuffle for this row; None if its filter drops the row."""
    tasktype = row.data.get("tasktype") if row.error is None else None
    if tasktype and tasktype not in (PAIR, BON):
        return None
    cands = row.data.get("candidates") if row.error is None else None
    return len(cands) if tasktype == BON and isinstance(cands, list) else 2


def from_row(row: Row, task: str, order: Sequence[int] | None = None) -> Sample:
    """One Long-RewardBench row of task file ``task`` as a Pair (PairWise) or Candidates (BestOfN)."""
    tasktype = get_str(row, "tasktype")
    if tasktype not in (PAIR, BON):
        raise DataError.at(row, "tasktype", f"{tasktype!r} is neither {PAIR!r} nor {BON!r}")
    subtype = optional(row, "subtype")
    meta: dict[str, Any] = {
        "subset": task,
        "tasktype": tasktype,
        "subtype": str(subtype),  # evaluator.py: subtype = [str(k) for k in subTypes]
        "length": get_str(row, "ctx_length_for_length"),
        "source": optional(row, "source"),
        "source_id": optional(row, "id"),
    }
    item_id = f"{task}:{row.index}"
    prompt = get_prompt(row, "prompt_template")
    if tasktype == PAIR:
        models = [optional(row, "chosen_model"), optional(row, "rejected_model")]
        if all(isinstance(m, str) for m in models):
            meta["models"] = models
        meta["order"] = list(order) if order is not None else [0, 1]
        return Pair(item_id, prompt, get_str(row, "chosen"), get_str(row, "rejected"), meta)
    cands = get_str_list(row, "candidates")
    if len(cands) < 2:
        raise DataError.at(row, "candidates", f"a BestOfN item needs at least 2 candidates, got {len(cands)}")
    meta["order"] = list(order) if order is not None else list(range(len(cands)))
    return Candidates(item_id, prompt, tuple(cands), (0,), tuple(range(1, len(cands) + 1)), meta)


def _hub_file(name: str) -> Path:
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(HUB_ID, name, repo_type="dataset"))


def task_files(data: str | None, tasks: Sequence[str]) -> list[tuple[str, Path | None]]:
    """(task, file) for the tasks to read: ``{task}.jsonl`` (or another data suffix) in a folder, one file
    named after its task, or (``data`` None) the hub files, fetched lazily (file None)."""
    if data is None:
        return [(t, None) for t in tasks]
    path = Path(data).expanduser()
    if path.is_file():
        stem = path.name.split(".")[0]
        task = next((t for t in TASKS if t.lower() == stem.lower()), None)
        if task is None:
            expected = ", ".join(TASKS)
            raise DataError(str(path), None, None, f"name the file after its task ({expected}), e.g. Cite.jsonl")
        return [(task, path)] if task in tasks else []
    if not path.is_dir():
        raise FileNotFoundError(f"{data}: no such file or directory")
    found: list[tuple[str, Path | None]] = []
    for task in tasks:
        hits = sorted(p for p in path.iterdir() if p.is_file() and p.name.split(".")[0] == task)
        hits = [p for p in hits if p.name.removesuffix(".gz").endswith(DATA_SUFFIXES)]
        if len(hits) > 1:
            raise DataError(str(path), None, None, f"several files for task {task}: {[p.name for p in hits]}")
        found += [(task, hits[0])] if hits else []
    if not found:
        raise DataError(str(path), None, None, f"no task file ({', '.join(t + '.jsonl' for t in tasks)})")
    return found


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    unknown = sorted(set(opts.subsets) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown Long-RewardBench task(s) {unknown}; available: {list(TASKS)}")
    tasks = [t for t in TASKS if not opts.subsets or t in opts.subsets]
    files = task_files(opts.data, tasks)
    converters: dict[str, Callable[[Row], Sample]] = {}

    def rows() -> Iterator[Row]:
        for task, path in files:
            rows_ = list(read_rows(str(path if path is not None else _hub_file(f"{task}.jsonl"))))
            sizes = [_size(r) for r in rows_]
            orders = iter(presentation_orders([k for k in sizes if k is not None]))
            by_index = {r.index: (next(orders) if k is not None else None) for r, k in zip(rows_, sizes, strict=True)}
            if rows_:
                converters[rows_[0].source] = lambda row, t=task, o=by_index: from_row(row, t, o[row.index])
            yield from rows_

    source = opts.data or HUB_ID
    return collect(
        rows(),
        lambda row: converters[row.source](row),
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def _scores(record: Record) -> list[float]:
    s = record["scores"]
    return [s["chosen"], s["rejected"]] if isinstance(s, Mapping) else list(s)


def outcome_with(record: Record, ties: str = "expected") -> dict[str, Any]:
    """Rank-position credit of one record; ``ties`` "expected" (default) or "original" (replayed order)."""
    if "judgements" in record:  # a generative judge: Long-RM's compare_shuffled on its verdicts
        from assay.protocols.judge_pairwise import judge_outcome

        return judge_outcome(record)
    scores = _scores(record)
    ranking = list(range(1, len(scores) + 1))  # responses are listed best first
    if ties == "expected":
        out = long_rank_credit(scores, ranking)
        return {"credit": out["credit"], "tie": out["tie"], "pred_rank": out["pred_rank"]}
    if ties != "original":
        raise ValueError(f"unknown ties policy {ties!r}; use one of {', '.join(TIES)}")
    order = [int(i) for i in (record.get("meta") or {}).get("order", ranking)]
    if sorted(order) != list(range(len(scores))):
        raise ValueError(f"item {record.get('id')}: meta.order {order} is not a permutation of the responses")
    shown = long_rank_credit([scores[i] for i in order], [i + 1 for i in order], ties="stable")
    pred = [0] * len(scores)
    for pos, i in enumerate(order):
        pred[i] = shown["pred_rank"][pos]
    return {"credit": shown["credit"], "tie": shown["tie"], "pred_rank": pred}


def outcome(record: Record) -> dict[str, Any]:
    """``{"credit", "tie", "pred_rank"}``: compare_shuffled of the score ranking, expected over tie orders."""
    return outcome_with(record, "expected")


def _unit(rec: Record, credit: float) -> tuple[str, list[float]]:
    """Stratum ("PairWise|Cite") and [credit, is_same, length index, rank type] of one record."""
    meta = rec.get("meta") or {}
    tasktype = str(meta.get("tasktype"))
    subtype = str(meta.get("subtype"))
    length = LENGTHS.index(meta["length"]) if meta.get("length") in LENGTHS else -1
    rank = int(subtype) if tasktype == BON and subtype in {str(k) for k in RANKS} else -1
    same = 1.0 if tasktype == PAIR and subtype == "same" else 0.0
    return f"{tasktype}|{rec.get('subset', '')}", [credit, same, float(length), float(rank)]


Mask = Callable[[np.ndarray], np.ndarray]


def _mean(tasktypes: tuple[str, ...], mask: Mask, task: str | None = None) -> Callable[[Mapping[str, np.ndarray]], Any]:
    """Micro mean credit over the strata of ``tasktypes`` (one task if given) where ``mask`` holds."""

    def stat(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
        num: Any = 0.0
        den: Any = 0.0
        for key, a in sampled.items():
            tt, t = key.split("|", 1)
            if tt in tasktypes and (task is None or t == task):
                m = mask(a).astype(float)
                num = num + (a[..., 0] * m).sum(axis=1)
                den = den + m.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(num, dtype=float) / np.asarray(den, dtype=float)

    return stat


def _every(a: np.ndarray) -> np.ndarray:
    return np.ones(a.shape[:-1], dtype=bool)


def _stats() -> dict[str, tuple[tuple[str, ...], Mask, str | None]]:
    """Every column of the original's results.csv as (tasktypes, item mask, task)."""
    out: dict[str, tuple[tuple[str, ...], Mask, str | None]] = {f"task:{t}": ((PAIR,), _every, t) for t in TASKS}
    out |= {f"bon:{t}": ((BON,), _every, t) for t in TASKS}
    out["Same"] = ((PAIR,), lambda a: a[..., 1] == 1, None)
    out["Diff"] = ((PAIR,), lambda a: a[..., 1] == 0, None)
    out[PAIR] = ((PAIR,), _every, None)
    out |= {f"Rank{k}": ((BON,), lambda a, k=k: a[..., 3] == k, None) for k in RANKS}
    out[BON] = ((BON,), _every, None)
    out |= {b: ((PAIR,), lambda a, i=i: a[..., 2] == i, None) for i, b in enumerate(LENGTHS)}
    out["overall"] = ((PAIR, BON), _every, None)
    return out


def _checks(records: Sequence[Record]) -> dict[str, Any]:
    """What Same/Diff and Rank mean in the data at hand: subtype against models and candidate counts."""
    same_models = dict.fromkeys(
        ("same_equal_models", "same_different_models", "diff_equal_models", "diff_different_models"), 0
    )
    bon_mismatch = 0
    other_lengths: dict[str, int] = {}
    for rec in records:
        meta = rec.get("meta") or {}
        if meta.get("length") not in LENGTHS:
            other_lengths[str(meta.get("length"))] = other_lengths.get(str(meta.get("length")), 0) + 1
        if meta.get("tasktype") == PAIR and meta.get("models"):
            a, b = meta["models"]
            key = ("same" if meta.get("subtype") == "same" else "diff") + ("_equal" if a == b else "_different")
            same_models[key + "_models"] += 1
        elif meta.get("tasktype") == BON and meta.get("subtype") != str(len(_scores(rec))):
            bon_mismatch += 1
    return {"pair_subtype_vs_models": same_models, "bon_subtype_not_n": bon_mismatch, "other_lengths": other_lengths}


def aggregate_with(records: Sequence[Record], seed: int, n_boot: int, *, ties: str = "expected") -> dict[str, Any]:
    """The original's results.csv columns as metrics; ``ties`` as in ``outcome_with``."""
    if not records:
        raise ValueError("no records to aggregate")
    strata: dict[str, list[list[float]]] = {}
    n_ties = 0
    for rec in records:
        out = outcome_with(rec, ties)
        n_ties += bool(out["tie"])
        key, unit = _unit(rec, out["credit"])
        strata.setdefault(key, []).append(unit)
    groups = {k: np.array(v, dtype=float).reshape(-1, 4) for k, v in strata.items()}
    specs = _stats()
    counts = {n: int(sum(spec[1](a).sum() for k, a in groups.items() if _in(k, spec))) for n, spec in specs.items()}
    stats = {name: _mean(*spec) for name, spec in specs.items() if counts[name] > 0}
    cis = stratified_cis(groups, stats, seed, n_boot, n=counts, key="longrewardbench")
    n_items = {tt: sum(len(a) for k, a in groups.items() if k.startswith(tt + "|")) for tt in (PAIR, BON)}
    per_task = {t: sum(len(a) for k, a in groups.items() if k.endswith("|" + t)) for t in TASKS}
    truncated = [int(r.get("truncated") or 0) for r in records]
    return {
        "overall": cis["overall"],
        "sections": {s: cis[s] for s in SECTIONS if s in cis},
        "subsets": {t: cis[f"task:{t}"] for t in TASKS if f"task:{t}" in cis},
        "counts": {"items": len(records), "ties": n_ties},
        "extra": {
            "tasks_bestofn": {t: cis[f"bon:{t}"] for t in TASKS if f"bon:{t}" in cis},
            "items": {**n_items, "per_task": {t: n for t, n in per_task.items() if n}},
            "official_items_per_task": SAMPLE_NUMBERS,
            "ties_policy": ties,
            "truncation": {"items": sum(1 for t in truncated if t), "inputs": sum(truncated)},
            "checks": _checks(records),
        },
    }


def _in(key: str, spec: tuple[tuple[str, ...], Mask, str | None]) -> bool:
    tt, t = key.split("|", 1)
    return tt in spec[0] and (spec[2] is None or t == spec[2])


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    return aggregate_with(records, seed, n_boot)


@register
def longrewardbench() -> Benchmark:
    return Benchmark(
        name="long-rewardbench",
        description="Long-RewardBench: 1,900 long-context (4k-128k) pairwise and best-of-N items over 7 tasks; "
        "rank-position credit; by task, Same/Diff, Rank2-4 and length bucket.",
        source="Tang et al. 2025 (arXiv:2510.06915); LCM-Lab/Long-RM evaluate/evaluating/longreward_bench "
        "evaluator.py LongRewardBenchEvaluator.evaluate (compare_shuffled), utils/prompt.py extract_judgement, "
        "preprocess.py LongRewardBenchDisRMPreprocess",
        hub_id=HUB_ID,
        subsets=TASKS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        sections={PAIR: TASKS, BON: TASKS},
        default_truncation=DEFAULT_TRUNCATION,
    )
