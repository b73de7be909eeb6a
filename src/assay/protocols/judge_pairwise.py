"""A generative judge on preference pairs: which of two answers is better, asked in a seeded order.

Answer placement (is the chosen response shown as A?) follows the benchmark's own rule and is recorded
with every judgement (``chosen_label``) and in ``record["judge"]["placement"]``:

* RewardBench (default): even first byte of sha256(f"{seed}:{id}") = chosen shown as A;
* M-RewardBench: ``np.random.rand() > 0.5`` swaps the pair in the original; here the draw is a uniform
  number from sha256(f"{seed}:{id}:swap") (recorded), > 0.5 = chosen shown as B;
* Long-RewardBench: the loader's replay of the original's ``random.seed(42)`` shuffles (``meta.order``);
* JudgeBench: the dataset's own order (response_A as A) first, then swapped: always both orders.

``both_orders`` asks every pair in both placements. Every raw output is kept with its parsed verdict or
``invalid``. The outcome is the benchmark's published rule (:mod:`assay.judges.scoring` ``POLICIES``,
named in ``record["judge"]["policy"]``): RewardBench / M-RewardBench 1 / 0 / 0.5 for an unparseable or
tie verdict (with both orders the mean of the two); Long-RewardBench 1 / 0 / 0 (``compare_shuffled``);
JudgeBench the two-order sum rule (``compute_final_metrics``). :func:`judge_outcome` dispatches every
judge record (rating, ranking, four-way, PC2 too) to its protocol, so benchmarks call one function.

The ``judgebench-arena-hard`` template repeats JudgeBench ``ArenaHard.get_judgment``'s second attempt:
when the first output holds no ``[[...]]`` label the conversation continues with "continue your judgment
and finish by outputting a final verdict label" and the two outputs are parsed together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.judges.parsers import PARSERS
from assay.judges.scoring import POLICIES, as_ab, as_decision, judgebench_outcome
from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.samples import Message, Pair, sample_to_json

Generate = Callable[[Sequence[GenerateRequest]], list[Generation]]
Record = dict[str, Any]


@dataclass(frozen=True)
class JudgeConfig:
    """A judge run's settings; ``policy`` names the scoring rule (:data:`assay.judges.scoring.POLICIES`)."""

    template: str = "rewardbench"
    parser: str = "rewardbench"
    both_orders: bool = False
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.0, max_tokens=512))
    seed: int = 0
    policy: str = "rewardbench"


def chosen_is_a(seed: int, item_id: str) -> bool:
    """The seeded placement of one item: independent of order, batch and worker count."""
    return hashlib.sha256(f"{seed}:{item_id}".encode()).digest()[0] % 2 == 0


