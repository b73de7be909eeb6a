"""Typed field getters for raw rows: each returns a clean value or raises ``DataError`` naming where.

Why: benchmark files carry NaN (pandas exports, bare NaN in JSON), ints where text belongs, empty
responses and CSV cells that are JSON-encoded lists. A getter either returns exactly the type asked
for or fails loudly with file, row and field, so nothing reaches a model half-valid.
A ``None`` value counts as missing; a float NaN is reported as NaN wherever text or a list is expected.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

from assay.data.rows import DataError, Row
from assay.samples import ContentPart, Message, Prompt, user_prompt

ROLES = ("system", "user", "assistant", "tool")
_CSV = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
ROLE_ALIASES = {"human": "user", "gpt": "assistant", "bot": "assistant", "model": "assistant"}


def _err(row: Row | None, field: str | None, message: str) -> DataError:
    if row is None:
        return DataError("<conversation>", None, field, message)
    return DataError.at(row, field, message)


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _raw(row: Row, field: str) -> Any:
    """The present, non-null value of ``field`` (raises the row's parse error first)."""
    row.check()
    if field not in row.data:
        cols = ", ".join(sorted(str(k) for k in row.data))
        hint = "; an empty CSV cell counts as missing" if row.source.lower().endswith(_CSV) else ""
        raise _err(row, field, f"missing (the row has: {cols or 'no columns'}{hint})")
    v = row.data[field]
    if v is None:
        raise _err(row, field, "missing (null)")
    return v


def _as_str(row: Row | None, field: str, v: Any, allow_empty: bool) -> str:
    if _is_nan(v):
        raise _err(row, field, "is NaN, expected a string")
    if not isinstance(v, str):
        raise _err(row, field, f"expected a string, got {type(v).__name__}")
    if not allow_empty and not v.strip():
        raise _err(row, field, "empty (or whitespace only)")
    return v


def _as_int(row: Row, field: str, v: Any) -> int:
    if isinstance(v, bool):
        raise _err(row, field, "expected an integer, got bool")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            raise _err(row, field, "is NaN, expected an integer")
        if v.is_integer():
            return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            pass
    raise _err(row, field, f"expected an integer, got {type(v).__name__} {v!r:.40}")


def _as_list(row: Row, field: str, v: Any) -> list[Any]:
    """A list value, or a CSV cell holding a JSON-encoded list."""
    if _is_nan(v):
        raise _err(row, field, "is NaN, expected a list")
    if isinstance(v, str) and v.lstrip().startswith("["):
        try:
            v = json.loads(v)
        except json.JSONDecodeError as e:
            raise _err(row, field, f"invalid JSON list: {e.msg} at column {e.colno}") from e
    if isinstance(v, tuple) or type(v).__name__ == "ndarray":
        v = list(v)
    if not isinstance(v, list):
        raise _err(row, field, f"expected a list, got {type(v).__name__}")
    return v


def get_str(row: Row, field: str, *, allow_empty: bool = False) -> str:
    """A string field; empty/whitespace-only is an error unless ``allow_empty``."""
    return _as_str(row, field, _raw(row, field), allow_empty)


def get_int(row: Row, field: str) -> int:
    """An integer field (integral floats and numeric CSV strings accepted; bool and NaN rejected)."""
    return _as_int(row, field, _raw(row, field))


def get_float(row: Row, field: str, *, allow_nan: bool = False) -> float:
    """A finite number (numeric CSV strings accepted); NaN/inf only with ``allow_nan``."""
    v = _raw(row, field)
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            raise _err(row, field, f"expected a number, got str {v!r:.40}") from None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _err(row, field, f"expected a number, got {type(v).__name__}")
    v = float(v)
    if not allow_nan and not math.isfinite(v):
        raise _err(row, field, f"is {v}, expected a finite number")
    return v


def get_str_list(row: Row, field: str, n: int | None = None, *, allow_empty: bool = False) -> list[str]:
    """A list of strings (or a JSON-encoded list string); each item checked; exactly ``n`` if given."""
    items = _as_list(row, field, _raw(row, field))
    if n is not None and len(items) != n:
        raise _err(row, field, f"expected {n} items, got {len(items)}")
    if not items and not allow_empty:
        raise _err(row, field, "empty list")
    return [_as_str(row, f"{field}[{i}]", x, allow_empty) for i, x in enumerate(items)]


def get_int_list(row: Row, field: str) -> list[int]:
    """An int or a list of ints (or a JSON-encoded list string), as a list."""
    v = _raw(row, field)
    if isinstance(v, int | float) and not isinstance(v, bool) and not _is_nan(v):
        return [_as_int(row, field, v)]
    if isinstance(v, str) and not v.lstrip().startswith("["):
        return [_as_int(row, field, v)]
    return [_as_int(row, f"{field}[{i}]", x) for i, x in enumerate(_as_list(row, field, v))]


def optional(row: Row, field: str, default: Any = None) -> Any:
    """The raw value of ``field``, or ``default`` when it is absent, null or NaN."""
    row.check()
    v = row.data.get(field)
    return default if v is None or _is_nan(v) else v


def get_prompt(row: Row, field: str) -> Prompt:
    """A prompt: a string (one user message) or a list of {"role", "content"} messages.

    A string that is a JSON-encoded message list (as CSV cells carry) is decoded as messages.
    """
    v = _raw(row, field)
    if isinstance(v, str):
        decoded = _decode_messages(v)
        if decoded is None:
            return user_prompt(_as_str(row, field, v, allow_empty=False))
        v = decoded
    if isinstance(v, dict):
        v = [v]
    if not isinstance(v, list | tuple):
        _as_str(row, field, v, allow_empty=False)  # raises the NaN / wrong-type error
    msgs = _messages(row, field, v)
    if not msgs:
        raise _err(row, field, "empty message list")
    if not any(m.has_image() or m.text().strip() for m in msgs):
        raise _err(row, field, "empty (every message is empty)")
    return msgs


def get_response(row: Row, field: str) -> str:
    """A response: a non-empty string, or a message list whose last (assistant) message is returned."""
    v = _raw(row, field)
    if isinstance(v, str):
        decoded = _decode_messages(v)
        if decoded is None:
            return _as_str(row, field, v, allow_empty=False)
        v = decoded
    if isinstance(v, list | tuple | dict):
        return split_conversation(v, row, field)[1]
    return _as_str(row, field, v, allow_empty=False)


def get_conversation(row: Row, field: str) -> tuple[Prompt, str]:
    """A whole conversation field split into (prompt messages, final assistant response)."""
    v = _raw(row, field)
    if isinstance(v, str):
        decoded = _decode_messages(v)
        if decoded is None:
            raise _err(row, field, "expected a list of messages (a whole conversation), got a plain string")
        v = decoded
    return split_conversation(v, row, field)


def get_response_list(row: Row, field: str, n: int | None = None) -> list[str]:
    """A list of responses (strings or conversations ending with the assistant), each checked."""
    items = _as_list(row, field, _raw(row, field))
    if n is not None and len(items) != n:
        raise _err(row, field, f"expected {n} items, got {len(items)}")
    out = []
    for i, x in enumerate(items):
        label = f"{field}[{i}]"
        decoded = _decode_messages(x) if isinstance(x, str) else None
        if decoded is not None or isinstance(x, list | tuple | dict):
            out.append(split_conversation(decoded if decoded is not None else x, row, label)[1])
        else:
            out.append(_as_str(row, label, x, allow_empty=False))
    return out


def split_conversation(messages: Any, row: Row | None = None, field: str = "conversation") -> tuple[Prompt, str]:
    """Split a whole conversation into (the messages before the last one, the last one's text).

    The last message must be the assistant's and non-empty text. The prompt part may be empty (a bare
    assistant message); callers that need a prompt check it. Pass ``row``/``field`` so errors name them.
    """
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list | tuple):
        raise _err(row, field, f"expected a list of messages, got {type(messages).__name__}")
    msgs = _messages(row, field, messages)
    if not msgs:
        raise _err(row, field, "empty message list")
    last = msgs[-1]
    label = f"{field}[{len(msgs) - 1}]"
    if last.role != "assistant":
        raise _err(row, label, f"last message has role {last.role!r}; expected the assistant's response")
    try:
        text = last.text()
    except ValueError as e:
        raise _err(row, label, str(e)) from e
    return msgs[:-1], _as_str(row, label, text, allow_empty=False)


