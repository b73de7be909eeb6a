"""CriticBench (Lin et al. 2024, "CriticBench: Benchmarking LLMs for Critique-Correct Reasoning",
arXiv:2402.14809): does a model see that a solution is wrong (critique), and can it then fix it (correction)?

Data: hub ``llm-agents/CriticBench``, split ``test``; columns ``id``, ``question``, ``response`` (the solution
to judge), ``response_label`` (bool: the response is correct), ``answer`` (gold answers; for MBPP/HumanEval
``answer[0]`` is the test code), ``question_source`` (one of 15 datasets = the subset) and ``question_type``
(the reasoning domain: mathematical, commonsense, symbolic, coding, algorithmic). An ``Item`` keeps them.

Protocol, as CriticBench/CriticBench ``src/evaluate.py`` ``evaluate_model`` with tasks "QC":

* critique prompt, then correction prompt with the critique inserted (``src/infer/infer.py``
  ``prepare_question_with_template`` + ``set_prompt``: ``(instruction + examples + question).strip()``);
  prompt files parsed as ``src/utils/data_processor.py`` ``DataProcessor.load_single_prompt``. Option
  ``prompt`` = the authors' ``--prompt_type`` (fs | zs-crit-cot | zs-crit-ao-1/2/3). Built in: the
  zero-shot ``zs-crit-cot`` templates (critique ``zero_shot_chain_of_thought.txt``, correction
  ``zero_shot_with_chain_of_thought_critique.txt``). The paper's few-shot prompts (and the ao variants) are
  read from a checkout of the authors' ``src/prompt`` folder: ``prompt_dir=PATH``. All examples are kept
  (the authors drop examples only when a prompt exceeds the model's context); the generation is cut at the
  first of ``infer_hf``'s stop strings (vLLM ``stop``: the same text for greedy decoding).
* verdict: ``src/utils/parser.py`` ``extract_answer_str_by_answer_pattern`` (``json: verdict`` takes the
  JSON ``verdict``) then ``extract_answer_by_question_source(task="critique")``: ``[[correct]]`` xor
  ``[[wrong]]``; else the words "wrong"/"incorrect"/"not correct" -> wrong, "correct" -> correct; else unparsed.
* critique score (``src/infer/result_processor.py`` ``ResultProcessor.analyse_result``): 100 x F1 of the
  class "response is wrong" (sklearn ``f1_score``; 0 when there is no positive, as sklearn's
  zero_division); an unparsed verdict is forced to the *mistaken* prediction (``pred_labels.append(check[0])``),
  reported separately in ``counts.critique_unparsed``. A missing critique counts the same (the authors'
  code crashes there). ``extra.discriminability`` = right verdicts / parsed verdicts (Critique-RL's
  discriminability, unparsed excluded).
* correction accuracy (``ResultProcessor.result_check`` task "correction", over all items): the answer is
  extracted per source (``extract_answer_by_question_source``, ported) and compared as the authors do:
  HotpotQA/AmbigNQ ``EM`` to any gold answer; AQuA/CSQA/Date/Penguins/Colored Object
  ``math_equal(gold.lower(), pred.lower())``; Repeat Copy ``math_equal(raw.strip(), gold)``; GSM8K/Object
  Counting/StrategyQA/TabMWP lower-cased ``math_equal(pred, gold)`` (``src/utils/grader.py``, ported). MATH
  uses the project's shared math grader (``assay.critics.grader``: ``extract_answer`` (the same ToRA parser
  lineage as the authors' ``extract_latex_answer``) + ``equivalent`` (sympy-backed, more lenient than the
  authors' string ``math_equal``)); option ``grader=shared`` uses ``equivalent`` for GSM8K/Object
  Counting/TabMWP too. Bug fixed (``original_bug=true`` restores it): a MATH answer already isolated by
  the answer format (``[[3/8]]``) is taken whole, where upstream keeps only its last number ("8"); and a
  TabMWP final fraction is kept (``extract_answer``). MBPP/HumanEval need execution (``check_code``:
  program = code + "\n" + test): run on the ``assay.sandbox`` pool when installed (code_eval's 3 s timeout
  as a CPU-time limit, wall clock capped at 15 s), otherwise recorded as not supported and left out of the
  accuracy (``counts.correction_not_supported``). Bug fixed as well: under a ``json: code`` prompt the
  authors execute the raw reply (JSON text), here the extracted code.
* metrics are fractions (the report shows x100 like the paper): overall = critique F1; per task
  (question_source) in ``subsets``, per domain (question_type) in ``sections``; correction accuracy and
  discriminability in ``extra``; seeded bootstrap CIs resampling items within (task, domain) cells.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assay.benchmarks.pairs import row_id
from assay.benchmarks.registry import Benchmark, LoadOptions, LoadResult, PredictionsResult, Record, register
from assay.data.fields import get_str, optional
from assay.data.rows import DataError, Row
from assay.samples import Item

HUB_ID = "llm-agents/CriticBench"
SPLIT = "test"
SOURCES: tuple[str, ...] = (  # evaluate_configuration.dataset_in_criticbench
    "GSM8K", "MATH", "AQuA", "CSQA", "AmbigNQ", "StrategyQA", "HotpotQA", "Penguins", "Colored Object",
    "Date", "MBPP", "Object Counting", "Repeat Copy", "TabMWP", "HumanEval",
)  # fmt: skip
CODE = ("MBPP", "HumanEval")
CHOICE = ("AQuA", "Colored Object", "CSQA", "Date", "Penguins")
NUMERIC = ("GSM8K", "Object Counting", "TabMWP")  # math_equal sources that grader=shared switches
# infer_hf's SamplingParams stop strings
STOP = ("\n\nQuestion:", "\n\nTable:", "\n\n---", "\n\nYou are an expert Python programmer", "\nAnalysis and verdict:")
CRITIQUE_FILES = {
    "fs": "few_shot.txt",
    "zs-crit-cot": "zero_shot_chain_of_thought.txt",
    "zs-crit-ao-1": "zero_shot_answer_only_1.txt",
    "zs-crit-ao-2": "zero_shot_answer_only_2.txt",
    "zs-crit-ao-3": "zero_shot_answer_only_3.txt",
}
CORRECTION_TYPE = {"fs": "fs", "zs-crit-cot": "zs-cot", **{f"zs-crit-ao-{i}": "zs-ao" for i in (1, 2, 3)}}
CORRECTION_FILES = {
    "fs": "few_shot.txt",
    "zs-cot": "zero_shot_with_chain_of_thought_critique.txt",
    "zs-ao": "zero_shot_with_answer_only_critique.txt",
}

# --- built-in zs-crit-cot templates: the "#Question#" part of the authors' files, verbatim -------------
_VERDICT_JSON = (
    "Provide your analysis and verdict in JSON format as follows: "
    '{"analysis": "your analysis", "verdict": "correct or wrong"}.\nAnalysis and verdict:'
)
_REVIEW = "Review your previous answer and find problems with your answer.\n" + _VERDICT_JSON
_CRITIQUE_ZS = {
    "MBPP": "Question:\n{question}\nAnswer:\n{solution}\n" + _REVIEW,
    "HumanEval": "Code:\n{solution}\nReview your previous code and find problems with your code.\n" + _VERDICT_JSON,
}
_CRITIQUE_ZS_DEFAULT = "Question: {question}\nAnswer: {solution}\n" + _REVIEW  # "Object Counting" file
_QA = "Question: {question}\nAnswer: {solution}\nAnalysis and verdict: {critique}\n"
_FIX = "Based on the problems you found, improve your answer. "
_JSON = 'in the JSON format as follows: {"solution":"improved solution", "answer":"your answer"}.'
_ITERATE = "Please reiterate your solution, with your final answer "
_NUM = _ITERATE + "a single numerical number, " + _JSON
_LETTER = "You must choose only one option from A to {x}. " + _ITERATE + "a single letter from A to {x}, "
_SHORT = _ITERATE + "as either a single numerical number, a single word, or a short phrase, " + _JSON
_SPEC = {
    "Object Counting": _NUM,
    "CSQA": _LETTER.format(x="E") + _JSON,
    "AQuA": _LETTER.format(x="E") + _JSON.replace("your answer", "A to E"),
    "Date": _LETTER.format(x="F") + _JSON,
    "Colored Object": "You must choose only one option. " + _ITERATE + "being a single letter, " + _JSON,
    "StrategyQA": 'Please reiterate your solution in the JSON format as follows: {"solution":"improved solution", '
    '"answer":"yes or no"}.',
    "AmbigNQ": _SHORT,
    "TabMWP": _ITERATE + "as either a single numerical number or one option from A to D, " + _JSON,
}
# not in the indexed copy of the repository (it stores identical files once): taken to equal these
INFERRED = {"GSM8K": "Object Counting", "MATH": "Object Counting", "HotpotQA": "AmbigNQ", "Penguins": "CSQA"}
_CODE_FIX = (
    'Based on the problems you found, improve your code in the JSON format as follows: {"code":"improved code"}.'
)
_CORRECTION_ZS = {
    **{
        s: _QA + _FIX + _SPEC[INFERRED.get(s, s)] + "\nImproved solution and answer:"
        for s in SOURCES
        if s not in (*CODE, "Repeat Copy")
    },
    "Repeat Copy": _QA + "Based on the problems you found, improve your answer in the JSON format as follows: "
    '{"answer":"improved answer"}.\nImproved answer:',
    "MBPP": _QA + _CODE_FIX + "\nImproved code:",
    "HumanEval": "Code:\n{solution}\nAnalysis and verdict: {critique}\n" + _CODE_FIX + "\nImproved code:",
}


@dataclass(frozen=True)
class PromptInfo:
    """One prompt file as ``DataProcessor.load_single_prompt`` splits it."""

    instruction: str
    examples: str
    question_template: str
    answer_pattern: str

    def fill(self, **blanks: str) -> str:
        """``prepare_question_with_template`` + ``set_prompt`` (every example kept), stripped."""
        q = self.question_template
        for name in re.findall(r"\{(question|solution|critique)}", q):
            q = q.replace("{" + name + "}", blanks[name])
        return (self.instruction + self.examples + q).strip()


def parse_prompt_file(text: str) -> PromptInfo:
    instruction = examples = question = pattern = ""
    for part in text.split("\n# ########## #"):
        if "#instruction#" in part:
            instruction = part.replace("#instruction#\n", "").replace("#instruction#", "")
        elif "#Example#" in part:
            examples = part.replace("#Example#\n", "").replace("#Example#", "")
        elif "#Question#" in part:
            question = part.replace("#Question#\n", "").replace("#Question#", "")
        elif "#Answer Format#" in part:
            pattern = part.replace("#Answer Format#", "").strip()
    return PromptInfo(instruction, examples if examples.strip() else "", question, pattern)


def builtin_prompt(task: str, source: str, prompt_type: str) -> PromptInfo:
    """The built-in zero-shot templates (zs-crit-cot); other prompt types need ``prompt_dir``."""
    if prompt_type != ("zs-crit-cot" if task == "critique" else "zs-cot"):
        raise ValueError(
            f"criticbench: prompt type {prompt_type!r} is not built in (only zs-crit-cot is); pass "
            "--option prompt_dir=PATH to the authors' src/prompt folder (github.com/CriticBench/CriticBench)"
        )
    if task == "critique":
        return PromptInfo("", "", _CRITIQUE_ZS.get(source, _CRITIQUE_ZS_DEFAULT), "json: verdict")
    return PromptInfo("", "", _CORRECTION_ZS[source], "json: code" if source in CODE else "json: answer")


def answer_pattern(task: str, source: str, prompt_type: str) -> str:
    """The ``#Answer Format#`` of the authors' file for (task, source, prompt type)."""
    if task == "critique":
        return "json: verdict" if prompt_type == "zs-crit-cot" else "[[correct/wrong]]"
    if prompt_type == "fs":
        return "code" if source in CODE else "[[]]"
    return "json: code" if source in CODE else "json: answer"


