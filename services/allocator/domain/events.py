"""What the allocator decided, named and in the past tense: the reason for every change.

``decide`` returns these; :func:`services.allocator.domain.evolve.evolve` folds them into the
state (one handler per type) and the store writes what they change. Each carries the entity as
it is after the change (or the one that went), so a decision's "why" is read from its events:
a released reservation says which reason released it, a waitlisted household why it waits.
"""

from dataclasses import dataclass

from schemas.types import FeedbackKind, ReleaseReason
from services.allocator.domain.entities import (
    Clock,
    HeldAlert,
    PendingAlert,
    Processed,
    Reservation,
    Shelter,
    Vehicle,
    WaitEntry,
)


@dataclass(frozen=True)
class AlertQueued:
    """An alert waits for the next tick to be placed with the others of its batch."""

    alert: PendingAlert


@dataclass(frozen=True)
class AlertHeld:
    """An alert with more people than its sender may send unconfirmed: no place is reserved
    for it until a confirming partner answers (its households wait ``awaiting_confirmation``)."""

    alert: HeldAlert


@dataclass(frozen=True)
class AlertConfirmed:
    """A confirming partner (``by``) confirmed a held alert: its households join the waitlist
    (``entries``, waiting since the alert arrived) and are placed from the next tick on."""

    alert: HeldAlert
    by: str
    entries: tuple[WaitEntry, ...]


@dataclass(frozen=True)
class AlertRejected:
    """A confirming partner (``by``) rejected a held alert: its households are dropped."""

    alert: HeldAlert
    by: str


@dataclass(frozen=True)
class ConfirmationIgnored:
    """A verdict that changes nothing: no such alert is held here, or its own sender sent it."""

    alert_id: str
    partner_id: str | None
    why: str


@dataclass(frozen=True)
class ShelterReported:
    shelter: Shelter


@dataclass(frozen=True)
class VehicleReported:
    vehicle: Vehicle


@dataclass(frozen=True)
class VehicleFreed:
    """Feedback said the vehicle is back before its estimated round trip ended."""

    vehicle: Vehicle


@dataclass(frozen=True)
class ReservationExpired:
    """Its ``reserved_until`` passed without a confirmed arrival: the place is free."""

    reservation: Reservation


@dataclass(frozen=True)
class ReservationReleased:
    """A place given up before it expired: a report left the shelter too few places for it
    (``capacity_reduced``) or closed it (``shelter_closed``), or feedback said the household
    will not come (``no_show``, ``cancelled``)."""

    reservation: Reservation
    reason: ReleaseReason | FeedbackKind


@dataclass(frozen=True)
class ArrivalConfirmed:
    """The household arrived; its place counts until a later report includes it."""

    reservation: Reservation


@dataclass(frozen=True)
class ArrivalCounted:
    """A shelter report's occupancy includes this arrival: the reservation is no longer needed."""

    reservation: Reservation


@dataclass(frozen=True)
class PlacesReserved:
    """A household was placed (by the decision named in the reservation); ``from_waitlist``
    when it leaves the waitlist."""

    reservation: Reservation
    from_waitlist: bool = False


@dataclass(frozen=True)
class HouseholdWaitlisted:
    """A household waits for a place, or waits for a new reason (``entry.reason``)."""

    entry: WaitEntry


@dataclass(frozen=True)
class VehicleDispatched:
    """A vehicle set off; busy until ``vehicle.busy_until`` (its estimated round trip)."""

    vehicle: Vehicle


@dataclass(frozen=True)
class RideAssigned:
    """A household placed without a vehicle is fetched by ``reservation.vehicle_id``."""

    reservation: Reservation


@dataclass(frozen=True)
class BatchSealed:
    """The alerts pending since the last tick were decided at this tick."""

    alert_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClockAdvanced:
    clock: Clock


@dataclass(frozen=True)
class EventProcessed:
    """A region event was folded in, with the decisions it produced (re-sent on redelivery)."""

    processed: Processed


@dataclass(frozen=True)
class ProcessedForgotten:
    """Processed event ids older than the horizon: redeliveries come much sooner."""

    processed: tuple[Processed, ...]


DomainEvent = (
    AlertQueued
    | AlertHeld
    | AlertConfirmed
    | AlertRejected
    | ConfirmationIgnored
    | ShelterReported
    | VehicleReported
    | VehicleFreed
    | ReservationExpired
    | ReservationReleased
    | ArrivalConfirmed
    | ArrivalCounted
    | PlacesReserved
    | HouseholdWaitlisted
    | VehicleDispatched
    | RideAssigned
    | BatchSealed
    | ClockAdvanced
    | EventProcessed
    | ProcessedForgotten
)
