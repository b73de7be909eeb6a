r"""Answer extraction and normalisation, ported line for line from the RealCritic / Qwen2.5-Math parser.

Source: tangzhy/RealCritic ``parser.py`` (built on QwenLM/Qwen2.5-Math ``evaluation/parser.py``):
``strip_string``, ``_fix_fracs``, ``_fix_a_slash_b``, ``_fix_sqrt``, ``convert_word_number``, the
``unit_texts`` list, ``choice_answer_clean``, ``extract_answer`` and ``parse_ground_truth`` (the branch
RealCritic rows take). Each function keeps the original's order of steps and its quirks, because the
benchmark's numbers depend on them; the quirks are listed here rather than fixed:

* the unit words are used as *regular expressions* without escaping (``"q ."`` matches ``q`` + any
  character), twice over, and a removal that would leave an empty string is skipped;
* ``convert_word_number`` (``word2number.w2n.word_to_num``, ported in ``_word_to_num``) runs on the whole
  answer, so ``"one half"`` becomes ``"1"`` and a lone ``"point"`` becomes ``"0"``;
* ``"and"`` is deleted everywhere (``"\\land"`` loses it too) and a ``j`` becomes ``i`` when there is no
  ``i``;
* ``k=...`` with a left side of at most two characters keeps only the right side.

Nothing here imports sympy: extraction and normalisation are plain string work.
"""

from __future__ import annotations

import re

# parser.py STRIP_EXCEPTIONS: tasks whose answers keep their units and are not stripped as ground truth.
STRIP_EXCEPTIONS = ("carp_en", "minerva_math")
CHOICES = ("A", "B", "C", "D", "E")

# --- word2number 1.1 (word2number/w2n.py), used by parser.py convert_word_number -------------------

_NUMBER_WORDS: dict[str, int | str] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "thousand": 1000, "million": 1000000, "billion": 1000000000, "point": ".",
}  # fmt: skip
_DECIMAL_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _number_formation(words: list[str]) -> int:
    nums = [_NUMBER_WORDS[w] for w in words]
    if len(nums) == 4:
        return nums[0] * nums[1] + nums[2] + nums[3]  # type: ignore[operator]
    if len(nums) == 3:
        return nums[0] * nums[1] + nums[2]  # type: ignore[operator]
    if len(nums) == 2:
        return nums[0] * nums[1] if 100 in nums else nums[0] + nums[1]  # type: ignore[operator]
    return nums[0]  # type: ignore[return-value]  (IndexError on [] as upstream)


def _decimal_sum(words: list[str]) -> float:
    digits = []
    for w in words:
        if w not in _DECIMAL_WORDS:
            return 0
        digits.append(_NUMBER_WORDS[w])
    return float("0." + "".join(map(str, digits)))


def _word_to_num(sentence: str) -> int | float:
    """``w2n.word_to_num``: raises (ValueError, IndexError, ...) when the text holds no number words."""
    sentence = sentence.replace("-", " ").lower()
    if sentence.isdigit():
        return int(sentence)
    words = [w for w in sentence.strip().split() if w in _NUMBER_WORDS]
    if not words:
        raise ValueError("No valid number words found!")
    if any(words.count(w) > 1 for w in ("thousand", "million", "billion", "point")):
        raise ValueError("Redundant number word!")
    decimals: list[str] = []
    if words.count("point") == 1:
        decimals = words[words.index("point") + 1 :]
        words = words[: words.index("point")]
    bi = words.index("billion") if "billion" in words else -1
    mi = words.index("million") if "million" in words else -1
    th = words.index("thousand") if "thousand" in words else -1
    if (th > -1 and (th < mi or th < bi)) or (mi > -1 and mi < bi):
        raise ValueError("Malformed number!")
    total: int | float = 0
    if words:
        if len(words) == 1:
            total += _NUMBER_WORDS[words[0]]  # type: ignore[operator]
        else:
            if bi > -1:
                total += _number_formation(words[0:bi]) * 1000000000
            if mi > -1:
                total += _number_formation(words[bi + 1 : mi] if bi > -1 else words[0:mi]) * 1000000
            if th > -1:
                if mi > -1:
                    mult = _number_formation(words[mi + 1 : th])
                elif bi > -1:
                    mult = _number_formation(words[bi + 1 : th])
                else:
                    mult = _number_formation(words[0:th])
                total += mult * 1000
            last = len(words) - 1
            if th > -1 and th != last:
                hundreds = _number_formation(words[th + 1 :])
            elif mi > -1 and mi != last and th != last:
                hundreds = _number_formation(words[mi + 1 :])
            elif bi > -1 and bi != last:
                hundreds = _number_formation(words[bi + 1 :])
            elif th == -1 and mi == -1 and bi == -1:
                hundreds = _number_formation(words)
            else:
                hundreds = 0
            total += hundreds
    if decimals:
        total += _decimal_sum(decimals)
    return total


