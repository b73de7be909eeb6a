"""RMB (Zhou et al. 2024, arXiv:2410.09893, ICLR 2025): 49 scenarios, helpfulness and harmlessness,
pairwise and best-of-N.

Data: the authors' folder ``RMB_dataset`` of repo Zhou-Zoey/RMB-Reward-Model-Benchmark (no official
hub copy; ``--data`` must point at ``RMB_dataset``, one of its subfolders or one of its .json files).
Layout ``{Pairwise_set,BoN_set}/{Helpfulness/<category>/<scenario>,Harmlessness/<scenario>}.json``,
each file a JSON list of rows:

* pairwise: ``{pair_uid, conversation_input: [{role, content, language}], chosen: {llm_name, answer},
  reject: {llm_name, answer}, category_path}`` -> Pair;
* best-of-N: ``{bon_uid, conversation_input, bon_best: {llm_name, answer}, loser_list: [{llm_name,
  answer}, ...], category_path}`` -> Candidates (best first, ``best=(0,)``).

``category_path`` (e.g. ``Pairwise_set/Helpfulness/Code/Documentation``) is the scenario; its first
two parts give the track (subset): pairwise-helpfulness, pairwise-harmlessness, bon-helpfulness,
bon-harmlessness. Sample ids are ``<track>:<uid>``.

Aggregation, as the authors' ``eval/scripts/my_run_rm.py`` (``results = [1 if chosen > rejected else
0 ...]``, ``model_acc = sum(results) / len(results)`` over every file of the folder run) and the
RM-R1 re-implementation (``eval/RMB-Reward-Model-Benchmark/eval/scripts/run_rm.py``,
``run_rm_bestofn.py``, ``process_final_result.py``; the authors' own ``my_run_bon.py`` reads an internal
CSV, not the released JSON):

* pairwise item: ``chosen > rejected`` (ties and NaN wrong);
* BoN item: correct iff the best response beats every loser strictly (each (best, loser) pair must be
  ``chosen > rejected``: ``metrics.bestofn.rmb_bon``);
* scenario accuracy: mean over the scenario's items (``results_grouped[category_path]``);
* track accuracy: micro mean over all items of the track ("Overall_accuracy", "BoN Final Accuracy");
* overall: plain mean of the four track accuracies ("Accuracy Averaged from Four Sections"; the
  paper's Table 3 ranks by "the average score of all subsets").

Also reported (``extra``): the per-category micro accuracy (helpfulness categories such as Code; for
harmlessness the category is the scenario), per-language accuracy, and each track's unweighted mean
over its scenarios (``aggregate_with(track_mean="scenario")`` makes that the track score).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assay.benchmarks.pairs import candidates_outcome, pairs_outcome, row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.data.fields import get_prompt, get_str
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Candidates, Pair, Sample

REPO = "https://github.com/Zhou-Zoey/RMB-Reward-Model-Benchmark"
SETS = {"Pairwise_set": "pairwise", "BoN_set": "bon"}
GOALS = ("Helpfulness", "Harmlessness")
TRACKS: tuple[str, ...] = ("pairwise-helpfulness", "pairwise-harmlessness", "bon-helpfulness", "bon-harmlessness")
TrackMean = Literal["micro", "scenario"]
Group = tuple[str, str]  # (scenario = category_path, language)


def _answer(row: Row, field: str, index: int | None = None) -> tuple[str, str | None]:
    """(answer, llm_name) of a ``{llm_name, answer}`` object at ``field`` (or ``field[index]``)."""
    label = field if index is None else f"{field}[{index}]"
    obj = row.data.get(field)
    if index is not None:
        obj = obj[index]  # type: ignore[index]
    if not isinstance(obj, dict):
        kind = "missing" if obj is None else f"expected an object {{llm_name, answer}}, got {type(obj).__name__}"
        raise DataError.at(row, label, kind)
    answer = obj.get("answer")
    if not isinstance(answer, str):
        got = "missing" if answer is None else type(answer).__name__
        raise DataError.at(row, f"{label}.answer", f"expected a string, got {got}")
    if not answer.strip():
        raise DataError.at(row, f"{label}.answer", "empty (or whitespace only)")
    name = obj.get("llm_name")
    if name is not None and not isinstance(name, str):
        raise DataError.at(row, f"{label}.llm_name", f"expected a string, got {type(name).__name__}")
    return answer, name


def _language(row: Row) -> str:
    """The conversation's language(s) from each message's ``language``, joined by '+' in first-seen order."""
    msgs = row.data.get("conversation_input")
    langs: dict[str, None] = {}
    for i, m in enumerate(msgs if isinstance(msgs, list) else []):
        lang = m.get("language") if isinstance(m, dict) else None
        if not isinstance(lang, str) or not lang.strip():
            raise DataError.at(row, f"conversation_input[{i}].language", "missing or not a non-empty string")
        langs[lang.strip()] = None
    return "+".join(langs)


def parse_path(row: Row, shape: str) -> dict[str, str]:
    """Track, goal, category and scenario from ``category_path``; checked against the row's shape."""
    path = get_str(row, "category_path")
    parts = path.split("/")
    if len(parts) < 3 or parts[0] not in SETS or parts[1] not in GOALS:
        raise DataError.at(
            row, "category_path", f"{path!r} is not '<Pairwise_set|BoN_set>/<Helpfulness|Harmlessness>/...'"
        )
    if SETS[parts[0]] != shape:
        raise DataError.at(row, "category_path", f"{path!r} names {parts[0]} but the row is a {shape} row")
    return {
        "subset": f"{shape}-{parts[1].lower()}",
        "goal": parts[1],
        "category": parts[2],
        "scenario": path,
    }


