"""The allocator's pure core: ``decide`` what an event means, as named domain events.

No clocks, no randomness, no I/O: "now" is the region log's time (the latest sequencing stamp),
so replaying the log reproduces every decision byte for byte. A redelivered event (its id
already processed) changes nothing and decides nothing; the agent re-emits what it recorded.
The events (:mod:`.events`) say what changed and why; :func:`.evolve.evolve` folds them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.ingress import (
    AlertConfirmation,
    AllocationFeedback,
    DisplacementAlert,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import AllocationDecision
from schemas.region import RegionTick
from schemas.sequenced import TICK_ID, SequencedEvent
from schemas.types import FeedbackKind
from services.allocator.domain.batch import seal
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.confirm import answer, hold
from services.allocator.domain.entities import (
    Clock,
    PendingAlert,
    Processed,
    Shelter,
    Vehicle,
    household_id,
)
from services.allocator.domain.epoch import places_appeared
from services.allocator.domain.events import (
    AlertConfirmed,
    AlertQueued,
    ArrivalConfirmed,
    ArrivalCounted,
    ClockAdvanced,
    DomainEvent,
    EventProcessed,
    ProcessedForgotten,
    ReservationExpired,
    ReservationReleased,
    ShelterReported,
    VehicleFreed,
    VehicleReported,
)
from services.allocator.domain.evolve import evolve, writes
from services.allocator.domain.pickup import pick_up
from services.allocator.domain.release import release
from services.allocator.domain.state import RegionState

FORGET_EVERY = 64
"""Ticks between two sweeps of old processed event ids."""
FORGET_AT_MOST = 4096
"""Ids one sweep forgets at most, oldest first: one event's change stays far below a message's
size limit (a first sweep after the tick horizon was shortened had a week of ticks to drop)."""

__all__ = ["AllocatorConfig", "Outcome", "RegionState", "decide", "step"]


@dataclass(frozen=True)
class Outcome:
    """What an event decided, and the domain events that say what changed and why."""

    decisions: tuple[AllocationDecision, ...]
    events: tuple[DomainEvent, ...]
    duplicate: bool = False


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def decide(state: RegionState, event: SequencedEvent, config: AllocatorConfig) -> Outcome:
    if event.event_id in state.processed:
        return Outcome((), (), duplicate=True)
    stamp = _utc(event.sequenced_at)
    now = stamp if state.now is None or stamp > state.now else state.now
    events: list[DomainEvent] = _expire(state, now)
    decisions: tuple[AllocationDecision, ...] = ()
    payload = event.payload
    clock = state.clock
    ticks = 0 if clock is None else clock.ticks
    capacity_epoch = 0 if clock is None else clock.capacity_epoch
    served_epoch = -1 if clock is None else clock.served_epoch
    if isinstance(payload, DisplacementAlert) and event.confirm_above is not None:
        decisions, held = hold(state, event, payload, now)
        events += held
    elif isinstance(payload, AlertConfirmation):
        decisions, answered = answer(state, event, payload, now)
        events += answered
    elif isinstance(payload, DisplacementAlert):
        events.append(
            AlertQueued(
                PendingAlert(
                    alert_id=event.event_id,
                    lat=payload.origin.lat,
                    lon=payload.origin.lon,
                    households=payload.households,
                    received_at=now,
                )
            )
        )
    elif isinstance(payload, ShelterCapacityReport):
        events += _shelter(state, payload)
        made, released = release(
            evolve(state, events), payload.shelter_id, now, event.event_id, config
        )
        events += released
        decisions = () if made is None else (made,)
    elif isinstance(payload, TransportAvailability):
        events.append(_vehicle(state, payload))
        decisions = _pick_up(state, payload.vehicle_id, now, event.event_id, config, events)
    elif isinstance(payload, AllocationFeedback):
        events += _feedback(state, payload, now, events)
        if payload.kind == FeedbackKind.VEHICLE_RELEASED:
            vehicle_id = payload.vehicle_id or ""
            decisions = _pick_up(state, vehicle_id, now, event.event_id, config, events)
    confirmed = any(isinstance(e, AlertConfirmed) for e in events)
    if confirmed or places_appeared(state, writes(events)):
        capacity_epoch += 1  # (households confirmed join the waitlist: serve it at the tick)
    if isinstance(payload, RegionTick):
        ticks += 1
        waitlist = served_epoch != capacity_epoch
        # vehicles free again at the end of their round trips fetch those waiting longest
        fetched = _pick_up(state, None, now, event.event_id, config, events)
        sealed = seal(evolve(state, events), now, event.event_id, config, waitlist)
        served_epoch = capacity_epoch
        decisions = fetched + sealed.decisions
        events += sealed.events
        events += _forget(state, now, config)
    events.append(
        ClockAdvanced(
            Clock(
                region_pcode=state.region_pcode,
                now=now,
                ticks=ticks,
                capacity_epoch=capacity_epoch,
                served_epoch=served_epoch,
            )
        )
    )
    ids = tuple(d.decision_id for d in decisions)
    events.append(EventProcessed(Processed(event_id=event.event_id, at=now, decision_ids=ids)))
    return Outcome(decisions, tuple(events))


def step(
    state: RegionState, event: SequencedEvent, config: AllocatorConfig
) -> tuple[RegionState, tuple[AllocationDecision, ...]]:
    outcome = decide(state, event, config)
    return evolve(state, outcome.events), outcome.decisions


def _pick_up(
    state: RegionState,
    vehicle_id: str | None,
    now: datetime,
    cause_id: str,
    config: AllocatorConfig,
    events: list[DomainEvent],
) -> tuple[AllocationDecision, ...]:
    """A vehicle free after ``events`` (any vehicle: None) fetches households placed without
    one; the pick-up's events are appended to ``events``."""
    after = evolve(state, events)
    if vehicle_id is None:
        free = any(v.free_at(now) for v in after.vehicles.values())
    else:
        vehicle = after.vehicles.get(vehicle_id)
        free = vehicle is not None and vehicle.free_at(now)
    if not free:
        return ()
    made, fetched = pick_up(after, now, cause_id, config)
    events += fetched
    return () if made is None else (made,)


