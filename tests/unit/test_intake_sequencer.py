"""The sequencer writes a region event's bytes without the models: the same bytes as
``encode_structured(SequencedEvent(...).to_cloudevent())``, for every ingress type, a held
alert, a redelivery, and an admission written before the gate sent the validated payload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from schemas.codec import encode_structured
from schemas.registry import MODEL_OF
from schemas.sequenced import SequencedEvent
from services.config import Settings
from services.intake.core import Admitted, screen
from services.intake.record import Record
from services.intake.sequencer import Admission, sequence
from services.publish import encode, partner_event, secrets
from services.registry.partners import PartnerRegistry
from services.registry.regions import load_regions
from tests import samples

SECRETS = secrets(Settings(), environ={})
PARTNERS = PartnerRegistry.load(None, SECRETS)
REGIONS = load_regions()
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 26, 3, 0, 1, 123456, tzinfo=UTC)

CASES = {
    "alert": (samples.alert(), "ingress.displacement-alerts.v1", "iom-dtm-ht"),
    "held alert": (samples.alert([50] * 24), "ingress.displacement-alerts.v1", "protection-ht"),
    "shelter": (samples.shelter(), "ingress.shelter-capacity.v1", "iom-dtm-ht"),
    "vehicle": (samples.vehicle(), "ingress.transport-availability.v1", "croix-rouge-ht"),
    "feedback": (samples.feedback(), "ingress.allocation-feedback.v1", "iom-dtm-ht"),
    "hazard": (samples.hazard(), "ingress.hazard-warnings.v1", "cap-adapter"),
    "ack": (samples.ack(), "ingress.escalation-acks.v1", "protection-ht"),
}


def admitted(name: str) -> tuple[Record, Admitted]:
    data, topic, partner = CASES[name]
    event_id = "ev-" + name.replace(" ", "-")
    event = partner_event(
        data, topic=topic, partner_id=partner, secret=SECRETS[partner], event_id=event_id,
        time=NOW, validate=False,
    )  # fmt: skip
    out = encode(event, topic=topic, key=b"k")
    record = Record.of(out.topic, 0, 7, out.key, out.value, out.headers, received_at=NOW)
    outcome = screen(record, PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted), outcome
    assert (outcome.confirm_above is not None) == (name == "held alert")
    return record, outcome


def through_models(record: Record, outcome: Admitted, stamp: datetime) -> list[bytes]:
    """The region events as the sequencer wrote them before: validated and encoded again."""
    payload = MODEL_OF[outcome.event.type].model_validate(outcome.event.data)
    return [
        encode_structured(
            SequencedEvent(
                event_id=outcome.event.id, source=outcome.event.source, region_pcode=region,
                sequenced_at=stamp, partner_id=outcome.partner_id, payload=payload,
                confirm_above=outcome.confirm_above,
            ).to_cloudevent()
        )
        for region in outcome.regions
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_region_events_keep_their_bytes(name: str) -> None:
    record, outcome = admitted(name)
    admission = Admission.from_bytes(Admission.of(record, outcome).to_bytes())
    first = sequence(admission, None, STAMP)
    expected = through_models(record, outcome, STAMP)
    assert [a.value for a in first.appended] == expected
    assert [a.region for a in first.appended] == list(outcome.regions)
    assert [encode_structured(e.to_cloudevent()) for e in first.events] == expected
    again = sequence(admission, first.remember, STAMP + timedelta(minutes=3))
    assert [a.value for a in again.appended] == expected  # a redelivery: the same bytes


@pytest.mark.parametrize("name", ["alert", "held alert", "hazard"])
def test_an_admission_written_before_is_validated_into_the_same_bytes(name: str) -> None:
    record, outcome = admitted(name)
    new = orjson.loads(Admission.of(record, outcome).to_bytes())
    old = {**new, "data": outcome.event.data}  # the data as received, no validated payload
    del old["payload"]
    admission = Admission.from_bytes(orjson.dumps(old))
    appended = sequence(admission, None, STAMP).appended
    assert [a.value for a in appended] == through_models(record, outcome, STAMP)
