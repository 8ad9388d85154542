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
import gc
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback
import types

CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
RESULT_CAP = 1 << 20
STATUS_OK = ("passed", "failed", "error", "timeout")


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


def preload() -> None:
    """Import what tests commonly use once, so forked children do not pay for it."""
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


def child_main(req: dict, test: dict, out_w: int, res_w: int, rundir: str) -> None:
    """Runs in the forked child; never returns."""
    status, message, frames, tb_text = "error", "", [], ""
    try:
        os.setsid()
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(res_w, 3)
        os.closerange(4, 1 << 16)
        os.chdir(rundir)
        set_child_limits(req.get("limits", {}))
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
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
        os.write(3, blob)
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

    if os.path.lexists(path):
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


def run_one(req: dict, test: dict, counter: int) -> dict:
    timeout = float(req.get("timeout", 3.0))
    cap = int(req.get("output_cap", 65536))
    rundir = f"/tmp/run-{counter}"
    os.mkdir(rundir, 0o700)
    out_r, out_w = os.pipe()
    res_r, res_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(res_r)
        child_main(req, test, out_w, res_w, rundir)
    os.close(out_w)
    os.close(res_w)
    for fd in (out_r, res_r):
        os.set_blocking(fd, False)
    pidfd = os.pidfd_open(pid)
    out, res = bytearray(), bytearray()
    watch = {out_r: out, res_r: res}
    truncated = exited = timed_out = False
    wait_status = None
    deadline = start + timeout
    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(watch) + [pidfd], [], [], remaining)
        for fd in ready:
            if fd == pidfd:
                exited = True
                continue
            open_ = read_available(fd, cap if fd == out_r else RESULT_CAP, watch[fd])
            if not open_:
                if fd == out_r and len(out) > cap:
                    truncated = True
                os.close(fd)
                del watch[fd]
    for fd in list(watch):  # the child is gone or doomed: take what is already in the pipes
        read_available(fd, cap if fd == out_r else RESULT_CAP, watch[fd])
        if fd == out_r and len(out) > cap:
            truncated = True
        os.close(fd)
    # Kill the child's whole group while the (possibly zombie) child still pins the pid and pgid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    try:
        _, wait_status = os.waitpid(pid, 0)
    except ChildProcessError:
        wait_status = None
    os.close(pidfd)
    duration = time.monotonic() - start
    kill_everything_else()
    remove_tree(rundir)
    result = {"name": test.get("name", ""), "status": "error", "message": "", "frames": [], "tb": "",
              "output": bytes(out[:cap]).decode("utf-8", "replace"), "truncated": truncated,
              "duration": round(duration, 6)}
    if timed_out:
        result.update(status="timeout", message=f"wall-clock deadline {timeout:g}s exceeded")
        return result
    try:
        reported = json.loads(bytes(res)) if res else None
    except ValueError:
        reported = None
    if isinstance(reported, dict) and reported.get("status") in STATUS_OK:
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
    gc.collect()
    gc.freeze()  # children then never touch (copy) the server's objects when they collect
    proto_out = os.dup(1)
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)  # stray prints can never corrupt the protocol
    proto_in = os.fdopen(os.dup(0), "rb")
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    hello = {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
             "python": sys.version.split()[0]}
    os.write(proto_out, (json.dumps(hello) + "\n").encode())
    counter = 0
    for line in proto_in:
        req = json.loads(line)
        results = []
        for test in req.get("tests", []):
            counter += 1
            results.append(run_one(req, test, counter))
        blob = (json.dumps({"results": results}) + "\n").encode()
        while blob:
            try:
                written = os.write(proto_out, blob)
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            blob = blob[written:]


if __name__ == "__main__":
    serve()
