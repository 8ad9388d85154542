"""Fork server: runs *inside* the sandbox, stdlib only, started as `python -I -S -c <source> <config>`.

Why it exists: starting an interpreter per test costs tens of milliseconds; forking a warm one
costs about one. Every test runs in a fresh forked child. Under bubblewrap the child first enters
its own mount and IPC namespaces, mounts a fresh size-capped tmpfs on /tmp (its cwd) and drops
every capability (a seccomp filter, installed once in the server, refuses new user namespaces to
all of them); only then does
it receive its job. Nothing a run writes can be seen by any other run, and after every test
everything except the server is killed (`kill(-1)` from the pid namespace's init).

Protocol with the host (one JSON object per line): requests on our stdin, answers on stdout.
  request  {"setup": str, "tests": [{"name": str, "code": str}], "timeout": float,
            "limits": {...}, "output_cap": int, "module": str|null}
  response {"results": [{"name", "status", "message", "frames", "tb", "output", "truncated",
            "duration", "note", "infra"}]}

Why a verdict cannot be forged by the code under test (see README.md in this folder):
  * "passed" is decided from one positive signal: a random per-run token the harness writes, on a
    pipe at a random descriptor, only after both `exec` calls returned. Nothing the code can
    write without the token counts; a report that is not exactly what the harness writes is an
    error. A failure report carries the token too, so only the harness can blame a line.
  * Everything the harness uses after untrusted code started is bound beforehand as a local
    (`os.write`, `exec`, `compile`, exception classes, the real `sys.modules`); this module's own
    functions resolve builtins through a private copy, and `sys.modules["__main__"]` is the
    program's module, not this one, so patching `builtins`, `os`, `json`, `sys.modules`,
    `print`, `__import__` reaches neither the harness nor the tests.
  * The tests run with the builtins, and the `sys.modules` entries they import, as they were
    before the program ran, and without the program's top-level names that shadow builtins.
"""
import binascii
import builtins
import contextlib
import ctypes
import errno
import fcntl
import gc
import json
import marshal
import os
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
import types

# This module's functions resolve builtins through this private copy (a function keeps the
# builtins of its globals at definition time), so code that patches `builtins` cannot reach them.
__builtins__ = dict(builtins.__dict__)

CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
CLONE_NEWUSER = 0x10000000  # refused to the code under test
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384
F_DUPFD_CLOEXEC = getattr(fcntl, "F_DUPFD_CLOEXEC", 1030)
RESULT_CAP = 1 << 20
TOKEN_LEN = 16
PASS, FAIL = b"P", b"F"
NOTE_CAP = 2000
INSPECT_BUDGET = 50_000  # returned-value nodes inspected per run for user-defined classes
PRIVATE_RUNS = bool(CONFIG.get("private_runs"))
WORKDIR = CONFIG.get("workdir") or "/tmp"  # rlimits mode: the host's directory for run dirs
TMP_MB = int(CONFIG.get("tmp_mb", 256))
TMPFS_OPTS = f"size={TMP_MB}m,nr_inodes=65536,mode=1777".encode()
libc = ctypes.CDLL(None, use_errno=True)
# Python paths under /tmp: each run binds them again, read-only, on top of its fresh /tmp
TMP_BINDS = [p for p in CONFIG.get("tmp_binds", []) if os.path.isdir(p)]

# Snapshots taken before any untrusted code exists; every forked child inherits them untouched.
BUILTINS = dict(builtins.__dict__)
BUILTIN_NAMES = frozenset(n for n in BUILTINS if not n.startswith("__"))
FunctionType, ModuleType = types.FunctionType, types.ModuleType
SCALARS = frozenset((int, float, complex, str, bytes, bool, type(None)))
MODULES: dict = {}
KNOWN_TYPES: set = set()