# --- parsing (src/utils/parser.py) ------------------------------------------------------------------------
def extract_answer_str(pred_str: str, pattern: str) -> str:
    """``extract_answer_str_by_answer_pattern``: a JSON key (``json: key``) or the last ``[[...]]``."""
    result = pred_str
    if "json" in pattern:
        dicts = re.findall(r"\{.*?}", pred_str, re.DOTALL)
        key = pattern.replace("json:", "").strip()
        if dicts and key in dicts[0]:
            pred_str = dicts[0]
        try:
            result = str(json.loads(pred_str)[key])
        except (json.JSONDecodeError, KeyError, TypeError):
            found = re.findall(f"{key}.*?" + "}", pred_str, re.DOTALL)
            result = found[0] if found else pred_str
    elif pattern == "[[]]":
        found = re.findall(r"\[\[(.*?)]]", pred_str)
        if found:
            result = found[-1]
    return result


def parse_verdict(text: str, pattern: str) -> str | None:
    """ "correct", "wrong" or None (unparsed), as ``extract_answer_by_question_source(task="critique")``."""
    s = extract_answer_str(text, pattern).lower()
    if "[[correct]]" in s and "[[wrong]]" not in s:
        return "correct"
    if "[[correct]]" not in s and "[[wrong]]" in s:
        return "wrong"
    if "wrong" in s or "incorrect" in s or "not correct" in s:
        return "wrong"
    return "correct" if "correct" in s else None


