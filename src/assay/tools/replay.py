"""``history_weather`` and ``translate`` replayed from the outputs recorded in the TARA release.

The authors' live tools call paid web APIs (weatherapi.com, Baidu Translate: ``src/tools/weather.py``
``history_weather``, ``src/tools/translator.py`` ``BaiduTranslator``), but their evaluation script answers
from the recorded outputs first (``generate_themis.py`` ``HISTORY_DATA``, ``weather_api``,
``translator_api``); offline, the recorded outputs are all there is. Replayed exactly as they do:

* ``history_weather``: ``weather_history.json`` maps the exact tool input ``"City, YYYY-MM-DD"`` to the
  observation text. An input that is not recorded falls through to the live API, which fails offline,
  and the authors' ``except: return 'None'`` makes the observation "None": so it does here.
* ``translate``: ``translate_history.json`` maps the item id (``mlqa_test_0``) to ``{"question",
  "answer"}``; the observation is ``answer`` for the item being judged, whatever the input (the authors
  key by ``id``, not by text). An item without a recorded translation would need the live API: here it
  is a tool error (the authors' generic observation), since no translation exists offline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.data.rows import DataError
from assay.tools.registry import ToolContext, ToolResult

WEATHER_FILE = "weather_history.json"
TRANSLATE_FILE = "translate_history.json"


def _load_object(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(str(path), None, None, f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    if not isinstance(doc, dict):
        raise DataError(str(path), None, None, f"expected a JSON object keyed by input or id, got {type(doc).__name__}")
    return doc


def load_weather_history(path: str | Path) -> dict[str, str]:
    """``{"City, YYYY-MM-DD": observation}``; every value must be a string."""
    path = Path(path)
    doc = _load_object(path)
    for key, value in doc.items():
        if not isinstance(value, str):
            raise DataError(
                str(path), f"key {key!r}", None, f"expected an observation string, got {type(value).__name__}"
            )
    return doc


def load_translate_history(path: str | Path) -> dict[str, dict[str, str]]:
    """``{item_id: {"question", "answer"}}``; ``answer`` (the translation) must be a string."""
    path = Path(path)
    doc = _load_object(path)
    for key, value in doc.items():
        if not isinstance(value, dict):
            raise DataError(
                str(path), f"key {key!r}", None, f"expected an object {{question, answer}}, got {type(value).__name__}"
            )
        if not isinstance(value.get("answer"), str):
            raise DataError(str(path), f"key {key!r}", "answer", "missing or not a string")
    return doc


class WeatherReplay:
    """``history_weather`` answered from ``weather_history.json`` (unrecorded inputs: "None")."""

    name = "history_weather"
    description = (
        "the weather of a city on a past date. Input: City, YYYY-MM-DD. Output: overall weather, "
        "temperature, wind speed, precipitation, visibility, humidity and UV index."
    )

    def __init__(self, history: Mapping[str, str]) -> None:
        self.history = dict(history)

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        if tool_input in self.history:
            return ToolResult(self.history[tool_input], detail={"replayed": True})
        return ToolResult("None", detail={"replayed": False})


class TranslateReplay:
    """``translate`` answered from ``translate_history.json`` by item id (the authors' key)."""

    name = "translate"
    description = "translates text into English. Input: the text to translate. Output: the English translation."

    def __init__(self, history: Mapping[str, Mapping[str, str]]) -> None:
        self.history = {k: dict(v) for k, v in history.items()}

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        rec = self.history.get(ctx.item_id)
        if rec is None:
            raise KeyError(f"no recorded translation for item {ctx.item_id!r} (the live translator is offline)")
        return ToolResult(rec["answer"], detail={"replayed": True, "recorded_input": rec.get("question")})
