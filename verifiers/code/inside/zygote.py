"""The zygote: forked by the server before the first job arrives, it never receives a byte of
one. The test process tells it only "the run is over (these program processes were used)", "a
program process, please", "kill that one"; the server only "replace the test process". Warm (the
common modules imported, the compiler exercised, a made-up run served by the program process's
own code (`rehearsal.py`), the heap frozen), it forks the test process (once, and again only to
replace it) and a program process per run (or per stdin/stdout case), each the first process of
a fresh PID namespace, and tears each run down: a run is over only when every process and
thread of it is reaped. Stdlib only (runs in the sandbox; see server.py).
"""
from __future__ import annotations

import builtins
import ctypes
import gc
import json
import marshal
import os
import select
import signal
import socket
import sys
from typing import Any, Optional

from steplabel_inside import calls, confine, frames, program, rehearsal, tester


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


def warm_up(config: dict) -> None:
    """Import what tests and programs commonly use, and compile and run a little of everything
    once, so that every fork inherits it instead of paying for it."""
    sys.path.extend(p for p in config.get("sys_path", []) if p not in sys.path)
    for name in config.get("preload", []):
        try:
            __import__(name)
        except ImportError as exc:
            sys.stderr.write(f"sandbox: preload {name} failed: {exc}\n")
    import site  # (run with -S, importing it runs nothing: no site-packages, no .pth files)

    site.setquit()  # exit() and quit(), which scripts call as `python solution.py` has them
    if "random" in sys.modules:  # (see raw_fork)
        sys.modules["random"].seed(0)
    namespace = {"__name__": "__warmup__", "__builtins__": builtins}
    exec(compile(WARM_UP, "<warmup>", "exec", optimize=0), namespace)
    try:
        exec(compile("assert False, 'x'", "<warmup>", "exec", optimize=0), namespace)
    except AssertionError as exc:
        calls.failure(exc, "failed")
    marshal.loads(marshal.dumps(({"a": [1.0, None, "x"]}, {"b": True}, b"x")))
    program.wire.loads(program.wire.dumps({"a": (1, 2.5, {3}, b"x", None)}))


def raw_fork() -> int:
    """libc's fork, without Python's at-fork work: this process is single-threaded, and a child
    that skips the after-fork hooks touches (copies) about 60 fewer pages; nor does `random`
    reseed itself from the OS, so every program process starts from the same seeded state and a
    program that uses `random` behaves the same in every run and every build."""
    pid = confine.libc.fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"fork: {os.strerror(err)}")
    return pid


