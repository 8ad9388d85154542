"""Exact-first evaluation of translated expressions: Fraction where the value is rational, high
precision mpmath otherwise, with a time budget checked at every node.

Why not floats: `1/2^{99}` and `1/2^{98}` agree to 1e-30 in absolute terms (Math-Verify's false
"equal"). Rational subtrees here stay exact, and approximate values are compared relative to the
largest magnitude seen while computing them, at ~72 significant digits.
"""
from __future__ import annotations

import ast
import math
import os
import random
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Union

import mpmath

from ..workers import CLOCK_ENV
from .deadline import WALL_FACTOR
from .pyexpr import OutOfRange, PyExpr, Unsupported

CTX = mpmath.MPContext()  # private context: nobody else's dps changes can touch ours
CTX.prec = 240
MAX_EXACT_BITS = 20_000  # larger exact powers are carried approximately and flagged `huge`
MAX_EXACT_KEEP = 4 * MAX_EXACT_BITS  # an exact intermediate beyond this is carried approximately
MAX_LOG2 = 2**40  # |log2| of a power's magnitude beyond this: not evaluated (mpmath keeps exponents as ints)
MAX_PHASE = 2**64  # |angle| of a complex power beyond this: reducing it mod 2*pi costs too much
MAX_LITERAL_EXP = 400  # 1e99999999 as an exact Fraction would build a 100-million-digit integer
EQUAL_REL = mpmath.mpf("1e-50")
UNEQUAL_REL = mpmath.mpf("1e-60")
TRUST_SCALE = mpmath.mpf("1e25")

Number = Union[Fraction, "mpmath.mpc"]


class Undefined(ValueError):
    """Division by zero and friends: the expression has no value at this point."""


class OutOfTime(TimeoutError):
    """The fast path ran past its deadline."""


class Budget:
    """A deadline the evaluator and the claim finder poll; cheap enough to check at every node.

    Wall-clock time by default. Where the sympy pool counts CPU time (`STEPLABEL_DEADLINE_CLOCK=cpu`,
    set in a build's watched children) the fast path does too — this thread's CPU time, so a
    loaded machine does not turn a decided step into a deadline abstain — with a wall-clock cap
    of `WALL_FACTOR` times the budget.
    """

    def __init__(self, seconds: float) -> None:
        self.cpu = os.environ.get(CLOCK_ENV) == "cpu"
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds * (WALL_FACTOR if self.cpu else 1.0)
        self.cpu_deadline = time.thread_time() + seconds if self.cpu else 0.0

    def check(self) -> None:
        if time.monotonic() > self.deadline or (self.cpu and time.thread_time() > self.cpu_deadline):
            raise OutOfTime("fast path deadline")

    @property
    def left(self) -> float:
        if self.cpu:
            return min(self.cpu_deadline - time.thread_time(), self.deadline - time.monotonic())
        return self.deadline - time.monotonic()


@dataclass
class Num:
    """A value plus what we need to trust a numeric comparison of it."""

    value: Number
    scale: "mpmath.mpf"  # largest magnitude among approximate intermediates (0 if exact)
    huge: bool = False  # an exact value was too large to keep and was approximated

    @property
    def exact(self) -> bool:
        return isinstance(self.value, Fraction)


def approx(x: Number) -> "mpmath.mpc":
    if isinstance(x, Fraction):
        return CTX.mpc(CTX.mpf(x.numerator) / x.denominator)
    return x


def _iroot(n: int, k: int) -> Optional[int]:
    """Exact integer k-th root of n >= 0, or None."""
    if n < 2:
        return n
    r = int(round(n ** (1.0 / k))) if n.bit_length() < 1000 else None
    if r is None:
        return None
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**k == n:
            return c
    return None


def _exact_root(x: Fraction, k: int) -> Optional[Fraction]:
    sign = -1 if x < 0 else 1
    if sign < 0 and k % 2 == 0:
        return None
    p, q = _iroot(abs(x.numerator), k), _iroot(x.denominator, k)
    if p is None or q is None:
        return None
    return sign * Fraction(p, q)


