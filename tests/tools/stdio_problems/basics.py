"""Warm-up problems: reading numbers, loops, simple conditions, several test cases per input."""
from __future__ import annotations

from . import Problem, bug, ints, lines, ok


def _sum_pairs(rng):
    big = [(rng.randint(-10**18, 10**18), rng.randint(-10**18, 10**18)) for _ in range(50)]
    return [
        lines(1, "0 0"),
        lines(3, "-5 5", "1000000000000000000 1000000000000000000", "-7 -8"),
        lines(len(big), *(f"{a} {b}" for a, b in big)),
        lines(3000, *(f"{rng.randint(-10**9, 10**9)} {rng.randint(-10**9, 10**9)}" for _ in range(3000))),
    ]


def _array(rng, n, lo, hi):
    return [rng.randint(lo, hi) for _ in range(n)]


def _max_cases(rng):
    out = [lines(1, "-7"), lines(4, "-3 -1 -2 -9"), lines(5, "1 2 3 4 100")]
    for n in (10, 1000, 5000):
        out.append(lines(n, ints(_array(rng, n, -10**9, 10**9))))
    return out


def _second_cases(rng):
    out = [lines(1, "5"), lines(3, "4 4 4"), lines(2, "-1 -2"), lines(6, "9 9 8 8 7 7")]
    for n in (7, 50, 5000):
        out.append(lines(n, ints(_array(rng, n, -20, 20))))
    return out


def _fizz_cases(rng):
    return [lines(1), lines(15), lines(16), lines(rng.randint(40, 60)), lines(3000)]


def _prefix_cases(rng):
    out = [lines(1, "0"), lines(3, "-1 -1 -1")]
    for n in (10, 2000, 15000):
        out.append(lines(n, ints(_array(rng, n, -100, 100))))
    return out


def _transpose_cases(rng):
    out = [lines("1 1", "5"), lines("1 4", "1 2 3 4"), lines("3 1", "1", "2", "3")]
    for r, c in ((2, 5), (7, 3), (60, 40)):
        out.append(lines(f"{r} {c}", *(ints(_array(rng, c, -99, 99)) for _ in range(r))))
    return out


def _leap_cases(rng):
    years = [1, 4, 100, 400, 1900, 2000, 2023, 2024, 2100, 2400, 9999]
    more = [rng.randint(1, 10**9) for _ in range(300)] + [rng.randint(1, 2500) * 100 for _ in range(100)]
    return [lines(len(years), *years), lines(len(more), *more)]


def _grade_cases(rng):
    edge = [0, 39, 40, 49, 50, 59, 60, 69, 70, 79, 80, 89, 90, 100]
    more = [rng.randint(0, 100) for _ in range(500)]
    return [lines(len(edge), ints(edge)), lines(1, "100"), lines(len(more), ints(more))]


def _digit_sum_cases(rng):
    more = [rng.randint(-10**18, 10**18) for _ in range(1000)]
    return [lines(2, "0", "-0"), lines(3, "-9", "-10", "-999999999999999999"), lines(len(more), *more)]


def _collatz_cases(rng):
    return [lines(1, "1"), lines(1, "2"), lines(3, "27", "97", "871"),
            lines(50, *(rng.randint(1, 10**6) for _ in range(50))),
            lines(2000, *(rng.randint(1, 10**5) for _ in range(2000)))]


def _rotate_cases(rng):
    out = [lines("1 1000000000000000000", "42"), lines("5 0", "1 2 3 4 5"), lines("5 5", "1 2 3 4 5"),
           lines("4 6", "1 2 3 4")]
    for n in (10, 1000):
        out.append(lines(f"{n} {rng.randint(0, 10**18)}", ints(_array(rng, n, 1, 10**9))))
    out.append(lines(f"20000 {10**18 - 7}", ints(_array(rng, 20000, 1, 99))))
    return out


def _stairs_cases(rng):
    return [lines(1), lines(2), lines(7), lines(rng.randint(20, 40)), lines(400)]


def _kth_digit_cases(rng):
    qs = [rng.randint(1, 10**17) for _ in range(300)]
    return [lines(4, 1, 9, 10, 11), lines(5, 189, 190, 191, 192, 2889), lines(len(qs), *qs)]


