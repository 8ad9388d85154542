"""Plain data across the process boundary: the only form in which values leave the program.

Why our own encoding: pickle and marshal rebuild whatever the bytes describe (objects whose
`__eq__` the program chose, code objects), so nothing the program writes is ever unpickled.
JSON text is parsed by the stdlib's C scanner into builtin types only; a few one-key tags carry
what JSON lacks. A decoded value is built solely of exactly these types:

    None bool int float(nan, inf) complex str bytes list tuple dict set frozenset

Tags (a JSON object always has exactly one of these keys; a dict travels as a tagged pair list):
    {"t": [...]} tuple   {"s": [...]} set     {"f": [...]} frozenset   {"d": [[k, v], ...]} dict
    {"b": "base64"} bytes  {"c": [re, im]} complex  {"i": "hex"} a big int (JSON text caps digits)
    {"h": n, "k": "what"}  a handle: an object that stays in the program's process
    {"a": 0} / {"a": "key"} the call's own argument (positional or keyword), returned as itself
    {"m": "name"}          a module the program imported (the tests use their own copy)
    {"o": ["module", "qualname"]}  a function or class the program imported from a module (the
                           tests get their own copy, or SKIP: never the program's object)

Stdlib only: this module also runs inside the sandbox (see `server.py`).
"""
from __future__ import annotations

import base64
import json
from types import ModuleType
from typing import Any, Callable, Optional

MAX_DEPTH = 100
MAX_NODES = 2_000_000
MAX_BYTES = 32 << 20  # one message
BIG_INT_BITS = 4096  # above this an int travels as hex (JSON text would need > 1,200 digits)


SKIP = object()  # a module (or a module's object) the tests do not get


class NotPlain(ValueError):
    """A value that is not plain data (or is over the caps)."""


class WireError(ValueError):
    """Bytes that are not a well-formed message."""


def _builtin_view(x: Any) -> tuple[Optional[type], Any]:
    """(builtin base, the value as that exact type) for an instance of a subclass of a plain type
    (IntEnum, a str subclass, numpy's float64, namedtuple, Counter, OrderedDict), or (None, x).
    The base type's own slots read the value, so an overridden `__iter__` or `__int__` is not asked."""
    for base, read in ((bool, bool), (int, int.__index__), (float, float.__float__), (str, str.__str__),
                       (bytes, bytes), (bytearray, bytes), (complex, complex.__complex__), (tuple, tuple.__iter__),
                       (list, list.__iter__), (dict, dict.items), (frozenset, frozenset.__iter__),
                       (set, set.__iter__)):
        if isinstance(x, base):
            value = read(x)
            if base in (tuple, list, frozenset, set, dict):
                value = list(value)
            return (bytes if base is bytearray else base), value
    return None, x


def encode(value: Any, handle: Optional[Callable[[Any], Any]] = None,
           known: Optional[dict[int, Any]] = None) -> Any:
    """A JSON-able form of `value`. Containers and scalars of builtin types (and their subclasses,
    read as the base type; numpy values through `.tolist()`) are data; anything else becomes
    `handle(obj)` (a handle tag) or, without `handle`, raises NotPlain. `known`: objects (by id)
    sent as the given tag instead (a call's arguments returned as themselves)."""
    nodes = [0]

    def walk(x: Any, depth: int) -> Any:
        nodes[0] += 1
        if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
            raise NotPlain("nested too deeply or too large")
        if known and id(x) in known:
            return known[id(x)]
        t = type(x)
        if t is str or t is float or t is bool or x is None:
            return x
        if t is int:
            return x if x.bit_length() <= BIG_INT_BITS else {"i": hex(x)}
        if t is list:
            return [walk(v, depth + 1) for v in x]
        if t is tuple:
            return {"t": [walk(v, depth + 1) for v in x]}
        if t is dict:
            return {"d": [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in x.items()]}
        if t is set or t is frozenset:
            return {("s" if t is set else "f"): [walk(v, depth + 1) for v in x]}
        if t is bytes:
            return {"b": base64.b64encode(x).decode("ascii")}
        if t is complex:
            return {"c": [x.real, x.imag]}
        base, view = _builtin_view(x)
        if base is not None:
            if base is tuple or base is frozenset or base is set:
                return walk(base(view), depth)
            if base is dict:
                return walk(dict(view), depth)
            return walk(view, depth)
        if t.__module__.split(".")[0] == "numpy" and hasattr(x, "tolist"):
            return walk(x.tolist(), depth + 1)
        if isinstance(x, ModuleType) and type(x.__dict__.get("__name__")) is str:
            return {"m": x.__dict__["__name__"]}
        if handle is None:
            raise NotPlain(f"a {t.__name__} is not plain data")
        return handle(x)

    return walk(value, 0)


