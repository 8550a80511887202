"""A region log that exercises the escalator: a full shelter, a waitlist, no vehicle, children
alone, an extreme hazard, an acknowledgement, and two hours of ticks in log time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.ingress import EscalationAck, HazardWarning, Household, ShelterCapacityReport
from schemas.sequenced import SequencedEvent
from schemas.types import AckStatus, Certainty, GeoPoint, MsgType, Need, Severity, Urgency
from services.audit.replay import alert, sequenced, tick

T0 = datetime(2026, 11, 26, 3, tzinfo=UTC)
HERE = GeoPoint(lat=18.5392, lon=-72.3364)  # Port-au-Prince, HT01
WAITING = "esc:HT01:unmet_need:shelter_cccm:1"
TRANSPORT = "esc:HT01:no_transport:logistics:1"


def _ack(event_id: str, at: datetime, partner: str, escalation_id: str) -> SequencedEvent:
    ack = EscalationAck(escalation_id=escalation_id, region_pcode="HT01", acknowledged_at=at,
                        status=AckStatus.ACKNOWLEDGED)  # fmt: skip
    return sequenced(event_id, "HT01", at, ack).model_copy(update={"partner_id": partner})


def hazard(identifier: str = "cnm-cyclone-1") -> HazardWarning:
    return HazardWarning(
        identifier=identifier, event="Tropical Cyclone", msg_type=MsgType.ALERT,
        urgency=Urgency.IMMEDIATE, severity=Severity.EXTREME, certainty=Certainty.OBSERVED,
        sent=T0, areas=({"description": "Ouest", "region_pcodes": ("HT01",)},),  # type: ignore[arg-type]
    )  # fmt: skip


def events(region_ticks_to: timedelta = timedelta(hours=2, minutes=10)) -> list[SequencedEvent]:
    shelter = ShelterCapacityReport.model_validate({
        "shelter_id": "dpc-centre-1", "location": HERE.model_dump(), "occupancy": 0,
        "capacity": {"kind": "persons", "persons": 4}, "reported_at": T0,
        "services": ["child_protection", "health"],
    })  # fmt: skip
    households = (
        Household(size=4, children=3, elderly=0, needs=frozenset({Need.UNACCOMPANIED_CHILDREN})),
        Household(size=3, children=1, elderly=1, needs=frozenset({Need.MEDICAL})),
    )
    log = [
        sequenced("shelter-1", "HT01", T0, shelter),
        sequenced("alert-1", "HT01", T0 + timedelta(seconds=1), alert(HERE, households, T0)),
        tick("HT01", T0 + timedelta(seconds=2), 1),
        sequenced("hazard-1", "HT01", T0 + timedelta(minutes=5), hazard()),
        tick("HT03", T0 + timedelta(minutes=5), 1),  # a region with nothing to escalate
    ]
    at, sequence = T0 + timedelta(minutes=10), 2
    while at <= T0 + region_ticks_to:
        if at == T0 + timedelta(minutes=20):
            log.append(_ack("ack-1", at - timedelta(seconds=1), "dpc-ht", WAITING))
            log.append(_ack("ack-stranger", at - timedelta(seconds=1), "croix-rouge-ht", WAITING))
        log.append(tick("HT01", at, sequence))
        at, sequence = at + timedelta(minutes=10), sequence + 1
    return log
