"""ProcessBench (Zheng et al. 2024, arXiv:2412.06559) and MR-GSM8K: find the earliest wrong step.

Data (both benchmarks share it): rows ``{id, generator, problem, steps[], final_answer_correct, label}``,
``label`` = 0-based index of the earliest erroneous step, -1 when every step is right. ProcessBench: hub
``Qwen/ProcessBench``, one split per subset (gsm8k, math, olympiadbench, omnimath); ``--data`` may be a
folder holding ``<subset>.json`` files or one such file (the subset is the id prefix ``gsm8k-0`` or the
file name). MR-GSM8K: the processed file of RUCBM/DeepCritic ``data/Mr-GSM8K/processed_test.json`` (no
hub copy: ``--data`` is required); one subset ``mr-gsm8k``.

Critic protocol, as QwenLM/ProcessBench ``code/run_eval.py``:

* prompt: ``templates/critique_template.txt`` (``.strip()``ed, then ``.format``) with the steps tagged by
  ``prepare_input_boxed``: ``<paragraph_i>\\n{step}\\n</paragraph_i>\\n\\n`` joined and stripped, one user
  message;
* ``extract_answer``: ``re.findall(r'\\\\boxed\\{([^}]*)\\}', text)[-1].strip()`` (the LAST match; the
  pattern stops at the first ``}``, so ``\\boxed{\\text{2}}`` gives ``\\text{2`` and is invalid), then
  ``int(...)``; anything that fails is ``None`` (invalid: counted, never dropped, and never a match);
* ``--use_voting`` (option ``votes=k``): k samples, ``Counter(preds).most_common(1)`` over the extracted
  *strings* of the samples that had a box (ties: the string seen first wins, as ``most_common`` keeps
  insertion order), then ``int()`` of the winner (a non-integer winner makes the item invalid);
* metric (``run_eval.py`` / ``run_eval_prm_trl.py``): per subset, acc_err = mean(pred == label) over
  ``label != -1``, acc_cor = mean(pred == -1) over ``label == -1``, F1 = 2 acc_err acc_cor / (acc_err +
  acc_cor); the paper's headline is the mean of the subset F1s (``all_f1_scores``). Values here are
  fractions (the authors print x100).

DeepCritic numbering (option ``numbering=1``; RUCBM/DeepCritic ``ProcessBench/code/eval.py``
``prepare_input_boxed`` and ``templates/critique_template_new.txt``): each step is prefixed ``Step i: ``
(1-based, unless it already contains ``"Step "``), steps joined by a blank line; a prediction matches
when ``pred == -1`` for a correct solution and ``pred == label + 1`` otherwise. MR-GSM8K defaults to
``numbering=1`` because its steps already read ``Step 1: ...`` and DeepCritic, who released this file,
evaluated it only that way; ProcessBench defaults to 0.

Process reward models (``prm:`` specs, models/prm.py): one forward pass gives a score per step; the
prediction is the first step whose score is below ``threshold`` (-1 if none). ProcessBench's
``run_eval_prm_trl.py`` takes the argmax of a 2-class head (``find_first_zero``), i.e. threshold 0.5 on
the positive probability (the default here; argmax also flags an exact 0.5, the strict ``<`` here does
not). ``threshold=auto`` picks the threshold maximising the mean subset F1 on a seeded half of the items
(``sha256(f"{seed}:{id}")`` even) and reports the metrics on the other half; both are in metrics.json.

Deviations (documented, tested): F1 with acc_err = acc_cor = 0 is 0 (numpy gives NaN upstream); a
subset without error (or without correct) items has that accuracy and its F1 undefined (NaN, as
upstream), and the overall mean is then NaN too. Option ``parse=balanced`` reads the last ``\\boxed{}``
with nested braces and unwraps ``\\text{}``-style wrappers (not the authors' rule; off by default).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import (
    Benchmark,
    LoadOptions,
    LoadResult,
    PredictionsResult,
    Record,
    register,
)
from assay.data.fields import get_int, get_str, get_str_list, optional
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.models.prm import choose_threshold, first_below, tune_split
from assay.samples import Item, Sample, user_prompt

HUB_ID = "Qwen/ProcessBench"
SUBSETS: tuple[str, ...] = ("gsm8k", "math", "olympiadbench", "omnimath")
MR_SUBSET = "mr-gsm8k"

# QwenLM/ProcessBench code/templates/critique_template.txt (read with .strip(), filled with .format)
PROCESSBENCH_TEMPLATE = """The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):

