"""`steplabel check CONFIG`: what a build would do, and every reason it would fail, before any spend.

A scheduled build on a cluster runs this first. It validates the config (`load_config`), then
looks at what the config points to without starting Ray: the input files and how many chains
they make, the shards (and a build of another config already in OUT), the stages (actor pools)
the build makes and, for code labelers, whether the sandbox starts here, and each endpoint's answer to a `models`
request within a short deadline. Every problem is listed; any problem makes the exit non-zero.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .config import BuildConfig
from .labelers import labeler_class, stage_groups
from .endpoints import PROBE_DEADLINE
from .place import is_uri


@dataclass
class Plan:
    """The plan as data (printed as text or JSON); `problems` non-empty means the build would fail."""

    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chain_ids: Optional[set[str]] = field(default=None, repr=False)  # the input's, for the shard reuse check

    def as_dict(self) -> dict[str, Any]:
        return {**self.facts, "problems": self.problems, "notes": self.notes}


def plan(config: BuildConfig, source: str = "", probe: bool = True, deadline: float = PROBE_DEADLINE) -> Plan:
    """Everything `check` reports about a validated config; `probe=False` contacts no endpoint and
    starts no sandbox."""
    p = Plan()
    p.facts.update(config=source, name=config.name, config_hash=config.config_hash())
    from .workunits import count_shards

    problem_ids: list[str] = []
    chains = _input(config, p, problem_ids)
    shards = None if chains is None else count_shards(problem_ids, config.run.shard_size)
    p.facts["chains"], p.facts["shards"] = chains, shards
    _out(config, p)
    p.facts["segment"] = config.segment.model_dump(exclude_none=True)
    sandboxes: dict[str, Optional[str]] = {}  # isolation -> tag: started once per level
    p.facts["labelers"] = [_labeler(lc, config, p, probe, sandboxes) for lc in config.labelers]
    p.facts["stages"] = [_stage(group, config) for group in stage_groups(config.labelers)]
    p.facts["merge"] = config.merge.model_dump()
    p.facts["endpoints"] = _endpoints(config, p, probe, deadline)
    return p


# --- input and output ---------------------------------------------------------------------------

def _input(config: BuildConfig, p: Plan, problem_ids: list[str]) -> Optional[int]:
    """Input facts; the number of chains the build will see (None when it cannot be counted here),
    their problem ids appended to `problem_ids` (the shard cut keeps a problem's chains together).

    Counted by the build's own importer (no request is sent: sampled chains are placeholders until
    the generate stage), so chains and shards are exact, and records that will be quarantined at
    import are known now."""
    from .sources import Intake, SourceError, iter_chains

    cfg = config.input
    facts: dict[str, Any] = {"kind": cfg.kind, "path": cfg.path, "domain": cfg.domain}
    p.facts["input"] = facts
    if cfg.kind == "hf" and cfg.path and not Path(cfg.path).exists():
        p.notes.append(f"input {cfg.path!r} is a hub dataset: not fetched or counted by check")
        return None
    intake = Intake()
    chains = quarantined = 0
    ids: set[str] = set()
    domains: dict[str, int] = {}  # chains per domain, as each record says (its own field, else the config's)
    try:
        for row in iter_chains(cfg, config.generation, intake):
            chains += 1
            quarantined += row["status"] == "quarantined"
            if row["status"] != "quarantined":
                domains[row["domain"]] = domains.get(row["domain"], 0) + 1
            ids.add(row["chain_id"])
            problem_ids.append(row["problem_id"])
    except (SourceError, OSError) as exc:
        p.problems.append(f"input: {exc}")
        return None
    files = list(intake.files.items())
    facts["files"] = [{"file": f, **counts} for f, counts in files[:10]]
    if len(files) > 10:
        facts["files"].append({"file": f"... {len(files) - 10} more"})
    facts["records"] = intake.records
    facts["domains"] = domains
    p.chain_ids = ids
    facts["quarantined_at_import"] = quarantined
    if chains == 0:
        p.problems.append("input: no records")
    elif quarantined:
        p.notes.append(f"{quarantined} of {chains} chains will be quarantined at import (see their reasons after "
                       "the build, or in the input)")
    return chains


def _out(config: BuildConfig, p: Plan) -> None:
    from .lease import live_holder
    from .store import read_manifest

    remote = is_uri(config.run.out)
    out: Path | str = config.run.out if remote else Path(config.run.out)
    facts: dict[str, Any] = {"path": str(out)}
    p.facts["out"] = facts
    if config.run.address:
        p.notes.append(f"run.address {config.run.address}: the cluster's nodes are checked when the build starts")
    problem = _unreachable(config.run.out) if remote else _unwritable(Path(out))
    if problem:
        p.problems.append(f"run.out: {problem}")
    holder = live_holder(out)
    if holder is not None:
        p.problems.append(f"run.out: {out} is being built by another run now (pid {holder.get('pid')} on "
                          f"{holder.get('host')}); a build started now would exit 6")
    try:
        manifest = read_manifest(out)
    except (OSError, ValueError) as exc:
        p.problems.append(f"run.out: unreadable manifest in {out}: {exc}")
        return
    if manifest is None:
        facts["existing"] = None
        return
    same = manifest["build"]["config_hash"] == config.config_hash()
    done = sum(1 for s in manifest.get("shards", {}).values() if s.get("status") == "done")
    facts["existing"] = {"build_id": manifest["build"]["build_id"], "same_config": same, "shards_done": done}
    if same and p.chain_ids is not None:
        from .workunits import labeler_versions, reusable

        reuse, taken = reusable(out, manifest, p.chain_ids, labeler_versions(config))
        facts["existing"].update(shards_reused=len(reuse.reused), chains_to_build=len(p.chain_ids - taken))
    if not same:
        p.problems.append(f"run.out: {out} holds a build of another config (hash {manifest['build']['config_hash']}); "
                          "choose a new out or delete it")


def _unreachable(uri: str) -> Optional[str]:
    """Why an `s3://` OUT cannot be listed (check writes nothing: the build's start probes a write)."""
    from .place import S3Place, is_store_error

    try:
        S3Place(uri).names("")
    except ValueError as exc:
        return str(exc)
    except Exception as exc:  # boto3/botocore errors (no endpoint, no credentials, no bucket): one line
        if not is_store_error(exc):
            raise
        return f"cannot list {uri}: {exc}"
    return None


def _unwritable(out: Path) -> Optional[str]:
    """Why the build could not write `out`, probed with a real file in `out` or, when it does not
    exist yet, in its nearest existing folder (permission bits lie to root); check creates nothing."""
    at = out.absolute()
    while not at.exists():
        at = at.parent
    if not at.is_dir():
        return f"{at} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=at):  # no name left behind, even if check is killed
            pass
    except OSError as exc:
        return f"cannot write in {at}: {exc.strerror or exc}"
    return None


# --- labelers -----------------------------------------------------------------------------------

def _stage(group: list[Any], config: BuildConfig) -> dict[str, Any]:
    """One Ray actor pool as the build makes it (labelers that share work share a pool)."""
    return {"labelers": [lc.name for lc in group], "pool_size": max(lc.pool_size for lc in group),
            "num_cpus": max(lc.num_cpus for lc in group), "batch_size": group[0].batch_size or config.run.batch_size}


def _labeler(lc: Any, config: BuildConfig, p: Plan, probe: bool,
             sandboxes: dict[str, Optional[str]]) -> dict[str, Any]:
    cls = labeler_class(lc.name)
    opts = cls.options_model.model_validate(lc.options)
    prompts = getattr(opts, "prompts", None)  # a labeler with a template per domain labels those domains
    domains = list(prompts) if isinstance(prompts, dict) else list(cls.domains)
    facts: dict[str, Any] = {"name": lc.name, "version": cls.version, "pool_size": lc.pool_size,
                             "batch_size": lc.batch_size or config.run.batch_size, "num_cpus": lc.num_cpus,
                             "domains": domains}
    counted = p.facts.get("input", {}).get("domains")  # None: the input was not counted (a hub dataset)
    if counted is not None:
        facts["chains"] = sum(counted.get(d, 0) for d in domains)
        if not facts["chains"] and counted:
            p.notes.append(f"labeler {lc.name!r} labels {'/'.join(domains)} chains; this input holds "
                           f"{', '.join(f'{n} {d}' for d, n in sorted(counted.items()))}: it will not label any")
    elif config.input.domain not in domains and "domain" not in config.input.fields:
        p.notes.append(f"labeler {lc.name!r} labels {'/'.join(domains)} chains; this input is "
                       f"{config.input.domain} (unless its records say otherwise): it may not label any")
    isolation = getattr(opts, "isolation", None)
    may_see_code = counted.get("code", 0) > 0 if counted is not None else True
    if probe and isolation is not None and "code" in domains and may_see_code:
        if isolation not in sandboxes:
            sandboxes[isolation] = _sandbox(isolation, lc.name, p)
        facts["sandbox"] = sandboxes[isolation]
    return facts


def _sandbox(isolation: str, name: str, p: Plan) -> Optional[str]:
    """Start and close the sandbox a code labeler would start in its actor (here, on this node)."""
    from ..verifiers.code import Sandbox, SandboxError, SandboxUnavailable

    try:
        with Sandbox(isolation=isolation) as box:
            return box.isolation_tag
    except (SandboxUnavailable, SandboxError, OSError) as exc:
        p.problems.append(f"labeler {name!r}: sandbox {isolation!r} does not start here: {exc}")
        return None


# --- endpoints ---------------------------------------------------------------------------------

def _endpoints(config: BuildConfig, p: Plan, probe: bool, deadline: float) -> list[dict[str, Any]]:
    """Every endpoint and what it answered (endpoints.py: the same questions a build asks at its start)."""
    from . import endpoints

    if not probe:
        listed = endpoints.endpoints(config)
        for at, ep in listed:
            if ep.api_key_env and not os.environ.get(ep.api_key_env):
                p.problems.append(f"{at}.api_key_env: environment variable {ep.api_key_env} is not set")
        return [{"at": at, "base_url": ep.base_url, "model": ep.model, "api": ep.api} for at, ep in listed]
    report = endpoints.probe(config, deadline)
    p.problems.extend(report.wrong + report.unanswered)
    p.notes.extend(report.notes)
    return report.facts


# --- text ---------------------------------------------------------------------------------------

def render(p: Plan) -> str:
    """The plan for a terminal or a log."""
    f = p.facts
    inp = f["input"]
    lines = [f"config   {f['config']}  ({f['name']}, hash {f['config_hash']})"]
    where = f" {inp['path']}" if inp.get("path") else ""
    lines.append(f"input    {inp['kind']}{where} [{inp['domain']}]"
                 + (f", {inp['records']} records" if inp.get("records") is not None else ""))
    for file in inp.get("files", []):
        counts = f": {file['records']} records, {file['chains']} chains" if "records" in file else ""
        if file.get("blank_lines"):
            counts += f", {file['blank_lines']} blank lines skipped"
        lines.append(f"           {file['file']}{counts}")
    chains = "unknown" if f["chains"] is None else str(f["chains"])
    shards = "unknown" if f["shards"] is None else str(f["shards"])
    existing = f["out"].get("existing")
    resume = "" if not existing else (f"; resumes build {existing['build_id']} ({existing['shards_done']} shards done)"
                                      if existing["same_config"] else "; holds ANOTHER build")
    if existing and "shards_reused" in existing:
        resume += f", {existing['shards_reused']} reused and {existing['chains_to_build']} chains to build"
    lines.append(f"chains   {chains} in {shards} shards → {f['out']['path']}{resume}")
    seg = f["segment"]
    lines.append("segment  " + ", ".join(f"{k}={v}" for k, v in seg.items()))
    labs = {lab["name"]: lab for lab in f["labelers"]}
    for st in f["stages"]:
        lines.append(f"stage    {' + '.join(st['labelers'])}: pool {st['pool_size']} x {st['num_cpus']} CPU, "
                     f"batch {st['batch_size']}")
        for name in st["labelers"]:
            lab = labs[name]
            sandbox = f", sandbox {lab['sandbox']}" if lab.get("sandbox") else ""
            chains = f", {lab['chains']} chains" if "chains" in lab else ""
            lines.append(f"  labeler {name} v{lab['version']}: domains {'/'.join(lab['domains'])}{chains}{sandbox}")
    m = f["merge"]
    rest = ", ".join(f"{k}={v}" for k, v in m.items() if k not in ("policy", "order") and v not in ([], None))
    lines.append(f"merge    {m['policy']} {m['order']}" + (f", {rest}" if rest else ""))
    for e in f["endpoints"]:
        state = ("answers" + (f" in {e['ms']:.0f} ms" if "ms" in e else "") if e.get("answers")
                 else e.get("error", "not probed"))
        lines.append(f"endpoint {e['at']}: {e['model']} at {e['base_url']} ({e['api']}) — {state}")
    lines += [f"note     {n}" for n in p.notes]
    lines += [f"PROBLEM  {q}" for q in p.problems]
    lines.append("ok: no problems found" if not p.problems else f"{len(p.problems)} problem(s)")
    return "\n".join(lines)
