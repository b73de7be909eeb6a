"""Judge prompt templates: the published prompts a generative judge is asked with, copied verbatim.

"rewardbench": allenai/reward-bench ``rewardbench/generative.py`` — the system prompts ``prompt_v2`` and
``prompt_multi_v2``, the user templates ``MTBENCH_V2["prompt_template"]`` and
``MTBENCH_MULTI_V2["prompt_template"]``, and the default branch (``model_modifier=None``) of
``format_judge_answers(question, answer_a, answer_b, multi_turn=False, model_modifier=None)``, which returns
``(system_prompt, user_prompt)``. How that function is called is taken from ``scripts/run_generative.py``
(``format_judgements`` / ``get_judgement``): ``answer_a`` and ``answer_b`` are the whole conversations
(prompt messages followed by the answer), ``question`` is the first message's content,
``multi_turn = len(conversation) > 2``, and conversations longer than 4 messages are never judged (scored 0.5).
The judge sees ``[{"role": "system", ...}, {"role": "user", ...}]``.

Single turn fills ``{question}``, ``{answer_a}``, ``{answer_b}`` with the first user message and each
conversation's message 1. Multi-turn (two user turns) fills ``{question_1}`` = the first user message,
``{answer_a_1}`` / ``{answer_b_1}`` = message 1 of each conversation (the earlier assistant turn, shared by both
since it is part of the prompt), ``{question_2}`` = message 2 (the second user turn), and ``{answer_a_2}`` /
``{answer_b_2}`` = message 3 (the answers being judged). Each side's conversation is written out in full
("### User:" / "### Assistant A:" blocks). Prompts with more than two user turns raise ValueError, since
RewardBench's multi-turn template has slots for exactly two and its script does not judge longer ones.

Only the default RewardBench prompt is here; the Gemini, Prometheus and OffsetBias variants in the same file
(``prompt_v2_gemini``, ``RELATIVE_PROMPT``, ``OFFSETBIAS_PROMPT``) are not copied.

Other judge templates (``JUDGE_TEMPLATES``; the ``--judge-template`` names), each verbatim from its source:

* ``rewardbench2`` (four-way, one prompt with four answers) and ``rewardbench2-ratings`` (each answer rated
  alone; the Ties subset always uses the ties prompt): allenai/reward-bench ``rewardbench/generative_v2.py``
  ``prompt_v2``, ``MTBENCH_V2``, ``format_judge_answers``, ``ratings_prompt``, ``ratings_prompt_ties``,
  ``get_single_rating`` (no system message).
* ``rating`` / ``rating:LO-HI``: lm-sys/FastChat ``fastchat/llm_judge/data/judge_prompts.jsonl`` ``single-v1``
  and ``single-v1-multi-turn``; ``rating:LO-HI`` replaces "on a scale of 1 to 10" by the given scale (assay's
  variant for custom scales, parsed with the same scale).
* ``ranking``: LCM-Lab/Long-RM ``evaluate/evaluating/longreward_bench/utils/prompt.py`` ``get_chat_template``
  (``RANK_SYSTEM_PROMPT`` for candidate lists, ``PAIR_SYSTEM_PROMPT`` for pairs, ``get_user_prompt``); the
  question is every prompt message joined by a blank line (``preprocess.py``: ``task_prompt``). ``longrm-pair``
  is the pair part alone.
* ``judgebench`` (the vanilla judge) and ``judgebench-arena-hard``: ScalerLab/JudgeBench
  ``utils/templates/vanilla_prompt.jinja2``, ``arena_hard_judge_system.jinja2``, ``arena_hard_judge_prompt.jinja2``
  as rendered by ``utils/prompts.py`` ``render_template`` (``Vanilla`` / ``ArenaHard.get_judgment``).
* ``rm-r1`` and variants: :mod:`assay.judges.templates_rmr1`; ``pc2``: :mod:`assay.judges.pc2`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.samples import Message, Prompt

# --- allenai/reward-bench rewardbench/generative.py: prompt_v2 (verbatim; split only for line length) ---
REWARDBENCH_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants "
    "to the user question displayed below. "
    "You should choose the assistant that follows the user's instructions and answers the user's question better. "
    "Your evaluation should consider "
    "factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. "
    "Begin your evaluation by "
    "comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order "
    "in which the responses were "
    "presented does not influence your decision. Do not allow the length of the responses to influence your "
    "evaluation. Do not favor certain names "
    "of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by "
    "strictly following this format: "
    '"[[A]]" if assistant A is better, "[[B]]" if assistant B is better.'
)

# --- prompt_multi_v2 ---
REWARDBENCH_MULTI_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants "
    "to the user questions. "
    "You should focus on who provides a better answer to the second user question. "
    "You should choose the assistant that follows the user's instructions and answers the user's question better. "
    "Your evaluation should consider "
    "factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. "
    "Begin your evaluation by "
    "comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order "
    "in which the responses were "
    "presented does not influence your decision. Do not allow the length of the responses to influence your "
    "evaluation. Do not favor certain names "
    "of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by "
    "strictly following this format: "
    '"[[A]]" if assistant A is better, "[[B]]" if assistant B is better.'
)

# --- MTBENCH_V2["prompt_template"] ---
REWARDBENCH_PROMPT_TEMPLATE = (
    "[User Question]\n{question}\n\n[The Start of Assistant A's Answer]\n{answer_a}\n[The End of Assistant A's Answer]"
    "\n\n[The Start of Assistant B's Answer]\n{answer_b}\n[The End of Assistant B's Answer]"
)

# --- MTBENCH_MULTI_V2["prompt_template"] ---
REWARDBENCH_MULTI_PROMPT_TEMPLATE = (
    "<|The Start of Assistant A's Conversation with User|>\n\n"
    "### User:\n{question_1}\n\n### Assistant A:\n{answer_a_1}\n\n"
    "### User:\n{question_2}\n\n### Assistant A:\n{answer_a_2}\n\n"
    "<|The End of Assistant A's Conversation with User|>\n\n\n"
    "<|The Start of Assistant B's Conversation with User|>\n\n"
    "### User:\n{question_1}\n\n### Assistant B:\n{answer_b_1}\n\n"
    "### User:\n{question_2}\n\n### Assistant B:\n{answer_b_2}\n\n"
    "<|The End of Assistant B's Conversation with User|>"
)


@dataclass(frozen=True)
class PairwiseTemplate:
    """A pairwise judge prompt: one system prompt + user template for one user turn, another for two."""

    name: str
    system_prompt: str
    prompt_template: str
    multi_system_prompt: str
    multi_prompt_template: str
    source: str
    max_user_turns: int = 2


PAIRWISE_TEMPLATES: dict[str, PairwiseTemplate] = {
    "rewardbench": PairwiseTemplate(
        name="rewardbench",
        system_prompt=REWARDBENCH_SYSTEM_PROMPT,
        prompt_template=REWARDBENCH_PROMPT_TEMPLATE,
        multi_system_prompt=REWARDBENCH_MULTI_SYSTEM_PROMPT,
        multi_prompt_template=REWARDBENCH_MULTI_PROMPT_TEMPLATE,
        source="allenai/reward-bench rewardbench/generative.py: prompt_v2, prompt_multi_v2, MTBENCH_V2, "
        "MTBENCH_MULTI_V2, format_judge_answers",
    ),
}


def _conversation_texts(prompt: Prompt) -> list[str]:
    """The prompt's message texts, checked to be user/assistant turns alternating from a user turn."""
    if not prompt:
        raise ValueError("prompt is empty; a pairwise judge needs at least one user turn")
    if any(m.has_image() for m in prompt):
        raise ValueError("prompt holds an image part; the pairwise judge templates are text-only")
    for i, m in enumerate(prompt):
        expected = "user" if i % 2 == 0 else "assistant"
        if m.role != expected:
            raise ValueError(
                f"prompt message {i} has role {m.role!r}, expected {expected!r}: the judge templates lay out "
                "user/assistant turns alternating from a user turn and ending with one (no system or tool messages)"
            )
    if prompt[-1].role != "user":
        raise ValueError("prompt must end with a user turn")
    return [m.text() for m in prompt]