[Math Problem]

{problem}

[Solution]

{tagged_response}

Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found").

Please put your final answer (i.e., the index) in \\boxed{{}}."""  # noqa: E501

# RUCBM/DeepCritic ProcessBench/code/templates/critique_template_new.txt
DEEPCRITIC_TEMPLATE = """The following is a math problem and a solution.
The solution is presented as a step-by-step chain of thought.
Each step is separated with the index indicator "Step i:", with i indexed starting from 1.

<Problem>
{problem}
</Problem>

<Solution>
{tagged_response}
</Solution>

Your task is to evaluate the solution and identify the earliest step that contains an error, or confirm that all steps are correct.
Please first review and generate a critique for each step.
After reviewing each step, once you identify an error in the step, stop the critique and return the index of that step as this is the step where the earliest error occurs. Otherwise, continue reviewing the subsequent setps. If all steps are correct, return the index of -1 (which typically denotes "not found").
Finally, put your final answer (i.e., the step index) in \\boxed{{}}."""  # noqa: E501

_AUTHORS_BOXED = re.compile(r"\\boxed\{([^}]*)\}")
_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|texttt|mbox)\{(.*)\}$", re.S)
PARSES = ("authors", "balanced")
KIND_CRITIC = "first_error"
KIND_PRM = "prm_steps"


# ---------------------------------------------------------------- prompt and parsing


def tagged_response(steps: Sequence[str], numbering: int) -> str:
    """The solution block: ProcessBench paragraph tags (0) or DeepCritic ``Step i:`` lines (1)."""
    if numbering == 0:
        return "".join(f"<paragraph_{i}>\n{s}\n</paragraph_{i}>\n\n" for i, s in enumerate(steps)).strip()
    out = ""
    for i, s in enumerate(steps):
        out += (s if "Step " in s else f"Step {i + 1}: {s}") + "\n\n"
    return out.strip().strip("\n")


def critique_prompt(problem: str, steps: Sequence[str], numbering: int) -> str:
    template = PROCESSBENCH_TEMPLATE if numbering == 0 else DEEPCRITIC_TEMPLATE
    return template.format(problem=problem, tagged_response=tagged_response(steps, numbering))


def _balanced_last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                inner = text[i:j].strip()
                while (m := _WRAPPER.match(inner)) is not None:
                    inner = m.group(1).strip()
                return inner.strip("$ ")
    return None  # unclosed box


def extract_boxed(text: str, parse: str = "authors") -> str | None:
    """The answer string of the last ``\\boxed{}`` (``extract_answer``), or None."""
    if parse == "authors":
        found = _AUTHORS_BOXED.findall(text)
        return found[-1].strip() if found else None
    if parse == "balanced":
        return _balanced_last_boxed(text)
    raise ValueError(f"unknown parse {parse!r}; valid: {', '.join(PARSES)}")


def to_index(answer: str | None) -> int | None:
    """``int(pred)`` as upstream (Python's int: surrounding spaces and a sign allowed), else None."""
    if answer is None:
        return None
    try:
        return int(answer)
    except ValueError:
        return None


def vote(extracted: Sequence[str | None]) -> tuple[int | None, bool]:
    """(prediction, tie) of ``Counter(preds).most_common(1)`` over the non-None answer strings."""
    present = [e for e in extracted if e is not None]
    if not present:
        return None, False
    counts = Counter(present)
    winner, top = counts.most_common(1)[0]
    tie = sum(1 for c in counts.values() if c == top) > 1
    return to_index(winner), tie


def is_match(pred: int | None, label: int, numbering: int = 0) -> bool:
    """ProcessBench ``pred == label``; DeepCritic ``pred == label + 1`` for erroneous solutions."""
    if pred is None:
        return False
    return pred == -1 if label == -1 else pred == label + numbering


# ---------------------------------------------------------------- metrics


def f1_of(acc_err: Any, acc_cor: Any) -> Any:
    """2ab/(a+b), 0 where a + b == 0, NaN where either is NaN (numpy arrays or floats)."""
    a, b = np.asarray(acc_err, dtype=float), np.asarray(acc_cor, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(a + b > 0, 2 * a * b / (a + b), 0.0)
    out = np.where(np.isnan(a) | np.isnan(b), np.nan, out)
    return float(out) if out.ndim == 0 else out


def _mean(a: np.ndarray) -> np.ndarray:
    """Mean over the item axis of (B, n) resamples; NaN for an empty group."""
    if a.shape[1] == 0:
        return np.full(a.shape[0], np.nan)
    return a.mean(axis=1)


def subset_metrics(
    matches: Mapping[str, tuple[Sequence[bool], Sequence[bool]]], seed: int, n_boot: int, key: str
) -> dict[str, Any]:
    """Per subset acc_err/acc_cor/F1 and the mean F1, with CIs from resampling within (subset, kind)."""
    groups: dict[str, np.ndarray] = {}
    for s, (err, cor) in matches.items():
        groups[f"{s}:error"] = np.asarray(err, dtype=float)
        groups[f"{s}:correct"] = np.asarray(cor, dtype=float)
    stats: dict[str, Any] = {}
    n: dict[str, int] = {}
    for s, (err, cor) in matches.items():
        stats[f"acc_err:{s}"] = lambda x, s=s: _mean(x[f"{s}:error"])
        stats[f"acc_cor:{s}"] = lambda x, s=s: _mean(x[f"{s}:correct"])
        stats[f"f1:{s}"] = lambda x, s=s: f1_of(_mean(x[f"{s}:error"]), _mean(x[f"{s}:correct"]))
        n.update({f"acc_err:{s}": len(err), f"acc_cor:{s}": len(cor), f"f1:{s}": len(err) + len(cor)})
    names = list(matches)
    stats["overall"] = lambda x: sum(stats[f"f1:{s}"](x) for s in names) / len(names)
    n["overall"] = sum(n[f"f1:{s}"] for s in names)
    return stratified_cis(groups, stats, seed, n_boot, n=n, key=key)


# ---------------------------------------------------------------- loading


def from_row(row: Row, subset: str | None, allowed: Sequence[str] = ()) -> Item:
    if subset is None:
        raise DataError.at(row, "id", f"cannot tell the subset (not a {'/'.join(allowed)} id or file name)")
    steps = get_str_list(row, "steps")
    label = get_int(row, "label")
    if not -1 <= label < len(steps):
        raise DataError.at(row, "label", f"{label} is outside -1..{len(steps) - 1} ({len(steps)} steps)")
    fac = optional(row, "final_answer_correct")
    if fac is not None and not isinstance(fac, bool):
        raise DataError.at(row, "final_answer_correct", f"expected true/false, got {fac!r:.40}")
    raw_id = optional(row, "id")
    if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise DataError.at(row, "id", f"expected a string or integer id, got {raw_id!r:.40}")
    generator = optional(row, "generator", "")
    return Item(
        id=str(raw_id),
        data={
            "problem": get_str(row, "problem"),
            "steps": steps,
            "label": label,
            "generator": generator if isinstance(generator, str) else str(generator),
            "final_answer_correct": fac,
        },
        meta={"subset": subset},
    )


def _subset_from(name: str, item_id: str, allowed: Sequence[str]) -> str | None:
    prefix = item_id.rsplit("-", 1)[0] if "-" in item_id else ""
    if prefix in allowed:
        return prefix
    stem = name.split(".")[0].lower()
    if stem in allowed:
        return stem
    return allowed[0] if len(allowed) == 1 else None  # MR-GSM8K: one subset, integer ids


def _rows_with_subset(source: str, allowed: tuple[str, ...], wanted: tuple[str, ...], hub: bool) -> Any:
    from assay.data.rows import read_rows

    path = Path(source).expanduser()
    if path.is_file():
        for row in read_rows(source):
            rid = str(row.data.get("id", "")) if not row.error else ""
            yield row, _subset_from(path.name, rid, allowed)
        return
    names = [s for s in allowed if not wanted or s in wanted]
    if path.is_dir() and not wanted:  # a folder: the subsets whose file is there
        present = {p.name.split(".")[0].lower() for p in path.iterdir()}
        names = [s for s in names if s in present] or names
    for s in names:
        for row in read_rows(source, split=s if (hub or path.is_dir()) else None):
            yield row, s


def _make_load(allowed: tuple[str, ...], hub_id: str | None, bench: str) -> Any:
    def load(opts: LoadOptions) -> LoadResult:
        from assay.data.collect import collect

        source = opts.data or hub_id
        if source is None:
            raise ValueError(
                f"{bench}: no hub copy of the data; pass --data with the DeepCritic file "
                "(github.com/RUCBM/DeepCritic data/Mr-GSM8K/processed_test.json)"
            )
        pairs = _rows_with_subset(source, allowed, opts.subsets, hub=not Path(source).expanduser().exists())
        current: dict[str, str | None] = {"subset": None}  # collect converts each row as soon as it is yielded

        def rows() -> Any:
            for row, s in pairs:
                current["subset"] = s
                yield row

        return collect(
            rows(),
            lambda row: from_row(row, current["subset"], allowed),
            skip_invalid=opts.skip_invalid,
            source=source,
            subsets=opts.subsets,
            limit=opts.limit,
        )

    return load


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    numbering: int = 0
    votes: int = 1
    parse: str = "authors"
    threshold: str = "0.5"  # PRM runs: a number or "auto"


def parse_options(values: Mapping[str, str], base: Config) -> Config:
    cfg = base
    if "numbering" in values:
        if values["numbering"] not in ("0", "1"):
            raise ValueError(f"numbering must be 0 or 1, got {values['numbering']!r}")
        cfg = replace(cfg, numbering=int(values["numbering"]))
    if "votes" in values:
        try:
            k = int(values["votes"])
        except ValueError:
            k = 0
        if k < 1:
            raise ValueError(f"votes must be an integer >= 1, got {values['votes']!r}")
        cfg = replace(cfg, votes=k)
    if "parse" in values:
        if values["parse"] not in PARSES:
            raise ValueError(f"parse must be one of {', '.join(PARSES)}, got {values['parse']!r}")
        cfg = replace(cfg, parse=values["parse"])
    if "threshold" in values:
        t = values["threshold"]
        if t != "auto":
            try:
                float(t)
            except ValueError:
                raise ValueError(f"threshold must be a number or auto, got {t!r}") from None
        cfg = replace(cfg, threshold=t)
    return cfg


OPTIONS = {
    "numbering": "0: ProcessBench paragraph tags, 0-based answers | 1: DeepCritic 'Step i:' template, 1-based",
    "votes": "k samples per item, majority vote on the boxed answers (ProcessBench --use_voting; "
    "needs --temperature > 0)",
    "parse": "authors: last match of \\boxed{([^}]*)} | balanced: last \\boxed{...} with nested braces",
    "threshold": "PRM models: first step scoring below it is the error; 0.5 (default) | a number | auto "
    "(tuned on a seeded half of the items, reported on the other half)",
}


# ---------------------------------------------------------------- run: critic and PRM


def _item_fields(s: Item) -> dict[str, Any]:
    d = s.data
    return {
        "problem": d["problem"],
        "steps": list(d["steps"]),
        "label": int(d["label"]),
        "generator": d.get("generator", ""),
        "final_answer_correct": d.get("final_answer_correct"),
    }


def run(samples: Sequence[Sample], ctx: Any, cfg: Config) -> list[Record]:
    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("processbench: expected Item samples")
    if str(ctx.spec).startswith("prm:"):
        return _run_prm(items, ctx, cfg)
    from assay.models.generation import GenerateRequest

    if cfg.threshold != "0.5":
        raise ValueError(f"threshold={cfg.threshold} applies to process reward models (prm: specs), not to {ctx.spec}")
    if cfg.votes > 1 and ctx.sampling.temperature == 0:
        raise ValueError(
            f"votes={cfg.votes} needs sampling: pass --temperature > 0 (ProcessBench voting samples at "
            "temperature 1, top_p 0.9); greedy decoding would repeat one answer"
        )
    sampling = replace(ctx.sampling, n=cfg.votes)
    reqs = [
        GenerateRequest(user_prompt(critique_prompt(s.data["problem"], s.data["steps"], cfg.numbering)), sampling)
        for s in items
    ]
    gens = ctx.generate(reqs)
    records = []
    for s, g in zip(items, gens, strict=True):
        texts = list(g.texts)
        extracted = [extract_boxed(t, cfg.parse) for t in texts]
        pred, _ = vote(extracted)
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND_CRITIC,
                **_item_fields(s),
                "numbering": cfg.numbering,
                "parse": cfg.parse,
                "votes": cfg.votes,
                "critiques": texts,
                "finish_reasons": list(g.finish_reasons),
                "extracted": extracted,
                "prediction": pred,
                "valid": pred is not None,
            }
        )
    return records


