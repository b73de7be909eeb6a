"""Pairwise, best-of-N and section rules on hand-computed cases."""

from __future__ import annotations

import math
import random

import pytest

from assay.metrics.bestofn import long_rank_credit, predicted_ranks, rb2_credit, rmb_bon
from assay.metrics.pairwise import accuracy, pair_correct, pair_outcome, tie_count
from assay.metrics.sections import masked_weighted_mean, section_scores, unweighted_mean, weighted_mean

# ---------------------------------------------------------------- pairs


def test_pair_outcome_strict_and_ties_wrong() -> None:
    assert pair_outcome(2.0, 1.0) == {"correct": 1, "tie": False, "credit": 1.0}
    assert pair_outcome(1.0, 2.0) == {"correct": 0, "tie": False, "credit": 0.0}
    assert pair_outcome(1.5, 1.5) == {"correct": 0, "tie": True, "credit": 0.0}  # a tie is wrong
    assert pair_outcome(math.nan, 1.0)["correct"] == 0  # NaN compares false, as `chosen > rejected`


def test_pair_accuracy_helpers() -> None:
    outs = [pair_outcome(2, 1), pair_outcome(1, 1), pair_outcome(0, 1), pair_outcome(3, 2)]
    assert accuracy(outs) == 0.5  # 2 of 4 strictly correct
    assert tie_count(outs) == 1
    assert pair_correct([2, 1, 0], [1, 1, 1]).tolist() == [1.0, 0.0, 0.0]


# ---------------------------------------------------------------- RewardBench 2 tie credit


@pytest.mark.parametrize(
    ("scores", "credit", "tie"),
    [
        ([3, 1, 2, 0], 1.0, False),  # correct (index 0) strictly on top
        ([3, 3, 1, 0], 0.5, True),  # tied with one other at the top: 1/2
        ([3, 3, 3, 0], 1 / 3, True),  # three-way tie at the top: 1/3
        ([2, 2, 2, 2], 0.25, True),  # all tied: 1/4
        ([1, 3, 3, 0], 0.0, False),  # correct not at the top: 0 whatever the others do
        ([math.nan, 1, 2, 0], 0.0, False),  # NaN: np.max is NaN, nothing equals it
    ],
)
def test_rb2_credit(scores: list[float], credit: float, tie: bool) -> None:
    out = rb2_credit(scores, 0)
    assert out["credit"] == pytest.approx(credit)
    assert out["tie"] is tie


def test_rb2_credit_more_than_four_and_several_best() -> None:
    assert rb2_credit([5, 1, 5, 2, 0, 5], 0)["credit"] == pytest.approx(1 / 3)
    # two correct among the two top-tied: a random pick among the top is always correct -> 1
    assert rb2_credit([3, 3, 1, 0], [0, 1])["credit"] == 1.0
    # one of the two correct among three top-tied: 1/3
    assert rb2_credit([3, 1, 3, 3], [0, 1])["credit"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        rb2_credit([1, 2], 5)


# ---------------------------------------------------------------- RMB


def test_rmb_bon_strictly_beats_every_other() -> None:
    assert rmb_bon([3, 1, 2], 0) == {"credit": 1.0, "tie": False}
    assert rmb_bon([3, 3, 1], 0) == {"credit": 0.0, "tie": True}  # a tie with one loser fails
    assert rmb_bon([2, 3, 1], 0) == {"credit": 0.0, "tie": False}
    assert rmb_bon([1, 5, 2], 1)["credit"] == 1.0


# ---------------------------------------------------------------- Long-RewardBench


def _original_rank_credit(scores: list[float], golden0: list[int]) -> float:
    """Long-RM extract_judgement(is_disrm=True) + compare_shuffled, restated for the test."""
    pairs = sorted(enumerate(scores), key=lambda p: p[1], reverse=True)
    order = [i for i, _ in pairs]
    result = [order.index(i) for i in range(len(order))]
    return sum(int(a == b) for a, b in zip(golden0, result, strict=True)) / len(golden0)


def test_long_rank_credit_hand_cases() -> None:
    # scores 0.9, 0.5, 0.7 -> predicted ranks 1, 3, 2; true 1, 2, 3 -> only the first matches: 1/3
    out = long_rank_credit([0.9, 0.5, 0.7], [1, 2, 3])
    assert out["credit"] == pytest.approx(1 / 3)
    assert out["pred_rank"] == [1, 3, 2] and out["tie"] is False
    # perfect order
    assert long_rank_credit([3, 2, 1], [1, 2, 3])["credit"] == 1.0


def test_long_rank_credit_ties_expected_vs_stable() -> None:
    # responses 0 and 1 tie for predicted ranks 1-2; true ranks 1 and 2 both lie in that range:
    # expected credit 1/2 each; response 2 is rank 3 as predicted: 1. Total (0.5 + 0.5 + 1) / 3 = 2/3.
    assert long_rank_credit([1, 1, 0], [1, 2, 3])["credit"] == pytest.approx(2 / 3)
    # the stable sort keeps input order: predicted 1, 2, 3 = true -> 1
    assert long_rank_credit([1, 1, 0], [1, 2, 3], ties="stable")["credit"] == 1.0
    # listed in the opposite true order the stable rule gets only response 2 right: 1/3
    assert long_rank_credit([1, 1, 0], [2, 1, 3], ties="stable")["credit"] == pytest.approx(1 / 3)
    assert long_rank_credit([1, 1, 0], [2, 1, 3])["credit"] == pytest.approx(2 / 3)


def test_long_rank_credit_stable_matches_original_on_random_cases() -> None:
    rng = random.Random(0)
    for _ in range(300):
        n = rng.randint(2, 5)
        scores = [float(rng.randint(0, 3)) for _ in range(n)]  # many ties
        truth = list(range(n))
        rng.shuffle(truth)
        ours = long_rank_credit(scores, [t + 1 for t in truth], ties="stable")["credit"]
        assert ours == pytest.approx(_original_rank_credit(scores, truth))


def test_long_rank_credit_validates_ranking() -> None:
    with pytest.raises(ValueError):
        long_rank_credit([1, 2], [1, 1])
    assert predicted_ranks([math.nan, 1.0]) == [1, 0]  # NaN sorts last


# ---------------------------------------------------------------- sections


def test_weighted_sections_and_masked_overall() -> None:
    acc = {"a": 0.5, "b": 1.0}
    assert weighted_mean(acc, {"a": 100, "b": 28}) == pytest.approx((50 + 28) / 128)
    assert weighted_mean(acc, {"c": 1}) is None
    secs = section_scores(acc, {"S1": ("a", "b"), "S2": ("c",)}, {"a": 100, "b": 28, "c": 5})
    assert list(secs) == ["S1"]  # S2 has no subset present: omitted, not 0
    assert unweighted_mean({"p": 1.0, "q": 0.0}, ["p", "q", "r"]) == 0.5
    # np.ma.average: NaN sections masked, weights renormalised
    assert masked_weighted_mean({"x": 1.0, "y": float("nan"), "z": 0.0}, {"x": 2, "y": 2, "z": 1}) == pytest.approx(
        2 / 3
    )
