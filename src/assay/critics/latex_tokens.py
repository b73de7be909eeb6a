r"""The lexer of :mod:`assay.critics.latex` (sympy's ``LaTeX.g4`` tokens, as far as answers need them)
and the command tables its recursive-descent parser consults.

Split out of latex.py to keep each module small; the parser and its docstring (grammar, sources,
extensions) are in :mod:`assay.critics.latex`, which re-exports ``Tok`` and ``tokenize``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SKIP_CMDS = {
    "thinspace", "medspace", "thickspace", "quad", "qquad", "negthinspace", "negmedspace",
    "negthickspace", "left", "right", "vrule", "vcenter", "vbox", "vskip", "vspace", "hfil", "limits",
}  # fmt: skip
_FUNC_NORMAL = {
    "exp", "log", "lg", "ln", "sin", "cos", "tan", "csc", "sec", "cot", "arcsin", "arccos", "arctan",
    "arccsc", "arcsec", "arccot", "sinh", "cosh", "tanh", "arsinh", "arcosh", "artanh",
}  # fmt: skip
_TRIG = ("sin", "cos", "tan", "csc", "sec", "cot", "sinh", "cosh", "tanh")
_REL = {"=": "Eq", "<": "Lt", ">": "Gt", "le": "Le", "leq": "Le", "leqslant": "Le", "ge": "Ge", "geq": "Ge"}
_REL.update({"geqslant": "Ge", "ne": "Ne", "neq": "Ne", "lt": "Lt", "gt": "Gt"})
_MULOPS = {"*", "times", "cdot", "/", "div", ":"}
_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<num>\d+(?:,\d\d\d)*(?:\.\d+)?)|(?P<cmd>\\[a-zA-Z]+)|(?P<esc>\\.)|(?P<diff>d(?:[a-zA-Z]|\\[a-zA-Z]+))"
    r"|(?P<letter>[a-zA-Z])|(?P<op>[-+*/()\[\]{}|^_:!=<>,'&.])"
)


@dataclass(frozen=True)
class Tok:
    kind: str  # num | cmd | letter | diff | op | lbrace_lit | rbrace_lit
    text: str


def tokenize(s: str) -> list[Tok]:
    r"""LaTeX.g4's lexer, as far as answers need it (spacing and ``\left``/``\right`` skipped)."""
    out: list[Tok] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:  # an unknown character: the rest is one error token (parse_latex rejects it)
            out.append(Tok("error", s[pos:]))
            break
        pos = m.end()
        kind = m.lastgroup
        text = m.group()
        if kind == "ws":
            continue
        if kind == "esc":
            if text in ("\\{", "\\}"):
                out.append(Tok("lbrace_lit" if text == "\\{" else "rbrace_lit", text))
            elif text in ("\\,", "\\:", "\\;", "\\!", "\\*", "\\-", "\\.", "\\/", '\\"', "\\(", "\\=", "\\ "):
                continue
            else:
                out.append(Tok("error", s[m.start() :]))
                break
            continue
        if kind == "cmd":
            name = text[1:]
            if name in _SKIP_CMDS:
                continue
            out.append(Tok("cmd", name))
            continue
        if kind == "op" and text == "&":  # only '&=' is a token (EQUAL)
            if s[pos : pos + 1] == "=":
                pos += 1
                out.append(Tok("op", "="))
                continue
            out.append(Tok("error", s[m.start() :]))
            break
        out.append(Tok(kind or "op", text))
    return out


_FUNC_STARTS = _FUNC_NORMAL | {"sqrt", "overline", "sum", "prod", "int", "lim"}
# Commands with a grammar role of their own (never a plain symbol).
_RESERVED = (
    _FUNC_NORMAL
    | set(_REL)
    | {"sqrt", "overline", "sum", "prod", "int", "lim", "frac", "dfrac", "tfrac", "binom", "dbinom", "tbinom"}
    | {"mathit", "times", "cdot", "div", "lfloor", "rfloor", "lceil", "rceil", "to", "begin", "end"}
)
