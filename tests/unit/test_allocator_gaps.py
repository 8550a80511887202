"""Issue 9's lifecycle gaps, through the pure core: a later vehicle fetches households placed
without one; a report below what is reserved releases the latest reservations and places those
households again or waitlists them; no household waits for want of a vehicle."""

from schemas.ingress import PersonsCapacity
from schemas.outputs import AllocationDecision
from schemas.types import FeedbackKind, Need, ReleaseReason, Service, UnplacedReason
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
    waiting,
)

MEDICAL = frozenset({Need.MEDICAL})
ALL = frozenset(Service)


def pending_in(events: list) -> tuple:
    state, decisions = replay(events)
    assert all(p.transport_pending for p in placements(decisions).values())
    return state, decisions


def test_a_later_vehicle_report_fetches_a_household_placed_without_one() -> None:
    state, decisions = pending_in(
        [
            shelter("s1", 5, PersonsCapacity(persons=20)),
            displaced("a1", [family(4)]),
            tick(R, at(2), 1),
        ]
    )
    before = placements(decisions)[("a1", 0)]
    report = vehicle("v1", 1, seats=6, t=3)
    state, decisions = replay([report], state=state)
    [made] = decisions
    assert made.alert_id is None and made.cause_event_id == report.event_id
    p = made.placements[0]
    assert (p.alert_id, p.household_index, p.vehicle_id) == ("a1", 0, "v1")
    assert not p.transport_pending and p.eta_minutes == 6  # 1 km + 5 km at 60 km/h
    assert (p.shelter_id, p.reserved_until) == (before.shelter_id, before.reserved_until)
    assert state.reservations["a1/0"].vehicle_id == "v1"
    assert state.vehicles["v1"].busy_until is not None
    assert state.held["s1"] == 4  # the same place, not a second one


def test_vehicles_go_by_the_waitlist_priority_then_waiting_time() -> None:
    state, _ = pending_in(
        [
            shelter("s1", 5, PersonsCapacity(persons=40), services=ALL),
            displaced("plain-early", [family(4)], t=1),
            displaced("plain-late", [family(4)], t=1.2),
            displaced("elderly", [family(4, elderly=1)], t=1.4),
            displaced("medical", [family(4, needs=MEDICAL)], t=1.6),
            tick(R, at(2), 1),
        ]
    )
    order = []
    for n, vid in enumerate(("v1", "v2", "v3", "v4")):
        state, decisions = replay([vehicle(vid, 1, seats=4, t=3 + n)], state=state)
        order.append(next(iter(placements(decisions))))
    assert order == [("medical", 0), ("elderly", 0), ("plain-early", 0), ("plain-late", 0)]


def test_the_nearest_free_vehicle_that_carries_the_household_goes() -> None:
    state, _ = pending_in(
        [
            shelter("s1", 5, PersonsCapacity(persons=20), services=ALL),
            displaced("a1", [family(4, needs=frozenset({Need.MOBILITY}))]),
            tick(R, at(2), 1),
        ]
    )
    state, decisions = replay(
        [vehicle("small", 0.5, seats=2, t=3)], state=state
    )  # too few seats: nothing to decide
    assert decisions == []
    state, decisions = replay(
        [vehicle("far", 20, seats=8, accessible=1, t=4), vehicle("near", 2, seats=8, t=4)],
        state=state,
    )
    assert placements(decisions)[("a1", 0)].vehicle_id == "far"  # the only accessible one
    state, decisions = replay(
        [
            shelter("s1", 5, PersonsCapacity(persons=20), reported=at(0), t=0),
            displaced("a2", [family(4)], t=5),
            tick(R, at(6), 2),
        ],
        state=state,
    )
    assert placements(decisions)[("a2", 0)].vehicle_id == "near"


def test_a_released_vehicle_fetches_and_unavailable_or_arrived_change_nothing() -> None:
    state, decisions = replay(
        [
            shelter("s1", 5, PersonsCapacity(persons=20)),
            vehicle("v1", 0, seats=4),
            displaced("a1", [family(4)]),
            displaced("a2", [family(4)], t=1.5),
            tick(R, at(2), 1),
        ]
    )
    rides = placements(decisions)
    carried = next(p for p in rides.values() if p.vehicle_id == "v1")
    left = next(p for p in rides.values() if p.transport_pending)
    state, decisions = replay([vehicle("v2", 0, seats=4, t=3, available=False)], state=state)
    assert decisions == []
    release = feedback(FeedbackKind.VEHICLE_RELEASED, carried, 4, vehicle_id="v1")
    state, decisions = replay([release], state=state)
    assert placements(decisions)[(left.alert_id, 0)].vehicle_id == "v1"
    assert decisions[0].cause_event_id == release.event_id
    # a household that already arrived on its own is not fetched
    state, decisions = pending_in(
        [
            shelter("s1", 5, PersonsCapacity(persons=20)),
            displaced("a3", [family(4)]),
            tick(R, at(2), 1),
        ]
    )
    state, _ = replay([feedback(FeedbackKind.ARRIVED, decisions[0].placements[0], 3)], state=state)
    state, decisions = replay([vehicle("v9", 1, t=4)], state=state)
    assert decisions == [] and state.reservations["a3/0"].vehicle_id is None


def released_by(decisions: list[AllocationDecision]) -> dict[tuple[str, int], ReleaseReason]:
    return {(r.alert_id, r.household_index): r.reason for d in decisions for r in d.released}


