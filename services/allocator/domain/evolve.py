"""Fold the allocator's events into a region's state: one handler per event type.

Each handler says which entities its event writes or removes; the writes of an event batch are
collected (a later write of a key replaces an earlier one) and applied to the state at once
(:meth:`RegionState.apply`), so the derived indexes are updated once per batch, not per event.
The same writes, :func:`writes`, are what the store puts in its table.
"""

from collections.abc import Iterable
from functools import singledispatch

from services.allocator.domain.entities import SEP, Entity, PendingAlert, WaitEntry
from services.allocator.domain.events import (
    AlertConfirmed,
    AlertHeld,
    AlertQueued,
    AlertRejected,
    ArrivalConfirmed,
    ArrivalCounted,
    BatchSealed,
    ClockAdvanced,
    ConfirmationIgnored,
    DomainEvent,
    EventProcessed,
    HouseholdWaitlisted,
    PlacesReserved,
    ProcessedForgotten,
    ReservationExpired,
    ReservationReleased,
    RideAssigned,
    ShelterReported,
    VehicleDispatched,
    VehicleFreed,
    VehicleReported,
)
from services.allocator.domain.state import RegionState, StateDelta


class Writes:
    """Entities to write and keys to delete; the last change of a key wins."""

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


def writes(events: Iterable[DomainEvent]) -> StateDelta:
    """What the events change, as entity upserts and key deletes."""
    into = Writes()
    for event in events:
        _fold(event, into)
    return into.delta()


def evolve(state: RegionState, events: Iterable[DomainEvent]) -> RegionState:
    """The state after ``events``; ``state`` is left unchanged."""
    return state.apply(writes(events))


@singledispatch
def _fold(event: DomainEvent, into: Writes) -> None:
    raise TypeError(f"no handler for {type(event).__name__}")  # pragma: no cover


@_fold.register
def _queued(event: AlertQueued, into: Writes) -> None:
    into.put(event.alert)


@_fold.register
def _held(event: AlertHeld, into: Writes) -> None:
    into.put(event.alert)


@_fold.register
def _confirmed(event: AlertConfirmed, into: Writes) -> None:
    into.drop(event.alert.key)
    for entry in event.entries:
        into.put(entry)


@_fold.register
def _rejected(event: AlertRejected, into: Writes) -> None:
    into.drop(event.alert.key)


@_fold.register
def _ignored(event: ConfirmationIgnored, into: Writes) -> None:
    pass


@_fold.register
def _shelter(event: ShelterReported, into: Writes) -> None:
    into.put(event.shelter)


@_fold.register
def _vehicle(event: VehicleReported, into: Writes) -> None:
    into.put(event.vehicle)


@_fold.register
def _freed(event: VehicleFreed, into: Writes) -> None:
    into.put(event.vehicle)


@_fold.register
def _expired(event: ReservationExpired, into: Writes) -> None:
    into.drop(event.reservation.key)


@_fold.register
def _released(event: ReservationReleased, into: Writes) -> None:
    into.drop(event.reservation.key)


@_fold.register
def _arrived(event: ArrivalConfirmed, into: Writes) -> None:
    into.put(event.reservation)


@_fold.register
def _counted(event: ArrivalCounted, into: Writes) -> None:
    into.drop(event.reservation.key)


@_fold.register
def _reserved(event: PlacesReserved, into: Writes) -> None:
    if event.from_waitlist:
        into.drop(f"{WaitEntry.kind}{SEP}{event.reservation.ident}")
    into.put(event.reservation)


@_fold.register
def _waitlisted(event: HouseholdWaitlisted, into: Writes) -> None:
    into.put(event.entry)


@_fold.register
def _dispatched(event: VehicleDispatched, into: Writes) -> None:
    into.put(event.vehicle)


@_fold.register
def _ride(event: RideAssigned, into: Writes) -> None:
    into.put(event.reservation)


@_fold.register
def _sealed(event: BatchSealed, into: Writes) -> None:
    for alert_id in event.alert_ids:
        into.drop(f"{PendingAlert.kind}{SEP}{alert_id}")


@_fold.register
def _clock(event: ClockAdvanced, into: Writes) -> None:
    into.put(event.clock)


@_fold.register
def _processed(event: EventProcessed, into: Writes) -> None:
    into.put(event.processed)


@_fold.register
def _forgotten(event: ProcessedForgotten, into: Writes) -> None:
    for processed in event.processed:
        into.drop(processed.key)
