"""The parsed outcome of one judge output.

A judge output that cannot be parsed is never dropped: it becomes ``Verdict(valid=False)`` with the raw text
kept and a ``reason``, so the scoring rule (which usually gives it partial credit) and the record both see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VerdictValue = str | float | tuple | None


@dataclass(frozen=True)
class Verdict:
    """``value``: "A"/"B"/"tie", a label such as "A>B", a rating, or a tuple of labels (a ranking)."""

    value: VerdictValue
    valid: bool
    raw: str
    reason: str = ""

    @classmethod
    def invalid(cls, raw: str, reason: str) -> Verdict:
        return cls(None, False, raw, reason)

    def to_json(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"verdict": value, "valid": self.valid, "reason": self.reason, "raw": self.raw}
