"""Shared pieces of the transformers backends: chat rendering, tokenisation, truncation, model identity.

Tokenisation rule: the conversation is rendered to text with the tokenizer's chat template (or a named
fallback template) and that text is tokenised ONCE with ``add_special_tokens=False``. Templates such as
SmolLM2's already start with the BOS token; a plain tokenizer call could add a second one, which shifts
scores a lot. We prepend BOS only when the tokenizer normally adds one and the template did not.

Response boundary (for log-prob scoring): the response tokens are those after the longest common prefix
of tokenize(template(prompt, add_generation_prompt=True)) and tokenize(template(prompt + [response])), so
tokens merged across the boundary and the template's end-of-turn tokens (e.g. ``<|im_end|>\\n``) count as
response tokens, as in RewardBench where the templated text is scored after the prompt.

Truncation (``max_length``, default: the model's ``max_position_embeddings``), never silent: every cut
input is counted (``Encoded.truncated``). Policies (``TRUNCATIONS``):

* "left" (default): keep the end of the conversation, where a classifier reads its score and where the
  response is, plus the BOS token when the sequence starts with one;
* "right": keep the start (the response may be cut away; the LM backend then refuses the request);
* "middle": keep the first ``max_length // 2`` tokens and the last ``max_length - max_length // 2``,
  dropping the middle (the long retrieved context), as LCM-Lab/Long-RM does for its discriminative RMs
  (``evaluate/evaluating/longreward_bench/preprocess.py``: first 65536 + last 65531 tokens of inputs
  >= 131072). Response rule: the tail always holds the whole response (its tokens from the response
  boundary to the end, end-of-turn tokens included) when it fits in ``max_length - 1`` tokens; the
  tail then grows beyond its half and the head shrinks (it keeps at least the first token, the BOS).
  A longer response keeps its last ``max_length - 1`` tokens after that first token. So the response
  tokens stay scorable and ``response_start`` points at the first of them; the cut is in the prompt;
* "error": refuse the input with ``ContextOverflowError`` (a ValueError) naming the request (its key
  and the start of its prompt), its token length and ``max_length``.

torch/transformers are imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.models.base import ScoreRequest
from assay.samples import Prompt

TEMPLATES = ("auto", "tokenizer", "plain", "chatml")
"""auto: the tokenizer's chat template if it has one, else plain. tokenizer: require it.
plain: "User: ...\\n\\nAssistant: ..." (roles capitalised, turns separated by a blank line).
chatml: "<|im_start|>role\\ncontent<|im_end|>\\n" turns, generation prompt "<|im_start|>assistant\\n"."""
TRUNCATIONS = ("left", "right", "middle", "error")
TRUNCATION_SIDES = TRUNCATIONS  # old name, kept for importers
DTYPES = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
AUX_SUFFIXES = (".json", ".jinja", ".model", ".txt", ".tiktoken", ".py")
_HASH_INDEX = "file-hashes.json"


def assay_cache_dir(cache_dir: Path | None = None) -> Path:
    """The assay cache root: ``cache_dir`` if given, else $ASSAY_CACHE_DIR, else ~/.cache/assay."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("ASSAY_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "assay"


def canonical_dtype(name: str) -> str:
    try:
        return DTYPES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; valid: float32, bfloat16, float16") from None


def torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, canonical_dtype(name))


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------- chat rendering and tokenisation


def prompt_messages(prompt: Prompt) -> list[dict[str, str]]:
    """Chat messages as plain dicts; image parts are refused (these backends are text-only)."""
    out = []
    for m in prompt:
        if m.has_image():
            raise ValueError("text-only model: the prompt holds an image part")
        out.append({"role": m.role, "content": m.text()})
    return out


