"""Problems with real-valued answers, checked with a tolerance (absolute, or relative for large values)."""
from __future__ import annotations

import math

from . import Problem, bug, ints, lines, ok

TOL = 1e-6


def _radii_cases(rng):
    small = [round(rng.uniform(0.001, 1), 4) for _ in range(50)]
    big = [rng.randint(1, 10**4) for _ in range(50)]
    return [lines(1, 0), lines(2, "0.5", "1e-3"), lines(len(small), *small), lines(len(big), *big)]


def _distance_cases(rng):
    pts = [ints(rng.randint(-10**4, 10**4) for _ in range(4)) for _ in range(300)]
    return [lines(1, "0 0 0 0"), lines(2, "1 1 2 2", "-5 -5 5 5"), lines(len(pts), *pts)]


def _polygon_cases(rng):
    def convex(n):
        angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
        r = rng.randint(10, 1000)
        return [(round(r * math.cos(t)), round(r * math.sin(t))) for t in angles]
    out = [lines(3, "0 0", "1 0", "0 1"), lines(4, "0 0", "0 2", "2 2", "2 0"), lines(3, "0 0", "5 5", "10 10")]
    for n in (6, 40, 3000):
        pts = convex(n)
        if rng.random() < 0.5:
            pts.reverse()
        out.append(lines(n, *(f"{x} {y}" for x, y in pts)))
    return out


def _average_cases(rng):
    return [lines(1, "7"), lines(3, "1 2 2"), lines(2, "-1 -2"), lines(4, "1000000000 1000000000 1000000000 1"),
            lines(1000, ints(rng.randint(-10**9, 10**9) for _ in range(1000)))]


def _quadratic_cases(rng):
    rows = ["1 -3 2", "1 2 1", "1 0 1", "2 0 -8", "-1 0 4", "1 0 0", "3 1 5"]
    for _ in range(200):
        a = rng.choice([-1, 1]) * rng.randint(1, 100)
        rows.append(f"{a} {rng.randint(-1000, 1000)} {rng.randint(-1000, 1000)}")
    return [lines(7, *rows[:7]), lines(len(rows) - 7, *rows[7:])]


def _heron_cases(rng):
    rows = ["3 4 5", "1 1 1", "1 2 3", "1 2 4", "10 6 5"]
    for _ in range(300):
        rows.append(ints(rng.randint(1, 100) for _ in range(3)))
    return [lines(2, "2 2 2", "5 12 13"), lines(len(rows), *rows)]


def _dice_cases(rng):
    return [lines("1 1"), lines("1 7"), lines("2 2"), lines("2 12"), lines("3 10"),
            lines(f"{rng.randint(5, 20)} {rng.randint(10, 70)}"), lines("50 175"), lines("50 300"), lines("50 50")]


def _clock_cases(rng):
    fixed = ["12:00", "6:00", "3:15", "9:45", "12:30", "11:59"]
    more = [f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}" for _ in range(300)]
    return [lines(len(fixed), *fixed), lines(len(more), *more)]


def _interest_cases(rng):
    rows = [f"{rng.randint(1, 10**6)} {round(rng.uniform(0, 20), 2)} {rng.randint(0, 100)}" for _ in range(200)]
    return [lines(2, "100 0 10", "1 100 1"), lines(1, "1000000 20 100"), lines(len(rows), *rows)]


def _cubic_cases(rng):
    vals = [rng.randint(-10**6, 10**6) for _ in range(100)] + [rng.randint(-10**18, 10**18) for _ in range(20)]
    return [lines(3, 0, 2, -2), lines(2, 1, 10), lines(len(vals), *vals), lines(2, 10**18, -(10**18))]


def _stats_cases(rng):
    return [lines(1, "5"), lines(2, "1 3"), lines(4, "2 2 2 2"),
            lines(500, ints(rng.randint(-1000, 1000) for _ in range(500)))]