def _decode_messages(s: str) -> list[Any] | None:
    """A JSON-encoded message list in a string cell, else None (the string is plain text)."""
    if not s.lstrip().startswith("[{"):
        return None
    try:
        v = json.loads(s)
    except json.JSONDecodeError:
        return None
    if isinstance(v, list) and v and all(isinstance(m, dict) and ("role" in m or "from" in m) for m in v):
        return v
    return None


def _messages(row: Row | None, field: str, items: Any) -> Prompt:
    return tuple(_message(row, f"{field}[{i}]", m) for i, m in enumerate(items))


def _message(row: Row | None, label: str, m: Any) -> Message:
    if not isinstance(m, dict):
        raise _err(row, label, f"expected a message {{role, content}}, got {type(m).__name__}")
    role = m.get("role", m.get("from"))
    if not isinstance(role, str):
        raise _err(row, label, f"message role missing or not a string: {role!r:.40}")
    role = ROLE_ALIASES.get(role.lower(), role.lower())
    if role not in ROLES:
        raise _err(row, label, f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    content = m["content"] if "content" in m else m.get("value")
    if content is None:
        raise _err(row, label, "message content missing (null)")
    if isinstance(content, str) or _is_nan(content) or not isinstance(content, list | tuple):
        return Message(role, _as_str(row, f"{label}.content", content, allow_empty=True))  # type: ignore[arg-type]
    parts = tuple(_part(row, f"{label}.content[{j}]", p) for j, p in enumerate(content))
    return Message(role, parts)  # type: ignore[arg-type]


def _part(row: Row | None, label: str, p: Any) -> ContentPart:
    """A content part: a string, {"type": "text", "text"} or {"type": "image", path|image|bytes}."""
    if isinstance(p, str):
        return ContentPart("text", text=p)
    if not isinstance(p, dict):
        raise _err(row, label, f"expected a content part object, got {type(p).__name__}")
    kind = p.get("type")
    if kind == "text":
        return ContentPart("text", text=_as_str(row, f"{label}.text", p.get("text"), allow_empty=True))
    if kind in ("image", "image_url"):
        for key in ("path", "image", "bytes", "image_url", "url"):
            if p.get(key) is not None:
                return _image(row, f"{label}.{key}", p[key])
        raise _err(row, label, "image part without path, image or bytes")
    raise _err(row, label, f"unknown content part type {kind!r}; expected 'text' or 'image'")


def _image(row: Row | None, label: str, v: Any) -> ContentPart:
    """An image given as a path/URL, raw bytes, a {"bytes", "path"} dict or a PIL image."""
    if isinstance(v, str) and v.strip():
        return ContentPart("image", image_path=v)
    if isinstance(v, bytes | bytearray) and v:
        return ContentPart("image", image_bytes=bytes(v))
    if isinstance(v, dict):
        if v.get("bytes"):
            return ContentPart("image", image_bytes=bytes(v["bytes"]))
        if v.get("path") or v.get("url"):
            return ContentPart("image", image_path=str(v.get("path") or v.get("url")))
    if hasattr(v, "save"):  # a PIL image, as datasets' Image feature decodes
        buf = io.BytesIO()
        v.save(buf, format="PNG")
        return ContentPart("image", image_bytes=buf.getvalue())
    raise _err(row, label, f"unusable image value of type {type(v).__name__}")