def convert_word_number(text: str) -> str:
    """parser.py ``convert_word_number``: the number spelled in ``text``, else ``text`` unchanged."""
    try:
        return str(_word_to_num(text))
    except Exception:  # upstream: a bare ``except`` around w2n.word_to_num
        return text


# --- parser.py strip_string ----------------------------------------------------------------------

# units mainly from MathQA (parser.py ``unit_texts``), then each with an "s" appended
_UNITS = [
    "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .", "monkey",
    "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain",
    "ab", "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "a", "h",
    "no change", "men", "soldier", "pie", "bc", "excess", "st", "inches", "noon", "percent", "by", "gal",
    "kmh", "c", "acre", "rise", "a . m", "th", "π r 2", "sq", "mark", "l", "toy", "coin", "sq . m",
    "gallon", "° f", "profit", "minw", "yr", "women", "feet", "am", "pm", "hr", "cu cm", "square",
    "v â € ™", "are", "rupee", "rounds", "cubic", "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour",
    "minute", "min", "second", "man", "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare",
    "more", "sec", "unit", "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm",
    "apple", "liter", "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface",
    "litre", "pi sq m", "s .", "metre", "meter", "inch",
]  # fmt: skip
UNIT_TEXTS: tuple[str, ...] = tuple(_UNITS + [t + "s" for t in _UNITS])
_UNIT_PATTERNS = tuple(re.compile(r"(^|\W)" + u + r"($|\W)") for u in UNIT_TEXTS)


def _fix_fracs(string: str) -> str:
    r"""``\frac12`` -> ``\frac{1}{2}``, ``\frac1{72}`` -> ``\frac{1}{72}``; unchanged if malformed."""
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if len(substr) > 0 and substr[0] == "{":
            new_str += substr
        else:
            if len(substr) < 2:
                return string
            a, b = substr[0], substr[1]
            if b != "{":
                new_str += "{" + a + "}{" + b + "}" + substr[2:]
            else:
                new_str += "{" + a + "}" + b + substr[2:]
    return new_str


def _fix_a_slash_b(string: str) -> str:
    r"""``3/4`` -> ``\frac{3}{4}`` when both sides are integers written canonically."""
    parts = string.split("/")
    if len(parts) != 2:
        return string
    a: int | str
    b: int | str
    a, b = parts
    try:
        if "sqrt" not in a:
            a = int(a)
        if "sqrt" not in b:
            b = int(b)
        if string != f"{a}/{b}":
            return string
        return "\\frac{" + str(a) + "}{" + str(b) + "}"
    except Exception:
        return string


def _fix_sqrt(string: str) -> str:
    return re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", string)


def strip_string(string: object, skip_unit: bool = False) -> str:
    """parser.py ``strip_string``: the canonical text of an answer, step for step as upstream."""
    s = str(string).strip()
    s = s.replace("\n", "")
    s = s.rstrip(".")
    s = s.replace("\\!", "")
    # matrix
    s = re.sub(r"\\begin\{array\}\{.*?\}", r"\\begin{pmatrix}", s)
    s = re.sub(r"\\end\{array\}", r"\\end{pmatrix}", s)
    s = s.replace("bmatrix", "pmatrix")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("\\{", "{").replace("\\}", "}")
    # a trailing \text{...} unit, unless it is the whole answer
    t = re.sub(r"\\text{.*?}$", "", s).strip()
    if t != "" and t != s:
        s = t
    if not skip_unit:
        for _ in range(2):
            for pat in _UNIT_PATTERNS:
                t = pat.sub(r"\1\2", s)
                if t != "":
                    s = t
    s = s.replace("^{\\circ}", "").replace("^\\circ", "")
    s = s.replace("\\$", "").replace("$", "")
    s = s.replace("\\(", "").replace("\\)", "")
    s = convert_word_number(s)
    s = re.sub(r"\\text\{(.*?)\}", r"\1", s)
    for key in ["x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"]:
        s = s.replace(key, "")
    s = s.replace("\\emptyset", r"{}")
    s = s.replace("(-\\infty,\\infty)", "\\mathbb{R}")
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if (
        (s.startswith("{") and s.endswith("}") and s.isalnum())
        or (s.startswith("(") and s.endswith(")") and s.isalnum())
        or (s.startswith("[") and s.endswith("]") and s.isalnum())
    ):
        s = s[1:-1]  # never taken (a bracketed string is not alphanumeric); kept as upstream
    s = s.replace("infinity", "\\infty")
    if "\\infty" not in s:
        s = s.replace("inf", "\\infty")
    s = s.replace("+\\inity", "\\infty")
    s = s.replace("and", "")
    s = s.replace("\\mathbf", "")
    s = re.sub(r"\\mbox{.*?}", "", s)
    if "j" in s and "i" not in s:
        s = s.replace("j", "i")
    s = re.sub(r"(\d+)\.0*([^\d])", r"\1\2", s)
    s = re.sub(r"(\d+)\.0*$", r"\1", s)
    if len(s) == 0:
        return s
    if s[0] == ".":
        s = "0" + s
    if len(s.split("=")) == 2 and len(s.split("=")[0]) <= 2:
        s = s.split("=")[1]
    s = _fix_sqrt(s)
    s = s.replace(" ", "")
    s = _fix_fracs(s)
    s = _fix_a_slash_b(s)
    return s


