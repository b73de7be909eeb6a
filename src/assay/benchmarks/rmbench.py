"""RM-Bench (Liu et al. 2024, arXiv:2410.16184): 3 chosen x 3 rejected responses per prompt in three styles.

Data: hub ``THU-KEG/RM-Bench`` (id, prompt, chosen[3], rejected[3], and the domain: ``domain`` in the
released ``total_dataset.json``, chat / code / math / safety-refuse / safety-response; a ``subset``
column is used when there is no ``domain``). Style order in both lists: concise, detailed plain text,
detailed markdown. Each of the six responses is scored once.

Aggregation, exactly as THU-KEG/RM-Bench ``scripts/utils.py`` ``compute_accuracy`` (the README shows
the same code):

* per item the 3x3 win matrix ``M[i][j] = score_chosen[i] > score_rejected[j]`` (strict; ties
  wrong); rows = chosen style, columns = rejected style;
* per domain ``acc_matrix`` = mean of M over the domain's items;
  hard = mean of the upper triangle ``np.triu(acc, 1)`` (i < j: a plainer chosen against a fancier
  rejected), normal = mean of the diagonal, easy = mean of the lower triangle (i > j);
* domains: ``split_dataset_by_domain`` puts an item in the first of chat, math, code, safety that its
  domain *starts with*, so safety-refuse and safety-response are pooled item-wise into safety;
  domain score = mean(hard, normal, easy);
* overall (``total_avg_acc``) = mean of the domain scores; overall hard/normal/easy = mean over domains.

Deviation: the original fails (IndexError) when a domain has no items; here the means run over the
domains present. Subset scores (the five released domains) are reported as mean(hard, normal, easy)
of their own items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assay.benchmarks.pairs import row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_prompt, get_str, get_str_list
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Candidates

HUB_ID = "THU-KEG/RM-Bench"
SPLIT: str | None = None  # the hub dataset has a single split; read_rows picks it
STYLES = ("concise", "detailed_plain", "detailed_markdown")
# THU-KEG/RM-Bench scripts/utils.py split_dataset_by_domain: domains = ["chat","math","code","safety"].
DOMAINS: tuple[str, ...] = ("chat", "math", "code", "safety")
SUBSETS: tuple[str, ...] = ("chat", "code", "math", "safety-refuse", "safety-response")
LEVELS = ("hard", "normal", "easy")
_UPPER = np.triu_indices(3, 1)
_LOWER = np.tril_indices(3, -1)


def domain_of(subset: str) -> str | None:
    """The domain an item counts in: the first of DOMAINS that ``subset`` starts with (else None)."""
    return next((d for d in DOMAINS if subset.startswith(d)), None)


def from_row(row: Row) -> Candidates:
    row.check()
    field = "domain" if row.data.get("domain") is not None else "subset"
    subset = get_str(row, field)
    chosen = get_str_list(row, "chosen", n=3)
    rejected = get_str_list(row, "rejected", n=3)
    if domain_of(subset) is None:
        raise DataError.at(row, field, f"{subset!r} is not in a RM-Bench domain ({', '.join(DOMAINS)})")
    return Candidates(
        id=row_id(row),
        prompt=get_prompt(row, "prompt"),
        responses=tuple(chosen + rejected),
        best=(0, 1, 2),
        meta={"subset": subset, "kind": "matrix", "n_chosen": 3},
    )


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    source = opts.data or HUB_ID
    return collect(
        read_rows(source, split=SPLIT),
        from_row,
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def win_matrix(chosen: Sequence[float], rejected: Sequence[float]) -> np.ndarray:
    """``M[i][j] = chosen[i] > rejected[j]`` as a 3x3 float array (compute_accuracy's inner loop)."""
    c = np.asarray(chosen, dtype=float).reshape(3, 1)
    r = np.asarray(rejected, dtype=float).reshape(1, 3)
    return (c > r).astype(float)


def levels(m: np.ndarray) -> tuple[float, float, float]:
    """(hard, normal, easy) of one 3x3 matrix: upper-triangle, diagonal and lower-triangle means."""
    return float(m[_UPPER].mean()), float(np.diag(m).mean()), float(m[_LOWER].mean())


def outcome(record: Record) -> dict[str, Any]:
    s = record["scores"]
    c, r = s["chosen"], s["rejected"]
    if len(c) != 3 or len(r) != 3:
        raise ValueError(f"item {record.get('id')}: RM-Bench needs 3 chosen and 3 rejected scores")
    m = win_matrix(c, r)
    hard, normal, easy = levels(m)
    tie = any(float(ci) == float(rj) for ci in c for rj in r)
    return {
        "credit": (hard + normal + easy) / 3,
        "hard": hard,
        "normal": normal,
        "easy": easy,
        "matrix": m.astype(int).tolist(),
        "tie": bool(tie),
    }


def _level_means(groups: Mapping[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Pooled (B, 3) hard/normal/easy over the items of ``names`` (arrays (B, n, 3))."""
    total = sum(groups[n].sum(axis=1) for n in names)
    count = sum(groups[n].shape[1] for n in names)
    return total / count  # type: ignore[no-any-return]


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    outs: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        outs.setdefault(str(rec.get("subset", "")), []).append(outcome(rec))
    groups = {k: np.array([[o["hard"], o["normal"], o["easy"]] for o in v]).reshape(-1, 3) for k, v in outs.items()}
    members = {d: [s for s in groups if domain_of(s) == d] for d in DOMAINS}
    members = {d: v for d, v in members.items() if v}
    if not members:
        raise ValueError(f"no RM-Bench domain in the records (subsets: {sorted(groups)})")

    def domain_levels(sampled: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {d: _level_means(sampled, names) for d, names in members.items()}

    def overall_levels(sampled: Mapping[str, np.ndarray]) -> np.ndarray:
        dl = domain_levels(sampled)
        return sum(dl.values()) / len(dl)  # type: ignore[no-any-return]

    stats: dict[str, Any] = {"overall": lambda s: overall_levels(s).mean(axis=1)}
    for j, lev in enumerate(LEVELS):
        stats[f"level:{lev}"] = lambda s, j=j: overall_levels(s)[:, j]
    for d in members:
        stats[f"domain:{d}"] = lambda s, d=d: _level_means(s, members[d]).mean(axis=1)
        for j, lev in enumerate(LEVELS):
            stats[f"domain:{d}:{lev}"] = lambda s, d=d, j=j: _level_means(s, members[d])[:, j]
    for name in groups:
        stats[f"subset:{name}"] = lambda s, name=name: s[name].mean(axis=(1, 2))
    n_dom = {d: sum(len(groups[s]) for s in names) for d, names in members.items()}
    n = {"overall": sum(n_dom.values()), **{f"level:{lev}": sum(n_dom.values()) for lev in LEVELS}}
    for d, k in n_dom.items():
        n[f"domain:{d}"] = k
        n.update({f"domain:{d}:{lev}": k for lev in LEVELS})
    n.update({f"subset:{s}": len(groups[s]) for s in groups})
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="rmbench")
    matrices = {
        d: np.mean([o["matrix"] for s in names for o in outs[s]], axis=0).tolist() for d, names in members.items()
    }
    return {
        "overall": cis["overall"],
        "sections": {d: cis[f"domain:{d}"] for d in members},
        "subsets": {s: cis[f"subset:{s}"] for s in groups},
        "counts": {"items": len(records), "ties": sum(1 for v in outs.values() for o in v if o["tie"])},
        "extra": {
            **{lev: cis[f"level:{lev}"] for lev in LEVELS},
            "domains": {d: {lev: cis[f"domain:{d}:{lev}"] for lev in LEVELS} for d in members},
            "acc_matrix": matrices,
            "styles": list(STYLES),
            "not_in_score": sorted(set(groups) - {s for v in members.values() for s in v}),
        },
    }


@register
def rmbench() -> Benchmark:
    return Benchmark(
        name="rmbench",
        description="RM-Bench: 3x3 style matrix of chosen vs rejected; hard/normal/easy; chat, math, code, "
        "safety; overall = mean of the domains.",
        source="Liu et al. 2024 (arXiv:2410.16184); THU-KEG/RM-Bench scripts/utils.py compute_accuracy, "
        "split_dataset_by_domain",
        hub_id=HUB_ID,
        subsets=SUBSETS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        sections={d: tuple(s for s in SUBSETS if domain_of(s) == d) for d in DOMAINS},
    )
