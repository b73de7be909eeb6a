"""REFUTE (Sinha, Arun, Goel, Staab, Wiedemer, Bethge, Prabhu 2025, "Can Language Models Falsify? Evaluating
Algorithmic Reasoning with Counterexample Creation", arXiv:2502.19414): given a problem and a wrong
solution, the model writes a program that prints an input on which the solution fails.

Data: Hugging Face ``bethgelab/REFUTE`` (split ``train``), columns as read by the authors'
falsifiers/REFUTE ``refute/utils/get_dataset.py`` and ``dataset_parser.py``: ``problem_id``, ``statement``,
``time_limit`` (ms), ``memory_limit`` (MB), ``input``, ``output``, ``example_input``, ``example_output``,
``note``, ``wrong_code``, ``wrong_code_lang``, ``correct_cpp``, ``correct_python``, ``validator`` (Python
that exits 0 on a valid input); other columns (ratings, tags...) are kept in ``meta``.

Prompt: ``refute/utils/models.py`` ``VanillaLLM.ask``: system = ``prompt_templates/{method}_system.txt``,
user = ``{method}_human.txt`` + "\\n\\n" + ``desc_problem(problem)`` + "\\n## Code\\n```\\n{wrong_code}\\n```".
``zero_shot`` (default) uses the zero-shot system prompt (embedded below); the release has no
``zero_shot_human.txt`` (its zero_shot method cannot run), so the few-shot human prefix is used.
``few_shot`` needs the authors' ``few_shot_system.txt`` (three worked examples), read from
``prompts_dir=PATH`` (their ``refute/prompt_templates`` folder), as ``BaseLLM`` reads it.

Protocol and verdict: :mod:`assay.protocols.falsify` (``standard_eval`` / ``is_fail_case``). Attempts:
``attempts=k`` completions per problem (one request with ``n=k``); k > 1 needs ``--temperature > 0``
(refused otherwise: greedy decoding gives k identical completions). The answer is a program: the run's
``--max-tokens`` (the runner's default, 512, is shared by all benchmarks) should be 2048 or more; answers
cut at the budget are counted (``counts.truncated_answers``, with a ``warning`` in the metrics) and fail
as ``invalid_answer`` when their ``</action>`` is missing. Metrics: ``overall`` = pass@k, the share
of problems with a successful attempt among the k (the README: "to compute pass@k, pass k attempts per
problem and check if any succeed"), with a seeded bootstrap CI; ``pass@j`` for j <= k by the unbiased
estimator 1 - C(n-c, j)/C(n, j) (Chen et al. 2021; equal to the any-success rate at j = n); the per-attempt
success rate; counts of each attempt status.

Loading (rows -> ``Item``) is in :mod:`assay.benchmarks.refute_data`; ``load``, ``to_item`` and its
constants stay importable from here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from math import comb
from pathlib import Path
from typing import Any

from assay.benchmarks.refute_data import HUB_ID, SUBSET, load
from assay.benchmarks.refute_data import KNOWN as KNOWN  # re-exported
from assay.benchmarks.refute_data import TEXT_FIELDS as TEXT_FIELDS  # re-exported
from assay.benchmarks.refute_data import to_item as to_item  # re-exported
from assay.benchmarks.registry import Benchmark, LoadOptions, PredictionsResult, Record, register
from assay.data.rows import DataError
from assay.metrics.bootstrap import mean_ci
from assay.protocols.falsify import AUTHORS_TIME_LIMIT_S, RUNS_PER_EVAL, ExecSettings, Executor, decide
from assay.samples import Item, Message, Prompt, Sample

log = logging.getLogger(__name__)

KIND = "falsify"

# falsifiers/REFUTE refute/prompt_templates/zero_shot_system.txt (verbatim)
ZERO_SHOT_SYSTEM = """You are an expert at finding errors in code. You will be given a buggy code and the complete \
description of the problem it intends to solve. Your job is to find a valid input in the expected format, satisfying \
all input constraints, on which the code fails.