# --- parser.py answer extraction ------------------------------------------------------------------

_TRIGGERS = ("choice is", "answer is")


def choice_answer_clean(pred: str) -> str:
    """parser.py ``choice_answer_clean``: the option letter a free-text answer names."""
    pred = pred.strip("\n")
    icl = any(pred.count(t) > 1 for t in _TRIGGERS)
    if icl:
        pred = pred.split("\n\n")[0]
    parts = re.split("|".join(_TRIGGERS), pred)
    answer_flag = len(parts) > 1
    if answer_flag:
        pred = parts[-1]
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    found = re.findall(r"\b(A|B|C|D|E)\b", pred.upper())
    cands = found if found else [pred.strip().strip(".")]
    out = (cands[0] if answer_flag else cands[-1]) if cands else ""
    return out.rstrip(".").rstrip("/")


def last_boxed(text: str) -> str:
    r"""The content after the last ``boxed`` (balanced braces), or up to the next ``$`` without braces."""
    ans = text.split("boxed")[-1]
    if len(ans) == 0:
        return ""
    if ans[0] != "{":
        return ans.split("$")[0].strip()
    depth, out = 1, []
    for c in ans[1:]:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        out.append(c)
    return "".join(out)


def extract_answer(pred_str: str, data_name: str = "", use_last_number: bool = True) -> str:
    """parser.py ``extract_answer``: the final answer of a solution text, normalised ("" if none)."""
    pred_str = pred_str.replace("\u043a\u0438", "")
    if data_name in ("mmlu_stem", "sat_math", "aqua", "gaokao2023"):
        return choice_answer_clean(pred_str)
    if "final answer is $" in pred_str and "$. I hope" in pred_str:  # minerva_math few-shot format
        pred = pred_str.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    elif "boxed" in pred_str:
        if pred_str.split("boxed")[-1] == "":
            return ""
        pred = last_boxed(pred_str)
    elif "he answer is" in pred_str:
        pred = pred_str.split("he answer is")[-1].strip()
    elif "final answer is" in pred_str:
        pred = pred_str.split("final answer is")[-1].strip()
    elif "best answer is" in pred_str:
        pred = pred_str.split("best answer is")[-1].strip()
    elif "correct answer is" in pred_str:
        pred = pred_str.split("correct answer is")[-1].strip()
    elif "答案是" in pred_str:
        pred = pred_str.split("答案是")[1].strip().split("\n\n")[0].strip()
    elif use_last_number:
        nums = re.findall(r"-?\d*\.?\d+", pred_str.replace(",", ""))
        pred = nums[-1] if nums else ""
    else:
        pred = ""
    if data_name in ("sat_math", "aqua", "arc-challenge", "gpqa") or "mmlu" in data_name:
        letters = re.findall(r"\b(A|B|C|D|E)\b", pred.upper())
        pred = letters[-1] if letters else pred.strip().strip(".")
    pred = re.sub(r"\n\s*", "", pred)
    if pred != "" and pred[0] == ":":
        pred = pred[1:]
    if pred != "" and pred[-1] == ".":
        pred = pred[:-1]
    if pred != "" and pred[-1] == "/":
        pred = pred[:-1]
    return strip_string(pred, skip_unit=data_name in ("carp_en", "minerva_math"))


def parse_ground_truth(gt: str, gt_cot: str | None, data_name: str) -> str:
    """parser.py ``parse_ground_truth``, branch for rows with ``gt_cot`` and ``gt`` (all RealCritic rows):
    MATH re-extracts the boxed answer of its reference solution, minerva_math keeps ``gt`` as is, the
    others strip it."""
    if data_name == "math":
        return extract_answer(gt_cot if gt_cot is not None else "None", data_name)
    if data_name in STRIP_EXCEPTIONS:
        return gt
    return strip_string(gt)


def is_multi_choice(answer: str) -> bool:
    """math_eval.py ``is_multi_choice``: every character an option letter (vacuously true for "")."""
    return all(c in CHOICES for c in answer)
