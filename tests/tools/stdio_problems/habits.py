"""How programs read, write and end: early exits, EOF loops, blank lines, CRLF input, stderr,
exit codes, unflushed output, recursion limits, memory, non-ASCII text, large output."""
from __future__ import annotations

import string

from . import Problem, bug, ints, lines, ok


def _first_negative_cases(rng):
    out = [lines(1, "-1"), lines(3, "1 1 1"), lines(4, "0 0 0 0"), lines(5, "5 -5 0 -1 3")]
    for n in (20, 10000):
        out.append(lines(n, ints(rng.randint(-10, 12) for _ in range(n))))
    return out


def _eof_cases(rng):
    rows = [ints(rng.randint(-100, 100) for _ in range(rng.randint(1, 10))) for _ in range(500)]
    return ["5", "1 2 3\n4 5", "7\n\n8\n", "\n".join(rows) + "\n", "-1 -2\n"]


def _blank_cases(rng):
    def block():
        n = rng.randint(1, 8)
        return f"{n}\n{ints(rng.randint(1, 100) for _ in range(n))}\n"
    return ["1\n\n1\n7\n", "2\n\n2\n1 2\n\n3\n1 2 3\n", "3\n\n\n1\n5\n\n\n1\n6\n\n1\n7\n",
            "200\n\n" + "\n".join(block() for _ in range(200))]


def _crlf_cases(rng):
    names = ["".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 10))) for _ in range(200)]
    return ["1\r\nAda\r\n", "2\r\nAl\r\nBo\r\n", f"{len(names)}\r\n" + "\r\n".join(names) + "\r\n", "1\nplain\n"]


def _yes_no_cases(rng):
    nums = [rng.randint(1, 10**6) for _ in range(300)]
    return [lines(3, 1, 2, 3), lines(2, 10**6, 999999), lines(len(nums), *nums)]


def _debug_cases(rng):
    return [lines(1, "5 5"), lines(3, "0 1", "1 0", "2 2"),
            lines(500, *(f"{rng.randint(-1000, 1000)} {rng.randint(-1000, 1000)}" for _ in range(500)))]


def _depth_cases(rng):
    out = [lines("()"), lines("(())()"), lines("((()))(()())")]
    for n in (50, 2000):
        s, depth = [], 0
        for _ in range(n):
            if depth and rng.random() < 0.45:
                s.append(")")
                depth -= 1
            else:
                s.append("(")
                depth += 1
        s += [")"] * depth
        out.append(lines("".join(s)))
    out.append(lines("(" * 5000 + ")" * 5000))
    return out


def _distinct_cases(rng):
    return [lines(1, "5"), lines(4, "1 1 1 1"), lines(5, "1000000000 1 1000000000 2 3"),
            lines(20, ints(rng.randint(1, 10) for _ in range(20))),
            lines(5000, ints(rng.randint(1, 10**9) for _ in range(5000)))]


def _unicode_cases(rng):
    words = ["naïve", "café", "Straße", "日本語", "Ωmega", "smörgåsbord", "plain", "emoji🙂", "ĳ", "x"]
    return [lines(1, "café"), lines(2, "Ωmega", "abc"),
            lines(100, *(" ".join(rng.choice(words) for _ in range(rng.randint(1, 5))) for _ in range(100)))]


def _squares_cases(rng):
    return [lines(1), lines(3), lines(rng.randint(100, 1000)), lines(10000)]


def _swap_cases(rng):
    return [lines("1 2"), lines("-5 5"), lines("0 0")]


