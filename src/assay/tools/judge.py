"""A tool-augmented judge: the model asks for tools, the harness runs them, the model scores the answer.

The loop follows ``generate_themis.py`` (``batch_generate`` / ``generate_next_step`` / ``invoke_tools``):
generate; cut the output at the first observation marker (``parse_stop_part``); if it asks for an action
(``parse_actions``), run the tool and give back ``Observation: ...``; generate again; at most
``max_steps`` generations (``--max_iteractions 3`` in ``scripts/generate_themis.sh``). Every episode of a
batch advances in lock-step, one ``generate`` call per round, so the model is called in bulk and each
episode's result depends on its own inputs only.

Where this judge differs from Themis, and why:

* Themis-7B continues one raw text (``### USER: ... ### ASSISTANT: <start_tool> ...``) and reads its
  reward from a value head; a chat model is driven as a conversation (the model's cut output is the
  assistant turn, ``Observation: ...`` the next user turn) and writes ``Rationale:`` and ``Score:``,
  which are parsed (``assay.tools.trace``). An episode whose final output has no score is invalid.
* An output that starts an ``Action:`` line but does not match the action pattern (no ``Action Input:``)
  is recorded as ``malformed_action`` and answered with an observation saying how to call a tool; an
  unknown tool name is recorded as ``unknown_tool`` and answered with the list of tools (Themis appends
  an empty observation for an unknown tool and ends the episode for unparseable text). Neither stops the
  run; both use up a round.

Modes: ``live`` (the model chooses the calls, the tools run), ``oracle`` (the recorded calls and
observations from the data are given; the model writes only the rationale and score: judgement without
tool use) and ``none`` (no tools at all: the plain generative judge).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assay.models.generation import GenerateRequest, Generation, SamplingConfig
from assay.samples import Message, Prompt, prompt_to_json
from assay.tools.registry import Tool, ToolContext, run_tool
from assay.tools.trace import (
    InputMode,
    Step,
    format_trace,
    mentions_action,
    parse_action,
    parse_rationale,
    parse_score,
    parse_stop_part,
)

Mode = Literal["live", "oracle", "none"]
MODES: tuple[str, ...] = ("live", "oracle", "none")
Generate = Callable[[Sequence[GenerateRequest]], list[Generation]]

MALFORMED = (
    "Malformed action. To call a tool write 'Action: <tool name>' and, on the next line, "
    "'Action Input: <input>'. To finish write 'Rationale: ...' and 'Score: <number from -1 to 1>'."
)
_SCORE_RULE = "Score: <one number from -1 (the answer is wrong) to 1 (the answer is correct)>"


@dataclass(frozen=True)
class JudgeTask:
    """One answer to judge: ``key`` is unique in the batch (e.g. ``<item id>:pos``)."""

    key: str
    question: str
    answer: str
    context: str | None = None
    tool_ctx: ToolContext = field(default_factory=ToolContext)
    recorded: tuple[Step, ...] = ()  # the data's tool calls, given to the model in oracle mode


@dataclass(frozen=True)
class JudgeSettings:
    mode: Mode = "live"
    max_steps: int = 3
    input_mode: InputMode = "line"
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.0, max_tokens=256))

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; valid: {', '.join(MODES)}")
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")


def action_names(tools: Mapping[str, Tool]) -> list[str]:
    """The action names a model may write (``Calendar`` offers three)."""
    names: list[str] = []
    for name in sorted(tools):
        names.extend(getattr(tools[name], "actions", (name,)))
    return names


def _item_text(task: JudgeTask) -> str:
    lines = [f"Context: {task.context}"] if task.context else []
    lines += [f"Question: {task.question}", f"Answer: {task.answer}"]
    return "\n".join(lines)


def instructions(mode: Mode, tools: Mapping[str, Tool]) -> str:
    """The judge's instructions for ``mode`` (the tool list only when tools may be called)."""
    head = "You are a reward model. Judge whether the answer to the question below is correct."
    if mode == "live":
        tool_lines = "\n".join(f"- {n}: {tools[n].description}" for n in sorted(tools))
        return (
            f"{head} Check it with the tools before you score it.\n\nTools:\n{tool_lines}\n\n"
            "Call one tool at a time, in exactly this format, then stop and wait:\n"
            "Thought: <what you need to check>\n"
            f"Action: <one of: {', '.join(action_names(tools))}>\n"
            "Action Input: <the tool's input>\n"
            "The tool's result comes back as 'Observation: <result>'. When you have checked enough, write:\n"
            f"Rationale: <why the answer is right or wrong, using the observations>\n{_SCORE_RULE}"
        )
    if mode == "oracle":
        return (
            f"{head} The tools were already called; their observations are given. Write:\n"
            f"Rationale: <why the answer is right or wrong, using the observations>\n{_SCORE_RULE}"
        )
    return f"{head} Write:\nRationale: <why the answer is right or wrong>\n{_SCORE_RULE}"


