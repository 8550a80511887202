"""The allocation rules of DESIGN.md §3, one example each, through the pure core."""

from datetime import datetime, timedelta

import pytest

from schemas.ingress import (
    AllocationFeedback,
    FloorAreaCapacity,
    Household,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
    UnknownCapacity,
)
from schemas.outputs import AllocationDecision, Placement
from schemas.sequenced import SequencedEvent
from schemas.types import FeedbackKind, GeoPoint, Need, Service, UnplacedReason, VehicleKind
from services.allocator.domain import AllocatorConfig, RegionState, decide, step
from services.allocator.domain.decide import FORGET_AT_MOST, FORGET_EVERY
from services.allocator.domain.events import ProcessedForgotten
from services.audit.replay import EPOCH, alert, replay, sequenced, tick

R = "HT01"
HOME = GeoPoint(lat=18.54, lon=-72.34)


def at(minutes: float) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


def north(km: float) -> GeoPoint:
    return GeoPoint(lat=HOME.lat + km / 111.195, lon=HOME.lon)


def shelter(
    sid: str,
    km: float,
    capacity: object = None,
    occupancy: int = 0,
    services: frozenset[Service] = frozenset(),
    open_: bool = True,
    reported: datetime = EPOCH,
    t: float = 0,
) -> SequencedEvent:
    report = ShelterCapacityReport(
        shelter_id=sid,
        location=north(km),
        capacity=capacity if capacity is not None else PersonsCapacity(persons=10),
        occupancy=occupancy,
        services=services,
        open=open_,
        reported_at=reported,
    )
    return sequenced(f"rep-{sid}-{t}", R, at(t), report)


def family(size: int = 4, needs: frozenset[Need] = frozenset(), elderly: int = 0) -> Household:
    return Household(size=size, children=0, elderly=elderly, needs=needs)


def displaced(
    aid: str, members: list[Household], t: float = 1, origin: GeoPoint = HOME
) -> SequencedEvent:
    return sequenced(aid, R, at(t), alert(origin, members, at(t)))


def vehicle(
    vid: str, km: float, seats: int = 10, accessible: int = 0, t: float = 0, available: bool = True
) -> SequencedEvent:
    report = TransportAvailability(
        vehicle_id=vid,
        kind=VehicleKind.MINIBUS,
        seats=seats,
        accessible_places=accessible,
        location=north(km),
        available=available,
        speed_kmh=60.0,
        reported_at=at(t),
    )
    return sequenced(f"veh-{vid}-{t}", R, at(t), report)


def feedback(
    kind: FeedbackKind,
    p: Placement,
    t: float,
    decision_id: str = "dec-x",
    vehicle_id: str | None = None,
) -> SequencedEvent:
    fb = AllocationFeedback(
        decision_id=decision_id,
        alert_id=p.alert_id,
        household_index=p.household_index,
        kind=kind,
        region_pcode=R,
        shelter_id=p.shelter_id,
        vehicle_id=vehicle_id if kind == FeedbackKind.VEHICLE_RELEASED else None,
        observed_at=at(t),
    )
    return sequenced(f"fb-{kind}-{t}", R, at(t), fb)


def placements(decisions: list[AllocationDecision]) -> dict[tuple[str, int], Placement]:
    return {(p.alert_id, p.household_index): p for d in decisions for p in d.placements}


def waiting(decisions: list[AllocationDecision]) -> dict[tuple[str, int], UnplacedReason]:
    return {(w.alert_id, w.household_index): w.reason for d in decisions for w in d.waitlisted}


def test_an_alert_waits_for_the_tick_that_seals_its_batch() -> None:
    state, decisions = replay([shelter("s1", 1), displaced("a1", [family()])])
    assert decisions == []
    assert "a1" in state.pending
    state, decisions = replay([tick(R, at(2), 1)], state=state)
    assert [d.alert_id for d in decisions] == ["a1"]
    assert decisions[0].cause_event_id == f"tick:{R}:1"
    assert decisions[0].placements[0].shelter_id == "s1"
    assert not state.pending


def test_capacity_from_floor_area_at_sphere_minimum() -> None:
    # 14 m² hold 4 persons at 3.5 m² each: a household of 4 fits, then one of 1 does not
    area = FloorAreaCapacity(covered_m2=14.0)
    _, decisions = replay(
        [shelter("s1", 1, area), displaced("a1", [family(4), family(1)]), tick(R, at(2), 1)]
    )
    assert placements(decisions)[("a1", 0)].shelter_id == "s1"
    assert waiting(decisions) == {("a1", 1): UnplacedReason.NO_CAPACITY}


