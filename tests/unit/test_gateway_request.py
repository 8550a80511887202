"""The gateway's pure parts: HTTP request → intake's Record, the screen plus the token rule,
and the HTTP status of every refusal reason."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from schemas.codec import decode, encode_structured
from schemas.envelope import CloudEvent, partner_source
from schemas.signing import sign_event
from schemas.types import RejectReason
from services.config import Settings
from services.gateway.answers import STATUS, GatewayReason, Refusal
from services.gateway.auth import Unauthenticated, partner_of
from services.gateway.gate import admit
from services.gateway.request import UNROUTED, Mode, kafka_headers, mode_of, to_record
from services.intake.core import Admitted, screen
from services.intake.record import KEPT_BYTES
from services.opscentre.auth import partner_token
from services.publish import encode, partner_event, secrets
from services.registry.partners import PartnerRegistry
from services.registry.regions import load_regions
from tests import samples

SECRETS = secrets(Settings(), environ={})
PARTNERS = PartnerRegistry.load(None, SECRETS)
REGIONS = load_regions()
SHELTERS = "ingress.shelter-capacity.v1"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
JSON_CE = [(b"content-type", b"application/cloudevents+json")]


def event(data=None, topic=SHELTERS, partner="iom-dtm-ht", secret=None) -> CloudEvent:
    return partner_event(
        data or samples.shelter(), topic=topic, partner_id=partner,
        secret=secret or SECRETS[partner], event_id="ev-1", validate=False, time=NOW,
    )  # fmt: skip


def http_binary(ce: CloudEvent) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The event as an HTTP client sends it in binary mode: ce-* headers, percent-encoded."""
    out = encode(ce, topic=SHELTERS, binary=True)
    headers = [
        (name.replace("ce_", "ce-", 1).encode(), quote(value.decode(), safe="").encode())
        if name.startswith("ce_")
        else (name.encode(), value)
        for name, value in out.headers
    ]
    return out.value, [*headers, (b"user-agent", b"curl/8")]


def test_structured_request_is_the_record_intake_reads() -> None:
    body = encode_structured(event())
    record = to_record(body, JSON_CE, binary=False, received_at=NOW, key=b"iom-dtm-ht")
    assert (record.topic, record.value, record.headers, record.key) == (
        SHELTERS,
        body,
        (),
        b"iom-dtm-ht",
    )
    assert isinstance(screen(record, PARTNERS, REGIONS), Admitted)


def test_binary_request_headers_become_kafka_headers_percent_decoded() -> None:
    ce = event()
    body, headers = http_binary(ce)
    assert any(b"%3A" in v for n, v in headers if n == b"ce-time")  # encoded on the wire
    record = to_record(body, headers, binary=True, received_at=NOW, key=None)
    assert record.topic == SHELTERS and record.value == body
    assert dict(record.headers)["ce_source"] == b"corridor:partner:iom-dtm-ht"
    assert b"%" not in dict(record.headers)["ce_time"]
    assert "user-agent" not in dict(record.headers)
    assert decode(record.value, record.headers) == ce
    assert isinstance(screen(record, PARTNERS, REGIONS), Admitted)


def test_kafka_headers_keep_only_cloudevents_attributes_and_content_type() -> None:
    headers = [(b"CE-Id", b"a%20b"), (b"Content-Type", b"application/json"), (b"host", b"x")]
    assert kafka_headers(headers) == (("ce_id", b"a b"), ("content-type", b"application/json"))


@pytest.mark.parametrize(
    ("headers", "mode"),
    [
        ([(b"content-type", b"application/cloudevents+json; charset=utf-8")], Mode.STRUCTURED),
        ([(b"content-type", b"application/json")], Mode.STRUCTURED),
        ([(b"content-type", b"application/json"), (b"ce-specversion", b"1.0")], Mode.BINARY),
        ([(b"Content-Type", b"application/cap+xml")], Mode.CAP),
        ([(b"content-type", b"text/plain")], Mode.UNSUPPORTED),
        ([], Mode.UNSUPPORTED),
    ],
)
def test_mode_of_a_request(headers, mode) -> None:
    assert mode_of(headers) is mode


