"""A generative judge rating each response alone (pointwise), on pairs and candidate lists.

Templates (:mod:`assay.judges.templates`): ``rating`` / ``rating:LO-HI`` (FastChat single-answer grading,
``Rating: [[7]]``, :func:`assay.judges.parsers.parse_rating` on the scale) and ``rewardbench2-ratings``
(RewardBench 2 ``get_single_rating``: a trailing integer 1..10; the Ties subset uses ``ratings_prompt_ties``,
also under the four-way ``rewardbench2`` template, as ``run_generative_v2.py`` always rates Ties).

Every response gets one request; identical requests (the same answer to the same prompt) are asked once
by the engine. Each judgement keeps the raw text and the rating or ``invalid``. An unparseable rating
counts as -1, as both sources record it (FastChat ``run_judge_single``, RewardBench 2 ``get_single_rating``).

Outcomes, from the record alone:

* pairs: the chosen response must be rated strictly higher (1), lower is 0, equal is the benchmark's tie
  credit (RewardBench and M-RewardBench 0.5, Long-RewardBench 0.5 as its expected-order rule); on
  JudgeBench each order's decision is "A>B" / "B>A" / "A=B" from the two ratings (JudgeLM's rule there)
  and the pair goes through the two-order sum rule;
* candidate lists carry ``scores`` = the ratings (-1 unparseable), so a benchmark's own best-of-N rule
  scores them (RewardBench 2: ``1/#top`` when the correct one is among the top, which equals
  ``rewardbench2_ratings_credit`` for its four responses, 0.25 when none is valid; Ties: its formula on
  the raw ratings, as ``process_single_model``). :func:`rating_outcome` gives Long-RewardBench's expected
  rank credit and otherwise ``rewardbench2_ratings_credit``.

PC2 records (:mod:`assay.judges.pc2`) score the same way from their ``round == "score"`` judgements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.judges.parsers import PARSERS
from assay.judges.scoring import (
    POLICIES,
    decision_from_scores,
    judgebench_outcome,
    pair_score_credit,
    rewardbench2_ratings_credit,
)
from assay.judges.templates import judge_template, render_rating
from assay.models.generation import GenerateRequest, Generation
from assay.protocols.judge_pairwise import Generate, JudgeConfig, Record
from assay.samples import Candidates, Pair, Sample, sample_to_json

INVALID_SCORE = -1.0
RB2_RATING_TEMPLATES = ("rewardbench2", "rewardbench2-ratings")


def is_ties(sample: Sample, cfg: JudgeConfig) -> bool:
    """RewardBench 2's Ties subset (rated with ``ratings_prompt_ties``)."""
    return cfg.policy == "rewardbench2" and sample.subset.lower() == "ties"


def rating_parser(cfg: JudgeConfig) -> str:
    return "rewardbench-ratings" if cfg.template in RB2_RATING_TEMPLATES else "rating"


def responses(sample: Sample) -> list[tuple[str | int, str]]:
    """(key, text) of the responses to rate: "chosen"/"rejected" for a pair, indices for candidates."""
    if isinstance(sample, Pair):
        return [("chosen", sample.chosen), ("rejected", sample.rejected)]
    if isinstance(sample, Candidates):
        return list(enumerate(sample.responses))
    raise ValueError(f"item {sample.id}: a rating judge takes pairs or candidate lists")


def rating_requests(sample: Sample, cfg: JudgeConfig) -> list[GenerateRequest]:
    template = judge_template(cfg.template)
    ties = is_ties(sample, cfg)
    return [
        GenerateRequest(render_rating(template, sample.prompt, text, ties=ties), cfg.sampling)
        for _, text in responses(sample)
    ]


def parse_one(cfg: JudgeConfig, text: str) -> Any:
    if rating_parser(cfg) == "rewardbench-ratings":
        return PARSERS["rewardbench-ratings"](text)
    lo, hi = judge_template(cfg.template).scale or (1.0, 10.0)
    return PARSERS["rating"](text, lo, hi)


