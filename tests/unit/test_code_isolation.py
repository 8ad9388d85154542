"""The bubblewrap command line (no sandbox started): what the code can see, and what it cannot."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from steplabel.verifiers.code import Limits
from steplabel.verifiers.code import isolation


def pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == flag]


def test_etc_files_are_copied_into_the_sandbox_not_bound():
    etc, fds = isolation.etc_copies()
    try:
        copied = [etc[i + 2] for i, a in enumerate(etc) if a == "--file"]
        assert copied and all(p.startswith("/etc/") for p in copied) and "/etc/passwd" in copied
        assert "--ro-bind" not in etc and "--bind" not in etc  # no mount per file: every run copies each mount
        assert [int(etc[i + 1]) for i, a in enumerate(etc) if a == "--file"] == fds
        assert all(etc[i - 2: i] == ["--perms", "0644"] for i, a in enumerate(etc) if a == "--file")
        assert not any(p.split("/")[2] in ("shadow", "gshadow", "sudoers") for p in copied)
        if os.path.islink("/etc/localtime"):  # a link is copied as what it points to
            assert "/etc/localtime" in copied
        if os.path.isdir("/etc/ld.so.conf.d"):  # a folder as its files
            assert etc[etc.index("/etc/ld.so.conf.d") - 3: etc.index("/etc/ld.so.conf.d")] == ["--perms", "0755", "--dir"]
    finally:
        for fd in fds:
            os.close(fd)


def test_mounts_are_read_only_and_minimal():
    args = isolation.mount_args(64)
    binds = [dst for _, dst in pairs(args, "--ro-bind")]
    assert "--bind" not in args and "--dev-bind" not in args  # nothing of the host is writable
    assert "/usr" in binds and os.path.realpath(sys.base_prefix) in binds
    assert not any(b in ("/", "/root", "/home", "/work", "/etc") for b in binds)
    assert args[args.index("/etc") - 3: args.index("/etc")] == ["--perms", "0755", "--dir"]
    assert not any(b.startswith("/etc/") and b.split("/")[2] in ("shadow", "gshadow", "sudoers") for b in binds)
    i = args.index("--tmpfs")
    assert args[i - 4: i] == ["--perms", "1777", "--size", str(64 << 20)] and args[i + 1] == "/tmp"
    assert args[args.index("--remount-ro") + 1] == "/"


def test_launch_has_every_namespace_and_a_clean_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setattr(isolation, "make_root_userns", lambda: os.open("/dev/null", os.O_RDONLY))
    launch = isolation.bwrap_launch(Limits(), preload=[])
    try:
        argv = launch.argv
        for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                     "--new-session", "--as-pid-1", "--clearenv"):
            assert flag in argv
        assert "--userns" in argv or "--unshare-user" in argv
        assert "sk-secret" not in " ".join(argv) and launch.env == {}
        env = dict(pairs(argv, "--setenv"))
        assert set(env) == set(isolation.SANDBOX_ENV)
        assert launch.server_config["uid"] == 65534 and launch.server_config["private_runs"]
    finally:
        for fd in launch.close_after_start:
            os.close(fd)


def test_request_limits_count_cpu_seconds():
    limits = Limits(timeout=2.5, wall_factor=4, memory_mb=256, fsize_mb=4, nofile=32, output_bytes=100)
    call = limits.request(tests=3)
    assert call["cpu_limit"] == 2.5 and call["wall_limit"] == 10.0 and call["output_cap"] == 100
    # the program's process serves every test of the run (and its set-up): its CPU rlimit covers them
    assert call["limits"] == {"as": 256 << 20, "cpu": 12, "fsize": 4 << 20, "nofile": 32}
    io = limits.request(tests=3, timeout=1.0, io=True)
    assert io["limits"]["cpu"] == 3 and io["output_cap"] == limits.io_output_bytes  # a fresh process per case
    assert limits.deadline(3) > 4 * 10.0  # the host's last resort comes after every backstop inside


def test_the_sandbox_code_is_compiled_by_the_host_with_asserts_kept():
    """The host compiles the sandbox's modules for the server (which then has no parser's leftovers
    in its heap for every fork to copy), keeping their asserts even on a host run with -O."""
    argv = isolation.server_argv({"k": 1})
    assert argv[1:4] == ["-I", "-S", "-c"] and "marshal.loads" in argv[4] and argv[5:] == ['{"k": 1}']
    probe = textwrap.dedent("""
        import dis, marshal
        from steplabel.verifiers.code import isolation
        size, _, blob = isolation.server_code().partition(b"\\n")
        modules = marshal.loads(blob)
        assert int(size) == len(blob), "length line"
        def asserts(code):
            own = sum(i.opname == "LOAD_ASSERTION_ERROR" for i in dis.get_instructions(code))
            return own + sum(asserts(c) for c in code.co_consts if hasattr(c, "co_code"))
        print([name for name, _ in modules], sum(asserts(code) for _, code in modules))
    """)
    out = subprocess.run([sys.executable, "-O", "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    names, kept = out.stdout.rsplit("]", 1)
    assert names.strip("[").replace("'", "").split(", ") == list(isolation.INSIDE)
    assert int(kept) > 0


def test_no_disable_userns_and_run_capabilities_only_inside(monkeypatch):
    """Runs make their own mount+IPC namespaces with CAP_SYS_ADMIN held inside the sandbox's user
    namespace; nested user namespaces are refused by seccomp (bwrap's --disable-userns cannot be
    combined with the root path's --userns)."""
    monkeypatch.setattr(isolation, "make_root_userns", lambda: os.open("/dev/null", os.O_RDONLY))
    launch = isolation.bwrap_launch(Limits(), preload=[])
    try:
        assert "--disable-userns" not in launch.argv
        caps = [launch.argv[i + 1] for i, a in enumerate(launch.argv) if a == "--cap-add"]
        assert {"CAP_SYS_ADMIN", "CAP_SETPCAP"} <= set(caps) <= {"CAP_SYS_ADMIN", "CAP_SETPCAP",
                                                                 "CAP_SETUID", "CAP_SETGID"}
        assert "--unshare-user" in launch.argv or "--userns" in launch.argv
    finally:
        for fd in launch.close_after_start:
            os.close(fd)
        if launch.cgroup:
            isolation.remove_cgroup(launch.cgroup)


def test_memory_ceiling_is_a_cgroup_or_says_why_not():
    path, record = isolation.memory_cgroup(256)
    if path is None:
        assert record.startswith("per-process limits only (") and record.endswith(")")
    else:
        try:
            assert record == "cgroup v2 memory.max=256MiB for the whole sandbox"
            assert open(os.path.join(path, "memory.max")).read().strip() == str(256 << 20)
        finally:
            isolation.remove_cgroup(path)
    described = isolation.describe("rlimits", Limits(), {}, record)
    assert f"memory ceiling: {record}" in described


def test_a_reply_line_comes_in_as_valid_unicode():
    from steplabel.verifiers.code.sandbox import loads_reply

    assert loads_reply(b'{"a":"\\ud800x","b":["\\uD83D\\uDE00", "\\udfff"]}') == {"a": "\ufffdx", "b": ["\U0001f600", "\ufffd"]}
    assert loads_reply(b'{"a":"\\\\ud800"}') == {"a": "\\ud800"}  # a backslash, then letters: text as it is
    assert loads_reply(b'{"results":[{"name":"t","output":"\\u00e9"}]}') == {"results": [{"name": "t", "output": "\u00e9"}]}