def dumps(value: Any, handle: Optional[Callable[[Any], Any]] = None) -> bytes:
    """`encode`, as bytes of JSON text (NaN and Infinity spelled as Python's json spells them)."""
    return to_bytes(encode(value, handle))


def to_bytes(encoded: Any) -> bytes:
    """An already encoded value as message bytes, within the size cap."""
    text = json.dumps(encoded, ensure_ascii=True, separators=(",", ":"))
    if len(text) > MAX_BYTES:
        raise NotPlain(f"over {MAX_BYTES >> 20} MB as data")
    return text.encode("ascii")


def _tagged(make_handle: Optional[Callable[[int, str], Any]], module: Optional[Callable[[str], Any]],
            argument: Optional[Callable[[Any], Any]] = None) -> Callable[[dict], Any]:
    def hook(obj: dict) -> Any:
        if len(obj) == 2 and "h" in obj and "k" in obj and make_handle is not None:
            n, what = obj["h"], obj["k"]
            if type(n) is not int or type(what) is not str:
                raise WireError("a malformed handle")
            return make_handle(n, what[:200])
        if len(obj) != 1:
            raise WireError("an object without exactly one tag")
        ((tag, body),) = obj.items()
        if tag in ("t", "s", "f") and type(body) is list:
            return tuple(body) if tag == "t" else set(body) if tag == "s" else frozenset(body)
        if tag == "d" and type(body) is list:
            if not all(type(p) is list and len(p) == 2 for p in body):
                raise WireError("a malformed dict")
            return {k: v for k, v in body}
        if tag == "b" and type(body) is str:
            return base64.b64decode(body.encode("ascii"), validate=True)
        if tag == "c" and type(body) is list and len(body) == 2 and all(type(v) in (int, float) for v in body):
            return complex(float(body[0]), float(body[1]))
        if tag == "i" and type(body) is str:
            return int(body, 16)
        if tag == "a" and type(body) in (int, str) and argument is not None:
            return argument(body)
        if tag == "m" and type(body) is str and module is not None:
            return module(body)
        if tag == "o" and type(body) is list and len(body) == 2 and all(type(b) is str for b in body) \
                and module is not None:
            return module_object(module(body[0]), body[1])
        raise WireError(f"an unknown or malformed tag {tag!r}")

    return hook


def module_object(owner: Any, qualname: str) -> Any:
    """`owner.<qualname>` for a module of this process's own when it is a function or class, or
    SKIP (private names, and data: a module's list handed to the tests could be changed by them)."""
    if not isinstance(owner, ModuleType):
        return SKIP
    value: Any = owner
    for part in qualname.split("."):
        if not part.isidentifier() or part.startswith("_"):
            return SKIP
        value = getattr(value, part, SKIP)
        if value is SKIP:
            return SKIP
    return value if callable(value) and not isinstance(value, ModuleType) else SKIP


def loads(data: bytes, make_handle: Optional[Callable[[int, str], Any]] = None,
          module: Optional[Callable[[str], Any]] = None, argument: Optional[Callable[[Any], Any]] = None) -> Any:
    """Rebuild a value from `dumps` bytes as exactly builtin types (plus what `make_handle` and
    `module` return for handle and module tags). Raises WireError on anything else."""
    if len(data) > MAX_BYTES:
        raise WireError(f"a message over {MAX_BYTES >> 20} MB")
    try:
        return json.loads(data.decode("ascii"), object_hook=_tagged(make_handle, module, argument))
    except WireError:
        raise
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError, MemoryError) as exc:
        raise WireError(f"not a plain value: {type(exc).__name__}: {str(exc)[:200]}") from None
