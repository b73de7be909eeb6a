"""Judge-output parsers and the published scoring rules (pure Python, no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assay.judges.parse_cli import parse_file, register
from assay.judges.parsers import (
    PARSERS,
    parse_judgebench,
    parse_pairwise,
    parse_pc2,
    parse_ranking,
    parse_rating,
    parse_rewardbench2_four,
    parse_rewardbench_ratings,
    parse_rm_r1,
    ranking_positions,
)
from assay.judges.scoring import (
    judgebench_outcome,
    longrewardbench_credit,
    mrewardbench_credit,
    rewardbench2_four_credit,
    rewardbench2_ratings_credit,
    rewardbench_credit,
)
from assay.judges.verdict import Verdict

# --- RewardBench pairwise ---------------------------------------------------------------------------


def test_pairwise_mtbench_style_output():
    text = (
        "Assistant A gives a correct, step-by-step derivation while Assistant B makes an arithmetic error "
        "in the second step.\n\nFinal verdict: [[A]]"
    )
    v = parse_pairwise(text)
    assert v == Verdict("A", True, text, "")
    assert parse_pairwise("Both are fine, but B is more concise. [[B]]").value == "B"


def test_pairwise_edge_cases():
    both = parse_pairwise("Not [[B]] ... final: [[A]]")
    assert both.value == "A" and both.valid and "both" in both.reason  # published rule: [[A]] tested first
    for text in ("[[a]]", "[[ A ]]", "[A]", "Assistant A is better.", ""):
        v = parse_pairwise(text)
        assert not v.valid and v.value is None and v.raw == text
    assert parse_pairwise("  \n[[B]]\n  ").value == "B"
    assert parse_pairwise("It is a tie: [[C]]").value == "tie"


def test_rewardbench_credit_rule():
    assert rewardbench_credit(parse_pairwise("[[A]]"), "A") == 1
    assert rewardbench_credit(parse_pairwise("[[A]]"), "B") == 0  # shuffled: chosen shown second
    assert rewardbench_credit(parse_pairwise("[[B]]"), "B") == 1
    assert rewardbench_credit(parse_pairwise("no label"), "A") == 0.5
    assert rewardbench_credit(parse_pairwise("[[C]]"), "A") == 0.5
    assert rewardbench_credit(None, "B") == 0.5
    with pytest.raises(ValueError):
        rewardbench_credit("A", "C")


def test_mrewardbench_credit_tie_half():
    assert mrewardbench_credit("A", "A") == 1
    assert mrewardbench_credit("A", "B") == 0
    assert mrewardbench_credit("tie", "A") == 0.5
    assert mrewardbench_credit(Verdict.invalid("x", "no label"), "B") == 0.5
    # four items, hand-computed accuracy: (1 + 0 + 0.5 + 1) / 4
    items = [("[[A]]", "A"), ("[[A]]", "B"), ("?", "A"), ("[[B]]", "B")]
    assert sum(mrewardbench_credit(parse_pairwise(t), c) for t, c in items) / 4 == pytest.approx(0.625)


# --- RewardBench 2 ---------------------------------------------------------------------------------


def test_rewardbench2_four_way():
    assert parse_rewardbench2_four("After comparing all four, [[C]]").value == "C"
    several = parse_rewardbench2_four("[[D]] beats [[B]]")
    assert several.value == "B" and "several" in several.reason  # tested in order A, B, C, D
    assert not parse_rewardbench2_four("[[E]]").valid
    assert rewardbench2_four_credit("C", "C") == 1
    assert rewardbench2_four_credit("A", "C") == 0
    assert rewardbench2_four_credit(parse_rewardbench2_four("none"), "A") == 0.25


def test_rewardbench_ratings_trailing_integer():
    example = (
        "The response is comprehensive, well-structured, and covers both exterior and interior detailing "
        "thoroughly. ... highly relevant and helpful.\n\n9"
    )
    assert parse_rewardbench_ratings(example).value == 9
    assert parse_rewardbench_ratings("Rating: 10  \n").value == 10
    assert parse_rewardbench_ratings("Rating: 9/10").value == 10  # published quirk: the trailing "10" wins
    for text in ("I give it 11", "Score: 0", "7 out of ten", "", "8."):
        assert not parse_rewardbench_ratings(text).valid, text


def test_rewardbench2_ratings_credit_rule():
    assert rewardbench2_ratings_credit([9.0, 7.0, 3.0, 8.0]) == 1
    assert rewardbench2_ratings_credit([7.0, 9.0, 3.0, 8.0]) == 0
    assert rewardbench2_ratings_credit([9.0, 9.0, 3.0, 8.0]) == 0.5
    assert rewardbench2_ratings_credit([8.0, 8.0, 8.0, 1.0]) == pytest.approx(1 / 3)
    assert rewardbench2_ratings_credit([None, None, None, None]) == 0.25
    verdicts = [parse_rewardbench_ratings(t) for t in ("ok 6", "garbage", "fine 6", "bad 2")]
    assert rewardbench2_ratings_credit(verdicts) == 0.5
    assert rewardbench2_ratings_credit([None, 5.0, None, None]) == 0  # invalid chosen, a valid rival wins


# --- JudgeBench --------------------------------------------------------------------------------------


def test_judgebench_parser():
    text = "Assistant B's answer is correct and complete.\n\nMy final verdict is: [[B>>A]]"
    assert parse_judgebench(text).value == "B>A"
    assert parse_judgebench("My final verdict is tie: [[A=B]]").value == "A=B"
    assert parse_judgebench("[[A>B]] ... so again [[A>B]]").value == "A>B"
    conflicting = parse_judgebench("first [[A>B]] then [[B>A]]")
    assert not conflicting.valid and "conflicting" in conflicting.reason
    assert not parse_judgebench("Assistant A is better").valid


def test_judgebench_outcome_rule():
    # order 2 shows the responses swapped, so its decision is flipped before comparison
    assert judgebench_outcome("A>B", "B>A", "A>B") == (2, True)
    assert judgebench_outcome("A>B", "A>B", "A>B") == (0, False)  # inconsistent: +1 - 1
    assert judgebench_outcome("A>B", "A=B", "A>B") == (1, True)
    assert judgebench_outcome(None, "B>A", "A>B") == (1, True)
    assert judgebench_outcome("B>A", "A=B", "A>B") == (-1, False)
    assert judgebench_outcome(Verdict.invalid("", "x"), None, "B>A") == (0, False)
    with pytest.raises(ValueError):
        judgebench_outcome("A>B", "A>B", "A=B")


# --- RM-R1 ---------------------------------------------------------------------------------------------

RM_R1_CHAT = """<type>Chat</type>

