"""ReviewCritique (Du et al. 2024, "LLMs Assist NLP Researchers: Critique Paper (Meta-)Reviewing", EMNLP,
arXiv:2406.16253): can a meta-reviewer find the deficient segments of a paper review?

Data (``--data``; jiangshdd/ReviewCritique ``data/ReviewCritique_LLM.jsonl``, research and evaluation use
only, never training): one JSON line per paper {title, body_text, decision, <reviewer>: {review: [segment],
score}} for the reviewers claude_opus, gpt4, gemini_pro_1.5 (any field holding a ``review`` list is read as a
review, so the human-review file loads the same way). A segment is {segment_text, reliability ("Yes" / "No"),
explanation, error_type, topic_class_1, topic_class_2}; ``reliability == "No"`` marks it deficient. The file
holds bare ``NaN`` (for missing explanations / error types): Python's JSON reader accepts it, and every
field is still checked, an error naming the file, the line and the field (``gpt4.review[3].reliability``).

One item per review (id ``<paper>/<reviewer>``, paper = 0-based row of the file; subset = the reviewer).

Metric (the authors released no evaluation code; the paper reports precision / recall / F1 of identifying
the deficient segments): segment-level, deficient = the positive class, counts pooled over all segments
(micro): P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2PR / (P + R); a zero denominator gives 0 (as
scikit-learn's default). CIs: seeded bootstrap over reviews (segments of a review stay together). Per error
type: recall = flagged deficient segments of the type / deficient segments of the type (types matched
case-insensitively; a deficient segment without a type is "unspecified"; the one "Yes" segment of the release
that carries a type is not deficient, as its label says). Precision per type exists only when the
meta-reviewer names a type for each flag (``error_type`` in the predictions): a flag of type t is correct
when the segment is deficient with gold type t; otherwise per-type precision is not reported, because an
untyped flag cannot belong to one type.

Released / external outputs (``predictions``, with ``--data`` for the gold labels): JSONL, one line per
flagged-or-not segment ``{"id": "<paper>/<reviewer>/<segment>", "deficient": true|false|"yes"|"no",
"error_type": optional}`` (segment = 0-based index in the review). A segment with no line counts as not
flagged and is reported (``counts.missing_predictions``).

Protocol (``run``): the model under evaluation reads the paper and the numbered segments of a review and
lists the deficient ones (``assay.critics.reviewcritique_prompt``; our prompt: the authors' is not public).
Option ``paper_chars``: ``all`` (default) or the number of leading characters of the paper to include
(0 = the review only). An output without the ``Deficient segments:`` line is invalid: kept raw, counted,
and it flags nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.critics import reviewcritique_prompt as RP
from assay.critics.released import files_digest, select_records
from assay.data.fields import optional
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.models.generation import GenerateRequest
from assay.samples import Item, Sample, user_prompt

REPO = "https://github.com/jiangshdd/ReviewCritique"
REVIEWERS = ("claude_opus", "gpt4", "gemini_pro_1.5")
KIND = "review_critique"
ERROR_TYPES = (
    "Misunderstanding",
    "Neglect",
    "Inexpert Statement",
    "Out-of-scope",
    "Contradiction",
    "Superficial Review",
    "Vague Critique",
    "Unstated statement",
    "Duplication",
    "Writing",
    "Misinterpret Novelty",
    "Experiment",
    "Inaccurate Summary",
)
_CANON = {t.casefold(): t for t in ERROR_TYPES}
UNSPECIFIED = "unspecified"


def error_type(v: Any) -> str | None:
    """Canonical error type: known types matched case-insensitively, others stripped; None when absent."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or not isinstance(v, str) or not v.strip():
        return None
    return _CANON.get(v.strip().casefold(), v.strip())


def _opt_text(v: Any) -> str | None:
    return v if isinstance(v, str) and v.strip() else None


