"""The dataset card: OUT/README.md in the Hugging Face format, rendered from data_cards/template.md,
with its pictures (`pictures.py`) as PNG files in OUT/card/ linked by relative path.

All figures come from DuckDB queries over the written build, so the card describes what is on
disk, not what the build thought it wrote.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Optional

from .evaluate import agreement_report
from .llm.budget import ledger_usage, read_ledger
from .atomic import write_atomic
from .cascade import IS_SKIP
from .pictures import PICTURES, draw_pictures
from .place import LocalPlace, place
from .store import cache_dir, connect, read_manifest

TEMPLATE = Path(__file__).resolve().parent.parent / "data_cards" / "template.md"


def _table(header: list[str], rows: list[tuple]) -> str:
    def cell(v: Any) -> str:
        return "null" if v is None else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) if rows else "(none)"


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def card_figures(out: Path) -> dict[str, Any]:
    con = connect(out)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    manifest = read_manifest(out) or {}
    ledger = read_ledger(cache_dir(out)) if cache_dir(out).exists() else {}
    n_chains, n_problems = q("SELECT count(*), count(DISTINCT problem_id) FROM chains")[0]
    n_steps = q("SELECT count(*) FROM steps")[0][0]
    n_quarantined = q("SELECT count(*) FROM quarantine")[0][0]
    statuses = q("SELECT status, count(*) FROM chains GROUP BY 1 ORDER BY 1")
    outcome = q("SELECT outcome.correct, count(*) FROM chains GROUP BY 1 ORDER BY 1")
    counts = [("problems", n_problems), ("chains", n_chains), ("steps", n_steps), ("quarantined chains", n_quarantined)]
    counts += [(f"chains {s}", c) for s, c in statuses]
    counts += [(f"outcome correct = {'null' if v is None else str(v).lower()}", c) for v, c in outcome]
    # rollouts abstain on every step of a problem their policy never solved from the question alone
    never_solved = q("""SELECT count(DISTINCT c.problem_id) FROM verdicts v JOIN chains c USING (chain_id)
                        WHERE v.labeler = 'rollout' AND v.evidence LIKE '%"policy_never_solved": true%'""")[0][0]
    if never_solved:
        counts.append(("problems the rollout policy never solved (their steps abstain)", never_solved))
    own_rollout = q("SELECT count(*) FROM steps WHERE decided_by = 'own_rollout'")[0][0]
    if own_rollout:
        counts.append(("steps rated +1 as their outcome-correct chain's own rollout (`own_rollout`)", own_rollout))
    ratings = q(f"""
        SELECT labeler, count(*) FILTER (rating = 1), count(*) FILTER (rating = 0), count(*) FILTER (rating = -1),
               count(*) FILTER (rating IS NULL AND NOT {IS_SKIP}), count(*) FILTER ({IS_SKIP})
        FROM verdicts GROUP BY 1
        UNION ALL
        SELECT '**merged**', count(*) FILTER (rating = 1), count(*) FILTER (rating = 0), count(*) FILTER (rating = -1),
               count(*) FILTER (rating IS NULL), 0
        FROM steps ORDER BY 1""")
    first_error = q("SELECT first_error, count(*), count(first_flag) FROM chains GROUP BY 1 ORDER BY 1 NULLS LAST")
    datasets = q("SELECT DISTINCT source.dataset FROM chains ORDER BY 1")
    segmenters = q("SELECT segmenter, count(*) FROM chains GROUP BY 1 ORDER BY 1")
    tokens = q("SELECT coalesce(sum(tokens), 0) FROM verdicts")[0][0]
    pairs = agreement_report(out)
    agreement = [(a, b, e["n"], f"{e['agreement']:.3f}", "null" if e["kappa"] is None else f"{e['kappa']:.3f}")
                 for (a, b), e in sorted(pairs.items())]
    n_filtered = q("SELECT count(*) FROM chains WHERE status = 'filtered'")[0][0]
    filtered = q("SELECT status_reason, count(*) FROM chains WHERE status = 'filtered' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5")
    return {
        "n_chains": n_chains,
        "counts_table": "\n".join(f"| {k} | {v} |" for k, v in counts),
        "ratings_table": _table(["labeler", "+1", "0", "-1", "null", "skipped (cascade)"], ratings),
        "first_error_table": _table(["first_error", "chains", "of which with a -1 step (first_flag)"], first_error),
        "datasets": ", ".join(f"`{d}`" for (d,) in datasets) or "(none)",
        "segmenters": ", ".join(f"`{s or 'unsplit'}` ({c})" for s, c in segmenters) or "(none)",
        "tokens": tokens,
        "llm_usage": llm_usage_table(manifest, ledger),
        "sampling": sampling_section(manifest),
        "cascade_section": cascade_section(manifest, cascade_savings(out, ledger))
        if ((manifest.get("config") or {}).get("merge") or {}).get("cascade") else "",
        "agreement_table": _table(["labeler a", "labeler b", "steps both rated", "agreement", "Cohen's kappa"], agreement),
        "filtered_note": (f"{n_filtered} chains were filtered by the merge policy and kept for audit "
                          "(`status = 'filtered'`); most common reasons:\n\n"
                          + "\n".join(f"- {r} ({c})" for r, c in filtered)) if filtered else
                         "No chain was filtered by the merge policy.",
    }




def cascade_savings(out: str | Path, ledger: Optional[dict[str, Any]] = None) -> dict[str, dict[str, Any]]:
    """Per cascaded labeler, from the rows on disk: chains it was asked about and chains it skipped,
    steps skipped, samples not asked for (`samples_at_most` when some of it is a bound: what rollouts
    ask depends on their answers), and the tokens those would have cost at this build's tokens per
    sample (an estimate)."""
    con = connect(out)
    rows = con.execute(f"""
        WITH per_chain AS (
            SELECT labeler, chain_id, count(*) FILTER ({IS_SKIP}) AS skipped, count(*) AS steps,
                   sum(CASE WHEN {IS_SKIP} THEN CAST(json_extract(evidence, '$.samples_not_asked') AS BIGINT) END)
                       AS samples,
                   bool_or(CASE WHEN {IS_SKIP} THEN coalesce(CAST(json_extract(evidence, '$.at_most') AS BOOLEAN),
                                                             false) END) AS at_most
            FROM verdicts GROUP BY 1, 2)
        SELECT labeler, count(*) FILTER (skipped < steps), count(*) FILTER (skipped = steps), sum(skipped),
               coalesce(sum(samples), 0), coalesce(bool_or(at_most), false)
        FROM per_chain GROUP BY 1 HAVING sum(skipped) > 0 ORDER BY 1""").fetchall()
    used = ledger_usage(ledger or {})
    found: dict[str, dict[str, Any]] = {}
    for labeler, asked, skipped_chains, steps, samples, at_most in rows:
        role = used.get(labeler, {})
        per_sample = role["tokens"] / role["samples"] if role.get("samples") else None
        found[labeler] = {"chains_asked": asked, "chains_skipped": skipped_chains, "steps_skipped": int(steps),
                         "samples_not_asked": int(samples), "samples_at_most": bool(at_most),
                         "tokens_not_spent_estimate": None if per_sample is None else round(samples * per_sample)}
    return found


def cascade_section(manifest: dict[str, Any], savings: dict[str, dict[str, Any]]) -> str:
    merge = (manifest.get("config") or {}).get("merge") or {}
    if not merge.get("cascade"):
        return ""
    rows = [(name, e["chains_asked"], e["chains_skipped"], e["steps_skipped"],
             ("≤ " if e["samples_at_most"] else "") + str(e["samples_not_asked"]),
             "unknown" if e["tokens_not_spent_estimate"] is None else f"≈ {e['tokens_not_spent_estimate']}")
            for name, e in sorted(savings.items())]
    return ("## Cascade\n\n`merge.cascade`: each LLM labeler was asked only about the steps that no labeler before it in "
            "the order decided (and, with stop at first error, none after a step one of them rated -1). The merged "
            "ratings are those of asking every labeler about every step; a skipped step carries a verdict with rating "
            "null and evidence `{\"cascade\": \"skipped\", \"why\": ...}` naming who decided it. Samples not asked "
            "for are exact where a labeler's requests follow from the chain (the judge), a bound (≤) where they "
            "depend on answers never asked for (rollouts: k per prefix or per probe of a search, and k from the "
            "question alone, which a problem pays once); tokens are estimated at this build's tokens per sample "
            "of that labeler. Agreement counts only the verdicts given.\n\n"
            + (_table(["labeler", "chains asked", "chains skipped", "steps skipped", "samples not asked",
                       "tokens not spent"], rows) if rows else "No step was skipped.") + "\n")


def sampling_section(manifest: dict[str, Any]) -> str:
    """Per endpoint the build sampled from: seeded or not, and what the run's probe found."""
    probed = (manifest.get("sampling") or {}).get("endpoints") or []
    if not probed:
        return "No model was sampled for this build."
    yes = {True: "yes", False: "**no**", None: "unknown"}
    rows = [(p["role"], f"`{p['model']}` at {p['endpoint']}", p["temperature"],
             "no" if p["seed"] is None else f"yes ({p['seed']})",
             ", ".join(f"`{k}: {json.dumps(v)}`" for k, v in sorted(p["extra_body"].items())) or "none",
             yes[p["reproducible"]], p["how"]) for p in probed]
    return _table(["role", "model", "temperature", "seeded", "extra body", "reproducible", "how we know"], rows)


