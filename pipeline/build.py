"""The Ray build: source → (generate) → segment → labelers → merge → shard files.

The driver reads only the input's chain keys (streaming.py); finished shards whose chains are all
still in the input are reused, the other chains are cut into new shards (workunits.py), and a Ray
Data stage imports them again and streams them through the stages (`map_batches`; labelers in actor pools). The last stage writes its rows as part files and
sends the driver a small record per part; a finished shard is joined into its file by a Ray task
and only then entered in the manifest by the driver (shardwriter.py): no chain comes back.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .card import cascade_savings, write_card
from .cascade import Cascade, stage_order
from .config import BuildConfig
from .labelers import Context, labeler_class, stage_groups
from .labelers.watchdog import WALL_FACTOR, class_path, load_class
from .interrupt import keep_handlers
from .lease import Lease
from .llm.budget import Ledger, read_ledger
from .llm.cache import ObjectCache, is_uri
from .llm.reproducible import samplers, sampling_report
from .merge import MergeStage
from .progress import ShardProgress, ledger_now, llm_figures
from .preflight import InputError, StartError, check_nodes, check_out, remove_stale_temps
from .schema import rows_to_table
from .segment import SegmentStage
from .sources import Intake, SourceError, input_files
from .streaming import import_stream, read_keys
from ..verifiers.workers import CLOCK_ENV
from .stages import STOPPED, LabelStage, StopBuild, guarded, label_stage, quarantine
from .shardwriter import commit_shard, remove_parts, write_parts
from .place import is_store_error, place
from .store import MANIFEST, account, cache_dir as build_cache_dir, query_memory, read_manifest, remove_unlisted, shard_name, write_manifest
from .workunits import labeler_versions, plan_shards, shard_files


class BuildError(StartError):
    """The build cannot start or continue (e.g. OUT holds a build of another config)."""


@dataclass
class BuildResult:
    out: Path | str  # a folder, or the s3:// URI it was given
    manifest: dict[str, Any]
    shards_total: int
    shards_written: int  # in this run
    shards_skipped: int  # finished by an earlier run
    seconds: float
    stopped: Optional[str] = None
    counts: dict[str, int] = field(default_factory=dict)


# --- stages as Ray Data UDFs --------------------------------------------------------------------

class StageUDF:
    """A Ray Data callable around one stage: Arrow in, Arrow out, per-row quarantine on failure.

    Used as a plain function's closure for light stages and as an actor-pool class for
    labelers (which hold state: process pools, sandboxes, HTTP clients)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.stage = factory()
        self.run = guarded(self.stage)

    def __call__(self, batch: pa.Table) -> pa.Table:
        try:
            rows = self.run(batch.to_pylist())
        except StopBuild as exc:  # the rows go back as they came, marked: their shards wait for a re-run
            reason = f"{type(exc).__name__}: {exc}"
            return rows_to_table([dict(r, status=STOPPED, status_reason=reason) for r in batch.to_pylist()])
        try:
            return rows_to_table(rows)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return self._salvage(batch, rows)

    def _salvage(self, batch: pa.Table, rows: list[dict]) -> pa.Table:
        """A row the stage left in a shape Arrow rejects goes back to its input form, quarantined."""
        fixed = []
        for i, row in enumerate(rows):
            try:
                rows_to_table([row])
                fixed.append(row)
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
                original = batch.slice(i, 1).to_pylist()[0]
                fixed.append(quarantine(original, getattr(self.stage, "name", "stage"), f"bad row shape: {exc}"))
        return rows_to_table(fixed)

    def __del__(self) -> None:
        close = getattr(self.stage, "close", None)  # labelers' pools, sandboxes, HTTP clients
        if close is not None:
            close()


