"""VLRMBench (Ruan et al. 2025, arXiv:2503.07478, ICCV 2025): step and outcome tasks for vision-language
reward models, text side (the images are not shipped with the data).

Data: the authors' ``benchmark_data/<task>.jsonl`` (repo JCruan519/VLRMBench; no hub copy, ``--data`` is a
folder of such files or one file; the task is the file name, else the row's ``category``). Rows: ``id,
image[] (paths under the authors' meta_data/Image), question, step_list[] (the original reasoning),
reasoning_error (the reasoning with injected errors, one string), task_gt, category``. The same source
sample recurs across task files, so item ids are ``<task>:<id>``.

Tasks and what the shipped slices hold (../shared/data/vlrmbench: location_error, image_ref_error):

* step tasks (step_correctness, redundant_det, most_confidence, attribute_hallucination,
  existence_hallucination, detail_error, image_ref_error, location_error): the prompt of
  ``model_eval/eval_prompt_files.py`` for the task, filled with ``question`` and ``reasoning_error``
  (``vllm_localapi_eval.py`` ``process_line_group_1``), images first. ``task_gt`` = 0/1 per step.
  Parse ``utils.format_model_answer_tolist``: every ``\\d+`` of the answer, values other than 0/1 become
  1, truncated or padded with 0 to the number of steps. Metric (``get_sc_mc_rd_eval_res.py`` +
  ``utils.get_F1Score``): all steps of the task pooled; F1_pos and F1_neg (sklearn ``f1_score``, 0 when
  undefined); the authors weight them as ``F1_w = (n_neg/N) F1_pos + (n_pos/N) F1_neg``, each class's F1
  weighted by the *other* class's share. The paper calls the metric a weighted F1 and names no inverted
  weights, so we read the code's weights as a slip: the default ``weighting=support`` is the usual
  support-weighted F1 ``(n_pos/N) F1_pos + (n_neg/N) F1_neg`` (sklearn ``average="weighted"``);
  ``weighting=authors`` reproduces the published numbers. Both, and F1_pos/F1_neg, are always reported.
* foresight (Forecasting Future; not in the shipped slices): the foresight prompt with ``reasoning_error``
  if present, else ``step_list`` (formatted with ``str.format``, so a list prints as a Python list);
  ``task_gt`` true/false; correct when ``task_gt`` is true and ``\\b(yes|true)\\b`` occurs
  (case-insensitive), or false and ``\\b(no|false)\\b`` occurs (``get_fores_eval_res.py``). Accuracy.
* multi_solution (not in the shipped slices): the multi-solution prompt asked twice, response 1 =
  ``step_list`` (the original) and response 2 = ``reasoning_error``, then swapped
  (``process_line_group_2``); each answer parsed by ``format_ms_ec_era_model_answer_tolist`` (the LAST
  two ``\\d+`` values, padded with 0; a missing answer is ``"[0,0]"``); correct when front[0] + back[1] >
  front[1] + back[0] (strict: a tie is wrong; ``get_ms_eval_res.py``). Accuracy.
* error_correction and error_reason_analysis need a judge model and are not implemented.

Images: each path becomes an image content part (``image_root=DIR`` prefixes the authors' relative paths
and checks the files exist). Every generation backend of assay is text-only, so by default a run stops
with a clear error; ``images=placeholder`` runs a labelled blind pass with each image replaced by the text
"[image]" (the ``--images`` policy of scalar models). Invalid answers are counted, not dropped: a step
answer without any digit, a foresight answer with none of the four words, a multi-solution answer with
fewer than two numbers (the authors drop rows whose answer is missing; we keep them, parsed as the
authors' padding gives). overall = mean F1_w of the step tasks present (else mean outcome accuracy).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.data.fields import get_str, get_str_list, optional
from assay.data.rows import DataError, Row
from assay.metrics.bootstrap import stratified_cis
from assay.samples import ContentPart, Item, Message, Sample

STEP_TASKS = (
    "step_correctness",
    "redundant_det",
    "most_confidence",
    "attribute_hallucination",
    "existence_hallucination",
    "detail_error",
    "image_ref_error",
    "location_error",
)
OUTCOME_TASKS = ("foresight", "multi_solution")
TASKS = STEP_TASKS + OUTCOME_TASKS
IMAGE_PLACEHOLDER = "[image]"

# model_eval/eval_prompt_files.py (a trailing backslash joins lines there too)
_STEP_HEAD = """## Task Description
Based on the provided image, question and AI assistant's reasoning process, your task \
is to identify the steps that contains {what} in the reasoning process.

