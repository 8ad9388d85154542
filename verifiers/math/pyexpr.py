"""LaTeX or plain-text math -> a Python expression string, for the exact fast path.

This is a normalizer, not a grammar: it rewrites the handful of LaTeX commands that answers and
step claims actually use (`\\frac`, `\\sqrt`, `^{}`, `\\cdot`, `\\pi`, ...) into Python syntax and
lets `ast.parse` do the parsing. Anything it does not recognise raises `Unsupported`, and the
caller falls back to latex2sympy2_extended in the deadline-bounded worker process.

Number literals are replaced by placeholder names (`_n0`, `_n1`, ...) so that `0.1` stays the exact
decimal 1/10 instead of becoming a float.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_SOURCE = 4000  # longer inputs skip the fast path (the worker has a deadline; we do not)


class Unsupported(ValueError):
    """The fast path cannot represent this input; fall back or abstain."""


class OutOfRange(Unsupported):
    """A value too large to compute (a power beyond 2^(2^40), a factorial of 10^7): sympy would
    grind on it as well, so the comparison ends here as unknown instead of escalating."""


class Malformed(Unsupported):
    """Not a well-formed expression at all (sympy would not parse it either): do not escalate."""


FUNCTIONS = {
    "sqrt", "root", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "log", "ln", "exp", "abs", "factorial", "binom", "floor", "ceil",
}
CONSTANTS = {"pi", "oo", "e", "i"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
_TRIG = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
         "tanh", "ln", "log", "exp"}
_DROP = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|displaystyle|textstyle|"
    r"mathrm|mathit|mathbf|operatorname)(?![A-Za-z])|(?<!\\)\\[,;:!> ]|\\quad|\\qquad|~"
)
_SIMPLE = [
    ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\cfrac", "\\frac"), ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"), ("\\cdot", "*"), ("\\times", "*"), ("\\ast", "*"), ("\\div", "/"),
    ("\\lt", "<"), ("\\gt", ">"), ("\\{", "("), ("\\}", ")"), ("\\lbrace", "("), ("\\rbrace", ")"),
    ("\\lvert", "|"), ("\\rvert", "|"), ("\\vert", "|"), ("\\mid", "|"), ("\\%", "%"),
    ("×", "*"), ("·", "*"), ("⋅", "*"), ("÷", "/"), ("−", "-"), ("–", "-"), ("π", "\\pi "),
    ("∞", "\\infty "), ("√", "\\sqrt"), ("²", "^2"), ("³", "^3"), ("\\lceil", "ceil("),
    ("\\rceil", ")"), ("\\lfloor", "floor("), ("\\rfloor", ")"),
]
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PLAIN_POWER = re.compile(r"\^\s*(\d{2,}(?:\.\d+)?)")


@dataclass
class PyExpr:
    """A translated expression: Python source plus the exact text of each number literal."""

    source: str
    literals: dict[str, str] = field(default_factory=dict)
    names: frozenset[str] = frozenset()


def _read_group(s: str, i: int) -> tuple[str, int]:
    """The next TeX argument at s[i:]: a {...} group, a \\command, or one character."""
    n = len(s)
    while i < n and s[i] == " ":
        i += 1
    if i >= n:
        raise Unsupported("missing argument")
    if s[i] == "{":
        depth, j = 1, i + 1
        while j < n and depth:
            if s[j] == "{":
                depth += 1
            elif s[j] == "}":
                depth -= 1
            j += 1
        if depth:
            raise Malformed("unbalanced braces")
        return s[i + 1 : j - 1], j
    if s[i] == "\\":
        m = _COMMAND.match(s, i)
        if m:
            return s[i : m.end()], m.end()
    return s[i], i + 1


def _matching_paren(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        depth += {"(": 1, ")": -1}.get(s[j], 0)
        if depth == 0:
            return j
    raise Unsupported("unbalanced parentheses")


def _powered_function(cmd: str, s: str, i: int, depth: int) -> tuple[str, int]:
    """`\\sin^2 x` -> (sin(x))**(2): the power applies to the value, as in every textbook."""
    power, i = _read_group(s, i)
    if not re.fullmatch(r"\s*\d+\s*", power):
        raise Unsupported(f"\\{cmd}^{{{power}}}: an inverse or unusual power")
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "(":
        close = _matching_paren(s, i)
        arg, i = s[i + 1 : close], close + 1
    else:
        arg, i = _read_group(s, i)
        if arg.isdigit() and i < len(s) and (s[i].isalnum() or s[i] == "\\"):
            raise Unsupported(f"cannot tell the argument of \\{cmd}^{power}")
    return f" ({cmd}({_convert(arg, depth + 1)}))**({power.strip()}) ", i


def _with_power(s: str, arg: str, i: int) -> tuple[str, int]:
    """A function's bare argument with the power written right after it: a power binds before a
    function applies (`\\log_2 4^{8!}` is log₂(4^{8!}), `\\ln x^2` is ln(x²)), as LaTeX means it."""
    k = i
    while k < len(s) and s[k] == " ":
        k += 1
    if k >= len(s) or s[k] != "^":
        return arg, i
    power, end = _read_group(s, k + 1)
    return f"{{{arg}}}^{{{power}}}", end


def _convert(s: str, depth: int = 0) -> str:
    """Rewrite TeX commands into Python-ish text (still with implicit multiplication)."""
    if depth > 60:
        raise Unsupported("nesting too deep for the fast path")
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            m = _COMMAND.match(s, i)
            if not m:
                raise Unsupported(f"stray backslash at {i}")
            cmd, i = m.group(1), m.end()
            if cmd == "frac":
                a, i = _read_group(s, i)
                b, i = _read_group(s, i)
                if a.strip().isdigit() and b.strip().isdigit() and "".join(out).rstrip()[-1:].isdigit():
                    raise Malformed("a mixed number inside an expression (1\\frac{4}{5}: 1 + 4/5 or 1 * 4/5?)")
                out.append(f"(({_convert(a, depth + 1)})/({_convert(b, depth + 1)}))")
            elif cmd == "binom":
                a, i = _read_group(s, i)
                b, i = _read_group(s, i)
                out.append(f" binom({_convert(a, depth + 1)},{_convert(b, depth + 1)})")
            elif cmd == "sqrt":
                k = i
                while k < n and s[k] == " ":
                    k += 1
                if k < n and s[k] == "[":
                    close = s.find("]", k)
                    if close < 0:
                        raise Unsupported("unclosed root index")
                    index = _convert(s[k + 1 : close], depth + 1)
                    a, i = _read_group(s, close + 1)
                    out.append(f" root({_convert(a, depth + 1)},{index})")
                else:
                    a, i = _read_group(s, i)
                    out.append(f" sqrt({_convert(a, depth + 1)})")
            elif cmd == "pi":
                out.append(" pi ")
            elif cmd in ("infty", "infin"):
                out.append(" oo ")
            elif cmd in GREEK:
                out.append(f" {cmd} ")
            elif cmd == "log" and s[i : i + 1] == "_":
                base, i = _read_group(s, i + 1)
                while i < n and s[i] == " ":
                    i += 1
                number = _NUMBER.match(s, i)
                if i < n and s[i] == "(":
                    close = _matching_paren(s, i)
                    arg, i = s[i + 1 : close], close + 1
                else:
                    if number:  # \\log_2 256: the whole number, not its first digit
                        arg, i = number.group(), number.end()
                    else:
                        arg, i = _read_group(s, i)
                    arg, i = _with_power(s, arg, i)  # \\log_2 4^{8!} is log_2 (4^{8!})
                out.append(f" log({_convert(arg, depth + 1)},{_convert(base, depth + 1)})")
            elif cmd in _TRIG and s[i:].lstrip().startswith("^"):
                text, i = _powered_function(cmd, s, s.index("^", i) + 1, depth)
                out.append(text)
            elif cmd in FUNCTIONS or cmd in _TRIG:
                out.append(f" {cmd} ")
            elif cmd in ("text", "textbf", "textit", "mbox", "hbox"):
                a, i = _read_group(s, i)
                word = re.sub(r"[^A-Za-z0-9]", "", a)
                if a.strip() and not re.fullmatch(r"\s*[A-Za-z]+\s*", a):
                    raise Unsupported(f"text inside math: {a[:30]!r}")
                if word:  # a unit or named quantity: an opaque symbol, as sympy would treat it
                    out.append(f" U_{word} ")
            else:
                raise Unsupported(f"unknown command \\{cmd}")
        elif c == "^":
            a, i = _read_group(s, i + 1)
            out.append(f"**({_convert(a, depth + 1)})")
        elif c == "_":
            a, i = _read_group(s, i + 1)
            if not re.fullmatch(r"[A-Za-z0-9]+", a.strip()):
                raise Unsupported("complex subscript")
            prev = "".join(out)
            digits = re.search(r"(?<![A-Za-z_.\d])(\d+)$", prev)
            if digits:  # 52_8, a numeral in another base: an opaque symbol equal only to itself
                out[:] = [prev[: digits.start()], f" N_{digits.group(1)}_{a.strip()} "]
            else:
                out.append("_" + a.strip())
        elif c in "{}":
            out.append("(" if c == "{" else ")")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+(?![A-Za-z]))?|\.\d+)"
    r"|(?P<name>[A-Za-z](?:_[A-Za-z0-9]+)*)"
    r"|(?P<op>\*\*|[-+*/^(),!%|<>=]))"
)
_WORDS = sorted(FUNCTIONS | CONSTANTS | GREEK, key=len, reverse=True)
_WORD = re.compile(r"\s*(" + "|".join(_WORDS) + r")(?![A-Za-z])")


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; multi-letter runs split into single-letter names unless a known word."""
    toks: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        m = _WORD.match(text, i)
        if m:
            w = m.group(1)
            toks.append(("func" if w in FUNCTIONS else "name", w))
            i = m.end()
            continue
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise Unsupported(f"unexpected character {text[i]!r}")
        kind = m.lastgroup or "op"
        toks.append((kind, m.group(kind)))
        i = m.end()
    return toks