IMPORT_CPUS = 0  # the import stage's request; the light stages ask 0.25 (see _dataset)
STREAM_BLOCK_BYTES = 8 * 2**20  # the largest block a stage emits (see _dataset)
QUERY_MEMORY = "256MB"  # DuckDB's cap for the build's own accounting and card (store.query_memory)
# Ray Data restarts a dead pool actor forever by default; its constructor's arguments are object
# references, which Ray cannot keep for a restart (ray-project/ray#53727: it logs an error line for
# every build). A lost actor fails its stream instead, and the build streams its unfinished shards
# again (see _execute)
ACTOR_RESTARTS = 0
STREAM_ATTEMPTS = 4  # streams of a run's shards: the first, and one again after each lost actor
START_ALLOWANCE = 60.0  # seconds for a fresh labeler child after a kill (imports, sandbox start)


class _LabelerFactory:
    """Picklable factory: builds the labelers of one stage inside the actor, not on the driver.
    Classes travel by import path, resolved on the driver (where tests may register labelers)."""

    def __init__(self, labelers: list[tuple[str, dict[str, Any], Optional[float]]], context: Context) -> None:
        self.labelers = [(class_path(labeler_class(name)), options, timeout) for name, options, timeout in labelers]
        self.context = context

    def __call__(self) -> LabelStage:
        os.environ[CLOCK_ENV] = "cpu"  # in a build every verifier deadline counts CPU time (in-process ones too)
        return label_stage([(load_class(path), options, timeout) for path, options, timeout in self.labelers],
                           self.context)


class _Finalize:
    """Merge, then stamp build provenance on every row."""

    name = "merge"

    def __init__(self, config: BuildConfig, build: dict[str, Any]) -> None:
        self.merge, self.build = MergeStage(config.merge), build

    def __call__(self, rows: list[dict]) -> list[dict]:
        for row in rows:
            if row["status"] not in ("quarantined", STOPPED):
                self.merge.merge(row)
            row["build"] = self.build
        return rows


class _Generate:
    def __init__(self, config: BuildConfig, cache_dir: str) -> None:
        self.config, self.cache_dir = config, cache_dir
        self.request_cache = _request_cache(config)

    def __call__(self):
        from .generate import GenerateStage

        return GenerateStage(self.config.generation, self.cache_dir, self.request_cache)


# --- the build ----------------------------------------------------------------------------------

def _provenance(config: BuildConfig, manifest: Optional[dict], changes: bool) -> dict[str, Any]:
    """A run that resumes an unfinished build continues it, and one that changes nothing in a finished
    build keeps it; a run that changes a finished one (the next night's, on a grown input) is a new
    build, which writes only the shards it builds."""
    if manifest is not None and (manifest.get("status") != "done" or not changes):
        return manifest["build"]
    return {
        "build_id": uuid.uuid4().hex[:12],
        "config_hash": config.config_hash(),
        "steplabel_version": __version__,
        "labelers": labeler_versions(config),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


RAY_START_HINT = ("try again when the machine is less busy, or start Ray yourself (`ray start --head`) and pass "
                  "its address with --address or RAY_ADDRESS")


def _startup_timeout(exc: BaseException) -> bool:
    """Ray's own ways of saying a node did not come up in time (its limit is 30 s)."""
    return isinstance(exc, TimeoutError) or "timed out" in str(exc).lower()


# Ray starts its workers at nice 15, and a build's work all runs in them (with the sandboxes and
# deadline children they start). Beside any other load at nice 0 they get a few percent of a CPU,
# so the wall-clock backstops, meant never to be reached, would start deciding labels. The
# workers of a Ray that steplabel starts run at the build's own priority.
LOCAL_RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_worker_niceness": "0"}


def local_ray_env() -> None:
    """The environment a Ray started here inherits (values the user set are kept)."""
    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)


