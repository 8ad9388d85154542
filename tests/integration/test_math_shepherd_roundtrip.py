"""Math-Shepherd in and out: records in the dataset's layout are imported (their +/- kept as `human`
verdicts), built with those verdicts first in the merge, and exported as `math-shepherd`; the export
carries the same steps and the same labels, and reads back to the same chains."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.export import export
from steplabel.pipeline.sources import iter_chains

pytestmark = pytest.mark.integration

RECORDS = [  # (problem, steps, Math-Shepherd's labels: Monte-Carlo estimates, so a + may follow a -)
    ("Janet has 16 eggs and eats 3. How many are left?",
     ["Step 1: She has 16 - 3 = <<16-3=13>>13 eggs left.", "Step 2: The answer is: 13"], "++"),
    ("A shirt costs $20 and is 25% off. What is the price now?",
     ["Step 1: 25% of 20 is 20 * 0.25 = <<20*0.25=4>>4.", "Step 2: So it costs 20 + 4 = <<20+4=24>>24.",
      "Step 3: The answer is: 24"], "+--"),
    ("Compute $\\frac{1}{2} + \\frac{1}{3}$.",
     ["Step 1: The common denominator is 6.", "Step 2: So $\\frac{3}{6} + \\frac{2}{6} = \\frac{4}{6}$.",
      "Step 3: That simplifies to $\\frac{5}{6}$.", "Step 4: The answer is: \\frac{5}{6}"], "+-++"),
    ("Ана купила 3 яблока по 2 рубля. Сколько она заплатила?",
     ["Step 1: 3 · 2 = 6 рублей.", "Step 2: The answer is: 6"], "+-"),
]


def _dataset_record(problem: str, steps: list[str], labels: str) -> dict:
    body = "".join(f"{s} ки\n" for s in steps)
    return {"input": f"{problem} {body}", "label": f"{problem} " + "".join(f"{s} {t}\n" for s, t in zip(steps, labels)),
            "task": "GSM8K"}


def _config(path, out) -> BuildConfig:
    return BuildConfig(name="shepherd-roundtrip", input=InputConfig(kind="math_shepherd", path=str(path)),
                       labelers=[LabelerConfig(name="math_steps")],
                       merge=MergeConfig(order=["human", "math_steps"], stop_at_first_error=False),
                       run=RunConfig(out=str(out), shard_size=2))


def test_import_build_export_reproduces_the_input_labels(ray_session, tmp_path):
    source = tmp_path / "shepherd.jsonl"
    source.write_text("".join(json.dumps(_dataset_record(*r), ensure_ascii=False) + "\n" for r in RECORDS))
    result = run_build(_config(source, tmp_path / "out"))
    report = export(result.out, "math-shepherd", tmp_path / "export")
    exported = {r["problem"]: r for r in map(json.loads, (tmp_path / "export" / "math-shepherd.jsonl").open())}
    assert report.written == len(RECORDS) and not report.skipped
    for problem, steps, labels in RECORDS:
        record = exported[problem]
        assert record["label"] == list(labels)
        assert record["input"] == problem + " " + "\n".join(f"{s} ки" for s in steps)
    # and back in: the export is itself an input of the same kind, giving the same chains and labels
    again = list(iter_chains(InputConfig(kind="math_shepherd", path=str(tmp_path / "export" / "math-shepherd.jsonl"))))
    first = list(iter_chains(InputConfig(kind="math_shepherd", path=str(source))))

    def key(rows):
        return sorted((r["problem"], tuple(s["text"] for s in r["steps"]),
                       tuple(v["rating"] for s in r["steps"] for v in s["verdicts"])) for r in rows)
    assert key(again) == key(first) and len(first) == len(RECORDS)
