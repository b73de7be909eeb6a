r"""RealCritic (Tang et al. 2025, arXiv:2501.14492): closed-loop critique -> correction -> check.

A critic reads a problem and a solution, states whether the solution is correct and writes a corrected
solution ending in ``\boxed{answer}``; the critique counts when that answer is right. Source:
tangzhy/RealCritic (commit 0c40c16): prompts ``utils.py`` ``SYSTEM_PROMPT_TEMPLATES["critic_and_correct"]``,
``USER_PROMPT_TEMPLATE["critic_and_correct"]``, ``MULTI_TURN_CRITIC["cot"]`` and ``construct_message``;
protocol ``math_eval.py`` ``main`` (multi-turn loop, answer extraction with ``run_execute`` and the
multiple-choice fix); scoring ``evaluate.py`` ``evaluate`` with ``math_equal``
(:mod:`assay.critics.grader`); the 8 tasks' average as ``setup`` prints it.

Modes (``--option mode=...``):

* ``cross`` (default): critique the solution shipped with the item (``reasoning``, written by another
  model); the original correctness is the item's ``previous_score``.
* ``self``: the model first solves the problem with the authors' ``direct-cot`` prompt (system "Please
  reason step by step, and put your final answer within \boxed{}.", user = the question), then critiques
  its own solution; the original correctness is its own answer graded against ``gt``.
* ``iterative``: cross-critique for ``rounds`` >= 2 turns: after each turn but the last the model's
  reply and the authors' follow-up ("Are you sure your critic is correct? ...") are appended; the last
  turn is scored. ``rounds=k`` with ``mode=self`` is iterative self-critique.

Per item: the refined answer = ``strip_string(extract_answer(last turn))`` (units kept for
minerva_math), replaced by ``choice_answer_clean(text)`` when the gold answer is an option letter and the
extracted one is not; gold = ``parse_ground_truth`` (MATH re-extracts it from ``gt_cot``); correct =
``math_equal(pred, gold)``, graded once when the answer is made and stored in the record (``grade``:
equal, timed_out), so a rescore reuses it. The verdict is the first turn's "The solution is
Correct/Incorrect" (else "The first error step number: -1 / k"): the last "## Conclusion of Critique"
section that states one, else the last statement in the text; none when there is none.

Metrics: per task accuracy (mean refined correctness, bootstrap CI); ``overall`` = unweighted mean of
the tasks present (stratified bootstrap; ``extra.overall_over`` names them, ``extra.overall_complete``
says whether all 8 are); RealCritic's c->c, c->i, i->c, i->i counts and conditional ratios;
Critique-RL's Acc, delta, delta c->i, delta i->c and discriminability (:mod:`assay.metrics.refinement`);
invalid outputs (no answer found) are counted and scored incorrect, as upstream scores an empty prediction.

Deviations, all documented in docs/benchmarks.md: the ToRA machinery of ``math_eval.py``
(a reply ending in a code fence is executed as Python and the model called again, up to 4 times) is not
run; upstream's output rows lose ``previous_score`` (``main`` does not copy it), so its printed c->*
ratios count every item as originally incorrect: here the item's ``previous_score`` is used, and a ratio
with an empty denominator is NaN (upstream prints 0); sympy comparisons time out after ``grader_timeout``
seconds each (upstream: 3 s for a whole comparison).

Item data (``Item.data``): question, gt, gt_cot, solution (the shipped reasoning), solution_pred,
previous_score (bool), solution_model; meta: subset (the task), idx and the row's extra fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.critics import grader
from assay.critics.normalize import (
    CHOICES,
    STRIP_EXCEPTIONS,
    choice_answer_clean,
    is_multi_choice,
    parse_ground_truth,
    strip_string,
)
from assay.critics.normalize import extract_answer as _extract
from assay.critics.realcritic_prompts import (  # noqa: F401  (re-exported: the benchmark's prompts)
    CRITIC_SYSTEM,
    CRITIC_USER,
    FOLLOW_UP,
    SOLVE_SYSTEM,
    critique_prompt,
    follow_up,
    solve_prompt,
)
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.metrics.refinement import refinement_metrics
from assay.samples import Item

TASKS: tuple[str, ...] = (
    "arc-challenge", "college_math", "gpqa", "gsm8k", "math", "minerva_math", "mmlu_stem", "olympiadbench",
)  # fmt: skip
MODES = ("cross", "self", "iterative")
DEFAULT_GRADER_TIMEOUT_S = 10.0

_VERDICT = re.compile(r"\bthe solution is\W{0,3}(correct|incorrect)\b", re.IGNORECASE)
_ERROR_STEP = re.compile(r"first error step number[\s:*]*(-?\d+)", re.IGNORECASE)
_CONCLUSION = re.compile(r"^#+\s*conclusion of critique\b[^\n]*$", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^#{1,2}\s", re.MULTILINE)


# --- parsing and grading (prompts: assay.critics.realcritic_prompts) ------------------------------


def predicted_answer(text: str | None, task: str, gt: str) -> str | None:
    """``run_execute`` + the multiple-choice fix of ``math_eval.main``: the answer upstream scores.

    None for an empty output (upstream: ``run_execute`` returns None, scored incorrect).
    """
    if not text or not text.strip():
        return None
    code = text.strip()
    pred = strip_string(_extract(code, task), skip_unit=task in STRIP_EXCEPTIONS)
    if gt in CHOICES and pred not in CHOICES:
        pred = choice_answer_clean(code)
    elif is_multi_choice(gt) and not is_multi_choice(pred):
        pred = "".join(c for c in pred if c in CHOICES)
    return pred


def answer_found(pred: str | None, gt: str) -> bool:
    """Whether an answer was extracted at all: an option letter for option tasks, else any text."""
    if not pred:
        return False
    return pred in CHOICES if gt in CHOICES else True


def _conclusion_sections(text: str) -> list[str]:
    """The text under each "## Conclusion of Critique" heading, up to the next ``#``/``##`` heading."""
    out = []
    for m in _CONCLUSION.finditer(text):
        rest = text[m.end() :]
        nxt = _HEADING.search(rest)
        out.append(rest[: nxt.start()] if nxt else rest)
    return out