def from_row(row: Row) -> Sample:
    """An RMB row as a Pair (pairwise) or Candidates (best-of-N, best first)."""
    row.check()
    if "bon_best" in row.data or "loser_list" in row.data:
        shape = "bon"
    elif "pair_uid" in row.data or "chosen" in row.data:
        shape = "pairwise"
    else:
        cols = ", ".join(sorted(map(str, row.data)))
        raise DataError.at(
            row,
            None,
            f"neither a pairwise row (pair_uid, chosen, reject) nor a BoN row "
            f"(bon_uid, bon_best, loser_list); columns: {cols}",
        )
    info = parse_path(row, shape)
    prompt = get_prompt(row, "conversation_input")
    meta: dict[str, Any] = {**info, "language": _language(row)}
    if shape == "pairwise":
        chosen, chosen_model = _answer(row, "chosen")
        rejected, rejected_model = _answer(row, "reject")
        meta.update(chosen_model=chosen_model, rejected_model=rejected_model)
        return Pair(f"{info['subset']}:{row_id(row, 'pair_uid')}", prompt, chosen, rejected, meta)
    best, best_model = _answer(row, "bon_best")
    losers = row.data.get("loser_list")
    if not isinstance(losers, list):
        got = "missing" if losers is None else type(losers).__name__
        raise DataError.at(row, "loser_list", f"expected a list of {{llm_name, answer}} objects, got {got}")
    if not losers:
        raise DataError.at(row, "loser_list", "empty: a best-of-N row needs at least one loser")
    pairs = [_answer(row, "loser_list", i) for i in range(len(losers))]
    meta.update(n_losers=len(pairs), models=[best_model, *(m for _, m in pairs)])
    responses = (best, *(a for a, _ in pairs))
    return Candidates(f"{info['subset']}:{row_id(row, 'bon_uid')}", prompt, responses, (0,), meta=meta)


