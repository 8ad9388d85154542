"""`steplabel` command line: build, check, remerge, query, export, eval, report, card."""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from typing import Any, Optional, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(stderr=True, soft_wrap=True)  # messages stay whole lines in logs


def _build(args: argparse.Namespace) -> int:
    from .build import run_build
    from .interrupt import Interrupted, stop_on_signals
    from .preflight import EXIT_CONFIG, EXIT_DONE, EXIT_PARTIAL, EXIT_STOPPED, StartError

    with stop_on_signals():
        config = None
        try:
            config = _config(args)
            if config is None:
                return EXIT_CONFIG
            start = time.perf_counter()
            console.print(f"[bold]steplabel build[/bold] {config.name} → {config.run.out} "
                          f"(config {config.config_hash()})")
            try:
                result = run_build(config, progress=lambda msg: console.print(
                    Text(f"  {time.perf_counter() - start:6.1f}s  {msg}")),
                    on_shard=_json_line if args.progress == "json" else None, allow_empty=args.allow_empty)
            except StartError as exc:
                console.print(Text(str(exc), style="red"))
                return exc.exit_code
            _summary(result)
        except KeyboardInterrupt as exc:  # SIGINT or SIGTERM (Interrupted), wherever it arrived
            signal = exc if isinstance(exc, Interrupted) else Interrupted(2)
            console.print(Text(_interrupted_line(config, signal.name), style="yellow"))
            return signal.exit_code
    status = result.manifest["status"]
    return {"done": EXIT_DONE, "stopped": EXIT_STOPPED}.get(status, EXIT_PARTIAL)


def _interrupted_line(config: Any, name: str) -> str:
    """What an interrupted build finished, and that a re-run resumes it: one line."""
    from .store import read_manifest

    manifest = None
    if config is not None:
        try:
            manifest = read_manifest(config.run.out)
        except (OSError, ValueError):
            manifest = None
    if config is None or manifest is None or not manifest.get("shards_total"):
        return f"interrupted by {name} before any shard was written; nothing to resume"
    done = sum(1 for s in manifest.get("shards", {}).values() if s.get("status") == "done")
    if manifest.get("status") == "done":
        return f"interrupted by {name} after the build finished: {done} of {manifest['shards_total']} shards in {config.run.out}"
    return (f"interrupted by {name}: {done} of {manifest['shards_total']} shards are written and kept in "
            f"{config.run.out}; re-run the same command to resume")


def _remerge(args: argparse.Namespace) -> int:
    """A new merge section over a finished build's verdicts, into a new OUT; no labeler runs."""
    from .config import ConfigError, load_config
    from .preflight import EXIT_CONFIG, StartError
    from .remerge import remerge

    try:
        result = remerge(args.out, load_config(args.config), args.to, workers=args.workers,
                         progress=lambda msg: console.print(Text(f"  {msg}")))
    except ConfigError as exc:
        console.print(Text(str(exc), style="red"))
        return EXIT_CONFIG
    except StartError as exc:
        console.print(Text(str(exc), style="red"))
        return exc.exit_code
    build = result.manifest["build"]
    console.print(f"remerged {result.rows} chains in {result.shards} shards from build "
                  f"{build['remerged_from']['build_id']} into {result.out} (build {build['build_id']}, "
                  f"config {build['config_hash']}) — {result.seconds:.1f}s")
    return 0 if result.manifest["status"] == "done" else 5


def _check(args: argparse.Namespace) -> int:
    """Validate and print the plan; 0 = ready to build, 1 = the build would fail, 2 = invalid config."""
    from .check import plan, render
    from .config import CONFIG_DIR
    from .preflight import EXIT_CONFIG

    config = _config(args)
    if config is None:
        return EXIT_CONFIG
    result = plan(config, args.config or str(CONFIG_DIR / "sample.yaml"), probe=not args.no_probe,
                  deadline=args.deadline)
    print(json.dumps(result.as_dict(), indent=1, default=str) if args.json else render(result))
    return 1 if result.problems else 0