def _verdict_in(text: str, *, last: bool) -> str | None:
    """The verdict stated in ``text``: the last one, or (``last=False``) only when it states one."""
    said = [m.lower() for m in _VERDICT.findall(text)]
    if said:
        return said[-1] if last or len(set(said)) == 1 else None
    steps = [int(m) for m in _ERROR_STEP.findall(text)]
    if steps and (last or len(set(steps)) == 1):
        return "correct" if steps[-1] == -1 else "incorrect"
    return None


def parse_verdict(text: str | None) -> str | None:
    """The critique's verdict, "correct" or "incorrect"; None when the text states none.

    The last "## Conclusion of Critique" section that states one verdict decides; else the LAST "The
    solution is Correct/Incorrect" of the text (a model that echoes the format block, which names both,
    then concludes), else the last "The first error step number: k" (-1: correct)."""
    if not text:
        return None
    for section in reversed(_conclusion_sections(text)):
        if (v := _verdict_in(section, last=False)) is not None:
            return v
    return _verdict_in(text, last=True)


def grade(pred: str | None, gt: str, gt_cot: str | None, task: str, timeout_s: float) -> bool:
    """``math_equal(pred, parse_ground_truth(...))``."""
    if pred is None:
        return False
    return grader.math_equal(pred, parse_ground_truth(gt, gt_cot, task), timeout_s=timeout_s)


def grade_record(pred: str | None, gt: str, gt_cot: str | None, task: str, timeout_s: float) -> dict[str, bool]:
    """``{"equal", "timed_out"}``: the grade stored in a record when the answer is made, so a rescore
    never re-runs sympy (whose timeouts depend on the machine's load)."""
    before = grader.stats()["timeouts"]
    equal = grade(pred, gt, gt_cot, task, timeout_s)
    return {"equal": bool(equal), "timed_out": grader.stats()["timeouts"] > before}


# --- data -----------------------------------------------------------------------------------------


def task_files(root: Path) -> list[tuple[str, Path]]:
    """(task, file) pairs: ``<task>.test.jsonl`` files, ``<task>/test.jsonl`` folders, or one file."""
    if root.is_file():
        name = root.name.split(".")[0]
        return [(root.parent.name if name == "test" else name, root)]
    out: dict[str, Path] = {}
    for f in sorted(root.glob("*.jsonl")):
        out.setdefault(f.name.split(".")[0], f)
    for f in sorted(root.glob("*/test.jsonl")):
        out.setdefault(f.parent.name, f)
    if not out:
        raise DataError(str(root), None, None, "no RealCritic task files (<task>.test.jsonl or <task>/test.jsonl)")
    return sorted(out.items(), key=lambda kv: (TASKS.index(kv[0]) if kv[0] in TASKS else len(TASKS), kv[0]))


