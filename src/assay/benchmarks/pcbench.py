"""PCBench (Li et al. 2025, "Don't Take the Premise for Granted", arXiv:2505.23715): premise critique.

Each base problem has a normal query, a flawed ("ill") query with one of four error types
(contra_infer_insert, contra_premise_insert, flawed_solution_completion (FSC), irr_query_distraction (IQD))
and a difficulty (normal = GSM8K, medium, hard = Omni-MATH). The model answers the normal query, the flawed
query (active: does it critique the premise unprompted?) and the flawed query plus a hint to check the
premises (passive). A judge reads each flawed-query answer with the location of the error and returns
``{"if_find_contradiction": "True"/"False", "basis"}``. Prompts, hint and parsing: ``assay.critics.
pcbench_prompts`` (MLGroupJLU/Premise_Critique ``evaluation/inference.py``, ``evaluation/eval.py``).

Statistics, as the released ``evaluation/statistics/<model>_eval_statistics.json`` (the script that wrote
them, ``evaluation/statistics.py``, is not in the repository; every formula below reproduces the released
numbers of all 15 models from their ``eval_result`` files exactly):

* valid items V: both the active and the passive judgement parse ("True"/"False"); the others are counted
  (``invalid_format_count`` with their pids) and excluded from every statistic;
* active (passive) recognition rate = #V judged "True" on the flawed (hinted) answer / |V|;
* ..._no_fsc: the same over V without flawed_solution_completion (``active_recognition_applicable_count_no_fsc``);
* normal correctness rate over V without irr_query_distraction items that have a normal judgement;
* average answer lengths (``all_count``: every completion token, thinking included) over V, and over the
  items of V where the active (passive) critique succeeded;
* criticism efficiency = mean flawed-answer length / mean normal-answer length (a ratio of means):
  ``active_criticism_efficiency_overall`` = ill / normal over V, ``passive_..._overall`` = ill-with-hint /
  normal over V, ``..._on_success`` = the same over the successful items;
* all of these per difficulty, per error type and per (type, difficulty) when the problem metadata is given.

Where a denominator is empty the released files print 0.0; here the value is null (nothing to measure).
An empty flawed-query answer (``run``) is not sent to the judge: it is invalid for the authors' statistics
above, counted as ``counts.empty_answer`` apart from unparsable judge replies (``counts.judge_invalid``), and
``extra.rates`` adds the recognition rates with empty answers counted as "not found"
(``*_recognition_rate_empty_as_not_found``).
Headline (``overall``): the active recognition rate, with a seeded bootstrap CI over items (as for the other
rates and the efficiencies, whose CIs resample items and recompute the ratio).

Released outputs (``predictions``): one ``<model>_eval_result.jsonl[.gz]`` file (or a folder holding one);
type and difficulty come from the problem file given as ``--data`` (pid, conflict_type, difficulty), without
which the by-type, by-difficulty, no-FSC and normal-correctness statistics are null.

Protocol (``run``): needs the problem file (``--data``: the authors' ``dataset.jsonl`` of hub dataset
ALIENS232/PCBench, rows {pid, normal_query, ill_query, conflict_type, difficulty, conflict {conflict_reason,
recomposed_premise, ...}, meta_info {final_answer, ...}}) and a judge (``--judge-model``; the paper's is
o3-mini-high), whose requests use ``ctx.judge_sampling`` (greedy, ``--judge-max-tokens``); the model
under evaluation answers with the run's sampling. Options: ``prefix`` (text put before every query, e.g.
``/no_think`` as the released ollama runs), ``judge_normal=true`` (also judge the normal answers' correctness,
as ``evaluate_answer_to_normal``; off by default as in the released ``eval.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.critics import pcbench_prompts as P
from assay.critics.pcbench_stats import aggregate, outcome
from assay.critics.released import files_digest, select_records
from assay.data.fields import get_str, optional
from assay.data.rows import DataError, Row
from assay.models.generation import GenerateRequest
from assay.samples import Item, Sample, user_prompt

HUB_ID = "ALIENS232/PCBench"
CONFLICT_TYPES = (
    "contra_infer_insert",
    "contra_premise_insert",
    "flawed_solution_completion",
    "irr_query_distraction",
)
DIFFICULTIES = ("normal", "medium", "hard")
VARIANTS = ("normal", "ill", "ill_with_hint")
KIND = "premise_critique"
RESULT_SUFFIXES = ("_eval_result.jsonl", "_eval_result.jsonl.gz")


# ----------------------------------------------------------------------------- problems


def _pid(row: Row) -> str:
    row.check()
    v = row.data.get("pid")
    if isinstance(v, bool) or not isinstance(v, str | int) or (isinstance(v, str) and not v.strip()):
        raise DataError.at(row, "pid", f"expected a problem id (string or integer), got {v!r:.40}")
    return str(v)


def _choice(row: Row, field: str, allowed: Sequence[str]) -> str:
    v = get_str(row, field)
    if v not in allowed:
        raise DataError.at(row, field, f"unknown value {v!r}; expected one of {', '.join(allowed)}")
    return v


def from_row(row: Row) -> Item:
    pid = _pid(row)
    ctype = _choice(row, "conflict_type", CONFLICT_TYPES)
    conflict = row.data.get("conflict")
    if not isinstance(conflict, dict):
        raise DataError.at(row, "conflict", f"expected an object, got {type(conflict).__name__}")
    need = "conflict_reason" if ctype in P.CONTRADICTION_TYPES else "recomposed_premise"
    if not isinstance(conflict.get(need), str) or not conflict[need].strip():
        raise DataError.at(row, f"conflict.{need}", "missing or empty (the judge's error location)")
    meta_info = optional(row, "meta_info", {})
    final = meta_info.get("final_answer") if isinstance(meta_info, dict) else None
    return Item(
        id=pid,
        data={
            "normal_query": get_str(row, "normal_query"),
            "ill_query": get_str(row, "ill_query"),
            "conflict_type": ctype,
            "difficulty": _choice(row, "difficulty", DIFFICULTIES),
            "conflict_place": P.conflict_place(ctype, conflict),
            "final_answer": None if final is None else str(final),
        },
        meta={"subset": ctype},
    )


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    source = opts.data or HUB_ID
    return collect(
        read_rows(source, split="train"),
        from_row,
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )


def problem_metadata(source: str) -> dict[str, tuple[str, str]]:
    """pid -> (conflict_type, difficulty) from a problem file: only those fields are checked."""
    from assay.data.rows import read_rows

    out: dict[str, tuple[str, str]] = {}
    for row in read_rows(source, split="train"):
        pid = _pid(row)
        if pid in out:
            raise DataError.at(row, "pid", f"duplicate problem id {pid!r}")
        out[pid] = (_choice(row, "conflict_type", CONFLICT_TYPES), _choice(row, "difficulty", DIFFICULTIES))
    return out


# ----------------------------------------------------------------------------- released judge outputs


def result_file(path: Path) -> Path:
    """The eval_result file itself, or the single ``*_eval_result.jsonl[.gz]`` of a folder."""
    if path.is_file():
        return path
    found = sorted(p for p in path.iterdir() if p.name.endswith(RESULT_SUFFIXES))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise DataError(str(path), None, None, f"expected one *_eval_result.jsonl[.gz] file, found: {names}")
    return found[0]


def model_name(path: Path) -> str:
    for suffix in RESULT_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


def _length(row: Row, field: str) -> dict[str, int | None]:
    """{all_count, think_count}: all_count is required; think_count may be null (some released rows)."""
    v = row.data.get(field)
    if not isinstance(v, dict):
        raise DataError.at(row, field, f"expected {{all_count, think_count}}, got {type(v).__name__}")
    out: dict[str, int | None] = {}
    for k in ("all_count", "think_count"):
        n = v.get(k)
        if n is None and k == "think_count":
            out[k] = None
            continue
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise DataError.at(row, f"{field}.{k}", f"expected a token count (integer >= 0), got {n!r:.40}")
        out[k] = n
    return out


def _judged(row: Row, results: dict[str, Any], variant: str) -> dict[str, Any]:
    j = results.get(variant, {})
    if not isinstance(j, dict):
        raise DataError.at(row, f"GPT_eval_result.{variant}", f"expected an object, got {type(j).__name__}")
    if variant == "normal":
        c = j.get("correctness")
        return {"judge": j, "correct": None if c is None else P.normal_correct(str(c))}
    return {"judge": j, "judge_raw": None, "found": P.contradiction_found(j)}


def record_from_row(row: Row, model: str, meta: Mapping[str, tuple[str, str]] | None) -> Record:
    pid = _pid(row)
    results = row.data.get("GPT_eval_result")
    if not isinstance(results, dict):
        raise DataError.at(row, "GPT_eval_result", f"expected an object, got {type(results).__name__}")
    ctype = difficulty = None
    if meta is not None:
        if pid not in meta:
            raise DataError.at(row, "pid", f"problem {pid!r} is not in the problem file")
        ctype, difficulty = meta[pid]
    lengths = {v: _length(row, f"{v}_answer_length") for v in VARIANTS}
    return {
        "id": pid,
        "subset": ctype or "all",
        "kind": KIND,
        "model": model,
        "conflict_type": ctype,
        "difficulty": difficulty,
        "normal": _judged(row, results, "normal"),
        "active": _judged(row, results, "active"),
        "passive": _judged(row, results, "passive"),
        "lengths": {v: lengths[v]["all_count"] for v in VARIANTS},
        "think_lengths": {v: lengths[v]["think_count"] for v in VARIANTS},
    }


def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
    from assay.data.collect import skip_record
    from assay.data.rows import read_rows

    f = result_file(path)
    meta = problem_metadata(opts.data) if opts.data else None
    records, skipped, seen = [], [], set()
    for row in read_rows(str(f)):
        try:
            rec = record_from_row(row, model_name(f), meta)
            if rec["id"] in seen:
                raise DataError.at(row, "pid", f"duplicate problem id {rec['id']!r}")
        except DataError as e:
            if not opts.skip_invalid:
                raise
            skipped.append(skip_record(e))
            continue
        seen.add(rec["id"])
        records.append(rec)
    digest = files_digest([f, *([Path(opts.data)] if opts.data and Path(opts.data).is_file() else [])])
    return PredictionsResult(select_records(records, opts), str(f), digest, skipped)


# ----------------------------------------------------------------------------- protocol


def run_with(samples: Sequence[Sample], ctx: Any, prefix: str, judge_normal: bool) -> list[Record]:
    """Answer the three variants (model under evaluation), then judge the flawed-query answers."""
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("pcbench runs on Item samples")
    if getattr(ctx, "judge_spec", None) is None:
        raise ValueError("pcbench needs a judge: pass --judge-model SPEC (the paper's judge is o3-mini-high)")
    sampling, judge_sampling = ctx.sampling, ctx.judge_sampling  # the judge decodes greedily, own budget
    queries = {
        "normal": lambda d: prefix + d["normal_query"],
        "ill": lambda d: prefix + d["ill_query"],
        "ill_with_hint": lambda d: prefix + d["ill_query"] + P.HINT,
    }
    reqs = [GenerateRequest(user_prompt(queries[v](s.data)), sampling) for s in items for v in VARIANTS]
    gens = ctx.generate(reqs)
    answers = [
        {
            v: {
                "raw": (g := gens[3 * i + j]).text,
                "answer": P.extract_after_think(g.text),
                "tokens": g.completion_tokens,
                "finish": g.finish_reasons[0],
            }
            for j, v in enumerate(VARIANTS)
        }
        for i in range(len(items))
    ]
    jobs: list[tuple[int, str, str]] = []  # (item, variant, judge prompt); an empty answer is not judged
    for i, s in enumerate(items):
        for v in ("ill", "ill_with_hint"):
            if answers[i][v]["answer"]:
                jobs.append((i, v, P.ill_judge_prompt(s.data["conflict_place"], answers[i][v]["answer"])))
        if judge_normal and s.data["conflict_type"] != "irr_query_distraction" and answers[i]["normal"]["answer"]:
            gold = s.data.get("final_answer") or ""
            jobs.append((i, "normal", P.normal_judge_prompt(answers[i]["normal"]["answer"], gold)))
    judged = ctx.judge_generate([GenerateRequest(user_prompt(p), judge_sampling) for _, _, p in jobs])
    verdicts: dict[tuple[int, str], str] = {(i, v): g.text for (i, v, _), g in zip(jobs, judged, strict=True)}
    records = []
    for i, s in enumerate(items):
        d, a = s.data, answers[i]
        judge_of: dict[str, dict[str, Any]] = {}
        for v, key in (("ill", "active"), ("ill_with_hint", "passive")):
            raw = verdicts.get((i, v))
            obj, why = P.extract_json_data(raw) if raw is not None else (None, "empty answer: not judged")
            judge_of[key] = {"judge": obj or {}, "judge_raw": raw, "found": P.contradiction_found(obj), "error": why,
                             "empty_answer": not a[v]["answer"]}  # fmt: skip
        nraw = verdicts.get((i, "normal"))
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND,
                "model": getattr(ctx, "spec", None),
                "conflict_type": d["conflict_type"],
                "difficulty": d["difficulty"],
                "conflict_place": d["conflict_place"],
                "answers": a,
                "normal": {"judge_raw": nraw, "correct": None if nraw is None else P.normal_correct(nraw)},
                **judge_of,
                "lengths": {v: a[v]["tokens"] for v in VARIANTS},
            }
        )
    return records


# ----------------------------------------------------------------------------- registration

OPTIONS = {
    "prefix": "text put before every query (the released ollama runs use /no_think); default none",
    "judge_normal": "true: also judge the normal answers' correctness (needs meta_info.final_answer); default false",
}


def make(prefix: str = "", judge_normal: bool = False) -> Benchmark:
    def configure(values: Mapping[str, str]) -> Benchmark:
        jn = values.get("judge_normal", "true" if judge_normal else "false")
        if jn not in ("true", "false"):
            raise ValueError(f"pcbench: option judge_normal={jn!r}; valid: true, false")
        return make(values.get("prefix", prefix), jn == "true")

    return Benchmark(
        name="pcbench",
        description="PCBench: premise critique; active (flawed query) and passive (flawed query + hint) recognition "
        "rates judged per answer, by error type and difficulty, and criticism efficiency (length ratios).",
        source="Li et al. 2025 (arXiv:2505.23715); MLGroupJLU/Premise_Critique evaluation/inference.py "
        "(answer_ill_query_with_hint), evaluation/eval.py (evaluate_answer_to_ill, get_conflict_place, "
        "extract_json_data), evaluation/statistics/*_eval_statistics.json",
        hub_id=HUB_ID,
        subsets=CONFLICT_TYPES,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run_with(samples, ctx, prefix, judge_normal),
        predictions=predictions,
        options=dict(OPTIONS),
        configure=configure,
    )


@register
def pcbench() -> Benchmark:
    return make()