def _run_prm(items: list[Item], ctx: Any, cfg: Config) -> list[Record]:
    from assay.models.prm import PRMBackend, cached_step_scores
    from assay.models.spec import load_backend

    if cfg.votes != 1:
        raise ValueError("votes applies to generative critics, not to a process reward model")
    backend = load_backend(ctx.spec, cache_dir=ctx.cache_dir)
    if not isinstance(backend, PRMBackend):
        raise TypeError(f"{ctx.spec}: not a process reward model backend")
    results = cached_step_scores(backend, [(s.data["problem"], list(s.data["steps"])) for s in items], ctx.cache)
    records = []
    for s, r in zip(items, results, strict=True):
        records.append(
            {
                "id": s.id,
                "subset": s.subset,
                "kind": KIND_PRM,
                **_item_fields(s),
                "numbering": 0,
                "threshold": cfg.threshold,
                "step_scores": None if r.scores is None else list(r.scores),
                "n_tokens": r.n_tokens,
                "valid": r.scores is not None,
                "invalid_reason": r.error,
            }
        )
    return records


# ---------------------------------------------------------------- outcome and aggregate


def outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
    label = int(rec["label"])
    if rec.get("kind") == KIND_PRM:
        scores = rec.get("step_scores")
        if rec.get("threshold") == "auto":
            return {"prediction": None, "match": None, "valid": scores is not None, "threshold": "auto"}
        pred = None if scores is None else first_below(scores, float(rec["threshold"]))
        return {"prediction": pred, "match": is_match(pred, label), "valid": pred is not None}
    numbering = int(rec.get("numbering", 0))
    tie = False
    if rec.get("critiques") is not None:
        extracted = [extract_boxed(t, rec.get("parse", "authors")) for t in rec["critiques"]]
        pred, tie = vote(extracted)
    else:  # released files without the critique text: their own prediction
        released = rec.get("released_prediction")
        pred = released if isinstance(released, int) and not isinstance(released, bool) else None
    return {"prediction": pred, "match": is_match(pred, label, numbering), "valid": pred is not None, "vote_tie": tie}