def _expire(state: RegionState, now: datetime) -> list[DomainEvent]:
    """Reservations past ``reserved_until`` without a confirmed arrival free their places."""
    if state.next_expiry is None or state.next_expiry > now:
        return []
    return [
        ReservationExpired(r)
        for key in sorted(state.reservations)
        if (r := state.reservations[key]).arrived_at is None and r.reserved_until <= now
    ]


def _shelter(state: RegionState, report: ShelterCapacityReport) -> list[DomainEvent]:
    reported_at = _utc(report.reported_at)
    events: list[DomainEvent] = [
        ShelterReported(
            Shelter(
                shelter_id=report.shelter_id,
                lat=report.location.lat,
                lon=report.location.lon,
                capacity=report.capacity_persons,
                occupancy=report.occupancy,
                services=report.services,
                open=report.open,
                reported_at=reported_at,
            )
        )
    ]
    if state.held.get(report.shelter_id):
        for r in state.reservations.values():
            counted = r.arrived_at is not None and r.arrived_at < reported_at
            if r.shelter_id == report.shelter_id and counted:
                events.append(ArrivalCounted(r))  # the report's occupancy includes it
    return events


def _vehicle(state: RegionState, report: TransportAvailability) -> VehicleReported:
    old = state.vehicles.get(report.vehicle_id)
    return VehicleReported(
        Vehicle(
            vehicle_id=report.vehicle_id,
            lat=report.location.lat,
            lon=report.location.lon,
            seats=report.seats,
            accessible_places=report.accessible_places,
            speed_kmh=report.speed_kmh,
            available=report.available,
            reported_at=_utc(report.reported_at),
            busy_until=None if old is None else old.busy_until,
        )
    )


def _feedback(
    state: RegionState, feedback: AllocationFeedback, now: datetime, so_far: list[DomainEvent]
) -> list[DomainEvent]:
    if feedback.kind == FeedbackKind.VEHICLE_RELEASED:
        vehicle = state.vehicles.get(feedback.vehicle_id or "")
        if vehicle is not None and vehicle.busy_until is not None:
            return [VehicleFreed(vehicle.model_copy(update={"busy_until": None}))]
        return []
    ident = household_id(feedback.alert_id, feedback.household_index)
    r = state.reservations.get(ident)
    expired = any(isinstance(e, ReservationExpired) and e.reservation.ident == ident
                  for e in so_far)  # fmt: skip
    if r is None or r.shelter_id != feedback.shelter_id or expired:
        return []
    if feedback.kind != FeedbackKind.ARRIVED:
        return [ReservationReleased(r, feedback.kind)]  # no-show or cancelled: free at once
    if r.arrived_at is not None:
        return []
    arrived_at = min(max(_utc(feedback.observed_at), r.reserved_at), now)
    shelter = state.shelters.get(r.shelter_id)
    if shelter is not None and arrived_at < shelter.reported_at:
        return [ArrivalCounted(r)]  # the latest report already counts this arrival
    return [ArrivalConfirmed(r.model_copy(update={"arrived_at": arrived_at}))]


def _forget(state: RegionState, now: datetime, config: AllocatorConfig) -> list[DomainEvent]:
    """Every ``FORGET_EVERY`` ticks, processed event ids older than the horizon are dropped:
    redeliveries come much sooner, and the table must not grow forever."""
    ticks = 0 if state.clock is None else state.clock.ticks
    if ticks % FORGET_EVERY:
        return []
    horizon, ticks_before = now - config.processed_horizon, now - config.tick_horizon
    old = sorted(
        (p for p in state.processed.values()
         if p.at < horizon or (p.at < ticks_before and p.event_id.startswith(TICK_ID))),
        key=lambda p: (p.at, p.event_id),
    )  # fmt: skip
    return [ProcessedForgotten(tuple(old[:FORGET_AT_MOST]))] if old else []