USAGE_COLUMNS = (("answered", "requests answered"), ("failed", "requests failed"),
                 ("failed_attempts", "attempts of the failed"), ("retried_attempts", "retried attempts"),
                 ("cache_hits", "cache hits (samples)"), ("prompt_tokens", "prompt tokens"),
                 ("completion_tokens", "completion tokens"))


def llm_usage_table(manifest: dict[str, Any], ledger: dict[str, Any]) -> str:
    """Per role, this run's and every run's LLM counts, each once: answered requests (what an
    endpoint was paid for), failed ones with their attempts, retries, cache hits and tokens."""
    runs = dict(manifest.get("llm") or {})
    runs["all_runs"] = ledger_usage(ledger) if ledger else runs.get("all_runs", {})
    rows = []
    for role in sorted({r for figures in runs.values() for r in figures}, key=lambda r: (r == "total", r)):
        for run, label in (("this_run", "this run"), ("all_runs", "all runs")):
            counts = runs.get(run, {}).get(role)
            if counts is not None:
                rows.append((f"**{role}**" if role == "total" else role, label,
                             *(counts.get(k, 0) for k, _ in USAGE_COLUMNS)))
    if not any(row[2] or row[3] or row[6] for row in rows):
        return "No LLM request was made (or read from the request cache) for this build."
    return _table(["role", "run", *(name for _, name in USAGE_COLUMNS)], rows)


