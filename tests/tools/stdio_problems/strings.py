"""String problems: scanning, counting, matching, palindromes."""
from __future__ import annotations

import string

from . import Problem, bug, lines, ok


def _word(rng, n, alphabet="ab"):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _rle_cases(rng):
    out = [lines("a"), lines("zzzzzzzzzzzz"), lines("abcabc")]
    for n in (20, 300, 20000):
        out.append(lines(_word(rng, n, "xyz" if n < 1000 else "xxxxxxy")))
    return out


def _anagram_cases(rng):
    pairs = [("a", "a"), ("ab", "ba"), ("aab", "abb"), ("abc", "abcd"), ("zz", "z")]
    for _ in range(300):
        w = _word(rng, rng.randint(1, 12), "abcde")
        v = list(w)
        rng.shuffle(v)
        if rng.random() < 0.4:
            v[rng.randrange(len(v))] = rng.choice("abcde")
        pairs.append((w, "".join(v)))
    return [lines(5, *(f"{a} {b}" for a, b in pairs[:5])), lines(len(pairs) - 5, *(f"{a} {b}" for a, b in pairs[5:]))]


def _palindrome_cases(rng):
    return [lines("a"), lines("ab"), lines("abacdfgdcaba"), lines(_word(rng, 60)),
            lines(_word(rng, 1500, "abc")), lines("a" * 2500)]


def _caesar_cases(rng):
    text = " ".join(_word(rng, rng.randint(1, 8), string.ascii_letters) for _ in range(200))
    return [lines(0, "Zz"), lines(-1, "aA"), lines(1000000007, "Hello World"), lines(-53, "xyz XYZ"),
            lines(rng.randint(-10**9, 10**9), text)]


def _freq_cases(rng):
    words = ["to", "be", "or", "not", "that", "is", "the", "question", "a", "b"]
    text = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 20))) for _ in range(200)]
    return [lines("one"), lines("b a b a c"), lines(*text)]


def _brackets_cases(rng):
    fixed = ["()", "([)]", "(((", "}", "{[()()]}", "([]{})", "((())"]
    more = []
    for _ in range(300):
        s = []
        stack = []
        for _ in range(rng.randint(1, 30)):
            if stack and rng.random() < 0.5:
                s.append({"(": ")", "[": "]", "{": "}"}[stack.pop()])
            else:
                ch = rng.choice("([{")
                stack.append(ch)
                s.append(ch)
        while stack:
            s.append({"(": ")", "[": "]", "{": "}"}[stack.pop()])
        if rng.random() < 0.3:
            i = rng.randrange(len(s))
            s[i] = rng.choice("()[]{}")
        more.append("".join(s))
    return [lines(len(fixed), *fixed), lines(len(more), *more)]


def _lcp_cases(rng):
    out = [lines(1, "alone"), lines(3, "abc", "abd", "xyz"), lines(2, "same", "same"), lines(2, "pre", "prefix")]
    base = _word(rng, 40, "ab")
    out.append(lines(50, *(base[:rng.randint(30, 40)] + _word(rng, 5, "ab") for _ in range(50))))
    return out


def _subseq_cases(rng):
    t = _word(rng, 2000, "abc")
    qs = [_word(rng, rng.randint(1, 12), "abc") for _ in range(300)]
    return [lines("abc", 3, "ac", "ca", "abc"), lines("a", 2, "a", "aa"), lines(t, len(qs), *qs)]


def _occurrence_cases(rng):
    return [lines("aaa", "aaaaa"), lines("abc", "ab"), lines("x", "xxyxx"),
            lines("abab", _word(rng, 5000, "ab")), lines("aab", _word(rng, 20000, "aab"))]


def _title_cases(rng):
    words = ["don't", "it's", "rock'n'roll", "o'neil", "hello", "WORLD", "mIxEd", "x", "ab-cd", "e2e"]
    return [lines("hello world"), lines("it's"), lines("a b c"), lines("don't stop believing"),
            lines(*(" ".join(rng.choice(words) for _ in range(rng.randint(1, 10))) for _ in range(100)))]


def _dedupe_cases(rng):
    return [lines("a"), lines("aaaa"), lines("banana"), lines(_word(rng, 200, string.ascii_lowercase)),
            lines(_word(rng, 20000, string.ascii_lowercase))]


