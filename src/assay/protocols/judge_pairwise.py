"""A generative judge on preference pairs: which of two answers is better, asked in a seeded order.

Answer placement (is the chosen response shown as A?) is a deterministic function of (seed, item id),
recorded with every judgement; ``both_orders`` asks in both placements. Every raw output is kept with
its parsed verdict or ``invalid``; nothing unparseable disappears. The outcome follows RewardBench's
generative rule (``rewardbench/generative.py`` ``process_judgement`` and ``scripts/run_generative.py``):
credit 1 when the verdict names the chosen answer, 0 when it names the rejected one, 0.5 when the
output cannot be parsed; with both orders the item's credit is the mean of the two judgements.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from assay.judges.parsers import PARSERS
from assay.judges.scoring import rewardbench_credit
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.samples import Pair, sample_to_json


@dataclass(frozen=True)
class JudgeConfig:
    template: str = "rewardbench"
    parser: str = "rewardbench"
    both_orders: bool = False
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.0, max_tokens=512))
    seed: int = 0


def chosen_is_a(seed: int, item_id: str) -> bool:
    """The seeded placement of one item: independent of order, batch and worker count."""
    return hashlib.sha256(f"{seed}:{item_id}".encode()).digest()[0] % 2 == 0


def placements(sample: Pair, cfg: JudgeConfig) -> list[str]:
    """The label of the chosen answer in each judgement asked ("A" or "B")."""
    first = "A" if chosen_is_a(cfg.seed, sample.id) else "B"
    return [first, "B" if first == "A" else "A"] if cfg.both_orders else [first]


def judge_requests(sample: Pair, cfg: JudgeConfig) -> list[GenerateRequest]:
    from assay.judges.templates import render_pairwise

    out = []
    for label in placements(sample, cfg):
        a, b = (sample.chosen, sample.rejected) if label == "A" else (sample.rejected, sample.chosen)
        out.append(GenerateRequest(render_pairwise(cfg.template, sample.prompt, a, b), cfg.sampling))
    return out


def judge_record(sample: Pair, cfg: JudgeConfig, gens: list[Generation]) -> dict[str, Any]:
    """The samples.jsonl line: inputs, and per judgement the placement, raw text and parsed verdict."""
    parse = PARSERS[cfg.parser]
    rec = sample_to_json(sample)
    rec["kind"] = "pair"
    judgements = []
    for label, gen in zip(placements(sample, cfg), gens, strict=True):
        v = parse(gen.text)
        judgements.append(
            {
                "chosen_label": label,
                "raw": gen.text,
                "verdict": v.value if v.valid else "invalid",
                "valid": v.valid,
                "reason": v.reason,
                "prompt_tokens": gen.prompt_tokens,
                "completion_tokens": gen.completion_tokens,
            }
        )
    rec["judgements"] = judgements
    return rec


def judge_outcome(record: dict[str, Any]) -> dict[str, Any]:
    """Credit from the recorded judgements alone (``assay rescore`` recomputes it)."""
    js = record["judgements"]
    credits = [rewardbench_credit(j["verdict"] if j["valid"] else None, j["chosen_label"]) for j in js]
    credit = sum(credits) / len(credits)
    out: dict[str, Any] = {
        "credit": credit,
        "correct": 1 if credit == 1 else 0,
        "tie": any(not j["valid"] or j["verdict"] == "tie" for j in js),
        "invalid": sum(1 for j in js if not j["valid"]),
    }
    if len(js) == 2:  # the two placements agree when they pick the same underlying response
        out["agree"] = credits[0] == credits[1] and all(j["valid"] for j in js)
    return out


def judge_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Invalid rate and (with both orders) agreement, for metrics.json."""
    js = [j for r in records for j in r.get("judgements", [])]
    outs = [judge_outcome(r) for r in records if "judgements" in r]
    summary: dict[str, Any] = {
        "judgements": len(js),
        "invalid": sum(1 for j in js if not j["valid"]),
        "invalid_rate": (sum(1 for j in js if not j["valid"]) / len(js)) if js else None,
        "policy": "unparseable verdict scores 0.5 (RewardBench generative)",
    }
    both = [o["agree"] for o in outs if "agree" in o]
    if both:
        summary["both_orders_agreement"] = sum(both) / len(both)
    a_first = [j for j in js if j["valid"] and j["verdict"] in ("A", "B")]
    if a_first:
        summary["share_verdict_A"] = sum(1 for j in a_first if j["verdict"] == "A") / len(a_first)
    return summary