## Instructions
"""
_STEP_TAIL = """- You need to assign an integral indicator to each step. 0 indicates that \
the step does not contain {neg}, \
and 1 indicates that the step contains {neg}. 

## Question
{{question}}

## AI assistant's reasoning process
{{reasoning_process}}

## Output Format
[Indicator for STEP 1, Indicator for STEP 2, ..., Indicator for STEP N]

## Your Output: 
"""  # noqa: W291
_AT_LEAST_ONE = "- There is at least one error in the reasoning process.\n"
_STEP_PARTS: dict[str, tuple[str, str, str]] = {  # task -> (what, instructions, "does not contain" noun)
    "step_correctness": ("errors", "", "errors"),
    "redundant_det": (
        "redundancy",
        "- The redundancy may involve unnecessary elaboration, repetitive expressions, \
or redundant details that do not contribute to the correctness of the reasoning.\n",
        "redundancy",
    ),
    "detail_error": (
        "detail error",
        _AT_LEAST_ONE + "- Detail errors refer to errors in which numbers or calculated symbols are wrong ",
        "errors",
    ),
    "existence_hallucination": (
        "existence hallucination error",
        _AT_LEAST_ONE
        + '- The term "existence hallucination error" refers to errors in reasoning where a model either: \
Introduces entities that do not exist in the image (e.g., hallucinating objects, people, digit, or \
details not present), or Fails to acknowledge entities that are actually present in the image \
(e.g., ignoring critical objects or contextual elements).\n',
        "errors",
    ),
    "attribute_hallucination": (
        "Attribute hallucination error",
        _AT_LEAST_ONE
        + '- The term "Attribute hallucination error" refers to errors in reasoning where a model Misidentifies \
properties (e.g., size, color, shape) of entities in an image.\n',
        "errors",
    ),
    "location_error": ("location errors", _AT_LEAST_ONE, "errors"),
    "image_ref_error": (
        "image reference errors",
        _AT_LEAST_ONE
        + '- The term "Image reference error" refers to a mistake where the model incorrectly identifies an '
        "entity from one image as being present in another image.\n",
        "errors",
    ),
}
STEP_PROMPTS = {
    t: _STEP_HEAD.format(what=what) + instr + _STEP_TAIL.format(neg=neg)
    for t, (what, instr, neg) in _STEP_PARTS.items()
}
STEP_PROMPTS["most_confidence"] = STEP_PROMPTS["step_correctness"]

FORESIGHT_PROMPT = """## Task Description
Based on the provided image, question and part of the AI assistant's reasoning process, \
Your task is to evaluate whether the given partial reasoning process will \
lead to a correct final answer.

## Question
{question}

## AI Assistant's Partial Reasoning Process
{reasoning_process}

## Only output Yes or No without additional explanation: 
"""  # noqa: W291

MULTI_SOLUTION_PROMPT = """## Task Description
You are an expert judge specializing in assessing AI-generated responses. \

## Instructions
- Your role is to objectively evaluate the quality of two AI assistants' responses \
based on the given image and question. 
- Assign a score to each response on a scale of 0 to 10, where 0 indicates a response \
that is entirely illogical or irrelevant, and 10 signifies a response \
that is exceptionally well-reasoned, accurate, and directly addresses the question.

## Question
{question}

## AI Assistant's Response 1
{ai_respond_1}

## AI Assistant's Response 2
{ai_respond_2}

## Output Format
Return a List containing two scores:
["Score for Response 1", "Score for Response 2"]