def test_a_type_without_ingress_topic_is_refused_by_the_screen() -> None:
    unknown = CloudEvent(id="x", source=partner_source("iom-dtm-ht"), type="org.x.v1", data={})
    record = to_record(encode_structured(unknown), [], binary=False, received_at=NOW, key=None)
    assert record.topic == UNROUTED
    outcome = admit(record, PARTNERS, REGIONS, "iom-dtm-ht")
    assert isinstance(outcome, Refusal)
    assert (outcome.reason, outcome.status) == (RejectReason.UNSUPPORTED_TYPE, 422)


def test_admitted_only_for_the_partner_that_signed() -> None:
    record = to_record(encode_structured(event()), [], binary=False, received_at=NOW, key=None)
    assert isinstance(admit(record, PARTNERS, REGIONS, "iom-dtm-ht"), Admitted)
    other = admit(record, PARTNERS, REGIONS, "dpc-ht")
    assert isinstance(other, Refusal)
    assert (other.reason, other.status, other.event_id) == (RejectReason.UNAUTHORISED, 403, "ev-1")
    assert "dpc-ht" in other.message and "iom-dtm-ht" in other.message


@pytest.mark.parametrize(
    ("ce", "reason", "status"),
    [
        (event(secret="not-the-partners-secret"), RejectReason.SIGNATURE_INVALID, 401),
        (event(partner="croix-rouge-ht"), RejectReason.UNAUTHORISED, 403),
        (event(samples.shelter(occupancy=-1)), RejectReason.VALIDATION_FAILED, 422),
        (
            sign_event(CloudEvent(id="e", source=partner_source("nobody-ht"),
                                  type="org.corridor.shelter.capacity.v1",
                                  data=samples.shelter()), "s"),
            RejectReason.UNKNOWN_PARTNER, 401,
        ),
    ],
)  # fmt: skip
def test_refusals_carry_intakes_reason_and_message(ce, reason, status) -> None:
    record = to_record(encode_structured(ce), [], binary=False, received_at=NOW, key=None)
    outcome = admit(record, PARTNERS, REGIONS, "iom-dtm-ht")
    refused = screen(record, PARTNERS, REGIONS)
    assert isinstance(outcome, Refusal) and not isinstance(refused, Admitted)
    rejected = record.rejection(refused.reason, refused.message, event_id=refused.event_id)
    assert (outcome.reason, outcome.message, outcome.status) == (
        rejected.reason,
        rejected.message,
        status,
    )
    assert outcome.reason is reason


def test_malformed_json_is_400_and_a_large_refused_value_names_its_digest() -> None:
    for body in (b"{", b"[1]"):
        outcome = admit(to_record(body, [], binary=False, received_at=NOW, key=None),
                        PARTNERS, REGIONS, "iom-dtm-ht")  # fmt: skip
        assert isinstance(outcome, Refusal) and outcome.status == 400, body
    big = encode_structured(event(samples.shelter(shelter_id="x" * (KEPT_BYTES + 10))))
    outcome = admit(to_record(big, [], binary=False, received_at=NOW, key=None),
                    PARTNERS, REGIONS, "iom-dtm-ht")  # fmt: skip
    assert isinstance(outcome, Refusal) and "sha256" in outcome.message


def test_every_reason_has_a_client_error_status() -> None:
    assert set(STATUS) == set(RejectReason) | set(GatewayReason)
    assert all(400 <= code < 500 for r, code in STATUS.items() if r != GatewayReason.UNAVAILABLE)
    assert STATUS[RejectReason.TOO_LARGE] == 413 and STATUS[GatewayReason.RATE_LIMITED] == 429


def test_partner_token_names_the_partner_and_nothing_else_passes() -> None:
    token = partner_token("dpc-ht", SECRETS["dpc-ht"])
    assert partner_of(token, PARTNERS) == "dpc-ht"
    forged = partner_token("dpc-ht", "a guessed secret")
    for bad in (None, "", forged, token + "0", "partner.nobody.00"):
        with pytest.raises(Unauthenticated):
            partner_of(bad, PARTNERS)