def render_pairwise(name: str, prompt: Prompt, answer_a: str, answer_b: str) -> Prompt:
    """The judge's chat messages (system + user) comparing ``answer_a`` and ``answer_b`` to ``prompt``.

    Follows ``format_judge_answers`` (default branch) exactly: one user turn uses the single-turn template,
    two user turns the multi-turn one. Raises ValueError on an unknown ``name``, an image part, a prompt
    that is not alternating user/assistant turns ending with a user turn, or more user turns than the
    template has slots for.
    """
    if name in _OTHER_PAIRWISE:
        return _OTHER_PAIRWISE[name](name, prompt, answer_a, answer_b)
    if name not in PAIRWISE_TEMPLATES:
        valid = ", ".join([*sorted(PAIRWISE_TEMPLATES), *sorted(_OTHER_PAIRWISE)])
        raise ValueError(f"unknown pairwise template {name!r}; valid names: {valid}")
    template = PAIRWISE_TEMPLATES[name]
    texts = _conversation_texts(prompt)
    user_turns = (len(texts) + 1) // 2
    if user_turns > template.max_user_turns:
        raise ValueError(
            f"prompt has {user_turns} user turns; template {name!r} covers at most {template.max_user_turns} "
            "(RewardBench does not judge longer conversations)"
        )
    # RewardBench passes whole conversations: conv_a = prompt messages + answer_a.
    conv_a = [*texts, answer_a]
    conv_b = [*texts, answer_b]
    question = conv_a[0]
    if user_turns == 1:
        system_prompt = template.system_prompt
        user_prompt = template.prompt_template.format(question=question, answer_a=conv_a[1], answer_b=conv_b[1])
    else:
        system_prompt = template.multi_system_prompt
        user_prompt = template.multi_prompt_template.format(
            question_1=question,
            question_2=conv_a[2],
            answer_a_1=conv_a[1],
            answer_b_1=conv_b[1],
            answer_a_2=conv_a[3],
            answer_b_2=conv_b[3],
        )
    return (Message("system", system_prompt), Message("user", user_prompt))


