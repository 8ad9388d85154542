"""Sorting and greedy choices: orders, intervals, pairings."""
from __future__ import annotations

import string

from . import LCG_RULE, Problem, bug, ints, lines, ok, src, with_lcg


def _names(rng, n):
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 6))) for _ in range(n)]


def _ranking_cases(rng):
    out = [lines(1, "solo 0"), lines(3, "b 5", "a 5", "c 5")]
    for n in (20, 3000):
        names = _names(rng, n)
        out.append(lines(n, *(f"{w} {rng.randint(0, 100)}" for w in names)))
    return out


def _intervals(rng, n, span, longest):
    out = []
    for _ in range(n):
        s = rng.randint(0, span)
        out.append((s, s + rng.randint(1, longest)))
    return out


def _activity_cases(rng):
    out = [lines(1, "0 1"), lines(3, "1 2", "2 3", "3 4"), lines(2, "0 5", "0 5")]
    for n, span in ((10, 30), (40, 100), (2000, 10**9)):
        out.append(lines(n, *(ints(iv) for iv in _intervals(rng, n, span, span // 5 + 1))))
    return out


def _rooms_cases(rng):
    out = [lines(1, "0 1"), lines(3, "1 5", "1 5", "1 5"), lines(3, "1 2", "2 3", "3 4")]
    for n, span in ((15, 20), (5000, 10**6)):
        out.append(lines(n, *(ints(iv) for iv in _intervals(rng, n, span, span // 4 + 1))))
    return out


def _merge_cases(rng):
    out = [lines(1, "5 5"), lines(2, "1 3", "3 5"), lines(2, "3 4", "1 2"), lines(3, "1 10", "2 3", "4 5")]
    for n, span in ((12, 60), (3000, 10**6)):
        out.append(lines(n, *(ints(iv) for iv in _intervals(rng, n, span, span // 50 + 2))))
    return out


def _kth_cases(rng):
    out = [lines("1 1", "42"), lines("4 4", "2 2 2 2"), lines("3 3", "-1 -5 7")]
    for n in (10, 5000):
        out.append(lines(f"{n} {rng.randint(1, n)}", ints(rng.randint(-10**9, 10**9) for _ in range(n))))
    return out


def _two_sum_cases(rng):
    out = [lines("1 2", "1"), lines("4 4", "2 2 2 2"), lines("3 0", "0 0 0")]
    for n, hi in ((30, 10), (2000, 100), (20000, 500)):
        out.append(lines(f"{n} {rng.randint(0, 2 * hi)}", ints(rng.randint(0, hi) for _ in range(n))))
    return out


def _pairing_cases(rng):
    out = [lines(1, "1 1"), lines(2, "1 1 1 1"), lines(3, "1 2 3 4 5 6")]
    for n in (5, 500, 2000):
        out.append(lines(n, ints(rng.randint(1, 10**9) for _ in range(2 * n))))
    return out


def _cookie_cases(rng):
    out = [lines(1, "5", 1, "4"), lines(2, "1 1", 0), lines(3, "1 2 3", 3, "3 2 1")]
    for n, m in ((10, 8), (3000, 2500)):
        out.append(lines(n, ints(rng.randint(1, 100) for _ in range(n)), m, ints(rng.randint(1, 100) for _ in range(m))))
    return out


def _arrow_cases(rng):
    out = [lines(1, "1 2"), lines(2, "1 2", "2 3"), lines(2, "1 2", "3 4")]
    for n, span in ((12, 40), (5000, 10**6)):
        out.append(lines(n, *(ints(iv) for iv in _intervals(rng, n, span, span // 10 + 1))))
    return out


def _largest_cases(rng):
    out = [lines(1, "0"), lines(3, "0 0 0"), lines(2, "121 12"), lines(3, "8 89 898")]
    for n in (10, 2000):
        out.append(lines(n, ints(rng.choice([rng.randint(0, 9), rng.randint(0, 999), rng.randint(0, 10**9)])
                                 for _ in range(n))))
    return out


def _candy_cases(rng):
    out = [lines(1, "5"), lines(5, "1 2 3 4 5"), lines(5, "5 4 3 2 1"), lines(4, "2 2 2 2")]
    for n in (12, 5000):
        out.append(lines(n, ints(rng.randint(0, 5 if n < 100 else 1000) for _ in range(n))))
    return out


def _boat_cases(rng):
    out = [lines("1 10", "10"), lines("4 10", "5 5 5 5"), lines("3 10", "9 9 9")]
    for n in (15, 30000):
        limit = rng.randint(50, 99)
        out.append(lines(f"{n} {limit}", ints(rng.randint(1, limit) for _ in range(n))))
    return out


def _stock_cases(rng):
    out = [lines(1, "5"), lines(2, "5 5"), lines(3, "1 2 3")]
    for n in (20, 20000):
        out.append(lines(n, ints(rng.randint(1, 999) for _ in range(n))))
    return out


def _jobs_cases(rng):
    out = [lines(1, "1 10"), lines(3, "1 5", "1 6", "1 7"), lines(3, "3 1", "3 2", "3 3")]
    for n in (20, 3000):
        out.append(lines(n, *(f"{rng.randint(1, max(1, n // 3))} {rng.randint(1, 10**6)}" for _ in range(n))))
    return out


def _sorted_checksum_cases(rng):
    return [lines("1 5"), lines("2 0"), lines("10 7"), lines(f"1000 {rng.randint(0, 2**31 - 1)}"),
            lines(f"200000 {rng.randint(0, 2**31 - 1)}")]


def _gen(body: str) -> str:
    return with_lcg("n, seed = map(int, input().split())\na = lcg(n, seed, 1 << 23)\n" + src(body))


PROBLEMS = [
    Problem(
        id="ranking",
        title="Ranking",
        statement="""
            n lines follow n, each a name and a score. Print the names best score first; equal
            scores in alphabetical order of name.
        """,
        samples=[(lines(4, "bob 90", "alice 90", "carol 85", "dave 95"), lines("dave", "alice", "bob", "carol"))],
        generate=_ranking_cases,
        correct="""
            n = int(input())
            rows = [input().split() for _ in range(n)]
            rows.sort(key=lambda r: (-int(r[1]), r[0]))
            print("\\n".join(r[0] for r in rows))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                rows = [input().split() for _ in range(n)]
                rows.sort(key=lambda r: int(r[1]), reverse=True)
                print("\\n".join(r[0] for r in rows))
            """, "ties left in input order"),
            bug("wrong_answer", "failed", """
                n = int(input())
                rows = [input().split() for _ in range(n)]
                rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
                print("\\n".join(r[0] for r in rows))
            """, "scores compared as strings, names reversed"),
        ],
    ),
    Problem(
        id="activity-selection",
        title="Most activities",
        statement="""
            n activities, each a start s and an end e (s < e). Print the largest number of
            activities that can be done one at a time (one may start when another ends).
        """,
        samples=[(lines(3, "1 10", "2 3", "4 5"), lines(2)), (lines(4, "1 3", "2 5", "3 9", "6 8"), lines(2))],
        generate=_activity_cases,
        correct="""
            n = int(input())
            acts = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda a: a[1])
            count, end = 0, -1
            for s, e in acts:
                if s >= end:
                    count += 1
                    end = e
            print(count)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                acts = sorted(tuple(map(int, input().split())) for _ in range(n))
                count, end = 0, -1
                for s, e in acts:
                    if s >= end:
                        count += 1
                        end = e
                print(count)
            """, "sorted by start"),
            bug("too_slow", "timeout", """
                n = int(input())
                acts = [tuple(map(int, input().split())) for _ in range(n)]
                best = 0
                for mask in range(1 << n):
                    chosen = sorted(acts[i] for i in range(n) if mask >> i & 1)
                    if all(chosen[i][1] <= chosen[i + 1][0] for i in range(len(chosen) - 1)):
                        best = max(best, len(chosen))
                print(best)
            """, "every subset"),
        ],
    ),
    Problem(
        id="meeting-rooms",
        title="Meeting rooms",
        statement="""
            n meetings [s, e) (a meeting ending at t frees its room for one starting at t). Print
            the fewest rooms that hold them all.
        """,
        samples=[(lines(3, "0 30", "5 10", "15 20"), lines(2)), (lines(2, "1 2", "2 3"), lines(1))],
        generate=_rooms_cases,
        correct="""
            n = int(input())
            events = []
            for _ in range(n):
                s, e = map(int, input().split())
                events.append((s, 1))
                events.append((e, -1))
            events.sort()
            cur = best = 0
            for _, d in events:
                cur += d
                best = max(best, cur)
            print(best)
        """,
        programs=[
            bug("off_by_one", "failed", """
                n = int(input())
                events = []
                for _ in range(n):
                    s, e = map(int, input().split())
                    events.append((s, -1))
                    events.append((e, 1))
                events.sort()
                cur = best = 0
                for _, d in events:
                    cur -= d
                    best = max(best, cur)
                print(best)
            """, "a start sorts before an end at the same time"),
            ok("variant", """
                import heapq
                n = int(input())
                meetings = sorted(tuple(map(int, input().split())) for _ in range(n))
                ends = []
                for s, e in meetings:
                    if ends and ends[0] <= s:
                        heapq.heapreplace(ends, e)
                    else:
                        heapq.heappush(ends, e)
                print(len(ends))
            """, "a heap of end times"),
        ],
    ),
    Problem(
        id="merge-intervals",
        title="Merge intervals",
        statement="""
            n closed intervals [l, r]. Merge those that overlap or touch and print the result in
            increasing order, one interval per line.
        """,
        samples=[(lines(4, "1 3", "2 6", "8 10", "15 18"), lines("1 6", "8 10", "15 18"))],
        generate=_merge_cases,
        correct="""
            n = int(input())
            iv = sorted(tuple(map(int, input().split())) for _ in range(n))
            out = [list(iv[0])]
            for l, r in iv[1:]:
                if l <= out[-1][1]:
                    out[-1][1] = max(out[-1][1], r)
                else:
                    out.append([l, r])
            print("\\n".join(f"{l} {r}" for l, r in out))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                iv = [tuple(map(int, input().split())) for _ in range(n)]
                out = [list(iv[0])]
                for l, r in iv[1:]:
                    if l <= out[-1][1]:
                        out[-1][1] = max(out[-1][1], r)
                    else:
                        out.append([l, r])
                print("\\n".join(f"{l} {r}" for l, r in out))
            """, "assumes sorted input"),
            bug("wrong_answer", "failed", """
                n = int(input())
                iv = sorted(tuple(map(int, input().split())) for _ in range(n))
                out = [list(iv[0])]
                for l, r in iv[1:]:
                    if l <= out[-1][1]:
                        out[-1][1] = r
                    else:
                        out.append([l, r])
                print("\\n".join(f"{l} {r}" for l, r in out))
            """, "a contained interval shrinks the merged one"),
        ],
    ),
    Problem(
        id="kth-smallest",
        title="k-th smallest",
        statement="""
            The first line holds n and k (1 <= k <= n), the second n integers. Print the k-th
            smallest (counting duplicates).
        """,
        samples=[(lines("5 2", "3 1 4 1 5"), lines(1))],
        generate=_kth_cases,
        correct="""
            n, k = map(int, input().split())
            print(sorted(map(int, input().split()))[k - 1])
        """,
        programs=[
            bug("off_by_one", "failed", """
                n, k = map(int, input().split())
                print(sorted(map(int, input().split()))[k])
            """, "0-based k"),
            bug("wrong_answer", "failed", """
                n, k = map(int, input().split())
                print(sorted(set(map(int, input().split())))[k - 1])
            """, "drops duplicates (and fails when k exceeds the distinct count)"),
        ],
    ),
    Problem(
        id="two-sum-count",
        title="Pairs with a given sum",
        statement="""
            The first line holds n and x, the second n integers. Print the number of pairs
            i < j with a_i + a_j = x.
        """,
        samples=[(lines("5 6", "1 5 3 3 2"), lines(2))],
        generate=_two_sum_cases,
        correct="""
            from collections import Counter
            n, x = map(int, input().split())
            seen = Counter()
            pairs = 0
            for v in map(int, input().split()):
                pairs += seen[x - v]
                seen[v] += 1
            print(pairs)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                from collections import Counter
                n, x = map(int, input().split())
                a = list(map(int, input().split()))
                c = Counter(a)
                print(sum(c[x - v] for v in a) // 2)
            """, "pairs an element with itself"),
            bug("too_slow", "timeout", """
                n, x = map(int, input().split())
                a = list(map(int, input().split()))
                print(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == x))
            """, "all pairs"),
        ],
    ),
    Problem(
        id="pair-max-sum",
        title="Pairs with the smallest largest sum",
        statement="""
            Split 2n numbers into n pairs so that the largest pair sum is as small as possible.
            Print that sum.
        """,
        samples=[(lines(2, "3 5 2 3"), lines(7))],
        generate=_pairing_cases,
        correct="""
            n = int(input())
            a = sorted(map(int, input().split()))
            print(max(a[i] + a[-1 - i] for i in range(n)))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                a = sorted(map(int, input().split()))
                print(max(a[2 * i] + a[2 * i + 1] for i in range(n)))
            """, "pairs neighbours"),
            bug("off_by_one", "failed", """
                n = int(input())
                a = sorted(map(int, input().split()))
                print(max(a[i] + a[-i] for i in range(n)))
            """, "a[-0] is the first element, not the last"),
        ],
    ),
    Problem(
        id="assign-cookies",
        title="Cookies",
        statement="""
            Line 1: n; line 2: the n children's greed factors; line 3: m; line 4: the m cookie
            sizes (may be empty). A child is content with one cookie at least its greed. Print
            the most children that can be made content.
        """,
        samples=[(lines(3, "1 2 3", 2, "1 1"), lines(1)), (lines(2, "1 2", 3, "1 2 3"), lines(2))],
        generate=_cookie_cases,
        correct="""
            import sys
            data = sys.stdin.read().split()
            n = int(data[0])
            g = sorted(map(int, data[1:1 + n]))
            m = int(data[1 + n])
            s = sorted(map(int, data[2 + n:2 + n + m]))
            i = 0
            for size in s:
                if i < n and size >= g[i]:
                    i += 1
            print(i)
        """,
        programs=[
            bug("runtime_error", "error", """
                n = int(input())
                g = sorted(map(int, input().split()))
                m = int(input())
                s = sorted(map(int, input().split()))
                i = 0
                for size in s:
                    if i < n and size >= g[i]:
                        i += 1
                print(i)
            """, "input() on the missing fourth line when m = 0 (EOFError)"),
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.read().split()
                n = int(data[0])
                g = list(map(int, data[1:1 + n]))
                m = int(data[1 + n])
                s = list(map(int, data[2 + n:2 + n + m]))
                i = 0
                for size in s:
                    if i < n and size >= g[i]:
                        i += 1
                print(i)
            """, "forgets to sort"),
        ],
    ),
    Problem(
        id="fewest-arrows",
        title="Fewest arrows",
        statement="""
            n balloons, each spanning [l, r] on a line. An arrow shot at x bursts every balloon
            with l <= x <= r. Print the fewest arrows that burst them all.
        """,
        samples=[(lines(4, "10 16", "2 8", "1 6", "7 12"), lines(2)), (lines(3, "1 10", "2 3", "4 5"), lines(2))],
        generate=_arrow_cases,
        correct="""
            n = int(input())
            iv = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda t: t[1])
            arrows, at = 0, None
            for l, r in iv:
                if at is None or l > at:
                    arrows += 1
                    at = r
            print(arrows)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                iv = sorted(tuple(map(int, input().split())) for _ in range(n))
                arrows, at = 0, None
                for l, r in iv:
                    if at is None or l > at:
                        arrows += 1
                        at = r
                print(arrows)
            """, "sorted by left end, arrow at the first right end"),
            bug("off_by_one", "failed", """
                n = int(input())
                iv = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda t: t[1])
                arrows, at = 0, None
                for l, r in iv:
                    if at is None or l >= at:
                        arrows += 1
                        at = r
                print(arrows)
            """, "a balloon starting at the arrow is not burst"),
        ],
    ),
    Problem(
        id="largest-concatenation",
        title="Largest concatenation",
        statement="""
            n non-negative integers. Arrange them so that their concatenation is as large as
            possible and print it (without leading zeros: all zeros give 0).
        """,
        samples=[(lines(5, "3 30 34 5 9"), lines(9534330)), (lines(2, "0 0"), lines(0))],
        generate=_largest_cases,
        correct="""
            from functools import cmp_to_key
            n = int(input())
            a = input().split()
            a.sort(key=cmp_to_key(lambda x, y: (x + y < y + x) - (x + y > y + x)))
            s = "".join(a).lstrip("0")
            print(s or "0")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                a = sorted(input().split(), reverse=True)
                s = "".join(a).lstrip("0")
                print(s or "0")
            """, "plain string order puts 30 before 3"),
            bug("wrong_format", "failed", """
                from functools import cmp_to_key
                n = int(input())
                a = input().split()
                a.sort(key=cmp_to_key(lambda x, y: (x + y < y + x) - (x + y > y + x)))
                print("".join(a))
            """, "leading zeros kept"),
        ],
    ),
    Problem(
        id="candy",
        title="Candy",
        statement="""
            n children in a row with ratings. Each gets at least one candy, and a child rated
            higher than a neighbour gets more than that neighbour. Print the fewest candies in all.
        """,
        samples=[(lines(3, "1 0 2"), lines(5)), (lines(3, "1 2 2"), lines(4))],
        generate=_candy_cases,
        correct="""
            n = int(input())
            r = list(map(int, input().split()))
            c = [1] * n
            for i in range(1, n):
                if r[i] > r[i - 1]:
                    c[i] = c[i - 1] + 1
            for i in range(n - 2, -1, -1):
                if r[i] > r[i + 1]:
                    c[i] = max(c[i], c[i + 1] + 1)
            print(sum(c))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                r = list(map(int, input().split()))
                c = [1] * n
                for i in range(1, n):
                    if r[i] > r[i - 1]:
                        c[i] = c[i - 1] + 1
                print(sum(c))
            """, "left-to-right pass only"),
            bug("wrong_answer", "failed", """
                n = int(input())
                r = list(map(int, input().split()))
                c = [1] * n
                for i in range(1, n):
                    if r[i] > r[i - 1]:
                        c[i] = c[i - 1] + 1
                for i in range(n - 2, -1, -1):
                    if r[i] > r[i + 1]:
                        c[i] = c[i + 1] + 1
                print(sum(c))
            """, "the second pass overwrites without max"),
        ],
    ),
    Problem(
        id="rescue-boats",
        title="Rescue boats",
        statement="""
            The first line holds n and the boat limit L, the second n weights (each <= L). A boat
            carries at most two people with total weight at most L. Print the fewest boats.
        """,
        samples=[(lines("2 3", "1 2"), lines(1)), (lines("4 3", "3 2 2 1"), lines(3)), (lines("4 5", "3 5 3 4"), lines(4))],
        generate=_boat_cases,
        correct="""
            n, L = map(int, input().split())
            w = sorted(map(int, input().split()))
            i, j, boats = 0, n - 1, 0
            while i <= j:
                if w[i] + w[j] <= L:
                    i += 1
                j -= 1
                boats += 1
            print(boats)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n, L = map(int, input().split())
                w = sorted(map(int, input().split()), reverse=True)
                boats, i = 0, 0
                while i < n:
                    if i + 1 < n and w[i] + w[i + 1] <= L:
                        i += 2
                    else:
                        i += 1
                    boats += 1
                print(boats)
            """, "pairs the two heaviest"),
            bug("too_slow", "timeout", """
                n, L = map(int, input().split())
                w = sorted(map(int, input().split()))
                used = [False] * n
                boats = 0
                for j in range(n - 1, -1, -1):
                    if used[j]:
                        continue
                    used[j] = True
                    boats += 1
                    for i in range(j):
                        if not used[i] and w[i] + w[j] <= L:
                            used[i] = True
                            break
                print(boats)
            """, "scans for a partner from the start each time"),
        ],
    ),
    Problem(
        id="stock-profit",
        title="One trade",
        statement="""
            n daily prices. Buy on one day and sell on a later day (or do nothing). Print the
            largest profit.
        """,
        samples=[(lines(6, "7 1 5 3 6 4"), lines(5)), (lines(5, "7 6 4 3 1"), lines(0))],
        generate=_stock_cases,
        correct="""
            n = int(input())
            best, low = 0, None
            for p in map(int, input().split()):
                if low is not None:
                    best = max(best, p - low)
                low = p if low is None else min(low, p)
            print(best)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                p = list(map(int, input().split()))
                print(max(p) - min(p))
            """, "ignores the order of days"),
            bug("too_slow", "timeout", """
                n = int(input())
                p = list(map(int, input().split()))
                best = 0
                for i in range(n):
                    for j in range(i + 1, n):
                        best = max(best, p[j] - p[i])
                print(best)
            """, "all pairs of days"),
        ],
    ),
    Problem(
        id="job-deadlines",
        title="Jobs with deadlines",
        statement="""
            n jobs, each with a deadline d and a profit p; a job takes one unit of time and must
            finish by its deadline. Print the largest total profit.
        """,
        samples=[(lines(5, "2 100", "1 19", "2 27", "1 25", "3 15"), lines(142))],
        generate=_jobs_cases,
        correct="""
            import heapq
            n = int(input())
            jobs = sorted(tuple(map(int, input().split())) for _ in range(n))
            taken = []
            for d, p in jobs:
                heapq.heappush(taken, p)
                if len(taken) > d:
                    heapq.heappop(taken)
            print(sum(taken))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                n = int(input())
                jobs = sorted(tuple(map(int, input().split())) for _ in range(n))
                t = total = 0
                for d, p in jobs:
                    if t < d:
                        t += 1
                        total += p
                print(total)
            """, "takes jobs by deadline, ignoring profit"),
            ok("variant", """
                import sys
                data = sys.stdin.buffer.read().split()
                n = int(data[0])
                jobs = sorted(((int(data[2 + 2 * i]), int(data[1 + 2 * i])) for i in range(n)), reverse=True)
                parent = list(range(n + 2))
                def free(t):
                    while parent[t] != t:
                        parent[t] = parent[parent[t]]
                        t = parent[t]
                    return t
                total = 0
                for p, d in jobs:
                    t = free(min(d, n))
                    if t > 0:
                        total += p
                        parent[t] = t - 1
                print(total)
            """, "latest free slot, found with a disjoint-set forest"),
        ],
    ),
    Problem(
        id="sorted-checksum",
        title="Sort a generated array",
        statement="""
            Given n (1 <= n <= 2*10^5) and a seed, generate a_1..a_n with m = 2^23, where
            RULE. Sort a ascending into b and print the sum of i * b_i (i from 1) modulo 1000000007.
        """.replace("RULE", LCG_RULE),
        samples=[(lines("3 0"), lines(21601472))],
        generate=_sorted_checksum_cases,
        heavy_case=5,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct=_gen("""
            a.sort()
            print(sum((i + 1) * v for i, v in enumerate(a)) % 1000000007)
        """),
        programs=[
            ok("slow_correct", _gen("""
                def merge_sort(xs):
                    width, n = 1, len(xs)
                    src = xs[:]
                    while width < n:
                        dst = []
                        for lo in range(0, n, 2 * width):
                            left, right = src[lo:lo + width], src[lo + width:lo + 2 * width]
                            i = j = 0
                            while i < len(left) and j < len(right):
                                if left[i] <= right[j]:
                                    dst.append(left[i])
                                    i += 1
                                else:
                                    dst.append(right[j])
                                    j += 1
                            dst.extend(left[i:])
                            dst.extend(right[j:])
                        src = dst
                        width *= 2
                    return src
                b = merge_sort(a)
                print(sum((i + 1) * v for i, v in enumerate(b)) % 1000000007)
            """), "a merge sort written out in Python"),
            bug("too_slow", "timeout", _gen("""
                for i in range(1, n):
                    v, j = a[i], i - 1
                    while j >= 0 and a[j] > v:
                        a[j + 1] = a[j]
                        j -= 1
                    a[j + 1] = v
                print(sum((i + 1) * v for i, v in enumerate(a)) % 1000000007)
            """), "insertion sort"),
            bug("wrong_answer", "failed", _gen("""
                a.sort()
                print(sum(i * v for i, v in enumerate(a)) % 1000000007)
            """), "weights from 0"),
        ],
    ),
]
