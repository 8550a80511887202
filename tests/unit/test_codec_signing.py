"""Partner signatures over the canonical envelope (RFC 8785): id, source, type, subject, time
and data are all covered."""

from datetime import UTC, datetime, timedelta

import orjson
import pytest
import rfc8785
from hypothesis import assume, given
from hypothesis import strategies as st

from schemas.codec import decode, encode_binary, encode_structured
from schemas.envelope import SIGNATURE_EXTENSION, CloudEvent
from schemas.signing import (
    sign,
    sign_event,
    signature_problem,
    signed_bytes,
    signing_time,
    verify_event,
)
from tests.strategies import cloudevents

SECRET = b"a shared secret of the partner"


def _canonical(ce: CloudEvent) -> bool:
    """JCS has no form for integers beyond ±2**53 (IEEE doubles): such data cannot be signed."""
    try:
        signed_bytes(ce)
    except ValueError:
        return False
    return True


def test_data_beyond_jcs_cannot_be_signed_and_never_verifies() -> None:
    ce = CloudEvent(id="ev-1", source="corridor:partner:acme", type="t", data={"n": 2**60})
    with pytest.raises(ValueError, match="RFC 8785"):
        sign_event(ce, SECRET)
    forged = ce.model_copy(update={"extensions": {SIGNATURE_EXTENSION: "0" * 64}})
    assert signature_problem(forged, SECRET) == "invalid"


def test_str_and_bytes_secrets_agree() -> None:
    assert sign(b"{}", "k") == sign(b"{}", b"k")


@given(cloudevents())
def test_signed_events_verify_after_either_mode(ce: CloudEvent) -> None:
    assume(_canonical(ce))
    signed = sign_event(ce, SECRET)
    assert signed.extensions[SIGNATURE_EXTENSION] == sign(signed_bytes(ce), SECRET)
    assert verify_event(decode(encode_structured(signed)), SECRET)
    assert verify_event(decode(*encode_binary(signed)), SECRET)
    assert signature_problem(ce, SECRET) == "missing"  # unsigned
    assert signature_problem(signed, SECRET + b"!") == "invalid"


@given(cloudevents())
def test_tampered_data_is_detected(ce: CloudEvent) -> None:
    assume(_canonical(ce))
    signed = orjson.loads(encode_structured(sign_event(ce, SECRET)))
    signed["data"] = {"tampered": 1, "was": signed.get("data")}
    assert signature_problem(decode(orjson.dumps(signed)), SECRET) == "invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"id": "a-new-id"},
        {"source": "corridor:partner:someone-else"},
        {"type": "org.corridor.other.v1"},
        {"subject": "HT02"},
        {"time": datetime(2099, 1, 1, tzinfo=UTC)},
    ],
)
def test_every_envelope_attribute_is_covered(change: dict[str, object]) -> None:
    ce = CloudEvent(
        id="ev-1", source="corridor:partner:acme", type="org.corridor.t.v1", subject="HT01",
        time=datetime(2026, 11, 26, 3, tzinfo=UTC), data={"a": 1},
    )  # fmt: skip
    signed = sign_event(ce, SECRET)
    assert verify_event(signed, SECRET)
    assert signature_problem(signed.model_copy(update=change), SECRET) == "invalid"


def test_missing_empty_and_wrong_signatures_are_told_apart() -> None:
    ce = CloudEvent(id="ev-1", source="corridor:partner:acme", type="t", data={})
    assert signature_problem(ce, SECRET) == "missing"
    empty = ce.model_copy(update={"extensions": {SIGNATURE_EXTENSION: ""}})
    assert signature_problem(empty, SECRET) == "missing"
    for garbage in ("zz" * 32, "é" * 64, "0" * 64):
        wrong = ce.model_copy(update={"extensions": {SIGNATURE_EXTENSION: garbage}})
        assert signature_problem(wrong, SECRET) == "invalid"


def test_the_signed_bytes_are_rfc8785_of_the_envelope_with_millisecond_time() -> None:
    """What a partner computes with any JCS library; key order and whitespace of the message
    it sent do not matter."""
    moment = datetime(2026, 11, 26, 3, 0, 0, 123456, tzinfo=UTC) + timedelta(hours=0)
    assert signing_time(moment) == "2026-11-26T03:00:00.123Z"
    value = (
        b'{"specversion":"1.0","id":"1","source":"corridor:partner:acme","type":"t",'
        b'"time":"2026-11-26T04:00:00.123456+01:00",'
        b'"data":{ "c": "\\u00e9", "b": [1, 2.50], "a": 1 }}'
    )
    ce = decode(value)
    expected = rfc8785.dumps({
        "data": {"a": 1, "b": [1, 2.5], "c": "é"}, "id": "1",
        "source": "corridor:partner:acme", "subject": None,
        "time": "2026-11-26T03:00:00.123Z", "type": "t",
    })  # fmt: skip
    assert signed_bytes(ce) == expected
    signed = orjson.loads(value)
    signed["corridorsig"] = sign(expected, SECRET)
    assert verify_event(decode(orjson.dumps(signed)), SECRET)


@given(st.binary(min_size=1))
def test_any_secret_signs_and_only_it_verifies(secret: bytes) -> None:
    ce = CloudEvent(id="ev-1", source="corridor:partner:acme", type="t", data={"n": 1})
    signed = sign_event(ce, secret)
    assert verify_event(signed, secret)
    assert not verify_event(signed, secret + b"x")


def test_published_vectors_are_reproduced_by_plain_jcs_and_hmac() -> None:
    """What a partner in another language does with the published vectors: build the envelope
    from the event's JSON, JCS it, HMAC it."""
    import hashlib
    import hmac
    from datetime import datetime as dt

    from schemas.publish import PUBLISHED, SIGNING_VECTORS_FILE

    vectors = orjson.loads((PUBLISHED / SIGNING_VECTORS_FILE).read_bytes())
    assert len(vectors) >= 2
    for vector in vectors:
        event = vector["event"]
        moment = dt.fromisoformat(event["time"].replace("Z", "+00:00")).astimezone(UTC)
        envelope = {
            "data": event["data"], "id": event["id"], "source": event["source"],
            "subject": event.get("subject"), "type": event["type"],
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        }  # fmt: skip
        signed = rfc8785.dumps(envelope)
        assert signed.decode() == vector["signed_bytes"]
        mac = hmac.new(vector["secret"].encode(), signed, hashlib.sha256).hexdigest()
        assert mac == vector["signature"]
        as_sent = decode(orjson.dumps({**event, "corridorsig": vector["signature"]}))
        assert verify_event(as_sent, vector["secret"])