def init_ray(address: Optional[str], attempts: int = 2) -> bool:
    """Connect to a cluster (address or RAY_ADDRESS) or start a small local Ray; True if we started it.

    A start-up that times out (a loaded machine) is retried once; then the build fails with one
    line that says what to try, not a traceback."""
    local_ray_env()
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    for attempt in range(1, attempts + 1):
        try:
            with keep_handlers():  # ray.init's SIGTERM handler would exit without the build's cleanup
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(object_store_memory=512 * 2**20, include_dashboard=False, log_to_driver=False,
                             configure_logging=False)
            return True
        except Exception as exc:  # only a start-up timeout is retried; anything else is raised as is
            if not _startup_timeout(exc):
                raise
            ray.shutdown()  # whatever half-started goes before the next attempt
            if attempt == attempts:
                where = f"connecting to {address}" if address else "starting a local Ray"
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise BuildError(f"Ray timed out {where} ({attempts} attempts; {first}): {RAY_START_HINT}") from None
    return True


def _dataset(plan: pa.Table, config: BuildConfig, build: dict[str, Any], cache_dir: str, out: Path | str):
    import ray
    from ray.data import ActorPoolStrategy, DataContext

    logging.getLogger("ray.data").setLevel(logging.WARNING)
    ctx = DataContext.get_current()
    # Ray's own bars in a terminal; in logs and CI our one line per shard is the progress report
    ctx.enable_progress_bars = sys.stderr.isatty() or bool(os.environ.get("STEPLABEL_PROGRESS_BARS"))
    if not ctx.enable_progress_bars:
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)
    ctx.verbose_stats_logs = False
    # a task's output leaves it a block at a time, and a block is cut only when full (128 MB by
    # default): smaller blocks let the import's rows reach the labelers while it is still reading
    ctx.target_max_block_size = min(ctx.target_max_block_size or STREAM_BLOCK_BYTES, STREAM_BLOCK_BYTES)
    if ctx.execution_no_progress_timeout_s > 0:  # -1: the user turned the guard off
        ctx.execution_no_progress_timeout_s = max(ctx.execution_no_progress_timeout_s, _slowest_batch(config))
    bs = config.run.batch_size
    # the chains come from a task that imports the input again: the driver only ships the plan. The
    # import task lives as long as the stream, so it asks no CPU: a share held by it could be the one
    # a labeler actor needs to start, while the import waits for the stages to take its rows. Its
    # request must also differ from the next stage's: Ray Data fuses map stages with equal requests,
    # and fused, the one import task would run every stage after it alone, in one actor
    ds = ray.data.from_items([{"start": 0}]).map_batches(
        import_stream, fn_args=(config.input, config.generation, [ray.put(plan)], bs), batch_size=1,
        batch_format="pyarrow", num_cpus=IMPORT_CPUS)
    if config.generation is not None:
        # enough rows per call to keep every allowed request to the policy in flight
        gen_bs = max(bs, config.generation.policy.max_concurrency * config.generation.n)
        ds = _actor_stage(ds, StageUDF, fn_constructor_args=(_Generate(config, cache_dir),), batch_size=gen_bs,
                          batch_format="pyarrow", compute=ActorPoolStrategy(size=1), num_cpus=0.25)
    seg = config.segment
    ds = ds.map_batches(_run_light, fn_args=(lambda: SegmentStage(seg.splitter, seg.pattern, seg.fallback),),
                        batch_size=bs, batch_format="pyarrow", num_cpus=0.25)
    cascade = Cascade.of(config.merge)  # under a cascade the labelers run in merge order
    for group in stage_order(stage_groups(config.labelers), config.merge.order, cascade is not None):
        lc = group[0]
        context = Context(cache_dir=cache_dir, build_id=build["build_id"], request_cache=_request_cache(config),
                          cascade=cascade)
        factory = _LabelerFactory([(g.name, g.options, g.row_timeout) for g in group], context)
        ds = _actor_stage(ds, StageUDF, fn_constructor_args=(factory,),
                          batch_size=lc.batch_size or bs, batch_format="pyarrow",
                          compute=ActorPoolStrategy(size=max(g.pool_size for g in group)),
                          num_cpus=max(g.num_cpus for g in group))
    ds = ds.map_batches(_finish, fn_args=(lambda: _Finalize(config, build), str(out)), batch_size=bs,
                        batch_format="pyarrow", num_cpus=0.25)
    return ds


