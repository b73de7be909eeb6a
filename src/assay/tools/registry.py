"""Tools a tool-augmented judge may call: the ``Tool`` protocol, a registry, and the authors' name dispatch.

A tool is any object with a ``name``, a one-line ``description`` (shown to the model, with the input
format) and ``__call__(tool_input, ctx) -> ToolResult``. ``ctx`` carries what some tools need besides
their input: the item id (``translate`` replays by id), the question and the answer under judgement
(``calculator`` reads the answer's ``#### N``; ``code_run`` runs the answer against ``test_list``) and the
action name as the model wrote it (``Calendar.week_day``).

Stateless tools register themselves at import (``calculator``, ``Calendar``, ``code_run``); tools that
need data (``history_weather``, ``translate``, ``wiki_search``) are built for a run from that data and
added to the run's toolbox. ``register_tool`` adds your own tool to every toolbox built afterwards.

Name dispatch follows ``generate_themis.py`` ``get_tools_api``: an exact name first, else any action whose
name contains "calendar" (any case) goes to the calendar tool, which picks ``week_day`` / ``target_day`` /
``day_difference`` from the action name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TOOL_ERROR = "An error occurred during the tool invoke, so no result was returned."
"""The authors' observation when a tool raises (``generate_themis.py`` ``invoke_run``)."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may read besides its input: the item and the answer being judged."""

    item_id: str = ""
    action: str = ""  # the tool name exactly as the model wrote it
    question: str = ""
    answer: str = ""
    test_list: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResult:
    """A tool's observation text; ``error`` names a failure (the observation then says what happened)."""

    observation: str
    error: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # tool-specific facts for the record

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"observation": self.observation, "error": self.error}
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@runtime_checkable
class Tool(Protocol):
    name: str
    description: str

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult: ...


_REGISTRY: dict[str, Tool] = {}


def register_tool(tool: Tool, *, replace: bool = False) -> Tool:
    """Add ``tool`` under ``tool.name``; a second tool of the same name is an error unless ``replace``."""
    if not isinstance(tool, Tool):
        raise TypeError(f"{tool!r} is not a Tool: it needs name, description and __call__(tool_input, ctx)")
    if not isinstance(tool.name, str) or not tool.name.strip():
        raise ValueError("a tool needs a non-empty name")
    if tool.name in _REGISTRY and not replace:
        raise ValueError(f"tool {tool.name!r} registered twice (pass replace=True to override)")
    _REGISTRY[tool.name] = tool
    return tool


def unregister_tool(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered_tools() -> dict[str, Tool]:
    """The registered tools by name (the built-in stateless ones are registered on import)."""
    _load_builtin()
    return dict(_REGISTRY)


def get_tool(name: str) -> Tool:
    tools = registered_tools()
    try:
        return tools[name]
    except KeyError:
        raise KeyError(f"unknown tool {name!r}; registered: {', '.join(sorted(tools))}") from None


def _load_builtin() -> None:
    from assay.tools import calculator, calendar, code_run  # noqa: F401  (each registers itself)


def resolve_tool(action: str, tools: Mapping[str, Tool]) -> Tool | None:
    """The tool an action names (``get_tools_api``): exact name, else "calendar" in the name -> Calendar."""
    if action in tools:
        return tools[action]
    if "calendar" in action.lower():
        for tool in tools.values():
            if tool.name.lower() == "calendar":
                return tool
    return None


def run_tool(action: str, tool_input: str, tools: Mapping[str, Tool], ctx: ToolContext) -> ToolResult:
    """Run the tool ``action`` names; an unknown tool or a raising tool becomes an observation with
    ``error`` set ("unknown_tool" / "tool_error"), never an exception."""
    tool = resolve_tool(action, tools)
    if tool is None:
        names = ", ".join(sorted(tools))
        return ToolResult(f"Unknown tool {action!r}. Available tools: {names}.", error="unknown_tool")
    try:
        result = tool(tool_input, ctx)
    except Exception as e:  # the authors' handler: any tool failure gives the generic observation
        return ToolResult(TOOL_ERROR, error="tool_error", detail={"exception": f"{type(e).__name__}: {e}"})
    if not isinstance(result, ToolResult):
        return ToolResult(str(result))
    return result


def describe(tools: Mapping[str, Tool], order: Sequence[str] | None = None) -> str:
    """One line per tool, ``- name: description``, for the judge's instructions."""
    names = list(order) if order is not None else sorted(tools)
    return "\n".join(f"- {n}: {tools[n].description}" for n in names if n in tools)
