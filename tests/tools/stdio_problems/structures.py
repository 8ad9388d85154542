"""Data structures: stacks, queues, heaps, prefix sums, Fenwick trees, sparse tables.

Problems marked "generated" read a seed and build their arrays with the shared generator, so
large cases stay small on disk; their samples come from the brute-force functions here (a third
implementation, written apart from the programs)."""
from __future__ import annotations


from . import LCG_RULE, Problem, bug, ints, lcg, lines, ok, src, with_lcg


def _read(inp):
    return list(map(int, inp.split()))


def _nge_cases(rng):
    out = [lines(1, "5"), lines(4, "1 2 3 4"), lines(4, "4 3 2 1"), lines(5, "2 2 2 2 2")]
    out.append(lines(50, ints(rng.randint(1, 20) for _ in range(50))))
    out.append(lines(15000, ints(sorted((rng.randint(1, 9999) for _ in range(15000)), reverse=True))))
    return out


def _window_brute(inp):
    n, k, seed = _read(inp)
    a = lcg(n, seed, 10**9)
    return lines(sum(max(a[i:i + k]) for i in range(n - k + 1)))


def _window_cases(rng):
    return [lines("1 1 0"), lines("5 5 3"), lines("7 1 9"), lines(f"50 7 {rng.randint(0, 10**9)}"),
            lines(f"2000 100 {rng.randint(0, 10**9)}"), lines(f"200000 100000 {rng.randint(0, 10**9)}")]


def _range_sum_brute(inp):
    n, q, seed = _read(inp)
    a = lcg(n, seed, 10**9)
    b = lcg(2 * q, seed + 1, n)
    total = 0
    for j in range(q):
        l, r = sorted((b[2 * j], b[2 * j + 1]))
        total += sum(a[l:r + 1])
    return lines(total)


def _range_sum_cases(rng):
    return [lines("1 1 0"), lines("5 10 2"), lines(f"100 100 {rng.randint(0, 10**9)}"),
            lines(f"100000 100000 {rng.randint(0, 10**9)}")]


def _range_min_brute(inp):
    n, q, seed = _read(inp)
    a = lcg(n, seed, 10**9)
    b = lcg(2 * q, seed + 1, n)
    return lines(sum(min(a[min(b[2 * j], b[2 * j + 1]):max(b[2 * j], b[2 * j + 1]) + 1]) for j in range(q)))


def _range_min_cases(rng):
    return [lines("1 1 0"), lines("3 5 8"), lines(f"200 300 {rng.randint(0, 10**9)}"),
            lines(f"100000 100000 {rng.randint(0, 10**9)}")]


def _lru_cases(rng):
    out = [lines("1 5", "1 1 1 1 1"), lines("1 4", "1 2 1 2"), lines("3 6", "1 2 3 4 1 2")]
    for cap, n, k in ((3, 30, 6), (50, 20000, 120)):
        out.append(lines(f"{cap} {n}", ints(rng.randint(1, k) for _ in range(n))))
    return out