def _segments(row: Row, reviewer: str, review: Any) -> list[dict[str, Any]]:
    field = f"{reviewer}.review"
    if not isinstance(review, list) or not review:
        raise DataError.at(row, field, "expected a non-empty list of segments")
    out = []
    for i, s in enumerate(review):
        label = f"{field}[{i}]"
        if not isinstance(s, dict):
            raise DataError.at(row, label, f"expected a segment object, got {type(s).__name__}")
        text = s.get("segment_text")
        if not isinstance(text, str):
            raise DataError.at(row, f"{label}.segment_text", f"expected a string, got {text!r:.40}")
        rel = s.get("reliability")
        if not isinstance(rel, str) or rel.strip() not in ("Yes", "No"):
            raise DataError.at(row, f"{label}.reliability", f'expected "Yes" or "No", got {rel!r:.40}')
        deficient = rel.strip() == "No"
        etype = error_type(s.get("error_type"))
        out.append(
            {
                "text": text,
                "deficient": deficient,
                "error_type": (etype or UNSPECIFIED) if deficient else None,
                "explanation": _opt_text(s.get("explanation")),
            }
        )
    return out


def reviews_of(row: Row) -> list[str]:
    """The fields of a paper row that hold a review ({"review": [...]})."""
    row.check()
    found = [k for k, v in row.data.items() if isinstance(v, dict) and "review" in v]
    if not found:
        raise DataError.at(row, None, "no review field (an object with a 'review' list) in this row")
    return found


def explode(rows: Iterator[Row]) -> Iterator[Row]:
    """One row per review (same file and line), so that each review is an item with its own subset."""
    for row in rows:
        if row.error is not None:
            yield row
            continue
        try:
            names = reviews_of(row)
        except DataError as e:
            yield Row(row.source, row.index, {}, line=row.line, error=e.message)
            continue
        base = {k: v for k, v in row.data.items() if k not in names}
        for name in names:
            yield Row(row.source, row.index, {**base, "reviewer": name, name: row.data[name]}, line=row.line)


def from_row(row: Row) -> Item:
    reviewer = str(row.data["reviewer"])
    title = optional(row, "title", "")
    return Item(
        id=f"{row.index}/{reviewer}",
        data={
            "title": str(title),
            "paper": str(optional(row, "body_text", "")),
            "decision": optional(row, "decision"),
            "reviewer": reviewer,
            "segments": _segments(row, reviewer, row.data[reviewer].get("review")),
        },
        meta={"subset": reviewer},
    )


def _need_data(opts: LoadOptions) -> str:
    if not opts.data:
        raise ValueError(f"reviewcritique has no hub copy: pass --data PATH to data/ReviewCritique_LLM.jsonl ({REPO})")
    return opts.data


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    path = _need_data(opts)
    return collect(
        explode(read_rows(path)),
        from_row,
        skip_invalid=opts.skip_invalid,
        source=path,
        subsets=opts.subsets,
        limit=opts.limit,
    )


# ----------------------------------------------------------------------------- records


def _record(item: Item, flags: Sequence[dict[str, Any] | None], **extra: Any) -> Record:
    segs = []
    for s, f in zip(item.data["segments"], flags, strict=True):
        segs.append(
            {**s, "pred": None if f is None else f["deficient"], "pred_error_type": (f or {}).get("error_type")}
        )
    return {"id": item.id, "subset": item.subset, "kind": KIND, "title": item.data["title"], "segments": segs, **extra}


