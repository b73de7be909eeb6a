"""TARA (Li et al., "Tool-Augmented Reward Modeling", ICLR 2024): preference pairs whose judgement needs a tool.

Data: the authors' ``data/`` folder of ernie-research/Tool-Augmented-Reward-Model, one JSON Lines test file
per tool (``--data`` points at it, at one tool's folder or at one test file); read by
``assay.benchmarks.tara_data`` (rows, label, replay files), which also turns an item into a ``Pair``.

Three benchmarks share the loader:

* ``tara``: a generative tool-augmented judge (``assay.tools.judge``) scores each answer separately;
  ``--option observations=live|oracle|none`` (the model calls the tools / is given the recorded calls
  and observations / uses no tools), ``max_steps=3`` (the authors' ``--max_iteractions``),
  ``action_input=line|rest``.
* ``tara-rm``: the same pairs as ``Pair`` samples for scalar reward models and pairwise judges
  (``generate_rm.py``: prompt ``[Context: c\\n]Question: q``, the answers as responses).
* ``tara-exec``: the execution reference judge on code pairs, model-free: ``assay score tara-exec
  --predictions DATA`` runs both programs' tests in the sandbox; score = pass rate (``code_run``).

Metric, as ``generate_themis.py`` ``collect_labels_preds`` + ``src/utils/metrics.py`` ``accuracy``:
``label = pos.score > neg.score`` (from the data; equal data scores give label False and the row is kept),
``pred = pos_pred > neg_pred``; a pair whose pos or neg generation failed gets ``pred = not label`` (counted
wrong); accuracy = mean(pred == label) per tool (subset). ``overall`` is the micro accuracy over all pairs
(what the script prints for the ``mix`` data); ``extra.macro`` is the unweighted mean over tools. A tie
(``pos_pred == neg_pred``) is ``pred = False``: wrong when the label is True (pos scored higher in the data),
correct when it is False. ``tara-rm`` and ``tara-exec`` score pairs by the same rule (``generate_rm.py``:
``pred = pos_rm > neg_rm``, :func:`pair_outcome`): chosen > rejected when pos is chosen, and chosen >=
rejected when neg is (label False), so a tied score is right there too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.benchmarks.pairs import credit_aggregate, pairs_outcome
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.benchmarks.tara_data import (
    HISTORY_FILES,
    SIDES,
    SUBSETS,
    WIKI_FILE,
    as_pair,
    data_root,
    label,
    load_items,
    read_jsonl,
)
from assay.samples import Item, Sample, sample_to_json
from assay.tools.registry import ToolContext
from assay.tools.trace import INPUT_MODES, recorded_steps

if TYPE_CHECKING:
    from assay.protocols.context import RunContext

SOURCE = (
    "Li et al. 2024, Tool-Augmented Reward Modeling (ICLR, arXiv:2310.01045); "
    "ernie-research/Tool-Augmented-Reward-Model generate_themis.py (calculation_api, calendar_api, code_api, "
    "weather_api, translator_api, parse_actions, collect_labels_preds), src/utils/metrics.py accuracy"
)


# --------------------------------------------------------------------------------------------- tools


def wiki_corpus(root: Path) -> list[str]:
    """The ``wiki_search`` corpus: every distinct recorded wiki observation of the release, in file order."""
    from assay.tools.wiki_search import corpus_from_observations

    path = root / WIKI_FILE
    if not path.is_file():
        return []
    texts = []
    for row in read_jsonl(path):
        for side in SIDES:
            obj = row.data.get(f"{side}_answer") if row.error is None else None
            actions = obj.get("actions") if isinstance(obj, dict) else None
            for step in recorded_steps(actions) if isinstance(actions, dict | str) else []:
                if step.action == "wiki_search" and step.observation:
                    texts.append(step.observation)
    return corpus_from_observations(texts)


def toolbox(root: Path) -> dict[str, Any]:
    """The tools of a TARA run: the registered ones plus the replayed and the local-corpus tools whose
    data is present under ``root``."""
    from assay.tools.registry import registered_tools
    from assay.tools.replay import TranslateReplay, WeatherReplay, load_translate_history, load_weather_history
    from assay.tools.wiki_search import WikiSearch

    tools: dict[str, Any] = registered_tools()
    weather, translate = root / HISTORY_FILES["weather"], root / HISTORY_FILES["translator"]
    if weather.is_file():
        tools["history_weather"] = WeatherReplay(load_weather_history(weather))
    if translate.is_file():
        tools["translate"] = TranslateReplay(load_translate_history(translate))
    corpus = wiki_corpus(root)
    if corpus:
        tools["wiki_search"] = WikiSearch(corpus, source=f"{len(corpus)} recorded observations of {WIKI_FILE}")
    return tools


def tool_context(item: Item, side: str, action: str = "") -> ToolContext:
    """What a tool may read while one answer of ``item`` is judged (``translate`` replays by source id)."""
    return ToolContext(
        item_id=item.data["source_id"],
        action=action,
        question=item.data["question"],
        answer=item.data[side]["answer"],
        test_list=tuple(item.data["test_list"]),
    )


def recorded_calls(items: Sequence[Item]) -> list[Any]:
    """Every recorded tool call of ``items`` that has an observation, with the context to replay it."""
    from assay.tools.agreement import RecordedCall

    return [
        RecordedCall(
            f"{item.id}:{side}",
            st["action"],
            st["action_input"],
            st["observation"],
            tool_context(item, side, st["action"]),
        )
        for item in items
        for side in SIDES
        for st in item.data[side]["steps"]
        if st["observation"] is not None
    ]


# --------------------------------------------------------------------------------------------- tara


def run(samples: Sequence[Sample], ctx: RunContext, *, mode: str, max_steps: int, action_input: str) -> list[Record]:
    """Judge each answer of each pair separately with the tool-augmented judge; one record per pair."""
    from assay.models.gen_spec import is_generator_spec
    from assay.tools.judge import JudgeSettings, JudgeTask, run_judge
    from assay.tools.trace import Step

    spec = getattr(ctx, "spec", None)
    if isinstance(spec, str) and not is_generator_spec(spec):
        raise ValueError(
            f"tara needs a text generator (hfgen:, openai:...), got {spec!r}; score reward models on tara-rm"
        )
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("tara: expected TARA items")
    if not items:
        return []
    tools = toolbox(data_root(items))
    settings = JudgeSettings(mode=mode, max_steps=max_steps, input_mode=action_input, sampling=ctx.sampling)  # type: ignore[arg-type]
    tasks = [
        JudgeTask(
            key=f"{item.id}:{side}",
            question=item.data["question"],
            answer=item.data[side]["answer"],
            context=item.data["context"],
            tool_ctx=tool_context(item, side),
            recorded=tuple(Step(**st) for st in item.data[side]["steps"]),
        )
        for item in items
        for side in SIDES
    ]
    episodes = run_judge(tasks, ctx.generate, tools, settings)
    records = []
    for i, item in enumerate(items):
        rec = sample_to_json(item)
        pos, neg = episodes[2 * i], episodes[2 * i + 1]
        rec.update(
            kind="tara",
            mode=mode,
            label=label(item),
            tools=sorted(tools) if mode == "live" else [],
            judge={"pos": pos, "neg": neg},
            valid=bool(pos["valid"] and neg["valid"]),
        )
        records.append(rec)
    return records


def outcome(record: Record) -> dict[str, Any]:
    """``collect_labels_preds``: pred = pos > neg; a failed side makes pred = not label; credit = pred == label."""
    lab = bool(record["label"])
    sp, sn = record["judge"]["pos"]["score"], record["judge"]["neg"]["score"]
    failed = sp is None or sn is None
    pred = (not lab) if failed else float(sp) > float(sn)
    correct = pred == lab
    return {
        "credit": float(correct),
        "correct": int(correct),
        "failed": failed,
        "tie": (not failed) and float(sp) == float(sn),
        "pred": pred,
    }


def tool_stats(records: Sequence[Record]) -> dict[str, Any]:
    """Tool calls by tool and the errors by kind (unknown_tool, malformed_action, tool_error), over all
    episodes; invalid episodes by reason; mean generations per answer."""
    calls: dict[str, int] = {}
    errors: dict[str, int] = {}
    reasons: dict[str, int] = {}
    gens = n = 0
    for rec in records:
        for side in SIDES:
            ep = rec["judge"][side]
            n += 1
            gens += int(ep.get("n_generations", 0))
            if not ep["valid"]:
                key = str(ep.get("reason") or "invalid")
                reasons[key] = reasons.get(key, 0) + 1
            for st in ep["steps"]:
                if st.get("kind") == "action":
                    calls[st["action"]] = calls.get(st["action"], 0) + 1
                if st.get("error"):
                    errors[st["error"]] = errors.get(st["error"], 0) + 1
    return {
        "calls": dict(sorted(calls.items())),
        "errors": dict(sorted(errors.items())),
        "invalid": dict(sorted(reasons.items())),
        "mean_generations": gens / n if n else math.nan,
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """Accuracy per tool (subset) with bootstrap CIs, micro overall, macro in extra; failures and tool use."""
    failed: dict[str, int] = {}
    for rec in records:
        failed[rec["subset"]] = failed.get(rec["subset"], 0) + int(outcome(rec)["failed"])
    modes = sorted({str(r.get("mode")) for r in records})
    extra = {
        "rule": "pred = pos > neg; failed generation = wrong (pred = not label)",
        "mode": modes,
        "failed": failed,
        "tools": tool_stats(records),
    }
    return credit_aggregate(records, seed, n_boot, outcome, extra)


OPTIONS = {
    "observations": "live (the model calls the tools) | oracle (the data's recorded calls and observations are "
    "given) | none (no tools); default live",
    "max_steps": "generations per answer, tool rounds included (default 3, the authors' --max_iteractions)",
    "action_input": "line (first line of the Action Input, default) | rest (all text after it, as the authors)",
}


def _configure(values: Mapping[str, str]) -> Benchmark:
    mode = values.get("observations", "live")
    if mode not in ("live", "oracle", "none"):
        raise ValueError(f"tara: observations must be live, oracle or none, got {mode!r}")
    try:
        steps = int(values.get("max_steps", "3"))
    except ValueError:
        raise ValueError(f"tara: max_steps must be an integer, got {values['max_steps']!r}") from None
    if steps < 1:
        raise ValueError(f"tara: max_steps must be >= 1, got {steps}")
    action_input = values.get("action_input", "line")
    if action_input not in INPUT_MODES:
        raise ValueError(f"tara: action_input must be one of {', '.join(INPUT_MODES)}, got {action_input!r}")
    return _tara(mode, steps, action_input)


def _tara(mode: str = "live", max_steps: int = 3, action_input: str = "line") -> Benchmark:
    return Benchmark(
        name="tara",
        description="TARA: tool-augmented judging (Themis) of answers that need a calculator, calendar, code "
        "execution, weather, translation or Wikipedia; accuracy per tool, failed generation = wrong. "
        "Needs --data <repo>/data.",
        source=SOURCE,
        hub_id=None,
        subsets=SUBSETS,
        load=load_items,
        outcome=outcome,
        aggregate=aggregate,
        run=partial(run, mode=mode, max_steps=max_steps, action_input=action_input),
        options=OPTIONS,
        configure=_configure,
    )


register(_tara)


# --------------------------------------------------------------------------------------------- tara-rm


def pair_outcome(record: Record) -> dict[str, Any]:
    """``generate_rm.py``: ``pred = pos_rm > neg_rm``, credit = pred == label. With pos chosen (label True)
    that is chosen > rejected (a tie wrong); with neg chosen (label False: the data scores pos <= neg) it is
    ``not (rejected > chosen)``, so a tie is right. Judge records (``judgements``): ``pairs_outcome``."""
    if "judgements" in record or (record.get("meta") or {}).get("chosen_side", "pos") == "pos":
        return pairs_outcome(record)
    c, r = float(record["scores"]["chosen"]), float(record["scores"]["rejected"])
    correct = int(not r > c)
    return {"correct": correct, "tie": c == r, "credit": float(correct)}


def pair_aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    """Accuracy per tool and overall by :func:`pair_outcome`."""
    rule = "pred = pos > neg, credit = pred == label (chosen > rejected; chosen >= rejected when neg is chosen)"
    return credit_aggregate(records, seed, n_boot, pair_outcome, {"rule": rule})


def load_pairs(opts: LoadOptions) -> LoadResult:
    res = load_items(opts)
    return replace(res, samples=[as_pair(s) for s in res.samples if isinstance(s, Item)])


@register
def tara_rm() -> Benchmark:
    return Benchmark(
        name="tara-rm",
        description="TARA pairs for scalar reward models and pairwise judges (no tools): pred = pos > neg "
        "against the data's label per tool, as the authors' RM baselines. Needs --data <repo>/data.",
        source=SOURCE.replace("collect_labels_preds", "collect_labels_preds; generate_rm.py main"),
        hub_id=None,
        subsets=SUBSETS,
        load=load_pairs,
        outcome=pair_outcome,
        aggregate=pair_aggregate,
    )


# --------------------------------------------------------------------------------------------- tara-exec


def _no_model(opts: LoadOptions) -> LoadResult:
    raise ValueError(
        "tara-exec runs no model: score the code pairs with `assay score tara-exec --predictions <repo>/data` "
        "(or the code folder); for reward models on code pairs use `tara-rm --subsets code`"
    )


def exec_predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
    """Records of the execution judge: every code item's chosen and rejected programs run on its tests."""
    from assay.tools.exec_judge import judge_pairs

    res = load_items(replace(opts, data=str(path), subsets=opts.subsets or ("code",)))
    items = [s for s in res.samples if isinstance(s, Item) and s.data["test_list"]]
    pairs = [as_pair(item) for item in items]
    judged = judge_pairs([(p.chosen, p.rejected, item.data["test_list"]) for p, item in zip(pairs, items, strict=True)])
    records = []
    for pair, item, result in zip(pairs, items, judged, strict=True):
        rec = sample_to_json(pair)
        rec.update(kind="pair", test_list=item.data["test_list"], **result)
        records.append(rec)
    return PredictionsResult(records, res.source, res.fingerprint, res.skipped)


@register
def tara_exec() -> Benchmark:
    return Benchmark(
        name="tara-exec",
        description="Execution reference judge on TARA code pairs (model-free): each program's test pass rate "
        "in the sandbox, chosen > rejected. Run with `assay score tara-exec --predictions <repo>/data`.",
        source=SOURCE.replace("collect_labels_preds", "code_api, collect_labels_preds"),
        hub_id=None,
        subsets=("code",),
        load=_no_model,
        outcome=pair_outcome,
        aggregate=pair_aggregate,
        predictions=exec_predictions,
    )
