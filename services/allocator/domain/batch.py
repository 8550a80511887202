"""Sealing a micro-batch at a tick: pending alerts and the waitlist are placed together."""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from schemas.ingress import Household
from schemas.outputs import AllocationDecision, Placement, Waitlisted
from schemas.types import NEED_SERVICE, Need, Service
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decisions import decision
from services.allocator.domain.entities import Reservation, Vehicle, WaitEntry, household_id
from services.allocator.domain.events import (
    BatchSealed,
    DomainEvent,
    HouseholdWaitlisted,
    PlacesReserved,
    VehicleDispatched,
)
from services.allocator.domain.protection import protected
from services.allocator.domain.reasons import Reasons
from services.allocator.domain.state import RegionState
from services.allocator.domain.transport import Ride, Rider, dispatch
from services.allocator.placement.greedy import assign
from services.allocator.placement.model import EVERY_SCARCE, Demand, Option, Rooms, Supply

PRIORITY_NEEDS = (Need.MEDICAL, Need.UNACCOMPANIED_CHILDREN, Need.MOBILITY)


def priority_class(household: Household) -> int:
    """0 medical, 1 unaccompanied children, 2 mobility, 3 elderly, 4 everyone else."""
    for rank, need in enumerate(PRIORITY_NEEDS):
        if need in household.needs:
            return rank
    return 3 if household.elderly > 0 else 4


@dataclass(frozen=True)
class Member:
    """A household in the batch: from a pending alert (``fresh``) or from the waitlist."""

    alert_id: str
    index: int
    lat: float
    lon: float
    household: Household
    since: datetime
    fresh: bool

    @property
    def ident(self) -> str:
        return household_id(self.alert_id, self.index)

    def demand(self) -> Demand:
        h = self.household
        rank = (priority_class(h), self.since, self.alert_id, self.index)
        requires = frozenset(NEED_SERVICE[n] for n in h.needs)
        return Demand(self.ident, rank, self.lat, self.lon, h.size, requires)


def _members(state: RegionState, waitlist: bool) -> Iterator[Member]:
    for alert in sorted(state.pending.values(), key=lambda a: (a.received_at, a.alert_id)):
        for index, h in enumerate(alert.households):
            yield Member(alert.alert_id, index, alert.lat, alert.lon, h, alert.received_at, True)
    if not waitlist:
        return
    for w in sorted(
        state.waitlist.values(), key=lambda w: (w.since, w.alert_id, w.household_index)
    ):
        yield Member(w.alert_id, w.household_index, w.lat, w.lon, w.household, w.since, False)


@dataclass(frozen=True)
class Sealed:
    decisions: tuple[AllocationDecision, ...]
    events: tuple[DomainEvent, ...]


@dataclass(frozen=True)
class Placed:
    """Where the members of a batch go: a placement (with its ride) or a reason to wait."""

    placements: dict[str, Placement]
    waiting: dict[str, Waitlisted]
    vehicles: tuple[Vehicle, ...]
    """The vehicles dispatched, busy for their round trips."""


def seal(
    state: RegionState,
    now: datetime,
    cause_id: str,
    config: AllocatorConfig,
    waitlist: bool = True,
) -> Sealed:
    """Decisions for the batch, and the entities they change.

    With ``waitlist`` False the waitlist stays out of the batch: the caller knows that no place
    appeared since it was last served, so no waitlisted household fits anywhere (the batch that
    waitlisted it left it no shelter with room for it, and places only went since), nor can it
    take the place of a household of the batch (room left + that household's size is at most
    the places available at the tick). The batch then decides exactly what it would decide with
    the waitlist in it, and the waitlist's entries stay as they are.
    """
    members = list(_members(state, waitlist))
    if not members:
        return Sealed((), ())
    placed = place(state, members, now, config)
    decisions = _decisions(state, members, placed.placements, placed.waiting, now, cause_id)
    sealed = [BatchSealed(tuple(sorted(state.pending)))] if state.pending else []
    return Sealed(decisions, (*sealed, *hold(state, members, placed, decisions, now)))


