"""CriticBench answer parsing, ported from CriticBench/CriticBench ``src/utils/parser.py``.

``extract_answer_str_by_answer_pattern`` (a prompt's ``#Answer Format#``: a JSON key or the last ``[[...]]``)
and ``extract_answer_by_question_source`` (task "critique": the verdict; task "correction": the answer of
each source dataset but MATH, which uses the shared math grader, see ``criticbench_grade``). The 15 source
datasets are the benchmark's subsets (``evaluate_configuration.dataset_in_criticbench``).
"""

from __future__ import annotations

import json
import re

SOURCES: tuple[str, ...] = (  # evaluate_configuration.dataset_in_criticbench
    "GSM8K", "MATH", "AQuA", "CSQA", "AmbigNQ", "StrategyQA", "HotpotQA", "Penguins", "Colored Object",
    "Date", "MBPP", "Object Counting", "Repeat Copy", "TabMWP", "HumanEval",
)  # fmt: skip
CODE = ("MBPP", "HumanEval")


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
