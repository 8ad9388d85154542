"""Seeded generator of hostile math steps and answers, for the fuzz test and benchmark.

Kinds: huge powers of complex, negative and fractional bases; power towers; factorials and
binomials of large numbers; long runs of `=` and brackets; unclosed delimiters and boxes; deep
nesting; 100 kB steps mixing prose and arithmetic; random soups of math characters.
"""
from __future__ import annotations

import random
from typing import Iterator

_BASES = ["(1+i)", "(2-3i)", "(0.5+0.5i)", "(-1)", "(-3)", "(-2.5)", "\\frac{3}{7}", "(-\\frac{5}{3})", "1000",
          "10", "2", "e", "\\pi", "(1.0000001)", "(-0.999)", "i", "(\\sqrt{2}+i)", "0.1", "(3+4i)"]
_SOUP = list("0123456789+-*/^=()[]{}!.,$ \\_|<>") + ["\\frac", "\\sqrt", "\\boxed{", "\\(", "\\)", "\\[", "\\]",
                                                     "\\left(", "\\right)", "\\cdot", "\\times", "x", "i", "e",
                                                     "\\pi", "\\overline{", "\\sin", "\\log_", "10^{", "!"]


def _huge(rng: random.Random) -> str:
    return rng.choice([
        str(rng.randint(10**5, 10**9)), f"10^{{{rng.randint(3, 30)}}}", f"10^{{10^{{{rng.randint(2, 12)}}}}}",
        f"{rng.randint(2, 9)}^{{{rng.randint(2, 9)}^{{{rng.randint(2, 9)}}}}}", f"\\frac{{{rng.randint(10**6, 10**12)}}}{{3}}",
        f"{rng.randint(10**6, 10**9)}.5", f"1e{rng.randint(100, 10**8)}", f"({rng.randint(10**4, 10**6)}+0.5)",
        f"{rng.randint(1, 9)}^{{{rng.randint(10, 99)}}}!",
    ])


def _expression(rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 7:  # exact but too big for a float
        return f"\\frac{{{rng.choice(['2', '3', '7', '-5'])}^{{{rng.randint(1000, 20000)}}}}}{{{rng.randint(3, 99)}}}"
    if kind == 0:
        return f"{rng.choice(_BASES)}^{{{_huge(rng)}}}"
    if kind == 1:
        return _tower(rng)
    if kind == 2:
        return rng.choice([f"{rng.randint(10**4, 10**7)}!", f"({rng.randint(10**3, 10**5)}!)!", f"\\binom{{{_huge(rng)}}}{{{rng.randint(2, 10**6)}}}",
                           f"({_huge(rng)})!"])
    if kind == 3:
        return f"\\frac{{{rng.choice(_BASES)}^{{{_huge(rng)}}}}}{{{rng.choice(_BASES)}^{{{_huge(rng)}}}}}"
    if kind == 4:
        return f"{rng.choice(_BASES)}^{{{rng.choice(_BASES)}^{{{_huge(rng)}}}}}"
    if kind == 5:
        return f"\\sqrt[{_huge(rng)}]{{{rng.choice(_BASES)}}}"
    return f"{rng.choice(_BASES)}^{{{_huge(rng)}}} - {rng.choice(_BASES)}^{{{_huge(rng)}}}"


def _tower(rng: random.Random) -> str:
    levels = [rng.choice(["2", "3", "10", "(1+i)", "(-2)", "9", "(0.5)"]) for _ in range(rng.randint(3, 7))]
    return "^{".join(levels) + "}" * (len(levels) - 1)


def hostile_step(rng: random.Random) -> str:
    kind = rng.randrange(11)
    if kind == 10:  # long runs of spaces where patterns allow optional spaces
        gap = " " * rng.randint(1000, 50_000)
        return rng.choice([f"1{gap}+ 1 = 2", f"So 3{gap}x{gap}4 = 12.", f"\\(1{gap}+ 1 = 2\\)", f"2 ={gap}about 2"])
    if kind == 0:
        return f"So \\({_expression(rng)} = {rng.randint(0, 99)}\\)."
    if kind == 1:
        return f"Then ${_tower(rng)} = {_tower(rng)}$ and {rng.randint(1, 9)} + {rng.randint(1, 9)} = {rng.randint(1, 19)}."
    if kind == 2:
        return "1 = " * rng.randint(100, 25_000) + "1"
    if kind == 3:
        return rng.choice(["(", "[", "\\left(", "\\frac{", "{", "\\boxed{", "\\(", "$"]) * rng.randint(100, 20_000) + " 1 = 2"
    if kind == 4:
        filler = "We compute the total carefully. " * rng.randint(100, 3000)
        return filler + f"Hence {_expression(rng)} = 5 and 3 * 4 = 12. " + filler
    if kind == 5:
        return "".join(rng.choice(_SOUP) for _ in range(rng.randint(50, 5000)))
    if kind == 6:
        size = 100_000
        chunk = f"{rng.randint(1, 99)} + {rng.randint(1, 99)} = {rng.randint(1, 199)}, "
        return (chunk * (size // len(chunk) + 1))[:size]
    if kind == 7:
        return "Check: " + " = ".join(_expression(rng) for _ in range(rng.randint(2, 6))) + ", which does not work."
    if kind == 8:
        return "\\[" + "\\frac{1}{" * rng.randint(50, 3000) + "2" + "}" * rng.randint(0, 3000) + " = 1\\]"
    return f"<<{_expression(rng)}={rng.randint(1, 9)}>> " * rng.randint(1, 500)


def hostile_answer(rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 7:
        gap = " " * rng.randint(100, 4900)
        return rng.choice([f"1{gap}a", f"5{gap}%", f"1{gap}\\text{{ cm}}", f"x ={gap}3", f"1 (i.e.{gap}all)"])
    if kind == 0:
        return _expression(rng)
    if kind == 1:
        return _tower(rng)
    if kind == 2:
        return "=" * rng.randint(1, 4000)
    if kind == 3:
        return rng.choice(["(", "[", "\\{", "\\left(", "\\boxed{", "\\frac{"]) * rng.randint(1, 1500) + "1"
    if kind == 4:
        return "".join(rng.choice(_SOUP) for _ in range(rng.randint(1, 4000)))
    if kind == 5:
        return f"x = {_expression(rng)} \\text{{ or }} x = {_expression(rng)}"
    return " ".join(rng.choice(["one", "hundred", "thousand", "and", "million", "billion", "twenty"]) for _ in range(rng.randint(1, 60)))


def cases(n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """n (kind, text) pairs, alternating steps and answers."""
    rng = random.Random(seed)
    for k in range(n):
        yield ("step", hostile_step(rng)) if k % 2 == 0 else ("answer", hostile_answer(rng))