def harden() -> None:
    """Drop to the sandbox uid keeping only what per-run namespaces need (CAP_SYS_ADMIN and
    CAP_SETPCAP inside the sandbox's user namespace; every child drops them before its job),
    forbid privilege gain, hide our /proc entries from the children."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as pid 1, SIG_DFL signals from inside are ignored
    uid, gid = CONFIG.get("uid"), CONFIG.get("gid")
    if CONFIG.get("drop") and os.getuid() != uid:
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if PRIVATE_RUNS:
        set_capabilities(SERVER_CAPS)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # children cannot open /proc/<server>/fd or ptrace us
    if PRIVATE_RUNS:  # once here, inherited by every child (the server never needs a user namespace)
        refuse_user_namespaces()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = CONFIG.get("nproc")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


# --- per-run isolation ------------------------------------------------------------------------

def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp_filter() -> "ctypes.Array | None":
    """A BPF program refusing new user namespaces: unshare/clone with CLONE_NEWUSER -> EPERM,
    clone3 -> ENOSYS (its flags sit in memory a filter cannot read; libc then falls back to
    clone), any foreign syscall ABI (x32, i386) -> EPERM. None on an unknown architecture."""
    arch = os.uname().machine
    table = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}
    if arch not in table:
        return None
    audit, nr_unshare, nr_clone, nr_clone3 = table[arch]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    prog = [
        _bpf(ld, 0, 0, 4),                      # 0 arch
        _bpf(jeq, 1, 0, audit),                 # 1 -> 3
        _bpf(ret, 0, 0, eperm),                 # 2 foreign ABI
        _bpf(ld, 0, 0, 0),                      # 3 syscall number
        _bpf(jge, 7, 0, 0x40000000),            # 4 x32 -> 12
        _bpf(jeq, 3, 0, nr_unshare),            # 5 -> 9
        _bpf(jeq, 2, 0, nr_clone),              # 6 -> 9
        _bpf(jeq, 5, 0, nr_clone3),             # 7 -> 13
        _bpf(ret, 0, 0, allow),                 # 8
        _bpf(ld, 0, 0, 16),                     # 9 args[0], low 32 bits (flags)
        _bpf(jset, 1, 0, CLONE_NEWUSER),        # 10 -> 12
        _bpf(ret, 0, 0, allow),                 # 11
        _bpf(ret, 0, 0, eperm),                 # 12
        _bpf(ret, 0, 0, enosys),                # 13
    ]
    return ctypes.create_string_buffer(b"".join(prog), len(prog) * 8)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


SECCOMP = seccomp_filter()


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


SERVER_CAPS = (1 << 21) | (1 << 8)  # CAP_SYS_ADMIN, CAP_SETPCAP


CAP_HEADER = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0), 8)  # v3, this thread
NO_CAPS = ctypes.create_string_buffer(24)


def set_capabilities(caps: int) -> None:
    """Effective = permitted = `caps` (capabilities 0-31), nothing inheritable."""
    data = ctypes.create_string_buffer(struct.pack("6I", caps, caps, 0, 0, 0, 0), 24) if caps else NO_CAPS
    _check(libc.capset(CAP_HEADER, data), "capset")


def drop_capabilities() -> None:
    """No capability left: effective, permitted and inheritable cleared (which clears the ambient
    set too); with no_new_privs no execve can grant one again, so the bounding set may stay."""
    set_capabilities(0)


def refuse_user_namespaces() -> None:
    if SECCOMP is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {os.uname().machine}")
    prog = _SockFprog(len(SECCOMP) // 8, ctypes.addressof(SECCOMP))
    _check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def enter_private_run() -> None:
    """Own mount and IPC namespaces, a fresh tmpfs on /tmp as cwd, then no capabilities and no
    new user namespaces. (A user namespace per run would do without the server's capabilities
    but costs about a millisecond of CPU per run.)"""
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    # held open (O_PATH) in this namespace before the tmpfs covers them, bound back on top of it
    held = [(os.open(path, os.O_PATH | os.O_DIRECTORY), path) for path in TMP_BINDS]
    _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, TMPFS_OPTS), "mount /tmp")
    for fd, path in held:
        os.makedirs(path, mode=0o755, exist_ok=True)
        target = path.encode()
        _check(libc.mount(f"/proc/self/fd/{fd}".encode(), target, None, MS_BIND | MS_REC, None), f"bind {path}")
        _check(libc.mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
               f"read-only {path}")
        os.close(fd)
    os.chdir("/tmp")
    drop_capabilities()


def probe() -> dict:
    """What a run actually gets, checked once at start in a child set up like every run."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        facts = {}
        try:
            if PRIVATE_RUNS:
                enter_private_run()
            facts["private_runs"] = PRIVATE_RUNS
            try:
                with open("/etc/passwd") as f:
                    facts["etc_passwd"] = bool(f.read(1))
            except OSError:
                facts["etc_passwd"] = False
            refused = libc.unshare(CLONE_NEWUSER) != 0
            facts["userns_refused"] = refused
        except OSError as exc:
            facts["private_runs"] = False
            facts["probe_error"] = str(exc)
        os.write(w, json.dumps(facts).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data or b"{}")


