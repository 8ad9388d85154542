"""Worker process main: `python -m steplabel.verifiers.math.worker FD`.

Imports sympy once, then serves ("module:function", args) requests over the socket FD until the
parent closes it or kills the process (which is how deadlines are enforced). A parent that is
gone (closed, reset or broken connection) ends the worker quietly: that is its normal exit.
"""
from __future__ import annotations

import sys
from importlib import import_module
from multiprocessing.connection import Connection


def serve(fd: int) -> None:
    conn = Connection(fd)
    import_module("steplabel.verifiers.math.symbolic").warm()
    try:
        conn.send(("ready", None))
        while True:
            msg = conn.recv()
            if msg is None:
                return
            path, args = msg
            mod, _, name = path.partition(":")
            try:
                reply = ("ok", getattr(import_module(mod), name)(*args))
            except Exception as e:  # reported to the caller, who turns it into "unknown"
                reply = ("error", f"{type(e).__name__}: {e}"[:500])
            conn.send(reply)
    except (EOFError, OSError):  # the parent closed, reset or left the connection
        return


if __name__ == "__main__":
    serve(int(sys.argv[1]))