_NUM_RE = r"-?\d*\.?\d+"


def _strip_money(s: str) -> str:
    return s.replace("$", "").replace("€", "").replace(",", "").replace("£", "").replace(", ", "")


def extract_answer(pred_str: str, source: str, original_bug: bool = False) -> str:
    """``extract_answer_by_question_source(task="correction")`` for every source but MATH.

    TabMWP: the authors drop a final fraction ("... is 3/4." gives "."): the number search runs on the
    text after the fraction and its empty result overwrites it. Fixed unless ``original_bug``.
    """
    if source in CODE or source == "Repeat Copy":
        return pred_str
    if source == "AmbigNQ":
        return (pred_str.split("he answer is:")[-1] if "he answer is" in pred_str else pred_str).strip(".")
    if source == "HotpotQA":
        return (pred_str.split("he answer is")[-1] if "he answer is" in pred_str else pred_str).strip(".")
    if source == "StrategyQA":
        if "he answer is " in pred_str:
            s = pred_str.split("he answer is ")[-1].lower()
            yes, no = "yes" in s, "no" in s
        else:
            s = pred_str.lower()
            yes, no = bool(re.search(r"\byes\b", s)), bool(re.search(r"\bno\b", s))
        return "yes" if yes and not no else "no" if no and not yes else ""
    if source in ("CSQA", "Date", "Penguins", "Colored Object"):
        tail = pred_str.split("he answer is ")[-1] if "he answer is " in pred_str else pred_str
        options = re.findall(r"\((.)\)", tail)
        if options or "he answer is " in pred_str:
            return options[-1] if options else ""
        options = re.findall(r"\b(?:option: |answer: )?\(?([A-Za-z])\)?(?=[\s\.,:;]|$)", pred_str)
        return options[-1] if options else ""
    if source == "TabMWP":
        s = pred_str.split("he answer is ")[-1] if "he answer is " in pred_str else pred_str
        options = re.findall(r"\((.)\)", s)
        pred = ""
        if options:
            pred = options[-1]
        else:
            s = _strip_money(s).replace(" /", "/").replace("/ ", "/")
            fracs = re.findall(r"(\d+/\d+)", s)
            if fracs:
                pred = fracs[-1]
                s = s.split(pred)[-1]
            nums = re.findall(_NUM_RE, s)
            if nums or not fracs or original_bug:
                pred = nums[-1] if nums else s.strip(".")
        return pred if pred != "" else s
    if source == "AQuA":
        for pat in (
            r"he answer is (.)\).",
            r"\b(.)\)",
            r"\b[A-G]\b",
            r"\b(?:option: |answer: )?\(?([A-G])\)?(?=[\s\.,:;]|$)",
        ):
            found = re.findall(pat, pred_str)
            if found:
                return found[-1]
        return ""
    if source in ("GSM8K", "Object Counting"):
        s = pred_str.split("he answer is ")[-1] if "he answer is " in pred_str else pred_str
        nums = re.findall(_NUM_RE, _strip_money(s))
        return nums[-1] if nums else ""
    raise ValueError(f"no answer extraction for source {source!r}")