# --- warm-up and snapshots ----------------------------------------------------------------------

WARM_UP = """
import math, re, collections
class _C:
    def m(self, x: int = 1) -> int:
        return [i * x for i in range(3) if i][-1]
def _f(xs, *a, **k):
    try:
        assert sorted({x: x for x in xs}) == list(xs), f"{xs!r}"
    except AssertionError as e:
        return str(e)
    return sum(x for x in xs) + (lambda y: y)(0) + _C().m()
_f([1, 2, 3])
"""


def warm_up() -> None:
    """Compile and run a little of everything once, so that the first-use set-up of the parser
    and compiler is paid here and inherited by every fork (it cost each child ~1.7 ms)."""
    namespace = {"__name__": "__warmup__", "__builtins__": builtins}
    exec(compile(WARM_UP, "<warmup>", "exec"), namespace)
    try:
        exec(compile("assert False, 'x'", "<warmup>", "exec"), namespace)
    except AssertionError as exc:
        failure_report(exc, "failed")
    marshal.loads(marshal.dumps(({"a": [1.0, None, "x"]}, {"b": True}, b"x")))


def preload() -> None:
    """Import what tests commonly use once, so forked children do not pay for it."""
    sys.path.extend(p for p in CONFIG.get("sys_path", []) if p not in sys.path)
    for name in CONFIG.get("preload", []):
        try:
            __import__(name)
        except ImportError as exc:
            sys.stderr.write(f"forkserver: preload {name} failed: {exc}\n")


def take_snapshots() -> None:
    """sys.modules and every class that exists before any untrusted code: the tests see these
    modules, and a returned object of any other class is reported as user-defined."""
    MODULES.update((k, v) for k, v in sys.modules.items() if k != "__main__")
    todo = [object]
    while todo:
        cls = todo.pop()
        if cls in KNOWN_TYPES:
            continue
        KNOWN_TYPES.add(cls)
        try:
            todo.extend(type.__subclasses__(cls))
        except TypeError:
            continue


# --- the child ----------------------------------------------------------------------------------

def set_child_limits(limits: dict) -> None:
    pairs = {
        "as": resource.RLIMIT_AS,
        "cpu": resource.RLIMIT_CPU,
        "fsize": resource.RLIMIT_FSIZE,
        "nofile": resource.RLIMIT_NOFILE,
    }
    for key, which in pairs.items():
        value = limits.get(key)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def tb_frames(tb) -> list:
    """(file, line, function) of the traceback, read from the frame objects themselves."""
    out = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code is not WATCHED_CODE:  # our return-value watcher is not part of the story
            out.append([str(code.co_filename), int(tb.tb_lineno), str(code.co_name)])
        tb = tb.tb_next
    return out


def failure_report(exc: BaseException, status: str) -> dict:
    """What a failed test says. Built from the exception with the harness's own functions; its
    text may run the code's `__str__`, which can only change the message of a failure."""
    tb = exc.__traceback__
    frames = tb_frames(tb.tb_next if tb else tb)  # the first frame is ours
    try:
        message = f"{type(exc).__name__}: {exc}"
    except BaseException:  # a __str__ that raises still leaves a failure, with its type
        message = f"{type(exc).__name__}: <unprintable>"
    try:
        text = "".join(traceback.format_exception(type(exc), exc, tb.tb_next if tb else tb))
    except BaseException:
        text = ""
    return {"status": status, "message": message[:4000], "frames": frames[-50:], "tb": text[-8000:]}


