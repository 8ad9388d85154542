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
    {"l": [key, [...]]} {"D": [key, [[k, v], ...]]} {"S": [key, [...]]}  a list, dict or set shared
                           by both processes under `key` for the run (see `Shared`)
    {"B": [key, "base64"]} a bytearray, shared the same way
    {"r": key}             that shared container again, within one message (aliasing: [[0] * 3] * 3)
    {"nan": 0}             math.nan itself (lists and sets compare items by identity first)
    {"q": [n, d]}          a fractions.Fraction     {"nt": ["Point", ["x", "y"], [...]]} a namedtuple,
                           rebuilt with the receiver's own `fractions` and `collections`
    {"m": "name"}          a module the program imported (the tests use their own copy)
    {"o": ["module", "qualname"]}  a function or class the program imported from a module (the
                           tests get their own copy, or SKIP: never the program's object)

Stdlib only: this module also runs inside the sandbox (see `server.py`).
"""
from __future__ import annotations

import base64
import collections
import fractions
import json
import marshal
import math
import sys
from types import ModuleType
from typing import Any, Callable, Optional

MAX_DEPTH = 100
MAX_NODES = 2_000_000
MAX_BYTES = 32 << 20  # one message
BIG_INT_BITS = 4096  # above this an int travels as hex (JSON text would need > 1,200 digits)


SKIP = object()  # a module (or a module's object) the tests do not get
MUTABLE = (list, dict, set, bytearray)  # what `Shared` gives one identity on both sides
NAN = math.nan
_NAMEDTUPLES: dict[tuple, type] = {}  # (name, fields) -> the class this side made for them


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


class Shared:
    """The lists, dicts and sets that crossed between the two processes in this run, each under one
    key on both sides, so that a container keeps its identity as it would in one process: the
    same object every time it comes back, aliasing intact (`[[0] * 3] * 3`), and a change made on
    one side reaching the other side's object, in place, when it next crosses. Each side numbers
    the containers it sends first (the test process 1, 2, ...; the program's process -1, -2, ...).
    A container only this registry still holds is let go (`prune`): nothing can change or see it."""

    def __init__(self, sign: int) -> None:
        self.sign, self.made = sign, 0
        self.objects: dict[int, Any] = {}  # key -> the container on this side
        self.keys: dict[int, int] = {}  # id(container) -> key
        self.sent: dict[int, Any] = {}  # key -> its content as it last crossed (encoded), where watched

    def key(self, obj: Any) -> int:
        key = self.keys.get(id(obj))
        if key is None:
            self.made += 1
            key = self.sign * self.made
            self.objects[key], self.keys[id(obj)] = obj, key
        return key

    def bind(self, key: int, value: Any) -> Any:
        """The container `key` with the content that crossed: this side's own object, updated in
        place, when it has one; otherwise `value`, from now on under that key."""
        obj = self.objects.get(key)
        if obj is None:
            self.objects[key], self.keys[id(value)] = value, key
            return value
        if type(obj) is not type(value):
            raise WireError("a shared container that changed its type")
        if type(obj) is list or type(obj) is bytearray:
            obj[:] = value
        else:
            obj.clear()
            obj.update(value)
        return obj

    def get(self, key: int) -> Any:
        if key not in self.objects:
            raise WireError("a reference to a container that never crossed")
        return self.objects[key]

    def watch(self, value: Any, handle: Optional[Callable[[Any], Any]] = None, encoded: Any = None) -> None:
        """Note a list, dict or set as it is now (see `changes`; `encoded`, when the caller has it)."""
        if type(value) in MUTABLE:
            try:
                note = fingerprint(value)
                self.sent[self.key(value)] = note if note is not None else \
                    _text(encoded if encoded is not None else encode(value, handle, self))
            except NotPlain:
                pass

    def changes(self, handle: Optional[Callable[[Any], Any]] = None) -> tuple[list, list]:
        """(each watched container that changed since it was noted, encoded as it is now and noted
        so; the keys of those changed beyond what plain data can carry, no longer watched). Values
        compare exactly, not by `==`: 1 that became True, 1.0 or -0.0 is a change. A container of
        scalars only compares by its fingerprint; any other by its encoded text."""
        changed, lost = [], []
        for key, before in list(self.sent.items()):
            obj = self.objects[key]
            note = fingerprint(obj)
            if note is not None and note == before:
                continue
            try:
                now = encode(obj, handle, self)
                if note is None:
                    note = _text(now)
            except NotPlain:
                lost.append(key)
                del self.sent[key]
                continue
            if note != before:
                changed.append(now)
                self.sent[key] = note
        return changed, lost

    def keep(self, keys: Any) -> None:
        """Watch only these keys from now on (those the other side still holds too)."""
        if not self.sent:
            return
        wanted = set(k for k in keys if type(k) is int) if type(keys) is list else set()
        for key in [k for k in self.sent if k not in wanted]:
            del self.sent[key]

    def prune(self) -> None:
        """Let go of every container nothing but this registry holds (oldest first: a sender keys
        a container before those inside it, which it holds until it goes)."""
        for key in sorted(self.objects, key=abs) if self.objects else ():
            if sys.getrefcount(self.objects[key]) <= 2:  # this registry's reference and the argument's
                del self.keys[id(self.objects.pop(key))]
                self.sent.pop(key, None)


_SCALARS = (int, str, bool, type(None))  # (and float, which has math.nan to mind)
_SCALAR_TYPES = frozenset({*_SCALARS, float})


def fingerprint(x: Any) -> Optional[bytes]:
    """A list, dict, set or bytearray that holds only scalars, as marshal writes it: exact types
    and values, at C speed, so equal bytes mean no change. None when anything else is inside (a
    container, whose identity counts too; an object; `math.nan` itself, whose identity counts)."""
    t = type(x)
    if t is bytearray:
        return b"B" + bytes(x)
    types = set(map(type, x))
    if t is dict:
        types.update(map(type, x.values()))
    if not types <= _SCALAR_TYPES or float in types and (NAN in x or t is dict and NAN in x.values()):
        return None
    return marshal.dumps(x)


def encode(value: Any, handle: Optional[Callable[[Any], Any]] = None, shared: Optional[Shared] = None) -> Any:
    """A JSON-able form of `value`. Containers and scalars of builtin types (and their subclasses,
    read as the base type; numpy values through `.tolist()`) are data; anything else becomes
    `handle(obj)` (a handle tag) or, without `handle`, raises NotPlain. With `shared`, every list,
    dict and set goes under its shared key (once per message, then as a reference); a container
    inside itself is not plain data."""
    nodes = [0]
    inside: set[int] = set()  # containers being encoded
    done: set[int] = set()  # keys already encoded in this message

    def keyed(x: Any, t: type, depth: int) -> Any:
        key = shared.key(x)  # type: ignore[union-attr]
        if key in done:
            return {"r": key}
        if id(x) in inside:
            raise NotPlain("a container inside itself")
        inside.add(id(x))
        if t is list:
            body: Any = {"l": [key, [walk(v, depth + 1) for v in x]]}
        elif t is dict:
            body = {"D": [key, [[walk(k, depth + 1), walk(v, depth + 1)] for k, v in x.items()]]}
        elif t is bytearray:
            body = {"B": [key, base64.b64encode(x).decode("ascii")]}
        else:
            body = {"S": [key, [walk(v, depth + 1) for v in x]]}
        inside.discard(id(x))
        done.add(key)
        return body

    def walk(x: Any, depth: int) -> Any:
        nodes[0] += 1
        if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
            raise NotPlain("nested too deeply or too large")
        t = type(x)
        if t is float:
            return {"nan": 0} if x is NAN else x
        if t is str or t is bool or x is None:
            return x
        if t is int:
            return x if x.bit_length() <= BIG_INT_BITS else {"i": hex(x)}
        if shared is not None and t in MUTABLE:
            return keyed(x, t, depth)
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
        if t is fractions.Fraction:
            return {"q": [walk(x.numerator, depth + 1), walk(x.denominator, depth + 1)]}
        fields = getattr(t, "_fields", None) if isinstance(x, tuple) else None
        if type(fields) is tuple and all(type(f) is str for f in fields) and type(t.__name__) is str:
            return {"nt": [t.__name__, list(fields), [walk(v, depth + 1) for v in tuple.__iter__(x)]]}
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
    """An already encoded value (acyclic: `encode` refuses a cycle) as message bytes, within the
    size cap."""
    return _text(encoded).encode("ascii")


def _text(encoded: Any) -> str:
    text = "".join(_ENCODE(encoded, 0)) if _ENCODE is not None else _ENCODER.encode(encoded)
    if len(text) > MAX_BYTES:
        raise NotPlain(f"over {MAX_BYTES >> 20} MB as data")
    return text


def _hook(obj: dict) -> Any:
    """Each JSON object of a message as the value its tag stands for (see the module's docstring),
    with the handle maker, module lookup and shared containers of the `loads` under way."""
    make_handle, module, shared = _context
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
    if tag in ("l", "D", "S") and shared is not None and type(body) is list and len(body) == 2 \
            and type(body[0]) is int and type(body[1]) is list:
        key, items = body
        if tag == "D" and not all(type(p) is list and len(p) == 2 for p in items):
            raise WireError("a malformed dict")
        return shared.bind(key, items if tag == "l" else {k: v for k, v in items} if tag == "D" else set(items))
    if tag == "B" and shared is not None and type(body) is list and len(body) == 2 and type(body[0]) is int \
            and type(body[1]) is str:
        return shared.bind(body[0], bytearray(base64.b64decode(body[1].encode("ascii"), validate=True)))
    if tag == "r" and type(body) is int and shared is not None:
        return shared.get(body)
    if tag == "nan" and body == 0:
        return NAN
    if tag == "q" and type(body) is list and len(body) == 2 and all(type(v) is int for v in body):
        return fractions.Fraction(*body)
    if tag == "nt" and type(body) is list and len(body) == 3 and type(body[0]) is str and type(body[2]) is list \
            and type(body[1]) is list and all(type(f) is str for f in body[1]):
        return namedtuple_class(body[0], tuple(body[1]))(*body[2])
    if tag == "m" and type(body) is str and module is not None:
        return module(body)
    if tag == "o" and type(body) is list and len(body) == 2 and all(type(b) is str for b in body) \
            and module is not None:
        return module_object(module(body[0]), body[1])
    raise WireError(f"an unknown or malformed tag {tag!r}")


# One encoder and one decoder for every message: json.dumps and json.loads given options build a
# new one per call, which costs more than encoding or parsing a call's message. The encoder is
# the stdlib's C one as json.dumps makes it, without its cycle check (nothing encoded is cyclic).
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))
_ENCODE = None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
_DECODER = json.JSONDecoder(object_hook=_hook)
_context: tuple = (None, None, None)  # (make_handle, module, shared) of the `loads` under way


def _parse(decoder: json.JSONDecoder, text: str) -> Any:
    """One JSON value that is the whole of `text` (JSONDecoder.decode, without its two whitespace
    searches: no message here has any around it)."""
    try:
        value, end = decoder.scan_once(text, 0)
    except StopIteration as exc:
        raise ValueError(f"no JSON value at {exc.value}") from None
    if end != len(text):
        raise ValueError(f"extra data at {end}")
    return value


def namedtuple_class(name: str, fields: tuple) -> type:
    """This side's own namedtuple class for that name and those fields (one per pair, so results
    are of one type; tuples compare as tuples whatever their class)."""
    cls = _NAMEDTUPLES.get((name, fields))
    if cls is None:
        if len(_NAMEDTUPLES) >= 1024:
            _NAMEDTUPLES.clear()
        cls = _NAMEDTUPLES[(name, fields)] = collections.namedtuple(name, fields)
    return cls


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


# The common call, both ways in short form: a request whose arguments are scalars, tuples of
# scalars and lists, dicts and sets of scalars, while the two processes share no other container,
# goes as CALL + marshal of (handle number, arguments, [[index, shared key], ...] of its
# containers) (marshal travels only towards the program, never from it); an answer that is a
# scalar, or a tuple of scalars, with nothing changed and nothing held, comes back as VALUE (or
# TUPLE) + its JSON text, parsed with no tags at all.
CALL, VALUE, TUPLE = b"C", b"V", b"T"
_PLAIN = json.JSONDecoder()


def short_arguments(values: Any) -> Optional[list[int]]:
    """The positions of the lists, dicts and sets among a call's arguments when it can go in short
    form (every argument a scalar, a tuple of scalars, or a list, dict or set of scalars; none of
    them `math.nan` itself, which travels tagged to keep its identity); None when it cannot."""
    shared = []
    for i, v in enumerate(values):
        t = type(v)
        if t is float:
            if v is NAN:
                return None
        elif t in _SCALARS:
            continue
        elif t is list or t is dict or t is set:
            if fingerprint(v) is None:
                return None
            shared.append(i)
        elif t is not tuple or fingerprint(list(v)) is None:
            return None
    return shared


def full_answer(message: bytes) -> bytes:
    """A short-form answer in the full form (the program kept an argument: it must say so)."""
    value = message[1:]
    return b'{"d":[["v",' + (value if message[:1] == VALUE else b'{"t":' + value + b"}") + b"]]}"


def _short(value: Any) -> bool:
    t = type(value)
    return t in _SCALARS and (t is not int or value.bit_length() <= BIG_INT_BITS) or t is float and value is not NAN


def short_answer(value: Any) -> Optional[bytes]:
    """The short form of an answer that is a scalar or a tuple of scalars (None if it is not)."""
    if _short(value):
        return VALUE + to_bytes(value)
    if type(value) is tuple and len(value) <= 4096 and all(_short(v) for v in value):
        return TUPLE + to_bytes(list(value))
    return None


def read_short_answer(message: bytes) -> Any:
    """The scalar (or tuple of scalars) a short-form answer carries; WireError for anything else
    (the program's process writes these bytes: anything more here is malformed, never data)."""
    if len(message) > MAX_BYTES:
        raise WireError(f"a message over {MAX_BYTES >> 20} MB")
    try:
        value = _parse(_PLAIN, message[1:].decode("ascii"))
    except (ValueError, TypeError, ArithmeticError, RecursionError, UnicodeDecodeError, MemoryError) as exc:
        raise WireError(f"not a plain value: {type(exc).__name__}: {str(exc)[:200]}") from None
    if message[:1] == TUPLE and type(value) is list and all(type(v) in _SCALAR_TYPES for v in value):
        return tuple(value)
    if message[:1] == VALUE and type(value) in _SCALAR_TYPES:
        return value
    raise WireError("a short answer that is not a scalar or a tuple of scalars")


def with_field(message: bytes, name: str, value: Any) -> bytes:
    """A message as `to_bytes` writes a dict ({"d":[...]}, never empty), with one more field."""
    return message[:-2] + b"," + to_bytes([name, value]) + b"]}"


def loads(data: bytes, make_handle: Optional[Callable[[int, str], Any]] = None,
          module: Optional[Callable[[str], Any]] = None, shared: Optional[Shared] = None) -> Any:
    """Rebuild a value from `dumps` bytes as exactly builtin types (plus what `make_handle` and
    `module` return for handle and module tags; shared containers are this side's own, see
    `Shared`). Raises WireError on anything else."""
    if len(data) > MAX_BYTES:
        raise WireError(f"a message over {MAX_BYTES >> 20} MB")
    global _context
    _context = (make_handle, module, shared)
    try:
        return _parse(_DECODER, data.decode("ascii"))
    except WireError:
        raise
    except (ValueError, TypeError, ArithmeticError, RecursionError, UnicodeDecodeError, MemoryError) as exc:
        raise WireError(f"not a plain value: {type(exc).__name__}: {str(exc)[:200]}") from None
    finally:
        _context = (None, None, None)