def _previous_score(row: Row) -> bool:
    from assay.data.fields import optional

    v = optional(row, "previous_score")
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if not isinstance(v, bool):
        raise DataError.at(row, "previous_score", f"expected [true] / [false] or a bool, got {v!r:.40}")
    return v


def _text(row: Row, field: str) -> str:
    """A string, or a one-element list of one (a direct-cot output row, as ``construct_message`` accepts)."""
    from assay.data.fields import get_str, optional

    v = optional(row, field)
    if isinstance(v, list) and len(v) == 1 and isinstance(v[0], str):
        return v[0]
    return get_str(row, field, allow_empty=True)


def from_row(row: Row, task: str) -> Item:
    from assay.data.fields import get_str, optional

    idx = optional(row, "idx")
    if idx is None or isinstance(idx, bool) or not isinstance(idx, int | str):
        raise DataError.at(row, "idx", f"expected an integer or string id, got {idx!r:.40}")
    gt_cot = optional(row, "gt_cot")
    data = {
        "question": get_str(row, "question"),
        "gt": get_str(row, "gt", allow_empty=True),
        "gt_cot": gt_cot if isinstance(gt_cot, str) else None,
        "solution": _text(row, "reasoning"),
        "solution_pred": _text(row, "pred"),
        "previous_score": _previous_score(row),
        "solution_model": optional(row, "model"),
    }
    skip = {"idx", "question", "gt", "gt_cot", "reasoning", "pred", "previous_score", "model"}
    meta = {"subset": task, "idx": idx, **{k: v for k, v in row.data.items() if k not in skip}}
    return Item(id=f"{task}/{idx}", data=data, meta=meta)


def _source(opts: LoadOptions) -> Path:
    if not opts.data:
        raise ValueError(
            "realcritic: pass --data PATH: the RealCritic data folder (the repository's data/mix_data, with "
            "<task>/test.jsonl) or a folder of <task>.test.jsonl files; it has no hub copy"
        )
    return Path(opts.data).expanduser()


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    root = _source(opts)
    files = task_files(root)
    task_of = {str(f): t for t, f in files}

    def rows() -> Any:
        for _, f in files:
            yield from read_rows(str(f))

    return collect(
        rows(),
        lambda row: from_row(row, task_of[row.source]),
        skip_invalid=opts.skip_invalid,
        source=str(root),
        subsets=opts.subsets,
        limit=opts.limit,
    )


# --- protocol -------------------------------------------------------------------------------------


def parse_turn(text: str, finish: str | None, task: str, gt: str) -> dict[str, Any]:
    """One critique turn as recorded: raw text, extracted answer, verdict, finish reason."""
    pred = predicted_answer(text, task, gt)
    return {"raw": text, "pred": pred, "verdict": parse_verdict(text), "finish_reason": finish}


def run(
    samples: Sequence[Any],
    ctx: Any,
    *,
    mode: str = "cross",
    rounds: int = 1,
    timeout_s: float = DEFAULT_GRADER_TIMEOUT_S,
) -> list[Record]:
    """One record per item: every model output (solution, each critique turn) with its parsed values and
    the grade of each scored answer (``solve.grade``, ``turns[-1].grade``)."""
    from assay.models.generation import GenerateRequest

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("realcritic: run takes the Items its loader makes")
    sampling = replace(ctx.sampling, n=1)
    recs: list[Record] = []
    for s in items:
        d = s.data
        recs.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": "critique",
                "mode": mode,
                "rounds": rounds,
                "question": d["question"],
                "gt": d["gt"],
                "gt_cot": d["gt_cot"],
                "solution": d["solution"],
                "solution_pred": d["solution_pred"],
                "previous_score": d["previous_score"],
                "solution_model": d.get("solution_model"),
                "turns": [],
                "meta": s.meta,
            }
        )
    if mode == "self":
        gens = ctx.generate([GenerateRequest(solve_prompt(r["question"]), sampling) for r in recs])
        for r, g in zip(recs, gens, strict=True):
            text, pred = g.text, predicted_answer(g.text, r["subset"], r["gt"])
            r["solve"] = {
                "raw": text,
                "pred": pred,
                "finish_reason": g.finish_reasons[0],
                "grade": grade_record(pred, r["gt"], r["gt_cot"], r["subset"], timeout_s),
            }
            r["solution"] = text.strip()  # upstream: the reasoning is the stripped completion
            r["solution_pred"] = r["solve"]["pred"]
            r["previous_score"] = None  # the original correctness is solve.grade
            r["solution_model"] = getattr(ctx, "spec", None)
    convs = [critique_prompt(r["question"], r["solution"]) for r in recs]
    for k in range(rounds):
        gens = ctx.generate([GenerateRequest(c, sampling) for c in convs])
        for i, (r, g) in enumerate(zip(recs, gens, strict=True)):
            r["turns"].append(parse_turn(g.text, g.finish_reasons[0], r["subset"], r["gt"]))
            if k < rounds - 1:
                convs[i] = follow_up(convs[i], g.text)
    for r in recs:
        last = r["turns"][-1]
        last["grade"] = grade_record(last["pred"], r["gt"], r["gt_cot"], r["subset"], timeout_s)
        r["valid"] = answer_found(last["pred"], r["gt"])
    return recs