# --- grading (src/utils/grader.py) ------------------------------------------------------------------------
def _is_digit(s: Any) -> bool:
    try:
        float(str(s).replace(",", ""))
        return True
    except ValueError:
        return False


def math_equal(prediction: Any, reference: Any, include_percentage: bool = True, is_close: bool = True) -> bool:
    """The authors' ``math_equal``: numbers (also x/100 and x*100, rel_tol 1e-4), then bracket-stripped text."""
    if _is_digit(prediction) and _is_digit(reference):
        p = float(str(prediction).replace(",", ""))
        r = float(str(reference).replace(",", ""))
        for item in [r / 100, r, r * 100] if include_percentage else [r]:
            if math.isclose(item, p, rel_tol=1e-4) if is_close else item == p:
                return True
        return False
    if not prediction and prediction not in [0, False]:
        return False
    reference, prediction = str(reference).strip(), str(prediction).strip()
    pred_s, ref_s = prediction, reference
    if (prediction.startswith("[") and prediction.endswith("]") and not reference.startswith("(")) or (
        prediction.startswith("(") and prediction.endswith(")") and not reference.startswith("[")
    ):
        pred_s, ref_s = pred_s.strip("[]()"), ref_s.strip("[]()")
    for ch in "{}()":
        ref_s, pred_s = ref_s.replace(ch, ""), pred_s.replace(ch, "")
    if pred_s == ref_s:
        return True
    brackets = (
        (prediction.startswith("[") and prediction.endswith("]"))
        and (reference.startswith("[") and reference.endswith("]"))
        or (prediction.startswith("(") and prediction.endswith(")"))
        and (reference.startswith("(") and reference.endswith(")"))
    )
    if brackets:
        pp, rp = prediction[1:-1].split(","), reference[1:-1].split(",")
        if len(pp) == len(rp) and all(
            math_equal(a, b, include_percentage, is_close) for a, b in zip(pp, rp, strict=True)
        ):
            return True
    return False


_PUNCT = frozenset(string.punctuation)


