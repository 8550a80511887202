from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from schemas.base import Contract
from schemas.ingress import (
    AllocationFeedback,
    Demographics,
    DisplacementAlert,
    EscalationAck,
    HazardArea,
    HazardWarning,
    Household,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.region import RegionTick
from schemas.types import (
    AckStatus,
    Certainty,
    DisplacementCause,
    FeedbackKind,
    GeoPoint,
    MsgType,
    Sector,
    Severity,
    Urgency,
    VehicleKind,
)
from services.registry.authorise import authorise
from services.registry.partners import PARTNER_TOPICS, Partner

NOW = datetime(2025, 6, 30, 12, tzinfo=UTC)
HERE = GeoPoint(lat=18.5392, lon=-72.3364)

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
TRANSPORT = "ingress.transport-availability.v1"
FEEDBACK = "ingress.allocation-feedback.v1"
HAZARDS = "ingress.hazard-warnings.v1"
ACKS = "ingress.escalation-acks.v1"

OPERATOR = Partner(
    partner_id="ngo-one",
    name="NGO One",
    sectors=frozenset({Sector.SHELTER_CCCM, Sector.LOGISTICS}),
    regions=frozenset({"HT01"}),
    shelters=("111_*", "dpc-7"),
    vehicles=("ngo-bus-?",),
    secret=SecretStr("s" * 16),
)
ADAPTER = Partner(
    partner_id="cap-adapter",
    name="CAP adapter",
    publishes=frozenset({HAZARDS}),
    inbox=False,
    secret=SecretStr("s" * 16),
)


def shelter(shelter_id: str) -> ShelterCapacityReport:
    capacity = PersonsCapacity(persons=100)
    return ShelterCapacityReport(
        shelter_id=shelter_id, location=HERE, capacity=capacity, occupancy=10, reported_at=NOW
    )


def vehicle(vehicle_id: str) -> TransportAvailability:
    return TransportAvailability(
        vehicle_id=vehicle_id, kind=VehicleKind.BUS, seats=40, accessible_places=2,
        location=HERE, available=True, reported_at=NOW,
    )  # fmt: skip


ALERT = DisplacementAlert(
    origin=HERE,
    cause=DisplacementCause.FLOOD,
    observed_at=NOW,
    households=(Household(size=3, children=1, elderly=0),),
    demographics=Demographics(children=1, adults=2, elderly=0, female=2, male=1),
)
FEEDBACK_ARRIVED = AllocationFeedback(
    decision_id="d-1", alert_id="a-1", household_index=0, kind=FeedbackKind.ARRIVED,
    region_pcode="HT01", shelter_id="111_01_026", observed_at=NOW,
)  # fmt: skip
ACK = EscalationAck(
    escalation_id="esc:HT01:unmet_need:shelter_cccm:1",
    region_pcode="HT01",
    acknowledged_at=NOW,
    status=AckStatus.ACKNOWLEDGED,
)
HAZARD = HazardWarning(
    identifier="cap-1", event="Flood", msg_type=MsgType.ALERT, urgency=Urgency.IMMEDIATE,
    severity=Severity.SEVERE, certainty=Certainty.OBSERVED, sent=NOW,
    areas=(HazardArea(description="Ouest"),),
)  # fmt: skip


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (SHELTERS, shelter("111_01_026")),
        (SHELTERS, shelter("dpc-7")),
        (TRANSPORT, vehicle("ngo-bus-1")),
        (ALERTS, ALERT),
        (FEEDBACK, FEEDBACK_ARRIVED),
        (ACKS, ACK),
    ],
)
def test_allowed(topic: str, payload: Contract) -> None:
    assert authorise(OPERATOR, topic, payload, "HT01") is None


@pytest.mark.parametrize(
    ("topic", "payload", "region", "reason"),
    [
        (SHELTERS, shelter("112_01_001"), "HT01", "does not operate shelter 112_01_001"),
        (SHELTERS, shelter("dpc-77"), "HT01", "does not operate shelter dpc-77"),
        (TRANSPORT, vehicle("ngo-bus-12"), "HT01", "does not operate vehicle ngo-bus-12"),
        (ALERTS, ALERT, "HT02", "does not operate in region HT02"),
        (FEEDBACK, FEEDBACK_ARRIVED, "HT05", "does not operate in region HT05"),
        (ACKS, ACK, "HT10", "does not operate in region HT10"),
        (HAZARDS, HAZARD, "HT01", "may not publish on ingress.hazard-warnings.v1"),
    ],
)  # fmt: skip
def test_refused(topic: str, payload: Contract, region: str, reason: str) -> None:
    assert authorise(OPERATOR, topic, payload, region) == f"partner ngo-one {reason}"


def test_shelter_reports_are_judged_by_operator_not_region() -> None:
    assert authorise(OPERATOR, SHELTERS, shelter("111_01_026"), "HT09") is None


def test_hazard_warnings_need_the_topic_permission_only() -> None:
    assert authorise(ADAPTER, HAZARDS, HAZARD, "HT07") is None
    assert authorise(ADAPTER, ALERTS, ALERT, "HT01") == (
        "partner cap-adapter may not publish on ingress.displacement-alerts.v1"
    )


def test_payload_must_match_topic() -> None:
    reason = authorise(OPERATOR, ALERTS, HAZARD, "HT01")
    assert reason == "HazardWarning belongs on ingress.hazard-warnings.v1, not " + ALERTS


def test_non_ingress_payload_is_refused() -> None:
    tick = RegionTick(region_pcode="HT01", tick_at=NOW, sequence=0)
    assert authorise(OPERATOR, ALERTS, tick, "HT01") == "RegionTick is not a partner input"
    assert authorise(OPERATOR, ALERTS, HERE, "HT01") == "GeoPoint is not a partner input"


def ack(escalation_id: str, region: str = "HT01") -> EscalationAck:
    return ACK.model_copy(update={"escalation_id": escalation_id, "region_pcode": region})


@pytest.mark.parametrize(
    ("escalation_id", "reason"),
    [
        ("e-1", "e-1 is not an escalation id Corridor issues"),
        ("esc:HT01:unmet_need:nutrition:1", "is not an escalation id Corridor issues"),
        ("esc:HT02:unmet_need:shelter_cccm:1", "is not about region HT01"),
        ("esc:HT01:unmet_need:protection:3", "is not in sector protection and was never sent"),
    ],
)
def test_ack_of_an_escalation_never_sent_is_refused(escalation_id: str, reason: str) -> None:
    refused = authorise(OPERATOR, ACKS, ack(escalation_id), "HT01")
    assert refused is not None and reason in refused


def test_refresh_requests_are_acknowledged_by_shelter_operators() -> None:
    stale = ack("esc:HT01:stale_data:shelter_cccm:2")
    assert authorise(OPERATOR, ACKS, stale, "HT01") is None
    carrier = OPERATOR.model_copy(update={"shelters": ()})
    assert "operates no shelter" in (authorise(carrier, ACKS, stale, "HT01") or "")


def test_default_publishes_excludes_hazards() -> None:
    assert OPERATOR.publishes == PARTNER_TOPICS
    assert {ALERTS, SHELTERS, TRANSPORT, FEEDBACK, ACKS} == PARTNER_TOPICS
