"""The intake gate and sequencer as pure functions: no broker, no clock."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.types import RejectReason
from services.config import Settings
from services.intake.core import Admitted, Refused, screen
from services.intake.record import KEPT_BYTES, Record
from services.intake.sequencer import Admission, Seen, sequence
from services.publish import encode, partner_event, secrets
from services.registry.partners import PartnerRegistry
from services.registry.regions import load_regions
from tests import samples

SECRETS = secrets(Settings(), environ={})
PARTNERS = PartnerRegistry.load(None, SECRETS)
REGIONS = load_regions()
ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def record(data, topic=SHELTERS, partner="iom-dtm-ht", *, offset=0, binary=False, **kw) -> Record:
    kw.setdefault("time", NOW)
    event = partner_event(
        data, topic=topic, partner_id=partner, secret=SECRETS[partner], event_id="ev-1",
        validate=False, **kw,
    )  # fmt: skip
    out = encode(event, topic=topic, key=b"k", binary=binary)
    return Record.of(out.topic, 0, offset, out.key, out.value, out.headers, received_at=NOW)


def test_good_report_is_admitted_into_the_region_of_its_location() -> None:
    outcome = screen(record(samples.shelter()), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)
    assert (outcome.partner_id, outcome.regions) == ("iom-dtm-ht", ("HT01",))


def test_binary_mode_is_admitted_too() -> None:
    outcome = screen(record(samples.alert(), ALERTS, binary=True), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)


def test_refusals_name_their_reason() -> None:
    cases = {
        RejectReason.UNAUTHORISED: record(samples.shelter(), partner="croix-rouge-ht"),
        RejectReason.WRONG_TOPIC: Record.of(
            ALERTS, 0, 0, None, record(samples.shelter()).value, [], received_at=NOW
        ),
        RejectReason.UNRESOLVED_REGION: record(
            samples.alert(origin={"lat": 21.5, "lon": -77.9}), ALERTS
        ),
        RejectReason.VALIDATION_FAILED: record(samples.shelter(occupancy=-1)),
        RejectReason.MALFORMED: Record.of(SHELTERS, 0, 0, None, b"\xff\xfe", [], received_at=NOW),
    }
    for reason, rec in cases.items():
        outcome = screen(rec, PARTNERS, REGIONS)
        assert isinstance(outcome, Refused), reason
        assert outcome.reason is reason, (reason, outcome.message)
        assert outcome.message


def test_tampered_data_fails_the_signature() -> None:
    good = record(samples.shelter())
    tampered = Record.of(
        SHELTERS, 0, 0, None, good.value.replace(b"120", b"20"), [], received_at=NOW
    )
    outcome = screen(tampered, PARTNERS, REGIONS)
    assert isinstance(outcome, Refused)
    assert outcome.reason is RejectReason.SIGNATURE_INVALID


@settings(max_examples=300, deadline=None)
@given(
    topic=st.sampled_from([ALERTS, SHELTERS, "ingress.hazard-warnings.v1"]),
    value=st.one_of(st.none(), st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    headers=st.lists(st.tuples(st.sampled_from(["ce_specversion", "ce_id", "ce_type", "x"]),
                               st.binary(max_size=20)), max_size=4),
)  # fmt: skip
def test_arbitrary_bytes_are_refused_never_raised(topic, value, headers) -> None:
    outcome = screen(
        Record.of(topic, 0, 0, None, value, headers, received_at=NOW), PARTNERS, REGIONS
    )
    assert isinstance(outcome, Refused)
    assert outcome.message


def admission(offset: int = 0) -> Admission:
    rec = record(samples.shelter(), offset=offset)
    admitted = screen(rec, PARTNERS, REGIONS)
    assert isinstance(admitted, Admitted)
    return Admission.from_bytes(Admission.of(rec, admitted).to_bytes())


def test_first_copy_is_stamped_redelivery_repeats_duplicate_is_refused() -> None:
    first = sequence(admission(0), None, NOW)
    assert first.remember == Seen("ingress.shelter-capacity.v1/0/0", "2026-11-26T03:00:00Z")
    [event] = first.events
    assert (event.region_pcode, event.sequenced_at, event.event_id) == ("HT01", NOW, "ev-1")

    later = NOW + timedelta(minutes=5)
    again = sequence(admission(0), first.remember, later)
    assert again.remember is None and again.rejected is None
    assert again.events == first.events  # same stamp, same bytes: an idempotent repeat

    dup = sequence(admission(9), first.remember, later)
    assert dup.events == () and dup.remember is None
    assert dup.rejected is not None and dup.rejected.reason is RejectReason.DUPLICATE
    assert dup.rejected.offset == 9


def test_oversized_value_is_kept_in_part_with_its_digest() -> None:
    big = b"x" * (KEPT_BYTES + 10)
    refusal = Record.of(ALERTS, 0, 0, None, big, [], received_at=NOW).rejection(
        RejectReason.TOO_LARGE, "too big"
    )
    assert base64.b64decode(refusal.value_b64) == big[:KEPT_BYTES]
    assert f"first {KEPT_BYTES} of {len(big)} bytes, sha256" in refusal.message


def test_cap_cancel_without_info_goes_to_every_region_log() -> None:
    from schemas.ingress import HazardWarning
    from schemas.types import MsgType
    from services.intake.core import regions_of

    cancel = HazardWarning(
        identifier="storm-2", msg_type=MsgType.CANCEL, sent=NOW,
        references=("nhc.noaa.gov,storm-1,2025-06-30T10:00:00+00:00",),
    )  # fmt: skip
    assert regions_of(cancel, REGIONS) == tuple(sorted(REGIONS.regions))
