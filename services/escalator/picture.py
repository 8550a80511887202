"""The allocator's view of a region, summarised as the escalator's facts.

The escalator replays the allocator's pure core over the region log (see store.py), so what it
escalates is exactly what the allocator decided, in the same log order. This module reads that
state; it is the one place that knows the allocator's entities.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from schemas.outputs import AllocationDecision
from schemas.types import Need
from services.allocator.domain import RegionState, household_id
from services.escalator.domain.facts import Group, Picture, group


def _group(members: Iterable[tuple[int, frozenset[Need], datetime]]) -> Group:
    households = persons = 0
    needs: dict[Need, int] = {}
    since: datetime | None = None
    for size, flags, started in members:
        households += 1
        persons += size
        for need in flags:
            needs[need] = needs.get(need, 0) + 1
        since = started if since is None or started < since else since
    return group(households, persons, needs, since)


def picture_of(state: RegionState, at: datetime, stale_after: timedelta) -> Picture:
    """Who waits for a place, who waits for a vehicle, how full the shelters are, and which
    stale shelters still receive households."""
    waiting = _group(
        (w.household.size, frozenset(w.household.needs), w.since) for w in state.waitlist.values()
    )
    transport = _group(
        (r.persons, frozenset(r.household.needs), r.since)
        for r in state.reservations.values()
        if r.vehicle_id is None and r.arrived_at is None
    )
    places = used = 0
    stale: list[str] = []
    for shelter in state.shelters.values():
        held = state.held.get(shelter.shelter_id, 0)
        if shelter.usable and shelter.capacity is not None:
            places += shelter.capacity
            used += min(shelter.capacity, shelter.occupancy + held)
        if held > 0 and shelter.reported_at < at - stale_after:
            stale.append(shelter.shelter_id)
    alerts = state.held_alerts.values()
    on_hold = _group(
        (h.size, frozenset(h.needs), a.received_at) for a in alerts for h in a.households
    )
    return Picture(
        waiting, transport, places, used, tuple(sorted(stale)), on_hold,
        held_alerts=tuple(sorted(a.alert_id for a in alerts)),
        held_by=tuple(sorted({a.partner_id for a in alerts if a.partner_id is not None})),
    )  # fmt: skip


def medical_placed(
    decisions: Iterable[AllocationDecision], since: datetime, counted: set[str]
) -> Group:
    """Households with a medical need placed, each counted once while it holds a place: a later
    decision about the same household (a vehicle fetching it, a release placing it again) is
    not a new placement. ``counted`` is updated."""
    new = []
    for d in decisions:
        for p in d.placements:
            ident = household_id(p.alert_id, p.household_index)
            if Need.MEDICAL in p.needs and ident not in counted:
                counted.add(ident)
                new.append((p.persons, frozenset(p.needs), since))
    return _group(new)


def children_alone(decisions: Iterable[AllocationDecision], since: datetime) -> Group:
    """Households with unaccompanied or separated children, placed or waitlisted, counted once:
    in the decision on their alert (a later placement from the waitlist is not counted again)."""
    first = [d for d in decisions if d.alert_id is not None]
    placed = ((p.persons, frozenset(p.needs)) for d in first for p in d.placements)
    waiting = ((w.persons, frozenset(w.needs)) for d in first for w in d.waitlisted)
    return _group(
        (size, flags, since)
        for size, flags in (*placed, *waiting)
        if Need.UNACCOMPANIED_CHILDREN in flags
    )