def uniform(seed: int, key: str) -> float:
    """A uniform number in [0, 1) from sha256(f"{seed}:{key}"): a per-item draw that no batch can change."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64


def placement(sample: Pair, cfg: JudgeConfig) -> dict[str, Any]:
    """Where the chosen answer is shown first (``first``: "A" or "B") and by which rule."""
    meta = sample.meta or {}
    if cfg.policy == "mrewardbench":
        draw = uniform(cfg.seed, f"{sample.id}:swap")
        return {
            "rule": "mrewardbench: draw > 0.5 = chosen shown as B",
            "draw": draw,
            "first": "B" if draw > 0.5 else "A",
        }
    if cfg.policy == "longrewardbench" and [int(i) for i in meta.get("order") or []] in ([0, 1], [1, 0]):
        order = [int(i) for i in meta["order"]]
        return {
            "rule": "long-rewardbench: meta.order (random.seed(42) replay)",
            "order": order,
            "first": "A" if order[0] == 0 else "B",
        }
    if cfg.policy == "judgebench" and meta.get("label") in ("A>B", "B>A"):
        return {
            "rule": "judgebench: dataset order first",
            "label": meta["label"],
            "first": "A" if meta["label"] == "A>B" else "B",
        }
    return {
        "rule": "sha256(seed:id) first byte even = chosen shown as A",
        "first": "A" if chosen_is_a(cfg.seed, sample.id) else "B",
    }


def placements(sample: Pair, cfg: JudgeConfig) -> list[str]:
    """The label of the chosen answer in each judgement asked ("A" or "B")."""
    first = placement(sample, cfg)["first"]
    both = cfg.both_orders or POLICIES[cfg.policy].both_orders
    return [first, "B" if first == "A" else "A"] if both else [first]


def _request(sample: Pair, label: str, cfg: JudgeConfig) -> GenerateRequest:
    from assay.judges.templates import render_pairwise

    a, b = (sample.chosen, sample.rejected) if label == "A" else (sample.rejected, sample.chosen)
    return GenerateRequest(render_pairwise(cfg.template, sample.prompt, a, b), cfg.sampling)


def judge_requests(sample: Pair, cfg: JudgeConfig) -> list[GenerateRequest]:
    return [_request(sample, label, cfg) for label in placements(sample, cfg)]


def _needs_continuation(cfg: JudgeConfig, text: str) -> bool:
    from assay.judges.parsers import _JUDGEBENCH_LABEL

    return cfg.template == "judgebench-arena-hard" and not [m for m in _JUDGEBENCH_LABEL.findall(text) if m]


def _continuation(first: GenerateRequest, text: str) -> GenerateRequest:
    from assay.judges.templates import JUDGEBENCH_CONTINUE

    prompt = (*first.prompt, Message("assistant", text), Message("user", JUDGEBENCH_CONTINUE))
    return GenerateRequest(prompt, first.sampling)


def judge_record(
    sample: Pair, cfg: JudgeConfig, gens: list[Generation], continued: dict[int, Generation] | None = None
) -> Record:
    """The samples.jsonl line: inputs, and per judgement the placement, raw text and parsed verdict.

    ``continued`` maps a judgement index to its second-attempt output (``judgebench-arena-hard``)."""
    parse = PARSERS[cfg.parser]
    rec = sample_to_json(sample)
    rec["kind"] = "pair"
    place = placement(sample, cfg)
    rec["judge"] = {
        "mode": "pairwise",
        "template": cfg.template,
        "parser": cfg.parser,
        "policy": cfg.policy,
        "placement": {k: v for k, v in place.items() if k != "first"},
    }
    judgements = []
    for i, (label, gen) in enumerate(zip(placements(sample, cfg), gens, strict=True)):
        raw, extra = gen.text, {}
        prompt_tokens, completion_tokens = gen.prompt_tokens, gen.completion_tokens
        second = (continued or {}).get(i)
        if second is not None:  # ArenaHard: judgment = "\n" + first + "\n" + second, parsed as one text
            raw = gen.text + "\n" + second.text
            extra = {"rounds": [gen.text, second.text]}
            prompt_tokens += second.prompt_tokens
            completion_tokens += second.completion_tokens
        v = parse(raw)
        judgements.append(
            {
                "chosen_label": label,
                "raw": raw,
                "verdict": v.value if v.valid else "invalid",
                "valid": v.valid,
                "reason": v.reason,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                **extra,
            }
        )
    rec["judgements"] = judgements
    return rec


def run(samples: Sequence[Pair], cfg: JudgeConfig, generate: Generate) -> list[Record]:
    """Judge every pair (one round; a second for ``judgebench-arena-hard`` outputs without a label)."""
    per_sample = [judge_requests(s, cfg) for s in samples]
    flat = [r for reqs in per_sample for r in reqs]
    gens = generate(flat)
    chunks, pos = [], 0
    for reqs in per_sample:
        chunks.append(gens[pos : pos + len(reqs)])
        pos += len(reqs)
    todo = [(i, j) for i, ch in enumerate(chunks) for j, g in enumerate(ch) if _needs_continuation(cfg, g.text)]
    second = generate([_continuation(per_sample[i][j], chunks[i][j].text) for i, j in todo]) if todo else []
    continued: dict[int, dict[int, Generation]] = {}
    for (i, j), g in zip(todo, second, strict=True):
        continued.setdefault(i, {})[j] = g
    return [judge_record(s, cfg, ch, continued.get(i)) for i, (s, ch) in enumerate(zip(samples, chunks, strict=True))]


def _verdict(j: dict[str, Any]) -> Any:
    return j["verdict"] if j.get("valid") else None


def judgebench_pair_outcome(js: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """JudgeBench ``compute_final_metrics``: the two decisions (second order flipped) summed against the label."""
    if len(js) != 2 or js[0]["chosen_label"] == js[1]["chosen_label"]:
        raise ValueError("a JudgeBench judge record needs both orders (two judgements, opposite placements)")
    label = "A>B" if js[0]["chosen_label"] == "A" else "B>A"
    d1, d2 = (as_decision(_verdict(j)) for j in js)
    counter, correct = judgebench_outcome(d1, d2, label)
    flipped = {"A>B": "B>A", "B>A": "A>B"}.get(d2, d2) if isinstance(d2, str) else d2
    return {
        "credit": float(correct),
        "correct": int(correct),
        "counter": counter,
        "tie": counter == 0,
        "invalid": sum(1 for j in js if not j.get("valid")),
        "decisions": [d1, d2],
        "agree": d1 is not None and d1 == flipped,
        "consistent": d1 == flipped,  # compute_final_metrics: n_inconsistent counts decision1 != decision2
    }


def pairwise_outcome(record: Record) -> dict[str, Any]:
    """Credit of a pairwise judge record under its policy (RewardBench's when the record names none)."""
    js = record["judgements"]
    policy = POLICIES[(record.get("judge") or {}).get("policy", "rewardbench")]
    if policy.name == "judgebench":
        return judgebench_pair_outcome(js)
    credits = [policy.pair_credit(_verdict(j), j["chosen_label"]) for j in js]
    credit = sum(credits) / len(credits)
    out: dict[str, Any] = {
        "credit": credit,
        "correct": 1 if credit == 1 else 0,
        "tie": any(c not in (0.0, 1.0) for c in credits) or any(as_ab(_verdict(j)) == "tie" for j in js),
        "invalid": sum(1 for j in js if not j.get("valid")),
    }
    if len(js) == 2:  # the two placements agree when they pick the same underlying response
        out["agree"] = credits[0] == credits[1] and all(j.get("valid") for j in js)
    return out


def judge_outcome(record: Record) -> dict[str, Any]:
    """Credit from the recorded judgements alone (``assay rescore`` recomputes it), for every judge mode."""
    mode = (record.get("judge") or {}).get("mode", "pairwise")
    if mode == "pairwise":
        return pairwise_outcome(record)
    if mode in ("rating", "pc2"):
        from assay.protocols.judge_rating import rating_outcome

        return rating_outcome(record)
    if mode in ("ranking", "four"):
        from assay.protocols.judge_ranking import ranking_outcome

        return ranking_outcome(record)
    raise ValueError(f"item {record.get('id')}: unknown judge mode {mode!r}")


def judge_summary(records: list[Record]) -> dict[str, Any]:
    """Invalid rate, the policy applied, and (pairwise) both-orders agreement, for metrics.json."""
    judged = [r for r in records if "judgements" in r]
    js = [j for r in judged for j in r["judgements"]]
    invalid = sum(1 for j in js if not j.get("valid"))
    names = sorted({(r.get("judge") or {}).get("policy", "rewardbench") for r in judged})
    policies = [{"name": n, "rule": POLICIES[n].rule, "source": POLICIES[n].source} for n in names]
    summary: dict[str, Any] = {
        "judgements": len(js),
        "invalid": invalid,
        "invalid_rate": (invalid / len(js)) if js else None,
        "policy": policies[0] if len(policies) == 1 else policies,
        "templates": sorted({(r.get("judge") or {}).get("template", "rewardbench") for r in judged}),
        "modes": _counts((r.get("judge") or {}).get("mode", "pairwise") for r in judged),
    }
    rounds = _counts(j["round"] for j in js if "round" in j and not j.get("valid"))
    if rounds:
        summary["invalid_by_round"] = rounds
    outs = [judge_outcome(r) for r in judged]
    both = [o["agree"] for o in outs if "agree" in o]
    if both:
        summary["both_orders_agreement"] = sum(both) / len(both)
    pair_js = [
        j for r in judged if (r.get("judge") or {}).get("mode", "pairwise") == "pairwise" for j in r["judgements"]
    ]
    a_or_b = [as_ab(j["verdict"]) for j in pair_js if j.get("valid") and as_ab(j["verdict"]) in ("A", "B")]
    if a_or_b:
        summary["share_verdict_A"] = sum(1 for v in a_or_b if v == "A") / len(a_or_b)
    return summary


def _counts(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[str(x)] = out.get(str(x), 0) + 1
    return dict(sorted(out.items()))
