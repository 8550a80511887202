"""Outputs and region events: their invariants, and the region-event envelope."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from pydantic import ValidationError

from schemas.codec import decode, encode_structured, to_event
from schemas.errors import CodecError, describe
from schemas.outputs import AllocationDecision, EscalationEvent, Placement, RejectedMessage
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from schemas.types import Need, RejectReason
from tests.strategies import escalation_events, sequenced_events

T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def placement(**overrides: Any) -> dict[str, Any]:
    base = {
        "alert_id": "a1",
        "household_index": 0,
        "persons": 4,
        "needs": ["mobility"],
        "shelter_id": "ht-site-0042",
        "vehicle_id": "bus-7",
        "transport_pending": False,
        "distance_km": 3.2,
        "eta_minutes": 12,
        "shelter_data_stale": False,
        "reserved_until": "2024-05-01T20:30:00Z",
    }
    return base | overrides


def decision(**overrides: Any) -> dict[str, Any]:
    base = {
        "decision_id": "dec-a1",
        "region_pcode": "HT01",
        "decided_at": "2024-05-01T08:30:00Z",
        "cause_event_id": "evt-1",
        "alert_id": "a1",
        "placements": [placement()],
        "waitlisted": [
            {
                "alert_id": "a1",
                "household_index": 1,
                "persons": 2,
                "reason": "no_capacity",
                "since": "2024-05-01T08:30:00Z",
            }
        ],
    }
    return base | overrides


def refusal(model: type[Any], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe(caught.value)


def test_a_valid_decision_is_accepted() -> None:
    d = AllocationDecision.model_validate(decision())
    assert d.placements[0].needs == frozenset({Need.MOBILITY})


def test_a_household_is_never_in_a_decision_twice() -> None:
    twice = decision(placements=[placement(), placement(shelter_id="other")])
    assert "households are never split" in refusal(AllocationDecision, twice)
    placed_and_waiting = decision(placements=[placement(household_index=1)])
    assert "households are never split" in refusal(AllocationDecision, placed_and_waiting)


def test_transport_cannot_be_pending_with_a_vehicle() -> None:
    message = refusal(Placement, placement(transport_pending=True))
    assert message.startswith("transport_pending: transport cannot be pending")
    assert Placement.model_validate(placement(transport_pending=True, vehicle_id=None))


def test_negative_distance_is_refused() -> None:
    message = refusal(Placement, placement(distance_km=-0.1))
    assert message.startswith("distance_km: Input should be greater than or equal to 0")


@given(escalation_events())
def test_needs_counts_serialise_sorted(event: EscalationEvent) -> None:
    counts = event.model_dump(mode="json")["needs_counts"]
    assert list(counts) == sorted(counts)


def test_escalation_updated_before_opened_is_refused() -> None:
    data = {
        "escalation_id": "esc-HT01-unmet_need-shelter_cccm-1",
        "region_pcode": "HT01",
        "reason": "unmet_need",
        "sector": "shelter_cccm",
        "level": "L1",
        "status": "open",
        "episode": 1,
        "persons_affected": 12,
        "households_affected": 3,
        "needs_counts": {"medical": 1},
        "opened_at": "2024-05-01T08:30:00Z",
        "updated_at": "2024-05-01T08:00:00Z",
    }
    assert refusal(EscalationEvent, data).startswith("updated_at: updated_at is before opened_at")
    assert refusal(EscalationEvent, data | {"episode": 0}).startswith("episode: Input should be")
    bad_need = data | {"needs_counts": {"hunger": 1}, "updated_at": "2024-05-01T09:00:00Z"}
    assert refusal(EscalationEvent, bad_need).startswith("needs_counts.hunger.[key]: Input")


def test_rejected_message_bounds() -> None:
    data = {
        "topic": "ingress.displacement-alerts.v1",
        "partition": 0,
        "offset": 41,
        "value_b64": "e30=",
        "reason": "validation_failed",
        "message": "households.0.size: Input should be greater than or equal to 1",
        "rejected_at": "2024-05-01T08:30:00Z",
    }
    assert RejectedMessage.model_validate(data).reason == RejectReason.VALIDATION_FAILED
    assert refusal(RejectedMessage, data | {"value_b64": "not base64!"}).startswith("value_b64:")
    assert refusal(RejectedMessage, data | {"message": "x" * 1001}).startswith("message:")
    assert refusal(RejectedMessage, data | {"offset": -1}).startswith("offset:")


@given(sequenced_events())
def test_region_events_round_trip(event: SequencedEvent) -> None:
    encoded = encode_structured(event.to_cloudevent())
    back = SequencedEvent.from_cloudevent(decode(encoded))
    assert back == event
    assert encode_structured(back.to_cloudevent()) == encoded


def test_region_event_wire_form() -> None:
    local = T0.astimezone(timezone(timedelta(hours=-4)))
    tick = SequencedEvent.tick("HT01", local, 3)
    wire = orjson.loads(encode_structured(tick.to_cloudevent()))
    assert wire["id"] == "tick:HT01:3"
    assert wire["type"] == "org.corridor.region.tick.v1"
    assert wire["subject"] == wire["region"] == "HT01"
    assert wire["sequencedat"] == "2024-05-01T08:30:00Z"
    assert "partnerid" not in wire
    assert tick.sequenced_at.tzinfo == UTC


@pytest.mark.parametrize(
    ("extensions", "subject", "expected"),
    [
        ({"sequencedat": "2024-05-01T08:30:00Z"}, "HT01", "region: extension missing"),
        ({"region": "HT01", "sequencedat": "2024-05-01T08:30:00Z"}, "HT02", "region: extension"),
        ({"region": "HT01"}, "HT01", "sequenced_at: Input should be a valid datetime"),
        (
            {"region": "HT01", "sequencedat": "2024-05-01T08:30:00Z", "partnerid": "A B"},
            "HT01",
            "partner_id: String should match pattern",
        ),
    ],
)
def test_malformed_region_events_are_refused(
    extensions: dict[str, str], subject: str, expected: str
) -> None:
    tick = RegionTick(region_pcode="HT01", tick_at=T0, sequence=0)
    ce = to_event(tick, id="t", source="s", time=T0, subject=subject, extensions=extensions)
    with pytest.raises(CodecError) as caught:
        SequencedEvent.from_cloudevent(ce)
    assert caught.value.message.startswith(expected)
    assert caught.value.reason == RejectReason.INVALID_ENVELOPE


def test_outputs_are_not_region_events() -> None:
    d = AllocationDecision.model_validate(decision())
    extensions = {"region": "HT01", "sequencedat": "2024-05-01T08:30:00Z"}
    ce = to_event(d, id="x", source="s", time=T0, subject="HT01", extensions=extensions)
    with pytest.raises(CodecError) as caught:
        SequencedEvent.from_cloudevent(ce)
    assert caught.value.reason == RejectReason.UNSUPPORTED_TYPE