class Evaluator:
    """Walks a Python AST built by `pyexpr`; one instance per evaluation (it tracks the scale)."""

    def __init__(self, expr: PyExpr, env: dict[str, Fraction], budget: Budget) -> None:
        self.expr, self.env, self.budget = expr, env, budget
        self.scale = CTX.mpf(0)
        self.huge = False

    def run(self) -> Num:
        try:
            tree = ast.parse(self.expr.source, mode="eval")
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            raise Unsupported(f"not an expression: {type(e).__name__}") from e
        try:
            v = self.visit(tree.body)
        except RecursionError as e:
            raise Unsupported("expression nests too deeply") from e
        except ZeroDivisionError as e:
            raise Undefined("division by zero") from e
        return Num(v, self.scale, self.huge)

    def _seen(self, v: Number) -> Number:
        if isinstance(v, Fraction):
            if max(v.numerator.bit_length(), v.denominator.bit_length()) > MAX_EXACT_KEEP:
                self.huge = True  # long products of big exact values would grind in Fraction
                return self._seen(approx(v))
            return v
        if not (CTX.isfinite(v.real) and CTX.isfinite(v.imag)):
            raise Undefined("not finite")
        m = abs(v)
        if m > self.scale:
            self.scale = m
        return v

    def _note(self, x: Number) -> None:
        """An exact operand meets an approximate one: its size bounds the rounding error too."""
        if isinstance(x, Fraction) and x:
            m = abs(approx(x))
            if m > self.scale:
                self.scale = m

    def visit(self, node: ast.AST) -> Number:
        self.budget.check()
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            return self._seen(self._binop(node.op, a, b))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.visit(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            args = [self.visit(a) for a in node.args]
            return self._seen(self._call(node.func.id, args))
        raise Unsupported(f"unsupported syntax {type(node).__name__}")

    def _name(self, name: str) -> Number:
        if name in self.expr.literals:
            return self._literal(self.expr.literals[name])
        if name == "_pct":
            return Fraction(1, 100)
        if name in self.env:
            return self.env[name]
        if name == "pi":
            return self._seen(CTX.mpc(CTX.pi))
        if name == "e":
            return self._seen(CTX.mpc(CTX.e))
        if name == "i":
            return self._seen(CTX.mpc(0, 1))
        raise Unsupported(f"unknown name {name}")

    def _literal(self, text: str) -> Number:
        """Exact value of a number literal; one with a huge decimal exponent is approximated."""
        mantissa, _, exp = text.lower().partition("e")
        if exp and abs(int(exp)) > MAX_LITERAL_EXP:
            self.huge = True
            return self._seen(CTX.mpc(CTX.mpf(text)))
        return Fraction(text)

    def _binop(self, op: ast.operator, a: Number, b: Number) -> Number:
        exact = isinstance(a, Fraction) and isinstance(b, Fraction)
        if isinstance(op, ast.Pow):
            return self._pow(a, b)
        if not exact:
            self._note(a)
            self._note(b)
            a, b = approx(a), approx(b)
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            if b == 0:
                raise Undefined("division by zero")
            return a / b
        raise Unsupported(f"operator {type(op).__name__}")

    def _pow(self, a: Number, b: Number) -> Number:
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            if a == 0 and b < 0:
                raise Undefined("0 to a negative power")
            if b.denominator == 1:
                if abs(a) == 1:  # (-1)^(10^100): parity, not arithmetic
                    return Fraction(1) if a == 1 or b.numerator % 2 == 0 else Fraction(-1)
                bits = abs(b.numerator) * max(a.numerator.bit_length(), a.denominator.bit_length())
                if bits <= MAX_EXACT_BITS:
                    return a ** b.numerator
                A, B = approx(a), approx(b)
                _bound_power(A, B)
                self.huge = True
                return self._seen(CTX.power(A, B))
            if b.denominator <= 64 and abs(b.numerator) <= 64:
                r = _exact_root(a, b.denominator)
                if r is not None:
                    if r == 0 and b < 0:
                        raise Undefined("0 to a negative power")
                    return r ** b.numerator
                if a < 0 and b.denominator % 2 == 1:  # real odd root, as answers mean it
                    mag = CTX.power(approx(-a).real, approx(b).real)
                    self._note(a)
                    return self._seen(CTX.mpc(-mag if b.numerator % 2 else mag))
        self._note(a)
        self._note(b)
        A, B = approx(a), approx(b)
        if A == 0:
            if B.real > 0:
                return CTX.mpc(0)
            raise Undefined("0 to a non-positive power")
        _bound_power(A, B)
        if abs(B) > 10**6:
            self.huge = True
        return CTX.power(A, B)

    def _call(self, f: str, args: list[Number]) -> Number:
        if f == "sqrt" and len(args) == 1:
            return self._pow(args[0], Fraction(1, 2))
        if f == "root" and len(args) == 2:
            n = args[1]
            if not isinstance(n, Fraction) or n == 0:
                raise Unsupported("root index must be an exact number")
            return self._pow(args[0], 1 / n)
        if f == "abs" and len(args) == 1:
            a = args[0]
            return abs(a) if isinstance(a, Fraction) else CTX.mpc(abs(a))
        if f == "factorial" and len(args) == 1:
            a = args[0]
            if isinstance(a, Fraction) and a.denominator == 1 and 0 <= a <= 2000:
                return Fraction(math.factorial(int(a)))
            if abs(approx(a)) > 2000:
                raise OutOfRange("factorial of a large value")
            raise Unsupported("factorial of a non-integer")
        if f == "binom" and len(args) == 2:
            n, k = args
            if all(isinstance(x, Fraction) and x.denominator == 1 for x in args) and 0 <= n <= 10**5:
                return Fraction(math.comb(int(n), int(k)) if k >= 0 else 0)
            if abs(approx(n)) > 10**5:
                raise OutOfRange("binomial of a large value")
            raise Unsupported("binomial of non-integers")
        if f in ("floor", "ceil") and len(args) == 1:
            a = args[0]
            if isinstance(a, Fraction):
                return Fraction(math.floor(a) if f == "floor" else math.ceil(a))
            raise Unsupported("floor of an approximate value")
        if f == "log" and len(args) == 2:
            for x in args:
                self._note(x)
            num, den = CTX.log(approx(args[0])), CTX.log(approx(args[1]))
            if den == 0:
                raise Undefined("log base 1")
            return num / den
        fn = {"sin": CTX.sin, "cos": CTX.cos, "tan": CTX.tan, "cot": CTX.cot, "sec": CTX.sec,
              "csc": CTX.csc, "arcsin": CTX.asin, "arccos": CTX.acos, "arctan": CTX.atan,
              "sinh": CTX.sinh, "cosh": CTX.cosh, "tanh": CTX.tanh, "exp": CTX.exp,
              "ln": CTX.ln, "log": CTX.ln}.get(f)
        if fn is None or len(args) != 1:
            raise Unsupported(f"function {f} with {len(args)} arguments")
        a = args[0]
        if f in ("ln", "log") and a == 0:
            raise Undefined("log of 0")
        self._note(a)
        if abs(approx(a)) > 10**8:  # mpmath would grind (uninterruptibly) on huge arguments
            raise Unsupported(f"{f} of a huge argument")
        return CTX.mpc(fn(approx(a)))


def _bound_power(A: "mpmath.mpc", B: "mpmath.mpc") -> None:
    """Refuse A**B when its size or angle is out of reach, before mpmath starts on it.

    With w = B*log(A): |A**B| = 2^(Re w / ln 2) and its angle is Im w. mpmath computes both
    without a bound (a huge integer exponent is even converted to a Python int first), so a
    power like `(1+i)^{10^{10^5}}` or `2^{10^{10^{10}}}` would run for minutes.
    """
    if abs(B) > MAX_PHASE:  # mpmath turns an integral exponent into a Python int first
        raise OutOfRange("exponent too large to evaluate")
    log_a = CTX.log(A)
    w_re = B.real * log_a.real - B.imag * log_a.imag
    w_im = B.real * log_a.imag + B.imag * log_a.real
    if abs(w_re) > MAX_LOG2 * CTX.ln2:
        raise OutOfRange("power too large to evaluate (more than 2^(2^40) in size)")
    if abs(w_im) > MAX_PHASE:
        raise OutOfRange("complex power with too large an angle to evaluate")


def evaluate(expr: PyExpr, env: Optional[dict[str, Fraction]] = None, budget: Optional[Budget] = None) -> Num:
    """Value of a translated expression with variables bound by `env`."""
    return Evaluator(expr, env or {}, budget or Budget(1.0)).run()


def compare(a: Num, b: Num) -> Optional[bool]:
    """True/False when the values are certainly equal/different, None when precision cannot tell."""
    if a.exact and b.exact:
        return a.value == b.value
    x, y = approx(a.value), approx(b.value)
    scale = max(a.scale, b.scale, abs(x), abs(y))
    diff = abs(x - y)
    if scale == 0:
        return True
    if diff > UNEQUAL_REL * scale:
        return False
    if a.huge or b.huge or scale > TRUST_SCALE:
        return None
    if diff <= EQUAL_REL * scale:
        return True
    return None


def rounds_to(value: Num, decimal: str, truncate: bool = False) -> bool:
    """Does `value` round (or, if allowed, truncate) to the decimal literal at its stated places?"""
    places = len(decimal.split(".")[1]) if "." in decimal else 0
    ref = Fraction(decimal)
    if value.exact:
        v = value.value
    else:
        z = value.value
        if abs(z.imag) > UNEQUAL_REL * max(value.scale, 1):
            return False
        v = Fraction(str(CTX.nstr(z.real, 60, strip_zeros=False)))
    half = Fraction(1, 2 * 10**places)
    if abs(v - ref) <= half:
        return True
    return truncate and abs(v - ref) < 2 * half and abs(v) >= abs(ref) and (v > 0) == (ref > 0)


def sample_points(names: list[str], count: int = 3, seed: int = 7) -> list[dict[str, Fraction]]:
    """Deterministic random rational points, one dict per point (same seed -> same points)."""
    rng = random.Random(seed)
    pts = []
    for _ in range(count):
        pts.append({n: Fraction(rng.choice((-1, 1)) * rng.randint(101, 9973), rng.randint(7, 997))
                    for n in sorted(names)})
    return pts