def _render_fallback(name: str, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    if name == "plain":
        text = "\n\n".join(f"{m['role'].capitalize()}: {m['content']}" for m in messages)
        return text + ("\n\nAssistant:" if add_generation_prompt else "")
    if name == "chatml":
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")
    raise ValueError(f"unknown template {name!r}; valid: {', '.join(TEMPLATES)}")


def common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest common prefix of token sequences."""
    if not seqs:
        return 0
    n = min(len(s) for s in seqs)
    first = seqs[0]
    for i in range(n):
        t = first[i]
        if any(s[i] != t for s in seqs[1:]):
            return i
    return n


class ContextOverflowError(ValueError):
    """An input longer than ``max_length`` under truncation "error": names the request and both lengths.

    ``key`` is the request's content hash (``ScoreRequest.key()``) so a caller can name the item(s) holding it.
    """

    def __init__(self, request: str, n_tokens: int, max_length: int, key: str | None = None) -> None:
        self.request = request
        self.n_tokens = n_tokens
        self.max_length = max_length
        self.key = key
        super().__init__(
            f"{request}: {n_tokens} tokens exceed max_length={max_length} (truncation=error); "
            "choose --truncate left|right|middle or a larger max_length"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return (type(self), (self.request, self.n_tokens, self.max_length, self.key))


def _preview(request: ScoreRequest, n: int = 60) -> str:
    """The start of the request's first message, to name it in errors."""
    for m in request.prompt:
        if not m.has_image():
            text = " ".join(m.text().split())
            return text[:n] + ("..." if len(text) > n else "")
    return ""


@dataclass(frozen=True)
class Encoded:
    """Token ids of one templated conversation; ``response_start`` indexes the first response token."""

    ids: tuple[int, ...]
    response_start: int
    truncated: bool


class ChatEncoder:
    """Renders requests with a chat template and tokenises them (see the module docstring for the rules)."""

    def __init__(self, tokenizer: Any, template: str, max_length: int, truncation: str) -> None:
        if template not in TEMPLATES:
            raise ValueError(f"unknown template {template!r}; valid: {', '.join(TEMPLATES)}")
        if truncation not in TRUNCATIONS:
            raise ValueError(f"unknown truncation {truncation!r}; valid: {', '.join(TRUNCATIONS)}")
        has_own = bool(getattr(tokenizer, "chat_template", None))
        if template == "tokenizer" and not has_own:
            raise ValueError("template=tokenizer but the tokenizer has no chat template; use plain or chatml")
        self.tok = tokenizer
        self.template = ("tokenizer" if has_own else "plain") if template == "auto" else template
        self.max_length = max_length
        self.truncation = truncation
        bos = tokenizer.bos_token_id
        with_sp = tokenizer("a", add_special_tokens=True)["input_ids"]
        without = tokenizer("a", add_special_tokens=False)["input_ids"]
        self.bos_id: int | None = bos
        self.add_bos = bos is not None and with_sp[:1] == [bos] and without[:1] != [bos]

    def render(self, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
        if self.template == "tokenizer":
            return self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        return _render_fallback(self.template, messages, add_generation_prompt)

    def tokenize(self, text: str) -> list[int]:
        ids = list(self.tok(text, add_special_tokens=False)["input_ids"])
        if self.add_bos and ids[:1] != [self.bos_id]:
            ids = [self.bos_id, *ids]
        return ids

    def encode(self, request: ScoreRequest, boundary: bool = True) -> Encoded:
        """Tokenise prompt + response; ``boundary`` also finds where the response tokens start.

        Without ``boundary`` the response start is reported as 0, but "middle" truncation still finds it
        (only for inputs over the limit) so that the response is never cut for a classifier either.
        """
        messages = prompt_messages(request.prompt)
        full = self.tokenize(
            self.render([*messages, {"role": "assistant", "content": request.response}], add_generation_prompt=False)
        )
        over = len(full) > self.max_length
        if over and self.truncation == "error":
            key = request.key()
            label = f"request {key[:12]} (prompt {_preview(request)!r})"
            raise ContextOverflowError(label, len(full), self.max_length, key)
        start = 0
        if boundary or (over and self.truncation == "middle"):
            prompt_ids = self.tokenize(self.render(messages, add_generation_prompt=True))
            start = common_prefix_len([prompt_ids, full])
        enc = self.truncate(full, start)
        return enc if boundary else Encoded(enc.ids, 0, enc.truncated)

    def truncate(self, ids: list[int], start: int) -> Encoded:
        """Cut ``ids`` to ``max_length`` by the configured policy, keeping the response boundary aligned.

        ``start`` indexes the first response token of ``ids``; the returned ``response_start`` indexes it
        in the kept tokens (or the first kept response token when the response itself had to be cut).
        """
        n, limit = len(ids), self.max_length
        if n <= limit:
            return Encoded(tuple(ids), start, False)
        if self.truncation == "error":
            raise ContextOverflowError("token sequence", n, limit)
        if self.truncation == "right":
            return Encoded(tuple(ids[:limit]), start, True)
        if self.truncation == "middle":
            return _cut_middle(ids, start, limit)
        head = ids[:1] if self.bos_id is not None and ids[:1] == [self.bos_id] and limit > 1 else []
        cut = n - (limit - len(head))
        new_start = len(head) + max(0, start - cut)
        return Encoded(tuple(head + ids[cut:]), new_start, True)


def _cut_middle(ids: list[int], start: int, limit: int) -> Encoded:
    """Keep a head and a tail of ``ids`` (``limit`` tokens in all); the tail covers the response if it can."""
    n = len(ids)
    tail = limit - limit // 2
    response = n - min(max(start, 0), n)
    if response > tail:
        tail = min(response, limit - 1)
    head = limit - tail
    kept = ids[:head] + ids[n - tail :]
    new_start = head + max(0, start - (n - tail))
    return Encoded(tuple(kept), new_start, True)


def default_max_length(config: Any, tokenizer: Any) -> int:
    """The model's context: ``max_position_embeddings`` (else the tokenizer's sane model_max_length)."""
    text_cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    for value in (
        getattr(text_cfg, "max_position_embeddings", None),
        getattr(tokenizer, "model_max_length", None),
    ):
        if isinstance(value, int) and 0 < value < 10_000_000:
            return value
    return 4096


# ---------------------------------------------------------------- model location and identity


def _hub_cache() -> Path:
    try:
        from huggingface_hub.constants import HF_HUB_CACHE

        return Path(HF_HUB_CACHE)
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        home = os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
        return Path(os.environ.get("HF_HUB_CACHE", str(Path(home) / "hub")))


def hub_snapshot(repo_id: str, revision: str | None) -> tuple[Path, str] | None:
    """(snapshot folder, commit) of a hub model already in the local huggingface cache, else None."""
    repo_dir = _hub_cache() / ("models--" + repo_id.replace("/", "--"))
    rev = revision or "main"
    if re.fullmatch(r"[0-9a-f]{40}", rev):
        commit = rev
    else:
        ref = repo_dir / "refs" / rev
        if not ref.is_file():
            return None
        commit = ref.read_text().strip()
    snap = repo_dir / "snapshots" / commit
    return (snap, commit) if snap.is_dir() else None


def resolve_model(path_or_id: str, revision: str | None = None) -> str:
    """What to pass to ``from_pretrained``: a local folder, the cached snapshot of a hub id, or the id."""
    if Path(path_or_id).expanduser().exists():
        return str(Path(path_or_id).expanduser().resolve())
    snap = hub_snapshot(path_or_id, revision)
    return str(snap[0]) if snap else path_or_id


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=0, sort_keys=True)
    os.replace(tmp, path)


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a file, memoised in <cache>/file-hashes.json keyed by (path, size, mtime_ns)."""
    path = path.resolve()
    st = path.stat()
    index_path = assay_cache_dir(cache_dir) / _HASH_INDEX
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError):
        index = {}
    entry = index.get(str(path))
    if entry and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
        return str(entry["sha256"])
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    digest = h.hexdigest()
    index[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
    try:
        _write_json_atomic(index_path, index)
    except OSError:  # a read-only cache only costs a rehash next time
        pass
    return digest


def folder_identity(folder: Path, cache_dir: Path | None = None) -> dict[str, str]:
    """Digests of a model folder: weight files (memoised) and the small config/tokenizer/template files."""
    weights, aux = hashlib.sha256(), hashlib.sha256()
    n_weights = 0
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.name.endswith(WEIGHT_SUFFIXES):
            weights.update(f"{p.name}:{file_sha256(p, cache_dir)}\n".encode())
            n_weights += 1
        elif p.name.endswith(AUX_SUFFIXES):
            aux.update(f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}\n".encode())
    if n_weights == 0:
        raise ValueError(f"{folder}: no weight files (*.safetensors, *.bin) found")
    return {"weights_sha256": weights.hexdigest(), "files_sha256": aux.hexdigest()}


def model_identity(path_or_id: str, revision: str | None = None, cache_dir: Path | None = None) -> dict[str, str]:
    """What identifies the weights without loading them: file digests for a local folder; for a hub id
    the snapshot commit from the local huggingface cache when present, else the id and revision."""
    local = Path(path_or_id).expanduser()
    if local.is_dir():
        return {"source": "local", **folder_identity(local, cache_dir)}
    if local.exists():
        raise ValueError(f"{path_or_id}: expected a model folder, got a file")
    snap = hub_snapshot(path_or_id, revision)
    if snap:
        return {"source": "hub", "repo": path_or_id, "commit": snap[1]}
    try:  # not downloaded yet: ask the hub which commit the revision points at
        from huggingface_hub import HfApi

        sha = HfApi().model_info(path_or_id, revision=revision, timeout=10).sha
        if sha:
            return {"source": "hub", "repo": path_or_id, "commit": sha}
    except Exception:  # noqa: BLE001 - offline, no such repo, no huggingface_hub: stay unresolved
        pass
    # A branch name is not an identity: the engine neither reads nor writes cached scores for it.
    return {"source": "hub", "repo": path_or_id, "revision": revision or "main", "unresolved": True}


def library_versions() -> dict[str, str]:
    """Versions that can change tokenisation or numerics (read from metadata: nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("transformers", "tokenizers", "torch"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def cache_kwarg(model: Any) -> str:
    """The KV-cache argument of ``model.forward``: "cache" (transformers 5) or "past_key_values"."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def output_cache(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
