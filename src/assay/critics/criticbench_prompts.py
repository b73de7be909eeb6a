"""CriticBench prompts: the authors' prompt files and the built-in zero-shot templates.

``src/infer/infer.py`` ``prepare_question_with_template`` + ``set_prompt`` (``(instruction + examples +
question).strip()``, every example kept), prompt files split as ``src/utils/data_processor.py``
``DataProcessor.load_single_prompt``, ``infer_hf``'s stop strings. Built in: the ``zs-crit-cot`` templates
(critique ``zero_shot_chain_of_thought.txt``, correction ``zero_shot_with_chain_of_thought_critique.txt``);
other prompt types are read from a checkout of the authors' ``src/prompt`` folder (``prompt_dir``).

Verified vs inferred: the indexed copy of the authors' repository (commit 245f785) stores identical files
once, so only some zs-cot files were seen: critique for HumanEval, MBPP and Object Counting; correction for
every source but GSM8K, MATH, HotpotQA and Penguins. The built-in prompts of the other sources are
*inferred* (taken to equal a seen file, ``_CRITIQUE_ZS_DEFAULT`` and ``INFERRED``); ``prompts_verified``
says per source whether both prompts of an item were seen (always true with ``prompt_dir``: the authors'
files are read), ``INFERRED_SOURCES`` lists the sources whose built-in prompts are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assay.critics.criticbench_parse import CODE, SOURCES

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
# the zs-crit-cot critique files that were seen (the other sources use the Object Counting text)
VERIFIED_CRITIQUE = ("HumanEval", "MBPP", "Object Counting")
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


def prompts_verified(source: str, prompt_dir: str | None) -> bool:
    """Whether an item's critique and correction prompts are the authors' text as seen (not inferred)."""
    return prompt_dir is not None or (source in VERIFIED_CRITIQUE and source not in INFERRED)


INFERRED_SOURCES: tuple[str, ...] = tuple(s for s in SOURCES if not prompts_verified(s, None))


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


@lru_cache(maxsize=256)
def _prompt_file(path: str) -> PromptInfo:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"criticbench: prompt file {p} not found (prompt_dir = the authors' src/prompt)")
    return parse_prompt_file(p.read_text(encoding="utf-8"))


def prompt_info(task: str, source: str, prompt_type: str, prompt_dir: str | None) -> PromptInfo:
    """The prompt for (task, source, prompt type): built in, or the authors' file under ``prompt_dir``."""
    if prompt_dir is None:
        return builtin_prompt(task, source, prompt_type)
    name = (CRITIQUE_FILES if task == "critique" else CORRECTION_FILES)[prompt_type]
    return _prompt_file(str(Path(prompt_dir) / task / source / name))


def prompt_pattern(task: str, source: str, prompt_type: str, prompt_dir: str | None) -> str:
    """The answer format of that prompt (read from the file when ``prompt_dir`` is given)."""
    if prompt_dir is not None:
        return prompt_info(task, source, prompt_type, prompt_dir).answer_pattern
    return answer_pattern(task, source, prompt_type)


def cut_at_stop(text: str) -> str:
    """The generation up to the first stop string (what vLLM returns with ``stop=STOP``)."""
    cut = min((i for i in (text.find(s) for s in STOP) if i >= 0), default=len(text))
    return text[:cut]
