"""TARA (Li et al., "Tool-Augmented Reward Modeling", ICLR 2024): preference pairs whose judgement needs a tool.

Data: the authors' ``data/`` folder of ernie-research/Tool-Augmented-Reward-Model (``--data`` points at it,
at one tool's folder or at one test file). One JSON Lines test file per tool (``SUBSET_FILES``); each row
``{id, question, [context], pos_answer, neg_answer, [test_list]}``, an answer being ``{answer, score,
actions, score_agent: {explanation, score}}`` where ``actions`` is the recorded tool use (one
``{Thought, Action, Action Input, Observation}`` dict, or a multi-step ``Thought: ...`` string in
``multi_tools``). ``weather/weather_history.json`` and ``translator/translate_history.json`` hold the
recorded tool outputs the offline tools replay; the ``wiki_search`` corpus is built from the recorded
wiki observations (``assay.tools.wiki_search``).

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
``label = pos.score > neg.score`` (from the data), ``pred = pos_pred > neg_pred``; a pair whose pos or neg
generation failed gets ``pred = not label`` (counted wrong); accuracy = mean(pred == label) per tool
(subset). ``overall`` is the micro accuracy over all pairs (what the script prints for the ``mix`` data);
``extra.macro`` is the unweighted mean over tools. A tie (equal scores) is ``pred = False``: wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.benchmarks.pairs import credit_aggregate, pairs_aggregate, pairs_outcome, row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.data.fields import get_str, get_str_list
from assay.data.rows import DataError, Row
from assay.samples import Item, Pair, Sample, sample_to_json, user_prompt
from assay.tools.registry import ToolContext
from assay.tools.trace import INPUT_MODES, recorded_steps

if TYPE_CHECKING:
    from assay.protocols.context import RunContext

REPO = "https://github.com/ernie-research/Tool-Augmented-Reward-Model"
SOURCE = (
    "Li et al. 2024, Tool-Augmented Reward Modeling (ICLR, arXiv:2310.01045); "
    "ernie-research/Tool-Augmented-Reward-Model generate_themis.py (calculation_api, calendar_api, code_api, "
    "weather_api, translator_api, parse_actions, collect_labels_preds), src/utils/metrics.py accuracy"
)
SUBSET_FILES: dict[str, str] = {
    "calculator": "agent_calculator_test.json",
    "calendar": "agent_calendar_test.json",
    "code": "reserve_code_test_data.json",
    "multi_tools": "agent_multi_tools_test_action.json",
    "translator": "agent_translator_test.json",
    "weather": "agent_weather_test.json",
    "wikisearch": "agent_wikisearch_test_obs.json",
}
SUBSETS: tuple[str, ...] = tuple(SUBSET_FILES)
HISTORY_FILES = {"weather": "weather/weather_history.json", "translator": "translator/translate_history.json"}
WIKI_FILE = "wikisearch/agent_wikisearch_test_obs.json"
SIDES = ("pos", "neg")


# --------------------------------------------------------------------------------------------- loading


def data_files(path: Path) -> tuple[Path, list[tuple[str, Path]]]:
    """(the data root holding the tool folders, [(subset, test file)]) for a root, tool folder or file."""
    if path.is_file():
        subset = path.parent.name if path.parent.name in SUBSET_FILES else None
        subset = subset or next((s for s, f in SUBSET_FILES.items() if f == path.name), None)
        if subset is None:
            raise DataError(
                str(path), None, None, f"cannot tell the tool: put it in a folder named one of {list(SUBSETS)}"
            )
        return path.parent.parent, [(subset, path)]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.name in SUBSET_FILES and (path / SUBSET_FILES[path.name]).is_file():
        return path.parent, [(path.name, path / SUBSET_FILES[path.name])]
    found = [(s, path / s / f) for s, f in SUBSET_FILES.items() if (path / s / f).is_file()]
    if not found:
        expected = ", ".join(f"{s}/{f}" for s, f in SUBSET_FILES.items())
        raise DataError(str(path), None, None, f"no TARA test file; expected some of: {expected}")
    return path, found


def _answer(row: Row, side: str) -> dict[str, Any]:
    field = f"{side}_answer"
    obj = row.data.get(field)
    if not isinstance(obj, dict):
        raise DataError.at(row, field, "missing" if obj is None else f"expected an object, got {type(obj).__name__}")
    answer = obj.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise DataError.at(row, f"{field}.answer", "missing, empty or not a string")
    score = obj.get("score")
    try:
        score_f = float(score) if not isinstance(score, bool) else math.nan
    except (TypeError, ValueError):
        score_f = math.nan
    if not math.isfinite(score_f):
        raise DataError.at(row, f"{field}.score", f"expected a finite number, got {score!r:.40}")
    actions = obj.get("actions")
    try:
        steps = recorded_steps(actions)
    except TypeError as e:
        raise DataError.at(row, f"{field}.actions", str(e)) from None
    if isinstance(actions, dict):
        for key in ("Thought", "Action", "Action Input", "Observation"):
            if not isinstance(actions.get(key), str):
                raise DataError.at(row, f"{field}.actions.{key}", "missing or not a string")
    elif not steps:
        raise DataError.at(row, f"{field}.actions", "no 'Thought/Action/Action Input' step in the trace text")
    agent = obj.get("score_agent")
    explanation = agent.get("explanation") if isinstance(agent, dict) else None
    if agent is not None and not isinstance(explanation, str):
        raise DataError.at(row, f"{field}.score_agent.explanation", "missing or not a string")
    return {
        "answer": answer,
        "score": score_f,
        "steps": [s.to_json() for s in steps],
        "explanation": explanation,
    }


def from_row(row: Row, subset: str, root: Path) -> Item:
    """A TARA row as an ``Item``: question, context, both answers with their recorded steps, tests."""
    row.check()
    source_id = row_id(row, "id")
    question = get_str(row, "question")
    context = get_str(row, "context") if "context" in row.data or subset == "translator" else None
    pos, neg = _answer(row, "pos"), _answer(row, "neg")
    if pos["score"] == neg["score"]:
        raise DataError.at(row, "neg_answer.score", f"equals pos_answer.score ({pos['score']}): not a preference")
    tests = get_str_list(row, "test_list") if subset == "code" or "test_list" in row.data else []
    data = {
        "source_id": source_id,
        "question": question,
        "context": context,
        "pos": pos,
        "neg": neg,
        "test_list": tests,
    }
    meta = {"subset": subset, "data_root": str(root.resolve()), "source_file": row.source}
    return Item(f"{subset}:{source_id}", data, meta)


def read_jsonl(path: Path) -> Iterator[Row]:
    """The rows of a TARA test file: JSON Lines whatever the suffix (a one-row file is still a row); a line
    that does not parse becomes a row with ``error`` set, so ``collect`` reports or skips it."""
    src = str(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(src, None, None, f"cannot read file: {e}") from e
    index = 0
    for lineno, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            yield Row(src, index, {}, line=lineno, error=f"invalid JSON at column {e.colno}: {e.msg}")
        else:
            ok = isinstance(obj, dict)
            err = None if ok else f"expected a JSON object, got {type(obj).__name__}"
            yield Row(src, index, obj if ok else {}, line=lineno, error=err)
        index += 1


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def load_items(opts: LoadOptions) -> LoadResult:
    """The TARA items of ``opts.data``; the fingerprint also covers the replay files the tools read."""
    from assay.data.collect import collect

    if not opts.data:
        raise ValueError(f"tara needs its data folder: clone {REPO} and pass --data <clone>/data")
    unknown = sorted(set(opts.subsets) - set(SUBSETS))
    if unknown:
        raise ValueError(f"tara: unknown subset(s) {unknown}; the tools are {list(SUBSETS)}")
    root, files = data_files(Path(opts.data).expanduser())
    files = [(s, f) for s, f in files if not opts.subsets or s in opts.subsets]
    subset_by_source = {str(f): s for s, f in files}
    res = collect(
        (r for _, f in files for r in read_jsonl(f)),
        lambda r: from_row(r, subset_by_source[r.source], root),
        skip_invalid=opts.skip_invalid,
        source=opts.data,
        subsets=opts.subsets,
        limit=opts.limit,
    )
    extra = [_file_digest(root / p) for p in (*HISTORY_FILES.values(), WIKI_FILE)]
    fingerprint = hashlib.sha256("\n".join([res.fingerprint, *extra]).encode()).hexdigest()
    return replace(res, fingerprint=fingerprint)


def data_root(samples: Sequence[Sample]) -> Path:
    roots = {str(s.meta.get("data_root")) for s in samples}
    if len(roots) != 1:
        raise ValueError(f"tara: samples come from {len(roots)} data folders; run one at a time")
    return Path(roots.pop())


def label(item: Item) -> bool:
    return bool(item.data["pos"]["score"] > item.data["neg"]["score"])


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


def prompt_text(item: Item) -> str:
    """``generate_rm.py``'s input without the answer: ``[Context: c\\n]Question: q``."""
    context = item.data["context"]
    question = f"Question: {item.data['question']}"
    return f"Context: {context}\n{question}" if context else question


def as_pair(item: Item) -> Pair:
    """The item as a preference pair: chosen = the answer with the higher data score."""
    first, second = ("pos", "neg") if label(item) else ("neg", "pos")
    meta = {**item.meta, "source_id": item.data["source_id"], "chosen_side": first}
    return Pair(item.id, user_prompt(prompt_text(item)), item.data[first]["answer"], item.data[second]["answer"], meta)


def load_pairs(opts: LoadOptions) -> LoadResult:
    res = load_items(opts)
    return replace(res, samples=[as_pair(s) for s in res.samples if isinstance(s, Item)])


@register
def tara_rm() -> Benchmark:
    return Benchmark(
        name="tara-rm",
        description="TARA pairs for scalar reward models and pairwise judges (no tools): chosen > rejected "
        "per tool, as the authors' RM baselines. Needs --data <repo>/data.",
        source=SOURCE.replace("collect_labels_preds", "collect_labels_preds; generate_rm.py main"),
        hub_id=None,
        subsets=SUBSETS,
        load=load_pairs,
        outcome=pairs_outcome,
        aggregate=pairs_aggregate,
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
        outcome=pairs_outcome,
        aggregate=pairs_aggregate,
        predictions=exec_predictions,
    )
