"""Fork server: runs *inside* the sandbox, stdlib only, started as `python -I -c <this source> <config>`.

Why it exists: starting an interpreter per test costs tens of milliseconds; forking a warm one
costs about one. Every test runs in a fresh forked child (own session, rlimits, private cwd under
/tmp, stdout/stderr into a capped pipe). After every test everything except the server is killed
(`kill(-1)` from the pid namespace's init), so no run can leave a process behind for the next.

Protocol (one JSON object per line): the host writes requests on our stdin, we answer on stdout.
  request  {"setup": str, "tests": [{"name": str, "code": str}], "timeout": float,
            "limits": {...}, "output_cap": int, "module": str|null}
  response {"results": [{"name", "status", "message", "frames", "tb", "output", "truncated",
            "duration"}]}
A child's own report arrives on a private pipe and is parsed as data; nothing it sends is trusted
beyond being shown as the result of its own run.
"""
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
import sys
import time
import traceback
import tempfile
import types
from typing import Optional

CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
RESULT_CAP = 1 << 20
STATUS_OK = ("passed", "failed", "error", "timeout")
# Per-run directories live here: the private /tmp under bwrap, a fresh directory otherwise.
WORKDIR = "/tmp" if CONFIG.get("private_tmp") else tempfile.mkdtemp(prefix="steplabel-run-")


def harden() -> None:
    """Drop to the sandbox uid, forbid privilege gain, hide our /proc entries from the children."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as pid 1, SIG_DFL signals from inside are ignored
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = CONFIG.get("uid"), CONFIG.get("gid")
    if CONFIG.get("drop") and os.getuid() != uid:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # children cannot open /proc/<server>/fd or ptrace us
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = CONFIG.get("nproc")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


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
        format_tb(exc)
        json.dumps({"frames": frames_of(exc.__traceback__)})
    marshal.loads(marshal.dumps(({"a": [1.0, None, "x"]}, {"b": True})))


def preload() -> None:
    """Import what tests commonly use once, so forked children do not pay for it."""
    sys.path.extend(p for p in CONFIG.get("sys_path", []) if p not in sys.path)
    for name in CONFIG.get("preload", []):
        try:
            __import__(name)
        except ImportError as exc:
            sys.stderr.write(f"forkserver: preload {name} failed: {exc}\n")


# --- the child -----------------------------------------------------------------------------


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


def frames_of(tb) -> list:
    """Frames of the code under test only (the first frame is ours, `child_main`)."""
    return [[f.filename, f.lineno, f.name] for f in traceback.extract_tb(tb.tb_next if tb else tb)]


def format_tb(exc: BaseException) -> str:
    tb = exc.__traceback__
    return "".join(traceback.format_exception(type(exc), exc, tb.tb_next if tb else tb))


def read_job(fd: int) -> tuple:
    chunks = []
    while True:
        data = os.read(fd, 1 << 20)
        if not data:
            break
        chunks.append(data)
    os.close(fd)
    return marshal.loads(b"".join(chunks))


def child_main(job_r: int, out_w: int, res_w: int, rundir: str) -> None:
    """Runs in the forked child, which is forked *before* its job arrives; never returns."""
    status, message, frames, tb_text = "error", "", [], ""
    try:
        os.setsid()
        # move everything high first, so no dup2 below can clobber a descriptor still needed
        devnull, out_w, res_w, job_r = (fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in
                                        (os.open("/dev/null", os.O_RDONLY), out_w, res_w, job_r))
        for target, fd in ((0, devnull), (1, out_w), (2, out_w), (3, res_w), (4, job_r)):
            os.dup2(fd, target)
        os.closerange(5, 1 << 16)
        os.chdir(rundir)
        req, test = read_job(4)
        if not req:
            os._exit(0)  # a prepared child that is no longer needed
        set_child_limits(req.get("limits", {}))
        # sys.stdin/stdout/stderr already sit on fds 0/1/2 (now /dev/null and the output pipe);
        # the server never writes through them, so their buffers are empty.
        if "random" in sys.modules:  # forks share the server's RNG state otherwise
            sys.modules["random"].seed()
        namespace = {"__name__": "__main__", "__builtins__": builtins}
        module_name = req.get("module")
        if module_name:  # pytest-style tests import the solution as a module
            module = types.ModuleType(module_name)
            namespace = module.__dict__
            namespace["__builtins__"] = builtins
            sys.modules[module_name] = module
        exec(compile(req.get("setup", ""), "<solution>", "exec"), namespace)
        test_ns = namespace if not module_name else {"__name__": "__main__", "__builtins__": builtins}
        exec(compile(test["code"], "<test>", "exec"), test_ns)
        status = "passed"
    except AssertionError as exc:
        status, message = "failed", f"AssertionError: {exc}"
        frames, tb_text = frames_of(exc.__traceback__), format_tb(exc)
    except BaseException as exc:  # SystemExit too: exiting before the checks ran is no pass
        status, message = "error", f"{type(exc).__name__}: {exc}"
        frames, tb_text = frames_of(exc.__traceback__), format_tb(exc)
    with contextlib.suppress(OSError, ValueError):  # pipe closed by the output cap: server knows
        sys.stdout.flush()
        sys.stderr.flush()
    try:
        blob = json.dumps({"status": status, "message": message[:4000], "frames": frames[-50:],
                           "tb": tb_text[-8000:]}).encode()
        while blob:
            blob = blob[os.write(3, blob):]
        os.close(3)  # EOF now tells the server the report is whole
    finally:
        os._exit(0)


# --- the server side of one test ------------------------------------------------------------


def kill_everything_else() -> None:
    """Kill every process in the sandbox except us, then reap; only safe as a pid namespace's init."""
    if os.getpid() != 1:
        return
    for _ in range(1000):
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        reap()
        if not [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]:
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
        os.chmod(os.path.dirname(p) or ".", 0o700)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, 0o700)
        func(p)

    try:
        os.rmdir(path)  # the common case: the test left nothing behind
    except FileNotFoundError:
        return
    except OSError:
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
    """A child forked ahead of its job (the fork then overlaps the host's turnaround)."""

    def __init__(self, counter: int) -> None:
        self.rundir = os.path.join(WORKDIR, f"run-{counter}")
        os.mkdir(self.rundir, 0o700)
        job_r, self.job_w = os.pipe()
        self.out_r, out_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            for fd in (self.job_w, self.out_r, self.res_r):
                os.close(fd)
            child_main(job_r, out_w, res_w, self.rundir)
        for fd in (job_r, out_w, res_w):
            os.close(fd)
        self.pidfd = os.pidfd_open(self.pid)

    wait_status: Optional[int] = None
    reaped = False

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
        """After the answer is out: nothing of this run may survive into the next one."""
        self.kill_and_reap()
        kill_everything_else()
        remove_tree(self.rundir)

    def send(self, req: dict, test: dict) -> None:
        blob = marshal.dumps((req, test))
        with contextlib.suppress(BrokenPipeError):  # died early: reported from its exit status
            while blob:
                blob = blob[os.write(self.job_w, blob):]
        os.close(self.job_w)


