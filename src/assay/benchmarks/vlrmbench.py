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
  undefined). Default ``weighting=authors``, the published metric: ``F1_w = (n_pos/N) F1_neg + (n_neg/N)
  F1_pos`` (``get_F1Score``: each class's F1 weighted by the *other* class's share). ``weighting=support``
  is the conventional support-weighted F1 ``(n_pos/N) F1_pos + (n_neg/N) F1_neg`` (sklearn
  ``average="weighted"``). Both, and F1_pos/F1_neg, are always reported.
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

Modules: this one registers the benchmark and wires load / run / outcome / aggregate; the rows are read by
``assay.critics.vlrm_data``, the prompts are in ``assay.critics.vlrm_prompts``, parsing and the F1 in
``assay.critics.vlrm_metrics`` and the released-output reader (``assay score``) in
``assay.critics.vlrm_release``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, Record, register
from assay.critics.vlrm_data import STEP_TASKS, TASKS, from_row, task_of
from assay.critics.vlrm_metrics import confusion, f1_scores, foresight_correct, parse_pair, parse_steps
from assay.critics.vlrm_prompts import prompts_for
from assay.critics.vlrm_release import make_predictions
from assay.data.rows import Row
from assay.metrics.bootstrap import stratified_cis
from assay.samples import Item, Sample

# ---------------------------------------------------------------- configuration and loading


@dataclass(frozen=True)
class Config:
    images: str = "error"  # error | placeholder
    image_root: str | None = None
    weighting: str = "authors"  # authors (published, default) | support


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
            return from_row(row, task_of(current["name"], row), cfg.image_root)

        return collect(rows(), convert, skip_invalid=opts.skip_invalid, source=str(path), subsets=opts.subsets,
                       limit=opts.limit)  # fmt: skip

    return load


# ---------------------------------------------------------------- run


def run(samples: Sequence[Sample], ctx: Any, cfg: Config) -> list[Record]:
    from assay.models.generation import GenerateRequest

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("vlrmbench: expected Item samples")
    per_item = [prompts_for(s, cfg.images, cfg.image_root) for s in items]
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
    weighting = str(records[0].get("weighting", "authors"))
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


# ---------------------------------------------------------------- registration

OPTIONS = {
    "images": "error (default: a text-only model is refused) | placeholder (labelled blind run, images -> '[image]')",
    "image_root": "folder holding the authors' images (meta_data/Image); image paths are taken relative to it",
    "weighting": "authors (default, published: (n_pos/N) F1_neg + (n_neg/N) F1_pos) | support (conventional "
    "support-weighted F1: (n_pos/N) F1_pos + (n_neg/N) F1_neg)",
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
        predictions=make_predictions(cfg.weighting),
        options=dict(OPTIONS),
        configure=_configure,
    )


@register
def vlrmbench() -> Benchmark:
    return _bench(Config())
