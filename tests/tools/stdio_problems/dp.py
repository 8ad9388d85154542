"""Dynamic programming: knapsacks, subsequences, counting paths and ways."""
from __future__ import annotations

import string

from . import LCG_RULE, Problem, bug, ints, lcg, lines, ok, src, with_lcg

MOD = 10**9 + 7


def _read(inp):
    return list(map(int, inp.split()))


def _knapsack_cases(rng):
    out = [lines("1 5", "6 100"), lines("1 5", "5 100"), lines("3 0", "1 1", "1 2", "1 3")]
    for n, cap, wmax in ((12, 50, 20), (40, 1000, 100), (100, 10000, 1000)):
        out.append(lines(f"{n} {cap}", *(f"{rng.randint(1, wmax)} {rng.randint(1, 10**6)}" for _ in range(n))))
    return out


def _lis_brute(inp):
    n, seed = _read(inp)
    a = lcg(n, seed, 1000)
    best = [1] * n
    for i in range(n):
        for j in range(i):
            if a[j] < a[i]:
                best[i] = max(best[i], best[j] + 1)
    return lines(max(best))


def _lis_cases(rng):
    return [lines("1 0"), lines("2 3"), lines("50 13"), lines(f"1000 {rng.randint(0, 10**9)}"),
            lines(f"200000 {rng.randint(0, 10**9)}")]


def _edit_cases(rng):
    def w(n, alpha="abc"):
        return "".join(rng.choice(alpha) for _ in range(n))
    return [lines("a", "a"), lines("abc", "abc"), lines("a", "b"), lines("abc", "x"),
            lines(w(16), w(14)), lines(w(200, "ab"), w(180, "ab")), lines(w(700, "acgt"), w(700, "acgt"))]


def _coin_ways_cases(rng):
    return [lines("1 0", "5"), lines("1 3", "2"), lines("3 5", "1 2 5"), lines("2 10", "10 1"),
            lines("8 500", ints(sorted(rng.sample(range(1, 100), 8)))),
            lines("40 10000", ints(rng.sample(range(1, 1000), 40)))]


def _min_coins_cases(rng):
    return [lines("1 0", "7"), lines("1 5", "2"), lines("3 6", "1 3 4"), lines("2 7", "5 2"),
            lines("5 300", ints(rng.sample(range(2, 60), 5))), lines("30 10000", ints(rng.sample(range(2, 2000), 30)))]


def _lcs_cases(rng):
    def w(n, alpha):
        return "".join(rng.choice(alpha) for _ in range(n))
    return [lines("a", "b"), lines("abc", "abc"), lines("x", "xxxx"), lines(w(15, "ab"), w(20, "ab")),
            lines(w(300, "abcd"), w(250, "abcd")), lines(w(1500, string.ascii_lowercase[:6]), w(1500, string.ascii_lowercase[:6]))]


def _kadane_cases(rng):
    out = [lines(1, "-5"), lines(3, "-3 -1 -2"), lines(4, "1 2 3 4"), lines(5, "0 0 0 0 0")]
    for n in (20, 20000):
        out.append(lines(n, ints(rng.randint(-99, 99) for _ in range(n))))
    return out


def _stairs_brute(inp):
    n, k = _read(inp)
    ways = [1] + [0] * n
    for i in range(1, n + 1):
        ways[i] = sum(ways[max(0, i - k):i])
    return lines(ways[n] % MOD)


def _stairs_cases(rng):
    return [lines("1 1"), lines("1 5"), lines("10 1"), lines("10 2"), lines("30 4"),
            lines(f"{rng.randint(1000, 5000)} {rng.randint(2, 50)}"), lines("100000 60")]


def _grid_paths_cases(rng):
    out = [lines("1 1", "."), lines("1 1", "#"), lines("2 2", ".#", "#."), lines("1 5", "....."), lines("2 2", "..", ".#")]
    for r, c, p in ((5, 6, 0.2), (300, 300, 0.05)):
        grid = [["#" if rng.random() < p else "." for _ in range(c)] for _ in range(r)]
        grid[0][0] = grid[r - 1][c - 1] = "."
        out.append(lines(f"{r} {c}", *("".join(row) for row in grid)))
    return out