def _flips_cases(rng):
    return [lines(1, "0"), lines(1, "1"), lines(3, "0000", "1010", "1"),
            lines(200, *(_word(rng, rng.randint(1, 30), "01") for _ in range(200))),
            lines(1, _word(rng, 20000, "01"))]


def _rotation_cases(rng):
    return [lines("a"), lines("ba"), lines("aaaa"), lines("cabab"), lines(_word(rng, 50, "ab")),
            lines("ab" * 10000 + "a"), lines(_word(rng, 20000, "ab"))]


def _reverse_words_cases(rng):
    return [lines(1, "single"), lines(2, "a b c", "  spaced   out  "),
            lines(100, *(" ".join(_word(rng, rng.randint(1, 6), "abcdef") for _ in range(rng.randint(1, 9)))
                         for _ in range(100)))]


def _prefix_function_cases(rng):
    return [lines("a"), lines("aaaa"), lines("abcabcd"), lines(_word(rng, 100, "ab")),
            lines(_word(rng, 20000, "aab"))]


def _digital_root_cases(rng):
    return [lines(1, "0"), lines(2, "9", "38"), lines(1, "9" * 4000),
            lines(3, *("".join(rng.choice("0123456789") for _ in range(n)) for n in (10, 5000, 10000)))]


def _clock_cases(rng):
    fixed = ["12:00:00AM", "12:00:00PM", "12:59:59AM", "01:00:00PM", "11:59:59PM"]
    more = [f"{rng.randint(1, 12):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{rng.choice(['AM', 'PM'])}"
            for _ in range(300)]
    return [lines(len(fixed), *fixed), lines(len(more), *more)]


def _vowel_cases(rng):
    return [lines("xyz"), lines("AEIOU aeiou"),
            lines(*("".join(rng.choice(string.ascii_letters + " ") for _ in range(60)) for _ in range(100)))]


