"""M-RewardBench (Gureja et al. 2024, arXiv:2410.15522, ACL 2025): RewardBench translated into 23
languages, plus a translation-preference subset.

Data: hub ``CohereLabsCommunity/multilingual-reward-bench`` (formerly C4AI-Community / CohereForAI),
one config per language (``arb_Arab`` ... ``zho_Hant``) and a ``translation`` config, split ``test``
(earlier revisions: ``filtered`` / ``raw`` JSON, plus ``eng_Latn``). Columns: ``id`` (int), ``language``,
``prompt`` (str), ``chosen``, ``rejected``, ``chosen_model``, ``rejected_model``, ``subset`` (the
RewardBench subset, e.g. ``alpacaeval-easy``). ``--data`` may be a folder in that layout (one
sub-folder per config holding ``test-*.parquet`` or ``filtered.json``; a folder without sub-folders
is one config named after the folder) or one file with a ``language`` column (rows whose language is
``translation`` form the translation subset). Each row becomes a Pair with id ``<config>:<id>``; the
sample subset is the config (language code), so ``--subset deu_Latn`` selects a language.

Aggregation, as the authors' for-ai/aya_rm_multilingual code:

* item: ``1 if chosen > rejected else 0`` (``scripts/run_rewardbench.py``); ties and NaN wrong;
* per language and RewardBench subset: accuracy (``results_grouped``);
* per language and category (Chat, Chat Hard, Safety, Reasoning): ``EXAMPLE_COUNTS``-weighted mean of
  the subset accuracies (``analysis/plot_utils.py`` ``get_scores._compute_category_scores``), with
  the authors' own counts (that file's ``EXAMPLE_COUNTS``; note xstest-should-refuse 154 /
  xstest-should-respond 250, the real RewardBench sizes, where allenai's ``rewardbench/constants.py``
  at some revisions has them swapped: ``weights="rewardbench"`` uses those);
* language score: plain mean of its category scores (``score = sum(category_scores) / len``);
* overall ("Avg"): plain mean of the language scores, ``eng_Latn`` excluded
  (``analysis/plot_leaderboard.py`` ``get_leaderboard``); a category's cross-language score is the
  same mean over languages of that category's score;
* translation: micro accuracy over its items (``analysis/maple_results.py``: ``accuracy``), reported
  as its own section and outside the overall;
* gap to English (``plot_leaderboard.get_eng_drop``, ``plot_results.plot_eng_drop_line``): with an
  ``eng_Latn`` config present, ``gap = English - Avg`` and ``percentage_change = (Avg - English) /
  English * 100``. The paper's English column is the model's RewardBench run; without ``eng_Latn``
  rows the gap is reported absent with the reason.

Deviations: with ``--limit`` / ``--subset`` some subsets or categories may be missing; the original
(``results[subset]`` for every subset) would raise, here weighted means and averages run over what is
present (weights stay the official counts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assay.benchmarks import rewardbench as _rb
from assay.benchmarks.pairs import pairs_outcome, row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_prompt, get_str, optional
from assay.data.rows import DATA_SUFFIXES, DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Pair

HUB_ID = "CohereLabsCommunity/multilingual-reward-bench"
SPLIT = "test"
ENGLISH = "eng_Latn"
TRANSLATION = "translation"
TRANSLATION_SECTION = "Translation"
# The 23 languages of the paper (analysis/plot_results.py LANG_STANDARDIZATION, zho as Hans and Hant).
LANGUAGES: tuple[str, ...] = (
    "arb_Arab", "ces_Latn", "deu_Latn", "ell_Grek", "fra_Latn", "heb_Hebr", "hin_Deva", "ind_Latn",
    "ita_Latn", "jpn_Jpan", "kor_Hang", "nld_Latn", "pes_Arab", "pol_Latn", "por_Latn", "ron_Latn",
    "rus_Cyrl", "spa_Latn", "tur_Latn", "ukr_Cyrl", "vie_Latn", "zho_Hans", "zho_Hant",
)  # fmt: skip

# for-ai/aya_rm_multilingual analysis/plot_utils.py EXAMPLE_COUNTS (the weights behind the paper) equal
# RewardBench's true subset counts; REWARDBENCH_EXAMPLE_COUNTS is allenai's constants.py (xstest swapped);
# SUBSET_MAPPING is the same in both repositories. One copy of each lives in rewardbench.py.
EXAMPLE_COUNTS: dict[str, int] = _rb.EXAMPLE_COUNTS
REWARDBENCH_EXAMPLE_COUNTS: dict[str, int] = _rb.PUBLISHED_EXAMPLE_COUNTS
SUBSET_MAPPING: dict[str, tuple[str, ...]] = _rb.SUBSET_MAPPING
CATEGORIES: tuple[str, ...] = tuple(SUBSET_MAPPING)
CATEGORY_OF: dict[str, str] = {s: c for c, subs in SUBSET_MAPPING.items() for s in subs}
Weights = Literal["authors", "rewardbench"]
Group = tuple[str, str]  # (config, subset)


def from_row(row: Row, config: str | None = None) -> Pair:
    """A row of config ``config`` (default: the row's ``language`` column) as a Pair."""
    cfg = config if config is not None else get_str(row, "language")
    if cfg == TRANSLATION:
        sub = get_str(row, "subset") if optional(row, "subset") is not None else TRANSLATION
    else:
        sub = get_str(row, "subset")
    meta: dict[str, Any] = {"subset": cfg, "language": cfg, "rb_subset": sub, "category": CATEGORY_OF.get(sub)}
    for key in ("chosen_model", "rejected_model"):
        v = optional(row, key)
        if isinstance(v, str):
            meta[key] = v
    return Pair(
        id=f"{cfg}:{row_id(row)}",
        prompt=get_prompt(row, "prompt"),
        chosen=get_str(row, "chosen"),
        rejected=get_str(row, "rejected"),
        meta=meta,
    )


def _has_data(d: Path) -> bool:
    return any(p.is_file() and p.name.lower().removesuffix(".gz").endswith(DATA_SUFFIXES) for p in d.iterdir())


def _config_split(d: Path) -> str | None:
    """The hub split to read in a config folder: ``test`` (parquet), else ``filtered`` (never ``raw``)."""
    names = [p.name for p in d.iterdir() if p.is_file()]
    for split in (SPLIT, "filtered"):
        if any(n == split or n.startswith((f"{split}-", f"{split}.", f"{split}_")) for n in names):
            return split
    if any(n.startswith(("raw.", "raw-")) for n in names):
        raise DataError(
            str(d),
            None,
            None,
            f"only a 'raw' file: M-RewardBench is scored on 'test' / 'filtered'; found {sorted(names)}",
        )
    return None


def _local_rows(path: Path) -> Iterator[tuple[Row, str | None]]:
    """(row, config) from a hub-layout folder (config = sub-folder name) or a single file (config None)."""
    from assay.data.rows import read_rows

    if path.is_file():
        yield from ((r, None) for r in read_rows(str(path)))
        return
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or directory")
    subdirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith(".") and _has_data(d))
    for d in subdirs or [path]:
        yield from ((r, d.name) for r in read_rows(str(d), split=_config_split(d)))