Write a program to print this failing test-case. Provide this to me in the exact XML format I show below. Do not \
include anything other than your thoughts and this program to print a failing test-case.

```
<reason>
[Your concise reasoning here]
</reason>
<action>
<name>print_fail_case</name>
<code>
[code to print failing test-case]
</code>
<lang>Python 3</lang>
</action>
```"""
# falsifiers/REFUTE refute/prompt_templates/few_shot_human.txt (verbatim)
HUMAN_PREFIX = (
    "You are now given a problem description and a buggy code. Help find a failing test-case by providing a "
    "script in the exact XML format mentioned earlier. Don't output anything else."
)

OPTIONS = {
    "attempts": "k: completions per problem (pass@k; k > 1 needs --temperature > 0); default 1",
    "runs": f"runs_per_eval: times the buggy and correct solutions are compared (default {RUNS_PER_EVAL})",
    "time_limit": f"authors: {AUTHORS_TIME_LIMIT_S:g} s for every run (default) | problem: the row's time_limit | "
    "SECONDS",
    "prompt": "zero_shot (default; the embedded system prompt) | few_shot (needs prompts_dir)",
    "prompts_dir": "the authors' refute/prompt_templates folder (few_shot_system.txt, few_shot_human.txt)",
    "original_bugs": "true: a failing generator's error text is used as the input, and a wrong solution that "
    "cannot compile counts as refuted (the original code's behaviour); default false",
    "memory_mb": "address-space limit for every program, MB (default 2048; the authors set none)",
}


# -------------------------------------------------------------------------------------------------- prompt


def desc_problem(p: Mapping[str, Any]) -> str:
    """``dataset_parser.py desc_problem``: the problem as markdown sections, ``$$$`` -> ``$$``."""
    desc = ""
    if p.get("statement") is not None:
        desc += f"## Statement \n{p['statement']}\n\n"
    try:
        desc += f"Time Limit: {int(p['time_limit'])}ms\n\n"
    except (TypeError, ValueError, KeyError):
        pass
    if "memory_limit" in p:  # the original's try only guards a missing key: None prints as "None"
        desc += f"Memory Limit: {p['memory_limit']} megabytes\n\n"
    if p.get("input") is not None:
        desc += f"## Input Format \n{p['input']}\n\n"
    if p.get("output") is not None:
        desc += f"## Output Format \n{p['output']}\n\n"
    if p.get("example_input") is not None:
        desc += f"## Example Input \n```\n{p['example_input']}\n```\n\n"
    if p.get("example_output") is not None:
        desc += f"## Example Output \n```\n{p['example_output']}\n```\n\n"
    if p.get("note") is not None:
        desc += f"## Note \n{p['note']}\n\n"
    return desc.replace("$$$", "$$")


@dataclass(frozen=True)
class Config:
    attempts: int = 1
    runs: int = RUNS_PER_EVAL
    time_limit: str = "authors"
    prompt: str = "zero_shot"
    prompts_dir: str | None = None
    original_bugs: bool = False
    memory_mb: int = 2048

    def templates(self) -> tuple[str, str]:
        """(system prompt, human prefix) as ``BaseLLM.__init__`` reads them."""
        if self.prompts_dir is None:
            if self.prompt == "few_shot":
                raise ValueError(
                    "refute: prompt=few_shot needs the authors' few-shot examples: pass prompts_dir=PATH to the "
                    "refute/prompt_templates folder of github.com/falsifiers/REFUTE"
                )
            return ZERO_SHOT_SYSTEM, HUMAN_PREFIX
        d = Path(self.prompts_dir)
        system = (d / f"{self.prompt}_system.txt").read_text(encoding="utf-8")
        human_file = d / f"{self.prompt}_human.txt"
        human = human_file.read_text(encoding="utf-8") if human_file.is_file() else HUMAN_PREFIX
        return system, human

    def time_limit_s(self, problem: Mapping[str, Any]) -> float | None:
        """Seconds for the buggy/correct runs: None (the authors' 20 s), the row's, or a fixed number."""
        if self.time_limit == "authors":
            return None
        if self.time_limit == "problem":
            ms = problem.get("time_limit")
            return float(ms) / 1000 if isinstance(ms, int | float) and ms > 0 else None
        return float(self.time_limit)


def build_prompt(problem: Mapping[str, Any], system: str, human_prefix: str) -> Prompt:
    human = f"{human_prefix}\n\n{desc_problem(problem)}\n## Code\n```\n{problem['wrong_code']}\n```"
    return (Message("system", system), Message("user", human))


def _config(values: Mapping[str, str]) -> Config:
    cfg = Config()
    kw: dict[str, Any] = {}
    for name in ("attempts", "runs", "memory_mb"):
        if name in values:
            try:
                kw[name] = int(values[name])
            except ValueError:
                raise ValueError(f"refute: {name} must be an integer, got {values[name]!r}") from None
            if kw[name] < 1:
                raise ValueError(f"refute: {name} must be >= 1, got {kw[name]}")
    if "time_limit" in values:
        tl = values["time_limit"]
        if tl not in ("authors", "problem"):
            try:
                if float(tl) <= 0:
                    raise ValueError
            except ValueError:
                raise ValueError(f"refute: time_limit must be authors, problem or seconds > 0, got {tl!r}") from None
        kw["time_limit"] = tl
    if "prompt" in values:
        if values["prompt"] not in ("zero_shot", "few_shot"):
            raise ValueError(f"refute: prompt must be zero_shot or few_shot, got {values['prompt']!r}")
        kw["prompt"] = values["prompt"]
    if "prompts_dir" in values:
        if not Path(values["prompts_dir"]).is_dir():
            raise ValueError(f"refute: prompts_dir {values['prompts_dir']!r} is not a folder")
        kw["prompts_dir"] = values["prompts_dir"]
    if "original_bugs" in values:
        v = values["original_bugs"].lower()
        if v not in ("true", "false", "1", "0"):
            raise ValueError(f"refute: original_bugs must be true or false, got {values['original_bugs']!r}")
        kw["original_bugs"] = v in ("true", "1")
    return replace(cfg, **kw)


# ------------------------------------------------------------------------------------------------------ run


def _executor(cfg: Config, cache_dir: Path | None) -> Executor:
    return Executor(
        ExecSettings(runs=cfg.runs, original_bugs=cfg.original_bugs, memory_mb=cfg.memory_mb, cache_dir=cache_dir)
    )


def _problem(s: Item, cfg: Config) -> dict[str, Any]:
    return {**s.data, "time_limit_s": cfg.time_limit_s(s.data)}


def evaluate_texts(items: Sequence[Item], texts: Sequence[Sequence[str]], cfg: Config, ex: Executor) -> list[list]:
    """Every attempt of every item, run on the shared sandbox pool; [item][attempt] in input order."""
    from assay.protocols.falsify import evaluate_attempt
    from assay.sandbox import run_many

    jobs, where = [], []
    for i, (s, ts) in enumerate(zip(items, texts, strict=True)):
        prob = _problem(s, cfg)
        for j, t in enumerate(ts):
            jobs.append(lambda prob=prob, t=t: evaluate_attempt(prob, t, ex))
            where.append((i, j))
    done = run_many(jobs)
    out: list[list[dict[str, Any]]] = [[{} for _ in ts] for ts in texts]
    for (i, j), att in zip(where, done, strict=True):
        out[i][j] = {"index": j, **att}
    return out


def _record(s: Item, cfg: Config, attempts: list[dict[str, Any]], extra: dict[str, Any]) -> Record:
    return {
        "id": s.id,
        "subset": s.subset,
        "kind": KIND,
        **s.data,
        "meta": s.meta,
        "prompt_method": cfg.prompt,
        "time_limit_s": cfg.time_limit_s(s.data) or AUTHORS_TIME_LIMIT_S,
        "runs_per_eval": cfg.runs,
        "original_bugs": cfg.original_bugs,
        **extra,
        "attempts": attempts,
        "valid": all(a.get("valid") for a in attempts),
    }


RECOMMENDED_MAX_TOKENS = 2048


def check_sampling(cfg: Config, temperature: float, max_tokens: int) -> None:
    """Refuse pass@k with greedy decoding (k identical completions); warn about a short completion budget
    (the answer is a program: a cut one has no closing ``</action>`` and counts as ``invalid_answer``)."""
    if cfg.attempts > 1 and temperature <= 0:
        raise ValueError(
            f"refute: pass@k needs sampling: --temperature > 0 (attempts={cfg.attempts} at temperature 0 gives "
            f"{cfg.attempts} identical completions)"
        )
    if max_tokens < RECOMMENDED_MAX_TOKENS:
        log.warning(
            "refute: --max-tokens %d is short for an answer that is a program (%d+ recommended); answers cut "
            "at the budget count as invalid_answer (metrics: counts.truncated_answers)",
            max_tokens,
            RECOMMENDED_MAX_TOKENS,
        )


def run(samples: Sequence[Sample], ctx: Any, cfg: Config) -> list[Record]:
    from assay.models.generation import GenerateRequest

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise TypeError("refute: expected Item samples")
    check_sampling(cfg, ctx.sampling.temperature, ctx.sampling.max_tokens)
    system, human = cfg.templates()
    sampling = replace(ctx.sampling, n=cfg.attempts)
    gens = ctx.generate([GenerateRequest(build_prompt(s.data, system, human), sampling) for s in items])
    texts = [list(g.texts) for g in gens]
    attempts = evaluate_texts(items, texts, cfg, _executor(cfg, getattr(ctx, "cache_dir", None)))
    records = []
    for s, g, atts in zip(items, gens, attempts, strict=True):
        for a, reason in zip(atts, g.finish_reasons, strict=False):
            a["finish_reason"] = reason
        records.append(_record(s, cfg, atts, {}))
    return records


# ------------------------------------------------------------------------------------------ released preds


def _make_predictions(cfg: Config) -> Any:
    def predictions(path: Path, opts: LoadOptions) -> PredictionsResult:
        """The authors' preds.json (``[{"problem_id", "method": "standard", "attempts": [{"generate_inp":
        {"code", "lang"}}]}]``), each attempt's program checked like a model answer (no model is run)."""
        raw = path.read_bytes()
        try:
            preds = json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataError(str(path), None, None, f"invalid JSON ({e.msg})") from None
        if not isinstance(preds, list):
            raise DataError(str(path), None, None, "expected a JSON list of predictions")
        loaded = load(LoadOptions(data=opts.data, skip_invalid=opts.skip_invalid))
        by_id = {s.id: s for s in loaded.samples if isinstance(s, Item)}
        items, texts, skipped = [], [], []
        for i, p in enumerate(preds):
            try:
                if not isinstance(p, dict) or p.get("method", "standard") != "standard":
                    raise DataError(str(path), i, "method", "only 'standard' predictions are checked here")
                pid = str(p.get("problem_id"))
                if pid not in by_id:
                    raise DataError(str(path), i, "problem_id", f"unknown problem {pid!r} in {loaded.source}")
                atts = p.get("attempts")
                if not isinstance(atts, list) or not atts:
                    raise DataError(str(path), i, "attempts", "expected a non-empty list")
                ts = []
                for a in atts:
                    g = a.get("generate_inp") if isinstance(a, dict) else None
                    if not isinstance(g, dict) or not isinstance(g.get("code"), str):
                        raise DataError(str(path), i, "attempts", "each attempt needs generate_inp.code")
                    # re-wrapped in the answer format so that the same parser and checks apply
                    ts.append(
                        f"<action>\n<name>print_fail_case</name>\n<code>\n{g['code']}\n</code>\n"
                        f"<lang>{g.get('lang', '')}</lang>\n</action>"
                    )
            except DataError as e:
                if not opts.skip_invalid:
                    raise
                skipped.append({"source": e.source, "row": e.location, "field": e.field, "reason": e.message})
                continue
            items.append(by_id[pid])
            texts.append(ts)
        if opts.limit is not None:
            items, texts = items[: opts.limit], texts[: opts.limit]
        results = evaluate_texts(items, texts, cfg, _executor(cfg, None))
        recs = [_record(s, cfg, a, {"predictions": str(path)}) for s, a in zip(items, results, strict=True)]
        digest = hashlib.sha256(raw + loaded.fingerprint.encode()).hexdigest()
        return PredictionsResult(recs, f"{path} + {loaded.source}", digest, skipped)

    return predictions


