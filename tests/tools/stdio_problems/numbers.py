"""Number theory and arithmetic: big integers, primes, modular arithmetic, precision traps."""
from __future__ import annotations

from . import Problem, bug, lines, ok

MOD = 10**9 + 7


def _gcd_cases(rng):
    big = [(rng.randint(1, 10**18), rng.randint(1, 10**18)) for _ in range(200)]
    shared = [(g * rng.randint(1, 10**6), g * rng.randint(1, 10**6)) for g in
              (rng.randint(10**9, 10**12) for _ in range(100))]
    return [lines(2, "1 1", "1000000000000000000 999999999999999999"),
            lines(len(big), *(f"{a} {b}" for a, b in big)), lines(len(shared), *(f"{a} {b}" for a, b in shared))]


def _probable_prime(n):
    if n < 2:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23):
        if n % a == 0:
            return n == a
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime_list(lo, count):
    out, n = [], lo
    while len(out) < count:
        if _probable_prime(n):
            out.append(n)
        n += 1
    return out


def _primality_cases(rng):
    small = list(range(1, 60))
    mixed = [rng.randint(1, 10**12) for _ in range(200)] + [999999999989, 1000000007 * 999983, 999983 ** 2]
    return [lines(len(small), *small), lines(len(mixed), *mixed),
            lines(28, *_prime_list(10**12 - 10**4, 28))]


def _count_primes_cases(rng):
    return [lines(1), lines(2), lines(100), lines(rng.randint(10**4, 10**5)), lines(3000000)]


def _modpow_cases(rng):
    rows = [f"{rng.randint(0, 10**18)} {rng.randint(0, 10**18)} {rng.randint(1, 10**9)}" for _ in range(300)]
    return [lines(3, "0 0 7", "7 0 1", "0 5 3"), lines(2, "123456789 1 1", "2 1000000000000000000 1000000007"),
            lines(len(rows), *rows)]


def _fib_cases(rng):
    return [lines(3, 0, 1, 2), lines(5, 3, 4, 5, 90, 91),
            lines(100, *(rng.randint(0, 10**18) for _ in range(100))), lines(1, 10**18)]


def _divisor_cases(rng):
    return [lines(3, 1, 2, 4), lines(3, 999966000289, 99999999977, 2**36),
            lines(5, *(rng.randint(1, 10**11) for _ in range(5)))]


def _zeros_cases(rng):
    return [lines(3, 0, 4, 24), lines(4, 125, 10**18, 999999999999999999, 5**25),
            lines(500, *(rng.randint(0, 10**18) for _ in range(500))), lines(1, 3 * 10**6)]


def _base_cases(rng):
    rows = [f"{rng.randint(0, 10**18)} {rng.randint(2, 36)}" for _ in range(300)]
    return [lines(1, "0 10"), lines(2, "1 2", "1000000000000000000 36"), lines(len(rows), *rows)]


def _binomial_cases(rng):
    rows = [f"{rng.randint(0, 200000)} {rng.randint(0, 200000)}" for _ in range(200)]
    big = [f"{n} {rng.randint(0, n)}" for n in (rng.randint(100000, 200000) for _ in range(2000))]
    return [lines(3, "0 0", "1 1", "200000 100000"), lines(len(rows), *rows), lines(len(big), *big)]


def _inverse_cases(rng):
    rows = [f"{rng.randint(1, 10**12)} {rng.randint(2, 10**12)}" for _ in range(300)]
    return [lines(2, "1 2", "10 15"), lines(2, "999999999999 1000000000000", "6 1000000007"),
            lines(len(rows), *rows)]


def _squares_cases(rng):
    rows = []
    for _ in range(200):
        a, b = sorted(rng.randint(1, 10**18) for _ in range(2))
        rows.append(f"{a} {b}")
    k = 999999999
    edge = [f"{k * k} {k * k}", f"{k * k - 1} {k * k - 1}", f"{(k + 1) ** 2 - 1} {(k + 1) ** 2}",
            f"1 {10**18}", f"{(10**9 - 1) ** 2 + 1} {10**18 - 1}", f"1 {10**18 - 1}", f"2 {10**18 - 2}"]
    return [lines(2, "1 1", "2 3"), lines(len(edge), *edge), lines(len(rows), *rows)]


