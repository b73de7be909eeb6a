"""Published outcome rules for generative judges, as plain functions of parsed verdicts.

A verdict may be given as a :class:`Verdict` or as its bare value (``None`` for unparseable). Labels are the
positions the judge saw ("A" = first shown); ``chosen_label`` says where the chosen response was placed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assay.judges.parsers import ranking_positions
from assay.judges.verdict import Verdict, VerdictValue


def _value(verdict: Verdict | VerdictValue) -> VerdictValue:
    if isinstance(verdict, Verdict):
        return verdict.value if verdict.valid else None
    return verdict


def _check_label(label: str, allowed: str) -> None:
    if label not in allowed or len(label) != 1:
        raise ValueError(f"chosen_label must be one of {list(allowed)}, got {label!r}")


def rewardbench_credit(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    """1 if the judge picked the chosen response, 0 if it picked the rejected one, 0.5 otherwise.

    allenai/reward-bench ``scripts/run_generative.py`` ``get_judgement`` / ``process_shuffled``:
    ``if winner == winner_text: 1 elif winner == loser_text: 0 else: 0.5  # effectively a tie``
    (``winner_text`` is "B" when the pair was shuffled). "error" and a tie both get 0.5.
    """
    _check_label(chosen_label, "AB")
    value = _value(verdict)
    loser = "B" if chosen_label == "A" else "A"
    if value == chosen_label:
        return 1.0
    if value == loser:
        return 0.0
    return 0.5


def mrewardbench_credit(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    """M-RewardBench generative: as RewardBench, with a random A/B swap per item; tie or error -> 0.5.

    for-ai/aya_rm_multilingual ``scripts/run_generative.py`` ``get_judgement`` / ``process_shuffled``:
    ``is_shuffled = np.random.rand() > 0.5`` (then ``winner_text = "B"``); ``winner == winner_text`` -> 1,
    ``winner == loser_text`` -> 0, else 0.5. The swap is the caller's: pass where the chosen one went.
    """
    return rewardbench_credit(verdict, chosen_label)


def rewardbench2_four_credit(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    """RewardBench 2 best-of-4: 1 if the chosen response is picked, 0 if a rejected one, 0.25 on error.

    allenai/reward-bench ``scripts/run_generative_v2.py`` ``get_judgement`` (non-ratings branch):
    ``if winner == winner_text: 1 elif winner in loser_texts: 0 else: 0.25  # effectively a tie``.
    """
    _check_label(chosen_label, "ABCD")
    value = _value(verdict)
    if value == chosen_label:
        return 1.0
    if isinstance(value, str) and value in "ABCD" and len(value) == 1:
        return 0.0
    return 0.25


def rewardbench2_ratings_credit(ratings: Sequence[Verdict | VerdictValue], correct_index: int = 0) -> float:
    """RewardBench 2 ratings mode: each response rated alone; credit shared among the top-rated.

    allenai/reward-bench ``rewardbench/generative_v2.py`` ``run_judge_ratings_multi`` and
    ``scripts/run_generative_v2.py`` ``get_judgement`` (ratings branch): invalid ratings are -1; if none is
    valid -> 0.25 ("effectively a tie"); else ``winners`` = indices whose rating equals the max valid
    rating and the credit is ``(correct_index in winners) / len(winners)``. The correct (chosen) response
    is index 0 there (``texts_chosen`` extended by ``texts_rejected``).
    """
    if not 0 <= correct_index < len(ratings):
        raise ValueError(f"correct_index {correct_index} outside 0..{len(ratings) - 1}")
    values = [_value(r) for r in ratings]
    scores = [float(v) if isinstance(v, (int, float)) else -1.0 for v in values]
    valid = [s for s in scores if s != -1]
    if not valid:
        return 0.25
    top = max(valid)
    winners = [i for i, s in enumerate(scores) if s == top]
    return (correct_index in winners) / len(winners)


def _flip(decision: VerdictValue) -> VerdictValue:
    if decision == "A>B":
        return "B>A"
    if decision == "B>A":
        return "A>B"
    return decision


def judgebench_outcome(
    verdict_order1: Verdict | VerdictValue, verdict_order2: Verdict | VerdictValue, label: str
) -> tuple[int, bool]:
    """JudgeBench two-order rule: returns ``(counter, correct)`` with correct = counter > 0.

    ScalerLab/JudgeBench ``utils/metrics.py`` ``compute_final_metrics`` (``reverse_order=True``): the second
    judgment (responses swapped) is flipped with ``flip_judgment`` ("A>B" <-> "B>A", anything else kept);
    for each decision +1 if it equals ``label``, -1 if it equals ``flip_judgment(label)``, else 0 (None,
    "A=B"); the pair is correct if the sum > 0, incorrect if < 0, a tie (not correct) at 0.
    ``label`` is "A>B" or "B>A" in the first order.
    """
    if label not in ("A>B", "B>A"):
        raise ValueError(f"label must be 'A>B' or 'B>A', got {label!r}")
    counter = 0
    for decision in (_value(verdict_order1), _flip(_value(verdict_order2))):
        if decision == label:
            counter += 1
        elif decision == _flip(label):
            counter -= 1
    return counter, counter > 0


def longrewardbench_credit(verdict: Verdict | VerdictValue, golden: Sequence[int]) -> float:
    """Long-RewardBench: fraction of assistants whose rank position matches the gold order.

    LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench/evaluator.py`` ``evaluate.compare_shuffled``:
    ``if not result: 0`` else ``sum(int(a == b) for a, b in zip(golden, result)) / len(golden)``, where
    ``result`` is ``extract_judgement``'s position list (:func:`assay.judges.parsers.ranking_positions`;
    pairwise ``[[A]]`` -> [0, 1], ``[[B]]`` -> [1, 0]).
    """
    value = _value(verdict)
    if not value or not golden:
        return 0.0
    if value == "A":
        result = [0, 1]
    elif value == "B":
        result = [1, 0]
    elif isinstance(value, tuple):
        result = ranking_positions(value)
    else:
        return 0.0
    return sum(int(a == b) for a, b in zip(golden, result, strict=False)) / len(golden)


def credit_for(fmt: str, verdict: Verdict, chosen_label: str) -> float | None:
    """The per-item credit where one judge output and the chosen position decide it; else None."""
    if fmt in ("rewardbench", "rm-r1"):
        return rewardbench_credit(verdict, chosen_label)
    if fmt == "rewardbench2":
        return rewardbench2_four_credit(verdict, chosen_label)
    return None


# ---------------------------------------------------------------------------------------------------------
# Per-benchmark judge policies: which published rule scores a judge run on which benchmark.


def as_ab(verdict: Verdict | VerdictValue) -> VerdictValue:
    """A pairwise verdict as "A" / "B" / "tie" (JudgeBench decisions "A>B" / "B>A" / "A=B" converted)."""
    value = _value(verdict)
    return {"A>B": "A", "B>A": "B", "A=B": "tie"}.get(value, value) if isinstance(value, str) else value


def as_decision(verdict: Verdict | VerdictValue) -> VerdictValue:
    """A pairwise verdict as a JudgeBench decision ("A" -> "A>B", "B" -> "B>A", "tie" -> "A=B")."""
    value = _value(verdict)
    return {"A": "A>B", "B": "B>A", "tie": "A=B"}.get(value, value) if isinstance(value, str) else value


def decision_from_scores(score_a: float, score_b: float) -> str:
    """A JudgeBench decision from two pointwise scores of the answers shown as A and B: "A=B" when equal
    (JudgeBench ``JudgeLM.get_judgment``: ``scores[0] > scores[1]`` -> A>B, ``<`` -> B>A, else A=B)."""
    if score_a > score_b:
        return "A>B"
    if score_b > score_a:
        return "B>A"
    return "A=B"


def longrewardbench_pair_credit(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    """Long-RewardBench PairWise: ``compare_shuffled(shuffled_order, extract_judgement(out, "pair"))``.

    With the chosen response shown at ``chosen_label``, the gold order is [0, 1] (chosen at A) or [1, 0];
    ``[[A]]`` reads [0, 1], ``[[B]]`` [1, 0], anything else [] (credit 0, not 0.5: Long-RM has no tie credit).
    """
    _check_label(chosen_label, "AB")
    golden = [0, 1] if chosen_label == "A" else [1, 0]
    value = as_ab(verdict)
    return longrewardbench_credit(value if value in ("A", "B") else None, golden)


def pair_score_credit(chosen: float, rejected: float, tie: float) -> float:
    """A pair scored pointwise: 1 if the chosen response's score is strictly higher, 0 if lower, ``tie`` if
    equal. Unparseable ratings enter as -1 (FastChat ``run_judge_single`` and RewardBench 2
    ``get_single_rating`` both record -1), so a valid rating beats an invalid one and two invalid ones tie."""
    if chosen > rejected:
        return 1.0
    if chosen < rejected:
        return 0.0
    return tie


@dataclass(frozen=True)
class JudgePolicy:
    """How a benchmark scores a judge: ``pair_credit(verdict, chosen_label)`` for pairwise verdicts, ``tie``
    for a pair whose two pointwise scores are equal, ``both_orders`` when every pair must be asked twice."""

    name: str
    rule: str
    source: str
    pair_credit: Callable[[Verdict | VerdictValue, str], float]
    tie: float
    both_orders: bool = False


def _rb_pair(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    return rewardbench_credit(as_ab(verdict), chosen_label)


def _mrb_pair(verdict: Verdict | VerdictValue, chosen_label: str) -> float:
    return mrewardbench_credit(as_ab(verdict), chosen_label)


POLICIES: dict[str, JudgePolicy] = {
    p.name: p
    for p in (
        JudgePolicy(
            "rewardbench",
            "pairwise: chosen 1, rejected 0, tie or unparseable 0.5; seeded placement (sha256 of seed:id, even = "
            "chosen shown as A); with both orders the mean of the two; pointwise pair: higher 1, lower 0, equal 0.5",
            "allenai/reward-bench scripts/run_generative.py get_judgement / process_shuffled",
            _rb_pair,
            0.5,
        ),
        JudgePolicy(
            "mrewardbench",
            "pairwise: random A/B swap per item (uniform draw from sha256(seed:id) > 0.5 = chosen shown as B, "
            "recorded), chosen 1, rejected 0, tie or unparseable 0.5; pointwise pair: equal 0.5",
            "for-ai/aya_rm_multilingual scripts/run_generative.py get_judgement (np.random.rand() > 0.5)",
            _mrb_pair,
            0.5,
        ),
        JudgePolicy(
            "rewardbench2",
            "four-way: the chosen response swapped into a seeded slot (np.random.randint(0, 4) in the original), "
            "picked 1, a rejected one 0, unparseable 0.25; ratings: credit shared among the top valid ratings, "
            "none valid 0.25; Ties: the ratings (-1 unparseable) go to the Ties formula",
            "allenai/reward-bench scripts/run_generative_v2.py get_judgement, process_shuffled",
            _rb_pair,
            0.5,
        ),
        JudgePolicy(
            "longrewardbench",
            "pairs: Long-RM pair prompt in the loader's replayed order (random.seed(42)), [[A]]/[[B]] against the "
            "gold order, unparseable 0; best-of-N: one ranking prompt, fraction of positions whose predicted rank "
            "equals the gold rank, unparseable 0",
            "LCM-Lab/Long-RM evaluate/evaluating/longreward_bench evaluator.py compare_shuffled, preprocess.py",
            longrewardbench_pair_credit,
            0.5,
        ),
        JudgePolicy(
            "judgebench",
            "both orders always: +1 per decision equal to the label, -1 per decision equal to the flipped label "
            "(the second order flipped first), 0 otherwise (None, A=B); correct iff the sum > 0",
            "ScalerLab/JudgeBench utils/metrics.py compute_final_metrics (reverse_order=True)",
            _rb_pair,
            0.0,
            both_orders=True,
        ),
    )
}
# Benchmarks whose published judge protocol differs from RewardBench's (every other one uses "rewardbench").
BENCHMARK_POLICIES: dict[str, str] = {
    "mrewardbench": "mrewardbench",
    "rewardbench2": "rewardbench2",
    "long-rewardbench": "longrewardbench",
    "judgebench": "judgebench",
}


def policy_for(benchmark: str) -> JudgePolicy:
    """The judge policy of a benchmark (RewardBench's rule unless the benchmark publishes its own)."""
    return POLICIES[BENCHMARK_POLICIES.get(benchmark, "rewardbench")]