# ------------------------------------------------------------------------------------------- outcome/metrics


def outcome(rec: Mapping[str, Any]) -> dict[str, Any]:
    """From the recorded facts of every attempt (see ``falsify.decide``)."""
    verdicts = [decide(a) for a in rec["attempts"]]
    wins = [int(v["success"]) for v in verdicts]
    first = next((i for i, w in enumerate(wins) if w), None)
    return {
        "success": int(any(wins)),
        "correct": int(any(wins)),
        "n_attempts": len(wins),
        "n_success": sum(wins),
        "first_success": first,
        "statuses": [v["status"] for v in verdicts],
        "invalid": sum(1 for a in rec["attempts"] if not a.get("valid")),
    }


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n attempts with c successes: 1 - C(n-c, k)/C(n, k) (Chen et al. 2021)."""
    if not 1 <= k <= n:
        raise ValueError(f"pass@k needs 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    outs = [r["outcome"] for r in records]
    if not outs:
        return {"overall": {"value": float("nan"), "ci": [float("nan"), float("nan")], "n": 0}}
    ns = [o["n_attempts"] for o in outs]
    k = min(ns)
    any_success = mean_ci([o["success"] for o in outs], seed, n_boot, key="pass@k")
    metrics: dict[str, Any] = {
        "overall": {**any_success, "metric": f"pass@{k}" if len(set(ns)) == 1 else "success (any attempt)"},
        "success_rate": any_success,
    }
    for j in range(1, k + 1):
        vals = [pass_at_k(o["n_attempts"], o["n_success"], j) for o in outs]
        metrics[f"pass@{j}"] = mean_ci(vals, seed, n_boot, key=f"pass@{j}")
    statuses = Counter(s for o in outs for s in o["statuses"])
    total = sum(ns)
    wins = sum(o["n_success"] for o in outs)
    metrics["attempts"] = {"total": total, "successes": wins, "rate": wins / total if total else float("nan")}
    metrics["statuses"] = dict(sorted(statuses.items()))
    truncated = sum(1 for r in records for a in r["attempts"] if a.get("finish_reason") == "length")
    metrics["counts"] = {
        "problems": len(outs),
        "invalid_answers": statuses.get("invalid_answer", 0),
        "environment_errors": statuses.get("environment_error", 0),
        "truncated_answers": truncated,
    }
    if truncated:
        metrics["warning"] = (
            f"{truncated} of {total} answers were cut at the completion budget (finish_reason=length) and "
            f"count as failed (mostly invalid_answer): raise --max-tokens ({RECOMMENDED_MAX_TOKENS}+ recommended)"
        )
    return metrics


# ------------------------------------------------------------------------------------------------ register


def _bench(cfg: Config) -> Benchmark:
    return Benchmark(
        name="refute",
        description=(
            "REFUTE: write a program that prints a counterexample input for a wrong solution; the input must "
            "pass the validator and make the wrong solution crash, time out or disagree with a correct one. "
            "overall = pass@k (k = attempts)."
        ),
        source=(
            "Sinha et al. 2025 (arXiv:2502.19414); falsifiers/REFUTE refute/utils/code_exec.py (run_code, "
            "eval_sub, is_fail_case), checker.py (AdaptiveChecker), xml_parser.py, models.py (VanillaLLM)"
        ),
        hub_id=HUB_ID,
        subsets=(SUBSET,),
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run(samples, ctx, cfg),
        predictions=_make_predictions(cfg),
        options=dict(OPTIONS),
        configure=lambda v: _bench(_config(v)),
    )


@register
def refute() -> Benchmark:
    return _bench(Config())