def _partition_cases(rng):
    return [lines(1, "7"), lines(2, "3 3"), lines(3, "1 2 3"), lines(4, "1 1 1 10"),
            lines(15, ints(rng.randint(1, 50) for _ in range(15))), lines(100, ints(rng.randint(1, 1500) for _ in range(100)))]


def _chain_cases(rng):
    return [lines(1, "5 10"), lines(2, "10 20 30"), lines(3, "10 20 30 40"),
            lines(8, ints(rng.randint(1, 50) for _ in range(9))), lines(120, ints(rng.randint(1, 100) for _ in range(121)))]


def _robber_cases(rng):
    out = [lines(1, "5"), lines(2, "2 3"), lines(3, "5 1 1"), lines(4, "2 7 9 3")]
    for n in (15, 5000):
        out.append(lines(n, ints(rng.randint(0, 1000) for _ in range(n))))
    return out


def _decode_cases(rng):
    fixed = ["0", "10", "100", "101", "27", "2611055971756562", "1111111111"]
    more = ["".join(rng.choice("1122330") for _ in range(rng.randint(1, 40))) for _ in range(200)]
    return [lines(len(fixed), *fixed), lines(len(more), *more), lines(1, "12" * 5000)]


def _word_break_cases(rng):
    words = ["ab", "abc", "cd", "def", "abcd", "ef", "c"]
    out = [lines(1, "a", "a"), lines(2, "a aa", "aaaaab"), lines(3, "ab abc cd", "abcd")]
    for _ in range(4):
        text = "".join(rng.choice(words) for _ in range(rng.randint(2, 8)))
        out.append(lines(len(words), " ".join(words), text + rng.choice(["", "", "x", "b"])))
    out.append(lines(len(words), " ".join(words), "".join(rng.choice(words) for _ in range(1000))))
    out.append(lines(2, "a aa", "a" * 5000 + "b"))
    return out


def _catalan_cases(rng):
    return [lines(1, 0), lines(3, 1, 2, 3), lines(5, 10, 19, 20, 35, 100), lines(3, 1000, 2000, 2500)]


def _lis_program(body: str) -> str:
    return with_lcg("n, seed = map(int, input().split())\na = lcg(n, seed, 1000)\n" + src(body))


