"""The fine-grained entities a region's allocator state is made of.

Each entity is a frozen pydantic model with a ``key`` (``<kind>|<id>``, unique within a region).
How they are stored (canonical JSON under ``<region>|<key>``) is the store's business
(:mod:`services.allocator.store`). Times are UTC.
"""

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.ingress import Household
from schemas.types import ServiceSet

SEP = "|"
"""Separates the kind from the id in a key; never part of an Identifier."""


def household_id(alert_id: str, index: int) -> str:
    """The id of a household within its region: ``<alert id>/<index>``."""
    return f"{alert_id}/{index}"


class Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str]

    @property
    def ident(self) -> str:
        raise NotImplementedError

    @property
    def key(self) -> str:
        return f"{self.kind}{SEP}{self.ident}"


class Clock(Entity):
    """The region's log time: the latest sequencing stamp seen (never a processor's clock)."""

    kind: ClassVar[str] = "clock"
    region_pcode: str
    now: datetime
    ticks: int = 0
    capacity_epoch: int = 0
    """Events so far that may have made places appear: a shelter added, moved, re-serviced,
    reopened or offering more places; a reservation deleted (expiry, no-show, cancellation, an
    arrival counted by a report)."""
    served_epoch: int = -1
    """The ``capacity_epoch`` at the last sealed batch: while equal, no place appeared since,
    so no waitlisted household fits anywhere and a tick seals only the new arrivals. -1 (also a
    clock stored before these fields existed): serve the waitlist at the next tick."""

    @property
    def ident(self) -> str:
        return "now"


class Shelter(Entity):
    """The latest report of a shelter in log order (not by ``reported_at``, which only dates its
    data); ``capacity`` None when unknown (never used then)."""

    kind: ClassVar[str] = "shelter"
    shelter_id: str
    lat: float
    lon: float
    capacity: int | None
    occupancy: int
    services: ServiceSet = frozenset()
    open: bool
    reported_at: datetime

    @property
    def ident(self) -> str:
        return self.shelter_id

    @property
    def usable(self) -> bool:
        return self.open and self.capacity is not None


class Vehicle(Entity):
    """The latest report of a vehicle in log order, and until when a trip keeps it busy."""

    kind: ClassVar[str] = "vehicle"
    vehicle_id: str
    lat: float
    lon: float
    seats: int
    accessible_places: int
    speed_kmh: float
    available: bool
    reported_at: datetime
    busy_until: datetime | None = None

    @property
    def ident(self) -> str:
        return self.vehicle_id

    def free_at(self, now: datetime) -> bool:
        return self.available and (self.busy_until is None or self.busy_until <= now)


class _HouseholdEntity(Entity):
    """An entity about one household of an alert, identified by :func:`household_id`."""

    alert_id: str
    household_index: int

    @property
    def ident(self) -> str:
        return household_id(self.alert_id, self.household_index)


class Reservation(_HouseholdEntity):
    """A place held for a household; it counts against the shelter until a newer report
    than its confirmed arrival includes it in the occupancy (then it is deleted). It keeps the
    household, its origin and since when it waits, to fetch it later or place it again."""

    kind: ClassVar[str] = "reservation"
    shelter_id: str
    persons: int
    lat: float
    lon: float
    household: Household
    since: datetime
    vehicle_id: str | None = None
    decision_id: str
    reserved_at: datetime
    reserved_until: datetime
    arrived_at: datetime | None = None


class WaitEntry(_HouseholdEntity):
    """A household waiting for a place, with why it could not be placed."""

    kind: ClassVar[str] = "waitlist"
    lat: float
    lon: float
    household: Household
    since: datetime
    reason: str


class PendingAlert(Entity):
    """An alert received since the last tick: its households wait for the batch to be sealed."""

    kind: ClassVar[str] = "pending"
    alert_id: str
    lat: float
    lon: float
    households: tuple[Household, ...]
    received_at: datetime

    @property
    def ident(self) -> str:
        return self.alert_id


class HeldAlert(Entity):
    """An alert with more people than its sender may send unconfirmed (``confirm_above``): no
    place is reserved for it until a confirming partner answers; it never expires."""

    kind: ClassVar[str] = "held"
    alert_id: str
    lat: float
    lon: float
    households: tuple[Household, ...]
    received_at: datetime
    partner_id: str | None
    confirm_above: int

    @property
    def ident(self) -> str:
        return self.alert_id

    @property
    def persons(self) -> int:
        return sum(h.size for h in self.households)


class Processed(Entity):
    """An event already folded into the state, and the decisions it produced."""

    kind: ClassVar[str] = "processed"
    event_id: str
    at: datetime
    decision_ids: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        return self.event_id
