"""The bundled math sample (`pipeline/sample/math.jsonl`) is well formed and its labels are true.

The sample is hand-written (no dataset rows copied). Each chain carries a gold `first_error` and a
`kind` (correct / slip / reasoning / wrong_final); later tests of the labelers compare against
those gold labels, so this test proves them: the final answers agree (or disagree) with the
reference, and a small independent arithmetic checker finds no false equation before
`first_error` and finds one exactly at `first_error` in every `slip` chain.

Fast and Ray-free. `tests/tools/check_sample.py` prints the same findings per step for authoring.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Optional

import pytest

from steplabel.verifiers.math.extract import extract_answer

REPO = Path(__file__).resolve().parents[2]
KINDS = {"correct", "slip", "reasoning", "wrong_final"}
STEP_SPLIT = re.compile(r"\n\s*\n")


def sample_path() -> Path:
    """The sample through the installed package when it resolves to a file, else the checkout."""
    try:
        from importlib.resources import files

        candidate = files("steplabel.pipeline").joinpath("sample", "math.jsonl")
        if candidate.is_file():
            return Path(str(candidate))
    except (ImportError, ModuleNotFoundError, TypeError, FileNotFoundError):
        pass
    return REPO / "pipeline" / "sample" / "math.jsonl"


def load_sample() -> list[dict]:
    rows = []
    with sample_path().open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                rows.append(json.loads(line))
            else:
                raise AssertionError(f"blank line {n} in the sample")
    return rows


def split_steps(text: str) -> list[str]:
    return STEP_SPLIT.split(text)


# --------------------------------------------------------------------------------------------
# A small arithmetic checker, independent of steplabel's own: finds `a op b = c` (and longer
# chains such as `16 - 3 - 4 = 9`, `x = 14 / 2 = 7`, `<<9*2=18>>`, `$2 \times 7 = 14$`,
# `\frac{3}{4} \times 8 = 6`) and says whether each is true. Anything touching a variable
# (`2x + 3 = 11`) is left alone rather than guessed at.
# --------------------------------------------------------------------------------------------

_ANNOTATION = re.compile(r"<<([^<>]*)>>")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_TEXT_LIKE = re.compile(r"\\(?:text|mathrm|textbf|mbox|boxed)\s*\{([^{}]*)\}")
_TOKEN = re.compile(
    r"(?P<NUM>(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]\d)|\d+(?:\.\d+)?)"
    r"|(?P<NL>[ \t]*\n\s*)"
    r"|(?P<WS>[ \t]+)"
    r"|(?P<OP>\*\*|[-+*/×÷^])"
    r"|(?P<PCT>%)"
    r"|(?P<LP>\()"
    r"|(?P<RP>\))"
    r"|(?P<EQ>(?<![<>!=])=(?!=))"
    r"|(?P<WORD>[A-Za-z_]+)"
    r"|(?P<OTHER>.)",
    re.DOTALL,
)
_ARITH = {"NUM", "OP", "PCT", "LP", "RP", "EQ", "WS"}


def _normalize_math(text: str) -> str:
    text = text.replace("\\left", "").replace("\\right", "")
    text = text.replace("\\%", "%").replace("\\$", "$")
    for _ in range(5):
        new = _FRAC.sub(r"((\1)/(\2))", text)
        new = _TEXT_LIKE.sub(r" \1 ", new)
        if new == text:
            break
        text = new
    text = re.sub(r"\\(?:times|cdot|ast)(?![A-Za-z])", " × ", text)
    text = re.sub(r"\\div(?![A-Za-z])", " ÷ ", text)
    text = re.sub(r"\\[,;:! ]", " ", text)
    text = re.sub(r"\\[A-Za-z]+", " LATEX ", text)
    text = text.replace("{", "(").replace("}", ")").replace("$", "")
    for a, b in (("−", "-"), ("·", "×"), ("⋅", "×"), ("∙", "×"), ("∗", "*")):
        text = text.replace(a, b)
    return text


def _tokens(text: str) -> list[list]:
    """[kind, text, attached] where attached marks a number glued to a letter (`2x`, `5th`)."""
    toks = [[m.lastgroup, m.group(), False] for m in _TOKEN.finditer(text)]
    for i, (kind, _, _) in enumerate(toks):
        if kind == "NUM":
            nxt = toks[i + 1][0] if i + 1 < len(toks) else None
            prv = toks[i - 1][0] if i > 0 else None
            if nxt == "WORD" or prv == "WORD":
                toks[i][2] = True
    # a standalone `x` between numbers is multiplication: `3 x 4 = 12`
    for i, (kind, word, _) in enumerate(toks):
        if kind == "WORD" and word in ("x", "X"):
            prv = _neighbour(toks, i, -1)
            nxt = _neighbour(toks, i, +1)
            spaced = (i > 0 and toks[i - 1][0] == "WS") and (i + 1 < len(toks) and toks[i + 1][0] == "WS")
            glued = (i > 0 and toks[i - 1][0] == "NUM") and (i + 1 < len(toks) and toks[i + 1][0] == "NUM")
            if prv and nxt and prv[0] in ("NUM", "RP", "PCT") and nxt[0] in ("NUM", "LP") and (spaced or glued):
                toks[i] = ["OP", "*", False]
                for j in (i - 1, i + 1):
                    if toks[j][0] == "NUM":
                        toks[j][2] = False
    return toks


def _neighbour(toks: list[list], i: int, step: int) -> Optional[list]:
    j = i + step
    while 0 <= j < len(toks) and toks[j][0] == "WS":
        j += step
    return toks[j] if 0 <= j < len(toks) else None


class _Parser:
    """Recursive descent over number/op/paren tokens, exact arithmetic with Fraction."""

    def __init__(self, toks: list[list]):
        self.toks = [t for t in toks if t[0] != "WS"]
        self.i = 0

    def peek(self) -> Optional[list]:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> list:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Fraction:
        value = self.expr()
        if self.peek() is not None:
            raise ValueError("trailing tokens")
        return value

    def expr(self) -> Fraction:
        value = self.term()
        while self.peek() and self.peek()[0] == "OP" and self.peek()[1] in "+-":
            op = self.take()[1]
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while True:
            tok = self.peek()
            if tok and tok[0] == "OP" and tok[1] in ("*", "×", "/", "÷"):
                op = self.take()[1]
                rhs = self.unary()
                if op in ("/", "÷"):
                    if rhs == 0:
                        raise ValueError("division by zero")
                    value = value / rhs
                else:
                    value = value * rhs
            elif tok and tok[0] == "LP":  # implicit product: 2(3 + 4), (1 + 2)(3 + 4)
                value = value * self.unary()
            else:
                return value

    def unary(self) -> Fraction:
        tok = self.peek()
        if tok and tok[0] == "OP" and tok[1] in "+-":
            self.take()
            value = self.unary()
            return -value if tok[1] == "-" else value
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        tok = self.peek()
        if tok and tok[0] == "OP" and tok[1] in ("^", "**"):
            self.take()
            exponent = self.unary()
            if exponent.denominator != 1 or abs(exponent) > 64:
                raise ValueError("exponent out of range")
            if base == 0 and exponent < 0:
                raise ValueError("division by zero")
            return base ** int(exponent)
        return base

    def atom(self) -> Fraction:
        tok = self.peek()
        if tok is None:
            raise ValueError("missing operand")
        if tok[0] == "NUM":
            self.take()
            value = Fraction(tok[1].replace(",", ""))
        elif tok[0] == "LP":
            self.take()
            value = self.expr()
            if not self.peek() or self.peek()[0] != "RP":
                raise ValueError("unbalanced parenthesis")
            self.take()
        else:
            raise ValueError(f"unexpected {tok[1]!r}")
        while self.peek() and self.peek()[0] == "PCT":
            self.take()
            value = value / 100
        return value


def _runs(toks: list[list]) -> list[tuple[int, int]]:
    out, start = [], None
    for i, tok in enumerate(toks + [["END", "", False]]):
        if tok[0] in _ARITH:
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    return out


def _equations_in(text: str) -> list[dict]:
    toks = _tokens(_normalize_math(text))
    found = []
    for a, b in _runs(toks):
        run = toks[a:b]
        while run and run[0][0] == "WS":
            run, a = run[1:], a + 1
        while run and run[-1][0] == "WS":
            run, b = run[:-1], b - 1
        if not any(t[0] == "EQ" for t in run):
            continue
        segments: list[list[list]] = [[]]
        for tok in run:
            if tok[0] == "EQ":
                segments.append([])
            else:
                segments[-1].append(tok)
        before = _neighbour(toks, a, -1) if a > 0 else None
        after = toks[b] if b < len(toks) else None
        values: list[Optional[Fraction]] = []
        for k, seg in enumerate(segments):
            core = [t for t in seg if t[0] != "WS"]
            ok = bool(core) and not any(t[2] for t in core)
            if ok and k == 0 and core[0][0] == "OP" and before is not None and before[0] in ("WORD", "NUM", "RP", "OTHER"):
                ok = False  # `x + 3 = 11`: the left side continues a variable expression
            if ok and k == 0 and before is not None and before[0] == "OTHER" and before[1] in "'^_":
                ok = False
            if ok and k == len(segments) - 1 and after is not None and after[0] in ("WORD",) and toks[b - 1][0] != "WS":
                ok = False  # `= 2x`
            value = None
            if ok:
                try:
                    value = _Parser(core).parse()
                except (ValueError, ZeroDivisionError, OverflowError):
                    value = None
            values.append(value)
        for k in range(len(segments) - 1):
            lhs, rhs = values[k], values[k + 1]
            if lhs is None or rhs is None:
                continue
            has_op = any(t[0] == "OP" for t in segments[k] + segments[k + 1])
            if not has_op:
                continue
            found.append({
                "lhs": "".join(t[1] for t in segments[k]).strip(),
                "rhs": "".join(t[1] for t in segments[k + 1]).strip(),
                "ok": lhs == rhs,
            })
    return found


def equations(step: str) -> list[dict]:
    """Every checkable equation in a step: {'lhs', 'rhs', 'ok'}; `<<a*b=c>>` annotations included."""
    found = []
    for inner in _ANNOTATION.findall(step):
        found += _equations_in(inner)
    found += _equations_in(_ANNOTATION.sub("", step))
    return found


def false_equations(step: str) -> list[dict]:
    return [e for e in equations(step) if not e["ok"]]


# --------------------------------------------------------------------------------------------
# Answer normalization (deliberately simple; the real equivalence checker lives in verifiers/)
# --------------------------------------------------------------------------------------------


def normalize_answer(ans: Optional[str]):
    if ans is None:
        return None
    s = ans.strip()
    s = re.sub(r"\\boxed\s*\{(.*)\}", r"\1", s)
    s = re.sub(r"\\text\s*\{[^{}]*\}", "", s)
    s = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", s)
    s = s.replace("\\%", "").replace("%", "").replace("\\$", "").replace("$", "")
    s = s.replace(",", "").replace(" ", "").rstrip(".")
    m = re.fullmatch(r"\(?(-?\d+(?:\.\d+)?)\)?/\(?(-?\d+(?:\.\d+)?)\)?", s)
    try:
        if m:
            return Fraction(m.group(1)) / Fraction(m.group(2))
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return s


# --------------------------------------------------------------------------------------------
# The checker checks itself first, so a vacuous checker cannot pass the sample.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step, expected",
    [
        ("She has 18 - 6 = 12 left.", [True]),
        ("She has 18 - 6 = 13 left.", [False]),
        ("Each box holds 3 × 4 = 14 pens.", [False]),
        ("That gives 3 x 4 = 12 tiles.", [True]),
        ("So $2 \\times 7 = 15$.", [False]),
        ("He earns 5 * 3 = $<<5*3=16>>16.", [False, False]),
        ("He earns 5 * 3 = $<<5*3=15>>15.", [True, True]),
        ("Then 16 - 3 - 4 = 9 eggs.", [True]),
        ("Then 48 ÷ 6 = 8 and 48 / 6 = 9.", [True, False]),
        ("We get $\\frac{3}{4} \\times 8 = 6$.", [True]),
        ("Total 1,200 + 350 = 1,550 people.", [True]),
        ("A 20% discount is 20% × 45 = 9 dollars.", [True]),
        ("It costs $12.50 × 2 = $25.00.", [True]),
        ("So 2x + 3 = 11, hence 2x = 11 - 3 = 8 and x = 8 / 2 = 4.", [True, True]),
        ("Solve 3(x + 2) = 21.", []),
        ("Then x - 5 = 7.", []),
        ("Expand: (2 + 3)(4 - 1) = 15, and 2^3 = 8.", [True, True]),
        ("x = 14 / 2 = 8", [False]),
        ("The 3rd row has 4 + 5 = 9 seats.", [True]),
    ],
)
def test_checker_on_known_steps(step, expected):
    assert [e["ok"] for e in equations(step)] == expected


def test_normalize_answer():
    assert normalize_answer("\\frac{3}{4}") == normalize_answer("3/4") == Fraction(3, 4)
    assert normalize_answer("$12.50") == normalize_answer("12.5")
    assert normalize_answer("1,250") == normalize_answer("1250")
    assert normalize_answer("25\\%") == normalize_answer("25")
    assert normalize_answer("\\boxed{42}") == 42
    assert normalize_answer("41") != normalize_answer("42")


# --------------------------------------------------------------------------------------------
# The sample itself
# --------------------------------------------------------------------------------------------

ROWS = load_sample()
CHAINS = [(row["problem_id"], ci, row, chain) for row in ROWS for ci, chain in enumerate(row.get("chains", []))]
CHAIN_IDS = [f"{pid}#{ci}" for pid, ci, _, _ in CHAINS]


def test_problem_count_and_ids():
    assert len(ROWS) >= 30
    ids = [row["problem_id"] for row in ROWS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


@pytest.mark.parametrize("row", ROWS, ids=[r["problem_id"] for r in ROWS])
def test_problem_fields(row):
    assert set(row) >= {"problem_id", "domain", "problem", "reference", "chains"}
    assert isinstance(row["problem_id"], str) and row["problem_id"].strip()
    assert row["domain"] == "math"
    assert isinstance(row["problem"], str) and row["problem"].strip()
    assert isinstance(row["reference"], dict) and isinstance(row["reference"].get("answer"), str)
    assert row["reference"]["answer"].strip()
    assert 2 <= len(row["chains"]) <= 4
    for chain in row["chains"]:
        assert set(chain) >= {"text", "first_error", "kind"}
        assert chain["kind"] in KINDS
        assert isinstance(chain["first_error"], int) and not isinstance(chain["first_error"], bool)


def test_distribution():
    kinds = Counter(chain["kind"] for _, _, _, chain in CHAINS)
    assert set(kinds) == KINDS, kinds
    assert kinds["correct"] >= 0.3 * len(CHAINS), kinds
    long_chains = [c for _, _, _, c in CHAINS if len(split_steps(c["text"])) >= 8]
    assert len(long_chains) >= 5
    styles = {
        "boxed": lambda t: "\\boxed{" in t,
        "answer_is": lambda t: re.search(r"The answer is", t) is not None,
        "hashes": lambda t: re.search(r"(?m)^#### ", t) is not None,
        "answer_section": lambda t: re.search(r"(?m)^# Answer\s*\n", t) is not None,
    }
    for name, has in styles.items():
        assert any(has(c["text"]) for _, _, _, c in CHAINS), name


@pytest.mark.parametrize("pid, ci, row, chain", CHAINS, ids=CHAIN_IDS)
def test_chain_labels(pid, ci, row, chain):
    text, kind, fe = chain["text"], chain["kind"], chain["first_error"]
    steps = split_steps(text)
    assert 3 <= len(steps) <= 8, len(steps)
    assert all(s.strip() for s in steps), "empty step"
    assert text == text.strip(), "leading/trailing whitespace"
    if kind == "correct":
        assert fe == -1
    else:
        assert 0 <= fe < len(steps)
    if kind == "wrong_final":
        assert fe == len(steps) - 1, "wrong_final: the first wrong step states the final answer"

    # the final answer is stated in the last step, and it is the chain's answer
    last = extract_answer(steps[-1])
    assert last is not None, "last step states no final answer"
    assert extract_answer(text) == last
    reference = normalize_answer(row["reference"]["answer"])
    if kind == "correct":
        assert normalize_answer(last) == reference, (last, row["reference"]["answer"])
    else:
        assert normalize_answer(last) != reference, (last, row["reference"]["answer"])


@pytest.mark.parametrize("pid, ci, row, chain", CHAINS, ids=CHAIN_IDS)
def test_chain_arithmetic(pid, ci, row, chain):
    steps = split_steps(chain["text"])
    kind, fe = chain["kind"], chain["first_error"]
    clean_upto = len(steps) if fe == -1 else fe
    for i in range(clean_upto):
        assert not false_equations(steps[i]), (i, false_equations(steps[i]))
    if kind == "correct":
        assert sum(len(equations(s)) for s in steps) >= 1, "correct chain with no checkable arithmetic"
    if kind == "slip":
        assert false_equations(steps[fe]), f"slip chain: no false equation at step {fe}"
    if kind in ("reasoning", "wrong_final"):
        for i, step in enumerate(steps):
            assert not false_equations(step), (i, false_equations(step))