def test_a_report_below_what_is_reserved_moves_the_latest_reservation_elsewhere() -> None:
    state, decisions = replay(
        [
            shelter("s1", 1, PersonsCapacity(persons=10)),
            shelter("s2", 3, PersonsCapacity(persons=10)),
            displaced("a1", [family(4)]),
            tick(R, at(2), 1),
            displaced("a2", [family(4)], t=3),
            tick(R, at(4), 2),
        ]
    )
    assert {k: p.shelter_id for k, p in placements(decisions).items()} == {
        ("a1", 0): "s1",
        ("a2", 0): "s1",
    }
    shrink = shelter("s1", 1, PersonsCapacity(persons=5), reported=at(5), t=5)
    state, decisions = replay([shrink], state=state)
    [made] = decisions
    assert made.cause_event_id == shrink.event_id and made.alert_id is None
    assert released_by(decisions) == {("a2", 0): ReleaseReason.CAPACITY_REDUCED}
    assert made.released[0].shelter_id == "s1"
    assert placements(decisions)[("a2", 0)].shelter_id == "s2"
    assert state.reservations["a1/0"].shelter_id == "s1"
    assert state.reservations["a2/0"].shelter_id == "s2"
    assert (state.held["s1"], state.held["s2"]) == (4, 4)


def test_released_households_with_no_place_left_are_waitlisted_as_they_waited() -> None:
    state, _ = replay(
        [
            shelter("s1", 1, PersonsCapacity(persons=8), services=ALL),
            displaced("a1", [family(4)], t=1),
            displaced("a2", [family(4, needs=MEDICAL)], t=1.5),
            tick(R, at(2), 1),
        ]
    )
    state, decisions = replay(
        [
            shelter(
                "s1", 1, PersonsCapacity(persons=8), occupancy=4, services=ALL, reported=at(3), t=3
            )
        ],
        state=state,
    )
    # both were reserved at the same tick: the later by id goes first, and one is enough
    assert released_by(decisions) == {("a2", 0): ReleaseReason.CAPACITY_REDUCED}
    assert waiting(decisions) == {("a2", 0): UnplacedReason.NO_CAPACITY}
    assert decisions[0].waitlisted[0].since == at(1.5)
    assert state.waitlist["a2/0"].since == at(1.5) and "a2/0" not in state.reservations
    assert state.held["s1"] == 4
    # the waitlist is served when places appear again
    state, decisions = replay(
        [
            shelter(
                "s1", 1, PersonsCapacity(persons=20), occupancy=4, services=ALL, reported=at(4), t=4
            ),
            tick(R, at(5), 2),
        ],
        state=state,
    )
    assert placements(decisions)[("a2", 0)].shelter_id == "s1"


def test_a_closed_shelter_releases_all_but_arrived_households() -> None:
    state, decisions = replay(
        [
            shelter("s1", 1, PersonsCapacity(persons=20)),
            shelter("s2", 4, PersonsCapacity(persons=20)),
            displaced("a1", [family(4), family(3)]),
            tick(R, at(2), 1),
        ]
    )
    first = placements(decisions)[("a1", 0)]
    state, _ = replay([feedback(FeedbackKind.ARRIVED, first, 3)], state=state)
    state, decisions = replay(
        [shelter("s1", 1, PersonsCapacity(persons=20), open_=False, reported=at(2.5), t=4)],
        state=state,
    )
    assert released_by(decisions) == {("a1", 1): ReleaseReason.SHELTER_CLOSED}
    assert placements(decisions)[("a1", 1)].shelter_id == "s2"
    assert state.reservations["a1/0"].shelter_id == "s1"  # arrived: it is there


def test_released_households_that_fit_after_all_keep_their_place() -> None:
    state, _ = replay(
        [
            shelter("s1", 1, PersonsCapacity(persons=10)),
            displaced("a1", [family(2)]),
            tick(R, at(2), 1),
            displaced("a2", [family(4)], t=3),
            tick(R, at(4), 2),
            displaced("a3", [family(1)], t=5),
            tick(R, at(6), 3),
        ]
    )
    state, decisions = replay(
        [shelter("s1", 1, PersonsCapacity(persons=3), reported=at(7), t=7)], state=state
    )
    # latest first: a3 (1) and a2 (4) go to get under 3; a3 fits again beside a1, a2 does not
    assert released_by(decisions) == {("a2", 0): ReleaseReason.CAPACITY_REDUCED}
    assert set(state.reservations) == {"a1/0", "a3/0"} and state.held["s1"] == 3


def test_a_household_with_a_place_but_no_vehicle_anywhere_keeps_its_place() -> None:
    """No vehicle never waitlists a household: it keeps its place, transport pending (what
    logistics partners are told), so ``no_vehicle`` is not a waitlist reason."""
    assert "no_vehicle" not in {r.value for r in UnplacedReason}
    _, decisions = replay(
        [
            shelter("s1", 5, services=frozenset({Service.ACCESSIBLE})),
            vehicle("plain", 1),
            displaced("a1", [family(needs=frozenset({Need.MOBILITY}))]),
            tick(R, at(2), 1),
        ]
    )
    p = placements(decisions)[("a1", 0)]
    assert p.shelter_id == "s1" and p.transport_pending and not waiting(decisions)