def _json_line(event: dict[str, Any]) -> None:
    """One progress object per line on stdout (the human lines go to stderr), flushed for schedulers."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _summary(result: Any) -> None:
    from .cascade import IS_SKIP
    from .store import connect

    con = connect(result.out)
    table = Table(title=f"build {result.manifest['build']['build_id']} — {result.out}")
    for col in ("labeler", "+1", "0", "-1", "abstain", "skipped"):
        table.add_column(col, justify="right" if col != "labeler" else "left")
    rows = con.execute(f"""
        SELECT labeler, count(*) FILTER (rating = 1), count(*) FILTER (rating = 0), count(*) FILTER (rating = -1),
               count(*) FILTER (rating IS NULL AND NOT {IS_SKIP}), count(*) FILTER ({IS_SKIP})
        FROM verdicts GROUP BY 1 ORDER BY 1""").fetchall()
    rows += con.execute("""
        SELECT 'merged', count(*) FILTER (rating = 1), count(*) FILTER (rating = 0), count(*) FILTER (rating = -1),
               count(*) FILTER (rating IS NULL), 0 FROM steps""").fetchall()
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)
    counts = result.counts
    console.print(
        f"chains: {counts.get('rows', 0)} ({counts.get('labeled', 0)} labeled, {counts.get('filtered', 0)} filtered, "
        f"{counts.get('quarantined', 0)} quarantined) in {result.shards_total} shards "
        f"({result.shards_written} written now, {result.shards_skipped} resumed) — {result.seconds:.1f}s"
    )
    for change in result.manifest.get("inputs_changed") or []:
        console.print(Text(f"input changed while the build ran: {change['file']} ({change['change']}); what was not "
                           "planned is built by the next run", style="yellow"))
    if result.stopped:
        console.print(Text(f"stopped early: {result.stopped} — re-run the same command to resume", style="yellow"))
    elif result.manifest["status"] == "partial":
        missing = result.manifest.get("unaccounted") or ["some shards were not written"]
        console.print(Text(f"partial build: {'; '.join(missing)} — re-run the same command to finish", style="yellow"))
    console.print(f"dataset card: {result.out}/README.md")


def _query(args: argparse.Namespace) -> int:
    from .store import connect

    con = connect(args.out)
    cursor = con.execute(args.sql)
    header = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    write_rows(header, rows, args.format, sys.stdout)
    return 0


def write_rows(header: list[str], rows: list[tuple], fmt: str, stream: Any) -> None:
    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    elif fmt == "json":
        for row in rows:
            stream.write(json.dumps(dict(zip(header, row)), default=str, ensure_ascii=False) + "\n")
    else:
        table = Table(show_lines=False)
        for col in header:
            table.add_column(col)
        for row in rows:
            table.add_row(*(Text("NULL" if v is None else str(v)) for v in row))
        Console(file=stream, width=200).print(table)


def _export(args: argparse.Namespace) -> int:
    from .export import ExportOptions, export

    if args.format == "tokens":
        return _export_tokens(args)
    try:
        options = ExportOptions(neutral=args.neutral, placeholder=args.placeholder,
                                positive_token=args.reward_tokens[0], negative_token=args.reward_tokens[1])
        report = export(args.out, args.format, args.to, options)
    except ValueError as exc:
        console.print(Text(str(exc), style="red"))
        return 2
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items())) or "none"
    console.print(f"{args.format}: {report.written} of {report.read} chains written to {report.path} "
                  f"(neutral steps: {options.neutral}); skipped: {skipped}")
    return 0


def _export_tokens(args: argparse.Namespace) -> int:
    """The tokenized export: Ray tasks over the build's shards (see export_tokens.py)."""
    from .export_tokens import TokenOptions, export_tokens
    from .tokens import TokenizerError

    if not args.tokenizer:
        console.print(Text("--format tokens needs --tokenizer NAME_OR_PATH (a local folder or a Hub id)", style="red"))
        return 2
    try:
        options = TokenOptions(tokenizer=args.tokenizer, separator=args.separator, max_length=args.max_length,
                               neutral=args.neutral, soft=args.soft)
        report = export_tokens(args.out, options, args.to, address=args.address,
                               progress=lambda msg: console.print(Text(f"  {msg}")))
    except (TokenizerError, ValueError) as exc:
        console.print(Text(str(exc), style="red"))
        return 2
    c = report.counts
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(c["skipped"].items())) or "none"
    console.print(f"tokens: {c['written']} of {c['chains_read']} chains written to {report.path} "
                  f"({c['steps_labeled']} labeled steps, {c['tokens']} tokens; {c['truncated']} chains cut at "
                  f"max_length {args.max_length}, {c['steps_cut']} steps lost) in {report.seconds:.1f}s; "
                  f"skipped: {skipped}")
    return 0


def _score(args: argparse.Namespace) -> int:
    """A trained PRM's step scores as a labeler's verdicts (see score.py)."""
    from .score import ScoreError, ScoreOptions, score

    try:
        options = ScoreOptions(threshold=args.threshold, batch_size=args.batch_size, name=args.name,
                               separator=args.separator, max_length=args.max_length, device=args.device,
                               kind=args.kind, shard_size=args.shard_size)
        result = score(args.model, args.input, args.out, options, progress=lambda msg: console.print(Text(f"  {msg}")))
    except ScoreError as exc:
        console.print(Text(str(exc), style="red"))
        return 2
    s = result.manifest["scored"]
    console.print(f"scored {result.chains} chains ({result.steps} steps) with {s['model']} as labeler "
                  f"{s['labeler']} (version {s['version']}, threshold {args.threshold}, {s['device']}) into "
                  f"{result.out} in {result.seconds:.1f}s; `steplabel eval processbench {result.out}` scores it")
    return 0