PROBLEMS = [
    Problem(
        id="run-length-encoding",
        title="Run-length encoding",
        statement="""
            Given a string of lowercase letters, replace every maximal run of one letter by the
            letter followed by the run's length, and print the result.
        """,
        samples=[(lines("aaabccdddd"), lines("a3b1c2d4"))],
        generate=_rle_cases,
        correct="""
            from itertools import groupby
            s = input().strip()
            print("".join(f"{ch}{len(list(g))}" for ch, g in groupby(s)))
        """,
        programs=[
            bug("missing_output", "failed", """
                s = input().strip()
                out, run = [], 1
                for i in range(1, len(s)):
                    if s[i] == s[i - 1]:
                        run += 1
                    else:
                        out.append(f"{s[i - 1]}{run}")
                        run = 1
                print("".join(out))
            """, "forgets to emit the last run"),
            bug("wrong_format", "failed", """
                from itertools import groupby
                s = input().strip()
                print(" ".join(f"{ch}{len(list(g))}" for ch, g in groupby(s)))
            """, "spaces between runs"),
        ],
    ),
    Problem(
        id="anagram-pairs",
        title="Anagram pairs",
        statement="""
            T lines follow the count T, each with two words. For each print YES if the words are
            anagrams of each other (same letters with the same counts), else NO.
        """,
        samples=[(lines(3, "listen silent", "aab abb", "abc cab"), lines("YES", "NO", "YES"))],
        generate=_anagram_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                a, b = input().split()
                print("YES" if sorted(a) == sorted(b) else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    a, b = input().split()
                    print("YES" if set(a) == set(b) else "NO")
            """, "compares letter sets, not counts"),
            ok("variant", """
                import sys
                from collections import Counter
                lines_ = sys.stdin.read().split("\\n")
                res = []
                for line in lines_[1:int(lines_[0]) + 1]:
                    a, b = line.split()
                    res.append("YES" if Counter(a) == Counter(b) else "NO")
                print(" ".join(res))
            """, "Counter; answers on one line"),
        ],
    ),
    Problem(
        id="longest-palindromic-substring",
        title="Longest palindromic substring",
        statement="""
            Given a string (length <= 2500, lowercase), print the length of its longest
            palindromic substring.
        """,
        samples=[(lines("babad"), lines(3)), (lines("cbbd"), lines(2))],
        generate=_palindrome_cases,
        heavy_case=7,
        cpu_limit=3.0,  # a cap: the builder calibrates the limit
        correct="""
            s = input().strip()
            t = "^#" + "#".join(s) + "#$"
            p = [0] * len(t)
            c = r = 0
            for i in range(1, len(t) - 1):
                if i < r:
                    p[i] = min(r - i, p[2 * c - i])
                while t[i + p[i] + 1] == t[i - p[i] - 1]:
                    p[i] += 1
                if i + p[i] > r:
                    c, r = i, i + p[i]
            print(max(p))
        """,
        programs=[
            ok("slow_correct", """
                s = input().strip()
                n = len(s)
                best = 1
                for center in range(2 * n - 1):
                    lo, hi = center // 2, center // 2 + center % 2
                    while lo >= 0 and hi < n and s[lo] == s[hi]:
                        lo -= 1
                        hi += 1
                    best = max(best, hi - lo - 1)
                print(best)
            """, "expands around each centre: quadratic on a run of one letter"),
            bug("too_slow", "timeout", """
                s = input().strip()
                n = len(s)
                best = 0
                for i in range(n):
                    for j in range(i, n):
                        a, b = i, j
                        while a < b and s[a] == s[b]:
                            a += 1
                            b -= 1
                        if a >= b:
                            best = max(best, j - i + 1)
                print(best)
            """, "checks every substring"),
            bug("off_by_one", "failed", """
                s = input().strip()
                n = len(s)
                best = 1
                for center in range(n):
                    lo = hi = center
                    while lo >= 0 and hi < n and s[lo] == s[hi]:
                        lo -= 1
                        hi += 1
                    best = max(best, hi - lo - 1)
                print(best)
            """, "odd-length centres only"),
        ],
    ),
    Problem(
        id="caesar-shift",
        title="Caesar shift",
        statement="""
            The first line holds k (|k| <= 10^9), the second a line of text. Shift every letter k
            places forward in the alphabet (wrapping around, keeping its case); keep other
            characters. Print the result.
        """,
        samples=[(lines(3, "Abc, xyz!"), lines("Def, abc!"))],
        generate=_caesar_cases,
        correct="""
            k = int(input())
            s = input()
            out = []
            for ch in s:
                if ch.islower():
                    out.append(chr((ord(ch) - 97 + k) % 26 + 97))
                elif ch.isupper():
                    out.append(chr((ord(ch) - 65 + k) % 26 + 65))
                else:
                    out.append(ch)
            print("".join(out))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                k = int(input())
                s = input()
                out = []
                for ch in s:
                    if ch.isalpha():
                        out.append(chr((ord(ch.lower()) - 97 + k) % 26 + 97))
                    else:
                        out.append(ch)
                print("".join(out))
            """, "loses upper case"),
            bug("runtime_error", "error", """
                k = int(input())
                s = input()
                alpha = "abcdefghijklmnopqrstuvwxyz"
                out = []
                for ch in s:
                    if ch.islower():
                        out.append(alpha[alpha.index(ch) + k % 26])
                    elif ch.isupper():
                        out.append(alpha[alpha.index(ch.lower()) + k % 26].upper())
                    else:
                        out.append(ch)
                print("".join(out))
            """, "no wrap-around: IndexError past z"),
        ],
    ),
    Problem(
        id="word-frequency",
        title="Word frequencies",
        statement="""
            Read all words (separated by whitespace, over any number of lines). Print each
            distinct word with its count, most frequent first, ties in alphabetical order.
        """,
        samples=[(lines("the cat and the hat"), lines("the 2", "and 1", "cat 1", "hat 1"))],
        generate=_freq_cases,
        correct="""
            import sys
            from collections import Counter
            c = Counter(sys.stdin.read().split())
            for w, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
                print(w, n)
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                from collections import Counter
                c = Counter(sys.stdin.read().split())
                for w, n in c.most_common():
                    print(w, n)
            """, "ties in order of first appearance"),
            bug("missing_output", "failed", """
                from collections import Counter
                c = Counter(input().split())
                for w, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
                    print(w, n)
            """, "reads only the first line"),
        ],
    ),
    Problem(
        id="balanced-brackets",
        title="Balanced brackets",
        statement="""
            For each of the T strings over ()[]{} print YES if its brackets are balanced and
            properly nested, else NO.
        """,
        samples=[(lines(3, "([]{})", "([)]", "(("), lines("YES", "NO", "NO"))],
        generate=_brackets_cases,
        correct="""
            t = int(input())
            pair = {")": "(", "]": "[", "}": "{"}
            for _ in range(t):
                st = []
                good = True
                for ch in input().strip():
                    if ch in "([{":
                        st.append(ch)
                    elif not st or st.pop() != pair[ch]:
                        good = False
                        break
                print("YES" if good and not st else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    ok = all(s.count(a) == s.count(b) for a, b in ("()", "[]", "{}"))
                    print("YES" if ok else "NO")
            """, "counts only"),
            bug("runtime_error", "error", """
                t = int(input())
                pair = {")": "(", "]": "[", "}": "{"}
                for _ in range(t):
                    st = []
                    good = True
                    for ch in input().strip():
                        if ch in "([{":
                            st.append(ch)
                        elif st.pop() != pair[ch]:
                            good = False
                    print("YES" if good and not st else "NO")
            """, "pops an empty stack on a leading closer"),
        ],
    ),
    Problem(
        id="longest-common-prefix",
        title="Longest common prefix",
        statement="""
            n words follow n. Print their longest common prefix, or the single character - if
            it is empty.
        """,
        samples=[(lines(3, "flower", "flow", "flight"), lines("fl")), (lines(2, "dog", "car"), lines("-"))],
        generate=_lcp_cases,
        correct="""
            import os
            n = int(input())
            words = [input().strip() for _ in range(n)]
            p = os.path.commonprefix(words)
            print(p if p else "-")
        """,
        programs=[
            bug("runtime_error", "error", """
                n = int(input())
                words = [input().strip() for _ in range(n)]
                p = words[0]
                for w in words[1:]:
                    while not w.startswith(p):
                        p = p[:-1]
                first, second = words[0], words[1]
                print(p if p else "-")
            """, "assumes at least two words"),
            bug("wrong_format", "failed", """
                n = int(input())
                words = [input().strip() for _ in range(n)]
                p = words[0]
                for w in words[1:]:
                    while not w.startswith(p):
                        p = p[:-1]
                print(p)
            """, "prints an empty line instead of -"),
        ],
    ),
    Problem(
        id="is-subsequence",
        title="Subsequence queries",
        statement="""
            The first line holds a text t, the second q, then q patterns. For each pattern print
            YES if it is a subsequence of t (not necessarily contiguous), else NO.
        """,
        samples=[(lines("abcde", 3, "ace", "aec", "abcde"), lines("YES", "NO", "YES"))],
        generate=_subseq_cases,
        correct="""
            t = input().strip()
            q = int(input())
            for _ in range(q):
                it = iter(t)
                print("YES" if all(ch in it for ch in input().strip()) else "NO")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = input().strip()
                q = int(input())
                for _ in range(q):
                    print("YES" if input().strip() in t else "NO")
            """, "substring, not subsequence"),
            bug("wrong_answer", "failed", """
                t = input().strip()
                q = int(input())
                for _ in range(q):
                    p = input().strip()
                    print("YES" if all(ch in t for ch in p) else "NO")
            """, "ignores order and multiplicity"),
        ],
    ),
    Problem(
        id="overlapping-occurrences",
        title="Count occurrences (overlapping)",
        statement="""
            Given a pattern on the first line and a text on the second, print how many times the
            pattern occurs in the text, overlapping occurrences included.
        """,
        samples=[(lines("aa", "aaaa"), lines(3)), (lines("ab", "xyz"), lines(0))],
        generate=_occurrence_cases,
        correct="""
            p = input().strip()
            t = input().strip()
            s = p + "\\x00" + t
            pi = [0] * len(s)
            for i in range(1, len(s)):
                k = pi[i - 1]
                while k and s[i] != s[k]:
                    k = pi[k - 1]
                if s[i] == s[k]:
                    k += 1
                pi[i] = k
            print(sum(1 for v in pi if v == len(p)))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                p = input().strip()
                t = input().strip()
                print(t.count(p))
            """, "str.count skips overlaps"),
            ok("variant", """
                p = input().strip()
                t = input().strip()
                n, i = 0, t.find(p)
                while i != -1:
                    n += 1
                    i = t.find(p, i + 1)
                print(n)
            """, "repeated find"),
        ],
    ),
    Problem(
        id="title-case",
        title="Capitalise words",
        statement="""
            For every line of input, capitalise the first character of every space-separated word
            and make the rest of the word lower case. Nothing else changes (an apostrophe inside
            a word does not start a new word).
        """,
        samples=[(lines("hello wORLD", "don't panic"), lines("Hello World", "Don't Panic"))],
        generate=_title_cases,
        correct="""
            import sys
            for line in sys.stdin.read().splitlines():
                print(" ".join(w[:1].upper() + w[1:].lower() for w in line.split(" ")))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                for line in sys.stdin.read().splitlines():
                    print(line.title())
            """, "str.title starts a word after an apostrophe"),
            bug("wrong_answer", "failed", """
                import sys
                for line in sys.stdin.read().splitlines():
                    print(" ".join(w.capitalize() if w.islower() else w for w in line.split(" ")))
            """, "leaves words with capitals alone"),
        ],
    ),
    Problem(
        id="first-occurrences",
        title="Remove repeated letters",
        statement="""
            Given a word, keep only the first occurrence of each letter and print the result.
        """,
        samples=[(lines("mississippi"), lines("misp"))],
        generate=_dedupe_cases,
        correct="""
            s = input().strip()
            print("".join(dict.fromkeys(s)))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                s = input().strip()
                print("".join(sorted(set(s))))
            """, "sorted, not in order of first appearance"),
            ok("variant", """
                s = input().strip()
                seen, out = set(), []
                for ch in s:
                    if ch not in seen:
                        seen.add(ch)
                        out.append(ch)
                print(*out, sep="")
            """, "a set of letters seen"),
        ],
    ),
    Problem(
        id="alternating-flips",
        title="Make it alternate",
        statement="""
            For each of the T binary strings print the fewest characters to flip so that no two
            neighbours are equal.
        """,
        samples=[(lines(2, "0000", "0101"), lines(2, 0))],
        generate=_flips_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                s = input().strip()
                a = sum(1 for i, ch in enumerate(s) if ch != "01"[i % 2])
                print(min(a, len(s) - a))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    print(sum(1 for i, ch in enumerate(s) if ch != "01"[i % 2]))
            """, "only the pattern that starts with 0"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    print(sum(1 for i in range(1, len(s)) if s[i] == s[i - 1]))
            """, "counts equal neighbours"),
        ],
    ),
    Problem(
        id="least-rotation",
        title="Least rotation",
        statement="""
            Given a word (length <= 10^5), print its lexicographically smallest rotation.
        """,
        samples=[(lines("bca"), lines("abc")), (lines("abab"), lines("abab"))],
        generate=_rotation_cases,
        correct="""
            def least_rotation(s):
                n = len(s)
                ss = s + s
                i, j, k = 0, 1, 0
                while i < n and j < n and k < n:
                    a, b = ss[i + k], ss[j + k]
                    if a == b:
                        k += 1
                        continue
                    if a > b:
                        i += k + 1
                    else:
                        j += k + 1
                    if i == j:
                        j += 1
                    k = 0
                start = min(i, j)
                return ss[start:start + n]
            print(least_rotation(input().strip()))
        """,
        programs=[
            bug("too_slow", "timeout", """
                s = input().strip()
                n = len(s)
                best = s
                for i in range(n):
                    r = s[i:] + s[:i]
                    k = 0
                    while k < n and r[k] == best[k]:
                        k += 1
                    if k < n and r[k] < best[k]:
                        best = r
                print(best)
            """, "compares every rotation character by character"),
            bug("wrong_answer", "failed", """
                s = input().strip()
                i = s.index(min(s))
                print(s[i:] + s[:i])
            """, "rotates to the first smallest letter"),
        ],
    ),
    Problem(
        id="reverse-words",
        title="Reverse the words",
        statement="""
            The first line holds T, then T lines. For each line print its words (separated by
            any spaces) in reverse order, separated by single spaces.
        """,
        samples=[(lines(2, "one two three", "x"), lines("three two one", "x"))],
        generate=_reverse_words_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                print(" ".join(reversed(input().split())))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    print(input().strip()[::-1])
            """, "reverses the characters"),
            bug("runtime_error", "error", """
                t = int(input())
                for _ in range(t + 1):
                    print(" ".join(reversed(input().split())))
            """, "reads one line too many: EOFError"),
        ],
    ),
    Problem(
        id="prefix-function",
        title="Prefix function",
        statement="""
            Given a word s, print pi(1), ..., pi(n) separated by spaces, where pi(i) is the length
            of the longest proper prefix of s[1..i] that is also its suffix.
        """,
        samples=[(lines("abacaba"), lines("0 0 1 0 1 2 3"))],
        generate=_prefix_function_cases,
        correct="""
            s = input().strip()
            pi = [0] * len(s)
            for i in range(1, len(s)):
                k = pi[i - 1]
                while k and s[i] != s[k]:
                    k = pi[k - 1]
                if s[i] == s[k]:
                    k += 1
                pi[i] = k
            print(*pi)
        """,
        programs=[
            bug("too_slow", "timeout", """
                s = input().strip()
                out = []
                for i in range(1, len(s) + 1):
                    best = 0
                    for k in range(1, i):
                        if s[:k] == s[i - k:i]:
                            best = k
                    out.append(best)
                print(*out)
            """, "tries every length at every position"),
            bug("off_by_one", "failed", """
                s = input().strip()
                out = []
                for i in range(1, len(s) + 1):
                    best = 0
                    for k in range(1, i + 1):
                        if s[:k] == s[i - k:i]:
                            best = k
                    out.append(best)
                print(*out)
            """, "lets the border be the whole prefix"),
        ],
    ),
    Problem(
        id="digital-root-huge",
        title="Digital root of a huge number",
        statement="""
            Each of the T lines holds a non-negative integer of up to 10^5 digits. Print its
            digital root (repeat summing digits until one digit remains).
        """,
        samples=[(lines(2, "0", "9875"), lines(0, 2))],
        generate=_digital_root_cases,
        correct="""
            t = int(input())
            for _ in range(t):
                s = input().strip()
                total = sum(map(int, s))
                print(0 if total == 0 else 1 + (total - 1) % 9)
        """,
        programs=[
            bug("runtime_error", "error", """
                t = int(input())
                for _ in range(t):
                    n = int(input())
                    print(0 if n == 0 else 1 + (n - 1) % 9)
            """, "int() of more than 4300 digits raises ValueError"),
            bug("wrong_answer", "failed", """
                t = int(input())
                for _ in range(t):
                    s = input().strip()
                    print(sum(map(int, s)) % 9)
            """, "prints 0 for multiples of 9"),
        ],
    ),
    Problem(
        id="clock-24h",
        title="12-hour to 24-hour clock",
        statement="""
            Convert each time hh:mm:ssAM or hh:mm:ssPM (12-hour clock) to hh:mm:ss on the 24-hour clock.
        """,
        samples=[(lines(2, "07:05:45PM", "12:40:22AM"), lines("19:05:45", "00:40:22"))],
        generate=_clock_cases,
        correct="""
            q = int(input())
            for _ in range(q):
                s = input().strip()
                h = int(s[:2]) % 12 + (12 if s[-2:] == "PM" else 0)
                print(f"{h:02d}{s[2:8]}")
        """,
        programs=[
            bug("wrong_answer", "failed", """
                q = int(input())
                for _ in range(q):
                    s = input().strip()
                    h = int(s[:2]) + (12 if s[-2:] == "PM" else 0)
                    print(f"{h:02d}{s[2:8]}")
            """, "12 PM becomes 24, 12 AM stays 12"),
            bug("wrong_format", "failed", """
                q = int(input())
                for _ in range(q):
                    s = input().strip()
                    h = int(s[:2]) % 12 + (12 if s[-2:] == "PM" else 0)
                    print(f"{h}{s[2:8]}")
            """, "no leading zero on the hour"),
        ],
    ),
    Problem(
        id="count-vowels",
        title="Vowels per line",
        statement="""
            For every line of input print how many vowels (a, e, i, o, u in either case) it holds.
        """,
        samples=[(lines("Hello World", "sky"), lines(3, 0))],
        generate=_vowel_cases,
        correct="""
            import sys
            for line in sys.stdin.read().split("\\n")[:-1]:
                print(sum(ch in "aeiouAEIOU" for ch in line))
        """,
        programs=[
            bug("wrong_answer", "failed", """
                import sys
                for line in sys.stdin.read().split("\\n")[:-1]:
                    print(sum(ch in "aeiou" for ch in line))
            """, "lower case only"),
            bug("wrong_answer", "failed", """
                import sys
                for line in sys.stdin:
                    print(sum(ch in "aeiouyAEIOUY" for ch in line))
            """, "counts y"),
        ],
    ),
]