def _hull_cases(rng):
    out = [lines(3, "0 0", "4 0", "0 3"), lines(5, "0 0", "2 0", "2 2", "0 2", "1 1"), lines(2, "0 0", "3 4"),
           lines(4, "0 0", "1 1", "2 2", "3 3")]
    pts = {(rng.randint(-50, 50), rng.randint(-50, 50)) for _ in range(60)}
    out.append(lines(len(pts), *(f"{x} {y}" for x, y in pts)))
    circle = set()
    while len(circle) < 1500:
        t = rng.uniform(0, 2 * math.pi)
        circle.add((round(10**6 * math.cos(t)), round(10**6 * math.sin(t))))
    pts = list(circle)
    rng.shuffle(pts)
    out.append(lines(len(pts), *(f"{x} {y}" for x, y in pts)))
    return out


def _fractional_cases(rng):
    out = [lines("1 5", "10 100"), lines("2 0", "1 1", "2 2"), lines("3 100", "10 60", "20 100", "30 120")]
    for n in (10, 2000):
        out.append(lines(f"{n} {rng.randint(1, 50 * n)}", *(f"{rng.randint(1, 100)} {rng.randint(1, 1000)}" for _ in range(n))))
    return out


def _coupon_cases(rng):
    return [lines(3, 1, 2, 3), lines(2, 10, 100), lines(3, rng.randint(1000, 10**5), 999999, 1000000)]


