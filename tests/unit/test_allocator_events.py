"""The "why" of a decision, read from the domain events ``decide`` returns (issue 9)."""

from dataclasses import FrozenInstanceError

import pytest

from schemas.ingress import PersonsCapacity
from schemas.outputs import Placement
from schemas.types import FeedbackKind, ReleaseReason, UnplacedReason
from services.allocator.domain import AllocatorConfig, RegionState, decide, evolve, writes
from services.allocator.domain.events import (
    AlertQueued,
    ArrivalConfirmed,
    ArrivalCounted,
    BatchSealed,
    ClockAdvanced,
    EventProcessed,
    HouseholdWaitlisted,
    PlacesReserved,
    ReservationExpired,
    ReservationReleased,
    RideAssigned,
    ShelterReported,
    VehicleDispatched,
    VehicleReported,
)
from services.audit.replay import replay, tick
from tests.unit.test_allocator_rules import (
    R,
    at,
    displaced,
    family,
    feedback,
    placements,
    shelter,
    vehicle,
)

CONFIG = AllocatorConfig()


def _kinds(events: tuple[object, ...]) -> list[str]:
    return [type(e).__name__ for e in events]


def _two_families_in_s1() -> tuple[RegionState, dict[tuple[str, int], Placement]]:
    state, decisions = replay(
        [
            shelter("s1", 1, PersonsCapacity(persons=8)),
            displaced("a1", [family(4)]),
            displaced("a2", [family(4)], t=1.5),
            tick(R, at(2), 1),
        ]
    )
    placed = placements(decisions)
    assert {p.shelter_id for p in placed.values()} == {"s1"}
    return state, placed


def test_a_report_below_the_reservations_releases_the_latest_with_its_reason() -> None:
    state, _ = _two_families_in_s1()
    outcome = decide(state, shelter("s1", 1, PersonsCapacity(persons=4), t=3), CONFIG)
    assert isinstance(outcome.events[0], ShelterReported)
    assert outcome.events[0].shelter.capacity == 4
    released = [e for e in outcome.events if isinstance(e, ReservationReleased)]
    assert [(e.reservation.alert_id, e.reason) for e in released] == [
        ("a2", ReleaseReason.CAPACITY_REDUCED)
    ]
    # nowhere else to go: the released household waits, and says why
    waits = [e for e in outcome.events if isinstance(e, HouseholdWaitlisted)]
    assert [(w.entry.alert_id, w.entry.reason) for w in waits] == [
        ("a2", UnplacedReason.NO_CAPACITY)
    ]
    # the events say what the decision says
    (made,) = outcome.decisions
    assert [(r.alert_id, r.reason) for r in made.released] == [
        ("a2", ReleaseReason.CAPACITY_REDUCED)
    ]
    after = evolve(state, outcome.events)
    assert set(after.reservations) == {"a1/0"} and set(after.waitlist) == {"a2/0"}


def test_a_closed_shelter_releases_and_places_elsewhere() -> None:
    state, _ = _two_families_in_s1()
    state, _ = replay([shelter("s2", 3, PersonsCapacity(persons=8), t=2.5)], state=state)
    outcome = decide(state, shelter("s1", 1, open_=False, t=3), CONFIG)
    released = {e.reservation.alert_id: e.reason for e in outcome.events
                if isinstance(e, ReservationReleased)}  # fmt: skip
    assert released == {"a1": ReleaseReason.SHELTER_CLOSED, "a2": ReleaseReason.SHELTER_CLOSED}
    reserved = [e.reservation for e in outcome.events if isinstance(e, PlacesReserved)]
    assert {(r.alert_id, r.shelter_id) for r in reserved} == {("a1", "s2"), ("a2", "s2")}
    assert {r.decision_id for r in reserved} == {outcome.decisions[0].decision_id}
    # released then reserved again: the household's reservation is rewritten, not deleted
    assert {"reservation|a1/0", "reservation|a2/0"} <= {
        e.key for e in writes(outcome.events).upserts
    }


