"""Rollout efficiency: binary search vs exhaustive rollouts on the bundled sample's math chains,
served by the loopback test server's scripted policy (MC values monotone by construction).

    python tests/benchmarks/bench_rollout.py [--k 8]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.labelers import Context  # noqa: E402
from steplabel.pipeline.labelers.rollout import RolloutLabeler  # noqa: E402
from steplabel.pipeline.schema import new_chain  # noqa: E402
from steplabel.pipeline.segment import SegmentStage, make_steps  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402
from tests.support.scripts import endpoint, rollout_policy, sample_chains  # noqa: E402


def first_error(labeling, n: int) -> int:
    ratings = [labeling.verdicts[i]["rating"] for i in range(n)]
    return ratings.index(-1) if -1 in ratings else -1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=8)
    args = parser.parse_args()
    chains = sample_chains()
    rows = SegmentStage()([new_chain(chain_id=str(i), problem_id=c["problem_id"], problem=c["problem"],
                                     reference={"answer": c["answer"]}, text=c["text"],
                                     steps=make_steps(c["steps"])) for i, c in enumerate(chains)])
    figures = {}
    with OpenAIServer(script={"policy": rollout_policy(chains)}) as srv, tempfile.TemporaryDirectory() as tmp:
        found = {}
        for mode in ("exhaustive", "binary"):
            labeler = RolloutLabeler(endpoint=endpoint(srv.base_url, "policy", api="completions"), k=args.k,
                                     mode=mode, context=Context(cache_dir=f"{tmp}/{mode}"))
            per_chain, start = [], time.perf_counter()
            for row, c in zip(rows, chains):
                before = labeler.rollouts
                labeling = labeler.label(row)
                per_chain.append((len(c["steps"]), labeler.rollouts - before, first_error(labeling, len(c["steps"]))))
            found[mode] = per_chain
            figures[f"{mode}_seconds"] = round(time.perf_counter() - start, 2)
            # from the question alone, before any prefix of a chain whose own answer is not right
            # (one request per problem; later chains of the problem read it from the cache)
            figures[f"{mode}_problem_rollouts"] = labeler.problem_rollouts
        truth = [c["first_error"] for c in chains]
        for label, keep in (("all", lambda n, c: True), ("steps>=8", lambda n, c: n >= 8),
                            ("steps>=8_erroneous", lambda n, c: n >= 8 and c["first_error"] >= 0)):
            idx = [i for i, c in enumerate(chains) if keep(len(c["steps"]), c)]
            ex = sum(found["exhaustive"][i][1] for i in idx)
            bi = sum(found["binary"][i][1] for i in idx)
            figures[label] = {
                "chains": len(idx), "rollouts_exhaustive": ex, "rollouts_binary": bi,
                "binary_over_exhaustive": round(bi / ex, 3) if ex else None,
                "same_first_error": sum(found["binary"][i][2] == found["exhaustive"][i][2] for i in idx),
                "first_error_matches_annotation": sum(found["binary"][i][2] == truth[i] for i in idx),
            }
    print(json.dumps({"k": args.k, **figures}, indent=2))


if __name__ == "__main__":
    main()
