"""Typed benchmark items: the shapes every loader produces and every protocol consumes.

Prompts are chat message lists (multi-turn), never pre-templated strings, so each model applies its own
template. Content is either a string or a tuple of content parts (text / image), so a multimodal backend
can be added without changing these types. Every sample carries a stable ``id`` and free ``meta``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ContentPart:
    """One part of a multimodal message: ``type`` is "text" or "image" (image given by path or bytes)."""

    type: Literal["text", "image"]
    text: str | None = None
    image_path: str | None = None
    image_bytes: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        if self.type == "text":
            return {"type": "text", "text": self.text}
        if self.image_path is not None:
            return {"type": "image", "path": self.image_path}
        digest = hashlib.sha256(self.image_bytes or b"").hexdigest()
        return {"type": "image", "sha256": digest}


@dataclass(frozen=True)
class Message:
    role: Role
    content: str | tuple[ContentPart, ...]

    def has_image(self) -> bool:
        return not isinstance(self.content, str) and any(p.type == "image" for p in self.content)

    def text(self) -> str:
        """The text of the message; raises on image parts (text-only models must refuse them clearly)."""
        if isinstance(self.content, str):
            return self.content
        if self.has_image():
            raise ValueError("message holds an image part; this model accepts text only")
        return "".join(p.text or "" for p in self.content)

    def to_json(self) -> dict[str, Any]:
        if isinstance(self.content, str):
            return {"role": self.role, "content": self.content}
        return {"role": self.role, "content": [p.to_json() for p in self.content]}


Prompt = tuple[Message, ...]


def user_prompt(text: str) -> Prompt:
    """A one-turn prompt from a plain string."""
    return (Message("user", text),)


def prompt_to_json(prompt: Prompt) -> list[dict[str, Any]]:
    return [m.to_json() for m in prompt]


@dataclass(frozen=True)
class Pair:
    """A preference pair: ``chosen`` should score strictly higher than ``rejected``."""

    id: str
    prompt: Prompt
    chosen: str
    rejected: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def subset(self) -> str:
        return str(self.meta.get("subset", ""))

    def responses(self) -> tuple[str, ...]:
        return (self.chosen, self.rejected)


@dataclass(frozen=True)
class Candidates:
    """N responses to one prompt, with the indices of the best one(s) and optionally a full ranking.

    ``best``: indices into ``responses`` of the correct/best responses (RewardBench 2 puts the
    ``num_correct`` correct ones first). ``ranking``: optional true rank per response (1 = best),
    used by Long-RewardBench's rank-position rule.
    """

    id: str
    prompt: Prompt
    responses: tuple[str, ...]
    best: tuple[int, ...]
    ranking: tuple[int, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def subset(self) -> str:
        return str(self.meta.get("subset", ""))


@dataclass(frozen=True)
class Item:
    """A generic benchmark item for protocols that are not pairs or candidates (a step-wise solution to
    check, a solution to critique, a problem to falsify...). ``data`` holds the benchmark's own typed
    fields (JSON-serialisable); each benchmark module documents the keys it puts there."""

    id: str
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def subset(self) -> str:
        return str(self.meta.get("subset", ""))


Sample = Pair | Candidates | Item


def sample_to_json(s: Sample) -> dict[str, Any]:
    """The serialisable view of a sample's inputs (written to samples.jsonl next to its scores)."""
    if isinstance(s, Item):
        return {"id": s.id, "subset": s.subset, **s.data, "meta": s.meta}
    base: dict[str, Any] = {"id": s.id, "subset": s.subset, "prompt": prompt_to_json(s.prompt)}
    if isinstance(s, Pair):
        base.update(chosen=s.chosen, rejected=s.rejected)
    else:
        base.update(responses=list(s.responses), best=list(s.best))
        if s.ranking is not None:
            base["ranking"] = list(s.ranking)
    base["meta"] = s.meta
    return base


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
