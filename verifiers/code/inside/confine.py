"""What each process inside the sandbox gives up before it runs anything: namespaces, capabilities,
seccomp, rlimits. Stdlib only (runs inside the sandbox; see `server.py`).

The server keeps CAP_SYS_ADMIN and CAP_SETPCAP inside the sandbox's user namespace and nothing
else; it needs them to give every process of a run fresh namespaces. Every run process enters
its own mount and IPC namespaces, mounts a fresh size-capped tmpfs on /tmp, and then drops every
capability; the seccomp filter (installed once in the server, inherited) refuses new user
namespaces, so none can get capabilities back.
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import struct
from typing import Iterable, Optional

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
SERVER_CAPS = (1 << 21) | (1 << 8)  # CAP_SYS_ADMIN, CAP_SETPCAP
_CAP_HEADER = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0), 8)  # v3, this thread


def check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def set_capabilities(caps: int) -> None:
    """Effective = permitted = `caps` (capabilities 0-31), nothing inheritable (so no ambient set)."""
    data = ctypes.create_string_buffer(struct.pack("6I", caps, caps, 0, 0, 0, 0), 24)
    check(libc.capset(_CAP_HEADER, data), "capset")


_NO_CAPS = ctypes.create_string_buffer(24)  # (made once: a run process drops them without building it)


def drop_capabilities() -> None:
    """No capability left; with no_new_privs no execve can grant one again."""
    check(libc.capset(_CAP_HEADER, _NO_CAPS), "capset")


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp_program() -> Optional[bytes]:
    """A BPF program refusing new user namespaces: unshare/clone with CLONE_NEWUSER -> EPERM,
    clone3 -> ENOSYS (its flags sit in memory a filter cannot read; libc then falls back to
    clone), any foreign syscall ABI (x32, i386) -> EPERM; and the kernel keyrings (add_key,
    request_key, keyctl -> EPERM): a key outlives the process that stored it, so a program could
    leave one for the next run. None on an unknown architecture."""
    table = {"x86_64": (0xC000003E, 272, 56, 435, (248, 249, 250)),
             "aarch64": (0xC00000B7, 97, 220, 435, (217, 218, 219))}
    arch = os.uname().machine
    if arch not in table:
        return None
    audit, nr_unshare, nr_clone, nr_clone3, (nr_add_key, nr_request_key, nr_keyctl) = table[arch]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    prog = [
        _bpf(ld, 0, 0, 4),                      # 0 arch
        _bpf(jeq, 1, 0, audit),                 # 1 -> 3
        _bpf(ret, 0, 0, eperm),                 # 2 foreign ABI
        _bpf(ld, 0, 0, 0),                      # 3 syscall number
        _bpf(jge, 10, 0, 0x40000000),           # 4 x32 -> 15
        _bpf(jeq, 6, 0, nr_unshare),            # 5 -> 12
        _bpf(jeq, 5, 0, nr_clone),              # 6 -> 12
        _bpf(jeq, 8, 0, nr_clone3),             # 7 -> 16
        _bpf(jeq, 6, 0, nr_add_key),            # 8 -> 15
        _bpf(jeq, 5, 0, nr_request_key),        # 9 -> 15
        _bpf(jeq, 4, 0, nr_keyctl),             # 10 -> 15
        _bpf(ret, 0, 0, allow),                 # 11
        _bpf(ld, 0, 0, 16),                     # 12 args[0], low 32 bits (flags)
        _bpf(jset, 1, 0, CLONE_NEWUSER),        # 13 -> 15
        _bpf(ret, 0, 0, allow),                 # 14
        _bpf(ret, 0, 0, eperm),                 # 15
        _bpf(ret, 0, 0, enosys),                # 16
    ]
    return b"".join(prog)


def sigchld_program() -> Optional[bytes]:
    """A BPF program refusing rt_sigaction(SIGCHLD, a new action) -> EPERM (reading the action is
    allowed). A process that ignores SIGCHLD, or sets SA_NOCLDWAIT, has the kernel reap its
    children, and their CPU time then counts nowhere, not even in its own children's figures:
    work done in such a child would escape the CPU limit. None on an unknown architecture."""
    table = {"x86_64": (0xC000003E, 13), "aarch64": (0xC00000B7, 134)}
    arch = os.uname().machine
    if arch not in table:
        return None
    audit, nr_rt_sigaction = table[arch]
    ld, jeq, ret = 0x20, 0x15, 0x06
    allow, eperm = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [
        _bpf(ld, 0, 0, 4),                      # 0 arch
        _bpf(jeq, 0, 8, audit),                 # 1 foreign ABI -> 10 (the server's filter refuses it)
        _bpf(ld, 0, 0, 0),                      # 2 syscall number
        _bpf(jeq, 0, 6, nr_rt_sigaction),       # 3 -> 10
        _bpf(ld, 0, 0, 16),                     # 4 args[0]: the signal
        _bpf(jeq, 0, 4, int(signal.SIGCHLD)),   # 5 -> 10
        _bpf(ld, 0, 0, 24),                     # 6 args[1], low 32 bits: the new action
        _bpf(jeq, 0, 3, 0),                     # 7 not NULL -> 11
        _bpf(ld, 0, 0, 28),                     # 8 args[1], high 32 bits
        _bpf(jeq, 0, 1, 0),                     # 9 not NULL -> 11
        _bpf(ret, 0, 0, allow),                 # 10
        _bpf(ret, 0, 0, eperm),                 # 11
    ]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_filter(program: bytes) -> None:
    """A seccomp filter for this process and every process it starts (no_new_privs is set)."""
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def refuse_user_namespaces() -> None:
    program = seccomp_program()
    if program is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {os.uname().machine}")
    install_filter(program)


def fix_sigchld() -> None:
    """SIGCHLD's disposition fixed as it is, for this process and every process it starts (the
    zygote's, once: its program processes and its test process keep its handler, which does
    nothing there): every child then stays a zombie until its parent waits, and all of its CPU
    time stays counted."""
    program = sigchld_program()
    if program is not None:
        install_filter(program)


def harden_server(config: dict) -> None:
    """Drop to the sandbox uid keeping only what per-run namespaces need, forbid privilege gain,
    make this process (and so every child) non-dumpable: no other process of the same uid may
    trace it or open its /proc entries."""
    uid, gid = config.get("uid"), config.get("gid")
    if config.get("drop") and os.getuid() != uid:
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if config.get("private_runs"):
        set_capabilities(SERVER_CAPS)
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if config.get("private_runs"):
        refuse_user_namespaces()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = config.get("nproc")
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


class PidNamespaces:
    """Children forked after `enter()` are each the first process (init) of a fresh PID namespace:
    killing that process tears down everything it started, threads and `setsid` grandchildren
    included, and nothing in it can see a process outside. `leave()` makes the next fork an
    ordinary one again (a namespace whose init has exited refuses further forks)."""

    def __init__(self) -> None:
        self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def enter(self) -> None:
        check(libc.setns(self.own, CLONE_NEWPID), "setns(pid)")
        check(libc.unshare(CLONE_NEWPID), "unshare(pid)")

    def leave(self) -> None:
        check(libc.setns(self.own, CLONE_NEWPID), "setns(pid)")


def enter_private_run(tmp_opts: bytes, rebind: Iterable[str], fresh_proc: bool) -> None:
    """Own mount and IPC namespaces, a fresh tmpfs on /tmp as cwd, a /proc of this process's own
    PID namespace (`fresh_proc`), then no capabilities."""
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare(mnt, ipc)")
    # held open (O_PATH) in this namespace before the tmpfs covers them, bound back on top of it
    held = [(os.open(path, os.O_PATH | os.O_DIRECTORY), path) for path in rebind]
    check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, tmp_opts), "mount /tmp")
    for fd, path in held:
        os.makedirs(path, mode=0o755, exist_ok=True)
        target = path.encode()
        check(libc.mount(f"/proc/self/fd/{fd}".encode(), target, None, MS_BIND | MS_REC, None), f"bind {path}")
        check(libc.mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
              f"read-only {path}")
        os.close(fd)
    if fresh_proc:
        check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
    os.chdir("/tmp")
    drop_capabilities()


def current_cpu() -> Optional[int]:
    cpu = libc.sched_getcpu()
    return cpu if cpu >= 0 else None


def run_on(cpus: Iterable[int]) -> None:
    """Run only on `cpus` (as far as this process may). The host's calling thread, the test
    process and the program process never compute at once: a job, each call and the report are
    round trips that wake the other side. On two CPUs, every trip wakes an idle CPU (on a VM, an
    exit to the hypervisor each time) and cost 2.4x the CPU of a trip on one; so a run's test
    process and program process run on the CPU the host waits on (or, when the job does not say,
    the one the test process was on when the run began)."""
    try:
        os.sched_setaffinity(0, cpus)
    except (OSError, ValueError):
        pass


def set_limits(limits: dict) -> None:
    """Per-process rlimits: address space, CPU seconds, file size, open files; no core dumps."""
    pairs = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
             "nofile": resource.RLIMIT_NOFILE}
    for key, which in pairs.items():
        value = limits.get(key)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def close_fds_except(keep: Iterable[int]) -> None:
    """Close every descriptor above 2 except `keep`: a run process holds only its own channels."""
    low = 3
    for fd in sorted(set(k for k in keep if k >= 3)):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)