# ---------------------------------------------------------------------------------------------------------
# Other judge templates. Shared helpers first.


def question_text(prompt: Prompt, style: str = "single") -> str:
    """The question a judge template shows: ``single`` = the one user message (ValueError otherwise);
    ``joined`` = every message's text joined by a blank line (Long-RM ``task_prompt``)."""
    if any(m.has_image() for m in prompt):
        raise ValueError("prompt holds an image part; the judge templates are text-only")
    if style == "joined":
        return "\n\n".join(m.text() for m in prompt)
    if len(prompt) != 1 or prompt[0].role != "user":
        raise ValueError(
            f"this judge template takes single-turn prompts (one user message), got roles {[m.role for m in prompt]}"
        )
    return prompt[0].text()


def _answers_block(question: str, answers: Sequence[str]) -> str:
    """``[User Question]`` + one ``[The Start of Assistant X's Answer]`` block per answer (MTBENCH_V2 of
    reward-bench ``generative_v2.py`` for four answers, Long-RM ``get_user_prompt`` for any number)."""
    out = f"[User Question]\n{question}"
    for k, answer in enumerate(answers):
        label = chr(ord("A") + k)
        out += f"\n\n[The Start of Assistant {label}'s Answer]\n{answer}\n[The End of Assistant {label}'s Answer]"
    return out


# --- Long-RM utils/prompt.py: PAIR_SYSTEM_PROMPT (equal to RewardBench's prompt_multi_v2) and RANK_SYSTEM_PROMPT
LONGRM_PAIR_SYSTEM_PROMPT = REWARDBENCH_MULTI_SYSTEM_PROMPT
LONGRM_RANK_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by multiple AI assistants "
    "to the user's question. "
    "You should rank {number} responses based on their quality, with the highest quality response first, followed "
    "by the next best, and so on. "
    "Consider the following factors in your evaluation: helpfulness, relevance, accuracy, depth, creativity, and "
    "level of detail. "
    "Do not allow the order in which the responses were presented to influence your decision. "
    "Your ranking should be based purely on the overall quality of each response, not on the length or the name of "
    "the assistants. "
    "After evaluating the responses, please output the ranking of the assistants in the following format: {pattern}"
    "Please reply strictly in the following format, starting with [Analysis] and ending with patterns like "
    "{pattern}:\n"
    "[Analysis]\n(your analysis)\n[Ranking]\n(your ranking in the format of {pattern})"
)


def _render_longrm_pair(name: str, prompt: Prompt, answer_a: str, answer_b: str) -> Prompt:
    user = _answers_block(question_text(prompt, "joined"), [answer_a, answer_b])
    return (Message("system", LONGRM_PAIR_SYSTEM_PROMPT), Message("user", user))


def render_ranking(prompt: Prompt, answers: Sequence[str]) -> Prompt:
    """Long-RM ``get_chat_template(question, answers, type="rank")``: rank ``len(answers)`` responses."""
    if not 2 <= len(answers) <= 26:
        raise ValueError(f"a ranking prompt needs 2..26 answers, got {len(answers)}")
    pattern = f"[[{'>'.join(chr(ord('A') + i) for i in range(len(answers)))}]]"
    system = LONGRM_RANK_SYSTEM_PROMPT.format(number=len(answers), pattern=pattern)
    return (Message("system", system), Message("user", _answers_block(question_text(prompt, "joined"), answers)))


