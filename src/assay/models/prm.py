"""``prm:PATH_OR_ID[?options]``: a process reward model, one score per solution step in one forward pass.

Two heads:

* ``head=token`` (default), the Qwen2.5-Math-PRM convention (its model card, ``make_step_rewards``): the
  conversation ``[system, user: problem, assistant: sep.join(steps) + sep]`` is rendered with the chat
  template and tokenised once; the model is a token classifier (``*ForTokenClassification``, or a
  custom-code PRM class such as ``Qwen2ForProcessRewardModel``, which needs ``trust_remote_code=true``)
  and the step score is ``softmax(logits[pos])[label]`` at each separator token (``label=1``: the
  positive class of the 2-label head). ``sep`` must be one token (``<extra_0>`` by default) and appear
  exactly once per step; ``system`` is the card's "Please reason step by step, and put your final answer
  within \\boxed{}." (``system=none`` leaves it out, any other value is used as the text).
* ``head=lm``, the Math-Shepherd convention: plain text ``f"{problem} " + "\\n".join(f"{step} {sep}")``
  (``sep`` default ``ки``) scored by a causal LM; the step score is ``softmax(logits[pos, [good, bad]])[0]``
  at each separator, the next-token probability of ``good`` (``+``) against ``bad`` (``-``).

Because every step's score is read at its own separator and the models are causal, the one-pass score of
step i equals that of a pass over the prefix ending at separator i (tests check this within 1e-5).

Nothing is truncated: an input longer than ``max_length`` (default: the model's context) is reported
for that item (``StepScores.error``) and counted as invalid by the benchmark, never cut. Scores are
cached in the run's SQLite cache (table ``step_scores``, key = (model fingerprint hash, sha256 of the
problem and steps)); an unresolved hub revision is never cached, as in the scalar engine.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.models.hf_common import (
    ChatEncoder,
    canonical_dtype,
    default_max_length,
    library_versions,
    model_identity,
    pick_device,
    resolve_model,
    torch_dtype,
)
from assay.samples import canonical_json

SCORING_VERSION = 1  # bump when a change here alters step scores (invalidates cached ones)
HEADS = ("token", "lm")
DEFAULT_SEP = {"token": "<extra_0>", "lm": "ки"}
QWEN_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
CHUNK = 16  # items per cache commit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS step_scores (
  model TEXT NOT NULL,
  input TEXT NOT NULL,
  scores TEXT,
  n_tokens INTEGER NOT NULL,
  error TEXT,
  created REAL NOT NULL,
  PRIMARY KEY (model, input)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class StepScores:
    """The scores of one solution's steps (None with ``error`` when it could not be scored)."""

    scores: tuple[float, ...] | None
    n_tokens: int
    error: str | None = None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    v = str(value).lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