def test_unknown_capacity_and_closed_shelters_offer_nothing() -> None:
    events = [
        shelter("unknown", 1, UnknownCapacity()),
        shelter("closed", 1, PersonsCapacity(persons=100), open_=False),
        displaced("a1", [family()]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    assert waiting(decisions) == {("a1", 0): UnplacedReason.NO_CAPACITY}


def test_occupancy_and_reservations_are_subtracted() -> None:
    events = [
        shelter("s1", 1, PersonsCapacity(persons=10), occupancy=3),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
        displaced("a2", [family(4)], t=3),
        tick(R, at(4), 2),
    ]
    _, decisions = replay(events)
    assert ("a1", 0) in placements(decisions)
    assert waiting(decisions) == {("a2", 0): UnplacedReason.NO_CAPACITY}


def test_needs_go_to_shelters_offering_the_service() -> None:
    events = [
        shelter("near", 1),
        shelter("health", 5, services=frozenset({Service.HEALTH})),
        displaced("a1", [family(needs=frozenset({Need.MEDICAL})), family()]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    placed = placements(decisions)
    assert placed[("a1", 0)].shelter_id == "health"
    assert placed[("a1", 1)].shelter_id == "near"


def test_no_service_match_and_beyond_max_distance_reasons() -> None:
    events = [
        shelter("far", 80, PersonsCapacity(persons=100)),
        displaced("a1", [family(needs=frozenset({Need.MOBILITY})), family()]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    assert waiting(decisions) == {
        ("a1", 0): UnplacedReason.NO_SERVICE_MATCH,
        ("a1", 1): UnplacedReason.BEYOND_MAX_DISTANCE,
    }


def test_households_without_needs_leave_scarce_places_when_an_equal_one_exists() -> None:
    """With protection always on (``adaptive_scarce=False``); adaptive protection, the default,
    leaves places nobody is expected to need to the nearest: test_allocator_protection.py."""
    events = [
        shelter("health", 2, services=frozenset({Service.HEALTH})),
        shelter("plain", 2.2),
        displaced("a1", [family()]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events, AllocatorConfig(adaptive_scarce=False))
    assert placements(decisions)[("a1", 0)].shelter_id == "plain"
    _, decisions = replay(events)
    assert placements(decisions)[("a1", 0)].shelter_id == "health"


def test_stale_shelter_data_is_used_and_flagged() -> None:
    events = [
        shelter("s1", 1, reported=EPOCH - timedelta(hours=30)),
        displaced("a1", [family()]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    assert placements(decisions)[("a1", 0)].shelter_data_stale


def test_expiry_frees_the_place() -> None:
    config = AllocatorConfig(reservation_ttl=timedelta(hours=1))
    events = [
        shelter("s1", 1, PersonsCapacity(persons=4)),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
        displaced("a2", [family(4)], t=3),
        tick(R, at(4), 2),
    ]
    state, decisions = replay(events, config)
    assert waiting(decisions) == {("a2", 0): UnplacedReason.NO_CAPACITY}
    state, decisions = replay([tick(R, at(70), 3)], config, state)
    assert placements(decisions)[("a2", 0)].shelter_id == "s1"
    assert decisions[0].alert_id is None


def test_no_show_frees_the_place_at_once() -> None:
    events = [
        shelter("s1", 1, PersonsCapacity(persons=4)),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
        displaced("a2", [family(4)], t=3),
        tick(R, at(4), 2),
    ]
    state, decisions = replay(events)
    first = placements(decisions)[("a1", 0)]
    state, decisions = replay(
        [feedback(FeedbackKind.NO_SHOW, first, 5), tick(R, at(6), 3)], state=state
    )
    assert placements(decisions)[("a2", 0)].shelter_id == "s1"


def test_arrival_is_counted_once_a_newer_report_includes_it() -> None:
    events = [
        shelter("s1", 1, PersonsCapacity(persons=4)),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
    ]
    state, decisions = replay(events)
    first = placements(decisions)[("a1", 0)]
    state, _ = replay([feedback(FeedbackKind.ARRIVED, first, 3)], state=state)
    assert state.available("s1") == 0
    # a report from after the arrival counts the family in its occupancy
    state, _ = replay(
        [shelter("s1", 1, PersonsCapacity(persons=8), occupancy=4, reported=at(4), t=4)],
        state=state,
    )
    assert not state.reservations
    assert state.available("s1") == 4


def test_transport_pending_without_vehicle_then_vehicle_carries_same_alert() -> None:
    events = [
        shelter("s1", 5, PersonsCapacity(persons=20)),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    p = placements(decisions)[("a1", 0)]
    assert p.transport_pending and p.vehicle_id is None and p.eta_minutes is None
    events = [
        shelter("s1", 5, PersonsCapacity(persons=20)),
        vehicle("v1", 1, seats=9),
        vehicle("v2", 30, seats=9),
        displaced("a1", [family(4), family(4), family(4)]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    rides = {i: (p.vehicle_id, p.eta_minutes) for (_, i), p in placements(decisions).items()}
    # 1 km to the origin then 5 km to the shelter at 60 km/h: 6 minutes
    assert rides[0] == ("v1", 6) and rides[1] == ("v1", 6)
    assert rides[2][0] == "v2"


def test_mobility_needs_an_accessible_place_in_the_vehicle() -> None:
    events = [
        shelter("s1", 5, services=frozenset({Service.ACCESSIBLE})),
        vehicle("plain", 1),
        vehicle("ramp", 10, accessible=1),
        displaced("a1", [family(needs=frozenset({Need.MOBILITY}))]),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    assert placements(decisions)[("a1", 0)].vehicle_id == "ramp"


def test_vehicle_busy_until_released_or_round_trip() -> None:
    events = [
        shelter("s1", 5, PersonsCapacity(persons=50)),
        vehicle("v1", 0),
        displaced("a1", [family()]),
        tick(R, at(2), 1),
        displaced("a2", [family()], t=3),
        tick(R, at(4), 2),
    ]
    state, decisions = replay(events)
    first = placements(decisions)[("a1", 0)]
    assert first.vehicle_id == "v1"
    assert placements(decisions)[("a2", 0)].transport_pending
    # released, v1 fetches a2 at once (it waits for a vehicle); a3 then finds it busy
    release = feedback(FeedbackKind.VEHICLE_RELEASED, first, 5, vehicle_id="v1")
    state, decisions = replay(
        [release, displaced("a3", [family()], t=6), tick(R, at(7), 3)], state=state
    )
    assert placements(decisions)[("a2", 0)].vehicle_id == "v1"
    assert placements(decisions)[("a3", 0)].transport_pending
    # round trip 0 + 5 + 5 km at 60 km/h: free again 10 minutes after minute 5; the tick after
    # that sends it to a3, who waited longer than a4, and a5 finds it busy again
    state, decisions = replay(
        [
            displaced("a4", [family()], t=8),
            tick(R, at(9), 4),
            tick(R, at(16), 5),
            displaced("a5", [family()], t=17.5),
            tick(R, at(18), 6),
        ],
        state=state,
    )
    fetched = [d for d in decisions if d.cause_event_id == f"tick:{R}:5"]
    assert [(p.alert_id, p.vehicle_id) for d in fetched for p in d.placements] == [("a3", "v1")]
    assert placements(decisions)[("a4", 0)].transport_pending
    assert placements(decisions)[("a5", 0)].transport_pending


def test_waitlist_is_served_when_a_report_adds_capacity() -> None:
    events = [
        shelter("s1", 1, PersonsCapacity(persons=2)),
        displaced("a1", [family(4)]),
        tick(R, at(2), 1),
    ]
    state, decisions = replay(events)
    assert waiting(decisions) == {("a1", 0): UnplacedReason.NO_CAPACITY}
    assert state.waitlist
    state, decisions = replay(
        [shelter("s1", 1, PersonsCapacity(persons=6), reported=at(3), t=3), tick(R, at(4), 2)],
        state=state,
    )
    assert [d.alert_id for d in decisions] == [None]
    assert placements(decisions)[("a1", 0)].shelter_id == "s1"
    assert not state.waitlist


def test_priority_order_under_scarcity() -> None:
    members = [
        family(2),
        family(2, elderly=1),
        family(2, needs=frozenset({Need.MOBILITY})),
        family(2, needs=frozenset({Need.UNACCOMPANIED_CHILDREN})),
        family(2, needs=frozenset({Need.MEDICAL})),
    ]
    every = frozenset({Service.ACCESSIBLE, Service.HEALTH, Service.CHILD_PROTECTION})
    for room, placed in [(2, {4}), (4, {3, 4}), (6, {2, 3, 4}), (8, {1, 2, 3, 4})]:
        events = [
            shelter("s1", 1, PersonsCapacity(persons=room), services=every),
            displaced("a1", members),
            tick(R, at(2), 1),
        ]
        _, decisions = replay(events)
        assert {i for _, i in placements(decisions)} == placed


def test_earlier_waiting_goes_first_within_a_class() -> None:
    events = [
        shelter("s1", 1, PersonsCapacity(persons=0)),
        displaced("old", [family()], t=1),
        tick(R, at(2), 1),
        displaced("new", [family()], t=3),
        shelter("s1", 1, PersonsCapacity(persons=4), reported=at(4), t=4),
        tick(R, at(5), 2),
    ]
    _, decisions = replay(events)
    assert set(placements(decisions)) == {("old", 0)}


def test_batch_beats_nearest_first_in_arrival_order() -> None:
    # Nearest-first would send the first family to A (1 km) and the second, for whom A is the
    # only close shelter, 40 km away to B: 41 km. The batch sends the first to B at 3 km.
    events = [
        shelter("A", 0, PersonsCapacity(persons=4)),
        shelter("B", 3, PersonsCapacity(persons=4)),
        displaced("first", [family(4)], t=1, origin=north(1)),
        displaced("second", [family(4)], t=1.5, origin=north(-40)),
        tick(R, at(2), 1),
    ]
    _, decisions = replay(events)
    placed = placements(decisions)
    assert placed[("first", 0)].shelter_id == "B"
    assert placed[("second", 0)].shelter_id == "A"
    assert sum(p.distance_km for p in placed.values()) == pytest.approx(42, abs=0.1)


def test_a_redelivered_event_decides_nothing_and_changes_nothing() -> None:
    config = AllocatorConfig()
    state, _ = replay([shelter("s1", 1), displaced("a1", [family()])])
    sealing = tick(R, at(2), 1)
    state, decisions = step(state, sealing, config)
    assert len(decisions) == 1
    again = decide(state, sealing, config)
    assert again.duplicate and again.decisions == () and again.events == ()
    assert state.processed[sealing.event_id].decision_ids == (decisions[0].decision_id,)


def test_one_alert_decision_even_when_every_household_waits() -> None:
    state, decisions = replay([displaced("a1", [family(), family()]), tick(R, at(2), 1)])
    assert len(decisions) == 1 and decisions[0].alert_id == "a1"
    assert len(decisions[0].waitlisted) == 2
    assert RegionState.from_entities(R, state.entities()) == state


def test_processed_ids_are_forgotten_after_the_horizon() -> None:
    config = AllocatorConfig(processed_horizon=timedelta(minutes=5))
    state, _ = replay([shelter("s1", 1), tick(R, at(10), 1)], config)
    assert "rep-s1-0" not in state.processed
    assert f"tick:{R}:1" in state.processed


def test_ticks_are_forgotten_after_an_hour_partner_events_after_the_week() -> None:
    """A tick every second for two hours: the table keeps an hour of tick ids (and a sweep's
    worth), not a week of them; a partner's event of the first minute is still known."""
    events = [shelter("s1", 1)] + [tick(R, at(s / 60), s) for s in range(1, 2 * 3600)]
    state, _ = replay(events)
    ticks = [p for p in state.processed.values() if p.event_id.startswith("tick:")]
    assert 3600 <= len(ticks) <= 3600 + FORGET_EVERY
    assert "rep-s1-0" in state.processed


def test_a_sweep_forgets_at_most_its_limit_oldest_first() -> None:
    """A table that held a week of ticks (before the tick horizon) is emptied over many sweeps:
    one event's change must stay far below a message's size limit."""
    events = [tick(R, at(s / 60), s) for s in range(1, 3 * FORGET_AT_MOST + 1)]
    long = AllocatorConfig(tick_horizon=timedelta(days=7))
    state, _ = replay(events, long)
    assert len(state.processed) == 3 * FORGET_AT_MOST
    assert state.clock is not None and state.clock.ticks % FORGET_EVERY == 0  # the next sweeps
    sweep = tick(R, at(60 * 24), 3 * FORGET_AT_MOST + 1)  # a day later
    outcome = decide(state, sweep, AllocatorConfig())
    forgotten = [e for e in outcome.events if isinstance(e, ProcessedForgotten)]
    assert len(forgotten) == 1 and len(forgotten[0].processed) == FORGET_AT_MOST
    assert forgotten[0].processed[0].event_id == f"tick:{R}:1"


def test_a_later_report_supersedes_by_log_order_not_by_its_reported_at() -> None:
    """Issue 11: a report that arrives later applies, even when the partner dated it earlier
    (intake refuses times ahead of the log, so no report can lock out the ones after it)."""
    events = [
        shelter("s1", 1, PersonsCapacity(persons=2), reported=at(10), t=10),
        shelter("s1", 1, PersonsCapacity(persons=20), reported=at(5), t=11),
        vehicle("v1", 1, seats=2, t=10),
        # reported at minute 5, sequenced at minute 11
        vehicle("v1", 1, seats=8, t=5).model_copy(update={"sequenced_at": at(11)}),
        displaced("a1", [family(4)], t=12),
        tick(R, at(13), 1),
    ]
    state, decisions = replay(events)
    assert state.shelters["s1"].capacity == 20
    assert state.shelters["s1"].reported_at == at(5)
    assert state.vehicles["v1"].seats == 8
    p = placements(decisions)[("a1", 0)]
    assert (p.shelter_id, p.vehicle_id) == ("s1", "v1")
