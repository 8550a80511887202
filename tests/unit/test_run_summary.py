"""The line `make run` prints per decision: who goes where, who waits and why, no personal data."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.outputs import AllocationDecision, Placement, Waitlisted
from schemas.types import UnplacedReason
from services.run import summary

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def placement(index: int, shelter: str, vehicle: str | None, persons: int = 3) -> Placement:
    return Placement(
        alert_id="a-1", household_index=index, persons=persons, shelter_id=shelter,
        vehicle_id=vehicle, transport_pending=vehicle is None, distance_km=1.5,
        shelter_data_stale=False, reserved_until=AT,
    )  # fmt: skip


def test_summary_counts_people_names_shelters_and_reasons() -> None:
    decision = AllocationDecision(
        decision_id="dec-1", region_pcode="HT01", decided_at=AT, cause_event_id="tick:HT01:1",
        alert_id="a-1",
        placements=(placement(0, "s-2", "bus-1"), placement(1, "s-1", None, persons=2)),
        waitlisted=(Waitlisted(alert_id="a-1", household_index=2, persons=4,
                               reason=UnplacedReason.NO_CAPACITY, since=AT),),
    )  # fmt: skip
    assert summary(decision) == (
        "HT01 alert a-1: 5 people placed in s-1, s-2; 1 household waits for transport;"
        " 4 people waitlisted (no_capacity)"
    )


def test_summary_of_a_waitlist_decision() -> None:
    decision = AllocationDecision(
        decision_id="dec-2", region_pcode="HT02", decided_at=AT, cause_event_id="tick:HT02:9",
        placements=(placement(0, "s-9", "bus-2"), placement(1, "s-9", "bus-2")),
    )  # fmt: skip
    assert summary(decision) == "HT02 from the waitlist: 6 people placed in s-9"