def normalize_answer(s: str) -> str:
    """SQuAD normalisation as ``grader.normalize_answer``: lower, drop punctuation and articles, squeeze."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def em(answer: str, key: str) -> bool:
    return normalize_answer(answer) == normalize_answer(key)


def _shared_grader() -> Any:
    try:
        from assay.critics import grader
    except ImportError as e:  # pragma: no cover - depends on the shared grader being installed
        raise RuntimeError("criticbench: MATH / grader=shared need assay.critics.grader") from e
    return grader


def math_answer(raw: str, answer_str: str, original_bug: bool = False) -> str:
    """The MATH answer: ``extract_latex_answer`` (boxed, "the answer is", else the *last number*).

    Bug fixed unless ``original_bug``: an answer the prompt's format already isolated (``[[3/8]]``, a JSON
    ``answer``) without boxed / "the answer is" is taken whole; upstream its last number ("8") is kept.
    """
    g = _shared_grader()
    isolated = answer_str != raw and "boxed" not in answer_str and "he answer is" not in answer_str
    if isolated and not original_bug:
        return g.normalize(answer_str.strip())
    return g.extract_answer(answer_str) or ""


def grade(source: str, raw: str, pattern: str, answers: Sequence[Any], question: str, opts: Options) -> dict[str, Any]:
    """The corrected answer and whether it is right: {"answer", "correct" (bool|None), "error"}."""
    answer_str = extract_answer_str(raw, pattern)
    if source in CODE:
        return _grade_code(source, raw, answer_str, pattern, answers, question, opts)
    if source == "MATH":
        pred = math_answer(raw, answer_str, opts.original_bug)
        ok = pred != "" and any(_shared_grader().equivalent(pred, str(g)) for g in answers)
        return {"answer": pred, "correct": bool(ok), "error": None}
    pred = extract_answer(answer_str, source, opts.original_bug)
    if source in ("HotpotQA", "AmbigNQ"):
        ok = any(em(pred, str(g)) for g in answers)
    elif source in CHOICE:
        ok = any(math_equal(str(g).lower(), pred.lower()) for g in answers)
    elif source == "Repeat Copy":
        pred = raw.strip()
        ok = any(math_equal(pred, g) for g in answers)
    elif opts.grader == "shared" and source in NUMERIC:
        ok = pred != "" and any(_shared_grader().equivalent(pred, str(g)) for g in answers)
    else:
        lower = [g.lower() if isinstance(g, str) else g for g in answers]
        ok = any(math_equal(pred.lower(), g) for g in lower)
    return {"answer": pred, "correct": bool(ok), "error": None}


def _grade_code(
    source: str, raw: str, answer_str: str, pattern: str, answers: Sequence[Any], question: str, opts: Options
) -> dict[str, Any]:
    """``check_code``: program = cleaned code + "\\n" + answer[0] (the tests), passed = it runs cleanly."""
    code = raw if (opts.original_bug or "json" not in pattern) else answer_str
    if source == "HumanEval":
        if "def" not in code:
            code = question + code
        code = code.replace("[DONE]", "").replace("[BEGIN]", "").replace("```python", "").replace("```", "")
    else:
        code = code.replace("[DONE]", "").replace("[BEGIN]", "")
    # executed later for all items at once (execute_code): HF code_eval runs candidate + "\n" + test
    return {"answer": code, "correct": None, "error": None, "program": code + "\n" + str(answers[0])}


def _sandbox() -> Callable[[str], Any] | None:
    """``assay.sandbox.run_python`` with code_eval's 3-second limit, or None when it is not installed."""
    try:
        from assay.sandbox import Limits, run_python
    except ImportError:
        return None
    limits = Limits(wall_s=15.0, cpu_s=3.0)  # code_eval's 3 s timeout as CPU time; wall clock capped at 15 s
    return lambda program: run_python(program, limits=limits)


def execute_code(records: Sequence[Record]) -> None:
    """Run every pending code correction (``correction.program``) on the sandbox pool; fill correct/error."""
    pending = [r["correction"] for r in records if r.get("correction") and "program" in r["correction"]]
    run = _sandbox()
    if run is None:
        for c in pending:
            c.update(correct=None, error="not supported: code correction needs execution and assay.sandbox is missing")
            del c["program"]
        return
    from assay.sandbox import run_many

    results = run_many([lambda p=c["program"]: run(p) for c in pending])
    for c, res in zip(pending, results, strict=True):
        del c["program"]
        c.update(correct=bool(res.ok), error=None if res.ok else f"{res.status}: {res.stderr[-500:]}")


# --- data -----------------------------------------------------------------------------------------------
def from_row(row: Row) -> Item:
    source = get_str(row, "question_source")
    if source not in SOURCES:
        raise DataError.at(row, "question_source", f"unknown source {source!r}; expected one of {list(SOURCES)}")
    label = row.data.get("response_label")
    if isinstance(label, int) and not isinstance(label, bool) and label in (0, 1):
        label = bool(label)
    if not isinstance(label, bool):
        raise DataError.at(row, "response_label", f"expected a bool (the response is correct), got {label!r:.40}")
    answers = optional(row, "answer")
    if answers is None or (isinstance(answers, str) and not answers.strip()):
        raise DataError.at(row, "answer", "missing (the gold answer(s))")
    answers = list(answers) if isinstance(answers, list | tuple) else [answers]
    if not answers or any(a is None for a in answers):
        raise DataError.at(row, "answer", f"expected gold answers, got {answers!r:.60}")
    data = {
        "question": get_str(row, "question"),
        "response": get_str(row, "response", allow_empty=True),
        "response_label": label,
        "answers": answers,
        "domain": get_str(row, "question_type"),
    }
    return Item(id=row_id(row), data=data, meta={"subset": source})


def load(opts: LoadOptions) -> LoadResult:
    from assay.data.collect import collect
    from assay.data.rows import read_rows

    source = opts.data or HUB_ID
    return collect(
        read_rows(source, split=SPLIT),
        from_row,  # type: ignore[arg-type]
        skip_invalid=opts.skip_invalid,
        source=source,
        subsets=opts.subsets,
        limit=opts.limit,
    )


