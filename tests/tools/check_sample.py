"""Print, per chain and step, what the sample test's arithmetic checker finds; flag label problems.

    python tests/tools/check_sample.py            # problems only, then a summary
    python tests/tools/check_sample.py -v         # every step with its equations
    python tests/tools/check_sample.py math-007   # one problem, verbose

Uses the checker and the answer normalization of tests/unit/test_sample_data.py, so what this
prints is what the test decides.
"""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("test_sample_data", HERE.parent / "unit" / "test_sample_data.py")
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    only = [a for a in argv if not a.startswith("-")]
    problems = 0
    kinds: Counter = Counter()
    n_chains = 0
    for row in t.ROWS:
        if only and row["problem_id"] not in only:
            continue
        ref = row["reference"]["answer"]
        for ci, chain in enumerate(row["chains"]):
            n_chains += 1
            kinds[chain["kind"]] += 1
            steps = t.split_steps(chain["text"])
            fe, kind = chain["first_error"], chain["kind"]
            final = t.extract_answer(steps[-1])
            issues = []
            if not 3 <= len(steps) <= 8:
                issues.append(f"{len(steps)} steps")
            same = t.normalize_answer(final) == t.normalize_answer(ref)
            if (kind == "correct") != same:
                issues.append(f"final {final!r} vs reference {ref!r}")
            for i, step in enumerate(steps):
                bad = t.false_equations(step)
                if bad and (fe == -1 or i < fe or kind in ("reasoning", "wrong_final")):
                    issues.append(f"step {i}: false {[(e['lhs'], e['rhs']) for e in bad]}")
            if kind == "slip" and 0 <= fe < len(steps) and not t.false_equations(steps[fe]):
                issues.append(f"slip without a false equation at step {fe}")
            if kind == "wrong_final" and fe != len(steps) - 1:
                issues.append("wrong_final not at the last step")
            if issues:
                problems += 1
            if issues or verbose or only:
                print(f"{row['problem_id']}#{ci} {kind} fe={fe} steps={len(steps)} final={final!r} ref={ref!r}")
                for msg in issues:
                    print(f"   !! {msg}")
                if verbose or only:
                    for i, step in enumerate(steps):
                        eqs = ", ".join(f"{e['lhs']}={e['rhs']}{'' if e['ok'] else ' FALSE'}" for e in t.equations(step))
                        print(f"   [{i}] {step[:70]!r}  -> {eqs}")
    print(f"{len(t.ROWS)} problems, {n_chains} chains, kinds {dict(kinds)}, chains with issues: {problems}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