# --- JudgeBench utils/templates/*.jinja2 as rendered (jinja2 drops the final newline) ---
JUDGEBENCH_VANILLA_PROMPT = (
    "You are a helpful assistant in evaluating the quality of the outputs for a given instruction. Your goal is to "
    "select the best output for the given instruction.\n"
    "Select the Output (a) or Output (b) that is better for the given instruction. The two outputs are generated by "
    "two different AI chatbots respectively.\n"
    "Do NOT provide any explanation for your choice.\n"
    "Do NOT say both / neither are good.\n"
    'You should answer using ONLY "Output (a)" or "Output (b)". Do NOT output any other words.\n'
    "# Instruction:\n{question}\n# Output (a):\n{answer_a}\n# Output (b):\n{answer_b}\n"
    '# Which is better, Output (a) or Output (b)? Your response should be either "Output (a)" or "Output (b)":'
)
JUDGEBENCH_ARENA_HARD_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the "
    "user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your job is to "
    "evaluate which assistant's answer is better.\n\n"
    "Begin your evaluation by generating your own answer to the prompt. You must provide your answers before judging "
    "any answers.\n\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your answer. You must identify and "
    "correct any mistakes or inaccurate information.\n\n"
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful means the answer correctly "
    "responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more than one "
    "interpretation, it is more helpful and appropriate to ask for clarifications or more information from the user "
    "than providing an answer based on assumptions. Relevant means all parts of the response closely connect or are "
    "appropriate to what is being asked. Concise means the response is clear and not verbose or excessive.\n\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. Finally, identify any missing "
    "important information in the assistants' answers that would be beneficial to include when responding to the "
    "user prompt.\n\n"
    "After providing your explanation, you must output only one of the following choices as your final verdict with "
    "a label:\n\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)
JUDGEBENCH_ARENA_HARD_PROMPT = (
    "<|User Prompt|>\n{prompt}\n\n<|The Start of Assistant A's Answer|>\n{answer_a}\n<|The End of Assistant A's "
    "Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answer_b}\n<|The End of Assistant B's Answer|>"
)
# ArenaHard.get_judgment: when the first output has no [[...]] label, the conversation goes on with this turn.
JUDGEBENCH_CONTINUE = "continue your judgment and finish by outputting a final verdict label"


def _render_judgebench(name: str, prompt: Prompt, answer_a: str, answer_b: str) -> Prompt:
    question = question_text(prompt)
    if name == "judgebench":
        user = JUDGEBENCH_VANILLA_PROMPT.format(question=question, answer_a=answer_a, answer_b=answer_b)
        return (Message("user", user),)
    user = JUDGEBENCH_ARENA_HARD_PROMPT.format(prompt=question, answer_a=answer_a, answer_b=answer_b)
    return (Message("system", JUDGEBENCH_ARENA_HARD_SYSTEM), Message("user", user))


def _render_rm_r1(name: str, prompt: Prompt, answer_a: str, answer_b: str) -> Prompt:
    from assay.judges.templates_rmr1 import render_rm_r1

    return render_rm_r1(name, prompt, answer_a, answer_b)


_OTHER_PAIRWISE = {
    "longrm-pair": _render_longrm_pair,
    "ranking": _render_longrm_pair,  # Long-RM judges PairWise items with the pair prompt
    "judgebench": _render_judgebench,
    "judgebench-arena-hard": _render_judgebench,
    "rm-r1": _render_rm_r1,
    "rm-r1-strict": _render_rm_r1,
    "rm-r1-reasoning": _render_rm_r1,
    "rm-r1-reasoning-original": _render_rm_r1,
}

# --- reward-bench rewardbench/generative_v2.py: prompt_v2 (four assistants) ---
REWARDBENCH2_FOUR_SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by four AI assistants to "
    "the user question displayed below. "
    "You should choose the assistant that follows the user's instructions and answers the user's question best. "
    "Your evaluation should consider "
    "factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their "
    "responses. Begin your evaluation by "
    "comparing the four responses and provide a short explanation. Avoid any position biases and ensure that the "
    "order in which the responses were "
    "presented does not influence your decision. Do not allow the length of the responses to influence your "
    "evaluation. Do not favor certain names "
    "of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by "
    "strictly following this format: "
    '"[[A]]" if assistant A is best, "[[B]]" if assistant B is best, "[[C]]" if assistant C is best, and "[[D]]" if '
    "assistant D is best."
)


