"""The typed data encoding between the program's process and the test process (inside/wire.py)."""
from __future__ import annotations

import math
import sys

import pytest

from steplabel.verifiers.code.inside import wire

SKIP = wire.SKIP


def own_module(name: str):
    """The test process's module lookup, as it answers `{"m": name}`: its own modules only."""
    return sys.modules.get(name, SKIP)


def test_plain_values_round_trip_as_exactly_builtin_types():
    value = {"a": (1, 2.5, {3}, frozenset({4}), b"x", None, 1 + 2j), "big": 1 << 5000, "nan": [math.inf]}
    back = wire.loads(wire.dumps(value))
    assert back == value and type(back["a"]) is tuple and type(back["a"][2]) is set


def test_an_imported_function_or_class_is_the_test_processs_own():
    assert wire.loads(b'{"o":["math","isclose"]}', module=own_module) is math.isclose
    import collections
    assert wire.loads(b'{"o":["collections","Counter"]}', module=own_module) is collections.Counter


@pytest.mark.parametrize("body", ['["sys","path"]', '["math","pi"]', '["os","_exit"]', '["math","isclose.__globals__"]',
                                  '["os","path"]', '["nowhere","x"]'])
def test_data_private_names_and_modules_never_come_through_an_object_tag(body):
    assert wire.loads(f'{{"o":{body}}}'.encode(), module=own_module) is SKIP


def test_a_shared_container_is_one_object_on_the_receiving_side():
    sender, receiver = wire.Shared(1), wire.Shared(-1)
    row = [0, 0]
    grid = wire.loads(wire.to_bytes(wire.encode([row, row], shared=sender)), shared=receiver)
    assert grid == [[0, 0], [0, 0]] and grid[0] is grid[1]  # aliasing kept
    grid[0][0] = 1
    assert grid[1][0] == 1


def test_a_container_that_crosses_again_is_updated_in_place():
    sender, receiver = wire.Shared(1), wire.Shared(-1)
    mine = [3, 1, 2]
    theirs = wire.loads(wire.to_bytes(wire.encode(mine, shared=sender)), shared=receiver)
    theirs.sort()
    back = wire.loads(wire.to_bytes(wire.encode(theirs, shared=receiver)), shared=sender)
    assert back is mine and mine == [1, 2, 3]


def test_a_container_inside_itself_is_not_plain_data():
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(wire.NotPlain):
        wire.encode(loop, shared=wire.Shared(1))


def test_references_and_keys_that_never_crossed_are_wire_errors():
    for bad in (b'{"r":7}', b'{"l":[1,[1]],"x":1}', b'{"D":[1,[[1]]]}', b'{"l":["1",[]]}'):
        with pytest.raises(wire.WireError):
            wire.loads(bad, shared=wire.Shared(1))
    receiver = wire.Shared(1)
    wire.loads(b'{"l":[-1,[1]]}', shared=receiver)
    with pytest.raises(wire.WireError):  # a list may not come back as a dict
        wire.loads(b'{"D":[-1,[]]}', shared=receiver)


def test_what_only_the_registry_holds_is_let_go():
    shared = wire.Shared(1)
    kept = [[1], [2]]
    wire.encode(kept, shared=shared)
    wire.encode([[3]], shared=shared)
    shared.prune()
    assert sorted(map(id, shared.objects.values())) == sorted(map(id, [kept, *kept]))


def test_value_types_rebuilt_with_the_receivers_own_modules():
    import collections
    import fractions
    point = collections.namedtuple("Point", "x y")(1, 2)
    back = wire.loads(wire.dumps([math.nan, fractions.Fraction(3, 2), point, float("nan")]))
    assert back[0] is math.nan and back[3] is not math.nan and back[3] != back[3]
    assert back[1] == fractions.Fraction(3, 2) and type(back[1]) is fractions.Fraction
    assert back[2] == (1, 2) and back[2].y == 2 and type(back[2]).__name__ == "Point"
    again = wire.loads(wire.dumps(point))
    assert type(again) is type(back[2])


def test_a_bytearray_is_shared_and_changed_in_place():
    sender, receiver = wire.Shared(1), wire.Shared(-1)
    mine = bytearray(b"ab")
    theirs = wire.loads(wire.to_bytes(wire.encode(mine, shared=sender)), shared=receiver)
    theirs[0] = 0
    assert wire.loads(wire.to_bytes(wire.encode(theirs, shared=receiver)), shared=sender) is mine
    assert mine == bytearray(b"\x00b")


def test_malformed_messages_are_wire_errors():
    for bad in (b'{"x": 1}', b'{"t": 1}', b'{"d": [[1]]}', b'{"b": "***"}', b'[', b'{"h": "1", "k": 2}',
                b'{"q": [1, 0]}', b'{"nt": ["a b", ["x"], [1]]}', b'{"nt": ["P", ["x"], [1, 2]]}'):
        with pytest.raises(wire.WireError):
            wire.loads(bad, make_handle=lambda n, what: (n, what))


