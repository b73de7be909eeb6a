"""How a sample is put to a scalar reward model and how its scores land in the record.

A protocol only emits typed requests and reads the answers back; it never calls a model. Pairs ask
for two scores, candidate lists (best-of-N) and RM-Bench's 3x3 style matrix one per response; each
response is scored exactly once (the engine also deduplicates across samples).
"""

from __future__ import annotations

from typing import Any

from assay.benchmarks.contrast import Contrast, contrast_record, contrast_requests
from assay.models.base import ScoreRequest, ScoreResult
from assay.samples import Candidates, Pair, Sample, sample_to_json


def kind_of(sample: Sample | Contrast) -> str:
    if isinstance(sample, Contrast):
        return "contrast"
    if isinstance(sample, Pair):
        return "pair"
    return str(sample.meta.get("kind", "candidates"))


def requests_for(sample: Sample | Contrast) -> list[ScoreRequest]:
    if isinstance(sample, Contrast):
        return contrast_requests(sample)
    for m in sample.prompt:
        if m.has_image():
            raise ValueError(f"sample {sample.id}: holds an image; scalar text reward models take text only")
    if isinstance(sample, Pair):
        return [ScoreRequest(sample.prompt, sample.chosen), ScoreRequest(sample.prompt, sample.rejected)]
    return [ScoreRequest(sample.prompt, r) for r in sample.responses]


def record_for(sample: Sample | Contrast, results: list[ScoreResult]) -> dict[str, Any]:
    """The samples.jsonl line (without outcome): inputs, kind and the scores in the contract's shape."""
    if isinstance(sample, Contrast):
        return contrast_record(sample, results)
    rec = sample_to_json(sample)
    kind = kind_of(sample)
    scores = [r.score for r in results]
    rec["kind"] = kind
    if isinstance(sample, Pair):
        rec["scores"] = {"chosen": scores[0], "rejected": scores[1]}
    elif kind == "matrix":
        assert isinstance(sample, Candidates)
        n_chosen = int(sample.meta.get("n_chosen", len(sample.best)))
        rec["scores"] = {"chosen": scores[:n_chosen], "rejected": scores[n_chosen:]}
    else:
        rec["scores"] = scores
    rec["truncated"] = sum(1 for r in results if r.truncated)
    return rec