def _median_brute(inp):
    n, seed = _read(inp)
    a = lcg(n, seed, 10**9)
    return lines(sum(sorted(a[:i + 1])[i // 2] for i in range(n)))


def _median_cases(rng):
    return [lines("1 3"), lines("2 3"), lines("30 11"), lines(f"1000 {rng.randint(0, 10**9)}"),
            lines(f"60000 {rng.randint(0, 10**9)}")]


def _span_cases(rng):
    out = [lines(1, "7"), lines(5, "1 2 3 4 5"), lines(5, "5 4 3 2 1"), lines(4, "3 3 3 3")]
    out.append(lines(40, ints(rng.randint(1, 10) for _ in range(40))))
    out.append(lines(5000, ints(rng.randint(1, 1000) for _ in range(5000))))
    return out


def _josephus_brute(inp):
    n, k = _read(inp)
    people = list(range(1, n + 1))
    i = 0
    while len(people) > 1:
        i = (i + k - 1) % len(people)
        people.pop(i)
    return lines(people[0])


def _josephus_cases(rng):
    return [lines("1 1"), lines("1 1000000000"), lines("2 1"), lines("10 3"), lines("5 1000000000"),
            lines(f"1000 {rng.randint(1, 10**9)}"), lines(f"120000 {rng.randint(10**8, 10**9)}")]


def _inversions_brute(inp):
    n, seed = _read(inp)
    a = lcg(n, seed, 1000)
    return lines(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] > a[j]))


def _inversions_cases(rng):
    return [lines("1 1"), lines("2 4"), lines("40 9"), lines(f"1500 {rng.randint(0, 10**9)}"),
            lines(f"150000 {rng.randint(0, 10**9)}")]


def _distinct_cases(rng):
    out = [lines("1 1", "5"), lines("4 4", "1 2 1 2"), lines("5 1", "1 1 2 2 3")]
    out.append(lines("30 5", ints(rng.randint(1, 6) for _ in range(30))))
    out.append(lines("24000 12000", ints(rng.randint(1, 9999) for _ in range(24000))))
    return out


def _parens_cases(rng):
    return [lines(1, ")"), lines(3, "(((", "()()", ")("),
            lines(200, *("".join(rng.choice("()") for _ in range(rng.randint(1, 40))) for _ in range(200))),
            lines(1, "".join(rng.choice("()") for _ in range(20000)))]


def _robin_cases(rng):
    out = [lines("1 5", "3"), lines("3 1", "1 1 1"), lines("2 10", "30 5")]
    out.append(lines("8 3", ints(rng.randint(1, 12) for _ in range(8))))
    out.append(lines("2000 7", ints(rng.randint(1, 50) for _ in range(2000))))
    return out


def _topk_cases(rng):
    out = [lines("1 1", "9"), lines("5 2", "5 5 -1 -1 3"), lines("4 4", "4 3 2 1")]
    out.append(lines("30 3", ints(rng.randint(-5, 5) for _ in range(30))))
    out.append(lines("10000 10", ints(rng.randint(-1000, 1000) for _ in range(10000))))
    return out


def _rpn_cases(rng):
    fixed = ["3 4 +", "7 2 -", "-7 2 /", "7 -2 /", "2 3 4 * +", "5", "1 2 - 3 *"]
    more = []
    while len(more) < 200:
        stack, toks = 0, []
        for _ in range(rng.randint(1, 12)):
            if stack >= 2 and rng.random() < 0.45:
                op = rng.choice("+-*/")
                toks.append(op)
                stack -= 1
            else:
                toks.append(str(rng.randint(-20, 20) or 1))
                stack += 1
        while stack > 1:
            toks.append(rng.choice("+-*"))
            stack -= 1
        try:
            _rpn_brute(" ".join(toks))
        except ZeroDivisionError:
            continue
        more.append(" ".join(toks))
    return [lines(len(fixed), *fixed), lines(len(more), *more)]


def _rpn_brute(expr):
    st = []
    for t in expr.split():
        if t in "+-*/" and len(t) == 1:
            b, a = st.pop(), st.pop()
            st.append(a + b if t == "+" else a - b if t == "-" else a * b if t == "*"
                      else (abs(a) // abs(b)) * (1 if (a >= 0) == (b >= 0) else -1))
        else:
            st.append(int(t))
    return st[0]


def _window_program(body: str) -> str:
    return with_lcg("n, k, seed = map(int, input().split())\na = lcg(n, seed, 10**9)\n" + src(body))


def _queries_program(body: str) -> str:
    return with_lcg("n, q, seed = map(int, input().split())\na = lcg(n, seed, 10**9)\n"
                    "b = lcg(2 * q, seed + 1, n)\n" + src(body))


def _stream_program(body: str, m: int = 10**9) -> str:
    return with_lcg(f"n, seed = map(int, input().split())\na = lcg(n, seed, {m})\n" + src(body))


def _sample(brute, inp):
    return (inp, brute(inp))


PROBLEMS = [
    Problem(
        id="next-greater",
        title="Next greater element",
        statement="""
            For each of the n numbers print the first number to its right that is strictly
            greater, or -1 if there is none.
        """,
        samples=[(lines(5, "2 7 3 5 4"), lines("7 -1 5 -1 -1"))],
        generate=_nge_cases,
        correct="""
            n = int(input())
            a = list(map(int, input().split()))
            res, st = [-1] * n, []
            for i, v in enumerate(a):
                while st and a[st[-1]] < v:
                    res[st.pop()] = v
                st.append(i)
            print(*res)
        """,
        programs=[
            bug("too_slow", "timeout", """
                n = int(input())
                a = list(map(int, input().split()))
                res = []
                for i in range(n):
                    nxt = -1
                    for j in range(i + 1, n):
                        if a[j] > a[i]:
                            nxt = a[j]
                            break
                    res.append(nxt)
                print(*res)
            """, "scans right from every element"),
            bug("wrong_answer", "failed", """
                n = int(input())
                a = list(map(int, input().split()))
                res, st = [-1] * n, []
                for i, v in enumerate(a):
                    while st and a[st[-1]] <= v:
                        res[st.pop()] = v
                    st.append(i)
                print(*res)
            """, "an equal element counts as greater"),
        ],
    ),
    Problem(
        id="sliding-window-max",
        title="Sliding window maxima (generated)",
        statement="""
            Input: n k seed (1 <= k <= n <= 2*10^5). The array a_1..a_n has m = 10^9, where RULE.
            Print the sum of the maxima of all n - k + 1 windows of k consecutive elements.
        """.replace("RULE", LCG_RULE),
        samples=[_sample(_window_brute, lines("6 2 1")), _sample(_window_brute, lines("8 3 5"))],
        generate=_window_cases,
        heavy_case=7,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct=_window_program("""
            from collections import deque
            dq, total = deque(), 0
            for i, v in enumerate(a):
                while dq and a[dq[-1]] <= v:
                    dq.pop()
                dq.append(i)
                if dq[0] <= i - k:
                    dq.popleft()
                if i >= k - 1:
                    total += a[dq[0]]
            print(total)
        """),
        programs=[
            ok("slow_correct", _window_program("""
                size = 1
                while size < n:
                    size *= 2
                tree = [0] * size + a + [0] * (size - n)
                for i in range(size - 1, 0, -1):
                    tree[i] = max(tree[2 * i], tree[2 * i + 1])
                total = 0
                for start in range(n - k + 1):
                    lo, hi, best = start + size, start + k + size, 0
                    while lo < hi:
                        if lo & 1:
                            best = max(best, tree[lo])
                            lo += 1
                        if hi & 1:
                            hi -= 1
                            best = max(best, tree[hi])
                        lo //= 2
                        hi //= 2
                    total += best
                print(total)
            """), "a segment tree queried per window"),
            ok("variant", _window_program("""
                import heapq
                heap, total = [], 0
                for i, v in enumerate(a):
                    heapq.heappush(heap, (-v, i))
                    if i >= k - 1:
                        while heap[0][1] <= i - k:
                            heapq.heappop(heap)
                        total += -heap[0][0]
                print(total)
            """), "a heap with lazy deletion"),
            bug("too_slow", "timeout", _window_program("""
                print(sum(max(a[i:i + k]) for i in range(n - k + 1)))
            """), "max of every window"),
            bug("off_by_one", "failed", _window_program("""
                from collections import deque
                dq, total = deque(), 0
                for i, v in enumerate(a):
                    while dq and a[dq[-1]] <= v:
                        dq.pop()
                    dq.append(i)
                    if dq[0] < i - k:
                        dq.popleft()
                    if i >= k - 1:
                        total += a[dq[0]]
                print(total)
            """), "windows one element too wide"),
        ],
    ),
    Problem(
        id="range-sums",
        title="Range sums (generated)",
        statement="""
            Input: n q seed. The array a_1..a_n has m = 10^9, and the numbers b_1..b_2q are made
            by the same rule from seed + 1 with m = n, where RULE. Query j asks for the sum of
            a over positions min(b_2j-1, b_2j) + 1 .. max(b_2j-1, b_2j) + 1. Print the sum of
            all answers.
        """.replace("RULE", LCG_RULE),
        samples=[_sample(_range_sum_brute, lines("4 3 7"))],
        generate=_range_sum_cases,
        heavy_case=4,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct=_queries_program("""
            from itertools import accumulate
            pre = [0, *accumulate(a)]
            total = 0
            for j in range(q):
                x, y = b[2 * j], b[2 * j + 1]
                if x > y:
                    x, y = y, x
                total += pre[y + 1] - pre[x]
            print(total)
        """),
        programs=[
            ok("slow_correct", _queries_program("""
                tree = [0] * (n + 1)
                for i, v in enumerate(a, 1):
                    while i <= n:
                        tree[i] += v
                        i += i & -i
                def prefix(i):
                    s = 0
                    while i > 0:
                        s += tree[i]
                        i -= i & -i
                    return s
                total = 0
                for j in range(q):
                    x, y = sorted((b[2 * j], b[2 * j + 1]))
                    total += prefix(y + 1) - prefix(x)
                print(total)
            """), "a Fenwick tree: logarithmic where prefix sums are constant"),
            bug("too_slow", "timeout", _queries_program("""
                total = 0
                for j in range(q):
                    x, y = sorted((b[2 * j], b[2 * j + 1]))
                    total += sum(a[x:y + 1])
                print(total)
            """), "sums every range"),
            bug("off_by_one", "failed", _queries_program("""
                from itertools import accumulate
                pre = [0, *accumulate(a)]
                total = 0
                for j in range(q):
                    x, y = sorted((b[2 * j], b[2 * j + 1]))
                    total += pre[y] - pre[x]
                print(total)
            """), "drops the right end"),
        ],
    ),
    Problem(
        id="range-minimum",
        title="Range minima (generated)",
        statement="""
            As in "Range sums" (same input and generator), but each query asks for the minimum
            of a over its range. Print the sum of the minima.
        """,
        samples=[_sample(_range_min_brute, lines("5 4 3"))],
        generate=_range_min_cases,
        cpu_limit=2.5,
        correct=_queries_program("""
            table = [a]
            j = 1
            while 2 * j <= n:
                prev = table[-1]
                table.append(list(map(min, prev[:n - 2 * j + 1], prev[j:n - j + 1])))
                j *= 2
            total = 0
            for i in range(q):
                x, y = b[2 * i], b[2 * i + 1]
                if x > y:
                    x, y = y, x
                lvl = (y - x + 1).bit_length() - 1
                row = table[lvl]
                u, v = row[x], row[y - (1 << lvl) + 1]
                total += u if u < v else v
            print(total)
        """),
        programs=[
            bug("too_slow", "timeout", _queries_program("""
                total = 0
                for j in range(q):
                    x, y = sorted((b[2 * j], b[2 * j + 1]))
                    total += min(a[x:y + 1])
                print(total)
            """), "scans every range"),
            bug("off_by_one", "failed", _queries_program("""
                table = [a]
                j = 1
                while 2 * j <= n:
                    prev = table[-1]
                    table.append(list(map(min, prev[:n - 2 * j + 1], prev[j:n - j + 1])))
                    j *= 2
                total = 0
                for i in range(q):
                    x, y = sorted((b[2 * i], b[2 * i + 1]))
                    lvl = (y - x).bit_length() - 1 if y > x else 0
                    row = table[lvl]
                    total += min(row[x], row[y - (1 << lvl)])
                print(total)
            """), "the level and the second block start one short"),
        ],
    ),
    Problem(
        id="lru-misses",
        title="LRU cache misses",
        statement="""
            A cache holds c pages and evicts the least recently used one. Given c, n and n page
            requests, print the number of misses.
        """,
        samples=[(lines("2 5", "1 2 1 3 2"), lines(4))],
        generate=_lru_cases,
        correct="""
            from collections import OrderedDict
            c, n = map(int, input().split())
            cache, misses = OrderedDict(), 0
            for x in input().split():
                if x in cache:
                    cache.move_to_end(x)
                else:
                    misses += 1
                    cache[x] = None
                    if len(cache) > c:
                        cache.popitem(last=False)
            print(misses)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                from collections import deque
                c, n = map(int, input().split())
                q, held, misses = deque(), set(), 0
                for x in input().split():
                    if x not in held:
                        misses += 1
                        held.add(x)
                        q.append(x)
                        if len(q) > c:
                            held.discard(q.popleft())
                print(misses)
            """, "evicts first-in, not least recently used"),
            ok("variant", """
                c, n = map(int, input().split())
                last, misses, t = {}, 0, 0
                for x in input().split():
                    t += 1
                    if x not in last:
                        misses += 1
                        if len(last) == c:
                            del last[min(last, key=last.get)]
                    last[x] = t
                print(misses)
            """, "timestamps; evicts the oldest by a scan (the cache is small)"),
        ],
    ),
    Problem(
        id="running-median",
        title="Running median (generated)",
        statement="""
            Input: n seed; a_1..a_n has m = 10^9, where RULE. After each a_i arrives, take the
            lower median of a_1..a_i: the floor((i+1)/2)-th smallest of them. Print the sum of
            the n medians.
        """.replace("RULE", LCG_RULE),
        samples=[_sample(_median_brute, lines("5 2")), _sample(_median_brute, lines("6 4"))],
        generate=_median_cases,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct=_stream_program("""
            import heapq
            low, high, total = [], [], 0
            for v in a:
                if low and v > -low[0]:
                    heapq.heappush(high, v)
                else:
                    heapq.heappush(low, -v)
                if len(low) > len(high) + 1:
                    heapq.heappush(high, -heapq.heappop(low))
                elif len(high) > len(low):
                    heapq.heappush(low, -heapq.heappop(high))
                total += -low[0]
            print(total)
        """),
        programs=[
            ok("slow_correct", _stream_program("""
                import bisect
                seen, total = [], 0
                for i, v in enumerate(a):
                    bisect.insort(seen, v)
                    total += seen[i // 2]
                print(total)
            """), "a sorted list kept with insort (linear inserts)"),
            bug("too_slow", "timeout", _stream_program("""
                seen, total = [], 0
                for i, v in enumerate(a):
                    seen.append(v)
                    total += sorted(seen)[i // 2]
                print(total)
            """), "sorts a copy after every element"),
            bug("off_by_one", "failed", _stream_program("""
                import bisect
                seen, total = [], 0
                for i, v in enumerate(a):
                    bisect.insort(seen, v)
                    total += seen[(i + 1) // 2]
                print(total)
            """), "the upper median"),
        ],
    ),
    Problem(
        id="stock-span",
        title="Stock span",
        statement="""
            For each day print its span: the number of consecutive days ending with it whose
            price is at most that day's price.
        """,
        samples=[(lines(7, "100 80 60 70 60 75 85"), lines("1 1 1 2 1 4 6"))],
        generate=_span_cases,
        correct="""
            n = int(input())
            p = list(map(int, input().split()))
            st, out = [], []
            for i, v in enumerate(p):
                while st and p[st[-1]] <= v:
                    st.pop()
                out.append(i - st[-1] if st else i + 1)
                st.append(i)
            print(*out)
        """,
        programs=[
            bug("off_by_one", "failed", """
                n = int(input())
                p = list(map(int, input().split()))
                st, out = [], []
                for i, v in enumerate(p):
                    while st and p[st[-1]] <= v:
                        st.pop()
                    out.append(i - st[-1] if st else i)
                    st.append(i)
                print(*out)
            """, "with no higher day before, forgets the day itself"),
            bug("wrong_answer", "failed", """
                n = int(input())
                p = list(map(int, input().split()))
                st, out = [], []
                for i, v in enumerate(p):
                    while st and p[st[-1]] < v:
                        st.pop()
                    out.append(i - st[-1] if st else i + 1)
                    st.append(i)
                print(*out)
            """, "an equal price stops the span"),
        ],
    ),
    Problem(
        id="josephus",
        title="Josephus",
        statement="""
            n people stand in a circle, numbered 1..n. Counting starts at person 1; every k-th
            person is removed, counting on from the next one. Print the number of the last
            person (1 <= n <= 1.2*10^5, 1 <= k <= 10^9).
        """,
        samples=[_sample(_josephus_brute, lines("7 3")), _sample(_josephus_brute, lines("6 1"))],
        generate=_josephus_cases,
        heavy_case=8,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            n, k = map(int, input().split())
            r = 0
            for m in range(2, n + 1):
                r = (r + k) % m
            print(r + 1)
        """,
        programs=[
            ok("slow_correct", """
                n, k = map(int, input().split())
                people = list(range(1, n + 1))
                i = 0
                while len(people) > 1:
                    i = (i + k - 1) % len(people)
                    people.pop(i)
                print(people[0])
            """, "simulates with list.pop (a linear shift per removal)"),
            bug("too_slow", "timeout", """
                n, k = map(int, input().split())
                alive = [True] * n
                left, i, count = n, 0, 0
                while left > 1:
                    if alive[i]:
                        count += 1
                        if count == k:
                            alive[i] = False
                            left -= 1
                            count = 0
                    i = (i + 1) % n
                print(alive.index(True) + 1)
            """, "counts every step around the circle"),
            bug("off_by_one", "failed", """
                n, k = map(int, input().split())
                r = 0
                for m in range(2, n + 1):
                    r = (r + k) % m
                print(r)
            """, "prints the 0-based position"),
        ],
    ),
    Problem(
        id="count-inversions",
        title="Inversions (generated)",
        statement="""
            Input: n seed; a_1..a_n has m = 1000, where RULE. Print the number of pairs i < j
            with a_i > a_j.
        """.replace("RULE", LCG_RULE),
        samples=[_sample(_inversions_brute, lines("6 3")), _sample(_inversions_brute, lines("10 8"))],
        generate=_inversions_cases,
        cpu_limit=2.0,
        correct=_stream_program("""
            inv = 0
            tree = [0] * 1001  # counts of the values seen so far, by value + 1
            for i, v in enumerate(a):
                j, s = v + 1, 0
                while j > 0:
                    s += tree[j]
                    j -= j & -j
                inv += i - s
                j = v + 1
                while j <= 1000:
                    tree[j] += 1
                    j += j & -j
            print(inv)
        """, m=1000),
        programs=[
            ok("variant", _stream_program("""
                def sort_count(xs):
                    if len(xs) < 2:
                        return xs, 0
                    mid = len(xs) // 2
                    left, x = sort_count(xs[:mid])
                    right, y = sort_count(xs[mid:])
                    merged, i, j, c = [], 0, 0, x + y
                    while i < len(left) and j < len(right):
                        if left[i] <= right[j]:
                            merged.append(left[i])
                            i += 1
                        else:
                            merged.append(right[j])
                            j += 1
                            c += len(left) - i
                    merged += left[i:]
                    merged += right[j:]
                    return merged, c
                print(sort_count(a)[1])
            """, m=1000), "merge sort that counts, in Python"),
            bug("too_slow", "timeout", _stream_program("""
                print(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] > a[j]))
            """, m=1000), "all pairs"),
            bug("wrong_answer", "failed", _stream_program("""
                print(sum(1 for i in range(n - 1) if a[i] > a[i + 1]))
            """, m=1000), "adjacent pairs only"),
        ],
    ),
    Problem(
        id="distinct-in-windows",
        title="Distinct values in every window",
        statement="""
            The first line holds n and k, the second n integers. For each window of k
            consecutive elements print how many distinct values it holds.
        """,
        samples=[(lines("7 4", "1 2 1 3 4 2 3"), lines("3 4 4 3"))],
        generate=_distinct_cases,
        cpu_limit=0.5,
        correct="""
            from collections import defaultdict
            n, k = map(int, input().split())
            a = input().split()
            cnt = defaultdict(int)
            out = []
            for i, v in enumerate(a):
                cnt[v] += 1
                if i >= k:
                    old = a[i - k]
                    cnt[old] -= 1
                    if cnt[old] == 0:
                        del cnt[old]
                if i >= k - 1:
                    out.append(len(cnt))
            print(*out)
        """,
        programs=[
            bug("too_slow", "timeout", """
                n, k = map(int, input().split())
                a = input().split()
                print(*(len(set(a[i:i + k])) for i in range(n - k + 1)))
            """, "a set per window"),
            bug("wrong_answer", "failed", """
                from collections import defaultdict
                n, k = map(int, input().split())
                a = input().split()
                cnt = defaultdict(int)
                out = []
                for i, v in enumerate(a):
                    cnt[v] += 1
                    if i >= k:
                        cnt[a[i - k]] -= 1
                    if i >= k - 1:
                        out.append(len(cnt))
                print(*out)
            """, "never deletes values whose count fell to zero"),
        ],
    ),
    Problem(
        id="parentheses-to-add",
        title="Parentheses to add",
        statement="""
            For each of the T strings of ( and ) print the fewest parentheses to insert to make
            it balanced.
        """,
        samples=[(lines(3, "())", "(((", "()))(("), lines(1, 3, 4))],
        generate=_parens_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                open_, add = 0, 0
                for ch in input().strip():
                    if ch == "(":
                        open_ += 1
                    elif open_:
                        open_ -= 1
                    else:
                        add += 1
                print(add + open_)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    print(abs(s.count("(") - s.count(")")))
            """, "counts only the difference"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    bal, low = 0, 0
                    for ch in input().strip():
                        bal += 1 if ch == "(" else -1
                        low = min(low, bal)
                    print(bal - low)
            """, "forgets the closers that must be added (the -low term)"),
        ],
    ),
    Problem(
        id="round-robin",
        title="Round-robin scheduling",
        statement="""
            n tasks with running times t_1..t_n queue up; the processor takes the first task,
            runs it for at most q units, and puts it back at the end if unfinished. Print the
            task numbers in the order they finish.
        """,
        samples=[(lines("3 2", "3 1 4"), lines("2 1 3"))],
        generate=_robin_cases,
        correct="""
            from collections import deque
            n, q = map(int, input().split())
            dq = deque(enumerate(map(int, input().split()), 1))
            done = []
            while dq:
                i, t = dq.popleft()
                if t <= q:
                    done.append(i)
                else:
                    dq.append((i, t - q))
            print(*done)
        """,
        programs=[
            ok("variant", """
                n, q = map(int, input().split())
                t = list(map(int, input().split()))
                order = sorted(range(n), key=lambda i: ((t[i] + q - 1) // q, i))
                print(*(i + 1 for i in order))
            """, "by rounds needed, then queue position: the queue keeps its order"),
            bug("wrong_answer", "failed", """
                n, q = map(int, input().split())
                t = list(map(int, input().split()))
                print(*sorted(range(1, n + 1), key=lambda i: t[i - 1]))
            """, "shortest task first"),
            bug("infinite_loop", "timeout", """
                from collections import deque
                n, q = map(int, input().split())
                dq = deque(enumerate(map(int, input().split()), 1))
                done = []
                while dq:
                    i, t = dq.popleft()
                    if t <= q:
                        done.append(i)
                    else:
                        dq.append((i, t))
                print(*done)
            """, "puts an unfinished task back without its progress"),
        ],
    ),
    Problem(
        id="top-k-frequent",
        title="Most frequent values",
        statement="""
            The first line holds n and k, the second n integers. Print the k most frequent values,
            more frequent first, equal frequencies smaller value first (k is at most the number
            of distinct values).
        """,
        samples=[(lines("6 2", "1 1 1 2 2 3"), lines("1 2")), (lines("4 2", "4 4 -3 -3"), lines("-3 4"))],
        generate=_topk_cases,
        correct="""
            from collections import Counter
            n, k = map(int, input().split())
            c = Counter(map(int, input().split()))
            print(*sorted(c, key=lambda v: (-c[v], v))[:k])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                from collections import Counter
                n, k = map(int, input().split())
                c = Counter(map(int, input().split()))
                print(*(v for v, _ in c.most_common(k)))
            """, "ties in order of first appearance"),
            bug("wrong_answer", "failed", """
                from collections import Counter
                n, k = map(int, input().split())
                c = Counter(input().split())
                print(*sorted(c, key=lambda v: (-c[v], v))[:k])
            """, "values compared as strings"),
        ],
    ),
    Problem(
        id="rpn-calculator",
        title="Reverse Polish calculator",
        statement="""
            Each of the T lines is an expression in reverse Polish notation over integers and
            + - * /, where / divides integers rounding toward zero (no division by zero occurs).
            Print each value.
        """,
        samples=[(lines(3, "2 1 + 3 *", "4 13 5 / +", "-7 2 /"), lines(9, 6, -3))],
        generate=_rpn_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                st = []
                for tok in input().split():
                    if tok in ("+", "-", "*", "/"):
                        b, a = st.pop(), st.pop()
                        if tok == "+":
                            st.append(a + b)
                        elif tok == "-":
                            st.append(a - b)
                        elif tok == "*":
                            st.append(a * b)
                        else:
                            q = abs(a) // abs(b)
                            st.append(q if (a < 0) == (b < 0) else -q)
                    else:
                        st.append(int(tok))
                print(st[0])
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    st = []
                    for tok in input().split():
                        if tok in ("+", "-", "*", "/"):
                            b, a = st.pop(), st.pop()
                            st.append(eval(f"({a}) {tok.replace('/', '//')} ({b})"))
                        else:
                            st.append(int(tok))
                    print(st[0])
            """, "floor division rounds toward minus infinity"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    st = []
                    for tok in input().split():
                        if tok in ("+", "-", "*", "/"):
                            a, b = st.pop(), st.pop()
                            if tok == "+":
                                st.append(a + b)
                            elif tok == "-":
                                st.append(a - b)
                            elif tok == "*":
                                st.append(a * b)
                            else:
                                st.append(int(a / b))
                        else:
                            st.append(int(tok))
                    print(st[0])
            """, "operands popped in the wrong order"),
        ],
    ),
]
