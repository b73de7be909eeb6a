"""The Themis ``Calendar`` tool: weekday of a date, the date N days away, days between two dates.

Authors: ``src/tools/calendar.py`` class ``Calendar`` (``week_day``, ``target_day``, ``day_difference``)
and ``generate_themis.py`` ``calendar_api(tool_inputs, calendar_type)``, reproduced exactly:

* ``Calendar.week_day``, input ``YYYY-MM-DD`` -> ``calendar.day_name[date.weekday()]`` ("Tuesday");
* ``Calendar.target_day``, input ``YYYY-MM-DD, N`` (N may be negative) -> ``YYYY-MM-DD``;
* ``Calendar.day_difference``, input ``YYYY-MM-DD, YYYY-MM-DD`` -> ``abs((d1 - d2).days)`` ("7457").

The sub-function is chosen by substring of the action name (``'week_day' in calendar_type`` first, then
``target_day``, then ``day_difference``); any other calendar action returns ``None``, which the authors
print as the observation "None". Inputs are split on "," (two parts exactly, else the call raises) and
stripped; dates parse with ``%Y-%m-%d``. A raising call gives the generic tool-error observation.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta

from assay.tools.registry import ToolContext, ToolResult, register_tool


def _parse(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()


def week_day(day: str) -> str:
    return _calendar.day_name[_parse(day).weekday()]


def target_day(the_day: str, diff: int) -> str:
    start = _parse(the_day)
    target = start - timedelta(-diff) if diff < 0 else start + timedelta(diff)
    return target.strftime("%Y-%m-%d")


def day_difference(date1: str, date2: str) -> int:
    return abs((_parse(date1) - _parse(date2)).days)


def calendar_api(tool_inputs: str, calendar_type: str) -> str | int | None:
    """``generate_themis.py`` ``calendar_api``: raises ``ValueError`` on a malformed input, like the original."""
    if "week_day" in calendar_type:
        return week_day(tool_inputs.strip())
    if "target_day" in calendar_type:
        the_day, diff = tool_inputs.split(",")
        return target_day(the_day.strip(), int(diff.strip()))
    if "day_difference" in calendar_type:
        date1, date2 = tool_inputs.split(",")
        return day_difference(date1.strip(), date2.strip())
    return None


class CalendarTool:
    """``Calendar.week_day`` / ``Calendar.target_day`` / ``Calendar.day_difference``."""

    name = "Calendar"
    description = (
        "date arithmetic, called as one of three actions. Calendar.week_day, input YYYY-MM-DD: the day of "
        "the week. Calendar.target_day, input YYYY-MM-DD, N: the date N days later (N < 0: earlier). "
        "Calendar.day_difference, input YYYY-MM-DD, YYYY-MM-DD: the number of days between the two dates."
    )
    actions = ("Calendar.week_day", "Calendar.target_day", "Calendar.day_difference")

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        action = ctx.action or self.name
        return ToolResult(f"{calendar_api(tool_input, action)}")


register_tool(CalendarTool())