def outcome(rec: Mapping[str, Any], *, timeout_s: float = DEFAULT_GRADER_TIMEOUT_S) -> dict[str, Any]:
    """Correctness of the original and refined answers and the verdict, from the record alone: the grades
    stored at run time (``grade``) are reused; a record without them (older runs) is graded here."""
    task, gt, gt_cot = str(rec["subset"]), str(rec["gt"]), rec.get("gt_cot")
    timed_out = False

    def graded(entry: Mapping[str, Any], pred: str | None) -> bool:
        nonlocal timed_out
        g = entry.get("grade") or grade_record(pred, gt, gt_cot, task, timeout_s)
        timed_out = timed_out or bool(g["timed_out"])
        return bool(g["equal"])

    solve_valid = None
    if rec.get("previous_score") is not None:
        original = bool(rec["previous_score"])
    else:  # self-critique: the model's own solution, graded as upstream grades a direct-cot run
        solve_pred = predicted_answer(rec["solve"]["raw"], task, gt)
        original = graded(rec["solve"], solve_pred)
        solve_valid = answer_found(solve_pred, gt)
    turns = rec["turns"]
    pred = predicted_answer(turns[-1]["raw"], task, gt)
    refined = graded(turns[-1], pred)
    verdict = parse_verdict(turns[0]["raw"])
    out: dict[str, Any] = {
        "original_correct": original,
        "refined_correct": refined,
        "correct": int(refined),
        "invalid": not answer_found(pred, gt),
        "verdict": verdict,
        "verdict_correct": None if verdict is None else (verdict == "correct") == original,
        "transition": f"{'c' if original else 'i'}->{'c' if refined else 'i'}",
        "truncated_turns": sum(1 for t in turns if t.get("finish_reason") == "length"),
        "grader_timeout": timed_out,
    }
    if solve_valid is not None:
        out["solve_invalid"] = not solve_valid
    if rec.get("authors_score") is not None:
        out["authors_agree"] = bool(rec["authors_score"]) == refined
    return out


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    outs: dict[str, list[Mapping[str, Any]]] = {}
    for rec in records:
        outs.setdefault(str(rec["subset"]), []).append(rec.get("outcome") or outcome(rec))
    tasks = sorted(outs, key=lambda t: (TASKS.index(t) if t in TASKS else len(TASKS), t))
    groups = {t: np.array([float(o["refined_correct"]) for o in outs[t]]) for t in tasks}
    stats: dict[str, Any] = {f"subset:{t}": (lambda s, t=t: s[t].mean(axis=1)) for t in tasks}
    stats["overall"] = lambda s: sum(s[t].mean(axis=1) for t in tasks) / len(tasks)
    cis = stratified_cis(
        groups, stats, seed, n_boot, n={**{f"subset:{t}": len(outs[t]) for t in tasks}}, key="realcritic"
    )

    def refinement(items: Sequence[Mapping[str, Any]], key: str) -> dict[str, Any]:
        return refinement_metrics(
            [o["original_correct"] for o in items],
            [o["refined_correct"] for o in items],
            [o["verdict_correct"] for o in items],
            seed=seed,
            n_boot=n_boot,
            key=key,
        )

    def counts(items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        c = {
            "items": len(items),
            "invalid": sum(bool(o["invalid"]) for o in items),
            "no_verdict": sum(o["verdict"] is None for o in items),
            "truncated_turns": sum(int(o.get("truncated_turns", 0)) for o in items),
            "grader_timeouts": sum(bool(o.get("grader_timeout")) for o in items),
        }
        if any("solve_invalid" in o for o in items):
            c["solve_invalid"] = sum(bool(o.get("solve_invalid")) for o in items)
        return c

    every = [o for t in tasks for o in outs[t]]
    # per task and pooled: Critique-RL's rates, with RealCritic's transition counts/ratios inside
    extra: dict[str, Any] = {
        "overall_over": tasks,
        "overall_complete": set(TASKS) <= set(tasks),
        "modes": sorted({str(r.get("mode")) for r in records}),
        "tasks": {t: {"counts": counts(outs[t]), **refinement(outs[t], f"realcritic:{t}")} for t in tasks},
        "all": refinement(every, "realcritic:all"),
    }
    agree = [o["authors_agree"] for o in every if "authors_agree" in o]
    if agree:
        extra["authors_score_agreement"] = {"value": float(np.mean(agree)), "n": len(agree)}
    overall = cis["overall"]
    overall["n"] = len(every)
    return {
        "overall": overall,
        "sections": {},
        "subsets": {t: cis[f"subset:{t}"] for t in tasks},
        "counts": {**counts(every), "ties": 0},
        "extra": extra,
    }


# --- released outputs (assay score realcritic --predictions PATH) ---------------------------------


def predictions(
    path: Path, opts: LoadOptions, *, mode: str = "cross", timeout_s: float = DEFAULT_GRADER_TIMEOUT_S
) -> PredictionsResult:
    """Records from critiques that already exist; see :mod:`assay.benchmarks.realcritic_release`."""
    from assay.benchmarks.realcritic_release import read_predictions

    return read_predictions(path, opts, mode=mode, timeout_s=timeout_s)


# --- registration ---------------------------------------------------------------------------------

OPTIONS = {
    "mode": "cross (critique the shipped solution, default) | self (solve, then critique it) | iterative "
    "(cross with rounds >= 2)",
    "rounds": "critique turns; the last is scored (default 1; 2 for mode=iterative)",
    "grader_timeout": f"seconds per sympy comparison before it counts as unequal (default "
    f"{DEFAULT_GRADER_TIMEOUT_S:g}; upstream 3 per comparison)",
}


def _settings(values: Mapping[str, str]) -> tuple[str, int, float]:
    mode = values.get("mode", "cross")
    if mode not in MODES:
        raise ValueError(f"realcritic: mode must be one of {', '.join(MODES)}, got {mode!r}")
    try:
        rounds = int(values.get("rounds", "2" if mode == "iterative" else "1"))
        timeout = float(values.get("grader_timeout", str(DEFAULT_GRADER_TIMEOUT_S)))
    except ValueError as e:
        raise ValueError(f"realcritic: bad option value: {e}") from None
    if rounds < 1 or (mode == "iterative" and rounds < 2):
        raise ValueError(f"realcritic: rounds must be >= {2 if mode == 'iterative' else 1}, got {rounds}")
    if not timeout > 0:
        raise ValueError(f"realcritic: grader_timeout must be > 0, got {timeout}")
    return mode, rounds, timeout


def make(values: Mapping[str, str] | None = None) -> Benchmark:
    """The benchmark with its options bound (``configure``)."""
    mode, rounds, timeout = _settings(values or {})
    out = partial(outcome, timeout_s=timeout)
    return Benchmark(
        name="realcritic",
        description="RealCritic: critique -> corrected answer -> checked against the gold answer (self, cross "
        "or iterative critique) on 8 tasks; overall = mean task accuracy; Critique-RL refinement metrics.",
        source="Tang et al. 2025 (arXiv:2501.14492); tangzhy/RealCritic utils.py critic_and_correct prompts, "
        "math_eval.py main, evaluate.py evaluate; QwenLM/Qwen2.5-Math evaluation/grader.py math_equal, "
        "parser.py strip_string/extract_answer; Critique-RL test_filter.py calculate_x2x",
        hub_id=None,
        subsets=TASKS,
        load=load,
        outcome=out,
        aggregate=aggregate,
        run=partial(run, mode=mode, rounds=rounds, timeout_s=timeout),
        predictions=partial(predictions, mode=mode, timeout_s=timeout),
        options=dict(OPTIONS),
        configure=make,
    )


@register
def realcritic() -> Benchmark:
    return make()