def _actor_stage(ds: Any, fn: Any, **kwargs: Any) -> Any:
    """`map_batches` over an actor pool that Ray does not restart (ACTOR_RESTARTS). Ray 2.60 takes
    `max_restarts` only among its `ray_remote_args`, which it warns are deprecated: that warning
    is about this one argument, known here, and says nothing a user can act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        return ds.map_batches(fn, max_restarts=ACTOR_RESTARTS, **kwargs)


def _slowest_batch(config: BuildConfig) -> float:
    """Seconds the slowest batch of a watched labeler stage may legitimately take: every row at
    its wall-clock cap, plus a fresh child per row. Ray Data's no-progress guard (1,800 s by
    default) must outlast it, or a batch of rows that all run over would fail the whole build."""
    worst = 0.0
    for group in stage_groups(config.labelers):
        caps = [lc.row_timeout or labeler_class(lc.name).row_timeout for lc in group]
        if all(cap is not None for cap in caps):
            rows = group[0].batch_size or config.run.batch_size
            worst = max(worst, rows * (sum(caps) * WALL_FACTOR + START_ALLOWANCE))
    return worst


def _check_cache(location: str) -> None:
    """run.cache is reachable and writable before anything is built (a failed write later would
    cost the build its requests' answers)."""
    try:
        if is_uri(location):
            ObjectCache(location).probe()
        else:
            check_out(Path(location))
    except (StartError, ValueError, ImportError) as exc:
        raise StartError(f"run.cache: {exc}") from None
    except Exception as exc:  # boto3/botocore errors (no endpoint, no credentials, no bucket): one line
        if not is_store_error(exc):
            raise
        raise StartError(f"run.cache {location}: {exc}") from None


class EndpointCheck:
    """Every endpoint asked at the start, in the background while the input is planned
    (endpoints.py). `settle` is called once the run knows it has work to do: an answer that says
    the config is wrong then stops the build (exit 2) before Ray starts; one that may pass is said
    and left to the requests' own deadlines and retries. A run with nothing to build asks nothing
    of an endpoint that is down."""

    def __init__(self, config: BuildConfig) -> None:
        from .endpoints import endpoints, probe

        self.report: Any = None
        self._thread: Optional[threading.Thread] = None
        if endpoints(config):
            self._thread = threading.Thread(target=lambda: setattr(self, "report", probe(config)),
                                            name="endpoint-check", daemon=True)
            self._thread.start()

    def settle(self, say: Callable[[str], None]) -> None:
        if self._thread is None:
            return
        self._thread.join()
        if self.report.wrong:
            raise StartError("endpoint check failed: " + "; ".join(self.report.wrong)
                             + " (`steplabel check` lists every endpoint's answer)")
        for note in self.report.notes:
            say(note)
        for line in self.report.unanswered:
            say(f"{line}; going on: requests have their own deadlines and retries")


    def enter(self, cache_dir: str) -> None:
        """Enter the model requests the check sent (and a server answered) in the build's ledger."""
        if self.report is not None and self.report.answered:
            ledger = Ledger(cache_dir)
            for usage in self.report.answered:
                ledger.reserve("check")
                ledger.record("check", usage["prompt_tokens"], usage["completion_tokens"], samples=1)
            ledger.flush()


def check_endpoints(config: BuildConfig, say: Callable[[str], None]) -> None:
    """The start's endpoint check at once (see EndpointCheck)."""
    EndpointCheck(config).settle(say)


def _request_cache(config: BuildConfig) -> Optional[str]:
    """run.cache as an absolute path (actors do not share the driver's working directory), or its URI."""
    if config.run.cache is None or is_uri(config.run.cache):
        return config.run.cache
    return str(Path(config.run.cache).expanduser().resolve())


def _run_light(batch: pa.Table, factory: Callable[[], Any]) -> pa.Table:
    return StageUDF(factory)(batch)


def _finish(batch: pa.Table, factory: Callable[[], Any], out: str) -> pa.Table:
    """Merge and stamp the batch, then write it as part files: only their records go on."""
    return write_parts(out, StageUDF(factory)(batch))


def run_build(config: BuildConfig, progress: Optional[Callable[[str], None]] = None,
              allow_empty: bool = False,
              on_shard: Optional[Callable[[dict[str, Any]], None]] = None) -> BuildResult:
    """Run (or resume) a build into `config.run.out`. Everything is checked before anything is
    written (see preflight.py); at the end every input record must be found in the output.
    `progress` gets human lines, `on_shard` one `ShardProgress` event per written shard."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out = config.run.out if is_uri(config.run.out) else Path(config.run.out)  # a folder or an s3:// prefix
    try:
        input_files(config.input)
    except SourceError as exc:
        raise InputError(str(exc)) from None
    endpoint_check = EndpointCheck(config)  # answers while the input is planned
    check_out(out)
    if config.run.cache is not None:
        _check_cache(config.run.cache)
    lease = Lease(out).acquire()  # one build per OUT: a second one stops here, in one line
    try:
        return _build_locked(config, out, lease, say, started, allow_empty, on_shard, endpoint_check)
    finally:
        lease.release(leave_trace=place(out).exists(MANIFEST))


def _build_locked(config: BuildConfig, out: Path | str, lease: Lease, say: Callable[[str], None], started: float,
                  allow_empty: bool, on_shard: Optional[Callable[[dict[str, Any]], None]],
                  endpoint_check: EndpointCheck) -> BuildResult:
    try:
        manifest = read_manifest(out)
    except ValueError as exc:
        raise BuildError(f"{out}/manifest.json cannot be read ({exc}); choose a new --out or delete it") from None
    if manifest is not None and manifest["build"]["config_hash"] != config.config_hash():
        raise BuildError(
            f"{out} holds a build of another config (hash {manifest['build']['config_hash']}, "
            f"this config {config.config_hash()}); choose a new --out or delete it"
        )
    for stale in remove_stale_temps(out):
        say(f"removed {stale.relative_to(out)}, left by a killed run")
    for folder in remove_parts(out):
        say(f"removed {folder}: parts of a shard a killed or stopped run never committed")

    intake = Intake()
    try:
        keys = read_keys(config.input, config.generation, intake)
    except SourceError as exc:
        raise InputError(str(exc)) from None
    if intake.records == 0 and not allow_empty:
        raise InputError(f"the input ({config.input.path or config.input.kind}) holds no records; "
                         "pass --allow-empty to build an empty dataset")
    plan = plan_shards(out, manifest, keys, config.run.shard_size, labeler_versions(config))
    pending, total, skipped = plan.pending, plan.total, len(plan.reused)
    for key, why in plan.retired.items():
        say(f"shard {key} is built again: {why}")
    say(f"input: {intake.records} records in {len(intake.files)} files, {total} shards of up to "
        f"{config.run.shard_size} chains; {skipped} already done, {len(pending)} to build")
    cache_dir = str(build_cache_dir(out))
    ledger_before = ledger_now(cache_dir)  # this run's LLM figures are the ledger's growth from here
    if pending:
        endpoint_check.settle(say)
        endpoint_check.enter(cache_dir)

    build = _provenance(config, manifest, changes=bool(pending or plan.retired))
    manifest = manifest or {"name": config.name, "shards": {}}
    builds = manifest.setdefault("builds", {})
    for b in (manifest.get("build"), build):  # a manifest written before `builds` existed names its build once
        if b is not None:
            builds.setdefault(b["build_id"], {k: b.get(k) for k in ("config_hash", "steplabel_version", "labelers",
                                                                    "created_at")})
    for entry in plan.reused.values():
        entry.setdefault("build_id", manifest.get("build", build)["build_id"])
    manifest["build"] = build
    manifest["shards"] = plan.reused
    lease.check()
    manifest["config"] = config.model_dump(mode="json")  # out/address may change between runs
    manifest["shards_total"] = total
    manifest["inputs"] = intake.files
    written, stopped = 0, None
    failure: Optional[BaseException] = None
    started_ray = init_ray(config.run.address) if pending else False
    try:
        if pending and (config.run.address or os.environ.get("RAY_ADDRESS")):
            local = None if is_uri(out) else out  # an object store is the same from every node
            say(f"cluster: steplabel imports on all {check_nodes(out=local)} nodes, and each sees OUT")
        manifest["status"] = "running"
        sampling = manifest.get("sampling") or {}  # probed once per build; an endpoint that did not answer, again
        probed = sampling.get("build_id") == build["build_id"] and all(
            e["reproducible"] is not None for e in sampling.get("endpoints", []))
        if pending and samplers(config) and not probed:  # is the sampling seeded, and do the servers reproduce it?
            manifest["sampling"] = {"build_id": build["build_id"], "endpoints": sampling_report(config, cache_dir)}
        write_manifest(out, manifest)
        if pending:
            tracker = ShardProgress(sum(pending.values()), len(pending), total, cache_dir, ledger_before)

            def shard_done(shard: int, counts: dict[str, int]) -> None:
                if on_shard is not None:
                    on_shard(tracker.shard_written(shard, counts))

            written, stopped = _execute(plan.assignment, pending, config, build, cache_dir, out, manifest, say, shard_done, lease)
    except BaseException as exc:  # a crash or a signal: the manifest must not claim a build is running
        failure = exc
        manifest["llm"] = llm_figures(ledger_before, ledger_now(cache_dir))  # written with the failure
        raise
    finally:
        if started_ray:
            import ray

            ray.shutdown()
        if failure is not None:  # after the shutdown: no worker writes any more
            _unfinished(out, manifest, lease, failure)
    try:
        lease.check()
        # files of shards that are no longer in the manifest (retired ones that were not built again
        # under their number, a killed run's): removed only now, so that a rebuilt shard replaced its
        # old file in one rename and a reader of data/ never saw neither
        owned = {f for key, entry in manifest["shards"].items() for f in shard_files(int(key), entry)}
        for stray in remove_unlisted(out, owned):
            say(f"removed {stray}: no finished shard of the manifest owns it")
        finished = not stopped and len(manifest["shards"]) >= total
        manifest["counts"] = _totals(manifest)
        manifest["llm"] = llm_figures(ledger_before, ledger_now(cache_dir))
        with query_memory(QUERY_MEMORY):  # the driver stays small however large the dataset
            manifest["inputs"], missing = account(out, intake.files, keys)
            if config.merge.cascade:  # what the cascade did not ask for, from the rows on disk
                manifest["cascade"] = cascade_savings(out, read_ledger(cache_dir) if Path(cache_dir).exists() else {})
        manifest["inputs_changed"] = intake.changed()  # what was added since planning waits for the next run
        for change in manifest["inputs_changed"]:
            say(f"input {change['file']} changed after it was planned ({change['change']}): what it holds now "
                "that was not planned is built by the next run")
        manifest["stopped_reason"] = stopped
        manifest.pop("error", None)
        manifest["unaccounted"] = missing if finished else None
        write_manifest(out, manifest)
        with query_memory(QUERY_MEMORY):
            write_card(out)  # the manifest says `done` only once its card is on disk
        manifest["status"] = "stopped" if stopped else ("done" if finished and not missing else "partial")
        write_manifest(out, manifest)
    except BaseException as exc:
        _unfinished(out, manifest, lease, exc)
        raise
    if finished and missing:
        say("records missing from the output: " + "; ".join(missing))
    return BuildResult(out, manifest, total, written, skipped, time.perf_counter() - started, stopped,
                       manifest["counts"])


def _unfinished(out: Path | str, manifest: dict[str, Any], lease: Lease, exc: BaseException) -> None:
    """A build that ends by an exception or a signal leaves a manifest that says so (`failed`, or
    `stopped` by the signal: a re-run resumes either way) and no temporary or part file behind."""
    if manifest.get("status") != "running" or lease.lost is not None:  # not started, or OUT is no longer ours
        return
    if isinstance(exc, KeyboardInterrupt):
        manifest.update(status="stopped", stopped_reason=f"interrupted by {getattr(exc, 'name', 'SIGINT')}")
    else:
        manifest.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
    write_manifest(out, manifest)
    if isinstance(exc, KeyboardInterrupt):  # called once Ray is shut down: no worker writes any more
        remove_stale_temps(out)
        remove_parts(out)


def _execute(assignment, pending, config, build, cache_dir, out, manifest, say, shard_done, lease) -> tuple[int, Optional[str]]:
    """Follow the part records; when a shard's parts hold all its rows, a task joins them into its
    file and the driver enters it in the manifest. A shard with a row a stage marked `stopped` is
    not committed, and the stream is drained so that every shard that did finish still lands."""
    import ray
    from ray.exceptions import RayActorError, RayError

    commit = ray.remote(commit_shard).options(num_cpus=0, max_retries=3)
    ds = _dataset(assignment, config, build, cache_dir, out)
    parts: dict[int, list[str]] = {s: [] for s in pending}
    arrived = {s: 0 for s in pending}
    committing: dict[Any, int] = {}  # commit task -> shard
    written, stopped = 0, None

    def enter(refs) -> None:
        nonlocal written
        for ref in refs:
            shard = committing.pop(ref)
            try:
                counts = ray.get(ref)
            except RayError as exc:  # this shard is not written; it is built again by the next run
                cause = getattr(exc, "cause", None) or exc
                say(f"shard {shard} not finished: its commit failed ({type(cause).__name__}: {cause})")
                continue
            lease.check()  # a build that lost OUT to another writes nothing more
            manifest["shards"][str(shard)] = {"status": "done", "file": f"data/{shard_name(shard)}",
                                               "build_id": build["build_id"], **counts}
            write_manifest(out, manifest)
            remove_parts(out, shard)
            written += 1
            say(f"shard {shard} written: {counts['rows']} chains "
                f"({counts.get('quarantined', 0)} quarantined) — {written}/{len(pending)}")
            shard_done(shard, counts)

    for attempt in range(1, STREAM_ATTEMPTS + 1):
        try:
            for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
                for record in batch.to_pylist():
                    shard = record["shard"]
                    if shard not in parts:
                        continue  # a shard already halted
                    if record["stopped"] is not None:
                        stopped = stopped or record["stopped"]
                        del parts[shard]
                        say(f"shard {shard} not finished: {record['stopped']}")
                        continue
                    parts[shard].append(record["part"])
                    arrived[shard] += record["rows"]
                    if arrived[shard] == pending[shard]:
                        lease.check()
                        committing[commit.remote(str(out), shard, parts.pop(shard), pending[shard])] = shard
                done, _ = ray.wait(list(committing), num_returns=len(committing), timeout=0) if committing else ([], [])
                enter(done)
            break
        except RayActorError as exc:  # a pool actor died (its node was lost): the unfinished shards go again
            if attempt == STREAM_ATTEMPTS:
                raise
            say(f"a stage's actor was lost ({type(exc).__name__}: {str(exc).strip().splitlines()[0]}); "
                f"streaming the {len(parts)} unfinished shards again")
            for shard in parts:  # a part file the lost stream wrote is never read: commits take the listed ones
                parts[shard], arrived[shard] = [], 0
            ds = _dataset(assignment.filter(pc.is_in(assignment["shard"], pa.array(list(parts), pa.int32()))),
                          config, build, cache_dir, out)
    while committing:
        done, _ = ray.wait(list(committing), num_returns=1)
        enter(done)
    for shard in parts:  # the stream ended without all of its chains: the input changed while it was read
        say(f"shard {shard} not finished: {arrived[shard]} of its {pending[shard]} chains were found when the "
            "input was read again; re-run to build it")
    remove_parts(out)  # what is left belongs to shards that were not finished: they are built again
    if stopped:
        say(f"build stopped: {stopped}")
    return written, stopped


def _totals(manifest: dict[str, Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in manifest["shards"].values():
        for key, value in entry.items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    return totals
