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


def test_an_argument_tag_is_the_callers_own_object():
    mine = [3, 1, 2]
    back = wire.loads(b'{"t":[{"a":0},{"a":0}]}', argument=lambda key: mine)
    assert back[0] is mine and back[1] is mine


def test_arguments_returned_as_themselves_are_encoded_as_tags():
    arg = [1, 2]
    assert wire.encode([arg, [1, 2]], known={id(arg): {"a": 0}}) == [{"a": 0}, [1, 2]]


def test_malformed_messages_are_wire_errors():
    for bad in (b'{"x": 1}', b'{"t": 1}', b'{"d": [[1]]}', b'{"b": "***"}', b'[', b'{"h": "1", "k": 2}'):
        with pytest.raises(wire.WireError):
            wire.loads(bad, make_handle=lambda n, what: (n, what))
