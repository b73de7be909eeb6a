"""Judge prompts rendered exactly as their sources do (expected texts typed from the original files, not
from assay's constants), the template registry, and the new parsers (JudgeBench vanilla, PC2 rounds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.judges import pc2
from assay.judges.parse_cli import parse_file
from assay.judges.parsers import PARSERS, parse_judgebench_vanilla
from assay.judges.templates import (
    judge_template,
    render_four,
    render_pairwise,
    render_ranking,
    render_rating,
)
from assay.judges.templates_rmr1 import RM_R1_INSTRUCT_SYSTEM_PROMPT
from assay.samples import Message, user_prompt

Q = user_prompt("What is 2+2?")


def test_rewardbench2_four_way_prompt() -> None:
    system, user = render_four(Q, ["4", "5", "6", "7"])
    # allenai/reward-bench rewardbench/generative_v2.py prompt_v2, written out in one piece
    assert system.content == (
        "Please act as an impartial judge and evaluate the quality of the responses provided by four AI assistants to "
        "the user question displayed below. You should choose the assistant that follows the user's instructions and "
        "answers the user's question best. Your evaluation should consider factors such as the helpfulness, "
        "relevance, accuracy, depth, creativity, and level of detail of their responses. Begin your evaluation by "
        "comparing the four responses and provide a short explanation. Avoid any position biases and ensure that the "
        "order in which the responses were presented does not influence your decision. Do not allow the length of "
        "the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective "
        "as possible. After providing your explanation, output your final verdict by strictly following this "
        'format: "[[A]]" if assistant A is best, "[[B]]" if assistant B is best, "[[C]]" if assistant C is best, '
        'and "[[D]]" if assistant D is best.'
    )
    assert user.content == (
        "[User Question]\nWhat is 2+2?\n\n"
        "[The Start of Assistant A's Answer]\n4\n[The End of Assistant A's Answer]\n\n"
        "[The Start of Assistant B's Answer]\n5\n[The End of Assistant B's Answer]\n\n"
        "[The Start of Assistant C's Answer]\n6\n[The End of Assistant C's Answer]\n\n"
        "[The Start of Assistant D's Answer]\n7\n[The End of Assistant D's Answer]"
    )


def test_rewardbench2_ratings_prompts() -> None:
    (msg,) = render_rating(judge_template("rewardbench2-ratings"), Q, "It is 4.")
    assert msg.role == "user" and msg.content == (
        "\n### Task Description\n"
        "Please act as an impartial judge and evaluate the quality of the response provided by an\n"
        "AI assistant to the user query displayed below.\n\n"
        "Notes:\n"
        "1- Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, "
        "and level of detail of the response.\n"
        "2- Begin your evaluation by providing a short explanation.\n"
        "3- Be as objective as possible. After providing your explanation, please rate the response on a scale of 1 "
        "to 10. For your rating, only give a number between 1 and 10 (inclusive), do not use any markdown, and do not "
        "put any text after your final rating.\n\n"
        "[Query]\nWhat is 2+2?\n\n[Response]\nIt is 4.\n\n[Your judgement]"
    )
    (ties,) = render_rating(judge_template("rewardbench2"), Q, "It is 4.", ties=True)
    assert (
        "1- Your evaluation should consider factors such as the helpfulness, relevance, and accuracy of the "
        "response, but need not consider depth or level of detail of the response.\n2- Begin" in ties.content
    )


def test_fastchat_rating_prompt_and_custom_scale() -> None:
    system, user = render_rating(judge_template("rating"), Q, "4")
    assert system.content == "You are a helpful assistant."
    assert user.content == (
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI "
        "assistant to the user question displayed below. Your evaluation should consider factors such as the "
        "helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin your "
        "evaluation by providing a short explanation. Be as objective as possible. After providing your "
        "explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "
        '"[[rating]]", for example: "Rating: [[5]]".\n\n[Question]\nWhat is 2+2?\n\n'
        "[The Start of Assistant's Answer]\n4\n[The End of Assistant's Answer]"
    )
    five = judge_template("rating:1-5")
    assert five.scale == (1.0, 5.0) and five.parser == "rating"
    assert "on a scale of 1 to 5 by strictly" in render_rating(five, Q, "4")[1].content
    turns = (Message("user", "Name a colour."), Message("assistant", "Blue."), Message("user", "Another?"))
    system, user = render_rating(five, turns, "Red.")
    assert "focus on the assistant's answer to the second user question" in system.content
    assert "on a scale of 1 to 5" in system.content and "### Assistant A:\nRed.\n\n<|The End" in user.content
    with pytest.raises(ValueError, match="low end"):
        judge_template("rating:5-1")


def test_long_rm_rank_and_pair_prompts() -> None:
    prompt = (Message("system", "Context: a long document."), Message("user", "Which is right?"))
    system, user = render_ranking(prompt, ["x", "y", "z"])
    assert system.content == (
        "Please act as an impartial judge and evaluate the quality of the responses provided by multiple AI "
        "assistants to the user's question. You should rank 3 responses based on their quality, with the highest "
        "quality response first, followed by the next best, and so on. Consider the following factors in your "
        "evaluation: helpfulness, relevance, accuracy, depth, creativity, and level of detail. Do not allow the order "
        "in which the responses were presented to influence your decision. Your ranking should be based purely on the "
        "overall quality of each response, not on the length or the name of the assistants. After evaluating the "
        "responses, please output the ranking of the assistants in the following format: [[A>B>C]]Please reply "
        "strictly in the following format, starting with [Analysis] and ending with patterns like [[A>B>C]]:\n"
        "[Analysis]\n(your analysis)\n[Ranking]\n(your ranking in the format of [[A>B>C]])"
    )
    assert user.content.startswith("[User Question]\nContext: a long document.\n\nWhich is right?\n\n")
    assert user.content.endswith("[The Start of Assistant C's Answer]\nz\n[The End of Assistant C's Answer]")
    system, user = render_pairwise("ranking", prompt, "x", "y")
    assert "You should focus on who provides a better answer to the second user question." in system.content
    assert user.content.endswith("[The Start of Assistant B's Answer]\ny\n[The End of Assistant B's Answer]")


def test_judgebench_prompts() -> None:
    (user,) = render_pairwise("judgebench", Q, "4", "5")
    assert user.content == (
        "You are a helpful assistant in evaluating the quality of the outputs for a given instruction. Your goal is "
        "to select the best output for the given instruction.\nSelect the Output (a) or Output (b) that is better for "
        "the given instruction. The two outputs are generated by two different AI chatbots respectively.\nDo NOT "
        "provide any explanation for your choice.\nDo NOT say both / neither are good.\nYou should answer using ONLY "
        '"Output (a)" or "Output (b)". Do NOT output any other words.\n# Instruction:\nWhat is 2+2?\n# Output (a):\n4'
        '\n# Output (b):\n5\n# Which is better, Output (a) or Output (b)? Your response should be either "Output (a)" '
        'or "Output (b)":'
    )
    system, user = render_pairwise("judgebench-arena-hard", Q, "4", "5")
    assert system.content.startswith("Please act as an impartial judge and evaluate the quality of the responses")
    assert system.content.endswith(
        '5. Assistant B is significantly better: [[B>>A]]\n\nExample output: "My final verdict is tie: [[A=B]]".'
    )
    assert user.content == (
        "<|User Prompt|>\nWhat is 2+2?\n\n<|The Start of Assistant A's Answer|>\n4\n<|The End of Assistant A's "
        "Answer|>\n\n<|The Start of Assistant B's Answer|>\n5\n<|The End of Assistant B's Answer|>"
    )


def test_rm_r1_prompts() -> None:
    system, user = render_pairwise("rm-r1", Q, "4", "5")
    assert system.content == RM_R1_INSTRUCT_SYSTEM_PROMPT
    assert system.content.startswith(
        "Please act as an impartial judge and evaluate the quality of the responses provided by two AI Assistants to "
        "the User's question displayed below.\n\nFirst, classify the task into one of two categories: "
        "<type>Reasoning</type> or <type>Chat</type>.\n"
    )
    assert "3. Inside <rubric>, include a <justify>...</justify> section" in system.content
    assert system.content.endswith("</eval>\n\n<answer>[[A/B]]</answer>")
    assert user.content == (
        "[User Question]\nWhat is 2+2?\n\n[The Start of Assistant A's Response]\n4\n[The End of Assistant A's "
        "Response]\n\n[The Start of Assistant B's Response]\n5\n[The End of Assistant B's Response]"
    )
    (reasoning,) = render_pairwise("rm-r1-reasoning", Q, "4", "5")
    assert reasoning.content.startswith(
        "Please act as an impartial judge and evaluate the quality of the responses "
        "provided by two AI Chatbots to the Client question displayed below. \n\n"
        "[Client Question]\nWhat is 2+2?\n\n"
    )
    assert reasoning.content.endswith(
        "'<answer>[[A]]</answer>' if Chatbot A is better, or '<answer>[[B]]</answer>' if Chatbot B is better."
    )
    (original,) = render_pairwise("rm-r1-reasoning-original", Q, "4", "5")
    assert "What is 2+2?" not in original.content and original.content.endswith("displayed below. \n\n")
    assert judge_template("rm-r1").parser == "rewardbench" and judge_template("rm-r1-strict").parser == "rm-r1"
    # multi-turn (assay's extension): the whole conversation, labelled, in the question field
    multi = (Message("user", "first q"), Message("assistant", "first a"), Message("user", "second q"))
    _, user_multi = render_pairwise("rm-r1", multi, "x", "y")
    assert user_multi.content.startswith(
        "[User Question]\n[User]\nfirst q\n\n[Assistant]\nfirst a\n\n[User]\nsecond q\n\n"
    )
    assert "[The Start of Assistant A's Response]\nx\n" in user_multi.content
    with pytest.raises(ValueError, match="expected 'user'"):
        render_pairwise("rm-r1", (Message("assistant", "b"), Message("user", "c")), "x", "y")


def test_template_registry() -> None:
    modes = {n: judge_template(n).mode for n in ("rewardbench", "rewardbench2", "rating", "ranking", "pc2")}
    assert modes == {
        "rewardbench": "pairwise",
        "rewardbench2": "four",
        "rating": "rating",
        "ranking": "ranking",
        "pc2": "pc2",
    }
    with pytest.raises(ValueError, match="unknown judge template 'nope'; valid: rewardbench"):
        judge_template("nope")


def test_judgebench_vanilla_parser() -> None:
    assert parse_judgebench_vanilla("Output (a)").value == "A>B"
    assert parse_judgebench_vanilla("  Output (b)\n").value == "B>A"
    for bad in ("Output (a) is better", "output (a)", "Output (A)", ""):
        assert not parse_judgebench_vanilla(bad).valid
    assert PARSERS["judgebench-vanilla"] is parse_judgebench_vanilla


def test_parse_cli_knows_the_new_formats(tmp_path: Path) -> None:
    f = tmp_path / "out.jsonl"
    f.write_text(json.dumps({"id": "x", "text": "Output (b)"}) + "\n")
    (row,) = parse_file("judgebench-vanilla", f)
    assert (row["verdict"], row["valid"]) == ("B>A", True)
    f.write_text(json.dumps({"text": "Metrics:\n1. Correct | 80%\n2. Brief | 20"}) + "\n")
    (row,) = parse_file("pc2-criteria", f)
    assert (row["verdict"], row["valid"]) == ("1. Correct | 80\n2. Brief | 20", True)


def test_pc2_extractors() -> None:
    text = "Analysis...\n<Evaluation_Framework>\n2. Clarity_of_steps | 40%\n1. Correct answer | 60\n<\\Evaluation>"
    assert pc2.extract_criteria(text) == "1. Correct answer | 60\n2. Clarity/of/steps | 40"
    assert pc2.extract_criteria("no list here") is None
    block = (
        "<The Start of Evaluation Result>\nM1 | score: [2]\nFinal Weighted Score: [[200]]\n"
        "<The End of Evaluation Result>"
    )
    assert pc2.extract_critic("x " + block) == "\nM1 | score: [2]\nFinal Weighted Score: [[200]]\n"
    assert pc2.extract_critic(block.replace("Weighted Score: [[", "Weighted Score [[")) is None
    assert pc2.extract_critic("<The Start of Evaluation Result>a<The End of Evaluation Result>" + block) is not None


def test_pc2_prompts_are_the_authors() -> None:
    assert pc2.QUES2ANS_PROMPT.format(question="Q") == "You are a helpful assistant. \n\n[Question]\nQ"
    crit = pc2.GET_CRITERIA_PROMPT.format(question="Q", answer_1="a", answer_2="b", answer_3="c")
    assert "You shuold answer step by step." in crit and "<\\Evaluation_Framework>\n\n[User Question]\nQ" in crit
    assert crit.endswith("[The Start of Assistant 3\u2019s Answer]\nc\n[The End of Assistant 3\u2019s Answer]")
    final = pc2.FINAL_JUDGE_PROMPT.format(question="Q", eval_system="1. x | 100", answer="A")
    assert "on a scale of 1 to 3, where 1 represents complete failure" in final
    assert "calculated on a scale up to 300" in final and final.endswith("A\n[The End of Assistant\u2019s Answer]\n")
    base = pc2.BASELINE_FINAL_JUDGE_PROMPT.format(
        question="Q", eval_system="E", answer_baseline="B", critic_baseline="C", answer="A"
    )
    assert "Score each metric on a scale of 1 to 3. Use the baseline answer as a baseline;" in base
    assert "[The Start of Baseline Answer]\nB\n[The End of Baseline Answer]\n\n" in base
    assert "[The Start of Evaluation for Baseline Answer]\nC\n[The End of Evaluation for Baseline Answer]" in base


def test_feedbacker_taxonomy(shared_taxonomy: Path) -> None:
    paths = pc2.taxonomy_paths(shared_taxonomy)
    assert {p[0] for p in paths} >= {"writing", "roleplay", "knowledge", "coding", "mathematics"}
    assert ("writing", "Creative Stages", "Writing Stage", "Rhetorical Use", "Pun") in paths
    assert len(paths) == len(set(paths)) > 100
    with pytest.raises(ValueError, match="not an object"):
        pc2.taxonomy_paths({"a": {"b": 3}})


@pytest.fixture()
def shared_taxonomy() -> Path:
    from conftest import shared_data

    return shared_data("feedbacker", "cata_tree.json")