def first_prompt(task: JudgeTask, mode: Mode, tools: Mapping[str, Tool]) -> Prompt:
    text = f"{instructions(mode, tools)}\n\n{_item_text(task)}"
    if mode == "oracle":
        text += f"\n\nTool calls and observations:\n{format_trace(list(task.recorded))}"
    return (Message("user", text),)


@dataclass
class _Episode:
    task: JudgeTask
    messages: list[Message]
    steps: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None


def _final(text: str, finish: str) -> dict[str, Any]:
    score = parse_score(text)
    valid = score is not None and math.isfinite(score)
    reason = "" if valid else ("no score (cut at max_tokens)" if finish == "length" else "no score")
    return {
        "raw": text,
        "finish_reason": finish,
        "score": score if valid else None,
        "valid": valid,
        "reason": reason,
        "rationale": parse_rationale(text),
    }


def _advance(ep: _Episode, gen: Generation, settings: JudgeSettings, tools: Mapping[str, Tool]) -> None:
    text, finish = gen.text, gen.finish_reasons[0] if gen.finish_reasons else ""
    rnd = len(ep.steps) + 1
    cut = parse_stop_part(text)
    step = parse_action(cut, settings.input_mode) if settings.mode == "live" else None
    malformed = settings.mode == "live" and step is None and mentions_action(cut) and parse_score(text) is None
    if step is None and not malformed:
        ep.result = _final(text, finish)
        return
    entry: dict[str, Any] = {"round": rnd, "raw": text, "finish_reason": finish}
    if step is not None:
        res = run_tool(step.action, step.action_input, tools, replace(ep.task.tool_ctx, action=step.action))
        entry.update(kind="action", thought=step.thought, action=step.action, action_input=step.action_input)
        entry.update(res.to_json())
    else:
        entry.update(kind="malformed", observation=MALFORMED, error="malformed_action")
    ep.steps.append(entry)
    if rnd >= settings.max_steps:
        ep.result = {
            "raw": None,
            "finish_reason": None,
            "score": None,
            "valid": False,
            "reason": f"no score after {settings.max_steps} rounds (max_steps)",
            "rationale": None,
        }
        return
    ep.messages += [Message("assistant", cut.rstrip()), Message("user", f"Observation: {entry['observation']}")]


def run_judge(
    tasks: Sequence[JudgeTask], generate: Generate, tools: Mapping[str, Tool], settings: JudgeSettings
) -> list[dict[str, Any]]:
    """One record per task, in order: the first prompt, every step (raw output, parsed action, tool
    observation or error) and the final output with its parsed score and ``valid`` flag."""
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("judge task keys must be unique")
    live_tools = tools if settings.mode == "live" else {}
    episodes = [_Episode(t, list(first_prompt(t, settings.mode, tools))) for t in tasks]
    prompts = [prompt_to_json(tuple(ep.messages)) for ep in episodes]
    active = list(episodes)
    while active:
        gens = generate([GenerateRequest(tuple(ep.messages), settings.sampling) for ep in active])
        if len(gens) != len(active):
            raise RuntimeError(f"generate returned {len(gens)} generations for {len(active)} requests")
        for ep, gen in zip(active, gens, strict=True):
            _advance(ep, gen, settings, live_tools)
        active = [ep for ep in active if ep.result is None]
    out = []
    for ep, prompt in zip(episodes, prompts, strict=True):
        result = ep.result or {}
        n_gen = len(ep.steps) + (result.get("raw") is not None)
        out.append(
            {
                "key": ep.task.key,
                "mode": settings.mode,
                "prompt": prompt,
                "steps": ep.steps,
                "n_generations": n_gen,
                **result,
            }
        )
    return out