def data_files(path: Path) -> list[Path]:
    """The .json files under ``path`` (or ``path`` itself), sorted; hidden folders skipped."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or directory")
    files = sorted(
        p
        for p in path.rglob("*.json")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise DataError(
            str(path),
            None,
            None,
            "no .json files: expected the RMB_dataset layout "
            "{Pairwise_set,BoN_set}/{Helpfulness/<category>/<scenario>,Harmlessness/<scenario>}.json",
        )
    return files


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    if not opts.data:
        raise ValueError(
            f"rmb has no official hub copy of its data layout: clone {REPO} and pass "
            "--data <clone>/RMB_dataset (or one of its subfolders or files)"
        )
    files = data_files(Path(opts.data).expanduser())
    rows = (r for f in files for r in read_rows(str(f)))
    return collect(
        rows, from_row, skip_invalid=opts.skip_invalid, source=opts.data, subsets=opts.subsets, limit=opts.limit
    )


def outcome(record: Record) -> dict[str, Any]:
    """Pairs: ``chosen > rejected``; BoN: best strictly above every loser (``rmb_bon``)."""
    if record["kind"] == "pair":
        return pairs_outcome(record)
    return candidates_outcome(record, "rmb")


class _BatchSums:
    """Per-group sums of one resample batch, computed once and shared by every statistic."""

    def __init__(self) -> None:
        self._batch: Mapping[Group, np.ndarray] | None = None
        self._sums: dict[Group, np.ndarray] = {}

    def __call__(self, sampled: Mapping[Group, np.ndarray]) -> dict[Group, np.ndarray]:
        if self._batch is not sampled:
            self._batch, self._sums = sampled, {g: a.sum(axis=1) for g, a in sampled.items()}
        return self._sums


def _track(scenario: str) -> str:
    parts = scenario.split("/")
    return f"{SETS[parts[0]]}-{parts[1].lower()}"


def _category(scenario: str) -> str:
    return scenario.split("/")[2]


def aggregate_with(
    records: Sequence[Record], seed: int, n_boot: int, *, track_mean: TrackMean = "micro"
) -> dict[str, Any]:
    """RMB metrics; ``track_mean="scenario"`` scores a track as the mean of its scenario accuracies."""
    if not records:
        raise ValueError("no records to aggregate")
    if track_mean not in ("micro", "scenario"):
        raise ValueError(f"track_mean must be 'micro' or 'scenario', got {track_mean!r}")
    credits: dict[Group, list[float]] = {}
    ties = 0
    for rec in records:
        meta = rec.get("meta") or {}
        scenario, language = meta.get("scenario"), meta.get("language")
        if not isinstance(scenario, str) or not isinstance(language, str):
            raise ValueError(f"item {rec.get('id')}: meta needs 'scenario' and 'language' (an RMB record?)")
        parts = scenario.split("/")
        if len(parts) < 3 or parts[0] not in SETS or parts[1] not in GOALS:
            raise ValueError(f"item {rec.get('id')}: scenario {scenario!r} is not an RMB category_path")
        o = outcome(rec)
        ties += bool(o.get("tie"))
        credits.setdefault((scenario, language), []).append(float(o["credit"]))
    groups = {g: np.array(v, dtype=float) for g, v in credits.items()}
    count = {g: len(v) for g, v in groups.items()}
    sums = _BatchSums()

    def micro(members: list[Group]) -> Callable[[Mapping[Group, np.ndarray]], np.ndarray]:
        total = sum(count[g] for g in members)
        return lambda s: sum(sums(s)[g] for g in members) / total  # type: ignore[return-value]

    scenarios = sorted({g[0] for g in groups})
    by = {
        "scenario": {sc: [g for g in groups if g[0] == sc] for sc in scenarios},
        "track": {t: [g for g in groups if _track(g[0]) == t] for t in TRACKS},
    }
    tracks = [t for t in TRACKS if by["track"][t]]
    scen_stat = {sc: micro(m) for sc, m in by["scenario"].items()}
    macro_stat = {
        t: (
            lambda s, t=t: (
                sum(scen_stat[sc](s) for sc in scenarios if _track(sc) == t)
                / sum(1 for sc in scenarios if _track(sc) == t)
            )
        )
        for t in tracks
    }
    track_stat = {t: macro_stat[t] if track_mean == "scenario" else micro(by["track"][t]) for t in tracks}
    stats: dict[str, Any] = {"overall": lambda s: sum(track_stat[t](s) for t in tracks) / len(tracks)}
    n: dict[str, int] = {"overall": len(records)}
    for t in tracks:
        stats[f"track:{t}"] = track_stat[t]
        stats[f"macro:{t}"] = macro_stat[t]
        n[f"track:{t}"] = n[f"macro:{t}"] = sum(count[g] for g in by["track"][t])
    for sc in scenarios:
        stats[f"scenario:{sc}"] = scen_stat[sc]
        n[f"scenario:{sc}"] = sum(count[g] for g in by["scenario"][sc])
    breakdowns: dict[str, dict[str, dict[str, list[Group]]]] = {"categories": {}, "languages": {}}
    for t in tracks:
        for g in by["track"][t]:
            breakdowns["categories"].setdefault(t, {}).setdefault(_category(g[0]), []).append(g)
            breakdowns["languages"].setdefault(t, {}).setdefault(g[1], []).append(g)
    for kind, per_track in breakdowns.items():
        for t, named in per_track.items():
            for name, members in named.items():
                stats[f"{kind}:{t}:{name}"] = micro(members)
                n[f"{kind}:{t}:{name}"] = sum(count[g] for g in members)
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="rmb")
    return {
        "overall": cis["overall"],
        "sections": {t: cis[f"track:{t}"] for t in tracks},
        "subsets": {sc: cis[f"scenario:{sc}"] for sc in scenarios},
        "counts": {"items": len(records), "ties": ties},
        "extra": {
            "track_mean": track_mean,
            "scenario_mean": {t: cis[f"macro:{t}"] for t in tracks},
            **{
                kind: {t: {name: cis[f"{kind}:{t}:{name}"] for name in sorted(named)} for t, named in per_track.items()}
                for kind, per_track in breakdowns.items()
            },
            "n_scenarios": {t: sum(1 for sc in scenarios if _track(sc) == t) for t in tracks},
        },
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """The authors' aggregation: micro track accuracies, overall = mean of the four tracks."""
    return aggregate_with(records, seed, n_boot)


@register
def rmb() -> Benchmark:
    return Benchmark(
        name="rmb",
        description="RMB: 49 scenarios of helpfulness and harmlessness; pairwise accuracy and best-of-N "
        "(best must beat every loser); overall = mean of the four tracks. Needs --data RMB_dataset.",
        source="Zhou et al. 2024 (arXiv:2410.09893); Zhou-Zoey/RMB-Reward-Model-Benchmark "
        "eval/scripts/my_run_rm.py; RM-R1-UIUC/RM-R1 eval/RMB-Reward-Model-Benchmark/eval/scripts/"
        "run_rm.py, run_rm_bestofn.py, process_final_result.py",
        hub_id=None,
        subsets=TRACKS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        sections={g: tuple(t for t in TRACKS if t.endswith(g.lower())) for g in GOALS},
    )