# --- the short form of a call and its answer ------------------------------------------------------

def test_what_a_short_call_carries():
    import enum

    class Level(enum.IntEnum):
        LOW = 1

    assert wire.short_arguments([1, "a", True, None, 2.5, float("nan"), 1 << 5000, -math.inf]) == []
    assert wire.short_arguments([[1, 2], 3, {"a": 1}, {2.5}, (1, "x"), []]) == [0, 2, 3, 5]
    for other in ([[1]], ([1],), {"a": [1]}, b"x", bytearray(b"x"), 1j, math.nan, [math.nan], (math.nan,),
                  {"k": math.nan}, Level.LOW, [Level.LOW], object()):
        assert wire.short_arguments([1, other]) is None, other


def test_a_short_answer_in_the_full_form_is_the_same_value():
    for value in (3, "x", None, (1, "a"), ()):
        full = wire.loads(wire.full_answer(wire.short_answer(value)))
        assert full == {"v": value} and type(full["v"]) is type(value)


@pytest.mark.parametrize("value", [0, -7, 1 << 4000, "", "tab\t\u00e9\ud800", True, False, None, 2.5, math.inf, -math.inf])
def test_a_scalar_answer_in_short_form_comes_back_as_exactly_that_value(value):
    message = wire.short_answer(value)
    assert message is not None and message[:1] == wire.VALUE
    back = wire.read_short_answer(message)
    assert back == value and type(back) is type(value)


def test_a_short_answer_of_nan_is_a_float_nan():
    back = wire.read_short_answer(wire.short_answer(float("nan")))
    assert type(back) is float and back != back


def test_a_tuple_of_scalars_in_short_form_comes_back_as_a_tuple():
    for value in [(), (1, "a", None, 2.5, True), (math.inf,) * 3]:
        message = wire.short_answer(value)
        assert message is not None and message[:1] == wire.TUPLE
        back = wire.read_short_answer(message)
        assert back == value and type(back) is tuple and [type(v) for v in back] == [type(v) for v in value]


@pytest.mark.parametrize("value", [[1], ((1,),), ([1],), (math.nan,), {"a": 1}, {1}, b"x", 1j, math.nan, 1 << 5000,
                                   (1 << 5000,), object()])
def test_anything_but_a_scalar_answers_in_full(value):
    assert wire.short_answer(value) is None


@pytest.mark.parametrize("message", [b"V[1]", b'V{"h":1,"k":""}', b'V{"t":[1]}', b"V", b"Vfoo", b"V1 2",
                                     b"V" + b"[" * 100_000, b'V"\xff"', b"T1", b"T[[1]]", b'T[{"h":1,"k":""}]',
                                     b"T[1,[2]]", b"X1"])
def test_a_short_answer_that_is_not_one_scalar_is_malformed(message):
    with pytest.raises(wire.WireError):
        wire.read_short_answer(message)


# --- what counts as a change of a watched container -------------------------------------------

def _changed_after(value, change) -> bool:
    shared = wire.Shared(1)
    shared.watch(value)
    change(value)
    changed, lost = shared.changes()
    assert not lost
    return bool(changed)


@pytest.mark.parametrize("value, change", [
    ([1, 2], lambda x: x.__setitem__(0, True)),           # 1 -> True: equal, yet another value
    ([1, 2], lambda x: x.__setitem__(0, 1.0)),            # 1 -> 1.0
    ([0.0], lambda x: x.__setitem__(0, -0.0)),
    ([1, 2], lambda x: x.append(3)),
    ({"a": 1, "b": 2}, lambda x: x.update({"a": x.pop("a")})),  # the same items in another order
    ({"a": 1}, lambda x: x.__setitem__("a", "1")),
    ({1, 2}, lambda x: x.add(3)),
    (bytearray(b"ab"), lambda x: x.__setitem__(0, 0)),
    ([math.nan], lambda x: x.__setitem__(0, float("nan"))),  # math.nan's identity counts
    ([[1], [2]], lambda x: x.__setitem__(0, [1])),       # a row replaced by an equal new one
    ([[1]], lambda x: x[0].append(2)),
    ([[1]], lambda x: x[0].__setitem__(0, True)),         # inside a row, exactly too
    ({"a": [0.0]}, lambda x: x["a"].__setitem__(0, -0.0)),
])
def test_every_change_of_a_watched_container_is_found(value, change):
    assert _changed_after(value, change)


@pytest.mark.parametrize("value", [[1, "a", None, 2.5, True], {"a": [1]}, {1, 2}, bytearray(b"x"), [[1], [1]], []])
def test_a_container_left_alone_has_not_changed(value):
    assert not _changed_after(value, lambda x: None)