PROBLEMS = [
    Problem(
        id="circle-measures",
        title="Area and circumference",
        statement="""
            For each radius r (0 <= r <= 10^4, maybe with decimals) print the circle's area and
            circumference, separated by a space (absolute or relative error up to 1e-6).
        """,
        samples=[(lines(2, 1, 2), lines("3.141593 6.283185", "12.566371 12.566371"))],
        generate=_radii_cases,
        float_tolerance=TOL,
        correct="""
            import math
            t = int(input())
            for _ in range(t):
                r = float(input())
                print(f"{math.pi * r * r:.9f} {2 * math.pi * r:.9f}")
        """,
        programs=[
            ok("variant", """
                import math
                t = int(input())
                for _ in range(t):
                    r = float(input())
                    print(math.pi * r ** 2, math.tau * r)
            """, "full repr precision"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    r = float(input())
                    print(f"{3.14 * r * r:.6f} {2 * 3.14 * r:.6f}")
            """, "pi = 3.14"),
            bug("wrong_format", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    r = float(input())
                    print(f"{math.pi * r * r:.2f} {2 * math.pi * r:.2f}")
            """, "two decimals: too coarse for small circles"),
        ],
    ),
    Problem(
        id="point-distance",
        title="Distance between points",
        statement="""
            For each query x1 y1 x2 y2 (integers) print the Euclidean distance (error up to 1e-6).
        """,
        samples=[(lines(2, "0 0 3 4", "1 1 1 1"), lines("5.0", "0.0"))],
        generate=_distance_cases,
        float_tolerance=TOL,
        correct="""
            import math
            t = int(input())
            for _ in range(t):
                x1, y1, x2, y2 = map(int, input().split())
                print(f"{math.hypot(x2 - x1, y2 - y1):.10f}")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    x1, y1, x2, y2 = map(int, input().split())
                    print(math.isqrt((x2 - x1) ** 2 + (y2 - y1) ** 2))
            """, "integer square root"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    x1, y1, x2, y2 = map(int, input().split())
                    print(abs(x2 - x1) + abs(y2 - y1))
            """, "Manhattan distance"),
        ],
    ),
    Problem(
        id="polygon-area",
        title="Polygon area",
        statement="""
            n vertices of a simple polygon in order (clockwise or counter-clockwise), integer
            coordinates. Print its area (error up to 1e-6).
        """,
        samples=[(lines(4, "0 0", "4 0", "4 3", "0 3"), lines("12.0")), (lines(3, "0 0", "0 1", "3 0"), lines("1.5"))],
        generate=_polygon_cases,
        float_tolerance=TOL,
        correct="""
            n = int(input())
            pts = [tuple(map(int, input().split())) for _ in range(n)]
            twice = sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))
            print(f"{abs(twice) / 2:.1f}")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                twice = sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n))
                print(twice / 2)
            """, "no abs: negative for clockwise order"),
            ok("variant", """
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                twice = 0
                for i in range(n):
                    (x1, y1), (x2, y2) = pts[i - 1], pts[i]
                    twice += (x1 - x2) * (y1 + y2)
                print(abs(twice) // 2 if twice % 2 == 0 else abs(twice) / 2)
            """, "trapezoids; an integer printed without decimals"),
            bug("off_by_one", "failed", """
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                twice = sum(pts[i][0] * pts[i + 1][1] - pts[i + 1][0] * pts[i][1] for i in range(n - 1))
                print(abs(twice) / 2)
            """, "forgets the closing edge"),
        ],
    ),
    Problem(
        id="average",
        title="Average",
        statement="""
            n integers (|a_i| <= 10^9). Print their mean (error up to 1e-6).
        """,
        samples=[(lines(4, "1 2 3 5"), lines("2.75"))],
        generate=_average_cases,
        float_tolerance=TOL,
        correct="""
            n = int(input())
            print(sum(map(int, input().split())) / n)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                print(sum(map(int, input().split())) // n)
            """, "integer division"),
            ok("variant", """
                from fractions import Fraction
                n = int(input())
                f = Fraction(sum(map(int, input().split())), n)
                print(f"{f.numerator / f.denominator:.12f}")
            """, "exact fraction, twelve decimals"),
        ],
    ),
    Problem(
        id="quadratic-roots",
        title="Quadratic equations",
        statement="""
            For each line a b c (integers, a != 0) print the real roots of a x^2 + b x + c = 0 in
            increasing order (a double root once), or NONE (error up to 1e-6).
        """,
        samples=[(lines(3, "1 -3 2", "1 2 1", "1 0 1"), lines("1 2", "-1", "NONE"))],
        generate=_quadratic_cases,
        float_tolerance=TOL,
        correct="""
            import math
            t = int(input())
            for _ in range(t):
                a, b, c = map(int, input().split())
                d = b * b - 4 * a * c
                if d < 0:
                    print("NONE")
                elif d == 0:
                    print(f"{-b / (2 * a):.9f}")
                else:
                    r = math.sqrt(d)
                    x1, x2 = (-b - r) / (2 * a), (-b + r) / (2 * a)
                    print(f"{min(x1, x2):.9f} {max(x1, x2):.9f}")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    a, b, c = map(int, input().split())
                    d = b * b - 4 * a * c
                    if d < 0:
                        print("NONE")
                    elif d == 0:
                        print(-b / (2 * a))
                    else:
                        r = math.sqrt(d)
                        print((-b - r) / (2 * a), (-b + r) / (2 * a))
            """, "not sorted when a < 0"),
            bug("wrong_format", "failed", """
                import cmath
                t = int(input())
                for _ in range(t):
                    a, b, c = map(int, input().split())
                    r = cmath.sqrt(b * b - 4 * a * c)
                    x1, x2 = (-b - r) / (2 * a), (-b + r) / (2 * a)
                    print(x1, x2)
            """, "complex numbers printed"),
        ],
    ),
    Problem(
        id="heron-area",
        title="Triangle area from sides",
        statement="""
            For each line of three side lengths print the triangle's area (error up to 1e-6),
            or -1 if the sides do not form a triangle of positive area.
        """,
        samples=[(lines(2, "3 4 5", "1 1 3"), lines("6.0", "-1"))],
        generate=_heron_cases,
        float_tolerance=TOL,
        correct="""
            import math
            t = int(input())
            for _ in range(t):
                a, b, c = sorted(map(int, input().split()))
                if a + b <= c:
                    print(-1)
                else:
                    s = (a + b + c) / 2
                    print(f"{math.sqrt(s * (s - a) * (s - b) * (s - c)):.9f}")
        """,
        programs=[
            bug("runtime_error", "error", """
                import math
                t = int(input())
                for _ in range(t):
                    a, b, c = map(int, input().split())
                    s = (a + b + c) / 2
                    area = math.sqrt(s * (s - a) * (s - b) * (s - c))
                    print(area if area > 0 else -1)
            """, "math domain error on impossible sides"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    a, b, c = sorted(map(int, input().split()))
                    print(a * b / 2 if a + b > c else -1)
            """, "assumes a right angle"),
        ],
    ),
    Problem(
        id="dice-probability",
        title="At least s with n dice",
        statement="""
            Input: n s. Print the probability that the sum of n fair six-sided dice is at least s
            (error up to 1e-6).
        """,
        samples=[(lines("2 7"), lines("0.5833333333")), (lines("1 3"), lines("0.6666666667"))],
        generate=_dice_cases,
        float_tolerance=TOL,
        correct="""
            n, s = map(int, input().split())
            ways = [1]
            for _ in range(n):
                nxt = [0] * (len(ways) + 6)
                for total, w in enumerate(ways):
                    for face in range(1, 7):
                        nxt[total + face] += w
                ways = nxt
            print(f"{sum(ways[max(0, s):]) / 6 ** n:.12f}")
        """,
        programs=[
            bug("off_by_one", "failed", """
                n, s = map(int, input().split())
                ways = [1]
                for _ in range(n):
                    nxt = [0] * (len(ways) + 6)
                    for total, w in enumerate(ways):
                        for face in range(1, 7):
                            nxt[total + face] += w
                    ways = nxt
                print(f"{sum(ways[max(0, s + 1):]) / 6 ** n:.12f}")
            """, "strictly more than s"),
            bug("too_slow", "timeout", """
                from itertools import product
                n, s = map(int, input().split())
                good = sum(1 for roll in product(range(1, 7), repeat=n) if sum(roll) >= s)
                print(good / 6 ** n)
            """, "enumerates every roll"),
        ],
    ),
    Problem(
        id="clock-angle",
        title="Angle between the hands",
        statement="""
            For each time h:mm (1 <= h <= 12) print the smaller angle in degrees between the hour
            and minute hands of an analogue clock (error up to 1e-6).
        """,
        samples=[(lines(2, "3:00", "3:30"), lines("90", "75"))],
        generate=_clock_cases,
        float_tolerance=TOL,
        correct="""
            t = int(input())
            for _ in range(t):
                h, m = map(int, input().split(":"))
                a = abs(30 * (h % 12) + 0.5 * m - 6 * m)
                print(min(a, 360 - a))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    h, m = map(int, input().split(":"))
                    a = abs(30 * (h % 12) - 6 * m)
                    print(min(a, 360 - a))
            """, "the hour hand does not move between hours"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    h, m = map(int, input().split(":"))
                    print(abs(30 * (h % 12) + 0.5 * m - 6 * m))
            """, "not the smaller angle"),
        ],
    ),
    Problem(
        id="compound-interest",
        title="Compound interest",
        statement="""
            For each line P r n print P * (1 + r/100)^n (relative error up to 1e-6).
        """,
        samples=[(lines(2, "1000 10 2", "500 0 7"), lines("1210", "500"))],
        generate=_interest_cases,
        float_tolerance=TOL,
        correct="""
            t = int(input())
            for _ in range(t):
                p, r, n = input().split()
                print(repr(float(p) * (1 + float(r) / 100) ** int(n)))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    p, r, n = input().split()
                    print(float(p) * (1 + float(r) / 100 * int(n)))
            """, "simple interest"),
            bug("wrong_format", "failed", """
                t = int(input())
                for _ in range(t):
                    p, r, n = input().split()
                    print(f"{float(p) * (1 + float(r) / 100) ** int(n):.2e}")
            """, "three significant digits"),
        ],
    ),
    Problem(
        id="cubic-solve",
        title="Solve x^3 + x = c",
        statement="""
            For each integer c (|c| <= 10^18) print the real x with x^3 + x = c (relative or
            absolute error up to 1e-6).
        """,
        samples=[(lines(3, 0, 2, 10), lines("0", "1", "2"))],
        generate=_cubic_cases,
        float_tolerance=TOL,
        correct="""
            t = int(input())
            for _ in range(t):
                c = int(input())
                lo, hi = -1e6 - 1, 1e6 + 1
                for _ in range(200):
                    mid = (lo + hi) / 2
                    if mid ** 3 + mid < c:
                        lo = mid
                    else:
                        hi = mid
                print(repr((lo + hi) / 2))
        """,
        programs=[
            bug("infinite_loop", "timeout", """
                t = int(input())
                for _ in range(t):
                    c = int(input())
                    lo, hi = -1e6 - 1, 1e6 + 1
                    while hi - lo > 1e-12:
                        mid = (lo + hi) / 2
                        if mid ** 3 + mid < c:
                            lo = mid
                        else:
                            hi = mid
                    print(repr((lo + hi) / 2))
            """, "an absolute stopping gap finer than the float spacing near 10^6: never reached"),
            ok("variant", """
                t = int(input())
                for _ in range(t):
                    c = int(input())
                    x = float(c) ** (1 / 3) if c >= 0 else -((-float(c)) ** (1 / 3))
                    for _ in range(100):
                        x -= (x ** 3 + x - c) / (3 * x * x + 1)
                    print(f"{x:.12g}")
            """, "Newton's method from the cube root"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    c = int(input())
                    lo, hi = -1e6 - 1, 1e6 + 1
                    for _ in range(20):
                        mid = (lo + hi) / 2
                        if mid ** 3 + mid < c:
                            lo = mid
                        else:
                            hi = mid
                    print(repr((lo + hi) / 2))
            """, "20 halvings: about 2 units of error left"),
        ],
    ),
    Problem(
        id="mean-and-deviation",
        title="Mean and standard deviation",
        statement="""
            n integers. Print their mean and population standard deviation, separated by a
            space (error up to 1e-6).
        """,
        samples=[(lines(4, "2 4 4 6"), lines("4 1.414213562"))],
        generate=_stats_cases,
        float_tolerance=TOL,
        correct="""
            import math
            n = int(input())
            a = list(map(int, input().split()))
            mean = sum(a) / n
            print(mean, math.sqrt(sum((x - mean) ** 2 for x in a) / n))
        """,
        programs=[
            bug("runtime_error", "error", """
                import statistics
                n = int(input())
                a = list(map(int, input().split()))
                print(statistics.mean(a), statistics.stdev(a) * ((n - 1) / n) ** 0.5)
            """, "statistics.stdev needs two values (StatisticsError for n = 1)"),
            bug("wrong_answer", "failed", """
                import math
                n = int(input())
                a = list(map(int, input().split()))
                mean = sum(a) / n
                print(mean, math.sqrt(sum((x - mean) ** 2 for x in a) / max(1, n - 1)))
            """, "the sample deviation (n - 1)"),
        ],
    ),
    Problem(
        id="hull-perimeter",
        title="Convex hull perimeter",
        statement="""
            n distinct points with integer coordinates (n <= 1500). Print the perimeter of their
            convex hull (error up to 1e-6; for points on one line, twice the segment's length).
        """,
        samples=[(lines(4, "0 0", "2 0", "0 2", "1 1"), lines("6.8284271247"))],
        generate=_hull_cases,
        float_tolerance=TOL,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            import math
            n = int(input())
            pts = sorted(tuple(map(int, input().split())) for _ in range(n))
            def cross(o, a, b):
                return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
            lower, upper = [], []
            for p in pts:
                while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
                    lower.pop()
                lower.append(p)
            for p in reversed(pts):
                while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
                    upper.pop()
                upper.append(p)
            hull = lower[:-1] + upper[:-1]
            print(f"{sum(math.dist(hull[i], hull[i - 1]) for i in range(len(hull))):.10f}")
        """,
        programs=[
            ok("slow_correct", """
                import math
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                start = min(pts)
                hull, cur = [], start
                while True:
                    hull.append(cur)
                    cand = pts[0] if pts[0] != cur else pts[1]
                    for p in pts:
                        if p == cur:
                            continue
                        c = (cand[0] - cur[0]) * (p[1] - cur[1]) - (cand[1] - cur[1]) * (p[0] - cur[0])
                        if c < 0 or (c == 0 and math.dist(cur, p) > math.dist(cur, cand)):
                            cand = p
                    cur = cand
                    if cur == start:
                        break
                print(sum(math.dist(hull[i], hull[i - 1]) for i in range(len(hull))))
            """, "gift wrapping: a scan of all points per hull vertex (all on the hull in the heavy case)"),
            bug("wrong_answer", "failed", """
                import math
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                print(sum(math.dist(pts[i], pts[i - 1]) for i in range(n)))
            """, "the perimeter of the points in input order"),
            bug("too_slow", "timeout", """
                import math
                n = int(input())
                pts = [tuple(map(int, input().split())) for _ in range(n)]
                total = 0.0
                for i in range(n):
                    for j in range(n):
                        if i == j:
                            continue
                        a, b = pts[i], pts[j]
                        side = [(b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) for p in pts]
                        if all(s >= 0 for s in side):
                            inner = [p for p, s in zip(pts, side) if s == 0]
                            if all(min(a, b) <= p <= max(a, b) for p in inner):
                                total += math.dist(a, b)
                print(total)
            """, "tests every pair of points as a hull edge"),
        ],
    ),
    Problem(
        id="fractional-knapsack",
        title="Fractional knapsack",
        statement="""
            The first line holds n and a capacity W, then n lines of weight and value. Any
            fraction of an item may be taken. Print the largest total value (error up to 1e-6).
        """,
        samples=[(lines("3 50", "10 60", "20 100", "30 120"), lines("240"))],
        generate=_fractional_cases,
        float_tolerance=TOL,
        correct="""
            n, W = map(int, input().split())
            items = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda t: t[1] / t[0], reverse=True)
            total = 0.0
            for w, v in items:
                take = min(w, W)
                total += v * take / w
                W -= take
                if W == 0:
                    break
            print(f"{total:.9f}")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n, W = map(int, input().split())
                items = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda t: t[1], reverse=True)
                total = 0.0
                for w, v in items:
                    take = min(w, W)
                    total += v * take / w
                    W -= take
                print(f"{total:.9f}")
            """, "by value, not value per weight"),
            bug("wrong_answer", "failed", """
                n, W = map(int, input().split())
                items = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda t: t[1] / t[0], reverse=True)
                total = 0
                for w, v in items:
                    if w <= W:
                        total += v
                        W -= w
                print(total)
            """, "whole items only"),
        ],
    ),
    Problem(
        id="coupon-collector",
        title="Coupon collector",
        statement="""
            For each n (1 <= n <= 10^6) print the expected number of draws (uniform, with
            replacement) to see all n coupons: n * (1 + 1/2 + ... + 1/n) (relative error up to 1e-6).
        """,
        samples=[(lines(2, 1, 2), lines("1", "3"))],
        generate=_coupon_cases,
        float_tolerance=TOL,
        cpu_limit=2.0,
        correct="""
            t = int(input())
            qs = [int(input()) for _ in range(t)]
            top = max(qs)
            h = [0.0] * (top + 1)
            for k in range(1, top + 1):
                h[k] = h[k - 1] + 1 / k
            for n in qs:
                print(repr(n * h[n]))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(n * (math.log(n) + 0.5772156649))
            """, "the asymptotic formula"),
            ok("variant", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(f"{n * sum(1 / k for k in range(n, 0, -1)):.6f}")
            """, "sums per query, smallest terms first"),
        ],
    ),
]