class Zygote:
    """Forks the test process (once, and again only to replace it) and the program processes
    (one per run, or per stdin/stdout case), and tears each run down."""

    def __init__(self, server: socket.socket, config: dict) -> None:
        self.server, self.config = server, config
        self.private = bool(config.get("private_runs"))
        self.pidns = confine.PidNamespaces() if self.private else None
        self.setup = {"private_runs": self.private, "tmp_opts": f"size={int(config.get('tmp_mb', 256))}m,"
                      "nr_inodes=65536,mode=1777", "tmp_binds": [p for p in config.get("tmp_binds", [])
                                                              if os.path.isdir(p)]}
        self.workdir = config.get("workdir")
        self.tester: Optional[int] = None
        self.tester_dir: Optional[str] = None
        self.channel: Optional[socket.socket] = None  # to the test process
        self.programs: dict[int, Optional[str]] = {}  # handed to the test process -> their directory
        self.stock: list[tuple[int, tuple[int, ...], Optional[str]]] = []  # forked, not yet handed
        self.batch = max(1, int(config.get("programs_ahead", 1)))
        self.exited: dict[int, int] = {}  # pid -> wait status, for processes not yet accounted for
        self.sigchld_fixed = False  # (confine.fix_sigchld, in serve)

    def fork(self, child: Any) -> int:
        """Fork `child()`, in private-run mode as the init of a fresh PID namespace."""
        if self.pidns is not None:
            self.pidns.enter()
        try:
            pid = raw_fork()
        except BaseException:
            if self.pidns is not None:
                self.pidns.leave()
            raise
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                if not self.sigchld_fixed:  # (once it is, children keep the handler: it does nothing there)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                child()
            finally:
                os._exit(70)
        if self.pidns is not None:
            self.pidns.leave()  # the next fork is an ordinary one again
        return pid

    def rundir(self) -> Optional[str]:
        if self.private:
            return None
        import tempfile  # (here: it brings shutil, bz2, lzma and zlib, whose mappings make every fork dearer)

        return tempfile.mkdtemp(prefix="run-", dir=self.workdir)

    def start_tester(self) -> None:
        """Fork the test process and hand its two pipes (jobs in, results out) to the server, which
        passes them on to the host."""
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.tester_dir = self.rundir()
        setup = {**self.setup, "rundir": self.tester_dir}
        self.tester = self.fork(lambda: tester.main(job_r, res_w, theirs.fileno(), setup))
        for fd in (job_r, res_w):
            os.close(fd)
        theirs.close()
        self.channel = mine
        frames.send_msg(self.server, {"tester": self.tester}, (job_w, res_r))
        os.close(job_w)
        os.close(res_r)
        self.give_program()  # one waits there ahead of every run (and more here: see restock)

    def restock(self) -> None:
        """Fork a batch of program processes, each waiting for its program. Every fork shares this
        process's memory with the child again, so each page this process writes before the next
        fork is copied (a page fault here), and a fork wrapped in its own pipes and bookkeeping
        wrote 60-80 pages: the pipes and set-up of the whole batch are made before its first
        fork and put away after its last, the forks back to back (103 -> 80 faults a run)."""
        batch: list[tuple[list[tuple[int, int]], Optional[str]]] = []
        try:
            while len(self.stock) + len(batch) < self.batch:
                batch.append(self.program_ends())
        except OSError:
            if not batch:
                raise
        children = [self.program_child(ends, {**self.setup, "rundir": rundir}) for ends, rundir in batch]
        pids: list[int] = []
        failure: Optional[OSError] = None
        try:
            for child in children:
                pids.append(self.fork(child))
        except OSError as exc:
            failure = exc
        for i, (ends, rundir) in enumerate(batch):
            (ctl_r, ctl_w), (rep_r, rep_w), (in_r, in_w), (out_r, out_w), (err_r, err_w) = ends
            close_all((ctl_r, rep_w, in_r, out_w, err_w))
            if i < len(pids):
                self.stock.append((pids[i], (ctl_w, rep_r, in_w, out_r, err_r), rundir))
                continue
            close_all((ctl_w, rep_r, in_w, out_r, err_r))  # (its fork failed)
            if rundir:
                remove_tree(rundir)
        if failure is not None and not pids:
            raise failure

    def program_ends(self) -> tuple[list[tuple[int, int]], Optional[str]]:
        """A program process's five pipes (ctl, reply, stdin, stdout, stderr) and run directory."""
        ends: list[tuple[int, int]] = []
        try:
            for _ in range(5):
                ends.append(os.pipe())
            return ends, self.rundir()
        except OSError:
            close_all(fd for pair in ends for fd in pair)
            raise

    @staticmethod
    def program_child(ends: list[tuple[int, int]], setup: dict) -> Any:
        """What a program process runs: `program.main` on its ends of the pipes."""
        (ctl_r, _), (_, rep_w), (in_r, _), (_, out_w), (_, err_w) = ends
        return lambda: program.main(ctl_r, rep_w, in_r, out_w, err_w, setup)

    def give_program(self) -> None:
        assert self.channel is not None
        self.reap()  # (a SIGCHLD not yet handled)
        while self.stock and self.stock[0][0] in self.exited:  # (one that ended while it waited)
            pid, theirs, rundir = self.stock.pop(0)
            self.exited.pop(pid, None)
            for fd in theirs:
                os.close(fd)
            if rundir:
                remove_tree(rundir)
        try:
            if not self.stock:
                self.restock()
        except OSError as exc:
            if not self.stock:
                frames.send_msg(self.channel, {"refused": True, "why": str(exc)})
                return
        pid, theirs, rundir = self.stock.pop(0)
        self.programs[pid] = rundir
        try:
            frames.send_msg(self.channel, {"program": True, "pid": pid}, theirs)
        except OSError:
            pass
        for fd in theirs:
            os.close(fd)

    def reap(self) -> None:
        """Collect every child that ended; tell the test process about its program processes."""
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exited[pid] = status
            if pid in self.programs and self.channel is not None:
                cpu = usage.ru_utime + usage.ru_stime
                try:
                    frames.send_msg(self.channel, {"exited": True, "pid": pid, "status": status, "cpu": cpu})
                except OSError:
                    pass

    def kill_and_reap(self, pids: list[int]) -> None:
        """SIGKILL each, and wait until each is reaped: a namespace's init is reaped only after
        every process and thread in its namespace is gone."""
        for pid in pids:
            if pid not in self.exited:
                try:
                    os.kill(pid, signal.SIGKILL) if self.private else os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for pid in pids:
            while pid not in self.exited:
                try:
                    got, status = os.waitpid(pid, 0)
                except ChildProcessError:
                    break
                except InterruptedError:
                    continue
                self.exited[got] = status

    def finish(self, used: list[int], replace: bool) -> dict:
        """The run is over: the program processes it used are killed and reaped (those handed over
        ahead and not used stay for the next run: nothing reached them). With `replace` the test
        process ended or missed its deadline: it goes too, with every program it held."""
        tester_pid = self.tester
        pids = list(self.programs) if replace else [p for p in used if p in self.programs]
        if replace and tester_pid is not None:
            pids.append(tester_pid)
        self.kill_and_reap(pids)
        for pid in pids:
            directory = self.programs.pop(pid, None)
            if directory:
                remove_tree(directory)
        status = self.exited.get(tester_pid) if tester_pid is not None else None
        for pid in pids:
            self.exited.pop(pid, None)
        if replace:
            if self.channel is not None:
                self.channel.close()
            if self.tester_dir:
                remove_tree(self.tester_dir)
            self.tester = self.channel = None
        return {"finished": True, "tester_status": status}

    def serve(self) -> None:
        woken, wake = os.pipe()
        for end in (woken, wake):
            os.set_blocking(end, False)
        signal.set_wakeup_fd(wake)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        confine.fix_sigchld()  # for this process and every run process: once, not a filter per fork
        self.sigchld_fixed = True
        self.start_tester()
        while True:
            watch = [self.server.fileno(), woken] + ([self.channel.fileno()] if self.channel is not None else [])
            try:
                ready, _, _ = select.select(watch, [], [])
            except InterruptedError:
                continue
            if woken in ready:
                try:
                    os.read(woken, 4096)
                except BlockingIOError:
                    pass
                self.reap()
            if self.channel is not None and self.channel.fileno() in ready:
                try:
                    msg, fds = frames.recv_msg_nowait(self.channel)
                except BlockingIOError:
                    msg, fds = {}, []
                except (frames.ChannelClosed, OSError):  # it ended: the host finds out and has the server replace it
                    msg, fds = {}, []
                    self.channel.close()
                    self.channel = None
                for fd in fds:
                    os.close(fd)
                if msg.get("finish"):  # the run is over: the test process has reported it
                    self.finish([int(p) for p in msg.get("used", []) if isinstance(p, int)], replace=False)
                    if self.channel is not None and not self.programs:
                        self.give_program()  # the next run's, there before the run is (no "want" a run)
                elif msg.get("want") == "program":
                    self.give_program()
                elif msg.get("kill") in self.programs:
                    try:
                        os.kill(int(msg["kill"]), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if self.server.fileno() in ready:
                try:
                    msg, fds = frames.recv_msg(self.server)
                except frames.ChannelClosed:
                    os._exit(0)
                if msg.get("replace"):
                    frames.send_msg(self.server, self.finish([], replace=True))
                    self.start_tester()


def close_all(fds: Any) -> None:
    for fd in fds:
        os.close(fd)


def remove_tree(path: str) -> None:
    """rmtree that first gives back permissions a run may have taken away (rlimits mode)."""
    import shutil

    def fix(func: Any, p: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(p) or ".", 0o700)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    try:
        os.rmdir(path)
    except FileNotFoundError:
        return
    except OSError:
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass
        shutil.rmtree(path, onerror=fix)


def probe(zygote: Zygote) -> dict:
    """What a program process actually gets, checked once at start in a child set up like one."""
    r, w = os.pipe()

    def child() -> None:
        os.close(r)
        facts: dict[str, Any] = {}
        try:
            if zygote.private:
                confine.enter_private_run(zygote.setup["tmp_opts"].encode(), zygote.setup["tmp_binds"],
                                          fresh_proc=True)
                facts["own_pid_namespace"] = os.getpid() == 1 and sorted(
                    p for p in os.listdir("/proc") if p.isdigit()) == ["1"]
            facts["private_runs"] = zygote.private
            try:
                with open("/etc/passwd") as f:
                    facts["etc_passwd"] = bool(f.read(1))
            except OSError:
                facts["etc_passwd"] = False
            facts["userns_refused"] = confine.libc.unshare(confine.CLONE_NEWUSER) != 0
        except OSError as exc:
            facts["private_runs"] = False
            facts["probe_error"] = str(exc)
        os.write(w, json.dumps(facts).encode())

    pid = zygote.fork(child)
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


def zygote_main(channel: socket.socket, config: dict) -> None:
    try:
        if config.get("private_runs"):  # a /proc that numbers processes as this namespace does
            confine.check(confine.libc.unshare(confine.CLONE_NEWNS), "unshare(mnt)")
            confine.check(confine.libc.mount(b"proc", b"/proc", b"proc", confine.MS_NOSUID | confine.MS_NODEV |
                                             confine.MS_NOEXEC, None), "mount /proc")
        zygote = Zygote(channel, config)
        warm_up(config)
        try:
            rehearsed = rehearsal.rehearse()  # (before the first fork: see rehearsal.py)
        except Exception as exc:  # slower program processes, nothing worse
            rehearsed = {"failed": f"{type(exc).__name__}: {exc}"}
            sys.stderr.write(f"sandbox: the rehearsal failed: {rehearsed['failed']}\n")
        facts = {**probe(zygote), "rehearsed": rehearsed}
        if zygote.private and not facts.get("own_pid_namespace"):
            facts["private_runs"] = False
            facts.setdefault("probe_error", "a program process does not get a PID namespace of its own")
        gc.collect()
        gc.freeze()  # children then never touch (copy) the zygote's objects when they collect
        trim = getattr(confine.libc, "malloc_trim", None)  # (glibc's; another libc may not have it)
        if trim is not None:
            trim(0)  # free heap pages given back: fewer pages for every fork to map and unmap
        frames.send_msg(channel, {"ready": True, **facts})
        zygote.serve()
    except BaseException:
        import traceback
        sys.stderr.write("sandbox: the zygote failed:\n" + traceback.format_exc())
        sys.stderr.flush()
    finally:
        os._exit(0)