class PRMBackend:
    """Step scores from a token-classification PRM or a causal-LM (+/-) PRM; loads weights lazily."""

    kind = "prm"

    def __init__(
        self,
        spec: str,
        model: str,
        *,
        head: str = "token",
        sep: str | None = None,
        label: int = 1,
        good: str = "+",
        bad: str = "-",
        system: str = "qwen",
        template: str = "auto",
        dtype: str = "float32",
        max_length: int | None = None,
        revision: str | None = None,
        trust_remote_code: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; valid: {', '.join(HEADS)}")
        if label < 0:
            raise ValueError(f"label must be >= 0, got {label}")
        if head == "lm" and template != "auto":
            raise ValueError("head=lm reads the Math-Shepherd plain text format; template does not apply")
        self.spec = spec
        self.model_ref = model
        self.head = head
        self.sep = sep if sep else DEFAULT_SEP[head]
        self.label = label
        self.good, self.bad = good, bad
        self.system = None if system == "none" else (QWEN_SYSTEM if system == "qwen" else system)
        self.template = template
        self.dtype = canonical_dtype(dtype)
        self.max_length = max_length
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.cache_dir = cache_dir
        self.loaded = False
        self._model: Any = None
        self._encoder: ChatEncoder | None = None
        self._sep_id = -1
        self._cand: tuple[int, int] = (-1, -1)
        self._device = "cpu"

    @classmethod
    def from_options(cls, spec: str, target: str, options: dict[str, Any]) -> PRMBackend:
        """From ``parse_spec`` options (strings except label/max_length) plus dtype/max_length/cache_dir."""
        opts = dict(options)
        opts.pop("truncation", None)  # never truncated: a too-long item is reported, not cut
        if "trust_remote_code" in opts:
            opts["trust_remote_code"] = _bool(opts["trust_remote_code"])
        return cls(spec, target, **opts)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "backend": self.kind,
            "scoring_version": SCORING_VERSION,
            "model": model_identity(self.model_ref, self.revision, self.cache_dir),
            "head": self.head,
            "sep": self.sep,
            "label": self.label if self.head == "token" else None,
            "good_bad": [self.good, self.bad] if self.head == "lm" else None,
            "system": self.system if self.head == "token" else None,
            "template": self.template,
            "dtype": self.dtype,
            "max_length": self.max_length,
            "libraries": library_versions(),
        }

    def score_stream(self, *args: Any, **kwargs: Any) -> Any:
        """A PRM scores steps, not (prompt, response) pairs: refuse the scalar protocol clearly."""
        raise ValueError(
            f"{self.spec}: a process reward model scores solution steps; use it with a step benchmark "
            "(processbench, mr-gsm8k), not a pairwise one"
        )

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        if self.loaded:
            return
        import transformers
        from transformers import AutoConfig, AutoTokenizer

        src = resolve_model(self.model_ref, self.revision)
        trc = self.trust_remote_code
        tok = AutoTokenizer.from_pretrained(src, trust_remote_code=trc)
        cfg = AutoConfig.from_pretrained(src, trust_remote_code=trc)
        archs = list(getattr(cfg, "architectures", None) or [])
        auto_map = dict(getattr(cfg, "auto_map", None) or {})
        if self.head == "lm":
            cls: Any = transformers.AutoModelForCausalLM
        elif any(a.endswith("ForTokenClassification") for a in archs):
            cls = transformers.AutoModelForTokenClassification
        elif "AutoModel" in auto_map:
            if not trc:
                raise ValueError(
                    f"{self.model_ref}: its PRM class {auto_map['AutoModel']!r} is custom code shipped with the "
                    "model; add trust_remote_code=true to the spec to run it"
                )
            cls = transformers.AutoModel
        else:
            raise ValueError(
                f"{self.model_ref}: architectures {archs} hold no token-classification head; a causal-LM PRM "
                "that writes +/- (Math-Shepherd style) takes head=lm"
            )
        self._device = pick_device()
        model = cls.from_pretrained(src, dtype=torch_dtype(self.dtype), trust_remote_code=trc)
        self._model = model.to(self._device).eval()
        max_len = self.max_length or default_max_length(model.config, tok)
        self._encoder = ChatEncoder(tok, "plain" if self.head == "lm" else self.template, max_len, "error")
        sep_ids = tok(self.sep, add_special_tokens=False)["input_ids"]
        if self.head == "token" and len(sep_ids) != 1:
            raise ValueError(f"separator {self.sep!r} is {len(sep_ids)} tokens for this tokenizer; it must be one")
        if not sep_ids:
            raise ValueError(f"separator {self.sep!r} encodes to no token")
        self._sep_id = int(sep_ids[-1])  # Math-Shepherd: tokenizer.encode(step_tag)[-1]
        if self.head == "lm":
            ids = []
            for word in (self.good, self.bad):
                w = tok(word, add_special_tokens=False)["input_ids"]
                if len(w) != 1:
                    raise ValueError(f"{word!r} is {len(w)} tokens for this tokenizer; good/bad must be one token")
                ids.append(int(w[0]))
            self._cand = (ids[0], ids[1])
        self.loaded = True

    # ------------------------------------------------------------------ encoding and scoring

    def text(self, problem: str, steps: Sequence[str]) -> str:
        """The scored text (templated conversation, or Math-Shepherd plain text)."""
        if self.head == "lm":
            return f"{problem} " + "\n".join(f"{s} {self.sep}" for s in steps)
        assert self._encoder is not None
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": problem},
            {"role": "assistant", "content": self.sep.join(steps) + self.sep},
        ]
        return self._encoder.render(messages, add_generation_prompt=False)

    def encode(self, problem: str, steps: Sequence[str]) -> tuple[list[int], list[int]]:
        """(token ids, separator positions); raises ValueError when they do not match the steps."""
        self.load()
        assert self._encoder is not None
        for name, text in [("problem", problem), *((f"step {i}", s) for i, s in enumerate(steps))]:
            if self.sep in text:
                raise ValueError(f"{name} contains the separator {self.sep!r}")
        ids = self._encoder.tokenize(self.text(problem, steps))
        pos = [i for i, t in enumerate(ids) if t == self._sep_id]
        if len(pos) != len(steps):
            raise ValueError(f"{len(pos)} separator tokens for {len(steps)} steps")
        return ids, pos

    def _forward(self, ids: list[int], pos: list[int]) -> tuple[float, ...]:
        import torch

        with torch.no_grad():
            x = torch.tensor([ids], device=self._device)
            out = self._model(input_ids=x)
            logits = out.logits if hasattr(out, "logits") else out[0]
            at = logits[0, pos].float()
            if self.head == "lm":
                probs = torch.softmax(at[:, list(self._cand)], dim=-1)[:, 0]
            else:
                if self.label >= at.shape[-1]:
                    raise ValueError(f"label={self.label} but the model has {at.shape[-1]} labels")
                probs = torch.softmax(at, dim=-1)[:, self.label]
        return tuple(float(p) for p in probs.cpu().tolist())

    def step_scores(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[StepScores]:
        """Scores for (problem, steps) items, one forward pass each; per-item problems become errors."""
        self.load()
        assert self._encoder is not None
        out = []
        for problem, steps in items:
            try:
                ids, pos = self.encode(problem, steps)
            except ValueError as e:
                out.append(StepScores(None, 0, str(e)))
                continue
            if len(ids) > self._encoder.max_length:
                out.append(
                    StepScores(None, len(ids), f"{len(ids)} tokens exceed max_length={self._encoder.max_length}")
                )
                continue
            out.append(StepScores(self._forward(ids, pos), len(ids)))
        return out


# ---------------------------------------------------------------- cache


def prm_hash(backend: PRMBackend) -> str:
    return hashlib.sha256(canonical_json(backend.fingerprint()).encode()).hexdigest()


def input_key(problem: str, steps: Sequence[str]) -> str:
    return hashlib.sha256(canonical_json({"problem": problem, "steps": list(steps)}).encode()).hexdigest()


def cached_step_scores(backend: PRMBackend, items: Sequence[tuple[str, Sequence[str]]], cache: Any) -> list[StepScores]:
    """``backend.step_scores`` through the SQLite cache (``ScoreCache`` or None); identical items share one pass."""
    fp = backend.fingerprint()
    db = cache.db if cache is not None and not fp["model"].get("unresolved") else None
    mhash = hashlib.sha256(canonical_json(fp).encode()).hexdigest()
    keys = [input_key(p, s) for p, s in items]
    found: dict[str, StepScores] = {}
    if db is not None:
        db.executescript(_SCHEMA)
        uniq = list(dict.fromkeys(keys))
        for start in range(0, len(uniq), 500):
            chunk = uniq[start : start + 500]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT input, scores, n_tokens, error FROM step_scores WHERE model = ? AND input IN ({marks})"
            for key, scores, n_tok, err in db.execute(q, [mhash, *chunk]):
                found[key] = StepScores(None if scores is None else tuple(json.loads(scores)), int(n_tok), err)
    todo = [(k, items[i]) for i, k in enumerate(keys) if k not in found]
    todo = list({k: it for k, it in todo}.items())
    for start in range(0, len(todo), CHUNK):
        part = todo[start : start + CHUNK]
        results = backend.step_scores([it for _, it in part])
        rows = []
        for (k, _), r in zip(part, results, strict=True):
            found[k] = r
            scores = None if r.scores is None else json.dumps(list(r.scores))
            rows.append((mhash, k, scores, r.n_tokens, r.error, time.time()))
        if db is not None:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO step_scores VALUES (?, ?, ?, ?, ?, ?)", rows)
    return [found[k] for k in keys]


# ---------------------------------------------------------------- step scores -> first error


def first_below(scores: Sequence[float], threshold: float) -> int:
    """The first step whose score is below ``threshold``, -1 if none (ProcessBench's PRM prediction)."""
    for i, s in enumerate(scores):
        if s < threshold:
            return i
    return -1


def tune_split(seed: int, item_id: str) -> bool:
    """True for the half used to choose a threshold: ``sha256(f"{seed}:{id}")`` is even."""
    return int(hashlib.sha256(f"{seed}:{item_id}".encode()).hexdigest(), 16) % 2 == 0


Scored = tuple[Sequence[float] | None, int]  # (step scores or None when invalid, label)


def choose_threshold(by_subset: Mapping[str, Sequence[Scored]], f1: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """The threshold maximising the mean over subsets of ``f1(acc_err, acc_cor)``.

    Candidates: the lowest step score (flags nothing), the midpoints between consecutive distinct
    scores, and just above the highest (flags every first step); ties go to the lowest candidate. An
    error item matches for t in (s[label], min(s[:label])]; a correct item for t <= min(s); so every
    candidate is counted with sorted searches, not by re-scanning the items. Invalid items never match.
    """
    import numpy as np

    values = sorted({x for items in by_subset.values() for s, _ in items if s is not None for x in s})
    if not values:
        return {"value": 0.5, "note": "no valid tuning items: fell back to 0.5"}
    u = np.array(values)
    cands = np.concatenate([[u[0]], (u[:-1] + u[1:]) / 2, [np.nextafter(u[-1], np.inf)]])
    rows = []
    for items in by_subset.values():
        lo, hi, mins = [], [], []
        n_err = n_cor = 0
        for s, lab in items:
            if lab == -1:
                n_cor += 1
                if s is not None:
                    mins.append(min(s))
            else:
                n_err += 1
                if s is not None:
                    lo.append(s[lab])
                    hi.append(max(s[lab], min(s[:lab], default=np.inf)))
        err_hits = np.searchsorted(np.sort(lo), cands, "left") - np.searchsorted(np.sort(hi), cands, "left")
        cor_hits = len(mins) - np.searchsorted(np.sort(mins), cands, "left")
        acc_err = err_hits / n_err if n_err else np.full(len(cands), np.nan)
        acc_cor = cor_hits / n_cor if n_cor else np.full(len(cands), np.nan)
        rows.append(np.asarray(f1(acc_err, acc_cor), dtype=float))
    table = np.vstack(rows)
    defined = ~np.isnan(table).all(axis=1)
    if not defined.any():
        return {"value": 0.5, "note": "no tuning subset has both error and correct items: fell back to 0.5"}
    mean_f1 = table[defined].mean(axis=0)
    best = int(np.argmax(mean_f1))
    names = list(by_subset)
    return {
        "value": float(cands[best]),
        "tune": {
            "n": sum(len(v) for v in by_subset.values()),
            "mean_f1": float(mean_f1[best]),
            "f1": {names[i]: float(table[i, best]) for i in range(len(names))},
            "candidates": len(cands),
        },
    }
