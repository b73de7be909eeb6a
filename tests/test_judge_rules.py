"""Per-benchmark judge rules on hand-computed cases: placements, pairwise / rating / four-way / ranking / PC2
credits, JudgeBench's two-order rule and aggregation, and the equivalence of the recorded ``scores`` with
the published judge credits where a benchmark scores them with its own best-of-N rule."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from assay.benchmarks import judgebench, rewardbench2
from assay.benchmarks.longrewardbench import outcome as long_outcome
from assay.judges.scoring import (
    longrewardbench_pair_credit,
    policy_for,
    rewardbench2_four_credit,
    rewardbench2_ratings_credit,
)
from assay.models.generation import Generation
from assay.protocols import judge_ranking, judge_rating
from assay.protocols.judge_pairwise import JudgeConfig, judge_outcome, judge_record, placement, placements
from assay.samples import Candidates, Pair, user_prompt


def gen(text: str) -> Generation:
    return Generation((text,), 10, 3, 0.0, ("stop",))


def pair(item_id: str = "p1", **meta: object) -> Pair:
    return Pair(item_id, user_prompt("Q?"), "good", "bad", dict(meta))


def test_policy_table() -> None:
    assert policy_for("rewardbench").name == "rewardbench"
    assert policy_for("some/user-file.jsonl").name == "rewardbench"
    assert policy_for("mrewardbench").name == "mrewardbench"
    assert policy_for("rewardbench2").name == "rewardbench2"
    assert policy_for("long-rewardbench").name == "longrewardbench"
    assert policy_for("judgebench").both_orders and not policy_for("rewardbench").both_orders


def test_mrewardbench_swap_is_a_recorded_seeded_draw() -> None:
    cfg = JudgeConfig(policy="mrewardbench", seed=3)
    for i in range(50):
        p = pair(f"deu_Latn:{i}")
        draw = int.from_bytes(hashlib.sha256(f"3:deu_Latn:{i}:swap".encode()).digest()[:8], "big") / 2**64
        got = placement(p, cfg)
        assert got["draw"] == draw and got["first"] == ("B" if draw > 0.5 else "A")
    firsts = [placements(pair(f"x{i}"), cfg)[0] for i in range(400)]
    assert 150 < firsts.count("B") < 250
    rec = judge_record(pair("deu_Latn:7"), cfg, [gen("[[B]]")])
    assert rec["judge"]["policy"] == "mrewardbench" and "draw" in rec["judge"]["placement"]


def test_rewardbench_and_mrewardbench_credit() -> None:
    for policy in ("rewardbench", "mrewardbench"):

        def out(label: str, text: str, policy: str = policy) -> float:
            rec = judge_record(pair(), JudgeConfig(policy=policy), [gen(text)])
            rec["judgements"][0]["chosen_label"] = label  # placement fixed by hand
            return judge_outcome(rec)["credit"]

        assert out("A", "[[A]]") == 1.0 and out("A", "[[B]]") == 0.0
        assert out("B", "[[B]]") == 1.0 and out("B", "no label") == 0.5
        assert out("A", "[[C]]") == 0.5  # FastChat tie label: "effectively a tie"


def test_longrewardbench_pairs_use_the_loader_order_and_give_no_tie_credit() -> None:
    cfg = JudgeConfig(policy="longrewardbench")
    assert placements(pair(order=[1, 0]), cfg) == ["B"] and placements(pair(order=[0, 1]), cfg) == ["A"]
    assert longrewardbench_pair_credit("A", "A") == 1.0 and longrewardbench_pair_credit("B", "A") == 0.0
    assert longrewardbench_pair_credit(None, "B") == 0.0 and longrewardbench_pair_credit("tie", "A") == 0.0
    rec = judge_record(pair(order=[1, 0]), cfg, [gen("I pick [[B]]")])  # chosen shown at B, judge says B
    rec["meta"] = {"subset": "Cite", "tasktype": "PairWise", "subtype": "same", "length": "4k"}
    assert long_outcome(rec)["credit"] == 1.0  # the benchmark's own outcome dispatches to the judge rule
    rec["judgements"][0].update(verdict="invalid", valid=False)
    assert long_outcome(rec) == {"credit": 0.0, "correct": 0, "tie": False, "invalid": 1}


def _jb_record(d1: str | None, d2: str | None, first: str = "A") -> dict:
    second = "B" if first == "A" else "A"
    js = [
        {"chosen_label": first, "verdict": d1 if d1 else "invalid", "valid": d1 is not None},
        {"chosen_label": second, "verdict": d2 if d2 else "invalid", "valid": d2 is not None},
    ]
    return {"kind": "pair", "judge": {"mode": "pairwise", "policy": "judgebench"}, "judgements": js}


@pytest.mark.parametrize(
    ("d1", "d2", "counter"),
    [
        ("A>B", "B>A", 2),  # right in both orders
        ("A>B", "A>B", 0),  # always the first position: +1 -1
        (None, "B>A", 1),
        ("A=B", "A=B", 0),
        ("B>A", None, -1),
        ("B>A", "A>B", -2),
        ("A", "B", 2),  # RewardBench-style A/B verdicts read as A>B / B>A
    ],
)
def test_judgebench_two_order_rule(d1: str | None, d2: str | None, counter: int) -> None:
    out = judgebench.outcome(_jb_record(d1, d2))
    assert out["counter"] == counter and out["correct"] == int(counter > 0) and out["tie"] == (counter == 0)
    # the same judgements with the chosen answer shown second in the dataset order: label B>A, mirrored verdicts
    mirror = {"A>B": "B>A", "B>A": "A>B", "A": "B", "B": "A"}
    flipped = judgebench.outcome(_jb_record(mirror.get(d1, d1), mirror.get(d2, d2), first="B"))
    assert flipped["counter"] == counter


def test_judgebench_scalar_rule_and_aggregation() -> None:
    def scalar(c: float, r: float, label: str = "A>B") -> dict:
        return {"scores": {"chosen": c, "rejected": r}, "meta": {"label": label}}

    assert judgebench.outcome(scalar(2.0, 1.0))["counter"] == 2
    assert judgebench.outcome(scalar(1.0, 1.0))["counter"] == 0  # B>A then flipped A>B: a tie
    assert judgebench.outcome(scalar(1.0, 1.0, "B>A"))["counter"] == 0
    assert judgebench.outcome(scalar(0.0, 1.0, "B>A"))["counter"] == -2

    def rec(i: int, source: str, d1: str | None, d2: str | None) -> dict:
        r = _jb_record(d1, d2)
        r.update(id=f"gpt:{i}", subset="gpt", meta={"source": source, "category": judgebench.category_of(source)})
        return r

    records = [
        rec(1, "mmlu-pro-law", "A>B", "B>A"),  # +2
        rec(2, "mmlu-pro-math", "B>A", "A>B"),  # -2
        rec(3, "livebench-math", "A>B", None),  # +1
        rec(4, "livecodebench", "A>B", "A>B"),  # 0
    ]
    m = judgebench.aggregate(records, seed=0, n_boot=50)
    assert m["overall"]["value"] == 0.5 and m["overall"]["n"] == 4
    assert {k: v["value"] for k, v in m["sections"].items()} == {"Knowledge": 0.5, "Math": 1.0, "Coding": 0.0}
    assert m["subsets"]["gpt"]["value"] == 0.5
    pairs = m["extra"]["pairs"]
    assert (pairs["correct"], pairs["incorrect"], pairs["tie"]) == (2, 1, 1)
    assert (pairs["all_correct"], pairs["all_incorrect"], pairs["some_correct"]) == (1, 1, 2)
    assert (pairs["null"], pairs["inconsistent"]) == (1, 2)  # pairs 3 and 4: decision1 != flipped decision2
    assert judgebench.category_of("livebench-reasoning") == "Reasoning" and judgebench.category_of("x") == "other"


def test_judgebench_all_and_some_correct_count_none_and_equal_decisions_like_the_authors() -> None:
    """compute_final_metrics: all_incorrect is `decision1 != label and decision2 != label` (decision2 flipped),
    so a None or "A=B" decision is "not correct": pairs at counter 0 or -1 can be all incorrect."""

    def rec(i: int, d1: str | None, d2: str | None) -> dict:
        r = _jb_record(d1, d2)
        r.update(id=f"gpt:{i}", subset="gpt", meta={"source": "mmlu-pro-law", "category": "Knowledge"})
        return r

    def scalar(i: int, c: float, r: float) -> dict:
        return {"id": f"gpt:s{i}", "subset": "gpt", "scores": {"chosen": c, "rejected": r}, "meta": {"label": "A>B"}}

    records = [
        rec(1, None, None),  # counter 0: all incorrect (None != label twice), null, consistent (None == None)
        rec(2, "A=B", "A=B"),  # counter 0: all incorrect, consistent
        rec(3, "B>A", None),  # counter -1: all incorrect, null, inconsistent
        rec(4, "A>B", None),  # counter +1: some correct, null, inconsistent
        rec(5, "B>A", "A>B"),  # counter -2: all incorrect
        rec(6, "A>B", "B>A"),  # counter +2: all correct
        scalar(7, 1.0, 1.0),  # equal scores: B>A, then B>A flipped to A>B: some correct, inconsistent
        scalar(8, 0.0, 1.0),  # rejected higher: all incorrect
    ]
    assert judgebench.pair_counters([None, "A=B"], "A>B") == (False, True, True, True)
    assert judgebench.pair_counters(["B>A", "A>B"], "B>A") == (True, False, False, False)  # label B>A
    assert judgebench.pair_counters(["B>A", "B>A"], "B>A") == (False, False, False, True)  # some correct
    pairs = judgebench.aggregate(records, seed=0, n_boot=20)["extra"]["pairs"]
    assert (pairs["correct"], pairs["incorrect"], pairs["tie"]) == (2, 3, 3)
    assert (pairs["all_correct"], pairs["all_incorrect"], pairs["some_correct"]) == (1, 5, 2)
    assert (pairs["null"], pairs["inconsistent"]) == (3, 3)
    # the scalar tie's decisions are recorded, so rescoring can recount them
    assert judgebench.outcome(records[6])["decisions"] == ["B>A", "B>A"]


def _rating_record(ratings: dict, policy: str, kind: str = "pair", **extra: object) -> dict:
    js = [
        {"response": k, "verdict": v if v is not None else "invalid", "valid": v is not None}
        for k, v in ratings.items()
    ]
    return {"kind": kind, "judge": {"mode": "rating", "policy": policy}, "judgements": js, **extra}


@pytest.mark.parametrize(
    ("c", "r", "rb", "jb_counter"),
    [(7, 5, 1.0, 2), (5, 7, 0.0, -2), (6, 6, 0.5, 0), (None, 3, 0.0, -2), (None, None, 0.5, 0), (4, None, 1.0, 2)],
)
def test_rating_pairs(c: float | None, r: float | None, rb: float, jb_counter: int) -> None:
    ratings = {"chosen": c, "rejected": r}
    assert judge_outcome(_rating_record(ratings, "rewardbench"))["credit"] == rb
    assert judge_outcome(_rating_record(ratings, "longrewardbench"))["credit"] == rb
    jb = judge_outcome(_rating_record(ratings, "judgebench"))
    assert jb["counter"] == jb_counter and jb["correct"] == int(jb_counter > 0)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [([8, 8, 3, None], 0.5), ([None] * 4, 0.25), ([5, 9, None, 2], 0.0), ([9, 2, 2, 2], 1.0), ([7, 7, 7, None], 1 / 3)],
)
def test_rewardbench2_ratings_scores_equal_the_published_credit(ratings: list, expected: float) -> None:
    assert rewardbench2_ratings_credit(ratings, 0) == pytest.approx(expected)
    js = [
        {"response": i, "verdict": v if v is not None else "invalid", "valid": v is not None}
        for i, v in enumerate(ratings)
    ]
    scores = judge_rating.scores_of(js, 4)
    rec = {"id": "1", "subset": "Focus", "scores": scores, "best": [0]}
    assert rewardbench2.outcome(rec)["credit"] == pytest.approx(expected)


def test_rewardbench2_ties_get_the_raw_ratings() -> None:
    js = [{"response": i, "verdict": v, "valid": True} for i, v in enumerate([9.0, 8.0, 3.0])]
    rec = {"id": "ref:4", "subset": "Ties", "scores": judge_rating.scores_of(js, 3), "best": [0, 1]}
    out = rewardbench2.outcome(rec)
    assert (out["accurate"], out["gap"], out["spread"]) == (True, 5.0, 1.0)


def test_four_way_arrangement_and_votes_match_process_shuffled() -> None:
    sample = Candidates("7", user_prompt("Q?"), ("right", "w1", "w2", "w3"), (0,), meta={"subset": "Focus"})
    seen = set()
    for seed in range(40):
        cfg = JudgeConfig(seed=seed, policy="rewardbench2")
        slots, option = judge_ranking.four_slots(sample, cfg)
        seen.add(option)
        expected = [0, 1, 2, 3]
        expected[0], expected[option] = expected[option], expected[0]  # swap A with the drawn slot
        assert slots == expected
        for text in ("[[A]]", "[[B]]", "[[C]]", "[[D]]", "none"):
            rec = judge_ranking.ranking_record(sample, cfg, gen(text), "four")
            published = rewardbench2_four_credit(text.strip("[]") if text != "none" else None, "ABCD"[option])
            assert judge_outcome(rec)["credit"] == published
            assert rewardbench2.outcome(rec)["credit"] == published  # the benchmark's rule on the votes
    assert seen == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="exactly 4 responses"):
        judge_ranking.four_slots(Candidates("8", user_prompt("Q"), ("a", "b", "c"), (0,)), JudgeConfig())


def test_long_rewardbench_ranking_credit_by_hand() -> None:
    sample = Candidates(
        "Cite:3", user_prompt("Q?"), ("best", "mid", "worst"), (0,), (1, 2, 3),
        meta={"subset": "Cite", "tasktype": "BestOfN", "subtype": "3", "length": "8k", "order": [2, 0, 1]},
    )  # fmt: skip
    cfg = JudgeConfig(policy="longrewardbench")
    assert judge_ranking.shown_order(sample, cfg)[0] == [2, 0, 1]  # A = worst, B = best, C = mid
    cases = {"[[B>C>A]]": 1.0, "[[A>B>C]]": 0.0, "[[B>A>C]]": 1 / 3, "no ranking": 0.0}
    for text, credit in cases.items():
        rec = judge_ranking.ranking_record(sample, cfg, gen(text), "ranking")
        assert long_outcome(rec)["credit"] == pytest.approx(credit)
    rec = judge_ranking.ranking_record(sample, cfg, gen("[Ranking] [[B>A>C]]"), "ranking")
    assert rec["scores"] == [3.0, 1.0, 2.0] and rec["judgements"][0]["positions"] == [1, 0, 2]
    other = judge_ranking.shown_order(sample, JudgeConfig(seed=5))[0]
    assert sorted(other) == [0, 1, 2] and other == judge_ranking.shown_order(sample, JudgeConfig(seed=5))[0]


def test_four_way_votes_property_over_all_cases() -> None:
    for option, pick in itertools.product(range(4), [*"ABCD", None]):
        slots = [0, 1, 2, 3]
        slots[0], slots[option] = slots[option], slots[0]
        votes = [1.0 if pick is not None and i == slots["ABCD".index(pick)] else 0.0 for i in range(4)]
        rec = {"id": "x", "subset": "Math", "scores": votes, "best": [0]}
        assert rewardbench2.outcome(rec)["credit"] == rewardbench2_four_credit(pick, "ABCD"[option])
