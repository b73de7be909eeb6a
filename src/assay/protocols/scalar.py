"""How a sample is put to a scalar reward model and how its scores land in the record.

A protocol only emits typed requests and reads the answers back; it never calls a model. Pairs ask
for two scores, candidate lists (best-of-N) and RM-Bench's 3x3 style matrix one per response; each
response is scored exactly once (the engine also deduplicates across samples).
"""

from __future__ import annotations

from typing import Any

from assay.benchmarks.contrast import Contrast, contrast_record, contrast_requests
from assay.models.base import ScoreRequest, ScoreResult
from assay.samples import Candidates, ContentPart, Message, Pair, Prompt, Sample, sample_to_json

IMAGE_POLICIES = ("error", "placeholder")
IMAGE_PLACEHOLDER = "[image]"


def _text_only(sample_id: str, prompt: Prompt, images: str) -> Prompt:
    """The prompt a text-only model sees: an error on image parts by default; with the explicit
    ``placeholder`` policy (a labelled "blind" run, recorded in the manifest) each image becomes the
    text "[image]"."""
    if not any(m.has_image() for m in prompt):
        return prompt
    if images != "placeholder":
        raise ValueError(
            f"sample {sample_id}: holds an image; scalar text reward models take text only "
            "(--images placeholder runs a labelled text-only pass with each image replaced by '[image]')"
        )
    out = []
    for m in prompt:
        if isinstance(m.content, str) or not m.has_image():
            out.append(m)
            continue
        parts = tuple(p if p.type == "text" else ContentPart("text", text=IMAGE_PLACEHOLDER) for p in m.content)
        out.append(Message(m.role, "\n".join(p.text or "" for p in parts)))
    return tuple(out)


def kind_of(sample: Sample | Contrast) -> str:
    if isinstance(sample, Contrast):
        return "contrast"
    if isinstance(sample, Pair):
        return "pair"
    return str(sample.meta.get("kind", "candidates"))


def requests_for(sample: Sample | Contrast, images: str = "error") -> list[ScoreRequest]:
    if isinstance(sample, Contrast):
        return contrast_requests(sample)
    prompt = _text_only(sample.id, sample.prompt, images)
    if isinstance(sample, Pair):
        return [ScoreRequest(prompt, sample.chosen), ScoreRequest(prompt, sample.rejected)]
    return [ScoreRequest(prompt, r) for r in sample.responses]


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
