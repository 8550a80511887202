"""The codec: every payload round-trips in both modes, byte for byte; bad bytes get a reason."""

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings

from schemas.codec import (
    MAX_VALUE_BYTES,
    canonical_json,
    decode,
    decode_binary,
    decode_structured,
    encode_binary,
    encode_structured,
    payload_of,
    to_event,
)
from schemas.envelope import CloudEvent
from schemas.errors import CodecError
from schemas.ingress import ShelterCapacityReport, UnknownCapacity
from schemas.region import RegionTick
from schemas.types import GeoPoint, Service
from tests.strategies import cloudevents

NOW = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
TICK = RegionTick(region_pcode="HT01", tick_at=NOW, sequence=7)


def event(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "corridor:partner:acme",
        "type": "org.corridor.region.tick.v1",
        "data": {"region_pcode": "HT01", "tick_at": "2024-05-01T08:30:00Z", "sequence": 7},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def reason_and_message(value: bytes, headers: list[tuple[str, bytes]] | None = None) -> str:
    with pytest.raises(CodecError) as caught:
        payload_of(decode(value, headers))
    return f"{caught.value.reason}: {caught.value.message}"


@settings(max_examples=300)
@given(cloudevents())
def test_structured_round_trip_is_exact(ce: CloudEvent) -> None:
    encoded = encode_structured(ce)
    decoded = decode(encoded)
    assert decoded == ce
    assert encode_structured(decoded) == encoded
    payload = payload_of(decoded)
    rebuilt = to_event(
        payload,
        id=ce.id,
        source=ce.source,
        time=ce.time,
        subject=ce.subject,
        extensions=ce.extensions,
    )
    assert payload_of(ce) == payload
    assert encode_structured(rebuilt) == encoded


@settings(max_examples=300)
@given(cloudevents())
def test_binary_round_trip_is_exact(ce: CloudEvent) -> None:
    value, headers = encode_binary(ce)
    decoded = decode(value, headers)
    assert decoded == ce
    assert encode_binary(decoded) == (value, headers)
    assert payload_of(decoded) == payload_of(ce)
    assert value == canonical_json(ce.data)


@given(cloudevents())
def test_modes_carry_the_same_event(ce: CloudEvent) -> None:
    value, headers = encode_binary(ce)
    assert decode_binary(value, headers) == decode_structured(encode_structured(ce))


def test_encoding_is_deterministic_and_sorted() -> None:
    ce = to_event(TICK, id="t", source="corridor:intake", time=NOW, subject="HT01")
    first = encode_structured(ce)
    assert first == encode_structured(ce)
    assert list(orjson.loads(first)) == sorted(orjson.loads(first))
    assert b'"time":"2024-05-01T08:30:00Z"' in first


def test_sets_encode_as_sorted_arrays() -> None:
    """Set iteration order changes with the hash seed; the bytes must not."""
    report = ShelterCapacityReport(
        shelter_id="s1",
        location=GeoPoint(lat=18.5, lon=-72.3),
        capacity=UnknownCapacity(),
        occupancy=0,
        services=frozenset(reversed(Service)),
        reported_at=NOW,
    )
    data = orjson.loads(encode_structured(to_event(report, id="r", source="s", time=None)))
    assert data["data"]["services"] == ["accessible", "child_protection", "health", "wash"]


def test_to_event_refuses_a_type_that_is_not_the_models() -> None:
    with pytest.raises(ValueError, match="is not the type of RegionTick"):
        to_event(TICK, id="t", source="s", type="org.corridor.displacement.alert.v1", time=None)


def test_partner_from_source() -> None:
    ce = to_event(TICK, id="t", source="corridor:partner:acme-ngo", time=None)
    assert ce.partner_from_source() == "acme-ngo"
    other = to_event(TICK, id="t", source="corridor:intake", time=None)
    assert other.partner_from_source() is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"not json", "malformed: not JSON"),
        (b"[1, 2]", "malformed: a CloudEvent must be a JSON object, not an array"),
        (b'"text"', "malformed: a CloudEvent must be a JSON object, not a string"),
        (b"", "malformed: empty message"),
        (orjson.dumps(event(specversion=None)), "invalid_envelope: specversion: Field required"),
        (
            orjson.dumps(event(specversion="0.3")),
            "invalid_envelope: specversion: Input should be '1.0'",
        ),
        (orjson.dumps(event(id=None)), "invalid_envelope: id: Field required"),
        (orjson.dumps(event(id="alert 1")), "invalid_envelope: id: String should match pattern"),
        (orjson.dumps(event(source="")), "invalid_envelope: source: String should match"),
        (orjson.dumps(event(time="2024-05-01T08:30:00")), "invalid_envelope: time: Input should"),
        (
            orjson.dumps(event(type="org.example.unknown.v1")),
            "unsupported_type: unsupported type 'org.example.unknown.v1'",
        ),
        (
            orjson.dumps(event(datacontenttype="text/plain")),
            "invalid_envelope: datacontenttype: only JSON data is accepted",
        ),
        (orjson.dumps(event(priority=1)), "invalid_envelope: priority: extension values must be"),
        (orjson.dumps(event(Bad_Name="x")), "invalid_envelope: extensions: invalid extension"),
        (orjson.dumps(event(data_base64="AA==")), "invalid_envelope: data_base64: data must be"),
        (orjson.dumps(event(data=None)), "validation_failed: data: Input should be a valid dict"),
        (
            orjson.dumps(event(data={"region_pcode": "HT01", "tick_at": "x", "sequence": -1})),
            "validation_failed: tick_at: Input should be a valid datetime",
        ),
    ],
)
def test_bad_structured_events_are_refused_with_a_reason(value: bytes, expected: str) -> None:
    assert reason_and_message(value).startswith(expected)


