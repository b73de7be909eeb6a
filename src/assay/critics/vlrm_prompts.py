"""VLRMBench prompts (JCruan519/VLRMBench ``model_eval/eval_prompt_files.py``) and the messages of one item.

What fills them follows ``model_eval/vllm_localapi_eval.py``: ``process_line_group_1`` (step tasks:
``question`` and ``reasoning_error``; foresight: ``reasoning_error`` if present, else ``step_list``, through
``str.format`` so a list prints as a Python list) and ``process_line_group_2`` (multi_solution: response 1 =
``step_list``, response 2 = ``reasoning_error``, then swapped). Image parts come first, then the text; with
``images=placeholder`` each image is the text ``[image]`` (a labelled blind run).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assay.critics.vlrm_data import STEP_TASKS
from assay.samples import ContentPart, Item, Message

IMAGE_PLACEHOLDER = "[image]"

# model_eval/eval_prompt_files.py (a trailing backslash joins lines there too)
_STEP_HEAD = """## Task Description
Based on the provided image, question and AI assistant's reasoning process, your task \
is to identify the steps that contains {what} in the reasoning process.

## Instructions
"""
_STEP_TAIL = """- You need to assign an integral indicator to each step. 0 indicates that \
the step does not contain {neg}, \
and 1 indicates that the step contains {neg}. 

## Question
{{question}}

## AI assistant's reasoning process
{{reasoning_process}}

## Output Format
[Indicator for STEP 1, Indicator for STEP 2, ..., Indicator for STEP N]

## Your Output: 
"""  # noqa: W291
_AT_LEAST_ONE = "- There is at least one error in the reasoning process.\n"
_STEP_PARTS: dict[str, tuple[str, str, str]] = {  # task -> (what, instructions, "does not contain" noun)
    "step_correctness": ("errors", "", "errors"),
    "redundant_det": (
        "redundancy",
        "- The redundancy may involve unnecessary elaboration, repetitive expressions, \
or redundant details that do not contribute to the correctness of the reasoning.\n",
        "redundancy",
    ),
    "detail_error": (
        "detail error",
        _AT_LEAST_ONE + "- Detail errors refer to errors in which numbers or calculated symbols are wrong ",
        "errors",
    ),
    "existence_hallucination": (
        "existence hallucination error",
        _AT_LEAST_ONE
        + '- The term "existence hallucination error" refers to errors in reasoning where a model either: \
Introduces entities that do not exist in the image (e.g., hallucinating objects, people, digit, or \
details not present), or Fails to acknowledge entities that are actually present in the image \
(e.g., ignoring critical objects or contextual elements).\n',
        "errors",
    ),
    "attribute_hallucination": (
        "Attribute hallucination error",
        _AT_LEAST_ONE
        + '- The term "Attribute hallucination error" refers to errors in reasoning where a model Misidentifies \
properties (e.g., size, color, shape) of entities in an image.\n',
        "errors",
    ),
    "location_error": ("location errors", _AT_LEAST_ONE, "errors"),
    "image_ref_error": (
        "image reference errors",
        _AT_LEAST_ONE
        + '- The term "Image reference error" refers to a mistake where the model incorrectly identifies an '
        "entity from one image as being present in another image.\n",
        "errors",
    ),
}
STEP_PROMPTS = {
    t: _STEP_HEAD.format(what=what) + instr + _STEP_TAIL.format(neg=neg)
    for t, (what, instr, neg) in _STEP_PARTS.items()
}
STEP_PROMPTS["most_confidence"] = STEP_PROMPTS["step_correctness"]

FORESIGHT_PROMPT = """## Task Description
Based on the provided image, question and part of the AI assistant's reasoning process, \
Your task is to evaluate whether the given partial reasoning process will \
lead to a correct final answer.

## Question
{question}

## AI Assistant's Partial Reasoning Process
{reasoning_process}

## Only output Yes or No without additional explanation: 
"""  # noqa: W291

MULTI_SOLUTION_PROMPT = """## Task Description
You are an expert judge specializing in assessing AI-generated responses. \

## Instructions
- Your role is to objectively evaluate the quality of two AI assistants' responses \
based on the given image and question. 
- Assign a score to each response on a scale of 0 to 10, where 0 indicates a response \
that is entirely illogical or irrelevant, and 10 signifies a response \
that is exceptionally well-reasoned, accurate, and directly addresses the question.

## Question
{question}

## AI Assistant's Response 1
{ai_respond_1}

## AI Assistant's Response 2
{ai_respond_2}

## Output Format
Return a List containing two scores:
["Score for Response 1", "Score for Response 2"]

## Your Output: 
"""  # noqa: W291


def _content(images: Sequence[str], text: str, images_mode: str, image_root: str | None) -> Message:
    parts: list[ContentPart] = []
    for p in images:
        if images_mode == "placeholder":
            parts.append(ContentPart("text", text=IMAGE_PLACEHOLDER))
        else:
            parts.append(ContentPart("image", image_path=str(Path(image_root) / p) if image_root else p))
    parts.append(ContentPart("text", text=text))
    return Message("user", tuple(parts))


def prompts_for(item: Item, images_mode: str, image_root: str | None) -> list[tuple[Message, ...]]:
    """The prompt(s) of one item: one for step and foresight tasks, two (both orders) for multi_solution."""
    d, imgs = item.data, item.data["images"]
    if d["task"] in STEP_TASKS:
        text = STEP_PROMPTS[d["task"]].format(question=d["question"], reasoning_process=d["reasoning_error"])
        return [(_content(imgs, text, images_mode, image_root),)]
    if d["task"] == "foresight":
        text = FORESIGHT_PROMPT.format(question=d["question"], reasoning_process=d["reasoning_process"])
        return [(_content(imgs, text, images_mode, image_root),)]
    a, b = d["step_list"], d["reasoning_error"]
    front = MULTI_SOLUTION_PROMPT.format(question=d["question"], ai_respond_1=a, ai_respond_2=b)
    back = MULTI_SOLUTION_PROMPT.format(question=d["question"], ai_respond_1=b, ai_respond_2=a)
    return [(_content(imgs, front, images_mode, image_root),), (_content(imgs, back, images_mode, image_root),)]
