"""CriticEval (Lan et al. 2024, "CriticEval: Evaluating Large Language Model as Critic", arXiv:2402.13764;
released as "CriticBench" v1.3 in open-compass/CriticEval): the objective track, scored from predictions.

Predictions only: ``assay score criticeval --predictions MODEL_DIR --data ROOT``. The authors' prompts
exist (``inference/utils/prompts.py`` + ``formats.py``) but are not ported, so ``assay run`` cannot drive a
model on this benchmark; score the outputs of the authors' inference code (or any that follow its format).

Data (``--data``: the ``data/criticbench_v1.3`` folder, or its ``obj_{split}_data`` folder; option
``split=test|dev``), one ``Item`` per row, subset = critique dimension, as ``critic_bench/run_*.py`` read it:
feedback ``{domain}_feedback_correction.json`` + ``correction_part/{domain}_feedback.json`` (not code_exec);
comp_feedback ``{domain}_comp_feedback.json``; correction ``{domain}_feedback_correction.json`` (math_cot,
math_pot, code_exec, code_not_exec); meta_feedback ``meta_feedback_single/meta_feedback_singlewise_{domain}.json``.
Predictions (``MODEL_DIR``): ``{split}_{domain}_{dimension}_obj[_correction_part|_reverse].json`` =
``{"0": {"origin_prompt", "prediction"}, ...}``, key = row index; each is checked to quote its row's
question (and generation) as ``evaluators/base.py`` ``BaseEvaluator._load_data_obj`` asserts.

Metrics (fractions; the report shows x100 like the paper), ``critic_bench/evaluators``:

* feedback: ``feedback_evaluator.py`` ``EvaluateScalarFeedback.evaluate``: Spearman (``scipy.stats.spearmanr``)
  between ``extract_decision(prediction)`` and ``feedback_score``, pooled over every domain and both files;
  per ``metadata.quality`` too.
* meta_feedback: ``meta_feedback_evaluator.py`` ``EvaluateScalarMetaFeedback``: the same with
  ``extract_score`` ("Score: x") against ``meta_feedback_score``, per ``raw_quality``.
* comp_feedback: ``comp_feedback_evaluator.py`` ``EvaluateScalarCompFeedback.evaluate``: choice =
  ``extract_decision_option(...)[0]`` in both orders (the ``_obj_reverse`` file swaps A and B); an item scores 1
  only if both choices are in "ABC", the two orders agree, and the forward choice == ``obj.preference[-1]``;
  everything else (unparsed, disagreeing) scores 0 *in the denominator*. The authors' "agree" is
  ``forward != reverse`` (so A/C counts as agreeing and C/C as not); by default agreement means the reverse
  choice is the swap of the forward one (A<->B, C<->C); ``agreement=differ`` restores the original. Per
  difficulty: "easy" = qualities {low, high}, else "hard".
* correction: ``correction_evaluator.py``: math_cot ``parse_math_result(prediction) ==
  parse_math_result(ground_truth_answer)`` (no number -> 0); math_pot (``exec_math_code``) and code_exec /
  code_not_exec (``exec_code_no_unit_test`` on ``parse_code(prediction) + unit_test`` [+ ``check(fn)`` for
  humaneval]) need execution: run in ``assay.sandbox`` when installed (the authors' 4 s / 2 s alarms as
  CPU-time limits, wall clock capped at 5x), else recorded as not supported and left out (reported).
  Pass rate per domain; correction = mean over the domains (``run_correction.py``).
* overall (``compute_overall.py``): mean((feedback + 1) / 2, comp, correction, (meta + 1) / 2) over the
  dimensions present (the x100 formula (fb + 100) / 2 in fractions).
* unparsed scores: ``extract_decision`` yields '' when no number is found and the authors pass the list to
  ``spearmanr`` as is; numpy then turns every score into a string and ranks lexicographically, '' first.
  Option ``unparsed``: ``min`` (default: an unparsed score ranks below every parsed one, ties among
  themselves, numeric ranks; the authors' ranking whenever scores are single-digit), ``authors`` (the exact
  string ranking, quirks included), ``drop`` (leave the pair out), ``error`` (refuse). Counts are reported.
* ``parse_math_result`` calls ``eval`` on every token of the model's text; here a token counts only if it is
  a numeric literal or arithmetic on literals (what that ``eval`` returns as int/float); calls are not
  evaluated. Seeded bootstrap CIs resample items within each (dimension, quality / difficulty / domain) cell.

Parts (``assay.critics``): ``criticeval_parse`` (util_func.py parsers), ``criticeval_data`` (data and
prediction files), ``criticeval_correction`` (correction grading and execution), ``criticeval_metrics``
(outcomes, Spearman and the unparsed policies, agreement, overall). This module wires them: options, records,
outcome and the bootstrapped aggregate.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.critics.criticeval_correction import correction, execute_code
from assay.critics.criticeval_data import (
    DIMENSIONS,
    HUB_ID,
    FileSpec,
    data_dir,
    file_specs,
    from_row,
    open_predictions,
    prediction_text,
)
from assay.critics.criticeval_metrics import (
    UNPARSED,
    Stat,
    cell_stat,
    cells,
    dimension_stat,
    overall,
    record_outcome,
)
from assay.critics.criticeval_parse import extract_decision, extract_decision_option, extract_score
from assay.data.rows import DataError
from assay.samples import Item


def load(opts: LoadOptions, split: str = "test") -> LoadResult:
    """Every objective file that exists (the authors skip missing ones too); none at all is an error."""
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    root = data_dir(opts.data, split)
    present = [(s, root / s.data) for s in file_specs(split) if (root / s.data).is_file()]
    if not present:
        raise DataError(str(root), None, None, "no CriticEval objective data files found")
    current: list[FileSpec] = []  # the spec of the row being converted (one data file serves two dimensions)

    def rows() -> Any:
        for spec, path in present:
            for row in read_rows(str(path)):
                current[:] = [spec]
                yield row

    return collect(
        rows(),
        lambda row: from_row(row, current[0]),
        skip_invalid=opts.skip_invalid,
        source=str(root),
        subsets=opts.subsets,
        limit=opts.limit,
    )


# --- released predictions ----------------------------------------------------------------------------------
def predictions(path: Path, opts: LoadOptions, o: Options) -> PredictionsResult:
    """One record per data row whose prediction file exists in ``path`` (the authors' per-model folder).

    A missing prediction file leaves its rows unscored (the authors skip it); each one is listed in
    ``skipped``. A comparison file needs its ``_reverse`` twin. A key missing from a file is a record
    without prediction (counted as unparsed / wrong).
    """
    if not path.is_dir():
        raise DataError(str(path), None, None, "expected the model's prediction folder ({split}_{domain}_..._obj.json)")
    loaded = load(opts, o.split)
    docs: dict[str, tuple[dict[str, Any], dict[str, Any] | None] | None] = {}
    digest = hashlib.sha256(loaded.fingerprint.encode())
    skipped = list(loaded.skipped)
    records = []
    for item in loaded.samples:
        assert isinstance(item, Item)
        name = str(item.meta["file"])
        if name not in docs:
            docs[name] = open_predictions(path, name, item.subset == "comp_feedback", digest)
            if docs[name] is None:
                reason = "prediction file missing: these rows are not scored (as the authors skip it)"
                skipped.append({"source": str(path / name), "row": None, "field": None, "reason": reason})
        pair = docs[name]
        if pair is not None:
            records.append(_record(item, path / name, pair[0], pair[1]))
    if not records:
        raise DataError(
            str(path), None, None, "no prediction file matches the data files (names: {split}_{domain}_...)"
        )
    execute_code(records)
    return PredictionsResult(records, f"{path} + {loaded.source}", digest.hexdigest(), skipped)


def _record(item: Item, file: Path, doc: Mapping[str, Any], reverse_doc: Mapping[str, Any] | None) -> Record:
    d = item.data
    pred = prediction_text(doc, file, item)
    rec: dict[str, Any] = {"id": item.id, "subset": item.subset, "kind": "criticeval", **d, "prediction": pred}
    rec["missing"] = pred is None
    if item.subset in ("feedback", "meta_feedback"):
        score = (extract_decision if item.subset == "feedback" else extract_score)(pred)
        if isinstance(score, float) and math.isnan(score):
            score = ""
        rec.update(score=score, valid=score != "")
    elif item.subset == "comp_feedback":
        assert reverse_doc is not None
        reverse = prediction_text(
            reverse_doc, file.with_name(file.name.replace("_obj.json", "_obj_reverse.json")), item
        )
        fwd, rev = extract_decision_option(pred), extract_decision_option(reverse)
        rec.update(reverse_prediction=reverse, forward_choice=fwd, reverse_choice=rev)
        rec["valid"] = bool(fwd) and bool(rev) and fwd[0] in "ABC" and rev[0] in "ABC"
    else:
        rec.update(correction(item, pred))
    return rec


# --- options, outcome and aggregation --------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    split: str = "test"
    unparsed: str = "min"
    agreement: str = "swap"


OPTIONS = {
    "split": "test (default) | dev: which obj_{split}_data and prediction files",
    "unparsed": "unparsed feedback / meta-feedback scores: min (default) | authors | drop | error",
    "agreement": "comparison, both orders agree when: swap (default: reverse = A<->B of forward) | differ (authors)",
}


def make_options(values: Mapping[str, str]) -> Options:
    o = Options(**{k: values[k] for k in ("split", "unparsed", "agreement") if k in values})
    checks = (("split", ("test", "dev")), ("unparsed", UNPARSED), ("agreement", ("swap", "differ")))
    for name, allowed in checks:
        if getattr(o, name) not in allowed:
            raise ValueError(f"criticeval: {name} must be one of {', '.join(allowed)}, got {getattr(o, name)!r}")
    return o


def outcome(record: Record, o: Options) -> dict[str, Any]:
    """``criticeval_metrics.record_outcome`` under the agreement option."""
    return record_outcome(record, o.agreement)


def aggregate(records: Sequence[Record], seed: int, n_boot: int, o: Options) -> dict[str, Any]:
    from assay.metrics.bootstrap import stratified_cis

    if not records:
        raise ValueError("no records to aggregate")
    lists, counts = cells(records, o.unparsed, o.agreement)
    groups = {k: np.asarray(v, dtype=float) for k, v in lists.items()}
    names = {dim: sorted(k for k in groups if k.split("|")[0] == dim) for dim in DIMENSIONS}
    present = [d for d in DIMENSIONS if names[d]]
    stats: dict[str, Stat] = {d: dimension_stat(d, names[d]) for d in present}
    n = {d: sum(len(groups[k]) for k in names[d]) for d in present}
    for d in present:
        for k in names[d]:
            stats[k] = cell_stat(d, k)
            n[k] = len(groups[k])
    if present:
        dims = {d: stats[d] for d in present}
        stats["overall"] = lambda s: overall({d: stat(s) for d, stat in dims.items()})
        n["overall"] = sum(n[d] for d in present)
    cis = stratified_cis(groups, stats, seed, n_boot, n=n, key="criticeval") if present else {}
    nan = {"value": float("nan"), "ci": [float("nan"), float("nan")], "n": 0}
    cell_names = {
        "feedback": "quality",
        "meta_feedback": "quality",
        "comp_feedback": "difficulty",
        "correction": "domain",
    }
    breakdown = {d: {k.split("|", 1)[1]: cis[k] for k in names[d]} for d in present}
    return {
        "overall": cis.get("overall", nan),
        "sections": {},
        "subsets": {d: cis[d] for d in present},
        "counts": counts,
        "extra": {
            "dimensions": present,
            "breakdown": {d: {"by": cell_names[d], **breakdown[d]} for d in present},
            "options": {"unparsed": o.unparsed, "agreement": o.agreement, "split": o.split},
            "metric": "feedback/meta_feedback = Spearman rho; comp_feedback = accuracy; correction = mean domain "
            "pass rate; overall = mean((fb+1)/2, comp, corr, (meta+1)/2) over the dimensions present",
        },
    }


def build(values: Mapping[str, str] | None = None) -> Benchmark:
    o = make_options(values or {})
    return Benchmark(
        name="criticeval",
        description="CriticEval objective track from released predictions only (assay score): feedback and "
        "meta-feedback Spearman, two-order comparison accuracy, correction pass rate, overall.",
        source="Lan et al. 2024 (arXiv:2402.13764); open-compass/CriticEval critic_bench/evaluators "
        "(EvaluateScalarFeedback, EvaluateScalarCompFeedback, EvaluateMathCorrection, EvaluateCodeCorrection, "
        "EvaluateScalarMetaFeedback), compute_overall.py",
        hub_id=HUB_ID,
        subsets=DIMENSIONS,
        load=lambda opts: load(opts, o.split),
        outcome=lambda record: outcome(record, o),
        aggregate=lambda records, seed, n_boot: aggregate(records, seed, n_boot, o),
        predictions=lambda path, opts: predictions(path, opts, o),
        options=OPTIONS,
        configure=build,
    )


@register
def criticeval() -> Benchmark:
    return build()