def rating_record(sample: Sample, cfg: JudgeConfig, gens: Sequence[Generation]) -> Record:
    rec = sample_to_json(sample)
    rec["kind"] = "pair" if isinstance(sample, Pair) else "candidates"
    template = judge_template(cfg.template)
    rec["judge"] = {
        "mode": "rating",
        "template": cfg.template,
        "parser": rating_parser(cfg),
        "policy": cfg.policy,
        "scale": list(template.scale) if rating_parser(cfg) == "rating" and template.scale else [1, 10],
        "ties_prompt": is_ties(sample, cfg),
    }
    judgements = []
    for (key, _), gen in zip(responses(sample), gens, strict=True):
        v = parse_one(cfg, gen.text)
        judgements.append(
            {
                "response": key,
                "raw": gen.text,
                "verdict": v.value if v.valid else "invalid",
                "valid": v.valid,
                "reason": v.reason,
                "prompt_tokens": gen.prompt_tokens,
                "completion_tokens": gen.completion_tokens,
            }
        )
    rec["judgements"] = judgements
    if isinstance(sample, Candidates):
        rec["scores"] = scores_of(judgements, len(sample.responses))
    return rec


def run(samples: Sequence[Sample], cfg: JudgeConfig, generate: Generate) -> list[Record]:
    per_sample = [rating_requests(s, cfg) for s in samples]
    gens = generate([r for reqs in per_sample for r in reqs])
    out, pos = [], 0
    for s, reqs in zip(samples, per_sample, strict=True):
        out.append(rating_record(s, cfg, gens[pos : pos + len(reqs)]))
        pos += len(reqs)
    return out


def _score(j: dict[str, Any]) -> float:
    v = j.get("verdict")
    ok = j.get("valid") and isinstance(v, (int, float)) and not isinstance(v, bool)
    return float(v) if ok else INVALID_SCORE


def scores_of(judgements: Sequence[dict[str, Any]], n: int) -> list[float]:
    """Per-response scores (-1 for an unparseable rating) in response order."""
    by_key = {j["response"]: _score(j) for j in judgements}
    return [by_key.get(i, INVALID_SCORE) for i in range(n)]


def _scored(record: Record) -> list[dict[str, Any]]:
    js = record["judgements"]
    return [j for j in js if j.get("round", "score") == "score"]


def rating_outcome(record: Record) -> dict[str, Any]:
    """Credit of a rating (or PC2) record under its policy; see the module docstring."""
    js = _scored(record)
    policy = POLICIES[(record.get("judge") or {}).get("policy", "rewardbench")]
    invalid = sum(1 for j in js if not j.get("valid"))
    if record.get("kind") == "pair":
        by_key = {j["response"]: _score(j) for j in js}
        c, r = by_key.get("chosen", INVALID_SCORE), by_key.get("rejected", INVALID_SCORE)
        if policy.name == "judgebench":  # order 1 shows the chosen answer first, order 2 swaps them
            counter, correct = judgebench_outcome(decision_from_scores(c, r), decision_from_scores(r, c), "A>B")
            return {
                "credit": float(correct),
                "correct": int(correct),
                "counter": counter,
                "tie": counter == 0,
                "invalid": invalid,
                "ratings": [c, r],
            }
        credit = pair_score_credit(c, r, policy.tie)
        return {"credit": credit, "correct": int(credit == 1), "tie": c == r, "invalid": invalid, "ratings": [c, r]}
    scores = scores_of(js, len(record["responses"]))
    if policy.name == "longrewardbench":
        from assay.metrics.bestofn import long_rank_credit

        ranking = record.get("ranking") or list(range(1, len(scores) + 1))
        out = long_rank_credit(scores, ranking)
        return {"credit": out["credit"], "tie": out["tie"], "invalid": invalid, "pred_rank": out["pred_rank"]}
    best = int(record["best"][0])
    credit = rewardbench2_ratings_credit([s if s != INVALID_SCORE else None for s in scores], best)
    top = max(scores)
    return {"credit": credit, "tie": sum(1 for s in scores if s == top) > 1, "invalid": invalid}