def _choose(records: Sequence[Record], seed: int) -> dict[str, Any]:
    by_subset: dict[str, list[tuple[Any, int]]] = {}
    for r in records:
        if tune_split(seed, str(r["id"])):
            by_subset.setdefault(str(r["subset"]), []).append((r["step_scores"], int(r["label"])))
    return choose_threshold(by_subset, f1_of)


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    kinds = {r.get("kind") for r in records}
    if len(kinds) != 1:
        raise ValueError(f"records mix kinds {sorted(map(str, kinds))}")
    outs = [outcome(r) for r in records]
    extra: dict[str, Any] = {}
    auto = records[0].get("kind") == KIND_PRM and records[0].get("threshold") == "auto"
    if auto:
        chosen = _choose(records, seed)
        t = chosen["value"]
        pairs = []
        for r in (r for r in records if not tune_split(seed, str(r["id"]))):
            pred = None if r["step_scores"] is None else first_below(r["step_scores"], t)
            pairs.append((r, {"prediction": pred, "match": is_match(pred, int(r["label"])), "valid": pred is not None}))
        extra["threshold"] = {
            "mode": "auto",
            **chosen,
            "split": f"tuned on items with sha256('{seed}:<id>') even, reported on the rest",
            "eval_n": len(pairs),
        }
        if not pairs:
            raise ValueError("threshold=auto: no items in the evaluation half")
    else:
        pairs = list(zip(records, outs, strict=True))
        if records[0].get("kind") == KIND_PRM:
            extra["threshold"] = {"mode": "fixed", "value": float(records[0]["threshold"])}
    matches: dict[str, tuple[list[bool], list[bool]]] = {}
    invalid: Counter[str] = Counter()
    for r, o in pairs:
        s = str(r["subset"])
        err, cor = matches.setdefault(s, ([], []))
        (cor if int(r["label"]) == -1 else err).append(bool(o["match"]))
        invalid[s] += 0 if o["valid"] else 1
    cis = subset_metrics(matches, seed, n_boot, key="processbench")
    process = {
        s: {
            "acc_err": cis[f"acc_err:{s}"],
            "acc_cor": cis[f"acc_cor:{s}"],
            "f1": cis[f"f1:{s}"],
            "n_error": len(err),
            "n_correct": len(cor),
            "invalid": invalid[s],
            "invalid_rate": invalid[s] / (len(err) + len(cor)),
        }
        for s, (err, cor) in matches.items()
    }
    first = records[0]
    extra.update({"kind": first.get("kind"), "numbering": first.get("numbering", 0)})
    if first.get("kind") == KIND_CRITIC:
        extra.update(votes=first.get("votes", 1), parse=first.get("parse", "authors"))
    return {
        "overall": cis["overall"],
        "sections": {},
        "subsets": {s: cis[f"f1:{s}"] for s in matches},
        "process": process,
        "counts": {
            "items": len(records),
            "scored": len(pairs),
            "invalid": sum(invalid.values()),
            "vote_ties": sum(1 for o in outs if o.get("vote_tie")),
        },
        "extra": extra,
    }