def _power_after(toks: list[tuple[str, str]], j: int) -> list[tuple[str, str]]:
    """The tokens of `** atom` (a number, a name or a bracketed group) starting at j, or []."""
    if j + 1 >= len(toks) or toks[j][1] != "**":
        return []
    if toks[j + 1][0] in ("num", "name"):
        return toks[j : j + 2]
    if toks[j + 1][1] != "(":
        return []
    depth = 0
    for e in range(j + 1, len(toks)):
        depth += {"(": 1, ")": -1}.get(toks[e][1], 0)
        if depth == 0:
            return toks[j : e + 1]
    return []


def _ends_value(tok: tuple[str, str]) -> bool:
    return tok[0] in ("num", "name") or tok[1] in (")", "!", "%")


def _starts_value(tok: tuple[str, str]) -> bool:
    return tok[0] in ("num", "name", "func") or tok[1] == "("


def _atom_start(out: list[str], kinds: list[str]) -> int:
    """Index in `out` where the atom ending at out[-1] begins (for postfix ! and %)."""
    j = len(out) - 1
    if out[j] == ")":
        depth = 0
        while j >= 0:
            depth += {")": 1, "(": -1}.get(out[j], 0)
            if depth == 0:
                break
            j -= 1
        if j > 0 and kinds[j - 1] == "func":
            j -= 1
    return max(j, 0)


