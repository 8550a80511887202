"""schemas.jcs against the rfc8785 library, the reference: the same bytes or the same error."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import jcs
from schemas.publish import PUBLISHED, SIGNING_VECTORS_FILE
from schemas.signing import signed_bytes

every_char = st.characters(codec=None, categories=None)  # surrogates and controls included
texts = st.text(every_char) | st.text(st.sampled_from('a"\\\b\f\n\r\t\x00\x1f\x7fé€😀'))
keys = texts | st.text(st.characters(codec="ascii"))
EDGES = [0.0, -0.0, 1e16, 1e21, 1e-7, 1e-6, 5e-324, 1.7976931348623157e308, 100.0, 2.5, -1e-5]
floats = st.floats() | st.floats(min_value=1e-8, max_value=1e22) | st.sampled_from(EDGES)
integers = (
    st.integers()
    | st.integers(min_value=-(2**53) - 2, max_value=-(2**53) + 2)
    | (st.integers(min_value=2**53 - 2, max_value=2**53 + 2))
)
scalars = st.none() | st.booleans() | integers | floats | texts
odd = st.sampled_from([b"x", Decimal("1.5"), {1: "a"}, {"k": object()}, {(1,): 2}, math.nan])
values = st.recursive(
    scalars | odd,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=5)
    ),
    max_leaves=30,
)


def outcome(dumps: Any, value: Any) -> tuple[str, Any]:
    try:
        return "bytes", dumps(value)
    except Exception as exc:  # the same exception type is part of the contract
        return "error", type(exc)


@settings(max_examples=3000)
@given(values)
def test_the_same_bytes_or_the_same_error_as_rfc8785(value: Any) -> None:
    assert outcome(jcs.dumps, value) == outcome(rfc8785.dumps, value)


@given(st.dictionaries(st.text(st.sampled_from("a~\x7f\u00e9\ud7ff\ue000\uffff\U0001f600"),
                             max_size=3), st.none(), max_size=6))  # fmt: skip
def test_keys_in_utf16_order_as_rfc8785_sorts_them(value: dict[str, None]) -> None:
    """Above U+FFFF, UTF-16 order is not code point order (U+1F600 sorts before U+E000)."""
    assert jcs.dumps(value) == rfc8785.dumps(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_as_rfc8785_writes_it(number: float) -> None:
    assert jcs.dumps([number, -number]) == rfc8785.dumps([number, -number])


def test_plain_messages_do_not_reach_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the module: an ordinary message is written without the library."""
    data = {"lat": 18.5392, "lon": -72.3364, "n": 3, "ok": True, "x": None, "t": 100.0,
            "households": [{"persons": 4, "needs": ["shelter"]}]}  # fmt: skip
    plain: dict[str, Any] = {"data": data, "id": "ev-1", "note": 'tab\there "quoted" é'}
    expected = rfc8785.dumps(plain)

    def refuse(_: Any) -> bytes:
        raise AssertionError("the reference was called")

    monkeypatch.setattr(rfc8785, "dumps", refuse)
    assert jcs.dumps(plain) == expected


def test_published_vectors_still_sign() -> None:
    """The vectors partners check their code with are the bytes intake computes."""
    from schemas.codec import decode

    vectors = orjson.loads((PUBLISHED / SIGNING_VECTORS_FILE).read_bytes())
    for vector in vectors:
        event = decode(orjson.dumps({**vector["event"], "corridorsig": vector["signature"]}))
        assert signed_bytes(event).decode() == vector["signed_bytes"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=2000)
@given(json_values)
def test_what_a_message_decodes_to_as_rfc8785_writes_it(value: Any) -> None:
    """The gate signs what orjson.loads returned: the fast path's inputs."""
    try:
        loaded = orjson.loads(orjson.dumps(value))
    except orjson.JSONEncodeError:  # a lone surrogate: no message decodes to it
        return
    assert outcome(jcs.dumps, loaded) == outcome(rfc8785.dumps, loaded)


def test_floats_are_written_as_the_reference_writes_them_inside_orjson() -> None:
    value = {"b": [1.0, -0.0, 2.5, {"x": 100.0}], "a": (0.1, 3), "c": 18.5392}
    assert (
        jcs.dumps(value)
        == rfc8785.dumps(value)
        == b'{"a":[0.1,3],"b":[1,0,2.5,{"x":100}],"c":18.5392}'
    )