def render_four(prompt: Prompt, answers: Sequence[str]) -> Prompt:
    """RewardBench 2 ``format_judge_answers``: system ``prompt_v2``, user ``MTBENCH_V2`` with answers A..D."""
    if len(answers) != 4:
        raise ValueError(f"the RewardBench 2 four-way prompt takes exactly 4 answers, got {len(answers)}")
    return (
        Message("system", REWARDBENCH2_FOUR_SYSTEM_PROMPT),
        Message("user", _answers_block(question_text(prompt), answers)),
    )


# --- generative_v2.py ratings_prompt / ratings_prompt_ties (both start with a newline) ---
_RB2_RATINGS_HEAD = (
    "\n### Task Description\nPlease act as an impartial judge and evaluate the quality of the response provided by "
    "an\nAI assistant to the user query displayed below.\n\nNotes:\n"
)
_RB2_RATINGS_TAIL = (
    "2- Begin your evaluation by providing a short explanation.\n"
    "3- Be as objective as possible. After providing your explanation, please rate the response on a scale of 1 to "
    "10. For your rating, only give a number between 1 and 10 (inclusive), do not use any markdown, and do not put "
    "any text after your final rating.\n\n[Query]\n{prompt}\n\n[Response]\n{completion}\n\n[Your judgement]"
)
RB2_RATINGS_PROMPT = (
    _RB2_RATINGS_HEAD + "1- Your evaluation should consider factors such as the helpfulness, relevance, accuracy, "
    "depth, creativity, and level of detail of the response.\n" + _RB2_RATINGS_TAIL
)
RB2_RATINGS_PROMPT_TIES = (
    _RB2_RATINGS_HEAD + "1- Your evaluation should consider factors such as the helpfulness, relevance, and accuracy "
    "of the response, but need not consider depth or level of detail of the response.\n" + _RB2_RATINGS_TAIL
)

# --- FastChat judge_prompts.jsonl single-v1 / single-v1-multi-turn ---
FASTCHAT_SINGLE_SYSTEM = "You are a helpful assistant."
FASTCHAT_SINGLE_TEMPLATE = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI "
    "assistant to the user question displayed below. Your evaluation should consider factors such as the "
    "helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin your "
    "evaluation by providing a short explanation. Be as objective as possible. After providing your explanation, "
    'you must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for '
    'example: "Rating: [[5]]".\n\n[Question]\n{question}\n\n[The Start of Assistant\'s Answer]\n{answer}\n'
    "[The End of Assistant's Answer]"
)
FASTCHAT_SINGLE_MULTI_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the "
    "user question displayed below. Your evaluation should consider factors such as the helpfulness, relevance, "
    "accuracy, depth, creativity, and level of detail of the response. You evaluation should focus on the "
    "assistant's answer to the second user question. Begin your evaluation by providing a short explanation. Be as "
    "objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by "
    'strictly following this format: "[[rating]]", for example: "Rating: [[5]]".\n\n'
)
FASTCHAT_SINGLE_MULTI_TEMPLATE = (
    "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant A:\n"
    "{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n{answer_2}\n\n"
    "<|The End of Assistant A's Conversation with User|>"
)
_SCALE_TEXT = "on a scale of 1 to 10"


def _fmt(x: float) -> str:
    return f"{x:g}"


def render_rating(template: JudgeTemplate, prompt: Prompt, answer: str, *, ties: bool = False) -> Prompt:
    """One response rated alone. ``rewardbench2-ratings``: user message only (``get_single_rating``; ``ties``
    picks ``ratings_prompt_ties``). ``rating``: FastChat single-v1 (one user turn) or single-v1-multi-turn
    (two user turns), the scale text replaced for ``rating:LO-HI``."""
    if template.name in ("rewardbench2", "rewardbench2-ratings"):
        text = (RB2_RATINGS_PROMPT_TIES if ties else RB2_RATINGS_PROMPT).format(
            prompt=question_text(prompt), completion=answer
        )
        return (Message("user", text),)
    if template.mode not in ("rating",):
        raise ValueError(f"template {template.name!r} is not a rating template")
    lo, hi = template.scale or (1, 10)
    scale = f"on a scale of {_fmt(lo)} to {_fmt(hi)}"
    texts = _conversation_texts(prompt)
    if len(texts) == 1:
        system = FASTCHAT_SINGLE_SYSTEM
        user = FASTCHAT_SINGLE_TEMPLATE.replace(_SCALE_TEXT, scale).format(question=texts[0], answer=answer)
    elif len(texts) == 3:
        system = FASTCHAT_SINGLE_MULTI_SYSTEM.replace(_SCALE_TEXT, scale)
        user = FASTCHAT_SINGLE_MULTI_TEMPLATE.format(
            question_1=texts[0], answer_1=texts[1], question_2=texts[2], answer_2=answer
        )
    else:
        raise ValueError(f"the FastChat rating prompts cover one or two user turns, got {(len(texts) + 1) // 2}")
    return (Message("system", system), Message("user", user))