def inspect_returns(fn, seen: set, budget: list):
    """`fn` wrapped: values it returns to the tests are searched for objects of classes that did
    not exist before the run (their own __eq__ decides the tests' comparisons)."""
    def watched(*args, **kwargs):
        value = fn(*args, **kwargs)
        if type(value) in SCALARS:  # the common case, kept cheap: tests call this in loops
            return value
        todo = [value]
        while todo and budget[0] > 0:
            budget[0] -= 1
            x = todo.pop()
            t = type(x)
            if t is list or t is tuple or t is set or t is frozenset:
                todo.extend(x)
            elif t is dict:
                todo.extend(x.keys())
                todo.extend(x.values())
            elif t not in KNOWN_TYPES:
                try:
                    seen.add(str(type.__dict__["__qualname__"].__get__(t))[:80])
                except BaseException:
                    seen.add("?")
        if todo:
            seen.add("(returned values too large to inspect fully)")
        return value

    watched.__name__ = getattr(fn, "__name__", "candidate")
    watched.__wrapped__ = fn
    return watched


WATCHED_CODE = inspect_returns(len, set(), [0]).__code__


def watch_functions(namespace: dict, seen: set, budget: list) -> dict:
    """A copy of the program's names, its own functions wrapped to watch what they return."""
    ns = {}
    for key, value in namespace.items():
        if type(value) is FunctionType and value.__code__.co_filename == "<solution>":
            value = inspect_returns(value, seen, budget)
        ns[key] = value
    return ns


def test_namespace(namespace: dict, seen: set, budget: list) -> dict:
    """The namespace HumanEval/MBPP tests run in: the program's names (its functions watched)
    minus names that shadow builtins, with the builtins as they were before the program ran."""
    ns = {k: v for k, v in watch_functions(namespace, seen, budget).items()
          if type(k) is str and k not in BUILTIN_NAMES}
    ns["__builtins__"] = BUILTINS
    return ns


def code_names(code) -> set:
    """Every name a code object and the code nested in it refer to (imports among them)."""
    names, todo = set(), [code]
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if type(k) is types.CodeType)
    names.update([n.split(".")[0] for n in names if "." in n])
    return names


def read_job(fd: int) -> tuple:
    chunks = []
    while True:
        data = os.read(fd, 1 << 20)
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return marshal.loads(b"".join(chunks))


def child_main(job_r: int, out_w: int, res_w: int, rundir) -> None:
    """Runs in the forked child, forked *before* its job arrives; never returns."""
    exit_ = os._exit
    try:
        run_child(job_r, out_w, res_w, rundir)
    finally:
        exit_(0)