def test_an_alert_is_queued_then_its_batch_sealed_at_the_tick() -> None:
    state, _ = replay([shelter("s1", 1, PersonsCapacity(persons=4))])
    queued = decide(state, displaced("a1", [family(4), family(4)]), CONFIG)
    assert _kinds(queued.events) == ["AlertQueued", "ClockAdvanced", "EventProcessed"]
    assert isinstance(queued.events[0], AlertQueued)
    assert len(queued.events[0].alert.households) == 2
    state = evolve(state, queued.events)
    sealed = decide(state, tick(R, at(2), 1), CONFIG)
    assert isinstance(sealed.events[0], BatchSealed) and sealed.events[0].alert_ids == ("a1",)
    reserved = [e for e in sealed.events if isinstance(e, PlacesReserved)]
    waiting = [e for e in sealed.events if isinstance(e, HouseholdWaitlisted)]
    assert len(reserved) == 1 and not reserved[0].from_waitlist
    assert [w.entry.reason for w in waiting] == [UnplacedReason.NO_CAPACITY]
    assert isinstance(sealed.events[-2], ClockAdvanced)
    last = sealed.events[-1]
    assert isinstance(last, EventProcessed)
    assert last.processed.decision_ids == tuple(d.decision_id for d in sealed.decisions)


def test_a_vehicle_report_dispatches_it_to_a_household_placed_without_one() -> None:
    state, decisions = replay(
        [shelter("s1", 5, PersonsCapacity(persons=20)), displaced("a1", [family(4)]),
         tick(R, at(2), 1)]
    )  # fmt: skip
    assert placements(decisions)[("a1", 0)].transport_pending
    outcome = decide(state, vehicle("v1", 2, t=3), CONFIG)
    assert _kinds(outcome.events)[:3] == ["VehicleReported", "VehicleDispatched", "RideAssigned"]
    reported, dispatched, ride = outcome.events[:3]
    assert isinstance(reported, VehicleReported) and reported.vehicle.busy_until is None
    assert isinstance(dispatched, VehicleDispatched) and dispatched.vehicle.busy_until is not None
    assert isinstance(ride, RideAssigned) and ride.reservation.vehicle_id == "v1"
    assert ride.reservation.decision_id == outcome.decisions[0].decision_id


def test_feedback_says_arrived_counted_or_released() -> None:
    state, placed = _two_families_in_s1()
    first = state.reservations["a1/0"]
    second = state.reservations["a2/0"]
    arrived = decide(state, feedback(FeedbackKind.ARRIVED, placed["a1", 0], 3), CONFIG)
    assert isinstance(arrived.events[0], ArrivalConfirmed)
    assert arrived.events[0].reservation.arrived_at == at(3)
    state = evolve(state, arrived.events)
    no_show = decide(state, feedback(FeedbackKind.NO_SHOW, placed["a2", 0], 4), CONFIG)
    assert isinstance(no_show.events[0], ReservationReleased)
    assert no_show.events[0].reason == FeedbackKind.NO_SHOW
    assert no_show.events[0].reservation == second
    state = evolve(state, no_show.events)
    report = decide(
        state, shelter("s1", 1, PersonsCapacity(persons=8), occupancy=4, reported=at(5), t=5),
        CONFIG,
    )  # fmt: skip
    counted = [e for e in report.events if isinstance(e, ArrivalCounted)]
    assert [c.reservation.ident for c in counted] == [first.ident]
    assert not evolve(state, report.events).reservations


def test_a_reservation_past_its_time_expires() -> None:
    state, _ = _two_families_in_s1()
    later = decide(state, tick(R, at(2) + CONFIG.reservation_ttl, 2), CONFIG)
    expired = [e.reservation.ident for e in later.events if isinstance(e, ReservationExpired)]
    assert expired == ["a1/0", "a2/0"]
    assert not evolve(state, later.events).reservations


def test_events_are_frozen() -> None:
    state, _ = _two_families_in_s1()
    event = decide(state, tick(R, at(3), 2), CONFIG).events[-1]
    with pytest.raises(FrozenInstanceError):
        event.processed = event.processed  # type: ignore[misc, union-attr]