def _fmt(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v


def _eval(args: argparse.Namespace) -> int:
    from .evaluate import agreement_report, processbench_report

    if args.what == "processbench":
        report = processbench_report(args.out)
        header = ["subset", "labeler", "chains", "erroneous", "pb_f1", "pb_acc_erroneous", "pb_acc_error_free",
                  "first_flag_precision", "first_flag_recall", "determined", "coverage", "f1", "acc_erroneous",
                  "acc_error_free", "precision_strict", "precision_lenient", "flags", "flags_after_first_error",
                  "exact_first_errors"]
        rows = [tuple(_fmt(r[k]) for k in header) for r in report]
    else:
        pairs = agreement_report(args.out)
        header = ["a", "b", "n", "agreement", "kappa", "confusion (rows a: -1/0/+1, cols b: -1/0/+1)"]
        rows = [(a, b, e["n"], _fmt(e["agreement"]), _fmt(e["kappa"]),
                 " | ".join(" ".join(str(e["matrix"][x][y]) for y in (-1, 0, 1)) for x in (-1, 0, 1)))
                for (a, b), e in sorted(pairs.items())]
    write_rows(header, rows, args.format, sys.stdout)
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    console.print(f"report written: {write_report(args.out, args.to, args.cap)}")
    return 0


def _card(args: argparse.Namespace) -> int:
    from .card import write_card

    console.print(f"card written: {write_card(args.out)}")
    return 0


def _config(args: argparse.Namespace) -> Any:
    """The BuildConfig `build` and `check` run on: the file, then the flags; None (reason printed) if invalid."""
    from .config import ConfigError, load_config

    try:
        return load_config(args.config, input=args.input, out=args.out, limit=args.limit, address=args.address,
                           shard_size=args.shard_size)
    except ConfigError as exc:
        console.print(Text(str(exc), style="red"))
        return None


def _config_args(p: argparse.ArgumentParser) -> None:
    """The config and the flags that override it: `build` and `check` read a config the same way."""
    p.add_argument("config", nargs="?", help="build config YAML (default: the bundled sample config)")
    p.add_argument("--input", help="input path or hub dataset, overriding the config's")
    p.add_argument("--out", help="build directory, overriding the config's")
    p.add_argument("--limit", type=int, help="use only the first N input records")
    p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or a local Ray)")
    p.add_argument("--shard-size", type=int, dest="shard_size", help="chains per shard")