def run_child(job_r: int, out_w: int, res_w: int, rundir) -> None:
    # Bound now, before any untrusted code exists: after it ran, the harness looks nothing up.
    signal.set_wakeup_fd(-1)  # the server's SIGCHLD wake-up is not the run's
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    write, close, exit_, getpid = os.write, os.close, os._exit, os.getpid
    exec_, compile_, pack = builtins.exec, builtins.compile, struct.pack
    dumps, make_test_ns, report_failure = json.dumps, test_namespace, failure_report
    watch, module_type = watch_functions, ModuleType
    loads, a2b = marshal.loads, binascii.a2b_base64
    assertion_error, base_exception, syntax_error = AssertionError, BaseException, SyntaxError
    modules, snapshot = sys.modules, MODULES
    flush_out, flush_err = sys.stdout.flush, sys.stderr.flush
    os.setsid()
    devnull = os.open("/dev/null", os.O_RDONLY)
    # the report goes to a descriptor at a random place; job and report never reach subprocesses
    rfd = fcntl.fcntl(res_w, F_DUPFD_CLOEXEC, 16 + os.urandom(1)[0] % 200)
    jfd = fcntl.fcntl(job_r, F_DUPFD_CLOEXEC, 8)
    for target, fd in ((0, devnull), (1, out_w), (2, out_w)):
        os.dup2(fd, target)
    low = 3
    for keep in sorted((rfd, jfd)):
        os.closerange(low, keep)
        low = keep + 1
    os.closerange(low, 1 << 20)
    prepare_error = ""
    try:
        if PRIVATE_RUNS:
            enter_private_run()
        elif rundir:
            os.chdir(rundir)
            os.environ["TMPDIR"] = os.environ["HOME"] = rundir
    except OSError as exc:
        prepare_error = f"could not prepare a private run: {exc}"
    req, test, token = read_job(jfd)
    if not req:
        exit_(0)  # a prepared child that is no longer needed

    me = getpid()

    def send(kind: bytes, payload: bytes) -> None:
        if getpid() != me:  # a forked copy of this process that ran on: only the run reports
            exit_(0)
        blob = token + kind + pack(">I", len(payload)) + payload
        while blob:
            blob = blob[write(rfd, blob):]
        close(rfd)

    if prepare_error:
        send(FAIL, dumps({"status": "error", "message": prepare_error, "infra": True}).encode())
        exit_(0)
    set_child_limits(req.get("limits", {}))  # (random reseeds itself after a fork)
    module_name = req.get("module")
    main = module_type("__main__")  # the program's module: `import __main__` never finds ours
    modules["__main__"] = main
    program = main
    if module_name:  # pytest style: the program is importable under its module name
        program = modules[module_name] = module_type(module_name)
    namespace = program.__dict__
    namespace["__builtins__"] = builtins
    seen: set = set()
    budget = [INSPECT_BUDGET]
    try:
        setup_code = compile_(req.get("setup", ""), "<solution>", "exec")
        # the test as the host compiled it (once per test); else here, to report its error
        test_code = (loads(a2b(test["bin"])) if test.get("bin")
                     else compile_(test["code"], "<test>", "exec"))
        test_names = code_names(test_code)
    except syntax_error as exc:
        send(FAIL, dumps(report_failure(exc, "error")).encode())
        exit_(0)
    try:
        exec_(setup_code, namespace)
        for name in test_names:  # modules the tests import, as they were before the program ran
            if name in snapshot and modules.get(name) is not snapshot[name]:
                modules[name] = snapshot[name]
        modules["__main__"] = main
        if module_name:  # the tests import a watched copy of the program's module
            watched = module_type(module_name)
            watched.__dict__.update(watch(namespace, seen, budget))
            modules[module_name] = watched
            test_ns = {"__name__": "__main__", "__builtins__": BUILTINS}
        else:
            test_ns = make_test_ns(namespace, seen, budget)
        exec_(test_code, test_ns)
    except assertion_error as exc:
        payload = report_failure(exc, "failed")
    except base_exception as exc:  # SystemExit too: exiting before the checks ran is no pass
        payload = report_failure(exc, "error")
    else:
        payload = None
    with contextlib.suppress(base_exception):  # output only; the pipe may be closed by its cap
        flush_out()
        flush_err()
    if payload is None:
        send(PASS, "; ".join(sorted(seen))[:NOTE_CAP].encode("utf-8", "replace"))
    else:
        payload["note"] = "; ".join(sorted(seen))[:NOTE_CAP]
        send(FAIL, dumps(payload).encode())
    exit_(0)


# --- the server side of one test ----------------------------------------------------------------

PF_EXITING = 0x4