def _sum_cases(rng):
    return [lines(2, 1, 2), lines(3, 10**18, 999999999999999999, 123456789012345678),
            lines(300, *(rng.randint(1, 10**18) for _ in range(300)))]


def _divisible_cases(rng):
    rows = [f"{rng.randint(1, 10**18)} {rng.randint(1, 10**6)} {rng.randint(1, 10**6)}" for _ in range(300)]
    return [lines(2, "1 1 1", "100 4 6"), lines(1, "1000000000000000000 6 4"), lines(len(rows), *rows)]


def _totient_cases(rng):
    return [lines(3, 2, 3, 4), lines(3, 9999999967, 2**33, 2 * 3 * 5 * 7 * 11 * 13 * 17 * 19 * 23),
            lines(20, *(rng.randint(1, 10**10) for _ in range(20)))]


def _factor_cases(rng):
    return [lines(3, 2, 3, 4), lines(3, 999983, 2**19, 720720),
            lines(8000, *(rng.randint(2, 10**6) for _ in range(8000)))]


def _roman_cases(rng):
    def roman(n):
        vals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
        out = ""
        for v, s in vals:
            while n >= v:
                out += s
                n -= v
        return out
    nums = [rng.randint(1, 3999) for _ in range(500)]
    return [lines(3, "I", "IV", "MMMCMXCIX"), lines(4, "XL", "XC", "CD", "CM"), lines(len(nums), *map(roman, nums))]


def _to_roman_cases(rng):
    return [lines(3, 1, 3999, 444), lines(4, 40, 90, 400, 900), lines(500, *(rng.randint(1, 3999) for _ in range(500)))]


def _goldbach_cases(rng):
    return [lines(2, 6, 8), lines(1, 1000000), lines(200, *(2 * rng.randint(2, 500000) for _ in range(200)))]


def _power_two_cases(rng):
    vals = [2**rng.randint(0, 59) for _ in range(100)] + [rng.randint(0, 10**18) for _ in range(100)]
    vals += [2**k + 1 for k in range(1, 60)] + [2**k - 1 for k in range(2, 60)]
    return [lines(3, 2, 3, 8), lines(2, 0, 2**59), lines(len(vals), *vals)]


def _pascal_cases(rng):
    return [lines(1), lines(2), lines(30), lines(rng.randint(60, 100)), lines(300)]


def _factorial_digits_cases(rng):
    return [lines(1, 1), lines(3, 2, 3, 4), lines(3, 100, 1000, 1500), lines(2, 2000, 3000)]


