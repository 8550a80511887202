"""Partner signatures over the canonical data bytes."""

import orjson
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import canonical_json, decode, encode_binary, encode_structured
from schemas.envelope import SIGNATURE_EXTENSION, CloudEvent
from schemas.signing import sign, sign_event, verify, verify_event
from tests.strategies import cloudevents

SECRET = b"a shared secret of the partner"


@given(st.binary(), st.binary(min_size=1))
def test_sign_then_verify(data: bytes, secret: bytes) -> None:
    signature = sign(data, secret)
    assert len(signature) == 64
    assert verify(data, signature, secret)
    assert verify(data, signature.upper(), secret)
    assert not verify(data + b" ", signature, secret)
    assert not verify(data, signature, secret + b"x")


def test_verify_refuses_garbage_signatures() -> None:
    assert not verify(b"{}", "", SECRET)
    assert not verify(b"{}", "zz" * 32, SECRET)
    assert not verify(b"{}", "é" * 64, SECRET)


def test_str_and_bytes_secrets_agree() -> None:
    assert sign(b"{}", "k") == sign(b"{}", b"k")


@given(cloudevents())
def test_signed_events_verify_after_either_mode(ce: CloudEvent) -> None:
    signed = sign_event(ce, SECRET)
    assert signed.extensions[SIGNATURE_EXTENSION] == sign(canonical_json(ce.data), SECRET)
    assert verify_event(decode(encode_structured(signed)), SECRET)
    assert verify_event(decode(*encode_binary(signed)), SECRET)
    assert not verify_event(ce, SECRET)  # unsigned
    assert not verify_event(signed, SECRET + b"!")


@given(cloudevents())
def test_tampered_data_is_detected(ce: CloudEvent) -> None:
    signed = orjson.loads(encode_structured(sign_event(ce, SECRET)))
    signed["data"]["tampered"] = 1
    assert not verify_event(decode(orjson.dumps(signed)), SECRET)


def test_key_order_and_whitespace_do_not_matter() -> None:
    """Verification re-serialises data canonically; partners sign the canonical form."""
    canonical = b'{"a":1,"b":[1,2],"c":"\xc3\xa9"}'
    assert canonical_json(orjson.loads(b'{ "c": "\\u00e9", "b": [1, 2], "a": 1 }')) == canonical
    signature = sign(canonical, SECRET)
    value = (
        b'{"specversion":"1.0","id":"1","source":"corridor:partner:acme","type":"t",'
        b'"data":{ "c": "\\u00e9", "b": [1, 2], "a": 1 },"corridorsig":"'
        + signature.encode()
        + b'"}'
    )
    assert verify_event(decode(value), SECRET)