def _inputs_table(manifest: dict[str, Any]) -> str:
    """Per input file: records read, chains made, and where the chains went."""
    root = Path(manifest["config"]["input"].get("path") or "")
    rows = []
    for file, e in sorted((manifest.get("inputs") or {}).items()):
        path = Path(file)
        shown = path.relative_to(root) if root.is_dir() and path.is_relative_to(root) else path.name
        rows.append((f"{shown}", e.get("records", 0), e.get("chains", 0), e.get("labeled", 0), e.get("filtered", 0),
                     e.get("quarantined", 0), e.get("blank_lines", 0)))
    return _table(["file", "records", "chains", "labeled", "filtered", "quarantined", "blank lines skipped"], rows)


def _picture(pictures: dict[str, str], stem: str) -> str:
    return f"![{PICTURES[stem]}]({pictures[stem]})" if stem in pictures else ""


def render_card(out: str | Path, pictures: Optional[dict[str, str]] = None) -> str:
    """The card's text; `pictures` (stem → path relative to OUT, from `draw_pictures`) are linked."""
    pictures = pictures or {}
    manifest = read_manifest(out)
    if manifest is None:
        raise FileNotFoundError(f"{out} is not a steplabel build")
    build, config = manifest["build"], manifest["config"]
    figures = card_figures(out)
    return TEMPLATE.read_text().format(
        license=config["run"]["license"],
        name=manifest["name"],
        size_category=_size_category(figures.pop("n_chains")),
        steplabel_version=build["steplabel_version"],
        build_id=build["build_id"],
        created_at=build["created_at"],
        config_hash=build["config_hash"],
        inputs_table=_inputs_table(manifest),
        labelers=", ".join(f"`{l['name']}` {l['version']}" for l in build["labelers"]),
        merge_policy=config["merge"]["policy"],
        merge_order=" → ".join(config["merge"]["order"]),
        stop_at_first_error=config["merge"]["stop_at_first_error"],
        own_rollout=(" Steps of an outcome-correct chain that no labeler rated are +1 (`decided_by = own_rollout`: "
                     "Math-Shepherd's hard estimate with the chain as its own rollout)."
                     if config["merge"].get("own_rollout") else ""),
        merge_agree=(" A chain is kept only when " + " and ".join(f"`{n}`" for n in config["merge"]["agree"])
                     + " put its first error at the same step; the others are kept with status `filtered`."
                     if config["merge"]["policy"] == "consensus" else ""),
        **{f"picture_{stem}": _picture(pictures, stem) for stem in PICTURES},
        **figures,
    )


def write_card(out: str | Path) -> Path | str:
    """README.md and its pictures in OUT; on S3 the pictures are drawn here and put beside it."""
    where = place(out)
    if isinstance(where, LocalPlace):
        path = where.root / "README.md"
        write_atomic(path, render_card(out, draw_pictures(out)))
        return path
    with tempfile.TemporaryDirectory(prefix="steplabel-card-") as tmp:
        pictures = draw_pictures(out, into=Path(tmp))
        for rel in pictures.values():
            where.write(rel, (Path(tmp) / Path(rel).name).read_bytes())
    where.write("README.md", render_card(out, pictures))
    return f"{where}/README.md"