def _flag(path: Path, line: int, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("yes", "no", "true", "false"):
        return v.strip().lower() in ("yes", "true")
    raise DataError(str(path), f"line {line}", "deficient", f"expected true/false or yes/no, got {v!r:.40}")


def read_flags(path: Path) -> dict[str, dict[str, Any]]:
    """The predictions JSONL: segment id -> {deficient, error_type}; errors name the file, line and field."""
    from assay.data.rows import read_rows

    out: dict[str, dict[str, Any]] = {}
    for row in read_rows(str(path)):
        row.check()
        sid = row.data.get("id")
        if not isinstance(sid, str) or sid.count("/") < 2:
            raise DataError.at(row, "id", f'expected "<paper>/<reviewer>/<segment>", got {sid!r:.60}')
        if sid in out:
            raise DataError.at(row, "id", f"duplicate segment id {sid!r}")
        if "deficient" not in row.data:
            raise DataError.at(row, "deficient", "missing")
        out[sid] = {"deficient": _flag(path, row.line or row.index, row.data["deficient"])}
        if row.data.get("error_type") is not None:
            out[sid]["error_type"] = error_type(row.data["error_type"])
    return out


def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
    gold = load(LoadOptions(data=_need_data(opts), skip_invalid=opts.skip_invalid))
    flags = read_flags(path)
    known: set[str] = set()
    records = []
    for item in gold.samples:
        assert isinstance(item, Item)
        ids = [f"{item.id}/{i}" for i in range(len(item.data["segments"]))]
        known.update(ids)
        records.append(_record(item, [flags.get(i) for i in ids], raw=None, valid=True))
    stray = sorted(set(flags) - known)
    if stray:
        raise DataError(str(path), None, "id", f"{len(stray)} segment id(s) not in {opts.data}, e.g. {stray[0]!r}")
    digest = files_digest([path, Path(opts.data)] if opts.data and Path(opts.data).is_file() else [path])
    return PredictionsResult(select_records(records, opts), str(path), digest, gold.skipped)


# ----------------------------------------------------------------------------- protocol


def run_with(samples: Sequence[Sample], ctx: Any, paper_chars: int | None) -> list[Record]:
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("reviewcritique runs on Item samples")
    prompts = [
        RP.metareview_prompt(s.data["paper"], [x["text"] for x in s.data["segments"]], paper_chars) for s in items
    ]
    gens = ctx.generate([GenerateRequest(user_prompt(p), ctx.sampling) for p in prompts])
    records = []
    for s, g in zip(items, gens, strict=True):
        n = len(s.data["segments"])
        picked, why = RP.parse_flags(g.text, n)
        flags = [{"deficient": picked is not None and (i + 1) in picked} for i in range(n)]
        records.append(_record(s, flags, raw=g.text, valid=picked is not None, error=why, finish=g.finish_reasons[0]))
    return records


# ----------------------------------------------------------------------------- outcome and aggregation


def outcome(record: Record) -> dict[str, Any]:
    tp = fp = fn = tn = missing = 0
    by_type: dict[str, dict[str, int]] = {}
    typed: dict[str, dict[str, int]] = {}
    for s in record["segments"]:
        pred = bool(s.get("pred"))
        missing += s.get("pred") is None
        gold = bool(s["deficient"])
        tp, fp, fn, tn = (
            tp + (pred and gold),
            fp + (pred and not gold),
            fn + (gold and not pred),
            tn + (not (pred or gold)),
        )
        if gold:
            t = by_type.setdefault(s["error_type"], {"gold": 0, "tp": 0})
            t["gold"] += 1
            t["tp"] += pred
        if pred and s.get("pred_error_type"):
            u = typed.setdefault(s["pred_error_type"], {"pred": 0, "correct": 0})
            u["pred"] += 1
            u["correct"] += gold and s["error_type"] == s["pred_error_type"]
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "valid": bool(record.get("valid", True)),
        "missing": missing,
        "by_type": dict(sorted(by_type.items())),
        "typed_predictions": dict(sorted(typed.items())),
    }