# ---------------------------------------------------------------- released predictions


def _prediction_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(p for p in path.iterdir() if re.search(r"_(error|correct)\.jsonl$", p.name))
    if not files:
        raise DataError(str(path), None, None, "no <subset>_error.jsonl / <subset>_correct.jsonl files")
    return files


def _make_predictions(allowed: tuple[str, ...], cfg: Config) -> Any:
    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        from assay.data.collect import skip_record
        from assay.data.rows import read_rows

        files = _prediction_files(path)
        digest = hashlib.sha256()
        records: list[Record] = []
        skipped: list[dict[str, Any]] = []
        per_subset: Counter[str] = Counter()
        for f in files:
            digest.update(f"{f.name}\n".encode() + f.read_bytes())
            m = re.match(r"^(.*)_(error|correct)\.jsonl$", f.name)
            for row in read_rows(str(f)):
                try:
                    item = from_row(row, "", allowed)
                    subset = _subset_from(m.group(1) if m else f.name, item.id, allowed)
                    if subset is None:
                        raise DataError.at(row, "id", f"cannot tell the subset (expected one of {allowed})")
                    if m and (m.group(2) == "error") != (item.data["label"] != -1):
                        raise DataError.at(row, "label", f"label {item.data['label']} in a _{m.group(2)} file")
                    crit = optional(row, "generated_critique")
                    if crit is not None and not (
                        isinstance(crit, str) or (isinstance(crit, list) and all(isinstance(c, str) for c in crit))
                    ):
                        raise DataError.at(row, "generated_critique", "expected a string or a list of strings")
                    released = row.data.get("prediction")
                    if crit is None and "prediction" not in row.data:
                        raise DataError.at(row, "prediction", "missing (and no generated_critique to parse)")
                except DataError as e:
                    if not opts.skip_invalid:
                        raise
                    skipped.append(skip_record(e))
                    continue
                if opts.subsets and subset not in opts.subsets:
                    continue
                if opts.limit is not None and per_subset[subset] >= opts.limit:
                    continue
                per_subset[subset] += 1
                records.append(
                    {
                        "id": item.id,
                        "subset": subset,
                        "kind": KIND_CRITIC,
                        **_item_fields(item),
                        "numbering": cfg.numbering,
                        "parse": cfg.parse,
                        "votes": len(crit) if isinstance(crit, list) else 1,
                        "critiques": None if crit is None else ([crit] if isinstance(crit, str) else list(crit)),
                        "released_prediction": released,
                        "source_file": f.name,
                    }
                )
        return PredictionsResult(records, str(path), digest.hexdigest(), skipped)

    return predictions


