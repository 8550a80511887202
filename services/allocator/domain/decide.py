"""The allocator's pure core: ``decide`` what an event means, ``evolve`` the state by it.

No clocks, no randomness, no I/O: "now" is the region log's time (the latest sequencing stamp),
so replaying the log reproduces every decision byte for byte. A redelivered event (its id
already processed) changes nothing and decides nothing; the agent re-emits what it recorded.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.ingress import (
    AllocationFeedback,
    DisplacementAlert,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import AllocationDecision
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from schemas.types import FeedbackKind
from services.allocator.domain.batch import seal
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.entities import (
    Clock,
    Entity,
    PendingAlert,
    Processed,
    Shelter,
    Vehicle,
    household_id,
)
from services.allocator.domain.epoch import places_appeared
from services.allocator.domain.pickup import pick_up
from services.allocator.domain.release import release
from services.allocator.domain.state import RegionState, StateDelta, evolve

FORGET_EVERY = 64
"""Ticks between two sweeps of old processed event ids."""

__all__ = ["AllocatorConfig", "Outcome", "RegionState", "StateDelta", "decide", "evolve", "step"]


@dataclass(frozen=True)
class Outcome:
    """What an event decided, and how the state changes."""

    decisions: tuple[AllocationDecision, ...]
    delta: StateDelta
    duplicate: bool = False


class _Changes:
    def __init__(self) -> None:
        self.upserts: dict[str, Entity] = {}
        self.deletes: dict[str, None] = {}

    def put(self, entity: Entity) -> None:
        self.deletes.pop(entity.key, None)
        self.upserts[entity.key] = entity

    def drop(self, key: str) -> None:
        self.upserts.pop(key, None)
        self.deletes[key] = None

    def delta(self) -> StateDelta:
        return StateDelta(
            upserts=tuple(self.upserts[k] for k in sorted(self.upserts)),
            deletes=tuple(sorted(self.deletes)),
        )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def decide(state: RegionState, event: SequencedEvent, config: AllocatorConfig) -> Outcome:
    if event.event_id in state.processed:
        return Outcome((), StateDelta(), duplicate=True)
    stamp = _utc(event.sequenced_at)
    now = stamp if state.now is None or stamp > state.now else state.now
    changes = _Changes()
    _expire(state, now, changes)
    decisions: tuple[AllocationDecision, ...] = ()
    payload = event.payload
    clock = state.clock
    ticks = 0 if clock is None else clock.ticks
    capacity_epoch = 0 if clock is None else clock.capacity_epoch
    served_epoch = -1 if clock is None else clock.served_epoch
    if isinstance(payload, DisplacementAlert):
        changes.put(
            PendingAlert(
                alert_id=event.event_id,
                lat=payload.origin.lat,
                lon=payload.origin.lon,
                households=payload.households,
                received_at=now,
            )
        )
    elif isinstance(payload, ShelterCapacityReport):
        _shelter(state, payload, changes)
        made, gone, upserts = release(
            _apply(state, changes), payload.shelter_id, now, event.event_id, config
        )
        decisions = _record(made, gone, upserts, changes)
    elif isinstance(payload, TransportAvailability):
        _vehicle(state, payload, changes)
        decisions = _pick_up(state, payload.vehicle_id, now, event.event_id, config, changes)
    elif isinstance(payload, AllocationFeedback):
        _feedback(state, payload, now, changes)
        if payload.kind == FeedbackKind.VEHICLE_RELEASED:
            vehicle_id = payload.vehicle_id or ""
            decisions = _pick_up(state, vehicle_id, now, event.event_id, config, changes)
    if places_appeared(state, changes.upserts, changes.deletes):
        capacity_epoch += 1
    if isinstance(payload, RegionTick):
        ticks += 1
        waitlist = served_epoch != capacity_epoch
        # vehicles free again at the end of their round trips fetch those waiting longest
        fetched = _pick_up(state, None, now, event.event_id, config, changes)
        sealed = seal(_apply(state, changes), now, event.event_id, config, waitlist)
        served_epoch = capacity_epoch
        decisions = fetched + sealed.decisions
        for key in sealed.deletes:
            changes.drop(key)
        for entity in sealed.upserts:
            changes.put(entity)
        _forget(state, now, config, changes)
    changes.put(
        Clock(
            region_pcode=state.region_pcode,
            now=now,
            ticks=ticks,
            capacity_epoch=capacity_epoch,
            served_epoch=served_epoch,
        )
    )
    changes.put(
        Processed(
            event_id=event.event_id, at=now, decision_ids=tuple(d.decision_id for d in decisions)
        )
    )
    return Outcome(decisions, changes.delta())


def step(
    state: RegionState, event: SequencedEvent, config: AllocatorConfig
) -> tuple[RegionState, tuple[AllocationDecision, ...]]:
    outcome = decide(state, event, config)
    return evolve(state, outcome.delta), outcome.decisions


def _apply(state: RegionState, changes: _Changes) -> RegionState:
    return evolve(state, changes.delta())


def _record(
    made: AllocationDecision | None,
    deletes: tuple[str, ...],
    upserts: tuple[Entity, ...],
    changes: _Changes,
) -> tuple[AllocationDecision, ...]:
    for key in deletes:
        changes.drop(key)
    for entity in upserts:
        changes.put(entity)
    return () if made is None else (made,)


def _pick_up(
    state: RegionState,
    vehicle_id: str | None,
    now: datetime,
    cause_id: str,
    config: AllocatorConfig,
    changes: _Changes,
) -> tuple[AllocationDecision, ...]:
    """A vehicle free after the event (any vehicle: None) fetches households placed without
    one."""
    after = _apply(state, changes)
    if vehicle_id is None:
        free = any(v.free_at(now) for v in after.vehicles.values())
    else:
        vehicle = after.vehicles.get(vehicle_id)
        free = vehicle is not None and vehicle.free_at(now)
    if not free:
        return ()
    made, upserts = pick_up(after, now, cause_id, config)
    return _record(made, (), upserts, changes)


def _expire(state: RegionState, now: datetime, changes: _Changes) -> None:
    """Reservations past ``reserved_until`` without a confirmed arrival free their places."""
    if state.next_expiry is None or state.next_expiry > now:
        return
    for key in sorted(state.reservations):
        r = state.reservations[key]
        if r.arrived_at is None and r.reserved_until <= now:
            changes.drop(r.key)


def _shelter(state: RegionState, report: ShelterCapacityReport, changes: _Changes) -> None:
    reported_at = _utc(report.reported_at)
    changes.put(
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
    if state.held.get(report.shelter_id):
        for r in state.reservations.values():
            counted = r.arrived_at is not None and r.arrived_at < reported_at
            if r.shelter_id == report.shelter_id and counted:
                changes.drop(r.key)  # the report's occupancy includes this arrival


def _vehicle(state: RegionState, report: TransportAvailability, changes: _Changes) -> None:
    old = state.vehicles.get(report.vehicle_id)
    changes.put(
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
    state: RegionState, feedback: AllocationFeedback, now: datetime, changes: _Changes
) -> None:
    if feedback.kind == FeedbackKind.VEHICLE_RELEASED:
        vehicle = state.vehicles.get(feedback.vehicle_id or "")
        if vehicle is not None and vehicle.busy_until is not None:
            changes.put(vehicle.model_copy(update={"busy_until": None}))
        return
    ident = household_id(feedback.alert_id, feedback.household_index)
    r = state.reservations.get(ident)
    if r is None or r.shelter_id != feedback.shelter_id or r.key in changes.deletes:
        return
    if feedback.kind != FeedbackKind.ARRIVED:
        changes.drop(r.key)  # no-show or cancelled: the place is free at once
        return
    if r.arrived_at is not None:
        return
    arrived_at = min(max(_utc(feedback.observed_at), r.reserved_at), now)
    shelter = state.shelters.get(r.shelter_id)
    if shelter is not None and arrived_at < shelter.reported_at:
        changes.drop(r.key)  # the latest report already counts this arrival
    else:
        changes.put(r.model_copy(update={"arrived_at": arrived_at}))


def _forget(state: RegionState, now: datetime, config: AllocatorConfig, changes: _Changes) -> None:
    """Every ``FORGET_EVERY`` ticks, processed event ids older than the horizon are dropped:
    redeliveries come much sooner, and the table must not grow forever."""
    ticks = 0 if state.clock is None else state.clock.ticks
    if ticks % FORGET_EVERY:
        return
    horizon = now - config.processed_horizon
    for processed in state.processed.values():
        if processed.at < horizon:
            changes.drop(processed.key)