## Your Output: 
"""  # noqa: W291


# ---------------------------------------------------------------- parsing and metrics


def parse_steps(answer: str | None, n: int) -> list[int]:
    """``format_model_answer_tolist``: digits runs, non-0/1 -> 1, cut or 0-padded to ``n``."""
    nums = [int(x) for x in re.findall(r"\d+", answer or "")]
    nums = [x if x in (0, 1) else 1 for x in nums]
    return nums[:n] if len(nums) >= n else nums + [0] * (n - len(nums))


def parse_pair(answer: str | None) -> list[int]:
    """``format_ms_ec_era_model_answer_tolist`` for two scores: the last two numbers, 0-padded."""
    nums = [int(x) for x in re.findall(r"\d+", answer or "[0,0]")]
    return nums[-2:] if len(nums) >= 2 else nums + [0] * (2 - len(nums))


def foresight_correct(answer: str | None, gt: bool) -> bool:
    pattern = r"\b(yes|true)\b" if gt else r"\b(no|false)\b"
    return re.search(pattern, answer or "", re.IGNORECASE) is not None


def confusion(pred: Sequence[int], gt: Sequence[int]) -> list[int]:
    """[TP, FP, FN, TN] with 1 (an erroneous step) as the positive class."""
    p, g = np.asarray(pred), np.asarray(gt)
    return [int(((p == 1) & (g == 1)).sum()), int(((p == 1) & (g == 0)).sum()), int(((p == 0) & (g == 1)).sum()),
            int(((p == 0) & (g == 0)).sum())]  # fmt: skip


def f1_scores(counts: Any, weighting: str = "support") -> dict[str, Any]:
    """F1_pos, F1_neg and F1_w from summed [TP, FP, FN, TN] (last axis); 0 where a denominator is 0."""
    c = np.asarray(counts, dtype=float)
    tp, fp, fn, tn = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1_pos = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        f1_neg = np.where(2 * tn + fp + fn > 0, 2 * tn / (2 * tn + fp + fn), 0.0)
        n_pos, n_neg = tp + fn, tn + fp
        total = n_pos + n_neg
        if weighting == "authors":
            f1_w = (n_neg * f1_pos + n_pos * f1_neg) / total
        elif weighting == "support":
            f1_w = (n_pos * f1_pos + n_neg * f1_neg) / total
        else:
            raise ValueError(f"unknown weighting {weighting!r}; valid: support, authors")
    return {"f1_pos": f1_pos, "f1_neg": f1_neg, "f1_w": f1_w}


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class Config:
    images: str = "error"  # error | placeholder
    image_root: str | None = None
    weighting: str = "support"  # support | authors


def _task_of(name: str, row: Row) -> str:
    stem = Path(name).name.split(".")[0]
    if stem in TASKS:
        return stem
    cat = optional(row, "category")
    if isinstance(cat, str) and cat in TASKS:
        return cat
    raise DataError.at(
        row, "category", f"cannot tell the task: file {name!r} and category {cat!r} name none of {TASKS}"
    )


def _gt_list(row: Row) -> list[int]:
    v = optional(row, "task_gt")
    if not isinstance(v, list) or not v or any(isinstance(x, bool) or x not in (0, 1) for x in v):
        raise DataError.at(row, "task_gt", f"expected a non-empty list of 0/1, got {v!r:.60}")
    return [int(x) for x in v]


def from_row(row: Row, task: str, cfg: Config) -> Item:
    images = get_str_list(row, "image", allow_empty=True) if optional(row, "image") is not None else []
    if cfg.image_root:
        for p in images:
            if not (Path(cfg.image_root) / p).is_file():
                raise DataError.at(row, "image", f"{Path(cfg.image_root) / p}: no such image file")
    data: dict[str, Any] = {"task": task, "question": get_str(row, "question"), "images": images}
    if task in STEP_TASKS:
        data["reasoning_error"] = get_str(row, "reasoning_error")
        data["task_gt"] = _gt_list(row)
    elif task == "foresight":
        gt = optional(row, "task_gt")
        if not isinstance(gt, bool):
            raise DataError.at(row, "task_gt", f"expected true/false, got {gt!r:.40}")
        process = optional(row, "reasoning_error")
        if process is None:
            process = optional(row, "step_list")
        if process is None:
            raise DataError.at(row, "step_list", "missing, and no reasoning_error either")
        data.update(task_gt=gt, reasoning_process=process)
    else:
        data.update(step_list=get_str_list(row, "step_list"), reasoning_error=get_str(row, "reasoning_error"))
    raw_id = optional(row, "id")
    if raw_id is None or str(raw_id) == "":
        raise DataError.at(row, "id", "missing")
    # the same source sample recurs across task files: ids are namespaced by task
    return Item(id=f"{task}:{raw_id}", data=data, meta={"subset": task})


def _make_load(cfg: Config) -> Any:
    def load(opts: LoadOptions) -> LoadResult:
        from assay.data.collect import collect
        from assay.data.rows import read_rows

        if not opts.data:
            raise ValueError(
                "vlrmbench: no hub copy; pass --data with the authors' benchmark_data folder or one of its "
                "<task>.jsonl files (github.com/JCruan519/VLRMBench)"
            )
        path = Path(opts.data).expanduser()
        current = {"name": str(path)}

        def rows() -> Any:
            if path.is_dir():
                present = [t for t in TASKS if any(p.name.split(".")[0] == t for p in path.iterdir())]
                for t in [t for t in TASKS if t in opts.subsets] if opts.subsets else present:
                    current["name"] = t
                    yield from read_rows(str(path), split=t)
            else:
                yield from read_rows(str(path))

        def convert(row: Row) -> Item:
            return from_row(row, _task_of(current["name"], row), cfg)

        return collect(rows(), convert, skip_invalid=opts.skip_invalid, source=str(path), subsets=opts.subsets,
                       limit=opts.limit)  # fmt: skip

    return load


# ---------------------------------------------------------------- run


def _content(images: Sequence[str], text: str, cfg: Config) -> Message:
    parts: list[ContentPart] = []
    for p in images:
        if cfg.images == "placeholder":
            parts.append(ContentPart("text", text=IMAGE_PLACEHOLDER))
        else:
            parts.append(ContentPart("image", image_path=str(Path(cfg.image_root) / p) if cfg.image_root else p))
    parts.append(ContentPart("text", text=text))
    return Message("user", tuple(parts))


def prompts_for(item: Item, cfg: Config) -> list[tuple[Message, ...]]:
    """The prompt(s) of one item: one for step and foresight tasks, two (both orders) for multi_solution."""
    d, imgs = item.data, item.data["images"]
    if d["task"] in STEP_TASKS:
        text = STEP_PROMPTS[d["task"]].format(question=d["question"], reasoning_process=d["reasoning_error"])
        return [(_content(imgs, text, cfg),)]
    if d["task"] == "foresight":
        text = FORESIGHT_PROMPT.format(question=d["question"], reasoning_process=d["reasoning_process"])
        return [(_content(imgs, text, cfg),)]
    a, b = d["step_list"], d["reasoning_error"]
    front = MULTI_SOLUTION_PROMPT.format(question=d["question"], ai_respond_1=a, ai_respond_2=b)
    back = MULTI_SOLUTION_PROMPT.format(question=d["question"], ai_respond_1=b, ai_respond_2=a)
    return [(_content(imgs, front, cfg),), (_content(imgs, back, cfg),)]


def run(samples: Sequence[Sample], ctx: Any, cfg: Config) -> list[Record]:
    from assay.models.generation import GenerateRequest

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("vlrmbench: expected Item samples")
    per_item = [prompts_for(s, cfg) for s in items]
    reqs = [GenerateRequest(p, ctx.sampling) for ps in per_item for p in ps]
    n_images = sum(len(s.data["images"]) for s in items)
    try:
        gens = ctx.generate(reqs)
    except ValueError as e:
        if cfg.images == "error" and n_images and "image" in str(e):
            raise ValueError(
                f"vlrmbench: the items hold {n_images} image(s) and {ctx.spec} takes text only; "
                "evaluate a vision-language model, or pass --option images=placeholder for a labelled blind "
                "run (each image replaced by '[image]')"
            ) from e
        raise
    records, k = [], 0
    for s, ps in zip(items, per_item, strict=True):
        texts = [g.text for g in gens[k : k + len(ps)]]
        k += len(ps)
        d = s.data
        rec: dict[str, Any] = {"id": s.id, "subset": s.subset, "question": d["question"], "images": d["images"],
                               "images_mode": cfg.images, "weighting": cfg.weighting}  # fmt: skip
        if d["task"] in STEP_TASKS:
            rec.update(kind="vlrm_steps", reasoning_error=d["reasoning_error"], task_gt=d["task_gt"], answer=texts[0])
        elif d["task"] == "foresight":
            rec.update(kind="vlrm_foresight", task_gt=d["task_gt"], answer=texts[0])
        else:
            rec.update(kind="vlrm_multi_solution", answer_front=texts[0], answer_back=texts[1])
        records.append(rec)
    return records


# ---------------------------------------------------------------- outcome and aggregate


def outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
    kind = rec.get("kind")
    if kind == "vlrm_steps":
        gt = list(rec["task_gt"])
        found = re.findall(r"\d+", rec.get("answer") or "")
        pred = parse_steps(rec.get("answer"), len(gt))
        return {
            "pred": pred,
            "counts": confusion(pred, gt),
            "valid": bool(found),
            "length_match": len(found) == len(gt),
        }
    if kind == "vlrm_foresight":
        ans = rec.get("answer") or ""
        valid = re.search(r"\b(yes|true|no|false)\b", ans, re.IGNORECASE) is not None
        return {"correct": foresight_correct(ans, bool(rec["task_gt"])), "valid": valid}
    if kind == "vlrm_multi_solution":
        f, b = parse_pair(rec.get("answer_front")), parse_pair(rec.get("answer_back"))
        valid = all(len(re.findall(r"\d+", rec.get(k) or "")) >= 2 for k in ("answer_front", "answer_back"))
        return {"front": f, "back": b, "correct": f[0] + b[1] > f[1] + b[0], "valid": valid}
    raise ValueError(f"unknown record kind {kind!r}")


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    weighting = str(records[0].get("weighting", "support"))
    groups: dict[str, list[Any]] = {}
    invalid: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for r in records:
        o = outcome(r)
        s = str(r["subset"])
        kinds[s] = str(r["kind"])
        groups.setdefault(s, []).append(o["counts"] if r["kind"] == "vlrm_steps" else [float(o["correct"])])
        invalid[s] = invalid.get(s, 0) + (0 if o["valid"] else 1)
    arrays = {s: np.asarray(v, dtype=float) for s, v in groups.items()}
    step = [s for s in arrays if kinds[s] == "vlrm_steps"]
    head = step or list(arrays)
    stats: dict[str, Any] = {}
    for s in arrays:
        if s in step:
            for m in ("f1_w", "f1_pos", "f1_neg"):
                stats[f"{m}:{s}"] = lambda x, s=s, m=m: f1_scores(x[s].sum(axis=1), weighting)[m]
            other = "authors" if weighting == "support" else "support"
            stats[f"f1_w_{other}:{s}"] = lambda x, s=s, o=other: f1_scores(x[s].sum(axis=1), o)["f1_w"]
        else:
            stats[f"accuracy:{s}"] = lambda x, s=s: x[s][..., 0].mean(axis=1)

    def headline(s: str) -> str:
        return f"f1_w:{s}" if s in step else f"accuracy:{s}"

    stats["overall"] = lambda x: sum(stats[headline(s)](x) for s in head) / len(head)
    n = {k: len(arrays[k.split(":", 1)[1]]) for k in stats if ":" in k}
    n["overall"] = sum(len(arrays[s]) for s in head)
    cis = stratified_cis(arrays, stats, seed, n_boot, n=n, key="vlrmbench")
    tasks: dict[str, Any] = {}
    for s, a in arrays.items():
        t: dict[str, Any] = {k.split(":")[0]: v for k, v in cis.items() if k.endswith(f":{s}")}
        t.update(n_items=len(a), invalid=invalid[s])
        if s in step:
            t.update(n_steps=int(a[:, :].sum()), n_error_steps=int(a[:, 0].sum() + a[:, 2].sum()))
        tasks[s] = t
    return {
        "overall": cis["overall"],
        "sections": {},
        "subsets": {s: cis[headline(s)] for s in arrays},
        "tasks": tasks,
        "counts": {"items": len(records), "invalid": sum(invalid.values())},
        "extra": {
            "weighting": weighting,
            "overall_over": head,
            "images_mode": records[0].get("images_mode"),
            "blind": records[0].get("images_mode") == "placeholder",
        },
    }


# ---------------------------------------------------------------- released outputs (eval_res/<task>/<model>.jsonl)


def _make_predictions(cfg: Config) -> Any:
    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        from assay.data.collect import skip_record
        from assay.data.rows import read_rows

        files = [path] if path.is_file() else sorted(p for p in path.rglob("*.jsonl"))
        by_task: dict[str, Path] = {}
        for f in files:
            task = f.parent.name if f.parent.name in TASKS else f.name.split(".")[0]
            if task not in TASKS:
                continue
            if task in by_task:
                raise DataError(str(path), None, None, f"several output files for task {task}; pass one file")
            by_task[task] = f
        if not by_task:
            raise DataError(str(path), None, None, f"no eval_res/<task>/<model>.jsonl file for tasks {TASKS}")
        records, skipped, digest = [], [], hashlib.sha256()
        for task, f in sorted(by_task.items()):
            if opts.subsets and task not in opts.subsets:
                continue
            digest.update(f"{task}\n".encode() + f.read_bytes())
            kept = 0
            for row in read_rows(str(f)):
                try:
                    rid = optional(row, "id")
                    if rid is None:
                        raise DataError.at(row, "id", "missing")
                    base = {
                        "id": f"{task}:{rid}",
                        "subset": task,
                        "images_mode": "released",
                        "weighting": cfg.weighting,
                    }
                    if task in STEP_TASKS:
                        rec = {
                            **base,
                            "kind": "vlrm_steps",
                            "task_gt": _gt_list(row),
                            "answer": optional(row, "model_answer"),
                        }
                    elif task == "foresight":
                        gt = optional(row, "task_gt")
                        if not isinstance(gt, bool):
                            raise DataError.at(row, "task_gt", f"expected true/false, got {gt!r:.40}")
                        rec = {**base, "kind": "vlrm_foresight", "task_gt": gt, "answer": optional(row, "model_answer")}
                    else:
                        front, back = optional(row, "model_answer_front"), optional(row, "model_answer_back")
                        rec = {**base, "kind": "vlrm_multi_solution", "answer_front": front, "answer_back": back}
                except DataError as e:
                    if not opts.skip_invalid:
                        raise
                    skipped.append(skip_record(e))
                    continue
                if opts.limit is not None and kept >= opts.limit:
                    break
                kept += 1
                records.append(rec)
        return PredictionsResult(records, str(path), digest.hexdigest(), skipped)

    return predictions


# ---------------------------------------------------------------- registration

OPTIONS = {
    "images": "error (default: a text-only model is refused) | placeholder (labelled blind run, images -> '[image]')",
    "image_root": "folder holding the authors' images (meta_data/Image); image paths are taken relative to it",
    "weighting": "support (default: (n_pos/N) F1_pos + (n_neg/N) F1_neg) | authors (their inverted weights)",
}


def _configure(values: Mapping[str, str]) -> Benchmark:
    cfg = Config()
    if "images" in values:
        if values["images"] not in ("error", "placeholder"):
            raise ValueError(f"images must be error or placeholder, got {values['images']!r}")
        cfg = replace(cfg, images=values["images"])
    if "image_root" in values:
        if not Path(values["image_root"]).expanduser().is_dir():
            raise ValueError(f"image_root {values['image_root']!r} is not a folder")
        cfg = replace(cfg, image_root=str(Path(values["image_root"]).expanduser()))
    if "weighting" in values:
        if values["weighting"] not in ("support", "authors"):
            raise ValueError(f"weighting must be support or authors, got {values['weighting']!r}")
        cfg = replace(cfg, weighting=values["weighting"])
    return _bench(cfg)


def _bench(cfg: Config) -> Benchmark:
    return Benchmark(
        name="vlrmbench",
        description="VLRMBench (text side): per-step error detection (weighted F1 over pooled steps), "
        "Forecasting Future and Multi-Solution accuracy; images need a vision model (or a blind run).",
        source="Ruan et al. 2025 (arXiv:2503.07478); JCruan519/VLRMBench model_eval/eval_prompt_files.py, "
        "vllm_localapi_eval.py, utils.py (format_model_answer_tolist, get_F1Score), get_sc_mc_rd_eval_res.py, "
        "get_fores_eval_res.py, get_ms_eval_res.py",
        hub_id=None,
        subsets=TASKS,
        load=_make_load(cfg),
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run(samples, ctx, cfg),
        predictions=_make_predictions(cfg),
        options=dict(OPTIONS),
        configure=_configure,
    )


@register
def vlrmbench() -> Benchmark:
    return _bench(Config())