# ---------------------------------------------------------------- registration


def _bench(name: str, base: Config, values: Mapping[str, str] | None = None) -> Benchmark:
    cfg = parse_options(values or {}, base)
    allowed = SUBSETS if name == "processbench" else (MR_SUBSET,)
    hub = HUB_ID if name == "processbench" else None
    if name == "processbench":
        description = (
            "ProcessBench: earliest erroneous step of step-wise math solutions (critic prompt or PRM); per "
            "subset acc_err, acc_cor, F1; overall = mean F1 of gsm8k, math, olympiadbench, omnimath."
        )
        source = (
            "Zheng et al. 2024 (arXiv:2412.06559); QwenLM/ProcessBench code/run_eval.py (extract_answer, "
            "prepare_input_boxed, voting), code/run_eval_prm_trl.py (argmax step labels, F1)"
        )
    else:
        description = (
            "MR-GSM8K (DeepCritic's processed file): earliest erroneous step, ProcessBench metric; "
            "DeepCritic's 1-based 'Step i:' template by default."
        )
        source = (
            "Zeng et al. 2023 (MR-GSM8K, arXiv:2312.17080) as processed by Yang et al. 2025 (DeepCritic, "
            "arXiv:2505.00662); RUCBM/DeepCritic ProcessBench/code/eval.py"
        )
    return Benchmark(
        name=name,
        description=description,
        source=source,
        hub_id=hub,
        subsets=allowed,
        load=_make_load(allowed, hub, name),
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run(samples, ctx, cfg),
        predictions=_make_predictions(allowed, cfg),
        options=dict(OPTIONS),
        configure=lambda v: _bench(name, base, v),
    )


@register
def processbench() -> Benchmark:
    return _bench("processbench", Config(numbering=0))


@register
def mr_gsm8k() -> Benchmark:
    return _bench("mr-gsm8k", Config(numbering=1))
