"""Who the region's households are and what its spare places offer, kept as the state changes.

Two derived indexes of :class:`.RegionState` that :mod:`.protection` reads on every tick:

* a :class:`Tally` of the persons the region holds (reservations, waitlist, pending alerts)
  and of those among them requiring each scarce :data:`Requirement`;
* the spare places per *offer* (the scarce services a shelter provides), so that the places
  available for a requirement are a sum over at most eight offers.

Both were scans of the whole region on every tick (the reservations, then the shelters), whose
cost grew with the region's load: a region holding 5,000 reservations rescanned them every
second. Here each changed entity adjusts them instead (:func:`retally`, :func:`reoffer`).
Pure: they depend only on the entities.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

from schemas.ingress import Household
from schemas.types import NEED_SERVICE, Need, Service
from services.allocator.domain.entities import Entity, PendingAlert, Reservation, WaitEntry
from services.allocator.placement.model import SCARCE, Requirement

Offer = frozenset[Service]
"""The scarce services one shelter provides (a subset of :data:`SCARCE`)."""


@cache
def requirements(needs: frozenset[Service]) -> tuple[Requirement, ...]:
    """The non-empty requirements a household needing ``needs`` (scarce services) meets."""
    ordered = sorted(needs)
    return tuple(
        frozenset(chosen) for n in range(1, len(ordered) + 1) for chosen in combinations(ordered, n)
    )


@cache
def _scarce_needs(needs: frozenset[Need]) -> tuple[Requirement, ...]:
    return requirements(frozenset(NEED_SERVICE[n] for n in needs) & SCARCE)


@cache
def offer(services: frozenset[Service]) -> Offer:
    return services & SCARCE


@dataclass
class Tally:
    """Persons, and persons whose needs include each requirement, over some households."""

    persons: int = 0
    requiring: dict[Requirement, int] = field(default_factory=dict)

    def add(self, household: Household, sign: int = 1) -> None:
        self.persons += sign * household.size
        if not household.needs:
            return
        for r in _scarce_needs(household.needs):
            count = self.requiring.get(r, 0) + sign * household.size
            if count:
                self.requiring[r] = count
            else:
                del self.requiring[r]

    @classmethod
    def of(cls, households: Iterable[Household]) -> "Tally":
        tally = cls()
        for h in households:
            tally.add(h)
        return tally

    def share(self, r: Requirement) -> float:
        return self.requiring.get(r, 0) / self.persons if self.persons else 0.0


def households(entity: Entity | None) -> tuple[Household, ...]:
    """The households an entity counts in the region's :class:`Tally` (none for most kinds)."""
    if isinstance(entity, Reservation | WaitEntry):
        return (entity.household,)
    if isinstance(entity, PendingAlert):
        return entity.households
    return ()


def retally(tally: Tally, gone: Iterable[Entity], came: Iterable[Entity]) -> Tally:
    """``tally`` without the households of ``gone`` and with those of ``came`` (a new one
    if anything changed; ``tally`` is unchanged)."""
    out = [h for e in gone for h in households(e)]
    into = [h for e in came for h in households(e)]
    if not out and not into:
        return tally
    fresh = Tally(tally.persons, dict(tally.requiring))
    for h in out:
        fresh.add(h, -1)
    for h in into:
        fresh.add(h)
    return fresh


def reoffer(
    free: Mapping[Offer, int],
    gone: Iterable[tuple[frozenset[Service], int]],
    came: Iterable[tuple[frozenset[Service], int]],
) -> Mapping[Offer, int]:
    """Spare places per offer after shelters (their services, their spare places) left the
    spare set (``gone``, as they were) and joined it (``came``, as they are now)."""
    fresh = dict(free)
    for sign, changes in ((-1, gone), (1, came)):
        for services, places in changes:
            key = offer(services)
            count = fresh.get(key, 0) + sign * places
            if count:
                fresh[key] = count
            else:
                del fresh[key]
    return fresh


def places_for(free: Mapping[Offer, int], r: Requirement) -> int:
    """Spare places at shelters offering all of ``r``."""
    return sum(places for services, places in free.items() if r <= services)