def parse_report(res: bytearray) -> Optional[dict]:
    try:
        reported = json.loads(bytes(res)) if res else None
    except ValueError:
        return None
    ok = isinstance(reported, dict) and reported.get("status") in STATUS_OK
    return reported if ok else None


def run_one(req: dict, test: dict, child: "Prepared") -> dict:
    """Hand the prepared child its test and collect the outcome; `finish` cleans up after."""
    timeout = float(req.get("timeout", 3.0))
    cap = int(req.get("output_cap", 65536))
    start = time.monotonic()
    child.send(req, test)
    out_r, res_r = child.out_r, child.res_r
    for fd in (out_r, res_r):
        os.set_blocking(fd, False)
    out, res = bytearray(), bytearray()
    watch = {out_r: out, res_r: res}
    truncated = exited = timed_out = False
    reported = None
    deadline = start + timeout
    while not exited and reported is None:
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
                if fd == res_r:  # the child closed its report: done, it is exiting on its own
                    reported = parse_report(res) or reported
                    if reported is None:
                        exited = exited or bool(select.select([child.pidfd], [], [],
                                                              max(0.0, deadline - time.monotonic()))[0])
    duration = time.monotonic() - start
    for fd in list(watch):  # take what is already in the pipes
        read_available(fd, cap if fd == out_r else RESULT_CAP, watch[fd])
        if fd == out_r and len(out) > cap:
            truncated = True
        os.close(fd)
    if reported is None and res:
        reported = parse_report(res)
    wait_status = None
    if timed_out or (exited and reported is None):
        child.kill_and_reap()
        wait_status = child.wait_status
    result = {"name": test.get("name", ""), "status": "error", "message": "", "frames": [], "tb": "",
              "output": bytes(out[:cap]).decode("utf-8", "replace"), "truncated": truncated,
              "duration": round(duration, 6)}
    if timed_out and reported is None:
        result.update(status="timeout", message=f"wall-clock deadline {timeout:g}s exceeded")
        return result
    if reported is not None:
        for key in ("status", "message", "frames", "tb"):
            result[key] = reported.get(key, result[key])
    elif wait_status is not None and os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGXCPU:
            result.update(status="timeout", message="CPU time limit exceeded")
        else:
            result["message"] = f"killed by signal {signal.Signals(sig).name}"
    else:
        code = os.WEXITSTATUS(wait_status) if wait_status is not None else None
        result["message"] = f"exited with code {code} before reporting"
    if truncated and result["status"] != "passed":
        result["message"] = f"output exceeded {cap} bytes; " + result["message"]
    return result


def serve() -> None:
    harden()
    preload()
    warm_up()
    gc.collect()
    gc.freeze()  # children then never touch (copy) the server's objects when they collect
    proto_out = os.dup(1)
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)  # stray prints can never corrupt the protocol
    proto_in = os.fdopen(os.dup(0), "rb")
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    hello = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
             "python": sys.version.split()[0]}
    os.write(proto_out, (json.dumps(hello) + "\n").encode())
    counter = 1
    child = Prepared(counter)
    for line in proto_in:
        req = json.loads(line)
        results = []
        pending = None
        for test in req.get("tests", []):
            if pending is not None:
                pending.finish()
            if child is None:
                counter += 1
                child = Prepared(counter)
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
            counter += 1
            child = Prepared(counter)


if __name__ == "__main__":
    serve()
