"""The Themis trace format, parsed and produced.

A trace is zero or more tool steps, then a rationale and a score::

    Thought: I need to search what day of the week is 2015-03-24.
    Action: Calendar.week_day
    Action Input: 2015-03-24
    Observation: Tuesday
    Rationale: The tool confirms 2015-03-24 is a Tuesday, as the answer says.
    Score: 1

Steps are the authors' ``Prompter.action_template`` (``src/utils/prompter.py``:
``'Thought: {}\\nAction: {}\\nAction Input: {}\\nObservation: {}'``); TARA stores one step as a dict with
those four keys, or several as one such string (``multi_tools``). Parsing a model's output follows
``generate_themis.py``: ``parse_stop_part`` cuts the text at the first ``\\nObservation:`` (or
``<start_observation>``) so an observation the model invents is dropped, then ``parse_actions`` applies
the regex ``Action\\s*\\d*\\s*:[\\s]*(.*?)[\\s]*Action\\s*\\d*\\s*Input\\s*\\d*\\s*:[\\s]*(.*)`` (DOTALL);
the input is stripped of blanks and double quotes. The authors keep everything after ``Action Input:``
(their model stops there); ``input_mode="line"`` (the default here) keeps only its first line, since an
instruction model often writes on after the input, and no tool takes a multi-line input.

Themis reads its reward from a scalar head, not from text; a text judge must write it, so the final part
is ``Rationale:`` (or Themis' ``Work:``) and ``Score: <number>``; the last ``Score:`` number counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

InputMode = Literal["line", "rest"]
INPUT_MODES: tuple[str, ...] = ("line", "rest")

_ACTION = re.compile(r"Action\s*\d*\s*:[\s]*(.*?)[\s]*Action\s*\d*\s*Input\s*\d*\s*:[\s]*(.*)", re.DOTALL)
_ACTION_WORD = re.compile(r"(?im)^\s*Action\s*\d*\s*:")
_STOPS = ("\nObservation:", "\n\tObservation:")
_SCORE = re.compile(r"(?i)\bscore\s*[:=]\s*\**\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))")
_RATIONALE = re.compile(r"(?is)(?:^|\n)\s*(?:Rationale|Work)\s*:\s*(.*?)(?=\n\s*Score\s*[:=]|\Z)")
_THOUGHT = re.compile(r"(?is)Thought\s*:\s*(.*?)(?=\n\s*Action\s*\d*\s*:|\Z)")


@dataclass(frozen=True)
class Step:
    """One tool step: what the model thought, the action and input, and the observation it got."""

    thought: str
    action: str
    action_input: str
    observation: str | None = None

    def render(self) -> str:
        lines = [f"Thought: {self.thought}", f"Action: {self.action}", f"Action Input: {self.action_input}"]
        if self.observation is not None:
            lines.append(f"Observation: {self.observation}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "thought": self.thought,
            "action": self.action,
            "action_input": self.action_input,
            "observation": self.observation,
        }


def parse_stop_part(text: str) -> str:
    """``generate_themis.py`` ``parse_stop_part``: the text before the first observation marker."""
    if "<start_observation>" in text:
        return text[: text.index("<start_observation>")]
    for stop in _STOPS:
        m = re.search(stop, text)
        if m:
            return text[: m.start()]
    return text


def parse_action(text: str, input_mode: InputMode = "line") -> Step | None:
    """The action a (stop-cut) output asks for, or None when it asks for none (``parse_actions``)."""
    m = _ACTION.search(text)
    if m is None:
        return None
    action = m.group(1).strip()
    tool_input = m.group(2).strip(" ")
    if not tool_input.startswith("SELECT "):
        tool_input = tool_input.strip('"')
    tool_input = tool_input.strip()
    if input_mode == "line":
        tool_input = tool_input.split("\n", 1)[0].strip().strip('"').strip()
    thought_m = _THOUGHT.search(text[: m.start()] + "\n")
    thought = thought_m.group(1).strip() if thought_m else ""
    return Step(thought, action, tool_input)


def mentions_action(text: str) -> bool:
    """True when the text starts a line with ``Action:`` (used to tell a malformed call from none)."""
    return _ACTION_WORD.search(text) is not None


def parse_score(text: str) -> float | None:
    """The last ``Score: <number>`` in the text, or None."""
    found = _SCORE.findall(text)
    return float(found[-1]) if found else None


def parse_rationale(text: str) -> str | None:
    m = _RATIONALE.findall(text)
    return m[-1].strip() if m else None


def parse_trace(text: str) -> list[Step]:
    """Every complete step of a full trace text (TARA's ``multi_tools`` ``actions`` strings)."""
    steps: list[Step] = []
    blocks = re.split(r"(?m)^(?=Thought\s*:)", text.replace("\n\n", "\n"))
    for block in blocks:
        if not block.strip():
            continue
        head, sep, obs = block.partition("\nObservation:")
        step = parse_action(head, "rest")
        if step is None:
            continue
        observation = obs.strip() if sep else None
        steps.append(Step(step.thought, step.action, step.action_input, observation))
    return steps


def recorded_steps(actions: Any) -> list[Step]:
    """The steps of a TARA ``actions`` value: a ``{Thought, Action, Action Input, Observation}`` dict or a
    multi-step string."""
    if isinstance(actions, dict):
        return [
            Step(
                str(actions.get("Thought", "")),
                str(actions.get("Action", "")),
                str(actions.get("Action Input", "")),
                None if actions.get("Observation") is None else str(actions["Observation"]),
            )
        ]
    if isinstance(actions, str):
        return parse_trace(actions)
    raise TypeError(f"actions must be a dict or a string, got {type(actions).__name__}")


def format_trace(steps: list[Step], rationale: str | None = None, score: float | str | None = None) -> str:
    """A full trace: the steps, then ``Rationale:`` and ``Score:`` when given."""
    parts = [s.render() for s in steps]
    if rationale is not None:
        parts.append(f"Rationale: {rationale}")
    if score is not None:
        parts.append(f"Score: {score}")
    return "\n".join(parts)