def still_running(pid: str) -> bool:
    """Alive and not yet exiting (a zombie, or a task past SIGKILL in its exit path, never runs
    code again)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in (b"Z", b"X") and not int(fields[6]) & PF_EXITING


def kill_everything_else() -> None:
    """Kill every process in the sandbox except us, reap what is dead; only safe as a pid
    namespace's init. (kill(-1) walks every task on the host, so it is sent only while some
    process here is still running.)"""
    if os.getpid() != 1:
        return
    for _ in range(1000):
        reap()
        if not any(p.isdigit() and p != "1" and still_running(p) for p in os.listdir("/proc")):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        reap()
        if not any(p.isdigit() and p != "1" and still_running(p) for p in os.listdir("/proc")):
            return
        time.sleep(0.001)
    sys.stderr.write("forkserver: processes survived 1000 kill sweeps\n")


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def remove_tree(path: str) -> None:
    """rmtree that first gives back permissions a test may have taken away."""
    def fix(func, p, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p) or ".", 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
        with contextlib.suppress(FileNotFoundError):
            func(p)

    try:
        os.rmdir(path)  # the common case: the test left nothing behind
    except FileNotFoundError:
        return
    except OSError:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=fix)


def read_available(fd: int, cap: int, buf: bytearray) -> bool:
    """Read what is there without blocking; False once the writer side is closed."""
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        room = cap + 1 - len(buf)
        if room > 0:
            buf.extend(data[:room])
        if len(buf) > cap:
            return False


class Prepared:
    """A child forked ahead of its job (the fork and the run's set-up overlap the host's turnaround)."""

    wait_status = None
    reaped = False

    def __init__(self) -> None:
        self.rundir = None if PRIVATE_RUNS else tempfile.mkdtemp(prefix="run-", dir=WORKDIR)
        fds: list = []
        try:
            job_r, self.job_w = os.pipe()
            fds += [job_r, self.job_w]
            self.out_r, out_w = os.pipe()
            fds += [self.out_r, out_w]
            self.res_r, res_w = os.pipe()
            fds += [self.res_r, res_w]
            self.pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            if self.rundir:
                remove_tree(self.rundir)
            raise
        if self.pid == 0:
            child_main(job_r, out_w, res_w, self.rundir)
        for fd in (job_r, out_w, res_w):
            os.close(fd)
        self.pidfd = os.pidfd_open(self.pid)

    def kill_and_reap(self) -> None:
        """SIGKILL the child's whole group while the (maybe zombie) child pins its pid, then reap."""
        if self.reaped:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        try:
            _, self.wait_status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            self.wait_status = None
        self.reaped = True
        os.close(self.pidfd)

    def finish(self) -> None:
        """After the answer is out: nothing of this run may survive into the next one. Killed
        processes that are already exiting (they never run code again) finish in the background."""
        if not self.reaped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)  # the unreaped child still pins its pid
            os.close(self.pidfd)
            self.reaped = True
        kill_everything_else()
        if self.rundir:
            remove_tree(self.rundir)

    def send(self, req: dict, test: dict, token: bytes) -> None:
        blob = marshal.dumps((req, test, token))
        with contextlib.suppress(BrokenPipeError):  # died early: reported from its exit status
            while blob:
                blob = blob[os.write(self.job_w, blob):]
        os.close(self.job_w)


class Broken:
    """A run that could not be prepared (no fork, no pipe, no directory): an error of that run."""

    def __init__(self, why: str) -> None:
        self.why = why

    def finish(self) -> None:
        kill_everything_else()


def prepare():
    try:
        return Prepared()
    except OSError as exc:
        return Broken(f"could not prepare the run: {exc}")


def judge_report(res: bytes, token: bytes):
    """The harness's report, or None. Only bytes that start with this run's token and are exactly
    one framed message count; a pass is a PASS frame, nothing else."""
    if len(res) < TOKEN_LEN + 5 or res[:TOKEN_LEN] != token:
        return None
    kind, (size,) = res[TOKEN_LEN:TOKEN_LEN + 1], struct.unpack(">I", res[TOKEN_LEN + 1:TOKEN_LEN + 5])
    payload = res[TOKEN_LEN + 5:]
    if len(payload) != size:
        return {"status": "error", "message": "the run's report was tampered with (extra or missing bytes)"}
    if kind == PASS:
        return {"status": "passed", "note": payload.decode("utf-8", "replace")}
    if kind == FAIL:
        try:
            reported = json.loads(payload)
        except ValueError:
            return None
        if isinstance(reported, dict) and reported.get("status") in ("failed", "error"):
            return reported
    return None