PROBLEMS = [
    Problem(
        id="gcd-and-lcm",
        title="GCD and LCM",
        statement="""
            For each of T pairs of positive integers a, b (up to 10^18) print gcd(a, b) and
            lcm(a, b) separated by a space.
        """,
        samples=[(lines(2, "12 18", "7 5"), lines("6 36", "1 35"))],
        generate=_gcd_cases,
        correct="""
            from math import gcd
            t = int(input())
            for _ in range(t):
                a, b = map(int, input().split())
                g = gcd(a, b)
                print(g, a // g * b)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                from math import gcd
                t = int(input())
                for _ in range(t):
                    a, b = map(int, input().split())
                    print(gcd(a, b), a * b)
            """, "the product is not the lcm"),
            bug("wrong_answer", "failed", """
                from math import gcd
                t = int(input())
                for _ in range(t):
                    a, b = map(int, input().split())
                    g = gcd(a, b)
                    print(g, int(a * b / g))
            """, "true division loses digits"),
            bug("too_slow", "timeout", """
                t = int(input())
                for _ in range(t):
                    a, b = map(int, input().split())
                    g = min(a, b)
                    while a % g or b % g:
                        g -= 1
                    print(g, a // g * b)
            """, "counts down from min(a, b)"),
        ],
    ),
    Problem(
        id="primality",
        title="Prime or not",
        statement="""
            For each of q numbers n (1 <= n <= 10^12) print YES if n is prime, else NO.
        """,
        samples=[(lines(5, 1, 2, 9, 97, 1000000007), lines("NO", "YES", "NO", "YES", "YES"))],
        generate=_primality_cases,
        heavy_case=3,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            import sys
            def is_prime(n):
                if n < 2:
                    return False
                for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
                    if n % p == 0:
                        return n == p
                d, s = n - 1, 0
                while d % 2 == 0:
                    d //= 2
                    s += 1
                for a in (2, 3, 5, 7, 11, 13, 17):
                    x = pow(a, d, n)
                    if x in (1, n - 1):
                        continue
                    for _ in range(s - 1):
                        x = x * x % n
                        if x == n - 1:
                            break
                    else:
                        return False
                return True
            nums = sys.stdin.read().split()[1:]
            print("\\n".join("YES" if is_prime(int(x)) else "NO" for x in nums))
        """,
        programs=[
            ok("slow_correct", """
                import sys
                def is_prime(n):
                    if n < 4:
                        return n > 1
                    if n % 2 == 0 or n % 3 == 0:
                        return False
                    i = 5
                    while i * i <= n:
                        if n % i == 0 or n % (i + 2) == 0:
                            return False
                        i += 6
                    return True
                nums = sys.stdin.read().split()[1:]
                print("\\n".join("YES" if is_prime(int(x)) else "NO" for x in nums))
            """, "trial division by 6k +- 1 up to the square root"),
            bug("too_slow", "timeout", """
                import sys
                def is_prime(n):
                    if n < 2:
                        return False
                    for d in range(2, n):
                        if n % d == 0:
                            return False
                    return True
                nums = sys.stdin.read().split()[1:]
                print("\\n".join("YES" if is_prime(int(x)) else "NO" for x in nums))
            """, "trial division up to n"),
            bug("wrong_answer", "failed", """
                import sys
                def is_prime(n):
                    if n < 4:
                        return True
                    return pow(2, n - 1, n) == 1
                nums = sys.stdin.read().split()[1:]
                print("\\n".join("YES" if is_prime(int(x)) else "NO" for x in nums))
            """, "Fermat base 2 only, and 1 counted prime"),
        ],
    ),
    Problem(
        id="count-primes",
        title="Primes up to n",
        statement="""
            Given n (1 <= n <= 3*10^6), print the number of primes p <= n.
        """,
        samples=[(lines(10), lines(4)), (lines(30), lines(10))],
        generate=_count_primes_cases,
        heavy_case=6,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            n = int(input())
            sieve = bytearray([1]) * (n + 1)
            sieve[0] = 0
            if n >= 1:
                sieve[1] = 0
            for p in range(2, int(n ** 0.5) + 1):
                if sieve[p]:
                    sieve[p * p::p] = bytes(len(range(p * p, n + 1, p)))
            print(sum(sieve))
        """,
        programs=[
            ok("slow_correct", """
                n = int(input())
                composite = [False] * (n + 1)
                count = 0
                for p in range(2, n + 1):
                    if not composite[p]:
                        count += 1
                        for m in range(p * p, n + 1, p):
                            composite[m] = True
                print(count)
            """, "the sieve with a Python inner loop"),
            bug("too_slow", "timeout", """
                n = int(input())
                count = 0
                for k in range(2, n + 1):
                    d = 2
                    while d * d <= k and k % d:
                        d += 1
                    if d * d > k:
                        count += 1
                print(count)
            """, "trial division of every number"),
            bug("runtime_error", "error", """
                n = int(input())
                sieve = bytearray([1]) * (n + 1)
                sieve[0] = 0
                if n >= 1:
                    sieve[1] = 0
                for p in range(2, int(n ** 0.5) + 1):
                    if sieve[p]:
                        sieve[p * p::p] = bytes((n - p * p) // p)
                print(sum(sieve))
            """, "the slice is one longer than the bytes: ValueError"),
        ],
    ),
    Problem(
        id="modular-power",
        title="Modular power",
        statement="""
            For each line a b m (0 <= a, b <= 10^18, 1 <= m <= 10^9) print a^b mod m
            (0^0 is 1, and anything mod 1 is 0).
        """,
        samples=[(lines(3, "2 10 1000", "5 3 13", "3 0 5"), lines(24, 8, 1))],
        generate=_modpow_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                a, b, m = map(int, input().split())
                print(pow(a, b, m))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    a, b, m = map(int, input().split())
                    r, a = 1, a % m
                    while b:
                        if b & 1:
                            r = r * a % m
                        a = a * a % m
                        b >>= 1
                    print(r)
            """, "returns 1 for b = 0 even when m = 1"),
            bug("too_slow", "timeout", """
                t = int(input())
                for _ in range(t):
                    a, b, m = map(int, input().split())
                    r = 1 % m
                    for _ in range(b):
                        r = r * a % m
                    print(r)
            """, "b multiplications"),
        ],
    ),
    Problem(
        id="fibonacci-mod",
        title="Huge Fibonacci numbers",
        statement="""
            F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2). For each query n (0 <= n <= 10^18)
            print F(n) mod 1000000007.
        """,
        samples=[(lines(4, 0, 1, 10, 50), lines(0, 1, 55, 586268941))],
        generate=_fib_cases,
        correct="""
            import sys
            M = 10**9 + 7
            def fib(n):
                if n == 0:
                    return 0, 1
                a, b = fib(n >> 1)
                c = a * (2 * b - a) % M
                d = (a * a + b * b) % M
                return (d, (c + d) % M) if n & 1 else (c, d)
            qs = sys.stdin.read().split()[1:]
            print("\\n".join(str(fib(int(q))[0]) for q in qs))
        """,
        programs=[
            bug("too_slow", "timeout", """
                import sys
                M = 10**9 + 7
                qs = sys.stdin.read().split()[1:]
                for q in qs:
                    a, b = 0, 1
                    for _ in range(int(q)):
                        a, b = b, (a + b) % M
                    print(a)
            """, "linear in n"),
            bug("off_by_one", "failed", """
                import sys
                M = 10**9 + 7
                def fib(n):
                    if n == 0:
                        return 0, 1
                    a, b = fib(n >> 1)
                    c = a * (2 * b - a) % M
                    d = (a * a + b * b) % M
                    return (d, (c + d) % M) if n & 1 else (c, d)
                qs = sys.stdin.read().split()[1:]
                print("\\n".join(str(fib(int(q))[1]) for q in qs))
            """, "prints F(n+1)"),
        ],
    ),
    Problem(
        id="divisor-count",
        title="Number of divisors",
        statement="""
            For each of T numbers n (1 <= n <= 10^12, T <= 5) print how many positive divisors n has.
        """,
        samples=[(lines(4, 1, 12, 36, 97), lines(1, 6, 9, 2))],
        generate=_divisor_cases,
        cpu_limit=2.0,
        correct="""
            t = int(input())
            for _ in range(t):
                n = int(input())
                count, d = 1, 2
                while d * d <= n:
                    e = 0
                    while n % d == 0:
                        n //= d
                        e += 1
                    count *= e + 1
                    d += 1 if d == 2 else 2
                if n > 1:
                    count *= 2
                print(count)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    c, d = 0, 1
                    while d * d <= n:
                        if n % d == 0:
                            c += 2
                        d += 1
                    print(c)
            """, "counts the square root of a perfect square twice"),
            bug("too_slow", "timeout", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(sum(1 for d in range(1, n + 1) if n % d == 0))
            """, "tries every number up to n"),
        ],
    ),
    Problem(
        id="factorial-trailing-zeros",
        title="Trailing zeros of n!",
        statement="""
            For each n (0 <= n <= 10^18) print the number of trailing zeros of n! in decimal.
        """,
        samples=[(lines(4, 5, 10, 25, 100), lines(1, 2, 6, 24))],
        generate=_zeros_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                n = int(input())
                z = 0
                while n:
                    n //= 5
                    z += n
                print(z)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    print(int(input()) // 5)
            """, "counts multiples of 5 only once"),
            bug("too_slow", "timeout", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    f = 1
                    for i in range(2, n + 1):
                        f *= i
                    z = 0
                    while f % 10 == 0:
                        f //= 10
                        z += 1
                    print(z)
            """, "computes n!"),
        ],
    ),
    Problem(
        id="base-conversion",
        title="Change of base",
        statement="""
            Each line holds n (0 <= n <= 10^18) and a base b (2 <= b <= 36). Print n in base b
            using digits 0-9 then A-Z.
        """,
        samples=[(lines(3, "255 16", "10 2", "35 36"), lines("FF", "1010", "Z"))],
        generate=_base_cases,
        correct="""
            DIG = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            t = int(input())
            for _ in range(t):
                n, b = map(int, input().split())
                s = ""
                while True:
                    s = DIG[n % b] + s
                    n //= b
                    if n == 0:
                        break
                print(s)
        """,
        programs=[
            bug("missing_output", "failed", """
                DIG = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                t = int(input())
                for _ in range(t):
                    n, b = map(int, input().split())
                    s = ""
                    while n:
                        s = DIG[n % b] + s
                        n //= b
                    print(s)
            """, "prints an empty line for 0"),
            bug("wrong_format", "failed", """
                DIG = "0123456789abcdefghijklmnopqrstuvwxyz"
                t = int(input())
                for _ in range(t):
                    n, b = map(int, input().split())
                    s = ""
                    while True:
                        s = DIG[n % b] + s
                        n //= b
                        if n == 0:
                            break
                    print(s)
            """, "lower-case digits"),
        ],
    ),
    Problem(
        id="binomial-mod",
        title="Binomial coefficients modulo a prime",
        statement="""
            For each query n k (0 <= n, k <= 2*10^5) print C(n, k) mod 1000000007 (0 when k > n).
        """,
        samples=[(lines(3, "5 2", "10 0", "3 5"), lines(10, 1, 0))],
        generate=_binomial_cases,
        cpu_limit=1.5,
        correct="""
            import sys
            M = 10**9 + 7
            data = sys.stdin.buffer.read().split()
            q = int(data[0])
            N = 200001
            fact = [1] * N
            for i in range(1, N):
                fact[i] = fact[i - 1] * i % M
            inv = [1] * N
            inv[N - 1] = pow(fact[N - 1], M - 2, M)
            for i in range(N - 1, 0, -1):
                inv[i - 1] = inv[i] * i % M
            out = []
            for i in range(q):
                n, k = int(data[1 + 2 * i]), int(data[2 + 2 * i])
                out.append(fact[n] * inv[k] % M * inv[n - k] % M if 0 <= k <= n else 0)
            print("\\n".join(map(str, out)))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                M = 10**9 + 7
                data = sys.stdin.buffer.read().split()
                q = int(data[0])
                N = 200001
                fact = [1] * N
                for i in range(1, N):
                    fact[i] = fact[i - 1] * i % M
                out = []
                for i in range(q):
                    n, k = int(data[1 + 2 * i]), int(data[2 + 2 * i])
                    out.append(fact[n] * pow(fact[k] * fact[n - k], M - 2, M) % M)
                print("\\n".join(map(str, out)))
            """, "no k > n check: fact[n - k] reads from the end of the list"),
            bug("too_slow", "timeout", """
                import sys
                from math import comb
                data = sys.stdin.buffer.read().split()
                q = int(data[0])
                for i in range(q):
                    n, k = int(data[1 + 2 * i]), int(data[2 + 2 * i])
                    print(comb(n, k) % (10**9 + 7))
            """, "exact binomials"),
        ],
    ),
    Problem(
        id="modular-inverse",
        title="Modular inverse",
        statement="""
            For each pair a m (1 <= a <= 10^12, 2 <= m <= 10^12) print x in [0, m) with
            a*x = 1 (mod m), or -1 if there is none.
        """,
        samples=[(lines(3, "3 11", "2 4", "7 7"), lines(4, -1, -1))],
        generate=_inverse_cases,
        correct="""
            from math import gcd
            t = int(input())
            for _ in range(t):
                a, m = map(int, input().split())
                print(pow(a, -1, m) if gcd(a, m) == 1 else -1)
        """,
        programs=[
            bug("runtime_error", "error", """
                t = int(input())
                for _ in range(t):
                    a, m = map(int, input().split())
                    print(pow(a, -1, m))
            """, "pow raises ValueError when there is no inverse"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    a, m = map(int, input().split())
                    print(pow(a, m - 2, m))
            """, "Fermat's little theorem assumes m is prime"),
        ],
    ),
    Problem(
        id="squares-in-range",
        title="Perfect squares in a range",
        statement="""
            For each line l r (1 <= l <= r <= 10^18) print how many perfect squares lie in [l, r].
        """,
        samples=[(lines(3, "1 10", "5 8", "16 16"), lines(3, 0, 1))],
        generate=_squares_cases,
        correct="""
            from math import isqrt
            t = int(input())
            for _ in range(t):
                l, r = map(int, input().split())
                print(isqrt(r) - isqrt(l - 1))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    l, r = map(int, input().split())
                    print(int(math.sqrt(r)) - int(math.sqrt(l - 1)))
            """, "float square roots round up near large squares"),
            bug("off_by_one", "failed", """
                from math import isqrt
                t = int(input())
                for _ in range(t):
                    l, r = map(int, input().split())
                    print(isqrt(r) - isqrt(l))
            """, "misses l when l is a square"),
        ],
    ),
    Problem(
        id="triangular-mod",
        title="1 + 2 + ... + n modulo a prime",
        statement="""
            For each n (1 <= n <= 10^18) print n(n+1)/2 mod 1000000007.
        """,
        samples=[(lines(2, 10, 100), lines(55, 5050))],
        generate=_sum_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                n = int(input())
                print(n * (n + 1) // 2 % 1000000007)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(int(n * (n + 1) / 2) % 1000000007)
            """, "true division loses digits"),
            bug("wrong_answer", "failed", """
                t = int(input())
                M = 1000000007
                for _ in range(t):
                    n = int(input())
                    print(n * (n + 1) % M // 2)
            """, "halves after reducing"),
        ],
    ),
    Problem(
        id="divisible-by-either",
        title="Divisible by a or b",
        statement="""
            For each line n a b (n <= 10^18, a, b <= 10^6, all positive) print how many of
            1..n are divisible by a or by b.
        """,
        samples=[(lines(2, "10 2 3", "20 4 6"), lines(7, 7))],
        generate=_divisible_cases,
        correct="""
            from math import gcd
            t = int(input())
            for _ in range(t):
                n, a, b = map(int, input().split())
                l = a // gcd(a, b) * b
                print(n // a + n // b - n // l)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n, a, b = map(int, input().split())
                    print(n // a + n // b - n // (a * b))
            """, "a*b where the lcm belongs"),
            bug("too_slow", "timeout", """
                t = int(input())
                for _ in range(t):
                    n, a, b = map(int, input().split())
                    print(sum(1 for i in range(1, n + 1) if i % a == 0 or i % b == 0))
            """, "counts one by one"),
        ],
    ),
    Problem(
        id="euler-totient",
        title="Euler's totient",
        statement="""
            For each of T numbers n (1 <= n <= 10^10, T <= 20) print phi(n), the count of
            1 <= k <= n with gcd(k, n) = 1.
        """,
        samples=[(lines(4, 1, 9, 10, 13), lines(1, 6, 4, 12))],
        generate=_totient_cases,
        cpu_limit=1.5,
        correct="""
            t = int(input())
            for _ in range(t):
                n = int(input())
                result, p = n, 2
                while p * p <= n:
                    if n % p == 0:
                        while n % p == 0:
                            n //= p
                        result -= result // p
                    p += 1 if p == 2 else 2
                if n > 1:
                    result -= result // n
                print(result)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    result, p, m = n, 2, n
                    while p * p <= m:
                        if m % p == 0:
                            while m % p == 0:
                                m //= p
                            result -= result // p
                        p += 1
                    print(result)
            """, "forgets the prime factor left above the square root"),
            bug("too_slow", "timeout", """
                from math import gcd
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(sum(1 for k in range(1, n + 1) if gcd(k, n) == 1))
            """, "counts coprimes one by one"),
        ],
    ),
    Problem(
        id="factorise-queries",
        title="Prime factors of many numbers",
        statement="""
            q numbers follow q (2 <= x <= 10^6, q <= 10^5). For each print its prime factors in
            non-decreasing order, with multiplicity, on one line.
        """,
        samples=[(lines(3, 12, 7, 100), lines("2 2 3", "7", "2 2 5 5"))],
        generate=_factor_cases,
        cpu_limit=2.0,
        correct="""
            import sys
            data = sys.stdin.buffer.read().split()
            qs = list(map(int, data[1:]))
            top = max(qs)
            prime = bytearray([1]) * (top + 1)
            for p in range(2, int(top ** 0.5) + 1):
                if prime[p]:
                    prime[p * p::p] = bytes(len(range(p * p, top + 1, p)))
            spf = list(range(top + 1))
            for p in range(int(top ** 0.5), 1, -1):  # smaller primes last: they win
                if prime[p]:
                    spf[p * p::p] = [p] * len(range(p * p, top + 1, p))
            out = []
            for x in qs:
                f = []
                while x > 1:
                    f.append(spf[x])
                    x //= spf[x]
                out.append(" ".join(map(str, f)))
            print("\\n".join(out))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                data = sys.stdin.buffer.read().split()
                for x in map(int, data[1:]):
                    f, p = [], 2
                    while p * p <= x:
                        if x % p == 0:
                            f.append(p)
                            while x % p == 0:
                                x //= p
                        p += 1
                    if x > 1:
                        f.append(x)
                    print(*f)
            """, "drops multiplicity"),
            bug("too_slow", "timeout", """
                import sys
                data = sys.stdin.buffer.read().split()
                for x in map(int, data[1:]):
                    f, p = [], 2
                    while x > 1:
                        while x % p == 0:
                            f.append(p)
                            x //= p
                        p += 1
                    print(*f)
            """, "trial division up to the largest factor, per query"),
        ],
    ),
    Problem(
        id="roman-to-integer",
        title="Roman numerals to integers",
        statement="""
            Each of the q lines holds a Roman numeral for a number in 1..3999. Print its value.
        """,
        samples=[(lines(3, "III", "LVIII", "MCMXCIV"), lines(3, 58, 1994))],
        generate=_roman_cases,
        correct="""
            V = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
            q = int(input())
            for _ in range(q):
                s = input().strip()
                total = 0
                for i, ch in enumerate(s):
                    v = V[ch]
                    total += -v if i + 1 < len(s) and V[s[i + 1]] > v else v
                print(total)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                V = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
                q = int(input())
                for _ in range(q):
                    print(sum(V[ch] for ch in input().strip()))
            """, "ignores subtractive pairs"),
            bug("runtime_error", "error", """
                V = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
                q = int(input())
                for _ in range(q):
                    s = input().strip()
                    total = 0
                    for i, ch in enumerate(s):
                        v = V[ch]
                        total += -v if V[s[i + 1]] > v else v
                    print(total)
            """, "reads past the last character"),
        ],
    ),
    Problem(
        id="integer-to-roman",
        title="Integers to Roman numerals",
        statement="""
            For each of the q numbers in 1..3999 print its Roman numeral.
        """,
        samples=[(lines(3, 3, 58, 1994), lines("III", "LVIII", "MCMXCIV"))],
        generate=_to_roman_cases,
        correct="""
            PAIRS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                     (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
            q = int(input())
            for _ in range(q):
                n = int(input())
                out = []
                for v, s in PAIRS:
                    k, n = divmod(n, v)
                    out.append(s * k)
                print("".join(out))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                PAIRS = [(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"), (5, "V"), (1, "I")]
                q = int(input())
                for _ in range(q):
                    n = int(input())
                    out = []
                    for v, s in PAIRS:
                        k, n = divmod(n, v)
                        out.append(s * k)
                    print("".join(out))
            """, "no subtractive forms (IIII for 4)"),
            bug("wrong_format", "failed", """
                PAIRS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
                q = int(input())
                for _ in range(q):
                    n = int(input())
                    out = []
                    for v, s in PAIRS:
                        k, n = divmod(n, v)
                        out.extend([s] * k)
                    print(*out)
            """, "symbols separated by spaces"),
        ],
    ),
    Problem(
        id="goldbach-pairs",
        title="Goldbach partitions",
        statement="""
            For each even n (4 <= n <= 10^6) print primes p <= q with p + q = n and p as small
            as possible.
        """,
        samples=[(lines(3, 4, 10, 28), lines("2 2", "3 7", "5 23"))],
        generate=_goldbach_cases,
        correct="""
            import sys
            qs = list(map(int, sys.stdin.read().split()[1:]))
            top = max(qs)
            sieve = bytearray([1]) * (top + 1)
            sieve[0] = sieve[1] = 0
            for p in range(2, int(top ** 0.5) + 1):
                if sieve[p]:
                    sieve[p * p::p] = bytes(len(range(p * p, top + 1, p)))
            for n in qs:
                p = 2
                while not (sieve[p] and sieve[n - p]):
                    p += 1
                print(p, n - p)
        """,
        programs=[
            bug("off_by_one", "error", """
                import sys
                qs = list(map(int, sys.stdin.read().split()[1:]))
                top = max(qs)
                sieve = bytearray([1]) * (top + 1)
                sieve[0] = sieve[1] = 0
                for p in range(2, int(top ** 0.5) + 1):
                    if sieve[p]:
                        sieve[p * p::p] = bytes(len(range(p * p, top + 1, p)))
                for n in qs:
                    p = 3
                    while not (sieve[p] and sieve[n - p]):
                        p += 2
                    print(p, n - p)
            """, "starts at 3: misses 4 = 2 + 2, runs off the sieve (IndexError)"),
        ],
    ),
    Problem(
        id="power-of-two",
        title="Powers of two",
        statement="""
            For each n (0 <= n <= 10^18) print YES if n is a power of two, else NO.
        """,
        samples=[(lines(4, 1, 6, 1024, 12), lines("YES", "NO", "YES", "NO"))],
        generate=_power_two_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                n = int(input())
                print("YES" if n > 0 and n & (n - 1) == 0 else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print("YES" if n & (n - 1) == 0 else "NO")
            """, "precedence: n & ((n - 1) == 0); and 0 counted"),
            bug("wrong_answer", "failed", """
                import math
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print("YES" if n > 0 and math.log2(n) == int(math.log2(n)) else "NO")
            """, "float log2 rounds 2^k + 1 to an integer"),
        ],
    ),
    Problem(
        id="pascal-row",
        title="A row of Pascal's triangle",
        statement="""
            Given n (0 <= n <= 300), print C(n, 0), C(n, 1), ..., C(n, n) separated by spaces
            (exact values).
        """,
        samples=[(lines(4), lines("1 4 6 4 1")), (lines(0), lines(1))],
        generate=_pascal_cases,
        correct="""
            n = int(input())
            row = [1]
            for k in range(n):
                row.append(row[-1] * (n - k) // (k + 1))
            print(*row)
        """,
        programs=[
            bug("wrong_format", "failed", """
                n = int(input())
                row = [1]
                for k in range(n):
                    row.append(row[-1] * (n - k) / (k + 1))
                print(*row)
            """, "true division prints floats"),
            bug("off_by_one", "failed", """
                n = int(input())
                row = [1]
                for k in range(1, n):
                    row.append(row[-1] * (n - k + 1) // k)
                print(*row)
            """, "stops before C(n, n)"),
        ],
    ),
    Problem(
        id="factorial-digit-sum",
        title="Digit sum of n!",
        statement="""
            For each n (0 <= n <= 3000) print the sum of the decimal digits of n!.
        """,
        samples=[(lines(3, 0, 5, 10), lines(1, 3, 27))],
        generate=_factorial_digits_cases,
        correct="""
            import math
            t = int(input())
            for _ in range(t):
                f = math.factorial(int(input()))
                s = 0
                while f:
                    f, r = divmod(f, 10**18)
                    s += sum(map(int, str(r)))
                print(s)
        """,
        programs=[
            bug("runtime_error", "error", """
                import math
                t = int(input())
                for _ in range(t):
                    print(sum(map(int, str(math.factorial(int(input()))))))
            """, "str() of more than 4300 digits raises ValueError"),
            ok("variant", """
                import math, sys
                sys.set_int_max_str_digits(0)
                t = int(input())
                for _ in range(t):
                    print(sum(map(int, str(math.factorial(int(input()))))))
            """, "lifts the conversion limit"),
        ],
    ),
]