PROBLEMS = [
    Problem(
        id="knapsack",
        title="0/1 knapsack",
        statement="""
            n items with weights w_i and values v_i, and a capacity W (n <= 100, W <= 10^4).
            Print the largest total value of items whose weights sum to at most W.
        """,
        samples=[(lines("3 50", "10 60", "20 100", "30 120"), lines(220))],
        generate=_knapsack_cases,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            n, W = map(int, input().split())
            dp = [0] * (W + 1)
            for _ in range(n):
                w, v = map(int, input().split())
                if w <= W:
                    dp[w:] = map(max, dp[w:], [x + v for x in dp[:W + 1 - w]])
            print(dp[W])
        """,
        programs=[
            ok("slow_correct", """
                n, W = map(int, input().split())
                items = [tuple(map(int, input().split())) for _ in range(n)]
                table = [[0] * (W + 1) for _ in range(n + 1)]
                for i in range(1, n + 1):
                    w, v = items[i - 1]
                    prev, row = table[i - 1], table[i]
                    for c in range(W + 1):
                        best = prev[c]
                        if w <= c and prev[c - w] + v > best:
                            best = prev[c - w] + v
                        row[c] = best
                print(table[n][W])
            """, "the full table with plain loops"),
            bug("wrong_answer", "failed", """
                n, W = map(int, input().split())
                dp = [0] * (W + 1)
                for _ in range(n):
                    w, v = map(int, input().split())
                    for c in range(w, W + 1):
                        dp[c] = max(dp[c], dp[c - w] + v)
                print(dp[W])
            """, "ascending capacities: each item used many times"),
            bug("too_slow", "timeout", """
                n, W = map(int, input().split())
                items = [tuple(map(int, input().split())) for _ in range(n)]
                def best(i, cap):
                    if i == n:
                        return 0
                    skip = best(i + 1, cap)
                    w, v = items[i]
                    return max(skip, best(i + 1, cap - w) + v) if w <= cap else skip
                print(best(0, W))
            """, "tries every subset"),
        ],
    ),
    Problem(
        id="lis-generated",
        title="Longest increasing subsequence (generated)",
        statement="""
            Input: n seed (n <= 2*10^5); a_1..a_n has m = 1000, where RULE. Print the length of the longest
            strictly increasing subsequence.
        """.replace("RULE", LCG_RULE),
        samples=[(lines("8 1"), _lis_brute(lines("8 1"))), (lines("20 4"), _lis_brute(lines("20 4")))],
        generate=_lis_cases,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct=_lis_program("""
            from bisect import bisect_left
            tails = []
            for v in a:
                i = bisect_left(tails, v)
                if i == len(tails):
                    tails.append(v)
                else:
                    tails[i] = v
            print(len(tails))
        """),
        programs=[
            ok("slow_correct", _lis_program("""
                tails = []
                for v in a:
                    lo, hi = 0, len(tails)
                    while lo < hi:
                        mid = (lo + hi) // 2
                        if tails[mid] < v:
                            lo = mid + 1
                        else:
                            hi = mid
                    if lo == len(tails):
                        tails.append(v)
                    else:
                        tails[lo] = v
                print(len(tails))
            """), "the binary search written out"),
            bug("too_slow", "timeout", _lis_program("""
                best = [1] * n
                for i in range(n):
                    for j in range(i):
                        if a[j] < a[i] and best[j] + 1 > best[i]:
                            best[i] = best[j] + 1
                print(max(best))
            """), "quadratic DP"),
            bug("wrong_answer", "failed", _lis_program("""
                from bisect import bisect_right
                tails = []
                for v in a:
                    i = bisect_right(tails, v)
                    if i == len(tails):
                        tails.append(v)
                    else:
                        tails[i] = v
                print(len(tails))
            """), "bisect_right: non-decreasing, not strictly increasing"),
        ],
    ),
    Problem(
        id="edit-distance",
        title="Edit distance",
        statement="""
            Two words (length <= 700) on two lines. Print the fewest insertions, deletions and
            substitutions of single letters that turn the first into the second.
        """,
        samples=[(lines("kitten", "sitting"), lines(3)), (lines("flaw", "lawn"), lines(2))],
        generate=_edit_cases,
        cpu_limit=2.0,
        correct="""
            a, b = input().strip(), input().strip()
            prev = list(range(len(b) + 1))
            for i, ca in enumerate(a, 1):
                cur = [i]
                for j, cb in enumerate(b, 1):
                    cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
                prev = cur
            print(prev[-1])
        """,
        programs=[
            bug("off_by_one", "failed", """
                a, b = input().strip(), input().strip()
                prev = [0] * (len(b) + 1)
                for i, ca in enumerate(a, 1):
                    cur = [i]
                    for j, cb in enumerate(b, 1):
                        cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
                    prev = cur
                print(prev[-1])
            """, "the first row starts at zero"),
            bug("too_slow", "timeout", """
                import sys
                sys.setrecursionlimit(10000)
                a, b = input().strip(), input().strip()
                def d(i, j):
                    if i == 0 or j == 0:
                        return i + j
                    return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
                print(d(len(a), len(b)))
            """, "the recursion without memo"),
        ],
    ),
    Problem(
        id="coin-change-ways",
        title="Ways to make change",
        statement="""
            n distinct coin values and an amount S (S <= 10^4). Print the number of multisets
            of coins summing to S, modulo 1000000007 (order does not matter; one way for S = 0).
        """,
        samples=[(lines("3 4", "1 2 3"), lines(4))],
        generate=_coin_ways_cases,
        correct="""
            n, S = map(int, input().split())
            ways = [1] + [0] * S
            for c in map(int, input().split()):
                for s in range(c, S + 1):
                    ways[s] = (ways[s] + ways[s - c]) % 1000000007
            print(ways[S])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n, S = map(int, input().split())
                coins = list(map(int, input().split()))
                ways = [1] + [0] * S
                for s in range(1, S + 1):
                    for c in coins:
                        if c <= s:
                            ways[s] = (ways[s] + ways[s - c]) % 1000000007
                print(ways[S])
            """, "loops swapped: counts ordered sequences"),
            bug("wrong_answer", "failed", """
                n, S = map(int, input().split())
                ways = [1] + [0] * S
                for c in map(int, input().split()):
                    for s in range(S, c - 1, -1):
                        ways[s] = (ways[s] + ways[s - c]) % 1000000007
                print(ways[S])
            """, "descending sums: each coin at most once"),
        ],
    ),
    Problem(
        id="fewest-coins",
        title="Fewest coins",
        statement="""
            n distinct coin values and an amount S (S <= 10^4). Print the fewest coins summing
            to S (unlimited coins of each value), or -1 if impossible.
        """,
        samples=[(lines("3 11", "1 2 5"), lines(3)), (lines("1 3", "2"), lines(-1))],
        generate=_min_coins_cases,
        correct="""
            n, S = map(int, input().split())
            coins = list(map(int, input().split()))
            INF = S + 1
            best = [0] + [INF] * S
            for s in range(1, S + 1):
                for c in coins:
                    if c <= s and best[s - c] + 1 < best[s]:
                        best[s] = best[s - c] + 1
            print(best[S] if best[S] < INF else -1)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n, S = map(int, input().split())
                coins = sorted(map(int, input().split()), reverse=True)
                count = 0
                for c in coins:
                    count += S // c
                    S %= c
                print(count if S == 0 else -1)
            """, "greedy: largest coin first"),
            bug("wrong_format", "failed", """
                n, S = map(int, input().split())
                coins = list(map(int, input().split()))
                best = [0] + [float("inf")] * S
                for s in range(1, S + 1):
                    for c in coins:
                        if c <= s and best[s - c] + 1 < best[s]:
                            best[s] = best[s - c] + 1
                print(best[S])
            """, "prints inf instead of -1"),
        ],
    ),
    Problem(
        id="lcs-length",
        title="Longest common subsequence",
        statement="""
            Two words (length <= 1500) on two lines. Print the length of their longest common
            subsequence.
        """,
        samples=[(lines("abcde", "ace"), lines(3)), (lines("abc", "def"), lines(0))],
        generate=_lcs_cases,
        heavy_case=7,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            a, b = input().strip(), input().strip()
            masks = {}
            for i, ch in enumerate(a):
                masks[ch] = masks.get(ch, 0) | (1 << i)
            full = (1 << len(a)) - 1
            v = full
            for ch in b:
                u = v & masks.get(ch, 0)
                v = ((v + u) | (v - u)) & full
            print(len(a) - bin(v).count("1"))
        """,
        programs=[
            ok("slow_correct", """
                a, b = input().strip(), input().strip()
                prev = [0] * (len(b) + 1)
                for ca in a:
                    cur = [0]
                    for j, cb in enumerate(b):
                        if ca == cb:
                            cur.append(prev[j] + 1)
                        else:
                            cur.append(cur[j] if cur[j] > prev[j + 1] else prev[j + 1])
                    prev = cur
                print(prev[-1])
            """, "the quadratic table, row by row"),
            bug("wrong_answer", "failed", """
                a, b = input().strip(), input().strip()
                best = 0
                for i in range(len(a)):
                    for j in range(len(b)):
                        k = 0
                        while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                            k += 1
                        best = max(best, k)
                print(best)
            """, "longest common substring"),
        ],
    ),
    Problem(
        id="max-subarray",
        title="Largest subarray sum",
        statement="""
            n integers. Print the largest sum of a non-empty contiguous subarray.
        """,
        samples=[(lines(9, "-2 1 -3 4 -1 2 1 -5 4"), lines(6))],
        generate=_kadane_cases,
        correct="""
            n = int(input())
            best = cur = None
            for v in map(int, input().split()):
                cur = v if cur is None or cur < 0 else cur + v
                best = cur if best is None or cur > best else best
            print(best)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                best = cur = 0
                for v in map(int, input().split()):
                    cur = max(0, cur + v)
                    best = max(best, cur)
                print(best)
            """, "allows the empty subarray: 0 when all are negative"),
            bug("too_slow", "timeout", """
                n = int(input())
                a = list(map(int, input().split()))
                best = a[0]
                for i in range(n):
                    s = 0
                    for j in range(i, n):
                        s += a[j]
                        if s > best:
                            best = s
                print(best)
            """, "all subarrays"),
        ],
    ),
    Problem(
        id="stairs-k-steps",
        title="Stairs with up to k steps",
        statement="""
            Input: n k. Climbing n stairs, each move goes up 1..k stairs. Print the number of
            ways to reach the top modulo 1000000007.
        """,
        samples=[(lines("4 2"), lines(5)), (lines("3 3"), lines(4))],
        generate=_stairs_cases,
        heavy_case=8,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            n, k = map(int, input().split())
            M = 1000000007
            ways = [1] + [0] * n
            window = 1
            for i in range(1, n + 1):
                ways[i] = window
                window = (window + ways[i] - (ways[i - k] if i >= k else 0)) % M
            print(ways[n] % M)
        """,
        programs=[
            ok("slow_correct", """
                n, k = map(int, input().split())
                M = 1000000007
                ways = [1] + [0] * n
                for i in range(1, n + 1):
                    s = 0
                    for j in range(1, min(i, k) + 1):
                        s += ways[i - j]
                    ways[i] = s % M
                print(ways[n])
            """, "sums the last k values each time"),
            bug("too_slow", "timeout", """
                import sys
                sys.setrecursionlimit(1 << 20)
                n, k = map(int, input().split())
                def count(m):
                    if m == 0:
                        return 1
                    return sum(count(m - j) for j in range(1, min(m, k) + 1))
                print(count(n) % 1000000007)
            """, "plain recursion"),
            bug("off_by_one", "failed", """
                n, k = map(int, input().split())
                M = 1000000007
                ways = [1] + [0] * n
                for i in range(1, n + 1):
                    ways[i] = sum(ways[max(0, i - k + 1):i]) % M
                print(ways[n])
            """, "moves of up to k - 1 stairs"),
        ],
    ),
    Problem(
        id="grid-paths",
        title="Paths through a grid",
        statement="""
            An r x c grid of . (free) and # (blocked). Moving only right or down, print the
            number of paths from the top-left to the bottom-right cell modulo 1000000007
            (0 if either end is blocked).
        """,
        samples=[(lines("3 3", "...", ".#.", "..."), lines(2))],
        generate=_grid_paths_cases,
        correct="""
            import sys
            data = sys.stdin.read().split()
            r, c = int(data[0]), int(data[1])
            g = data[2:2 + r]
            row = [0] * c
            row[0] = 1 if g[0][0] == "." else 0
            for i in range(r):
                for j in range(c):
                    if g[i][j] == "#":
                        row[j] = 0
                    elif j:
                        row[j] = (row[j] + row[j - 1]) % 1000000007
            print(row[-1])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = data[2:2 + r]
                row = [0] * c
                row[0] = 1
                for i in range(r):
                    for j in range(c):
                        if g[i][j] == "#" and (i, j) != (0, 0):
                            row[j] = 0
                        elif j:
                            row[j] = (row[j] + row[j - 1]) % 1000000007
                print(row[-1])
            """, "ignores a blocked start"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                r, c = int(data[0]), int(data[1])
                g = data[2:2 + r]
                row = [0] * c
                row[0] = 1 if g[0][0] == "." else 0
                for i in range(r):
                    for j in range(c):
                        if g[i][j] == "#":
                            row[j] = 0
                        elif j:
                            row[j] = row[j] + row[j - 1]
                print(row[-1])
            """, "no modulus"),
        ],
    ),
    Problem(
        id="balanced-partition",
        title="Balanced partition",
        statement="""
            n positive integers (n <= 100, each <= 1500). Split them into two groups so that the
            difference of the group sums is as small as possible; print that difference.
        """,
        samples=[(lines(4, "1 6 11 5"), lines(1))],
        generate=_partition_cases,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            n = int(input())
            a = list(map(int, input().split()))
            reach = 1
            for v in a:
                reach |= reach << v
            total = sum(a)
            bits = bin(reach)[:1:-1]  # bits[s] == "1": some subset sums to s
            print(total - 2 * max(s for s in range(total // 2 + 1) if bits[s] == "1"))
        """,
        programs=[
            ok("slow_correct", """
                n = int(input())
                a = list(map(int, input().split()))
                total = sum(a)
                half = total // 2
                can = [True] + [False] * half
                for v in a:
                    for s in range(half, v - 1, -1):
                        if can[s - v]:
                            can[s] = True
                best = max(s for s in range(half + 1) if can[s])
                print(total - 2 * best)
            """, "a boolean table up to half the sum"),
            bug("wrong_answer", "failed", """
                n = int(input())
                a = sorted(map(int, input().split()), reverse=True)
                x = y = 0
                for v in a:
                    if x <= y:
                        x += v
                    else:
                        y += v
                print(abs(x - y))
            """, "greedy: largest into the lighter group"),
            bug("too_slow", "timeout", """
                n = int(input())
                a = list(map(int, input().split()))
                total = sum(a)
                best = total
                for mask in range(1 << n):
                    s = 0
                    for i in range(n):
                        if mask >> i & 1:
                            s += a[i]
                    best = min(best, abs(total - 2 * s))
                print(best)
            """, "every subset"),
        ],
    ),
    Problem(
        id="matrix-chain",
        title="Matrix chain multiplication",
        statement="""
            n matrices where matrix i is d_{i-1} x d_i (the line after n holds d_0..d_n). Print
            the fewest scalar multiplications needed to multiply them all.
        """,
        samples=[(lines(3, "10 30 5 60"), lines(4500))],
        generate=_chain_cases,
        cpu_limit=2.0,
        correct="""
            n = int(input())
            d = list(map(int, input().split()))
            cost = [[0] * n for _ in range(n)]
            for length in range(2, n + 1):
                for i in range(n - length + 1):
                    j = i + length - 1
                    di, dj = d[i], d[j + 1]
                    ci = cost[i]
                    cost[i][j] = min(ci[k] + cost[k + 1][j] + di * d[k + 1] * dj for k in range(i, j))
            print(cost[0][n - 1])
        """,
        programs=[
            bug("off_by_one", "failed", """
                n = int(input())
                d = list(map(int, input().split()))
                cost = [[0] * n for _ in range(n)]
                for length in range(2, n + 1):
                    for i in range(n - length + 1):
                        j = i + length - 1
                        cost[i][j] = min(cost[i][k] + cost[k + 1][j] + d[i] * d[k] * d[j + 1] for k in range(i, j))
                print(cost[0][n - 1])
            """, "the split dimension d[k] instead of d[k + 1]"),
            bug("wrong_answer", "failed", """
                n = int(input())
                d = list(map(int, input().split()))
                total, rows = 0, d[0]
                for i in range(1, n):
                    total += rows * d[i] * d[i + 1]
                print(total)
            """, "multiplies left to right"),
        ],
    ),
    Problem(
        id="circular-robber",
        title="Robbing houses in a circle",
        statement="""
            n houses in a circle with amounts a_i. Take from houses so that no two adjacent
            houses (the first and last are adjacent when n > 1) are both taken. Print the
            largest total.
        """,
        samples=[(lines(3, "2 3 2"), lines(3)), (lines(4, "1 2 3 1"), lines(4))],
        generate=_robber_cases,
        correct="""
            n = int(input())
            a = list(map(int, input().split()))
            def line(xs):
                take = skip = 0
                for v in xs:
                    take, skip = skip + v, max(take, skip)
                return max(take, skip)
            print(a[0] if n == 1 else max(line(a[1:]), line(a[:-1])))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                a = list(map(int, input().split()))
                def line(xs):
                    take = skip = 0
                    for v in xs:
                        take, skip = skip + v, max(take, skip)
                    return max(take, skip)
                print(max(line(a[1:]), line(a[:-1])))
            """, "for one house both lines are empty: prints 0"),
            bug("wrong_answer", "failed", """
                n = int(input())
                a = list(map(int, input().split()))
                take = skip = 0
                for v in a:
                    take, skip = skip + v, max(take, skip)
                print(max(take, skip))
            """, "treats the circle as a line"),
        ],
    ),
    Problem(
        id="decode-ways",
        title="Decodings",
        statement="""
            Letters A..Z are encoded as 1..26. For each digit string print how many ways it can
            be decoded, modulo 1000000007 (0 if none).
        """,
        samples=[(lines(3, "12", "226", "06"), lines(2, 3, 0))],
        generate=_decode_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                s = input().strip()
                prev, cur = 1, 1 if s[0] != "0" else 0
                for i in range(1, len(s)):
                    nxt = cur if s[i] != "0" else 0
                    if s[i - 1] == "1" or (s[i - 1] == "2" and s[i] <= "6"):
                        nxt += prev
                    prev, cur = cur, nxt % 1000000007
                print(cur)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    prev, cur = 1, 1
                    for i in range(1, len(s)):
                        nxt = cur
                        if 10 <= int(s[i - 1:i + 1]) <= 26:
                            nxt += prev
                        prev, cur = cur, nxt % 1000000007
                    print(cur)
            """, "a 0 decoded on its own"),
            bug("too_slow", "timeout", """
                import sys
                sys.setrecursionlimit(1 << 20)
                t = int(input())
                def ways(s, i):
                    if i == len(s):
                        return 1
                    if s[i] == "0":
                        return 0
                    total = ways(s, i + 1)
                    if i + 1 < len(s) and int(s[i:i + 2]) <= 26:
                        total += ways(s, i + 2)
                    return total
                for _ in range(t):
                    print(ways(input().strip(), 0) % 1000000007)
            """, "recursion without memo"),
        ],
    ),
    Problem(
        id="word-break",
        title="Word break",
        statement="""
            The first line holds k, the second k dictionary words, the third a text. Print YES if
            the text is a concatenation of dictionary words (each usable many times), else NO.
        """,
        samples=[(lines(2, "apple pen", "applepenapple"), lines("YES")), (lines(3, "cats dog sand and cat", "catsandog"), lines("NO"))],
        generate=_word_break_cases,
        correct="""
            k = int(input())
            words = set(input().split())
            text = input().strip()
            lens = sorted({len(w) for w in words})
            ok = [True] + [False] * len(text)
            for i in range(1, len(text) + 1):
                for L in lens:
                    if L > i:
                        break
                    if ok[i - L] and text[i - L:i] in words:
                        ok[i] = True
                        break
            print("YES" if ok[-1] else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                k = int(input())
                words = sorted(input().split(), key=len, reverse=True)
                text = input().strip()
                i = 0
                while i < len(text):
                    for w in words:
                        if text.startswith(w, i):
                            i += len(w)
                            break
                    else:
                        break
                print("YES" if i == len(text) else "NO")
            """, "greedy longest match"),
            bug("too_slow", "timeout", """
                import sys
                sys.setrecursionlimit(1 << 20)
                k = int(input())
                words = input().split()
                text = input().strip()
                def can(i):
                    if i == len(text):
                        return True
                    return any(text.startswith(w, i) and can(i + len(w)) for w in words)
                print("YES" if can(0) else "NO")
            """, "backtracking without memo"),
        ],
    ),
    Problem(
        id="catalan-numbers",
        title="Counting binary trees",
        statement="""
            For each n (0 <= n <= 2500) print the number of binary trees with n nodes (the
            Catalan number C_n) modulo 1000000007.
        """,
        samples=[(lines(4, 0, 1, 3, 5), lines(1, 1, 5, 42))],
        generate=_catalan_cases,
        heavy_case=4,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            M = 1000000007
            t = int(input())
            qs = [int(input()) for _ in range(t)]
            top = 2 * max(qs) + 1
            fact = [1] * (top + 1)
            for i in range(1, top + 1):
                fact[i] = fact[i - 1] * i % M
            for n in qs:
                print(fact[2 * n] * pow(fact[n + 1] * fact[n] % M, M - 2, M) % M)
        """,
        programs=[
            ok("slow_correct", """
                M = 1000000007
                t = int(input())
                qs = [int(input()) for _ in range(t)]
                top = max(qs)
                cat = [1] + [0] * top
                for n in range(1, top + 1):
                    s = 0
                    for i in range(n):
                        s += cat[i] * cat[n - 1 - i]
                    cat[n] = s % M
                for n in qs:
                    print(cat[n])
            """, "the quadratic recurrence"),
            bug("too_slow", "timeout", """
                t = int(input())
                def cat(n):
                    return 1 if n <= 1 else sum(cat(i) * cat(n - 1 - i) for i in range(n))
                for _ in range(t):
                    print(cat(int(input())) % 1000000007)
            """, "the recurrence without memo"),
            bug("wrong_answer", "failed", """
                M = 1000000007
                t = int(input())
                qs = [int(input()) for _ in range(t)]
                top = 2 * max(qs) + 1
                fact = [1] * (top + 1)
                for i in range(1, top + 1):
                    fact[i] = fact[i - 1] * i % M
                for n in qs:
                    print(fact[2 * n] * pow(fact[n] * fact[n] % M, M - 2, M) % M)
            """, "the central binomial coefficient: forgets the division by n + 1"),
        ],
    ),
]