PROBLEMS = [
    Problem(
        id="first-negative-prefix",
        title="When does the balance go negative?",
        statement="""
            n integers are the day-by-day changes of a balance that starts at 0. Print the first
            day (1-based) on which the balance is negative, or -1 if it never is.
        """,
        samples=[(lines(5, "3 -2 -2 4 -9"), lines(3)), (lines(2, "1 2"), lines(-1))],
        generate=_first_negative_cases,
        correct="""
            import sys
            n = int(input())
            bal = 0
            for day, x in enumerate(map(int, input().split()), 1):
                bal += x
                if bal < 0:
                    print(day)
                    sys.exit(0)
            print(-1)
        """,
        programs=[
            ok("variant", """
                n = int(input())
                bal = 0
                for day, x in enumerate(map(int, input().split()), 1):
                    bal += x
                    if bal < 0:
                        print(day)
                        exit()
                print(-1)
            """, "the exit() builtin that python adds through the site module"),
            ok("variant", """
                n = int(input())
                bal = 0
                for day, x in enumerate(map(int, input().split()), 1):
                    bal += x
                    if bal < 0:
                        print(day)
                        raise SystemExit
                print(-1)
            """, "raise SystemExit"),
            bug("crash_after_output", "error", """
                import sys
                n = int(input())
                bal = 0
                for day, x in enumerate(map(int, input().split()), 1):
                    bal += x
                    if bal < 0:
                        print(day)
                        sys.exit(1)
                print(-1)
            """, "the right answer, then exit status 1"),
            bug("crash_after_output", "error", """
                import sys
                n = int(input())
                bal = 0
                for day, x in enumerate(map(int, input().split()), 1):
                    bal += x
                    if bal < 0:
                        print(day)
                        sys.exit("found it")
                print(-1)
            """, "sys.exit with a message: status 1"),
            bug("missing_output", "failed", """
                import os
                n = int(input())
                bal = 0
                for day, x in enumerate(map(int, input().split()), 1):
                    bal += x
                    if bal < 0:
                        print(day)
                        os._exit(0)
                print(-1)
            """, "os._exit skips flushing stdout: the answer is lost"),
        ],
    ),
    Problem(
        id="sum-lines-until-eof",
        title="Sum each line",
        statement="""
            The input has any number of lines, each with integers (the last line may lack its
            newline; empty lines sum to 0). Print the sum of each line.
        """,
        samples=[("1 2\n3 4 5\n", lines(3, 12))],
        generate=_eof_cases,
        correct="""
            import sys
            for line in sys.stdin:
                print(sum(map(int, line.split())))
        """,
        programs=[
            bug("runtime_error", "error", """
                while True:
                    print(sum(map(int, input().split())))
            """, "reads past the end: EOFError"),
            ok("variant", """
                while True:
                    try:
                        line = input()
                    except EOFError:
                        break
                    print(sum(map(int, line.split())))
            """, "input() until EOFError"),
            bug("missing_output", "failed", """
                import sys
                data = sys.stdin.read().split("\\n")
                for line in data[:-1]:
                    print(sum(map(int, line.split())))
            """, "drops the last line when it has no newline"),
        ],
    ),
    Problem(
        id="blank-line-blocks",
        title="Blocks separated by blank lines",
        statement="""
            The first line holds T; then T test cases, each preceded by one or more blank lines,
            each a count n and a line of n integers. Print each test case's maximum.
        """,
        samples=[("2\n\n3\n1 5 2\n\n1\n-4\n", lines(5, -4))],
        generate=_blank_cases,
        correct="""
            import sys
            data = sys.stdin.read().split()
            t, pos = int(data[0]), 1
            for _ in range(t):
                n = int(data[pos])
                print(max(map(int, data[pos + 1:pos + 1 + n])))
                pos += 1 + n
        """,
        programs=[
            bug("runtime_error", "error", """
                t = int(input())
                for _ in range(t):
                    input()
                    n = int(input())
                    print(max(map(int, input().split())))
            """, "expects exactly one blank line: int('') on a second one"),
            ok("variant", """
                import sys
                def tokens():
                    for line in sys.stdin:
                        yield from line.split()
                it = tokens()
                for _ in range(int(next(it))):
                    n = int(next(it))
                    print(max(int(next(it)) for _ in range(n)))
            """, "a token generator"),
        ],
    ),
    Problem(
        id="crlf-greetings",
        title="Greetings (Windows line endings)",
        statement="""
            The first line holds n, then n names, one per line; lines may end with CRLF. Print
            "Hello, NAME!" for each.
        """,
        samples=[("2\r\nAnn\r\nBob\r\n", lines("Hello, Ann!", "Hello, Bob!"))],
        generate=_crlf_cases,
        correct="""
            n = int(input())
            for _ in range(n):
                print(f"Hello, {input().strip()}!")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                n = int(sys.stdin.buffer.readline())
                for _ in range(n):
                    name = sys.stdin.buffer.readline().decode().rstrip("\\n")
                    print(f"Hello, {name}!")
            """, "binary reads keep the carriage return"),
            ok("variant", """
                import sys
                lines_ = sys.stdin.buffer.read().splitlines()
                for name in lines_[1:int(lines_[0]) + 1]:
                    sys.stdout.write("Hello, " + name.decode() + "!\\n")
            """, "bytes.splitlines handles CRLF"),
        ],
    ),
    Problem(
        id="even-yes-no",
        title="Even? (Yes/No)",
        statement="""
            For each of q numbers print Yes if it is even and No otherwise, exactly in that case.
        """,
        samples=[(lines(2, 4, 7), lines("Yes", "No"))],
        generate=_yes_no_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                print("Yes" if int(input()) % 2 == 0 else "No")
        """,
        programs=[
            bug("wrong_format", "failed", """
                q = int(input())
                for _ in range(q):
                    print("YES" if int(input()) % 2 == 0 else "NO")
            """, "upper case"),
            ok("variant", """
                import sys
                nums = sys.stdin.read().split()[1:]
                sys.stdout.write("  ".join("Yes" if int(x) % 2 == 0 else "No" for x in nums) + "   ")
            """, "one line, double spaces, trailing spaces, no newline"),
        ],
    ),
    Problem(
        id="debug-output",
        title="Larger of two (debugging left in)",
        statement="""
            For each of the T pairs print the larger number.
        """,
        samples=[(lines(2, "1 2", "9 -9"), lines(2, 9))],
        generate=_debug_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                print(max(map(int, input().split())))
        """,
        programs=[
            ok("variant", """
                import sys
                t = int(input())
                for i in range(t):
                    a, b = map(int, input().split())
                    print(f"debug: case {i}: a={a} b={b}", file=sys.stderr)
                    print(max(a, b))
            """, "debugging on stderr"),
            bug("wrong_format", "failed", """
                t = int(input())
                for i in range(t):
                    a, b = map(int, input().split())
                    print(f"Case #{i + 1}: {max(a, b)}")
            """, "a Case #i: prefix the problem did not ask for"),
            bug("missing_output", "failed", """
                import sys
                t = int(input())
                for _ in range(t):
                    print(max(map(int, input().split())), file=sys.stderr)
            """, "answers on stderr"),
        ],
    ),
    Problem(
        id="nesting-depth",
        title="Nesting depth",
        statement="""
            A balanced string of parentheses (length <= 10^5). Print its maximum nesting depth.
        """,
        samples=[(lines("(()(()))"), lines(3))],
        generate=_depth_cases,
        correct="""
            depth = best = 0
            for ch in input().strip():
                depth += 1 if ch == "(" else -1
                best = max(best, depth)
            print(best)
        """,
        programs=[
            bug("runtime_error", "error", """
                s = input().strip()
                def parse(i):
                    best = 0
                    while i < len(s) and s[i] == "(":
                        inner, i = parse(i + 1)
                        best = max(best, inner + 1)
                        i += 1
                    return best, i
                print(parse(0)[0])
            """, "a recursive parser without a raised limit: RecursionError"),
            ok("variant", """
                import sys
                sys.setrecursionlimit(300000)
                s = input().strip()
                def parse(i):
                    best = 0
                    while i < len(s) and s[i] == "(":
                        inner, i = parse(i + 1)
                        best = max(best, inner + 1)
                        i += 1
                    return best, i
                print(parse(0)[0])
            """, "the same parser with sys.setrecursionlimit, in the main thread"),
        ],
    ),
    Problem(
        id="distinct-values",
        title="Distinct values",
        statement="""
            n integers in 1..10^9 (n <= 10^5). Print how many distinct values there are.
        """,
        samples=[(lines(5, "3 1 3 2 1"), lines(3))],
        generate=_distinct_cases,
        correct="""
            n = int(input())
            print(len(set(input().split())))
        """,
        programs=[
            bug("memory_hog", "error", """
                n = int(input())
                seen = [False] * (10**9 + 1)
                count = 0
                for x in map(int, input().split()):
                    if not seen[x]:
                        seen[x] = True
                        count += 1
                print(count)
            """, "a presence table over the whole value range: MemoryError"),
            bug("wrong_answer", "failed", """
                n = int(input())
                a = sorted(map(int, input().split()))
                print(sum(1 for i in range(1, n) if a[i] != a[i - 1]))
            """, "counts changes, forgets the first value"),
        ],
    ),
    Problem(
        id="reverse-unicode",
        title="Reverse each line (UTF-8)",
        statement="""
            The first line holds n, then n lines of UTF-8 text. Print each line reversed
            character by character.
        """,
        samples=[(lines(2, "abc", "été"), lines("cba", "été"))],
        generate=_unicode_cases,
        correct="""
            n = int(input())
            for _ in range(n):
                print(input()[::-1])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                raw = sys.stdin.buffer.read().split(b"\\n")
                out = [line[::-1] for line in raw[1:int(raw[0]) + 1]]
                sys.stdout.buffer.write(b"\\n".join(out) + b"\\n")
            """, "reverses bytes, breaking multi-byte characters"),
            bug("runtime_error", "error", """
                n = int(input())
                for _ in range(n):
                    print(input()[::-1].encode("ascii").decode())
            """, "an ASCII round trip: UnicodeEncodeError"),
        ],
    ),
    Problem(
        id="many-squares",
        title="Squares, one per line",
        statement="""
            Given n (n <= 10^4), print 1, 4, 9, ..., n^2, one per line.
        """,
        samples=[(lines(4), lines(1, 4, 9, 16))],
        generate=_squares_cases,
        correct="""
            n = int(input())
            print("\\n".join(str(i * i) for i in range(1, n + 1)))
        """,
        programs=[
            ok("variant", """
                n = int(input())
                for i in range(1, n + 1):
                    print(i * i, flush=True)
            """, "flushes after every line"),
            bug("off_by_one", "failed", """
                n = int(input())
                print("\\n".join(str(i * i) for i in range(n)))
            """, "starts at 0"),
        ],
    ),
    Problem(
        id="swap-two",
        title="Swap",
        statement="""
            Read a and b on one line and print b and a.
        """,
        samples=[(lines("3 4"), lines("4 3"))],
        generate=_swap_cases,
        correct="""
            a, b = input().split()
            print(b, a)
        """,
        programs=[
            bug("missing_output", "failed", """
                a, b = input().split()
                a, b = b, a
            """, "computes the answer and prints nothing"),
            bug("wrong_format", "failed", """
                a, b = input().split()
                print((b, a))
            """, "prints a tuple"),
            bug("infinite_loop", "timeout", """
                a, b = input().split()
                while a != b:
                    a, b = b, a
                print(b, a)
            """, "swaps until equal"),
        ],
    ),
]
