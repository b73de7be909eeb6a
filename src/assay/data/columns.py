"""Column mapping for user-supplied files: which column holds the prompt, the responses, the labels.

A user file is either *pairs* (prompt, chosen, rejected) or *candidates* (prompt, responses, and
best index(es) or a ranking). ``ColumnMap`` renames the expected columns to the file's own
(``ColumnMap.parse("prompt=question,chosen=good")``); every other scalar column is kept in ``meta``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from assay.data.collect import stable_id
from assay.data.fields import (
    get_conversation,
    get_int_list,
    get_prompt,
    get_response,
    get_response_list,
    get_str,
    optional,
)
from assay.data.rows import DataError, Row
from assay.samples import Candidates, Pair, Prompt

Shape = Literal["pairs", "candidates"]


@dataclass(frozen=True)
class ColumnMap:
    """Names of the file's columns for each role (defaults: the role names themselves)."""

    prompt: str = "prompt"
    chosen: str = "chosen"
    rejected: str = "rejected"
    responses: str = "responses"
    best: str = "best"
    ranking: str = "ranking"
    id: str = "id"
    subset: str = "subset"

    @classmethod
    def parse(cls, spec: str | None) -> ColumnMap:
        """``"prompt=question,chosen=good"`` -> ColumnMap(prompt="question", chosen="good")."""
        keys = [f.name for f in dataclasses.fields(cls)]
        kwargs: dict[str, str] = {}
        for item in (spec or "").split(","):
            if not item.strip():
                continue
            key, sep, col = (s.strip() for s in item.partition("="))
            if not sep or not key or not col:
                raise ValueError(f"bad column mapping {item.strip()!r}: expected role=column, e.g. prompt=question")
            if key not in keys:
                raise ValueError(f"unknown role {key!r} in column mapping; roles: {', '.join(keys)}")
            if key in kwargs:
                raise ValueError(f"role {key!r} mapped twice in column mapping")
            kwargs[key] = col
        return cls(**kwargs)

    def columns(self) -> set[str]:
        """All mapped column names (they are not copied into meta)."""
        return {getattr(self, f.name) for f in dataclasses.fields(self)}


def detect_shape(first_row_keys: Iterable[str], cmap: ColumnMap, *, source: str = "input") -> Shape:
    """ "pairs" when the chosen and rejected columns exist, else "candidates" when the responses column
    and a best or ranking column exist; otherwise a DataError listing what is expected and found."""
    keys = set(first_row_keys)
    if cmap.chosen in keys and cmap.rejected in keys:
        return "pairs"
    if cmap.responses in keys and (cmap.best in keys or cmap.ranking in keys):
        return "candidates"
    raise DataError(
        source,
        None,
        None,
        f"cannot tell the data shape from columns {sorted(keys)}: expected pairs "
        f"({cmap.prompt!r}, {cmap.chosen!r}, {cmap.rejected!r}) or candidates ({cmap.prompt!r}, "
        f"{cmap.responses!r}, and {cmap.best!r} or {cmap.ranking!r}); map other names with e.g. "
        "'prompt=question,chosen=good,rejected=bad'",
    )


def pair_from_row(row: Row, cmap: ColumnMap) -> Pair:
    """A Pair. Without a prompt column, chosen/rejected must be whole conversations with one shared
    prompt (Anthropic-HH style); with one, conversations contribute only their final response."""
    if optional(row, cmap.prompt) is not None:
        prompt = get_prompt(row, cmap.prompt)
        chosen = get_response(row, cmap.chosen)
        rejected = get_response(row, cmap.rejected)
    else:
        value = optional(row, cmap.chosen)
        if not isinstance(value, list | tuple | dict) and not (
            isinstance(value, str) and value.lstrip().startswith("[{")
        ):
            get_prompt(row, cmap.prompt)  # raises "missing" with the row's columns
        prompt, chosen = get_conversation(row, cmap.chosen)
        other, rejected = get_conversation(row, cmap.rejected)
        if not prompt:
            raise DataError.at(
                row,
                cmap.chosen,
                f"no {cmap.prompt!r} column and the conversation holds no messages before the response",
            )
        if other != prompt:
            raise DataError.at(row, cmap.rejected, f"conversation's prompt messages differ from {cmap.chosen!r}'s")
    return Pair(id=_row_id(row, cmap), prompt=prompt, chosen=chosen, rejected=rejected, meta=_meta(row, cmap))


def candidates_from_row(row: Row, cmap: ColumnMap) -> Candidates:
    """Candidates: N >= 2 responses, ``best`` as an index or list of indices (0-based), or derived
    from ``ranking`` (rank 1 = best; ties allowed). Both given: ``best`` is used, ranking kept."""
    prompt: Prompt = get_prompt(row, cmap.prompt)
    responses = get_response_list(row, cmap.responses)
    n = len(responses)
    if n < 2:
        raise DataError.at(row, cmap.responses, f"expected at least 2 responses, got {n}")
    ranking = None
    if optional(row, cmap.ranking) is not None:
        ranking = tuple(get_int_list(row, cmap.ranking))
        if len(ranking) != n:
            raise DataError.at(row, cmap.ranking, f"has {len(ranking)} ranks for {n} responses")
        if min(ranking) < 1:
            raise DataError.at(row, cmap.ranking, f"ranks start at 1 (best); got {list(ranking)}")
    if optional(row, cmap.best) is not None:
        best = get_int_list(row, cmap.best)
        if not best:
            raise DataError.at(row, cmap.best, "empty list of best indices")
        bad = [b for b in best if not 0 <= b < n]
        if bad:
            raise DataError.at(row, cmap.best, f"index {bad[0]} out of range for {n} responses (0-based: 0..{n - 1})")
        if len(set(best)) != len(best):
            raise DataError.at(row, cmap.best, f"repeated index in {best}")
    elif ranking is not None:
        best = [i for i, r in enumerate(ranking) if r == 1]
        if not best:
            raise DataError.at(row, cmap.ranking, f"no response has rank 1 in {list(ranking)}")
    else:
        raise DataError.at(row, cmap.best, f"missing: give the best index(es) or a {cmap.ranking!r} column")
    return Candidates(
        id=_row_id(row, cmap),
        prompt=prompt,
        responses=tuple(responses),
        best=tuple(best),
        ranking=ranking,
        meta=_meta(row, cmap),
    )


def _row_id(row: Row, cmap: ColumnMap) -> str:
    """The id column (string or integer) or, when absent, a content hash of the row."""
    v = optional(row, cmap.id)
    if v is None:
        return stable_id(row.data)
    if isinstance(v, str):
        return get_str(row, cmap.id)
    if isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer():
        return str(int(v))
    raise DataError.at(row, cmap.id, f"expected a string or integer id, got {type(v).__name__}")


def _meta(row: Row, cmap: ColumnMap) -> dict[str, Any]:
    """Scalar columns other than the mapped ones (NaN -> None), plus ``subset`` ("default" if none)."""
    mapped = cmap.columns()
    meta: dict[str, Any] = {}
    for k, v in row.data.items():
        if k in mapped or not isinstance(v, str | int | float | bool):
            continue
        meta[str(k)] = None if isinstance(v, float) and math.isnan(v) else v
    sub = optional(row, cmap.subset)
    if sub is None:
        meta["subset"] = "default"
    elif isinstance(sub, str):
        meta["subset"] = get_str(row, cmap.subset)
    elif isinstance(sub, int) and not isinstance(sub, bool):
        meta["subset"] = str(sub)
    else:
        raise DataError.at(row, cmap.subset, f"expected a string, got {type(sub).__name__}")
    return meta
