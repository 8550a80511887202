"""What the escalator is told: observations of a region at a tick, hazards and acknowledgements.

An observation is a summary of the allocator's view of a region (how many households wait, for
what, since when; how full the shelters are), made by the shell from the region log. Groups are
counts and need flags, never persons.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from schemas.ingress import HazardWarning
from schemas.types import AckStatus, Need


@dataclass(frozen=True)
class Group:
    """Some households: how many, how many people, how many households with each need."""

    households: int = 0
    persons: int = 0
    needs: Mapping[Need, int] = field(default_factory=lambda: MappingProxyType({}))
    since: datetime | None = None  # when the oldest of them started waiting

    @property
    def empty(self) -> bool:
        return self.households == 0

    def __add__(self, other: "Group") -> "Group":
        needs = dict(self.needs)
        for need, count in other.needs.items():
            needs[need] = needs.get(need, 0) + count
        since = min((s for s in (self.since, other.since) if s is not None), default=None)
        return Group(
            self.households + other.households,
            self.persons + other.persons,
            MappingProxyType(dict(sorted(needs.items()))),
            since,
        )


def group(households: int, persons: int, needs: Mapping[Need, int] | None = None,
          since: datetime | None = None) -> Group:  # fmt: skip
    return Group(households, persons, MappingProxyType(dict(sorted((needs or {}).items()))), since)


@dataclass(frozen=True)
class Picture:
    """The state of a region as the allocator holds it."""

    waiting: Group = Group()
    """Households on the waitlist."""
    transport: Group = Group()
    """Households placed whose transport is still pending."""
    places: int = 0
    """Places in the region's usable shelters."""
    places_used: int = 0
    """Of which occupied (last report) or reserved."""
    stale_shelters: tuple[str, ...] = ()
    """Shelters whose data is stale and which still receive households, by id."""
    held: Group = Group()
    """Households of alerts held for confirmation (too large for their senders alone)."""
    held_alerts: tuple[str, ...] = ()
    """Those alerts, by id."""
    held_by: tuple[str, ...] = ()
    """Their senders, by id."""


@dataclass(frozen=True)
class Observed:
    """A tick of the region log: the picture then, and what was decided since the last tick."""

    at: datetime
    event_id: str
    picture: Picture
    medical_placed: Group = Group()
    """Households with a medical need placed since the last observation."""
    children_alone: Group = Group()
    """Households with unaccompanied or separated children decided since the last observation."""


@dataclass(frozen=True)
class HazardReceived:
    at: datetime
    event_id: str
    warning: HazardWarning


@dataclass(frozen=True)
class AckReceived:
    at: datetime
    event_id: str
    partner_id: str
    escalation_id: str
    status: AckStatus


Fact = Observed | HazardReceived | AckReceived