def place(
    state: RegionState, members: list[Member], now: datetime, config: AllocatorConfig
) -> Placed:
    """Places for ``members`` together (the optimiser), then vehicles by priority."""
    shelters = state.shelters
    known: dict[str, frozenset[Service]] = {}

    def services(sid: str) -> frozenset[Service]:
        found = known.get(sid)
        if found is None:
            found = known[sid] = shelters[sid].services
        return found

    supply = Supply(
        state.spare,
        services,
        config.max_distance_km,
        config.scarce_detour_km,
        protected(state, (m.household for m in members))
        if config.adaptive_scarce
        else EVERY_SCARCE,
        config.fragment_detour_km,
        state.available,
    )
    demands = {m.ident: m.demand() for m in members}
    placed = assign(list(demands.values()), supply, Rooms(state.available))
    if len(placed) < len(demands):
        # not everyone fits: without the fragment price (the batch's own households take the
        # fragments), or protecting every scarce place (fewer fragments left), may fit more
        plain = replace(supply, fragment_km=0.0)
        others = [plain] if supply.fragment_km else []
        if supply.protected != EVERY_SCARCE:
            others.append(replace(plain, protected=EVERY_SCARCE))
        for candidate in others:
            other = assign(list(demands.values()), candidate, Rooms(state.available))
            if _measure(other, demands) > _measure(placed, demands):
                supply, placed = candidate, other
    ranked = sorted((m for m in members if m.ident in placed), key=lambda m: demands[m.ident].rank)
    rides, vehicles = dispatch(
        [_rider(m, placed[m.ident], state) for m in ranked], state.vehicles, now
    )
    reasons = Reasons(state.grid, supply.services, config.max_distance_km)
    placements: dict[str, Placement] = {}
    waiting: dict[str, Waitlisted] = {}
    for m in members:
        if m.ident in placed:
            placements[m.ident] = _placement(
                m, placed[m.ident], rides.get(m.ident), state, now, config
            )
        else:
            reason = reasons.why(demands[m.ident])
            waiting[m.ident] = Waitlisted(
                alert_id=m.alert_id,
                household_index=m.index,
                persons=m.household.size,
                needs=m.household.needs,
                reason=reason,
                since=m.since,
            )
    return Placed(placements, waiting, vehicles)


def _measure(placed: dict[str, Option], demands: dict[str, Demand]) -> tuple[int, float]:
    """Persons placed, then fewer person-km: larger is better."""
    persons = sum(demands[ident].size for ident in placed)
    return persons, -sum(demands[i].size * o.distance_km for i, o in placed.items())


def hold(
    state: RegionState,
    members: list[Member],
    placed: Placed,
    decisions: tuple[AllocationDecision, ...],
    now: datetime,
) -> list[DomainEvent]:
    """What a batch changes: vehicles dispatched, places reserved for the placed (who leave the
    waitlist), the others waitlisted (again only when their reason changed)."""
    decided = {
        household_id(p.alert_id, p.household_index): d.decision_id
        for d in decisions
        for p in d.placements
    }
    events: list[DomainEvent] = [VehicleDispatched(v) for v in placed.vehicles]
    for m in members:
        if m.ident in placed.placements:
            p = placed.placements[m.ident]
            reservation = Reservation(
                alert_id=m.alert_id,
                household_index=m.index,
                shelter_id=p.shelter_id,
                persons=p.persons,
                lat=m.lat,
                lon=m.lon,
                household=m.household,
                since=m.since,
                vehicle_id=p.vehicle_id,
                decision_id=decided[m.ident],
                reserved_at=now,
                reserved_until=p.reserved_until,
            )
            events.append(PlacesReserved(reservation, from_waitlist=m.ident in state.waitlist))
        else:
            reason = placed.waiting[m.ident].reason
            old = state.waitlist.get(m.ident)
            if old is None or old.reason != reason:
                entry = WaitEntry(
                    alert_id=m.alert_id,
                    household_index=m.index,
                    lat=m.lat,
                    lon=m.lon,
                    household=m.household,
                    since=m.since,
                    reason=reason,
                )
                events.append(HouseholdWaitlisted(entry))
    return events


def _rider(m: Member, option: Option, state: RegionState) -> Rider:
    shelter = state.shelters[option.shelter_id]
    return Rider(
        m.ident,
        m.alert_id,
        option.shelter_id,
        (m.lat, m.lon),
        (shelter.lat, shelter.lon),
        m.household.size,
        Need.MOBILITY in m.household.needs,
    )


def _placement(
    m: Member,
    option: Option,
    ride: Ride | None,
    state: RegionState,
    now: datetime,
    config: AllocatorConfig,
) -> Placement:
    shelter = state.shelters[option.shelter_id]
    return Placement(
        alert_id=m.alert_id,
        household_index=m.index,
        persons=m.household.size,
        needs=m.household.needs,
        shelter_id=option.shelter_id,
        vehicle_id=None if ride is None else ride.vehicle_id,
        transport_pending=ride is None,
        distance_km=round(option.distance_km, 3),
        eta_minutes=None if ride is None else ride.eta_minutes,
        shelter_data_stale=now - shelter.reported_at > config.stale_after,
        reserved_until=now + config.reservation_ttl,
    )


def _decisions(
    state: RegionState,
    members: list[Member],
    placements: dict[str, Placement],
    waiting: dict[str, Waitlisted],
    now: datetime,
    cause_id: str,
) -> tuple[AllocationDecision, ...]:
    out = []
    by_alert: dict[str, list[Member]] = {}
    for m in members:
        if m.fresh:
            by_alert.setdefault(m.alert_id, []).append(m)
    for alert_id in sorted(state.pending, key=lambda a: (state.pending[a].received_at, a)):
        group = by_alert[alert_id]
        out.append(
            decision(
                state.region_pcode,
                now,
                cause_id,
                alert_id,
                tuple(placements[m.ident] for m in group if m.ident in placements),
                tuple(waiting[m.ident] for m in group if m.ident in waiting),
            )
        )
    served = [placements[m.ident] for m in members if not m.fresh and m.ident in placements]
    if served:
        served.sort(key=lambda p: (p.alert_id, p.household_index))
        out.append(decision(state.region_pcode, now, cause_id, None, tuple(served), ()))
    return tuple(out)