# --- options, prompts, protocol ---------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _prompt_file(path: str) -> PromptInfo:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"criticbench: prompt file {p} not found (prompt_dir = the authors' src/prompt)")
    return parse_prompt_file(p.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Options:
    prompt: str | None = None  # None: zs-crit-cot for a run; the file name's type (else "fs") for predictions
    prompt_dir: str | None = None
    grader: str = "authors"
    original_bug: bool = False

    @property
    def run_prompt(self) -> str:
        return self.prompt or "zs-crit-cot"

    def prompt_info(self, task: str, source: str, prompt_type: str) -> PromptInfo:
        if self.prompt_dir is None:
            return builtin_prompt(task, source, prompt_type)
        name = (CRITIQUE_FILES if task == "critique" else CORRECTION_FILES)[prompt_type]
        return _prompt_file(str(Path(self.prompt_dir) / task / source / name))

    def pattern(self, task: str, source: str, prompt_type: str) -> str:
        if self.prompt_dir is not None:
            return self.prompt_info(task, source, prompt_type).answer_pattern
        return answer_pattern(task, source, prompt_type)


OPTIONS = {
    "prompt": "the authors' --prompt_type: zs-crit-cot (built in, default) | fs | zs-crit-ao-1/2/3 (need prompt_dir)",
    "prompt_dir": "path to the authors' src/prompt folder (few-shot and answer-only prompt files)",
    "grader": "authors (default: ported math_equal) | shared (assay.critics.grader for GSM8K/Object Counting/TabMWP)",
    "original_bug": "true: the authors' bugs (MATH [[a/b]] -> last number, TabMWP final fraction dropped, "
    "raw reply executed for json code corrections)",
}


def make_options(values: Mapping[str, str]) -> Options:
    o = Options(
        prompt=values.get("prompt"),
        prompt_dir=values.get("prompt_dir"),
        grader=values.get("grader", "authors"),
        original_bug=values.get("original_bug", "false").lower() in ("1", "true", "yes"),
    )
    if o.prompt is not None and o.prompt not in CRITIQUE_FILES:
        raise ValueError(f"criticbench: prompt must be one of {', '.join(CRITIQUE_FILES)}, got {o.prompt!r}")
    if o.grader not in ("authors", "shared"):
        raise ValueError(f"criticbench: grader must be authors or shared, got {o.grader!r}")
    return o


def cut_at_stop(text: str) -> str:
    """The generation up to the first stop string (what vLLM returns with ``stop=STOP``)."""
    cut = min((i for i in (text.find(s) for s in STOP) if i >= 0), default=len(text))
    return text[:cut]


def run_protocol(samples: Sequence[Any], ctx: Any, opts: Options) -> list[Record]:
    """Critique every item, then ask for a correction given that critique (two ``ctx.generate`` rounds)."""
    from assay.models.generation import GenerateRequest
    from assay.samples import user_prompt

    items = [s for s in samples if isinstance(s, Item)]
    if len(items) != len(samples):
        raise ValueError("criticbench: run expects the Items its loader produces")
    crit_type = opts.run_prompt
    corr_type = CORRECTION_TYPE[crit_type]

    def ask(prompts: list[str]) -> list[str]:
        gens = ctx.generate([GenerateRequest(user_prompt(p), ctx.sampling) for p in prompts])
        return [g.text for g in gens]

    crit_raw = ask(
        [
            opts.prompt_info("critique", s.subset, crit_type).fill(
                question=s.data["question"], solution=s.data["response"]
            )
            for s in items
        ]
    )
    critiques = [cut_at_stop(t) for t in crit_raw]
    corr_raw = ask(
        [
            opts.prompt_info("correction", s.subset, corr_type).fill(
                question=s.data["question"], solution=s.data["response"], critique=c
            )
            for s, c in zip(items, critiques, strict=True)
        ]
    )
    records = []
    for s, craw, ctext, kraw in zip(items, crit_raw, critiques, corr_raw, strict=True):
        records.append(_record(s, crit_type, ctext, craw, corr_type, cut_at_stop(kraw), kraw, opts))
    execute_code(records)
    return records


def _record(
    s: Item,
    crit_type: str,
    crit_text: str | None,
    crit_raw: str | None,
    corr_type: str | None,
    corr_text: str | None,
    corr_raw: str | None,
    opts: Options,
) -> Record:
    source = s.subset
    verdict = None
    if crit_text is not None:
        verdict = parse_verdict(crit_text, opts.pattern("critique", source, crit_type))
    critique = {"prompt_type": crit_type, "raw": crit_raw, "text": crit_text, "verdict": verdict}
    critique.update(valid=verdict is not None, missing=crit_text is None)
    correction: dict[str, Any] | None = None
    if corr_type is not None:
        correction = {"prompt_type": corr_type, "raw": corr_raw, "text": corr_text, "missing": corr_text is None}
        if corr_text is None:  # result_check: a missing result counts as wrong
            correction.update(answer=None, correct=False, error="no correction output for this id")
        else:
            pattern = opts.pattern("correction", source, corr_type)
            d = s.data
            correction.update(grade(source, corr_text, pattern, d["answers"], d["question"], opts))
    return {
        "id": s.id,
        "subset": source,
        "kind": "criticbench",
        **s.data,
        "critique": critique,
        "correction": correction,
    }


# --- released outputs (the authors' output/<model>/{critique,correction}/<type>_result_<time>.jsonl) -------
def _type_from_name(path: Path, task: str) -> str | None:
    prefix = path.name.split("_result_")[0] if "_result_" in path.name else None
    known = CRITIQUE_FILES if task == "critique" else CORRECTION_FILES
    return prefix if prefix in known else None


def _find(path: Path, task: str) -> Path | None:
    folder = path / task
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.jsonl"))
    if len(files) > 1:
        raise DataError(str(folder), None, None, f"several result files, pass one: {[f.name for f in files]}")
    return files[0] if files else None


def _read_results(path: Path) -> dict[str, dict[str, str]]:
    """{"critique_result": {id: text}, "correction_result": {id: text}} from one result file."""
    from assay.data.rows import read_rows

    out: dict[str, dict[str, str]] = {}
    for row in read_rows(str(path)):
        rid = row_id(row)
        keys = [k for k in ("critique_result", "correction_result") if k in row.data]
        if not keys:
            raise DataError.at(
                row, "critique_result", "missing (a result row holds critique_result or correction_result)"
            )
        for key in keys:
            seen = out.setdefault(key, {})
            if rid in seen:
                raise DataError.at(row, "id", f"duplicate id {rid!r}")
            seen[rid] = get_str(row, key, allow_empty=True)
    return out


def predictions(path: Path, opts: LoadOptions, o: Options) -> PredictionsResult:
    """Records from released critique (and correction) results, joined by id with the dataset.

    ``path``: the authors' ``output/<model>`` folder (``critique/<type>_result_<time>.jsonl`` and optionally
    ``correction/...``), or one JSONL file of rows ``{"id", "critique_result"[, "correction_result"]}``. The
    prompt type (it fixes the answer format) is the ``prompt`` option, else the file name's prefix, else "fs".
    An id without a result is kept: a missing critique counts as unparsed, a missing correction as wrong.
    """
    if path.is_dir():
        crit_file, corr_file = _find(path, "critique"), _find(path, "correction")
        if crit_file is None:
            raise DataError(str(path), None, None, "no critique/<type>_result_<time>.jsonl (the authors' layout)")
        crit = _read_results(crit_file).get("critique_result", {})
        corr = _read_results(corr_file).get("correction_result", {}) if corr_file else None
        files = [crit_file] + ([corr_file] if corr_file else [])
    else:
        crit_file = corr_file = path
        both = _read_results(path)
        if "critique_result" not in both:
            raise DataError(str(path), None, "critique_result", "no row holds a critique_result")
        crit, corr, files = both["critique_result"], both.get("correction_result"), [path]
    crit_type = o.prompt or _type_from_name(crit_file, "critique") or "fs"
    corr_type = None
    if corr is not None:
        named = _type_from_name(corr_file, "correction") if corr_file is not None else None
        corr_type = CORRECTION_TYPE[o.prompt] if o.prompt else (named or CORRECTION_TYPE[crit_type])
    loaded = load(opts)
    records = []
    for s in loaded.samples:
        assert isinstance(s, Item)
        ct = crit.get(s.id)
        kt = corr.get(s.id) if corr is not None else None
        records.append(_record(s, crit_type, ct, ct, corr_type, kt, kt, o))
    execute_code(records)
    digest = hashlib.sha256(loaded.fingerprint.encode())
    for f in files:
        digest.update(f.read_bytes())
    source = ", ".join(str(f) for f in files) + f" + {loaded.source}"
    return PredictionsResult(records, source, digest.hexdigest(), loaded.skipped)


# --- outcome and aggregation ----------------------------------------------------------------------------
def outcome(record: Record) -> dict[str, Any]:
    gold_wrong = not bool(record["response_label"])
    verdict = record["critique"]["verdict"]
    parsed = verdict is not None
    pred_wrong = (verdict == "wrong") if parsed else (not gold_wrong)  # unparsed: the mistaken prediction
    corr = record.get("correction")
    correct = None if corr is None or corr.get("correct") is None else int(bool(corr["correct"]))
    return {
        "gold_wrong": int(gold_wrong),
        "pred_wrong": int(pred_wrong),
        "parsed": int(parsed),
        "verdict_right": int(pred_wrong == gold_wrong),
        "correction": correct,
    }


def f1_wrong(a: np.ndarray) -> np.ndarray:
    """F1 of the class "wrong" over (B, n, 2) arrays of [gold_wrong, pred_wrong]; 0 with no positive."""
    g, p = a[..., 0], a[..., 1]
    tp = (g * p).sum(axis=-1)
    den = 2 * tp + ((1 - g) * p).sum(axis=-1) + (g * (1 - p)).sum(axis=-1)
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def _mean(a: np.ndarray) -> np.ndarray:
    return a.mean(axis=-1) if a.shape[-1] else np.full(a.shape[:-1], np.nan)


def _levels(
    cells: dict[tuple[str, str], list[Any]], stat: Callable[[np.ndarray], np.ndarray], seed: int, n_boot: int, key: str
) -> dict[str, Any]:
    """``stat`` overall, per task and per domain, bootstrapped within (task, domain) cells."""
    from assay.metrics.bootstrap import stratified_cis

    cells = {k: v for k, v in cells.items() if v}
    if not cells:
        return {}
    names = {f"{t}\x00{d}": (t, d) for t, d in cells}
    groups = {n: np.asarray(cells[td], dtype=float) for n, td in names.items()}

    def over(select: Callable[[tuple[str, str]], bool]) -> Callable[[Mapping[str, np.ndarray]], np.ndarray]:
        chosen = sorted(n for n, td in names.items() if select(td))
        return lambda sampled: stat(np.concatenate([sampled[n] for n in chosen], axis=1))

    stats = {"overall": over(lambda td: True)}
    counts = {"overall": sum(len(v) for v in groups.values())}
    for level, i in (("task", 0), ("domain", 1)):
        for value in sorted({td[i] for td in names.values()}):
            stats[f"{level}:{value}"] = over(lambda td, i=i, v=value: td[i] == v)
            counts[f"{level}:{value}"] = sum(len(groups[n]) for n, td in names.items() if td[i] == value)
    return stratified_cis(groups, stats, seed, n_boot, n=counts, key=key)


def aggregate(records: Sequence[Record], seed: int, n_boot: int) -> dict[str, Any]:
    if not records:
        raise ValueError("no records to aggregate")
    f1_cells: dict[tuple[str, str], list[Any]] = {}
    disc_cells: dict[tuple[str, str], list[Any]] = {}
    corr_cells: dict[tuple[str, str], list[Any]] = {}
    unparsed = missing = unsupported = corr_missing = 0
    for r in records:
        o = outcome(r)
        cell = (str(r["subset"]), str(r.get("domain", "")))
        f1_cells.setdefault(cell, []).append([o["gold_wrong"], o["pred_wrong"]])
        if o["parsed"]:
            disc_cells.setdefault(cell, []).append(o["verdict_right"])
        unparsed += 1 - o["parsed"]
        missing += int(bool(r["critique"].get("missing")))
        corr = r.get("correction")
        if corr is not None:
            corr_missing += int(bool(corr.get("missing")))
            if o["correction"] is None:
                unsupported += 1
            else:
                corr_cells.setdefault(cell, []).append(o["correction"])
    f1 = _levels(f1_cells, f1_wrong, seed, n_boot, "criticbench:f1")
    disc = _levels(disc_cells, _mean, seed, n_boot, "criticbench:disc")
    corr_m = _levels(corr_cells, _mean, seed, n_boot, "criticbench:correction")

    def split(m: Mapping[str, Any], level: str) -> dict[str, Any]:
        return {k.split(":", 1)[1]: v for k, v in m.items() if k.startswith(level + ":")}

    return {
        "overall": f1["overall"],
        "sections": split(f1, "domain"),
        "subsets": split(f1, "task"),
        "counts": {
            "items": len(records),
            "critique_unparsed": unparsed,
            "critique_missing": missing,
            "correction_missing": corr_missing,
            "correction_not_supported": unsupported,
        },
        "extra": {
            "metric": "overall/sections/subsets = F1 of 'response is wrong' (unparsed forced to the mistaken label)",
            "discriminability": {"overall": disc.get("overall"), "domains": split(disc, "domain")},
            "correction_accuracy": {
                "overall": corr_m.get("overall"),
                "domains": split(corr_m, "domain"),
                "tasks": split(corr_m, "task"),
            },
        },
    }


def build(values: Mapping[str, str] | None = None) -> Benchmark:
    o = make_options(values or {})
    return Benchmark(
        name="criticbench",
        description="CriticBench (critique-correct): critique F1 on wrong responses (unparsed forced wrong) and "
        "correction accuracy over 15 datasets in 5 domains; zero-shot prompts built in, few-shot via prompt_dir.",
        source="Lin et al. 2024 (arXiv:2402.14809); CriticBench/CriticBench src/evaluate.py evaluate_model, "
        "src/infer/result_processor.py ResultProcessor.result_check/analyse_result, src/utils/parser.py",
        hub_id=HUB_ID,
        subsets=SOURCES,
        load=load,
        outcome=outcome,
        aggregate=aggregate,
        run=lambda samples, ctx: run_protocol(samples, ctx, o),
        predictions=lambda path, lopts: predictions(path, lopts, o),
        options=OPTIONS,
        configure=build,
    )


@register
def criticbench() -> Benchmark:
    return build()