<rubric>
1. Helpfulness (60%)
2. Safety (40%)
<justify>The client asks for practical advice.</justify>
</rubric>

<eval>
<quote_A>Preheat the oven to 180C.</quote_A> is precise; <summary_B>Chatbot B skips temperatures</summary_B>.
</eval>

<answer>[[A]]</answer>"""


def test_rm_r1_parser():
    v = parse_rm_r1(RM_R1_CHAT)
    assert v.value == "A" and v.valid and "type=Chat" in v.reason and "rubric" in v.reason and "eval" in v.reason
    reasoning = "<type>Reasoning</type><solution>x = 4</solution><eval>B is right</eval><answer>[[B]]</answer>"
    r = parse_rm_r1(reasoning)
    assert r.value == "B" and "solution" in r.reason
    both = parse_rm_r1("<answer>[[A]]</answer> <answer>[[B]]</answer>")
    assert not both.valid and "both" in both.reason
    assert not parse_rm_r1("<eval>...</eval>[[A]]").valid  # bare label outside the answer tag
    assert not parse_rm_r1("<answer>[[a]]</answer>").valid
    assert rewardbench_credit(v, "A") == 1 and rewardbench_credit(both, "A") == 0.5


# --- Long-RewardBench ranking ------------------------------------------------------------------------


def test_ranking_parser():
    text = "[Analysis]\nC cites the passage; A is close; B hallucinates.\n[Ranking]\n[[C>A>B]]"
    v = parse_ranking(text, 3)
    assert v.value == ("C", "A", "B") and v.valid
    assert ranking_positions(v.value) == [1, 2, 0]
    assert parse_ranking("[[Assistant C > Assistant A > Assistant B]]", 3).value == ("C", "A", "B")
    assert parse_ranking("[[B > A]]", 2).value == ("B", "A")
    assert not parse_ranking("[[C>A>B]]", 4).valid  # not a permutation of ABCD
    assert not parse_ranking("[[A>A>B]]", 3).valid
    assert not parse_ranking("[[A>B>D]]", 3).valid
    assert not parse_ranking("C is best, then A, then B", 3).valid
    assert not parse_ranking(">" * 12 + "[[A>B>C]]", 3).valid  # more than 10 '>' parts
    with pytest.raises(ValueError):
        parse_ranking("[[A>B]]", 0)


def test_longrewardbench_credit():
    v = parse_ranking("[[C>A>B]]", 3)
    assert longrewardbench_credit(v, [1, 2, 0]) == 1
    assert longrewardbench_credit(v, [0, 2, 1]) == pytest.approx(1 / 3)
    assert longrewardbench_credit(parse_ranking("none", 3), [0, 1, 2]) == 0
    assert longrewardbench_credit(parse_pairwise("[[B]]"), [1, 0]) == 1


# --- pointwise rating and PC2 -------------------------------------------------------------------------


def test_rating_parser():
    assert parse_rating("The answer is accurate but terse.\nRating: [[7]]").value == 7
    assert parse_rating("Rating: [[8.5]]").value == 8.5
    assert parse_rating("Rating: [6]").value == 6  # FastChat backup pattern
    assert parse_rating("Score [[4]]", lo=1, hi=5).value == 4
    out = parse_rating("Rating: [[7]]", lo=1, hi=5)
    assert not out.valid and "outside" in out.reason
    assert not parse_rating("Rating: 7").valid
    assert not parse_rating("Rating: [[seven]]").valid


def test_pc2_parser():
    text = "Criterion 1: 8 x 0.4 = 3.2\nCriterion 2: 6 x 0.6 = 3.6\n**Weighted Score**: 6.8\n"
    assert parse_pc2(text).value == 6.8
    assert parse_pc2("Weighted Score: 5\nrevised Weighted Score = 7.25").value == 7.25  # last match
    assert parse_pc2("Weighted Score: -12").value == -12
    capped = parse_pc2("Weighted Score: 450")
    assert capped.value == 300 and "capped" in capped.reason
    assert not parse_pc2("weighted score: 5").valid  # case-sensitive


def test_registry_names():
    expected = {"rewardbench", "rewardbench-ratings", "judgebench", "rm-r1", "ranking", "rating", "pc2"}
    assert expected <= set(PARSERS)


# --- parse_file and the CLI ------------------------------------------------------------------------------


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_parse_file_with_credit(tmp_path):
    path = _write(
        tmp_path / "out.jsonl",
        [
            {"id": "x1", "text": "[[A]]", "chosen_label": "A"},
            {"text": "nothing", "placement": "B"},
            "",
            {"text": "[[B]]"},
        ],
    )
    rows = list(parse_file("rewardbench", path))
    assert [r["id"] for r in rows] == ["x1", 2, 4]
    assert rows[0]["verdict"] == "A" and rows[0]["credit"] == 1
    assert rows[1]["valid"] is False and rows[1]["credit"] == 0.5 and rows[1]["raw"] == "nothing"
    assert "credit" not in rows[2]
    ranked = list(parse_file("ranking", _write(tmp_path / "r.jsonl", [{"text": "[[B>A]]", "n": 2}])))
    assert ranked[0]["verdict"] == ["B", "A"]


def test_parse_file_malformed_line(tmp_path):
    path = _write(tmp_path / "bad.jsonl", [{"text": "[[A]]"}, "{not json"])
    it = parse_file("rewardbench", path)
    assert next(it)["verdict"] == "A"
    with pytest.raises(ValueError, match=r"bad\.jsonl: line 2"):
        next(it)
    with pytest.raises(ValueError, match="line 1: missing string field 'text'"):
        list(parse_file("rewardbench", _write(tmp_path / "t.jsonl", [{"txt": "x"}])))
    with pytest.raises(ValueError, match="needs an integer 'n'"):
        list(parse_file("ranking", _write(tmp_path / "n.jsonl", [{"text": "[[A>B]]"}])))


def test_cli_parse_command(tmp_path):
    app = typer.Typer()
    register(app)

    @app.command()
    def noop() -> None:  # a second command keeps typer in multi-command mode, as in assay.cli
        pass

    runner = CliRunner()
    path = _write(tmp_path / "o.jsonl", [{"id": 1, "text": "<answer>[[B]]</answer>", "chosen_label": "B"}])
    result = runner.invoke(app, ["parse", "rm-r1", str(path)])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip())
    assert row["verdict"] == "B" and row["credit"] == 1 and row["format"] == "rm-r1"
    unknown = runner.invoke(app, ["parse", "nope", str(path)])
    assert unknown.exit_code == 2 and "rewardbench" in unknown.output
    assert runner.invoke(app, ["parse", "--help"]).exit_code == 0
    bad = runner.invoke(app, ["parse", "rewardbench", str(_write(tmp_path / "b.jsonl", ["[1, 2]"]))])
    assert bad.exit_code == 3 and "line 1" in bad.output