def test_too_large_is_refused_before_parsing() -> None:
    value = b" " * (MAX_VALUE_BYTES + 1)
    assert reason_and_message(value).startswith("too_large: ")


def test_validation_message_lists_every_field_and_no_values() -> None:
    secret = "Jean-Baptiste +509 3700 0000"
    data = {"region_pcode": secret, "tick_at": secret, "sequence": -1, "name": secret}
    message = reason_and_message(orjson.dumps(event(data=data)))
    assert message.startswith("validation_failed: region_pcode: String should match pattern")
    assert "tick_at: Input should be a valid datetime" in message
    assert "sequence: Input should be greater than or equal to 0" in message
    assert "name: Extra inputs are not permitted" in message
    assert secret not in message


def binary_headers(**overrides: str | None) -> list[tuple[str, bytes]]:
    base: dict[str, str | None] = {
        "ce_specversion": "1.0",
        "ce_id": "e-1",
        "ce_source": "corridor:partner:acme",
        "ce_type": "org.corridor.region.tick.v1",
        "content-type": "application/json",
    }
    base.update(overrides)
    return [(k, v.encode()) for k, v in base.items() if v is not None]


TICK_DATA = b'{"region_pcode":"HT01","tick_at":"2024-05-01T08:30:00Z","sequence":7}'


def test_binary_mode_is_chosen_by_the_specversion_header() -> None:
    headers = [*binary_headers(), ("traceparent", b"ignored, not ce_")]
    ce = decode(TICK_DATA, headers)
    assert payload_of(ce) == TICK
    assert ce.extensions == {}
    assert decode(TICK_DATA, dict(binary_headers())) == ce


@pytest.mark.parametrize(
    ("value", "headers", "expected"),
    [
        (b"{", binary_headers(), "malformed: not JSON"),
        (TICK_DATA, binary_headers(ce_id=None), "invalid_envelope: id: Field required"),
        (TICK_DATA, binary_headers(ce_specversion="2.0"), "invalid_envelope: specversion"),
        (
            TICK_DATA,
            [*binary_headers(), ("ce_id", b"again")],
            "invalid_envelope: ce_id: repeated header",
        ),
        (
            TICK_DATA,
            [*binary_headers(), ("ce_region", b"\xff")],
            "invalid_envelope: ce_region: header is not UTF-8",
        ),
        (b"[]", binary_headers(), "validation_failed: data: Input should be a valid dict"),
    ],
)
def test_bad_binary_events_are_refused_with_a_reason(
    value: bytes, headers: list[tuple[str, bytes]], expected: str
) -> None:
    assert reason_and_message(value, headers).startswith(expected)


def test_binary_headers_are_ce_prefixed_with_content_type() -> None:
    ce = to_event(TICK, id="t", source="s", time=NOW, subject="HT01", extensions={"region": "HT01"})
    _, headers = encode_binary(ce)
    names = [name for name, _ in headers]
    assert names == [
        "ce_id",
        "ce_region",
        "ce_source",
        "ce_specversion",
        "ce_subject",
        "ce_time",
        "ce_type",
        "content-type",
    ]
