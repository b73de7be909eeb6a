"""The shared math answer grader: extraction, normalisation, equivalence, sympy timeout, and agreement
with exact match and with the RealCritic files' ``previous_score`` labels (the authors' grader)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.critics import grader
from assay.critics.grader import equivalent, extract_answer, math_equal, normalize
from assay.critics.normalize import choice_answer_clean, convert_word_number, parse_ground_truth, strip_string
from conftest import shared_data

# --- extraction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "task", "want"),
    [
        ("so \\boxed{3} then \\boxed{\\frac{1}{2}}.", None, "\\frac{1}{2}"),  # the last box
        ("\\boxed{\\{1, 2\\}}", None, "{1,2}"),  # nested braces kept, then \{ -> {
        ("Thus the answer is 42.", None, "42"),
        ("The final answer is $7$. I hope it is correct.", None, "7"),  # minerva few-shot form
        ("I bought 3,000 apples and 12 pears", None, "12"),  # the last number, commas dropped
        ("We have 1,234 in total", None, "1234"),
        ("no number here", None, None),
        ("", None, None),
        ("The correct answer is \\boxed{B}.", "arc-challenge", "B"),
        ("Looking at (A) and (C), the answer is (C).", "mmlu_stem", "C"),
        ("\\boxed{5 kg}", "minerva_math", "5kg"),  # minerva keeps unit words
        ("\\boxed{5 kg}", "math", "5"),
        ("\\boxed{5\\text{ m/s}}", "minerva_math", "5"),  # a trailing \text{} goes in every task
        ("\\boxed{100\\%}", None, "100"),
    ],
)
def test_extract_answer(text: str, task: str | None, want: str | None) -> None:
    assert extract_answer(text, task) == want


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\frac12", "\\frac{1}{2}"),
        ("\\frac1{72}", "\\frac{1}{72}"),
        ("3/4", "\\frac{3}{4}"),
        ("\\sqrt3", "\\sqrt{3}"),
        ("5 cm", "5"),
        ("12 inches", "12"),
        ("10^{\\circ}", "10"),
        ("\\$1,000", "1,000"),
        ("50\\%", "50"),
        ("x = 5", "5"),
        ("k=\\frac{1}{2}", "\\frac{1}{2}"),
        ("3.0", "3"),
        ("12.000", "12"),
        ("2.500", "2.500"),  # only all-zero decimals are dropped
        (".5", "0.5"),
        ("five", "5"),
        ("twenty one", "21"),
        ("\\left( 1, 2 \\right]", "(1,2]"),
        ("\\text{(B)}", "(B)"),
        ("\\infty", "\\infty"),
        ("inf", "\\infty"),
        ("2+3j", "2+3i"),
    ],
)
def test_normalize(raw: str, want: str) -> None:
    assert normalize(raw) == want


def test_word_numbers_follow_word2number() -> None:
    assert convert_word_number("two million twenty three thousand and forty nine") == "2023049"
    assert convert_word_number("one point five") == "1.5"
    assert convert_word_number("the point") == "0"  # upstream quirk: a lone "point" is 0
    assert convert_word_number("\\frac{1}{2}") == "\\frac{1}{2}"


def test_choice_answer_clean() -> None:
    assert choice_answer_clean("The answer is (B) thymine.") == "B"
    assert choice_answer_clean("A or D") == "D"  # no trigger: the last letter
    assert choice_answer_clean("the answer is A, not D") == "A"  # after the trigger: the first


# --- equivalence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "gt"),
    [
        ("1,000", "1000"),  # separators
        ("1,000,000", "1000000"),
        ("5 cm", "5"),  # units
        ("12 inches", "12.0"),
        ("\\frac{1}{2}", "0.5"),  # fractions
        ("1/2", "\\frac{1}{2}"),
        ("\\dfrac{3}{4}", "0.75"),
        ("0.3333", "\\frac{1}{3}"),  # rel_tol 1e-4
        ("\\sqrt{8}", "2\\sqrt{2}"),  # LaTeX, symbolic
        ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}"),
        ("1+i\\sqrt{3}", "1+\\sqrt{3}i"),
        ("x^2+2x+1", "(x+1)^2"),
        ("\\frac{x}{7}+\\frac{2}{7}", "\\frac{x+2}{7}"),
        ("\\boxed{5}", "5"),  # boxed
        ("$\\boxed{\\frac{1}{2}}$", "0.5"),
        ("50\\%", "0.5"),  # percentages: x, x/100 and x*100 all count
        ("50%", "50"),
        ("0.5", "50\\%"),
        ("(1,2]", "(1, 2]"),  # intervals
        ("[0, 0.5)", "[0, \\frac{1}{2})"),
        ("(B)", "B"),  # multiple choice
        ("The answer is (C)", "C"),
        ("x = 5", "5"),  # equations
        ("y=2x+1", "2x+1-y=0"),
        ("\\sin^2x+\\cos^2x", "1"),
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2.0\\\\3&4\\end{pmatrix}"),
    ],
)
def test_equivalent(pred: str, gt: str) -> None:
    assert equivalent(pred, gt)


@pytest.mark.parametrize(
    ("pred", "gt"),
    [
        ("3", "4"),
        ("0.33", "\\frac{1}{3}"),  # outside rel_tol 1e-4
        ("B", "C"),
        ("(1,2)", "(1,3)"),
        ("x^2+1", "(x+1)^2"),
        ("\\sqrt{2}", "2"),
        ("", "0"),
        (None, "1"),
        ("1", None),
        # documented upstream behaviour: parse_latex reads \pi as a plain symbol, so a decimal
        # approximation of a multiple of pi is not equal
        ("6.2832", "2\\pi"),
    ],
)
def test_not_equivalent(pred: str | None, gt: str | None) -> None:
    assert not equivalent(pred, gt)


def test_non_strict_parse_like_sympy_parse_latex() -> None:
    # sympy's parse_latex(strict=False), which the authors' grader uses, reads the longest leading
    # expression and ignores the rest: a list's first element stands for it. Kept for fidelity.
    assert math_equal("7", "7,-\\frac{29}{3}")
    assert not math_equal("8", "7,-\\frac{29}{3}")


def test_exact_match_implies_equivalent() -> None:
    for s in ["", "abc", "\\frac{1}{2}", "x^{2}", "Yes.", "  7 ", "\\text{odd}", "(1,2]", "1e5", "%"]:
        assert equivalent(s, s), s


def test_latex_parser_follows_parse_latex() -> None:
    sympy = pytest.importorskip("sympy")
    from assay.critics.latex import LatexParseError, parse_latex

    x, y = sympy.symbols("x y")
    assert sympy.simplify(parse_latex("\\frac{1}{2}") - sympy.Rational(1, 2)) == 0
    assert parse_latex("2x3").doit() == 6  # a bare x between numbers is a times sign (convert_postfix_list)
    assert sympy.simplify(parse_latex("xy") - x * y) == 0
    assert parse_latex("\\sin^{-1}x") == sympy.asin(x)
    assert parse_latex("f(x)") == sympy.Function("f")(x)
    assert parse_latex("\\pi") == sympy.Symbol("pi")
    assert parse_latex("\\infty") == sympy.oo
    assert sympy.simplify(parse_latex("1/2x") - 1 / (2 * x)) == 0  # implicit product binds tighter
    assert sympy.simplify(parse_latex("\\sqrt[3]{27}") - 3) == 0
    assert sympy.simplify(parse_latex("\\log_{2}8") - 3) == 0
    assert parse_latex("7,-\\frac{29}{3}") == 7  # the leading expression only (strict=False)
    with pytest.raises(LatexParseError):
        parse_latex("7,-\\frac{29}{3}", strict=True)
    with pytest.raises(LatexParseError):
        parse_latex("%5")
    assert parse_latex("y=2x").lhs == y


def test_sympy_timeout_counts_as_unequal_and_recovers() -> None:
    a, b = "\\frac{t}{7}+\\frac{3}{7}", "\\frac{t+3}{7}"
    before = grader.stats()
    assert math_equal(a, b, timeout_s=1e-6) is False  # no answer in time: unequal, worker killed
    mid = grader.stats()
    assert mid["timeouts"] == before["timeouts"] + 1
    assert math_equal(a, b, timeout_s=30) is True  # a fresh worker decides it (timeouts are not cached)
    assert grader.stats()["restarts"] >= mid["restarts"]


# --- the RealCritic triples -------------------------------------------------------------------------


def _triples() -> list[tuple[str, str, str, str, bool]]:
    root = shared_data("realcritic")
    out = []
    for f in sorted(Path(root).glob("*.test.jsonl")):
        task = f.name.split(".")[0]
        for line in f.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            gt = parse_ground_truth(r["gt"], r.get("gt_cot"), task)
            out.append((task, str(r["idx"]), r["pred"], gt, bool(r["previous_score"][0])))
    return out


def test_exact_match_agreement_on_realcritic() -> None:
    triples = _triples()
    assert len(triples) == 2093
    same = [(p, g) for _, _, p, g, _ in triples if strip_string(p) == strip_string(g) or p == g]
    assert len(same) > 900
    assert all(math_equal(p, g) for p, g in same if p == g)
    assert all(equivalent(p, g) for p, g in same)


@pytest.mark.slow
def test_agreement_with_previous_score(capsys: pytest.CaptureFixture[str]) -> None:
    """previous_score is the authors' math_equal(pred, gt) on each shipped solution. Measured here:
    2092 of 2093 agree (99.95%); the one miss is college_math/250 (pred 'Yes', gold 'Yes.[\\begin{pmatrix}
    0&1...]works'), which upstream calls equal through its third parser, latex2sympy2 (not available
    here). Under heavy CPU load a few sympy comparisons could time out, hence the small margin."""
    triples = _triples()
    agree, misses = 0, []
    per: dict[str, list[int]] = {}
    for task, idx, pred, gt, label in triples:
        ours = math_equal(pred, gt, timeout_s=20)
        per.setdefault(task, [0, 0])
        per[task][1] += 1
        if ours == label:
            agree += 1
            per[task][0] += 1
        else:
            misses.append((task, idx, pred, gt, label, ours))
    rate = agree / len(triples)
    with capsys.disabled():
        print(f"\ngrader vs previous_score: {agree}/{len(triples)} = {rate:.4%}; per task {per}")
        for m in misses:
            print("  disagreement:", m)
    assert rate >= 0.997