def run_one(req: dict, test: dict, child) -> dict:
    """Hand the prepared child its test and collect the outcome; `finish` cleans up after."""
    result = {"name": test.get("name", ""), "status": "error", "message": "", "frames": [], "tb": "",
              "output": "", "truncated": False, "duration": 0.0, "note": "", "infra": False}
    if isinstance(child, Broken):
        result.update(message=child.why, infra=True)
        return result
    timeout = float(req.get("timeout", 3.0))
    cap = int(req.get("output_cap", 65536))
    token = os.urandom(TOKEN_LEN)
    start = time.monotonic()
    child.send(req, test, token)
    out_r, res_r = child.out_r, child.res_r
    for fd in (out_r, res_r):
        os.set_blocking(fd, False)
    out, res = bytearray(), bytearray()
    watch = {out_r: out, res_r: res}
    truncated = exited = timed_out = report_closed = False
    deadline = start + timeout
    while not exited and not report_closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(watch) + [child.pidfd], [], [], remaining)
        for fd in ready:
            if fd == child.pidfd:
                exited = True
                continue
            if not read_available(fd, cap if fd == out_r else RESULT_CAP, watch[fd]):
                if fd == out_r and len(out) > cap:
                    truncated = True
                os.close(fd)
                del watch[fd]
                report_closed = report_closed or fd == res_r
    duration = time.monotonic() - start
    for fd in list(watch):  # take what is already in the pipes
        read_available(fd, cap if fd == out_r else RESULT_CAP, watch[fd])
        if fd == out_r and len(out) > cap:
            truncated = True
        os.close(fd)
    reported = judge_report(bytes(res), token)
    result.update(output=bytes(out[:cap]).decode("utf-8", "replace"), truncated=truncated,
                  duration=round(duration, 6))
    if reported is None and timed_out:
        result.update(status="timeout", message=f"wall-clock deadline {timeout:g}s exceeded")
        return result
    if reported is not None:
        for key in ("status", "message", "frames", "tb", "note", "infra"):
            if key in reported:
                result[key] = reported[key]
        result["infra"] = bool(result["infra"])
    else:
        child.kill_and_reap()
        wait_status = child.wait_status
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            if sig == signal.SIGXCPU:
                result.update(status="timeout", message="CPU time limit exceeded")
            else:
                result["message"] = f"killed by signal {signal.Signals(sig).name} before the harness reported"
        else:
            code = os.WEXITSTATUS(wait_status) if wait_status is not None else None
            result["message"] = (f"exited with code {code} without the harness's report"
                                 + (" (it had written a report of its own)" if res else ""))
    if truncated and result["status"] != "passed":
        result["message"] = f"output exceeded {cap} bytes; " + result["message"]
    return result


def requests(fd: int, woken: int):
    """Request lines from the host; while waiting, reap the killed processes that finish exiting
    (SIGCHLD wakes us), so their teardown runs in the background instead of delaying answers."""
    buf = b""
    while True:
        while b"\n" not in buf:
            ready, _, _ = select.select([fd, woken], [], [])
            if woken in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(woken, 4096)
                reap()
            if fd not in ready:
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                return
            buf += data
        line, _, buf = buf.partition(b"\n")
        yield line


def serve() -> None:
    harden()
    preload()
    warm_up()
    take_snapshots()
    facts = probe()
    gc.collect()
    gc.freeze()  # children then never touch (copy) the server's objects when they collect
    proto_out = os.dup(1)
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)  # stray prints can never corrupt the protocol
    proto_in = os.dup(0)
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    hello = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
             "python": sys.version.split()[0], **facts}
    os.write(proto_out, (json.dumps(hello) + "\n").encode())
    woken, wake = os.pipe()
    for end in (woken, wake):
        os.set_blocking(end, False)
    signal.set_wakeup_fd(wake)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a byte on `woken` per child that ends
    child = prepare()
    for line in requests(proto_in, woken):
        req = json.loads(line)
        results = []
        pending = None
        for test in req.get("tests", []):
            if pending is not None:
                pending.finish()
            if child is None:
                child = prepare()
            results.append(run_one(req, test, child))
            pending, child = child, None
        blob = (json.dumps({"results": results}) + "\n").encode()
        while blob:
            try:
                written = os.write(proto_out, blob)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            blob = blob[written:]
        if pending is not None:  # clean up while the host reads the answer
            pending.finish()
        if child is None:  # and fork the next child
            child = prepare()


if __name__ == "__main__":
    serve()