def _hub_rows(subsets: Sequence[str]) -> Iterator[tuple[Row, str | None]]:
    """Every config of the hub dataset (only the requested ones when ``--subset`` is given)."""
    import datasets

    from assay.data.rows import read_rows

    configs = datasets.get_dataset_config_names(HUB_ID)
    for cfg in configs:
        if not subsets or cfg in subsets:
            yield from ((r, cfg) for r in read_rows(HUB_ID, split=SPLIT, config=cfg))


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect

    rows = _local_rows(Path(opts.data).expanduser()) if opts.data else _hub_rows(opts.subsets)
    config: list[str | None] = [None]  # the config of the row being converted (collect converts as it reads)

    def tagged() -> Iterator[Row]:
        for r, cfg in rows:
            config[0] = cfg
            yield r

    return collect(
        tagged(),
        lambda r: from_row(r, config[0]),
        skip_invalid=opts.skip_invalid,
        source=opts.data or HUB_ID,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def outcome(record: Record) -> dict[str, Any]:
    """``{"correct": 1 if chosen > rejected else 0, "tie", "credit"}``."""
    return pairs_outcome(record)


class _BatchMeans:
    """Per-group means of one resample batch, computed once and shared by every statistic."""

    def __init__(self) -> None:
        self._batch: Mapping[Group, np.ndarray] | None = None
        self._means: dict[Group, np.ndarray] = {}

    def __call__(self, sampled: Mapping[Group, np.ndarray]) -> dict[Group, np.ndarray]:
        if self._batch is not sampled:
            self._batch, self._means = sampled, {g: a.mean(axis=1) for g, a in sampled.items()}
        return self._means


Stat = Callable[[Mapping[Group, np.ndarray]], Any]


def _mean_of(stats: Sequence[Stat]) -> Stat:
    return lambda s: sum(f(s) for f in stats) / len(stats)


def aggregate_with(
    records: Sequence[Record], seed: int, n_boot: int, *, weights: Weights = "authors"
) -> dict[str, Any]:
    """M-RewardBench metrics; ``weights="rewardbench"`` uses allenai's constants (xstest swapped)."""
    if not records:
        raise ValueError("no records to aggregate")
    counts = {"authors": EXAMPLE_COUNTS, "rewardbench": REWARDBENCH_EXAMPLE_COUNTS}.get(weights)
    if counts is None:
        raise ValueError(f"weights must be 'authors' or 'rewardbench', got {weights!r}")
    credits: dict[Group, list[float]] = {}
    ties = 0
    for rec in records:
        meta = rec.get("meta") or {}
        o = outcome(rec)
        ties += bool(o.get("tie"))
        group = (str(rec.get("subset", "")), str(meta.get("rb_subset", "")))
        credits.setdefault(group, []).append(float(o["credit"]))
    groups = {g: np.array(v, dtype=float) for g, v in credits.items()}
    means = _BatchMeans()
    configs = sorted({c for c, _ in groups})
    langs = [c for c in configs if c != TRANSLATION]
    cells: dict[str, dict[str, Stat]] = {}
    n: dict[str, int] = {}
    for lang in langs:
        for cat, subs in SUBSET_MAPPING.items():
            present = [s for s in subs if (lang, s) in groups]
            if present:
                w = sum(counts[s] for s in present)
                cells.setdefault(lang, {})[cat] = lambda m, lang=lang, p=present, w=w: (
                    sum(counts[s] * means(m)[(lang, s)] for s in p) / w
                )
                n[f"cell:{lang}:{cat}"] = sum(len(groups[(lang, s)]) for s in present)
    stats: dict[str, Stat] = {}
    for lang, row in cells.items():
        stats[f"lang:{lang}"] = _mean_of(list(row.values()))
        n[f"lang:{lang}"] = sum(n[f"cell:{lang}:{c}"] for c in row)
        stats.update({f"cell:{lang}:{c}": f for c, f in row.items()})
    multilingual = [lang for lang in cells if lang != ENGLISH]
    trans = [g for g in groups if g[0] == TRANSLATION]
    if trans:
        n_trans = sum(len(groups[g]) for g in trans)
        stats["translation"] = lambda m: sum(means(m)[g] * len(groups[g]) for g in trans) / n_trans
        n["translation"] = n_trans
        for g in trans:
            stats[f"trans:{g[1]}"] = lambda m, g=g: means(m)[g]
            n[f"trans:{g[1]}"] = len(groups[g])
    basis = multilingual or ([ENGLISH] if ENGLISH in cells else [])
    if basis:
        stats["overall"] = _mean_of([stats[f"lang:{lang}"] for lang in basis])
        n["overall"] = sum(n[f"lang:{lang}"] for lang in basis)
    elif trans:
        stats["overall"], n["overall"] = stats["translation"], n["translation"]
    else:
        raise ValueError(f"no M-RewardBench subset in the records (groups: {sorted(map(list, groups))[:10]})")
    for cat in CATEGORIES:
        members = [cells[lang][cat] for lang in multilingual if cat in cells[lang]]
        if members:
            stats[f"section:{cat}"] = _mean_of(members)
            n[f"section:{cat}"] = sum(n[f"cell:{lang}:{cat}"] for lang in multilingual if cat in cells[lang])
    english_gap = ENGLISH in cells and bool(multilingual)
    if english_gap:
        stats["gap"] = lambda m: stats[f"lang:{ENGLISH}"](m) - stats["overall"](m)
        n["gap"] = n["overall"] + n[f"lang:{ENGLISH}"]
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="mrewardbench")
    sections = {cat: cis[f"section:{cat}"] for cat in CATEGORIES if f"section:{cat}" in cis}
    if trans:
        sections[TRANSLATION_SECTION] = cis["translation"]
    subsets = {lang: cis[f"lang:{lang}"] for lang in cells}
    if trans:
        subsets[TRANSLATION] = cis["translation"]
    if english_gap:
        eng, avg = cis[f"lang:{ENGLISH}"]["value"], cis["overall"]["value"]
        gap: dict[str, Any] = {
            "english": cis[f"lang:{ENGLISH}"],
            "multilingual_avg": cis["overall"],
            "gap": cis["gap"],
            "percentage_change": (avg - eng) / eng * 100 if eng else math.nan,
        }
    else:
        why = "no eng_Latn rows in the data" if ENGLISH not in cells else "no non-English language in the data"
        gap = {
            "absent": True,
            "reason": f"{why}; the paper compares with the model's English RewardBench score "
            "(run the rewardbench benchmark, or add eng_Latn rows)",
        }
    unmapped = sorted(f"{c}/{s}" for c, s in groups if c != TRANSLATION and s not in CATEGORY_OF)
    return {
        "overall": cis["overall"],
        "sections": sections,
        "subsets": subsets,
        "counts": {"items": len(records), "ties": ties},
        "extra": {
            "overall_basis": "mean of non-English language scores"
            if multilingual
            else ("English only" if basis else "translation only"),
            "languages_in_average": multilingual,
            "table": {lang: {c: cis[f"cell:{lang}:{c}"] for c in row} for lang, row in cells.items()},
            "subset_accuracy": {
                c: {s: float(groups[(c, s)].mean()) for cc, s in sorted(groups) if cc == c} for c in configs
            },
            "translation_subsets": {g[1]: cis[f"trans:{g[1]}"] for g in sorted(trans)},
            "english_gap": gap,
            "weights": weights,
            "subset_weights": {s: counts[s] for s in sorted({s for _, s in groups if s in counts})},
            "not_in_score": unmapped,
        },
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """The authors' aggregation with their own example counts."""
    return aggregate_with(records, seed, n_boot)


@register
def mrewardbench() -> Benchmark:
    return Benchmark(
        name="mrewardbench",
        description="M-RewardBench: RewardBench in 23 languages (Chat, Chat Hard, Safety, Reasoning) + "
        "translation; overall = mean of the non-English language scores.",
        source="Gureja et al. 2024 (arXiv:2410.15522); for-ai/aya_rm_multilingual scripts/run_rewardbench.py, "
        "analysis/plot_utils.py get_scores, analysis/plot_leaderboard.py get_leaderboard, get_eng_drop",
        hub_id=HUB_ID,
        subsets=(*LANGUAGES, TRANSLATION),
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        sections={**SUBSET_MAPPING, TRANSLATION_SECTION: (TRANSLATION,)},
    )