def to_python(text: str) -> PyExpr:
    """Translate one scalar expression; raises Unsupported for anything outside the fast path."""
    if len(text) > MAX_SOURCE:
        raise Unsupported("too long for the fast path")
    s = _DROP.sub(" ", text)
    for a, b in _SIMPLE:
        if a in s:
            s = s.replace(a, b)
    s = s.replace("^\\circ", "").replace("°", "")
    s = _PLAIN_POWER.sub(r"^{\1}", s)  # plain-text 2^10 means 2^{10}, never 2^1 * 0
    s = _convert(s)
    if s.count("(") != s.count(")"):
        raise Malformed("unbalanced parentheses")
    toks = _tokens(s)
    out: list[str] = []
    kinds: list[str] = []
    literals: dict[str, str] = {}
    names: set[str] = set()
    abs_open = False
    prev: tuple[str, str] | None = None
    k = 0
    while k < len(toks):
        kind, t = toks[k]
        if kind == "func" and (k + 1 >= len(toks) or toks[k + 1][1] != "("):
            # `\sin x`, `\ln 2`: the argument is the next atom (with an optional power)
            if k + 1 >= len(toks) or toks[k + 1][0] not in ("num", "name"):
                raise Unsupported(f"cannot tell the argument of {t}")
            arg = [toks[k + 1]]
            if arg[0][0] == "num" and k + 2 < len(toks) and toks[k + 2][0] == "name":
                arg.append(toks[k + 2])  # \\cos 2x is cos(2x), as textbooks mean it
            arg += _power_after(toks, k + 1 + len(arg))  # \\sin x^2 is sin(x²): the power binds first
            if k + 1 + len(arg) < len(toks) and toks[k + 1 + len(arg)][0] in ("num", "name"):
                raise Unsupported(f"cannot tell where the argument of {t} ends")  # \\sin x y
            toks[k : k + 1 + len(arg)] = [("func", t), ("op", "(")] + arg + [("op", ")")]
        if prev is not None and _ends_value(prev) and _starts_value((kind, t)):
            out.append("*")
            kinds.append("op")
        if kind == "num":
            key = f"_n{len(literals)}"
            literals[key] = t
            out.append(key)
        elif kind == "name":
            names.add(t)
            out.append(t)
        elif t == "^":
            out.append("**")
        elif t == "!":
            if not out or not _ends_value(prev or ("op", "")):
                raise Unsupported("dangling !")
            j = _atom_start(out, kinds)
            out[j:] = ["factorial(" + "".join(out[j:]) + ")"]
            kinds[j:] = ["name"]
            prev = ("op", ")")
            k += 1
            continue
        elif t == "%":
            out.append("*_pct")
        elif t == "|":
            if abs_open:
                out.append(")")
                t = ")"
            else:
                if prev is not None and _ends_value(prev):
                    out.append("*")
                    kinds.append("op")
                out.append("abs")
                kinds.append("func")
                out.append("(")
                t = "("
            abs_open = not abs_open
            kind = "op"
        elif t in "<>=":
            raise Malformed("relation inside a scalar")
        else:
            out.append(t)
        kinds.append(kind)
        prev = (kind, t)
        k += 1
    if abs_open:
        raise Malformed("unbalanced |")
    return PyExpr("".join(out), literals, frozenset(names))
