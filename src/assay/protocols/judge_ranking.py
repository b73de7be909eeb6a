"""A generative judge shown all candidates in one prompt: a full ranking, or RewardBench 2's four-way pick.

Ranking (template ``ranking``; LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench``): the candidates
are shown in a permuted order, the judge answers ``[[C>A>B]]``. The order is Long-RewardBench's own
(``meta.order``: the loader replays ``preprocess.py``'s ``random.seed(42)`` shuffles) or, for other
benchmarks, a permutation seeded by (seed, item id). Parsed by ``extract_judgement`` (type "rank",
:func:`assay.judges.parsers.parse_ranking`); credit ``compare_shuffled(shuffled_order, result)``: the
fraction of shown positions whose predicted rank equals the gold rank, 0 for an unparseable output
(:func:`assay.judges.scoring.longrewardbench_credit`). The gold rank of the response shown at position
``p`` is its true rank (``ranking``, 1 = best) minus one, or its index when the responses are listed best
first (Long-RewardBench).

Four-way (template ``rewardbench2``; allenai/reward-bench ``scripts/run_generative_v2.py``): the correct
response and the first three others fill slots A..D, then ``shuffle_option = np.random.randint(0, 4)``
swaps slot A with that slot (0 keeps the order); here the option is seeded by (seed, item id) and recorded.
Credit ``process_shuffled``: 1 if the judge names the correct slot, 0 for another slot, 0.25 when the output
has no label (:func:`assay.judges.scoring.rewardbench2_four_credit`).

Both record ``scores`` per response (four-way: 1 for the picked response, else 0; ranking: n minus the rank
position, all 0 when unparseable), so a benchmark's own best-of-N rule can read them; for RewardBench 2's
four responses ``1/#top`` on these votes equals the four-way credit exactly (0.25 = 1/4 when nothing is picked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from assay.judges.parsers import LETTERS, PARSERS, ranking_positions
from assay.judges.scoring import longrewardbench_credit, rewardbench2_four_credit
from assay.judges.templates import render_four, render_ranking
from assay.models.generation import GenerateRequest, Generation
from assay.protocols.judge_pairwise import Generate, JudgeConfig, Record, uniform
from assay.samples import Candidates, sample_to_json


def shown_order(sample: Candidates, cfg: JudgeConfig) -> tuple[list[int], str]:
    """``order[p]`` = the response shown at position p, and the rule that gave it."""
    n = len(sample.responses)
    meta_order = [int(i) for i in (sample.meta or {}).get("order") or []]
    if cfg.policy == "longrewardbench" and sorted(meta_order) == list(range(n)):
        return meta_order, "long-rewardbench: meta.order (random.seed(42) replay)"
    digest = hashlib.sha256(f"{cfg.seed}:{sample.id}:order".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    return [int(i) for i in rng.permutation(n)], "np.random.default_rng(sha256(seed:id:order)).permutation(n)"


def four_slots(sample: Candidates, cfg: JudgeConfig) -> tuple[list[int], int]:
    """RewardBench 2's arrangement: [correct, other0, other1, other2] with slot A swapped with slot k."""
    if len(sample.responses) != 4 or len(sample.best) != 1:
        raise ValueError(
            f"item {sample.id}: the RewardBench 2 four-way judge takes exactly 4 responses with one correct one "
            f"(got {len(sample.responses)} responses, {len(sample.best)} correct)"
        )
    best = int(sample.best[0])
    slots = [best, *[i for i in range(4) if i != best]]
    option = int(uniform(cfg.seed, f"{sample.id}:four") * 4)
    slots[0], slots[option] = slots[option], slots[0]
    return slots, option


def _request(sample: Candidates, cfg: JudgeConfig, mode: str) -> GenerateRequest:
    order = four_slots(sample, cfg)[0] if mode == "four" else shown_order(sample, cfg)[0]
    answers = [sample.responses[i] for i in order]
    prompt = render_four(sample.prompt, answers) if mode == "four" else render_ranking(sample.prompt, answers)
    return GenerateRequest(prompt, cfg.sampling)


def ranking_record(sample: Candidates, cfg: JudgeConfig, gen: Generation, mode: str) -> Record:
    n = len(sample.responses)
    rec = sample_to_json(sample)
    rec["kind"] = "candidates"
    judgement: dict[str, Any] = {"raw": gen.text}
    if mode == "four":
        order, option = four_slots(sample, cfg)
        v = PARSERS["rewardbench2"](gen.text)
        judgement.update(order=order, shuffle_option=option, chosen_label=LETTERS[option])
        rule = "slot A swapped with slot int(4 * uniform(sha256(seed:id:four)))"
        picked = order[LETTERS.index(v.value)] if v.valid else None
        rec["scores"] = [1.0 if i == picked else 0.0 for i in range(n)]
    else:
        order, rule = shown_order(sample, cfg)
        v = PARSERS["ranking"](gen.text, n)
        judgement["order"] = order
        scores = [0.0] * n
        if v.valid:
            judgement["positions"] = ranking_positions(v.value)
            for p, resp in enumerate(order):
                scores[resp] = float(n - judgement["positions"][p])
        rec["scores"] = scores
    judgement.update(
        verdict=(list(v.value) if isinstance(v.value, tuple) else v.value) if v.valid else "invalid",
        valid=v.valid,
        reason=v.reason,
        prompt_tokens=gen.prompt_tokens,
        completion_tokens=gen.completion_tokens,
    )
    rec["judge"] = {
        "mode": mode,
        "template": cfg.template,
        "parser": "rewardbench2" if mode == "four" else "ranking",
        "policy": cfg.policy,
        "placement": {"rule": rule},
    }
    rec["judgements"] = [judgement]
    return rec


def run(samples: Sequence[Candidates], cfg: JudgeConfig, generate: Generate, mode: str = "ranking") -> list[Record]:
    if mode not in ("ranking", "four"):
        raise ValueError(f"unknown listwise mode {mode!r}")
    gens = generate([_request(s, cfg, mode) for s in samples])
    return [ranking_record(s, cfg, g, mode) for s, g in zip(samples, gens, strict=True)]


def golden_order(record: Record, order: Sequence[int]) -> list[int]:
    """Long-RM's ``shuffled_order`` in gold-rank terms: the 0-based true rank of the response shown at p."""
    ranking = record.get("ranking")
    if ranking is not None:
        return [int(ranking[i]) - 1 for i in order]
    return [int(i) for i in order]  # responses listed best first (Long-RewardBench)


def ranking_outcome(record: Record) -> dict[str, Any]:
    """Credit of a ranking or four-way record (see the module docstring)."""
    (j,) = record["judgements"]
    mode = (record.get("judge") or {}).get("mode")
    invalid = 0 if j.get("valid") else 1
    if mode == "four":
        credit = rewardbench2_four_credit(j["verdict"] if j.get("valid") else None, j["chosen_label"])
        return {"credit": credit, "tie": credit == 0.25, "invalid": invalid}
    verdict = tuple(j["verdict"]) if j.get("valid") and isinstance(j["verdict"], list) else None
    credit = longrewardbench_credit(verdict, golden_order(record, j["order"]))
    return {"credit": credit, "tie": False, "invalid": invalid}
