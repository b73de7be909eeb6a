"""CriticBench (Lin et al. 2024, "CriticBench: Benchmarking LLMs for Critique-Correct Reasoning",
arXiv:2402.14809): does a model see that a solution is wrong (critique), and can it then fix it (correction)?

Data: hub ``llm-agents/CriticBench``, split ``test``; columns ``id``, ``question``, ``response`` (the solution
to judge), ``response_label`` (bool: the response is correct), ``answer`` (gold answers; for MBPP/HumanEval
``answer[0]`` is the test code), ``question_source`` (one of 15 datasets = the subset) and ``question_type``
(the reasoning domain: mathematical, commonsense, symbolic, coding, algorithmic). An ``Item`` keeps them.

Protocol, as CriticBench/CriticBench ``src/evaluate.py`` ``evaluate_model`` with tasks "QC":

* critique prompt, then correction prompt with the critique inserted (``src/infer/infer.py``
  ``prepare_question_with_template`` + ``set_prompt``: ``(instruction + examples + question).strip()``);
  prompt files parsed as ``src/utils/data_processor.py`` ``DataProcessor.load_single_prompt``. Option
  ``prompt`` = the authors' ``--prompt_type`` (fs | zs-crit-cot | zs-crit-ao-1/2/3). Built in: the
  zero-shot ``zs-crit-cot`` templates (critique ``zero_shot_chain_of_thought.txt``, correction
  ``zero_shot_with_chain_of_thought_critique.txt``). The paper's few-shot prompts (and the ao variants) are
  read from a checkout of the authors' ``src/prompt`` folder: ``prompt_dir=PATH``. Not every built-in
  template was seen in the authors' files: those of ``INFERRED_SOURCES`` (12 of 15) are inferred (see
  ``criticbench_prompts``); each record says ``prompt_verified`` (true with ``prompt_dir`` and for released
  outputs), ``extra.inferred_prompt_sources`` lists the run's sources with inferred prompts and
  ``counts.prompt_unverified`` the items. All examples are kept
  (the authors drop examples only when a prompt exceeds the model's context); the generation is cut at the
  first of ``infer_hf``'s stop strings (vLLM ``stop``: the same text for greedy decoding).
* verdict: ``src/utils/parser.py`` ``extract_answer_str_by_answer_pattern`` (``json: verdict`` takes the
  JSON ``verdict``) then ``extract_answer_by_question_source(task="critique")``: ``[[correct]]`` xor
  ``[[wrong]]``; else the words "wrong"/"incorrect"/"not correct" -> wrong, "correct" -> correct; else unparsed.
* critique score (``src/infer/result_processor.py`` ``ResultProcessor.analyse_result``): 100 x F1 of the
  class "response is wrong" (sklearn ``f1_score``; 0 when there is no positive, as sklearn's
  zero_division); an unparsed verdict is forced to the *mistaken* prediction (``pred_labels.append(check[0])``),
  reported separately in ``counts.critique_unparsed``. A missing critique counts the same (the authors'
  code crashes there). ``extra.discriminability`` = right verdicts / parsed verdicts (Critique-RL's
  discriminability, unparsed excluded).
* correction accuracy (``ResultProcessor.result_check`` task "correction", over all items): the answer is
  extracted per source (``extract_answer_by_question_source``, ported) and compared as the authors do:
  HotpotQA/AmbigNQ ``EM`` to any gold answer; AQuA/CSQA/Date/Penguins/Colored Object
  ``math_equal(gold.lower(), pred.lower())``; Repeat Copy ``math_equal(raw.strip(), gold)``; GSM8K/Object
  Counting/StrategyQA/TabMWP/MATH lower-cased ``math_equal(pred, gold)`` (``src/utils/grader.py``, ported:
  numbers, else strings, no sympy); the MATH answer is extracted with the shared grader's
  ``extract_answer`` + ``strip_string`` (the ToRA parser lineage of the authors' ``extract_latex_answer``).
  Option ``grader=shared`` compares MATH/GSM8K/Object Counting/TabMWP with
  ``assay.critics.grader.equivalent`` (sympy-backed, more lenient than the authors' string ``math_equal``).
  Bug fixed (``original_bug=true`` restores it): a MATH answer already isolated by the answer format
  (``[[3/8]]``) is taken whole, where upstream keeps only its last number ("8"); and a TabMWP final fraction
  is kept (``extract_answer``). MBPP/HumanEval need execution (``check_code``: program = code + "\n" +
  test): run on the ``assay.sandbox`` pool when installed (code_eval's 3 s timeout as a CPU-time limit, wall
  clock capped at 15 s), otherwise recorded as not supported and left out of the accuracy
  (``counts.correction_not_supported``). Bug fixed as well: under a ``json: code`` prompt the authors
  execute the raw reply (JSON text), here the extracted code.
* metrics are fractions (the report shows x100 like the paper): overall = critique F1; per task
  (question_source) in ``subsets``, per domain (question_type) in ``sections``; correction accuracy and
  discriminability in ``extra``; seeded bootstrap CIs resampling items within (task, domain) cells.

Parts (``assay.critics``): ``criticbench_parse`` (parser.py), ``criticbench_grade`` (grader.py, result_check,
check_code), ``criticbench_prompts`` (prompt files, built-in templates, stop strings), ``criticbench_data``
(dataset rows, released results), ``criticbench_metrics`` (F1, bootstrap levels). This module wires them:
options, the two-round protocol, records, outcome and aggregation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.critics.criticbench_data import from_row, read_released
from assay.critics.criticbench_grade import execute_code, grade
from assay.critics.criticbench_metrics import f1_wrong, levels, mean_or_nan
from assay.critics.criticbench_parse import SOURCES, parse_verdict
from assay.critics.criticbench_prompts import (
    CORRECTION_TYPE,
    CRITIQUE_FILES,
    INFERRED_SOURCES,
    PromptInfo,
    cut_at_stop,
    prompt_info,
    prompt_pattern,
    prompts_verified,
)
from assay.samples import Item

HUB_ID = "llm-agents/CriticBench"
SPLIT = "test"


def load(opts: LoadOptions) -> LoadResult:
    """The ``test`` split (hub or ``--data``) as Items, bad rows located or skipped as asked."""
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    source = opts.data or HUB_ID
    return collect(
        read_rows(source, split=SPLIT),
        from_row,  # type: ignore[arg-type]
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )


# --- options and protocol -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    prompt: str | None = None  # None: zs-crit-cot for a run; the file name's type (else "fs") for predictions
    prompt_dir: str | None = None
    grader: str = "authors"
    original_bug: bool = False

    @property
    def run_prompt(self) -> str:
        return self.prompt or "zs-crit-cot"

    def prompt_info(self, task: str, source: str, prompt_type: str) -> PromptInfo:
        return prompt_info(task, source, prompt_type, self.prompt_dir)

    def pattern(self, task: str, source: str, prompt_type: str) -> str:
        return prompt_pattern(task, source, prompt_type, self.prompt_dir)


OPTIONS = {
    "prompt": "the authors' --prompt_type: zs-crit-cot (built in, default) | fs | zs-crit-ao-1/2/3 (need prompt_dir)",
    "prompt_dir": "path to the authors' src/prompt folder (few-shot and answer-only prompt files)",
    "grader": "authors (default: ported math_equal) | shared (assay.critics.grader.equivalent for MATH/GSM8K/"
    "Object Counting/TabMWP)",
    "original_bug": "true: the authors' bugs (MATH [[a/b]] -> last number, TabMWP final fraction dropped, "
    "raw reply executed for json code corrections)",
}


def make_options(values: Mapping[str, str]) -> Options:
    o = Options(
        prompt=values.get("prompt"),
        prompt_dir=values.get("prompt_dir"),
        grader=values.get("grader", "authors"),
        original_bug=values.get("original_bug", "false").lower() in ("1", "true", "yes"),
    )
    if o.prompt is not None and o.prompt not in CRITIQUE_FILES:
        raise ValueError(f"criticbench: prompt must be one of {', '.join(CRITIQUE_FILES)}, got {o.prompt!r}")
    if o.grader not in ("authors", "shared"):
        raise ValueError(f"criticbench: grader must be authors or shared, got {o.grader!r}")
    return o


def run_protocol(samples: Sequence[Any], ctx: Any, opts: Options) -> list[Record]:
    """Critique every item, then ask for a correction given that critique (two ``ctx.generate`` rounds)."""
    from assay.models.generation import GenerateRequest
    from assay.samples import user_prompt

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise ValueError("criticbench: run expects the Items its loader produces")
    crit_type = opts.run_prompt
    corr_type = CORRECTION_TYPE[crit_type]

    def ask(prompts: list[str]) -> list[str]:
        gens = ctx.generate([GenerateRequest(user_prompt(p), ctx.sampling) for p in prompts])
        return [g.text for g in gens]

    crit_raw = ask(
        [
            opts.prompt_info("critique", s.subset, crit_type).fill(
                question=s.data["question"], solution=s.data["response"]
            )
            for s in items
        ]
    )
    critiques = [cut_at_stop(t) for t in crit_raw]
    corr_raw = ask(
        [
            opts.prompt_info("correction", s.subset, corr_type).fill(
                question=s.data["question"], solution=s.data["response"], critique=c
            )
            for s, c in zip(items, critiques, strict=True)
        ]
    )
    records = []
    for s, craw, ctext, kraw in zip(items, crit_raw, critiques, corr_raw, strict=True):
        rec = _record(s, crit_type, ctext, craw, corr_type, cut_at_stop(kraw), kraw, opts)
        records.append({**rec, "prompt_verified": prompts_verified(s.subset, opts.prompt_dir)})
    execute_code(records)
    return records


def _record(
    s: Item,
    crit_type: str,
    crit_text: str | None,
    crit_raw: str | None,
    corr_type: str | None,
    corr_text: str | None,
    corr_raw: str | None,
    opts: Options,
) -> Record:
    source = s.subset
    verdict = None
    if crit_text is not None:
        verdict = parse_verdict(crit_text, opts.pattern("critique", source, crit_type))
    critique = {"prompt_type": crit_type, "raw": crit_raw, "text": crit_text, "verdict": verdict}
    critique.update(valid=verdict is not None, missing=crit_text is None)
    correction: dict[str, Any] | None = None
    if corr_type is not None:
        correction = {"prompt_type": corr_type, "raw": corr_raw, "text": corr_text, "missing": corr_text is None}
        if corr_text is None:  # result_check: a missing result counts as wrong
            correction.update(answer=None, correct=False, error="no correction output for this id")
        else:
            pattern = opts.pattern("correction", source, corr_type)
            d = s.data
            bug = opts.original_bug
            correction.update(
                grade(source, corr_text, pattern, d["answers"], d["question"], grader=opts.grader, original_bug=bug)
            )
    return {
        "id": s.id,
        "subset": source,
        "kind": "criticbench",
        **s.data,
        "critique": critique,
        "correction": correction,
    }


def predictions(path: Path, opts: LoadOptions, o: Options) -> PredictionsResult:
    """Records from released critique (and correction) results, joined by id with the dataset.

    ``path``: the authors' ``output/<model>`` folder (``critique/<type>_result_<time>.jsonl`` and optionally
    ``correction/...``), or one JSONL file of rows ``{"id", "critique_result"[, "correction_result"]}``. The
    prompt type (it fixes the answer format) is the ``prompt`` option, else the file name's prefix, else "fs".
    An id without a result is kept: a missing critique counts as unparsed, a missing correction as wrong.
    """
    rel = read_released(path, o.prompt)
    loaded = load(opts)
    records = []
    for s in loaded.samples:
        assert isinstance(s, Item)
        ct = rel.critiques.get(s.id)
        kt = rel.corrections.get(s.id) if rel.corrections is not None else None
        rec = _record(s, rel.critique_type, ct, ct, rel.correction_type, kt, kt, o)
        records.append({**rec, "prompt_verified": True})  # released outputs: the authors' own prompts
    execute_code(records)
    digest = hashlib.sha256(loaded.fingerprint.encode())
    for f in rel.files:
        digest.update(f.read_bytes())
    source = ", ".join(str(f) for f in rel.files) + f" + {loaded.source}"
    return PredictionsResult(records, source, digest.hexdigest(), loaded.skipped)


# --- outcome and aggregation ----------------------------------------------------------------------------
def outcome(record: Record) -> dict[str, Any]:
    gold_wrong = not bool(record["response_label"])
    verdict = record["critique"]["verdict"]
    parsed = verdict is not None
    pred_wrong = (verdict == "wrong") if parsed else (not gold_wrong)  # unparsed: the mistaken prediction
    corr = record.get("correction")
    correct = None if corr is None or corr.get("correct") is None else int(bool(corr["correct"]))
    return {
        "gold_wrong": int(gold_wrong),
        "pred_wrong": int(pred_wrong),
        "parsed": int(parsed),
        "verdict_right": int(pred_wrong == gold_wrong),
        "correction": correct,
    }


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    f1_cells: dict[tuple[str, str], list[Any]] = {}
    disc_cells: dict[tuple[str, str], list[Any]] = {}
    corr_cells: dict[tuple[str, str], list[Any]] = {}
    unparsed = missing = unsupported = corr_missing = 0
    inferred = {str(r["subset"]) for r in records if r.get("prompt_verified") is False}
    for r in records:
        o = outcome(r)
        cell = (str(r["subset"]), str(r.get("domain", "")))
        f1_cells.setdefault(cell, []).append([o["gold_wrong"], o["pred_wrong"]])
        if o["parsed"]:
            disc_cells.setdefault(cell, []).append(o["verdict_right"])
        unparsed += 1 - o["parsed"]
        missing += int(bool(r["critique"].get("missing")))
        corr = r.get("correction")
        if corr is not None:
            corr_missing += int(bool(corr.get("missing")))
            if o["correction"] is None:
                unsupported += 1
            else:
                corr_cells.setdefault(cell, []).append(o["correction"])
    f1 = levels(f1_cells, f1_wrong, seed, n_boot, "criticbench:f1")
    disc = levels(disc_cells, mean_or_nan, seed, n_boot, "criticbench:disc")
    corr_m = levels(corr_cells, mean_or_nan, seed, n_boot, "criticbench:correction")

    def split(m: Mapping[str, Any], level: str) -> dict[str, Any]:
        return {k.split(":", 1)[1]: v for k, v in m.items() if k.startswith(level + ":")}

    return {
        "overall": f1["overall"],
        "sections": split(f1, "domain"),
        "subsets": split(f1, "task"),
        "counts": {
            "items": len(records),
            "critique_unparsed": unparsed,
            "critique_missing": missing,
            "correction_missing": corr_missing,
            "correction_not_supported": unsupported,
            "prompt_unverified": sum(1 for r in records if r.get("prompt_verified") is False),
        },
        "extra": {
            "metric": "overall/sections/subsets = F1 of 'response is wrong' (unparsed forced to the mistaken label)",
            "inferred_prompt_sources": [x for x in SOURCES if x in inferred] + sorted(inferred - set(SOURCES)),
            "discriminability": {"overall": disc.get("overall"), "domains": split(disc, "domain")},
            "correction_accuracy": {
                "overall": corr_m.get("overall"),
                "domains": split(corr_m, "domain"),
                "tasks": split(corr_m, "task"),
            },
        },
    }


def build(values: Mapping[str, str] | None = None) -> Benchmark:
    o = make_options(values or {})
    return Benchmark(
        name="criticbench",
        description="CriticBench (critique-correct): critique F1 on wrong responses (unparsed forced wrong) and "
        "correction accuracy over 15 datasets in 5 domains; zero-shot prompts built in (those of "
        f"{len(INFERRED_SOURCES)} sources inferred, not seen: prompt_verified per item), few-shot via prompt_dir.",
        source="Lin et al. 2024 (arXiv:2402.14809); CriticBench/CriticBench src/evaluate.py evaluate_model, "
        "src/infer/result_processor.py ResultProcessor.result_check/analyse_result, src/utils/parser.py",
        hub_id=HUB_ID,
        subsets=SOURCES,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run_protocol(samples, ctx, o),
        predictions=lambda path, lopts: predictions(path, lopts, o),
        options=OPTIONS,
        configure=build,
    )


@register
def criticbench() -> Benchmark:
    return build()