def _triangle_cases(rng):
    tri = [(3, 4, 5), (1, 1, 2), (2, 2, 3), (5, 5, 5), (1, 2, 10), (0, 1, 1)]
    more = [tuple(rng.randint(1, 20) for _ in range(3)) for _ in range(400)]
    return [lines(len(tri), *(ints(t) for t in tri)), lines(len(more), *(ints(t) for t in more))]


def _change_cases(rng):
    out = [lines(1, "0"), lines(4, "1", "4", "5", "99")]
    out.append(lines(1000, *(rng.randint(0, 10**9) for _ in range(1000))))
    return out


PROBLEMS = [
    Problem(
        id="sum-of-pairs",
        title="Sum of pairs",
        statement="""
            The first line holds T. Each of the next T lines holds two integers a and b
            (|a|, |b| <= 10^18). Print a + b for each line, one per line.
        """,
        samples=[(lines(2, "1 2", "-3 10"), lines(3, 7))],
        generate=_sum_pairs,
        correct="""
            import sys
            data = sys.stdin.read().split()
            t = int(data[0])
            out = [str(int(data[1 + 2 * i]) + int(data[2 + 2 * i])) for i in range(t)]
            print("\\n".join(out))
        """,
        programs=[
            ok("variant", """
                t = int(input())
                for _ in range(t):
                    a, b = map(int, input().split())
                    print(a + b, end=" ")
            """, "all answers on one line"),
            bug("missing_output", "failed", """
                t = int(input())
                a, b = map(int, input().split())
                print(a + b)
            """, "answers only the first test case"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                t = int(data[0])
                for i in range(t):
                    print(int(float(data[1 + 2 * i]) + float(data[2 + 2 * i])))
            """, "floats lose precision beyond 2^53"),
        ],
    ),
    Problem(
        id="array-maximum",
        title="Largest element",
        statement="""
            The first line holds n (1 <= n <= 10^5), the second n integers (|a_i| <= 10^9).
            Print the largest of them.
        """,
        samples=[(lines(3, "1 5 2"), lines(5)), (lines(2, "-4 -6"), lines(-4))],
        generate=_max_cases,
        correct="""
            n = int(input())
            a = list(map(int, input().split()))
            print(max(a))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                best = 0
                for x in map(int, input().split()):
                    if x > best:
                        best = x
                print(best)
            """, "starts from 0: wrong when every element is negative"),
            bug("off_by_one", "failed", """
                n = int(input())
                a = list(map(int, input().split()))
                best = a[0]
                for i in range(1, n - 1):
                    best = max(best, a[i])
                print(best)
            """, "never looks at the last element"),
        ],
    ),
    Problem(
        id="second-largest-distinct",
        title="Second largest distinct value",
        statement="""
            Given n integers, print the second largest distinct value among them, or -1 if all
            values are equal (values are in [-10^9, 10^9]; an answer of -1 from the data is printed as is).
        """,
        samples=[(lines(5, "3 1 4 1 5"), lines(4)), (lines(2, "7 7"), lines(-1))],
        generate=_second_cases,
        correct="""
            n = int(input())
            vals = sorted(set(map(int, input().split())), reverse=True)
            print(vals[1] if len(vals) > 1 else -1)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                vals = sorted(map(int, input().split()), reverse=True)
                print(vals[1] if n > 1 else -1)
            """, "ignores 'distinct'"),
            bug("runtime_error", "error", """
                n = int(input())
                vals = sorted(set(map(int, input().split())))
                print(vals[-2])
            """, "IndexError when every value is equal"),
        ],
    ),
    Problem(
        id="fizzbuzz",
        title="FizzBuzz",
        statement="""
            Given n (1 <= n <= 10^4), print the numbers 1..n one per line, but Fizz for multiples
            of 3, Buzz for multiples of 5 and FizzBuzz for multiples of both.
        """,
        samples=[(lines(5), lines(1, 2, "Fizz", 4, "Buzz"))],
        generate=_fizz_cases,
        correct="""
            n = int(input())
            for i in range(1, n + 1):
                s = ("Fizz" if i % 3 == 0 else "") + ("Buzz" if i % 5 == 0 else "")
                print(s or i)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                for i in range(1, n + 1):
                    if i % 3 == 0:
                        print("Fizz")
                    elif i % 5 == 0:
                        print("Buzz")
                    elif i % 15 == 0:
                        print("FizzBuzz")
                    else:
                        print(i)
            """, "tests 15 last"),
            bug("wrong_format", "failed", """
                n = int(input())
                for i in range(1, n + 1):
                    s = ("fizz" if i % 3 == 0 else "") + ("buzz" if i % 5 == 0 else "")
                    print(s or i)
            """, "lower case"),
        ],
    ),
    Problem(
        id="prefix-sums",
        title="Running totals",
        statement="""
            Given n integers, print the n prefix sums a_1, a_1 + a_2, ..., separated by spaces.
        """,
        samples=[(lines(4, "1 2 3 4"), lines("1 3 6 10"))],
        generate=_prefix_cases,
        correct="""
            from itertools import accumulate
            n = int(input())
            print(*accumulate(map(int, input().split())))
        """,
        programs=[
            bug("off_by_one", "failed", """
                n = int(input())
                a = list(map(int, input().split()))
                s, out = 0, []
                for x in a:
                    out.append(s)
                    s += x
                print(*out)
            """, "exclusive prefix sums"),
            bug("too_slow", "timeout", """
                n = int(input())
                a = list(map(int, input().split()))
                out = []
                for i in range(n):
                    t = 0
                    for j in range(i + 1):
                        t += a[j]
                    out.append(t)
                print(*out)
            """, "quadratic"),
        ],
    ),
    Problem(
        id="matrix-transpose",
        title="Transpose",
        statement="""
            The first line holds r and c, then r rows of c integers. Print the c x r transpose,
            one row per line.
        """,
        samples=[(lines("2 3", "1 2 3", "4 5 6"), lines("1 4", "2 5", "3 6"))],
        generate=_transpose_cases,
        correct="""
            r, c = map(int, input().split())
            m = [input().split() for _ in range(r)]
            for row in zip(*m):
                print(" ".join(row))
        """,
        programs=[
            bug("runtime_error", "error", """
                r, c = map(int, input().split())
                m = [input().split() for _ in range(r)]
                for j in range(r):
                    print(" ".join(m[i][j] for i in range(c)))
            """, "r and c swapped: IndexError on a non-square matrix"),
            ok("variant", """
                import sys
                r, c, *rest = sys.stdin.read().split()
                r, c = int(r), int(c)
                sys.stdout.write("\\n".join(" ".join(rest[i * c + j] for i in range(r)) for j in range(c)))
            """, "reads everything at once; no final newline"),
        ],
    ),
    Problem(
        id="leap-years",
        title="Leap years",
        statement="""
            For each of the q years (1 <= y <= 10^9) print YES if it is a leap year in the
            Gregorian calendar, NO otherwise.
        """,
        samples=[(lines(3, 1900, 2000, 2024), lines("NO", "YES", "YES"))],
        generate=_leap_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                y = int(input())
                print("YES" if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                q = int(input())
                for _ in range(q):
                    y = int(input())
                    print("YES" if y % 4 == 0 and y % 100 != 0 else "NO")
            """, "forgets the 400 rule"),
            bug("wrong_format", "failed", """
                q = int(input())
                for _ in range(q):
                    y = int(input())
                    print(y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
            """, "prints True/False"),
        ],
    ),
    Problem(
        id="letter-grades",
        title="Letter grades",
        statement="""
            n scores in 0..100 on one line. Print a letter for each: A for 90 and above, B for
            80-89, C for 70-79, D for 60-69, E for 50-59 and F below 50, separated by spaces.
        """,
        samples=[(lines(4, "95 80 79 12"), lines("A B C F"))],
        generate=_grade_cases,
        correct="""
            n = int(input())
            out = []
            for s in map(int, input().split()):
                out.append("F" if s < 50 else "EDCBA"[min(4, (s - 50) // 10)])
            print(*out)
        """,
        programs=[
            bug("off_by_one", "failed", """
                n = int(input())
                out = []
                for s in map(int, input().split()):
                    if s > 90: out.append("A")
                    elif s > 80: out.append("B")
                    elif s > 70: out.append("C")
                    elif s > 60: out.append("D")
                    elif s > 50: out.append("E")
                    else: out.append("F")
                print(*out)
            """, "boundaries exclusive"),
            bug("runtime_error", "error", """
                n = int(input())
                print(*("FFFFFEDCBA"[s // 10] for s in map(int, input().split())))
            """, "IndexError on a score of 100"),
        ],
    ),
    Problem(
        id="digit-sums",
        title="Digit sums",
        statement="""
            For each of the q integers (|x| <= 10^18) print the sum of its decimal digits
            (the sign does not count).
        """,
        samples=[(lines(2, 123, -45), lines(6, 9))],
        generate=_digit_sum_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                print(sum(int(ch) for ch in input().strip().lstrip("-")))
        """,
        programs=[
            bug("runtime_error", "error", """
                q = int(input())
                for _ in range(q):
                    print(sum(int(ch) for ch in input().strip()))
            """, "int('-') on a negative number"),
            bug("wrong_answer", "failed", """
                q = int(input())
                for _ in range(q):
                    x = int(input())
                    s = 0
                    while x > 0:
                        s += x % 10
                        x //= 10
                    print(s)
            """, "prints 0 for negative numbers"),
        ],
    ),
    Problem(
        id="collatz-steps",
        title="Collatz steps",
        statement="""
            For each n (1 <= n <= 10^6) print how many steps of n -> n/2 (even) or 3n+1 (odd)
            it takes to reach 1.
        """,
        samples=[(lines(3, 1, 6, 7), lines(0, 8, 16))],
        generate=_collatz_cases,
        correct="""
            import sys
            def steps(n):
                s = 0
                while n != 1:
                    n = n // 2 if n % 2 == 0 else 3 * n + 1
                    s += 1
                return s
            data = sys.stdin.read().split()
            print("\\n".join(str(steps(int(x))) for x in data[1:]))
        """,
        programs=[
            bug("infinite_loop", "timeout", """
                import sys
                def steps(n):
                    s = 0
                    while n != 1:
                        if n % 2 == 0:
                            n //= 2
                        else:
                            3 * n + 1
                        s += 1
                    return s
                data = sys.stdin.read().split()
                print("\\n".join(str(steps(int(x))) for x in data[1:]))
            """, "the odd step computes 3n+1 and drops it: stuck at the first odd number above 1"),
            bug("off_by_one", "failed", """
                import sys
                def steps(n):
                    s = 1
                    while n != 1:
                        n = n // 2 if n % 2 == 0 else 3 * n + 1
                        s += 1
                    return s
                data = sys.stdin.read().split()
                print("\\n".join(str(steps(int(x))) for x in data[1:]))
            """, "counts values, not steps"),
        ],
    ),
    Problem(
        id="rotate-right",
        title="Rotate right",
        statement="""
            The first line holds n and k (1 <= n <= 10^5, 0 <= k <= 10^18), the second n integers.
            Rotate the array right by k positions and print it.
        """,
        samples=[(lines("5 2", "1 2 3 4 5"), lines("4 5 1 2 3"))],
        generate=_rotate_cases,
        correct="""
            n, k = map(int, input().split())
            a = input().split()
            k %= n
            print(" ".join(a[n - k:] + a[:n - k]))
        """,
        programs=[
            bug("too_slow", "timeout", """
                n, k = map(int, input().split())
                a = input().split()
                for _ in range(k):
                    a.insert(0, a.pop())
                print(" ".join(a))
            """, "rotates one step at a time, k up to 10^18"),
            bug("wrong_answer", "failed", """
                n, k = map(int, input().split())
                a = input().split()
                k %= n
                print(" ".join(a[k:] + a[:k]))
            """, "rotates left"),
        ],
    ),
    Problem(
        id="star-staircase",
        title="Staircase",
        statement="""
            Given n (1 <= n <= 400), print n lines; line i holds i stars (*) with no spaces.
        """,
        samples=[(lines(3), lines("*", "**", "***"))],
        generate=_stairs_cases,
        correct="""
            n = int(input())
            for i in range(1, n + 1):
                print("*" * i)
        """,
        programs=[
            bug("missing_output", "failed", """
                n = int(input())
                for i in range(1, n):
                    print("*" * i)
            """, "one line short"),
            bug("wrong_format", "failed", """
                n = int(input())
                for i in range(1, n + 1):
                    print(" ".join("*" * i))
            """, "stars separated by spaces"),
        ],
    ),
    Problem(
        id="kth-digit",
        title="The k-th digit of 123456789101112...",
        statement="""
            Write the positive integers one after another: 123456789101112... For each of the q
            queries k (1 <= k <= 10^17) print the k-th digit of that string.
        """,
        samples=[(lines(3, 1, 10, 11), lines(1, 1, 0))],
        generate=_kth_digit_cases,
        correct="""
            import sys
            def digit(k):
                length, count, start = 1, 9, 1
                while k > length * count:
                    k -= length * count
                    length += 1
                    count *= 10
                    start *= 10
                num = start + (k - 1) // length
                return str(num)[(k - 1) % length]
            qs = sys.stdin.read().split()[1:]
            print("\\n".join(digit(int(k)) for k in qs))
        """,
        programs=[
            bug("off_by_one", "failed", """
                import sys
                def digit(k):
                    length, count, start = 1, 9, 1
                    while k > length * count:
                        k -= length * count
                        length += 1
                        count *= 10
                        start *= 10
                    num = start + k // length
                    return str(num)[k % length]
                qs = sys.stdin.read().split()[1:]
                print("\\n".join(digit(int(k)) for k in qs))
            """, "1-based k used as 0-based"),
            bug("too_slow", "timeout", """
                import sys
                def digit(k):
                    i = 0
                    while True:
                        i += 1
                        s = str(i)
                        if k <= len(s):
                            return s[k - 1]
                        k -= len(s)
                qs = sys.stdin.read().split()[1:]
                print("\\n".join(digit(int(k)) for k in qs))
            """, "walks the numbers one by one"),
        ],
    ),
    Problem(
        id="triangle-kind",
        title="Triangle kind",
        statement="""
            For each of q triples of side lengths print one word: NONE if they do not form a
            triangle of positive area, else EQUILATERAL, ISOSCELES or SCALENE.
        """,
        samples=[(lines(3, "2 2 2", "3 4 5", "1 2 3"), lines("EQUILATERAL", "SCALENE", "NONE"))],
        generate=_triangle_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                a, b, c = sorted(map(int, input().split()))
                if a + b <= c:
                    print("NONE")
                elif a == c:
                    print("EQUILATERAL")
                elif a == b or b == c:
                    print("ISOSCELES")
                else:
                    print("SCALENE")
        """,
        programs=[
            bug("off_by_one", "failed", """
                q = int(input())
                for _ in range(q):
                    a, b, c = sorted(map(int, input().split()))
                    if a + b < c:
                        print("NONE")
                    elif a == c:
                        print("EQUILATERAL")
                    elif a == b or b == c:
                        print("ISOSCELES")
                    else:
                        print("SCALENE")
            """, "a degenerate triangle counted"),
            bug("wrong_answer", "failed", """
                q = int(input())
                for _ in range(q):
                    a, b, c = map(int, input().split())
                    if a + b <= c:
                        print("NONE")
                    elif a == b == c:
                        print("EQUILATERAL")
                    elif a == b or b == c or a == c:
                        print("ISOSCELES")
                    else:
                        print("SCALENE")
            """, "checks only one side against the sum of the others"),
        ],
    ),
    Problem(
        id="coin-change-greedy",
        title="Fewest coins (1, 2, 5, 10, 20, 50, 100)",
        statement="""
            For each amount (0 <= x <= 10^9) print the fewest coins of values 1, 2, 5, 10, 20,
            50 and 100 that sum to it (this coin system is canonical, so greedy is optimal).
        """,
        samples=[(lines(3, 0, 8, 188), lines(0, 3, 7))],
        generate=_change_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                x = int(input())
                c = 0
                for v in (100, 50, 20, 10, 5, 2, 1):
                    c += x // v
                    x %= v
                print(c)
        """,
        programs=[
            bug("too_slow", "timeout", """
                q = int(input())
                for _ in range(q):
                    x = int(input())
                    c = 0
                    while x > 0:
                        for v in (100, 50, 20, 10, 5, 2, 1):
                            if v <= x:
                                x -= v
                                c += 1
                                break
                    print(c)
            """, "one coin at a time: 10^7 steps per amount"),
            bug("crash_after_output", "error", """
                import sys
                q = int(input())
                for _ in range(q):
                    x = int(input())
                    c = 0
                    for v in (100, 50, 20, 10, 5, 2, 1):
                        c += x // v
                        x %= v
                    print(c)
                sys.exit(q)
            """, "right answers, then exits with the count as status"),
        ],
    ),
]