def prf(tp: float, fp: float, fn: float) -> dict[str, float]:
    """Precision, recall, F1 of the deficient class; a zero denominator gives 0."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def _prf_stats(group: str) -> dict[str, Any]:
    def counts(sampled: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = sampled[group].sum(axis=1)  # (B, 3): tp, fp, fn
        return s[:, 0], s[:, 1], s[:, 2]

    def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)

    def p(x: Mapping[str, np.ndarray]) -> np.ndarray:
        tp, fp, _ = counts(x)
        return div(tp, tp + fp)

    def r(x: Mapping[str, np.ndarray]) -> np.ndarray:
        tp, _, fn = counts(x)
        return div(tp, tp + fn)

    def f(x: Mapping[str, np.ndarray]) -> np.ndarray:
        a, b = p(x), r(x)
        return div(2 * a * b, a + b)

    return {f"{group}:precision": p, f"{group}:recall": r, f"{group}:f1": f}


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    outs = [r.get("outcome") or outcome(r) for r in records]
    subsets: dict[str, list[Mapping[str, Any]]] = {}
    for r, o in zip(records, outs, strict=True):
        subsets.setdefault(str(r["subset"]), []).append(o)
    groups = {"all": np.array([[o["tp"], o["fp"], o["fn"]] for o in outs], dtype=float)}
    for s, os_ in subsets.items():
        groups[f"subset:{s}"] = np.array([[o["tp"], o["fp"], o["fn"]] for o in os_], dtype=float)
    cis: dict[str, Any] = {}
    for g in groups:  # one bootstrap per group (each resamples its own reviews)
        cis.update(stratified_cis({g: groups[g]}, _prf_stats(g), seed, n_boot, key=f"reviewcritique:{g}"))
    by_type: dict[str, dict[str, int]] = {}
    typed: dict[str, dict[str, int]] = {}
    for o in outs:
        for t, c in o["by_type"].items():
            d = by_type.setdefault(t, {"gold": 0, "tp": 0})
            d["gold"], d["tp"] = d["gold"] + c["gold"], d["tp"] + c["tp"]
        for t, c in o["typed_predictions"].items():
            d = typed.setdefault(t, {"pred": 0, "correct": 0})
            d["pred"], d["correct"] = d["pred"] + c["pred"], d["correct"] + c["correct"]
    totals = {k: sum(o[k] for o in outs) for k in ("tp", "fp", "fn", "tn", "missing")}
    return {
        "overall": cis["all:f1"],
        "sections": {},
        "subsets": {s: cis[f"subset:{s}:f1"] for s in sorted(subsets)},
        "counts": {
            "reviews": len(records),
            "segments": totals["tp"] + totals["fp"] + totals["fn"] + totals["tn"],
            "gold_deficient": totals["tp"] + totals["fn"],
            "flagged": totals["tp"] + totals["fp"],
            "invalid_outputs": sum(1 for o in outs if not o["valid"]),
            "missing_predictions": totals["missing"],
        },
        "extra": {
            "precision": cis["all:precision"],
            "recall": cis["all:recall"],
            "f1": cis["all:f1"],
            "confusion": {k: totals[k] for k in ("tp", "fp", "fn", "tn")},
            "by_subset": {
                s: {k: cis[f"subset:{s}:{k}"] for k in ("precision", "recall", "f1")} for s in sorted(subsets)
            },
            "recall_by_error_type": {
                t: {"recall": c["tp"] / c["gold"], "flagged": c["tp"], "deficient": c["gold"]}
                for t, c in sorted(by_type.items())
            },
            "precision_by_error_type": {
                t: {"precision": c["correct"] / c["pred"], "correct": c["correct"], "flagged": c["pred"]}
                for t, c in sorted(typed.items())
            }
            or None,
        },
    }


# ----------------------------------------------------------------------------- registration

OPTIONS = {"paper_chars": "how much of the paper the meta-reviewer reads: all (default) or N leading characters"}


def make(paper_chars: int | None = None) -> Benchmark:
    def configure(values: Mapping[str, str]) -> Benchmark:
        v = values.get("paper_chars", "all" if paper_chars is None else str(paper_chars))
        if v != "all" and not (v.isdigit()):
            raise ValueError(f"reviewcritique: option paper_chars={v!r}; valid: all or an integer >= 0")
        return make(None if v == "all" else int(v))

    return Benchmark(
        name="reviewcritique",
        description="ReviewCritique: a meta-reviewer flags the deficient segments of LLM-written paper reviews; "
        "segment-level precision / recall / F1 of the deficient class, recall per error type.",
        source="Du et al. 2024 (EMNLP, arXiv:2406.16253); jiangshdd/ReviewCritique data/ReviewCritique_LLM.jsonl "
        "(no evaluation code released; metric: segment-level P/R/F1 of reliability == 'No')",
        hub_id=None,
        subsets=REVIEWERS,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run_with(samples, ctx, paper_chars),
        predictions=predictions,
        options=dict(OPTIONS),
        configure=configure,
    )


@register
def reviewcritique() -> Benchmark:
    return make()
