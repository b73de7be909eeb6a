"""Pairwise judge prompt templates (RewardBench's generative prompts, copied verbatim)."""

from __future__ import annotations

import pytest

from assay.judges.templates import PAIRWISE_TEMPLATES, render_pairwise
from assay.samples import ContentPart, Message, user_prompt

# Written out independently of the module (allenai/reward-bench rewardbench/generative.py, prompt_v2).
EXPECTED_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the "
    "user question displayed below. You should choose the assistant that follows the user's instructions and answers "
    "the user's question better. Your evaluation should consider factors such as the helpfulness, relevance, "
    "accuracy, depth, creativity, and level of detail of their responses. Begin your evaluation by comparing the two "
    "responses and provide a short explanation. Avoid any position biases and ensure that the order in which the "
    "responses were presented does not influence your decision. Do not allow the length of the responses to "
    "influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After "
    "providing your explanation, output your final verdict by strictly following this format: "
    '"[[A]]" if assistant A is better, "[[B]]" if assistant B is better.'
)


def test_single_turn_renders_rewardbench_prompt() -> None:
    out = render_pairwise("rewardbench", user_prompt("What is 2+2?"), "4", "It is {five}.")
    assert [m.role for m in out] == ["system", "user"]
    assert out[0].content == EXPECTED_SYSTEM
    assert out[1].content == (
        "[User Question]\n"
        "What is 2+2?\n"
        "\n"
        "[The Start of Assistant A's Answer]\n"
        "4\n"
        "[The End of Assistant A's Answer]\n"
        "\n"
        "[The Start of Assistant B's Answer]\n"
        "It is {five}.\n"
        "[The End of Assistant B's Answer]"
    )


def test_multi_turn_prompt_uses_multi_turn_template() -> None:
    prompt = (
        Message("user", "Name a colour."),
        Message("assistant", "Blue."),
        Message("user", "Another one?"),
    )
    system, user = render_pairwise("rewardbench", prompt, "Red.", "Blue again.")
    assert system.content.startswith(
        "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants "
        "to the user questions. You should focus on who provides a better answer to the second user question. "
    )
    assert system.content.endswith('"[[A]]" if assistant A is better, "[[B]]" if assistant B is better.')
    assert user.content == (
        "<|The Start of Assistant A's Conversation with User|>\n\n"
        "### User:\nName a colour.\n\n### Assistant A:\nBlue.\n\n"
        "### User:\nAnother one?\n\n### Assistant A:\nRed.\n\n"
        "<|The End of Assistant A's Conversation with User|>\n\n\n"
        "<|The Start of Assistant B's Conversation with User|>\n\n"
        "### User:\nName a colour.\n\n### Assistant B:\nBlue.\n\n"
        "### User:\nAnother one?\n\n### Assistant B:\nBlue again.\n\n"
        "<|The End of Assistant B's Conversation with User|>"
    )


def test_text_parts_are_joined() -> None:
    prompt = (Message("user", (ContentPart("text", text="Hi "), ContentPart("text", text="there"))),)
    out = render_pairwise("rewardbench", prompt, "a", "b")
    assert out[1].content.startswith("[User Question]\nHi there\n\n")


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="valid names: rewardbench"):
        render_pairwise("nope", user_prompt("q"), "a", "b")
    assert "rewardbench" in PAIRWISE_TEMPLATES


def test_image_prompt_rejected() -> None:
    prompt = (Message("user", (ContentPart("text", text="What is this?"), ContentPart("image", image_path="x.png"))),)
    with pytest.raises(ValueError, match="image"):
        render_pairwise("rewardbench", prompt, "a", "b")


@pytest.mark.parametrize(
    "prompt",
    [
        (),
        (Message("system", "Be nice."), Message("user", "q")),
        (Message("user", "q"), Message("assistant", "a")),
        (
            Message("user", "1"),
            Message("assistant", "a"),
            Message("user", "2"),
            Message("assistant", "b"),
            Message("user", "3"),
        ),
    ],
)
def test_unsupported_prompt_shapes_rejected(prompt) -> None:
    with pytest.raises(ValueError):
        render_pairwise("rewardbench", prompt, "a", "b")