# ---------------------------------------------------------------------------------------------------------
# The registry behind --judge-template.


@dataclass(frozen=True)
class JudgeTemplate:
    """A judge template: how items are put to the judge (``mode``) and which parser reads the verdicts.

    ``mode``: ``pairwise`` (two answers, verdict A/B), ``four`` (RewardBench 2: four answers, one pick),
    ``rating`` (each answer rated alone), ``ranking`` (all candidates in one prompt, a full ranking; pairs
    as Long-RM's pair prompt), ``pc2`` (Feedbacker's multi-round pointwise scoring).
    """

    name: str
    mode: str
    parser: str
    source: str
    scale: tuple[float, float] | None = None


_RB = "allenai/reward-bench rewardbench/generative.py prompt_v2, MTBENCH_V2, format_judge_answers"
_RB2 = "allenai/reward-bench rewardbench/generative_v2.py"
_JB = "ScalerLab/JudgeBench utils/judges.py"
JUDGE_TEMPLATES: dict[str, JudgeTemplate] = {
    t.name: t
    for t in (
        JudgeTemplate("rewardbench", "pairwise", "rewardbench", _RB),
        JudgeTemplate("longrm-pair", "pairwise", "rewardbench", "LCM-Lab/Long-RM utils/prompt.py PAIR_SYSTEM_PROMPT"),
        JudgeTemplate("judgebench", "pairwise", "judgebench-vanilla", _JB + " Vanilla, vanilla_prompt.jinja2"),
        JudgeTemplate("judgebench-arena-hard", "pairwise", "judgebench", _JB + " ArenaHard, arena_hard_judge_*"),
        JudgeTemplate("rm-r1", "pairwise", "rewardbench", "RM-R1 generative.py RM_R1_INSTRUCT_SYSTEM_PROMPT"),
        JudgeTemplate("rm-r1-strict", "pairwise", "rm-r1", "RM-R1 generative.py RM_R1_INSTRUCT_SYSTEM_PROMPT"),
        JudgeTemplate("rm-r1-reasoning", "pairwise", "rewardbench", "RM-R1 RM_R1_SINGLE_TURN_REASONING_USER_PROMPT"),
        JudgeTemplate("rm-r1-reasoning-original", "pairwise", "rewardbench", "RM-R1 reasoning prompt, first line"),
        JudgeTemplate("rewardbench2", "four", "rewardbench2", _RB2 + " prompt_v2, run_judge_four"),
        JudgeTemplate("rewardbench2-ratings", "rating", "rewardbench-ratings", _RB2 + " ratings_prompt"),
        JudgeTemplate("rating", "rating", "rating", "lm-sys/FastChat judge_prompts.jsonl single-v1", (1.0, 10.0)),
        JudgeTemplate("ranking", "ranking", "ranking", "LCM-Lab/Long-RM utils/prompt.py RANK_SYSTEM_PROMPT"),
        JudgeTemplate("pc2", "pc2", "pc2", "liudan193/Feedbacker evaluation/prompts/ours/*.md"),
    )
}
_CUSTOM_RATING = re.compile(r"^rating:(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")


def judge_template(name: str) -> JudgeTemplate:
    """The template called ``name`` (``rating:LO-HI`` gives a rating template on that scale)."""
    if name in JUDGE_TEMPLATES:
        return JUDGE_TEMPLATES[name]
    m = _CUSTOM_RATING.match(name)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo >= hi:
            raise ValueError(f"rating scale {name!r}: the low end must be below the high end")
        base = JUDGE_TEMPLATES["rating"]
        return JudgeTemplate(name, "rating", "rating", base.source + " (scale replaced)", (lo, hi))
    valid = ", ".join([*JUDGE_TEMPLATES, "rating:LO-HI"])
    raise ValueError(f"unknown judge template {name!r}; valid: {valid}")