def _token_args(e: argparse.ArgumentParser) -> None:
    """The tokens format's options (new with it; the other formats ignore them)."""
    from .tokens import DEFAULT_MAX_LENGTH

    t = e.add_argument_group("tokens (input_ids and labels for token-classification PRM training)")
    t.add_argument("--tokenizer", help="tokens: a local tokenizer folder or a Hub id")
    t.add_argument("--separator", default="\n", help="tokens: the text after every step whose last token carries "
                                                     "its label (default: a newline, as TRL's PRM trainer)")
    t.add_argument("--max-length", type=int, default=DEFAULT_MAX_LENGTH, dest="max_length",
                   help=f"tokens: cut every chain at this many tokens (default {DEFAULT_MAX_LENGTH}); steps beyond "
                        "it lose their label, counted in export.json")
    t.add_argument("--soft", action="store_true", help="tokens: the label is the step's score (e.g. a Monte-Carlo "
                                                      "value) instead of 1/0; a step without one keeps its 1/0")
    t.add_argument("--address", help="tokens: Ray cluster address (default: RAY_ADDRESS or a local Ray)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="steplabel", description="Automatic step labels for PRM training data.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build (or resume) a labeled dataset",
                       epilog="exit codes: 0 done, 2 config or arguments, 3 stopped by a budget (re-run to resume), "
                              "4 input, 5 partial (re-run to finish), 6 another build holds OUT (try again later), "
                              "130/143 interrupted by SIGINT/SIGTERM (re-run to resume)")
    _config_args(b)
    b.add_argument("--progress", choices=("human", "json"), default="human",
                   help="json: also print one JSON object per written shard on stdout (chains, rows/s, "
                        "LLM requests and tokens so far, ETA)")
    b.add_argument("--allow-empty", action="store_true", dest="allow_empty",
                   help="build an empty dataset from an input with no records (otherwise an error)")
    b.set_defaults(func=_build)

    k = sub.add_parser("check", help="validate a config and print the build's plan; non-zero exit on any problem")
    _config_args(k)
    k.add_argument("--no-probe", action="store_true", dest="no_probe",
                   help="contact no endpoint and start no sandbox")
    k.add_argument("--deadline", type=float, default=3.0, help="seconds for each endpoint's models answer")
    k.add_argument("--json", action="store_true", help="the plan as JSON on stdout")
    k.set_defaults(func=_check)

    m = sub.add_parser("remerge", help="apply a new merge section to a finished build's verdicts (no labeler runs)",
                       epilog="exit codes: 0 done, 2 the config differs in more than merge (or bad arguments), "
                              "5 partial, 6 another build holds OUT or --out")
    m.add_argument("out", help="the finished build to read")
    m.add_argument("--config", required=True, help="the build's config with a new merge section")
    m.add_argument("--out", dest="to", required=True, help="the new build directory")
    m.add_argument("--workers", type=int, help="processes re-merging shards (default: one per CPU)")
    m.set_defaults(func=_remerge)

    q = sub.add_parser("query", help="run SQL over a build (views: chains, steps, verdicts, quarantine)")
    q.add_argument("out")
    q.add_argument("sql")
    q.add_argument("--format", choices=("table", "csv", "json"), default="table")
    q.set_defaults(func=_query)

    from .exporters import EXPORTERS
    from .exporters.base import NEUTRAL_CHOICES

    e = sub.add_parser("export", help="export a build for PRM trainers",
                       epilog="formats: " + "; ".join(f"{n}: {f.feeds}" for n, f in EXPORTERS.items()))
    e.add_argument("out")
    e.add_argument("--format", choices=(*EXPORTERS, "tokens"), required=True)
    e.add_argument("--to", help="output folder (its files and export.json); default OUT/exports/<name>-<build id>/FORMAT/")
    e.add_argument("--neutral", choices=NEUTRAL_CHOICES, default="correct",
                   help="a neutral (0) step counts as correct (default), as incorrect, or ends the exported steps (cut)")
    e.add_argument("--placeholder", default="ки", help="math-shepherd: the tag after every step")
    e.add_argument("--reward-tokens", nargs=2, default=("+", "-"), metavar=("POS", "NEG"), dest="reward_tokens",
                   help="math-shepherd and chat-steps: the tokens for a correct and an incorrect step")
    _token_args(e)
    e.set_defaults(func=_export)

    from .score import KINDS

    s = sub.add_parser("score", help="a trained PRM's step scores, written as a labeler's verdicts (then `eval`)",
                       epilog="exit codes: 0 done, 2 model, input or arguments")
    s.add_argument("model", help="a token-classification PRM (a folder, e.g. from examples/train_prm.py, or a Hub id)")
    s.add_argument("--input", required=True, help="a steplabel build, Parquet of its chains, ProcessBench JSON, "
                                                  "PRM800K JSONL or our JSONL")
    s.add_argument("--out", required=True, help="the folder (or s3:// prefix) the scored chains are written to")
    s.add_argument("--kind", choices=KINDS, default="auto", help="what --input holds (default: found out)")
    s.add_argument("--threshold", type=float, default=0.5, help="P(correct) from which a step is rated +1, "
                                                                "below it -1 (default 0.5)")
    s.add_argument("--name", help="the labeler's name (default: the model's folder name or Hub id)")
    s.add_argument("--batch-size", type=int, default=8, dest="batch_size", help="chains per forward pass")
    s.add_argument("--separator", help="the step separator (default: the one the model was trained with, "
                                       "from MODEL/steplabel.json, else a newline)")
    s.add_argument("--max-length", type=int, dest="max_length", help="tokens the model sees (default: as trained)")
    s.add_argument("--device", help="torch device (default: cuda when torch finds one, else cpu)")
    s.add_argument("--shard-size", type=int, default=1000, dest="shard_size",
                   help="chains per written shard when the input is not a build")
    s.set_defaults(func=_score)

    v = sub.add_parser("eval", help="score labels against human labels, or labelers against each other")
    v.add_argument("what", choices=("processbench", "agreement"))
    v.add_argument("out")
    v.add_argument("--format", choices=("table", "csv", "json"), default="table")
    v.set_defaults(func=_eval)

    r = sub.add_parser("report", help="one self-contained HTML file to audit the build (pictures, tables, chains)")
    r.add_argument("out")
    r.add_argument("--to", help="the HTML file to write (default OUT/report.html)")
    r.add_argument("--cap", type=int, default=50, help="chains sampled per subset (default 50)")
    r.set_defaults(func=_report)

    c = sub.add_parser("card", help="re-render OUT/README.md from the data on disk")
    c.add_argument("out")
    c.set_defaults(func=_card)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as exc:
        console.print(Text(str(exc), style="red"))
        return 2
    except Exception as exc:  # duckdb errors in `query` are user errors: show them plainly
        if type(exc).__module__.startswith("duckdb") or type(exc).__module__.startswith("_duckdb"):
            console.print(Text(f"query failed: {exc}", style="red"))
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
