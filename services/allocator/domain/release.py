"""A report leaving a shelter fewer places than it holds: the latest reservations are released.

Never overbooked: when a report lowers a shelter's capacity (or raises its occupancy) below the
places reserved there and not yet arrived, or closes it, the latest reservations go (by
reservation time, then id) until the rest fit; released households that still fit after all
(earliest first) keep their place. The others are placed again at once, together, like a batch
(elsewhere, since they no longer fit here), or waitlisted; one decision says which reservations
were released and why, and where each household went. Arrived households are never released:
they are there.
"""

from datetime import datetime

from schemas.outputs import AllocationDecision, Released
from schemas.types import ReleaseReason
from services.allocator.domain.batch import Member, hold, place
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decisions import decision
from services.allocator.domain.entities import Reservation, Shelter
from services.allocator.domain.events import DomainEvent, ReservationReleased
from services.allocator.domain.evolve import evolve
from services.allocator.domain.state import RegionState


def _room(shelter: Shelter) -> tuple[int, ReleaseReason] | None:
    if not shelter.open:
        return 0, ReleaseReason.SHELTER_CLOSED
    if shelter.capacity is None:
        return None  # unknown: no reason to release anything
    return max(0, shelter.capacity - shelter.occupancy), ReleaseReason.CAPACITY_REDUCED


def _overbooked(state: RegionState, shelter: Shelter, room: int) -> list[Reservation]:
    held = state.held.get(shelter.shelter_id, 0)
    if held <= room:
        return []
    latest = sorted(
        (
            r
            for r in state.reservations.values()
            if r.shelter_id == shelter.shelter_id and r.arrived_at is None
        ),
        key=lambda r: (r.reserved_at, r.alert_id, r.household_index),
        reverse=True,
    )
    going: list[Reservation] = []
    for r in latest:
        if held <= room:
            break
        going.append(r)
        held -= r.persons
    kept = set()
    for r in reversed(going):
        if held + r.persons <= room:
            held += r.persons
            kept.add(r.ident)
    return [r for r in going if r.ident not in kept]


def release(
    state: RegionState, shelter_id: str, now: datetime, cause_id: str, config: AllocatorConfig
) -> tuple[AllocationDecision | None, tuple[DomainEvent, ...]]:
    """The decision (None when the shelter holds what it reserved), and its events: the
    reservations released (with the reason), then where each household went."""
    shelter = state.shelters.get(shelter_id)
    found = None if shelter is None else _room(shelter)
    if shelter is None or found is None:
        return None, ()
    room, reason = found
    going = _overbooked(state, shelter, room)
    if not going:
        return None, ()
    released_events = tuple(ReservationReleased(r, reason) for r in going)
    rest = evolve(state, released_events)
    members = [
        Member(r.alert_id, r.household_index, r.lat, r.lon, r.household, r.since, False)
        for r in sorted(going, key=lambda r: (r.alert_id, r.household_index))
    ]
    placed = place(rest, members, now, config)
    released = tuple(
        Released(
            alert_id=m.alert_id,
            household_index=m.index,
            persons=m.household.size,
            shelter_id=shelter_id,
            reason=reason,
        )
        for m in members
    )
    made = decision(
        state.region_pcode,
        now,
        cause_id,
        None,
        tuple(placed.placements[m.ident] for m in members if m.ident in placed.placements),
        tuple(placed.waiting[m.ident] for m in members if m.ident in placed.waiting),
        released,
    )
    return made, (*released_events, *hold(rest, members, placed, (made,), now))
