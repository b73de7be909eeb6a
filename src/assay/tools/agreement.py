"""Do the tools reproduce the observations recorded in a benchmark's data? Replay each recorded call.

Used to check the offline tools against the TARA release (``tests/test_tool_agreement.py``): each
recorded call (action, input, the context it ran in) is run again and its observation compared, as text,
with the recorded one. Calls to the built-in ``code_run`` run together on the sandbox's shared pool.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.tools.registry import Tool, ToolContext, resolve_tool, run_tool


@dataclass(frozen=True)
class RecordedCall:
    key: str  # where it was recorded (item and answer)
    action: str
    action_input: str
    observation: str
    ctx: ToolContext


def _code_observations(calls: Sequence[RecordedCall]) -> list[str]:
    from assay.tools.code_run import CodeReport, run_test_jobs

    jobs = [(c.ctx.answer, t) for c in calls for t in c.ctx.test_list]
    runs = run_test_jobs(jobs) if jobs else []
    out, at = [], 0
    for c in calls:
        n = len(c.ctx.test_list)
        out.append(CodeReport(tuple(runs[at : at + n])).observation())
        at += n
    return out


def agreement(calls: Sequence[RecordedCall], tools: Mapping[str, Tool], only: Sequence[str] = ()) -> dict[str, Any]:
    """Per tool name (optionally only those in ``only``): ``{"n", "agree", "rate", "mismatches"}``; an action
    no tool answers is reported under its own name (it then never agrees)."""
    from assay.tools.code_run import CodeRunTool

    named = []
    for c in calls:
        tool = resolve_tool(c.action, tools)
        name = tool.name if tool is not None else c.action
        if not only or name in only:
            named.append((name, c, isinstance(tool, CodeRunTool) and bool(c.ctx.test_list)))
    batched = [c for _, c, is_code in named if is_code]
    code_obs = dict(zip((id(c) for c in batched), _code_observations(batched), strict=True))
    out: dict[str, Any] = {}
    for name, c, _ in named:
        observation = code_obs.get(id(c))
        if observation is None:
            observation = run_tool(c.action, c.action_input, tools, c.ctx).observation
        stat = out.setdefault(name, {"n": 0, "agree": 0, "mismatches": []})
        stat["n"] += 1
        if observation == c.observation:
            stat["agree"] += 1
        else:
            stat["mismatches"].append(
                {"key": c.key, "input": c.action_input, "recorded": c.observation, "tool": observation}
            )
    for stat in out.values():
        stat["rate"] = stat["agree"] / stat["n"] if stat["n"] else math.nan
    return out
