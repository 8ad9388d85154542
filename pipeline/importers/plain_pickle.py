"""Reading a pickle that holds only plain data, without letting it run anything.

LiveCodeBench ships its private tests as base64 of zlib of a pickle of a JSON string. A pickle is a
program for a small machine whose instructions can import any callable and call it, so
`pickle.loads` on downloaded bytes runs whatever the file says. Here a pickle is read in two
passes: `pickletools.genops` walks its opcodes without executing them and refuses every one that
is not in `PLAIN` (strings, lists, dicts, tuples, numbers, None, booleans, and the framing and memo
bookkeeping); then an unpickler whose `find_class` and `persistent_load` refuse everything builds
the value. No opcode that could name a global, call, build an object or reach out-of-band
buffers gets through either pass.
"""
from __future__ import annotations

import io
import pickle
import pickletools
from typing import Any, NoReturn

PLAIN = frozenset({
    "PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP",
    "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET",
    "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    "EMPTY_LIST", "APPEND", "APPENDS", "LIST",
    "EMPTY_DICT", "SETITEM", "SETITEMS", "DICT",
    "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "NONE", "NEWTRUE", "NEWFALSE",
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
})


class UnsafePickle(ValueError):
    """The bytes are not a pickle of plain data (or not a pickle at all)."""


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> NoReturn:
        raise UnsafePickle(f"the pickle names {module}.{name}; only plain data is read")

    def persistent_load(self, pid: Any) -> NoReturn:
        raise UnsafePickle("the pickle refers to a persistent object; only plain data is read")


def loads_plain(data: bytes) -> Any:
    """The plain value a pickle holds; `UnsafePickle` for anything else, before any of it runs."""
    try:
        for opcode, _, at in pickletools.genops(data):
            if opcode.name not in PLAIN:
                raise UnsafePickle(f"opcode {opcode.name} at byte {at}: only plain data "
                                   "(strings, lists, dicts, numbers) is read")
    except UnsafePickle:
        raise
    except Exception as exc:  # genops on bytes that are not a pickle: ValueError, struct.error, ...
        raise UnsafePickle(f"not a pickle ({type(exc).__name__}: {exc})") from None
    try:
        return _NoGlobals(io.BytesIO(data)).load()
    except UnsafePickle:
        raise
    except Exception as exc:  # a well-formed stream of plain opcodes that still does not load
        raise UnsafePickle(f"the pickle does not load ({type(exc).__name__}: {exc})") from None
