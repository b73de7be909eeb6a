"""TARA data (Li et al., "Tool-Augmented Reward Modeling", ICLR 2024): the test files of the authors' release
as ``Item`` samples (and as ``Pair`` samples for reward models), for ``assay.benchmarks.tara``.

Data: the authors' ``data/`` folder of ernie-research/Tool-Augmented-Reward-Model (``--data`` points at it,
at one tool's folder or at one test file). One JSON Lines test file per tool (``SUBSET_FILES``); each row
``{id, question, [context], pos_answer, neg_answer, [test_list]}``, an answer being ``{answer, score,
actions, score_agent: {explanation, score}}`` where ``actions`` is the recorded tool use (one
``{Thought, Action, Action Input, Observation}`` dict, or a multi-step ``Thought: ...`` string in
``multi_tools``). ``weather/weather_history.json`` and ``translator/translate_history.json`` hold the
recorded tool outputs the offline tools replay; the ``wiki_search`` corpus is built from the recorded
wiki observations (``assay.tools.wiki_search``); the load fingerprint covers those files too.

The label is the authors' (``generate_themis.py`` ``collect_labels_preds``, ``generate_rm.py`` ``main``):
``label = pos_answer.score > neg_answer.score``. A row whose two scores are equal is kept with label False,
as there (it is not rejected); a bad field is a ``DataError`` naming file, row and field.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assay.benchmarks.pairs import row_id
from assay.benchmarks.registry import LoadOptions, LoadResult
from assay.data.fields import get_str, get_str_list
from assay.data.rows import DataError, Row
from assay.samples import Item, Pair, Sample, user_prompt
from assay.tools.trace import recorded_steps

REPO = "https://github.com/ernie-research/Tool-Augmented-Reward-Model"
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
    pos, neg = _answer(row, "pos"), _answer(row, "neg")  # equal scores are kept: label False, as the authors
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
    """``collect_labels_preds``: ``label = pos_score > neg_score`` (False when the data scores are equal)."""
    return bool(item.data["pos"]["score"] > item.data["neg"]["score"])


def prompt_text(item: Item) -> str:
    """``generate_rm.py``'s input without the answer: ``[Context: c\\n]Question: q``."""
    context = item.data["context"]
    question = f"Question: {item.data['question']}"
    return f"Context: {context}\n{question}" if context else question


def as_pair(item: Item) -> Pair:
    """The item as a preference pair: chosen = the side the label prefers (pos when ``label``, else neg: also
    on equal data scores); ``meta["chosen_side"]`` says which, for :func:`assay.benchmarks.tara.pair_outcome`."""
    first, second = ("pos", "neg") if label(item) else ("neg", "pos")
    meta = {**item.meta, "source_id": item.data["source_id"], "chosen_side": first}
    return Pair(item.id, user_prompt(prompt_text(item)), item.data[first]["answer"], item.data[second]["answer"], meta)
