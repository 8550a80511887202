"""Vehicles for households placed without one: served when a vehicle becomes free.

A household whose placement said ``transport_pending`` keeps its place. When a vehicle report
(or feedback releasing a vehicle) makes a vehicle free, the free vehicles go to these
households in the waitlist's priority order (medical, children alone, mobility, elderly, then
waiting time), each to the nearest vehicle that carries it, as in a batch.
"""

from datetime import datetime

from schemas.outputs import AllocationDecision, Placement
from schemas.types import Need
from services.allocator.domain.batch import priority_class
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decisions import decision
from services.allocator.domain.entities import Reservation
from services.allocator.domain.events import DomainEvent, RideAssigned, VehicleDispatched
from services.allocator.domain.state import RegionState
from services.allocator.domain.transport import Rider, dispatch
from services.geo import haversine_km_coords


def _waiting(state: RegionState) -> list[Reservation]:
    """Reservations without a vehicle and not yet arrived, in the waitlist's priority order."""
    found = [
        r
        for r in state.reservations.values()
        if r.vehicle_id is None and r.arrived_at is None and r.shelter_id in state.shelters
    ]
    found.sort(key=lambda r: (priority_class(r.household), r.since, r.alert_id, r.household_index))
    return found


def pick_up(
    state: RegionState, now: datetime, cause_id: str, config: AllocatorConfig
) -> tuple[AllocationDecision | None, tuple[DomainEvent, ...]]:
    """The decision naming each household's vehicle (None when no vehicle carries any), and
    its events: the vehicles dispatched, then the rides assigned."""
    waiting = _waiting(state)
    if not waiting:
        return None, ()
    riders = []
    for r in waiting:
        shelter = state.shelters[r.shelter_id]
        riders.append(
            Rider(
                r.ident,
                r.alert_id,
                r.shelter_id,
                (r.lat, r.lon),
                (shelter.lat, shelter.lon),
                r.persons,
                Need.MOBILITY in r.household.needs,
            )
        )
    rides, vehicles = dispatch(riders, state.vehicles, now)
    if not rides:
        return None, ()
    events: list[DomainEvent] = [VehicleDispatched(v) for v in vehicles]
    placements: list[Placement] = []
    for r in waiting:
        ride = rides.get(r.ident)
        if ride is None:
            continue
        shelter = state.shelters[r.shelter_id]
        placements.append(
            Placement(
                alert_id=r.alert_id,
                household_index=r.household_index,
                persons=r.persons,
                needs=r.household.needs,
                shelter_id=r.shelter_id,
                vehicle_id=ride.vehicle_id,
                transport_pending=False,
                distance_km=round(haversine_km_coords(r.lat, r.lon, shelter.lat, shelter.lon), 3),
                eta_minutes=ride.eta_minutes,
                shelter_data_stale=now - shelter.reported_at > config.stale_after,
                reserved_until=r.reserved_until,
            )
        )
    placements.sort(key=lambda p: (p.alert_id, p.household_index))
    made = decision(state.region_pcode, now, cause_id, None, tuple(placements), ())
    for r in waiting:
        if r.ident in rides:
            update = {"vehicle_id": rides[r.ident].vehicle_id, "decision_id": made.decision_id}
            events.append(RideAssigned(r.model_copy(update=update)))
    return made, tuple(events)
