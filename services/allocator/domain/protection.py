"""Which scarce places a batch protects: only those the expected need requires.

A household that does not need a shelter's scarce services (accessible, health, child
protection) is charged a detour for taking a place there (:meth:`.Supply.option`), so that the
places stay for those who need them. Charged always, the detour costs distance when such places
are plentiful (issue 10: 4-8 % farther than nearest-first as alerts stream in). So it is charged
only for the *requirements* (a set of scarce services a household needs all of, e.g. health, or
accessible + child protection) whose places are not plentiful: the places available at shelters
offering all of a requirement do not exceed the expected remaining need for it, that is

* the persons of the batch whose needs include the requirement, plus
* the share of such persons among the households the region holds (reservations, waitlist and
  the batch), times the places left once the batch is placed: what the need would be if every
  place left were filled by households like those seen so far.

Requirements, not single services: a household needing health and child protection can use only
the few shelters with both, which stay scarce when health places alone are plentiful. A shelter
then protects the services of the protected requirements it can serve.

Pure: the answer depends only on the region state and the batch (hence only on the region log).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

from schemas.ingress import Household
from schemas.types import NEED_SERVICE, Need, Service
from services.allocator.domain.state import RegionState
from services.allocator.placement.model import SCARCE, Requirement


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


@dataclass
class Tally:
    """Persons, and persons whose needs include each requirement, over some households."""

    persons: int = 0
    requiring: dict[Requirement, int] = field(default_factory=dict)

    def add(self, household: Household) -> None:
        self.persons += household.size
        if not household.needs:
            return
        for r in _scarce_needs(household.needs):
            self.requiring[r] = self.requiring.get(r, 0) + household.size

    @classmethod
    def of(cls, households: Iterable[Household]) -> "Tally":
        tally = cls()
        for h in households:
            tally.add(h)
        return tally

    def share(self, r: Requirement) -> float:
        return self.requiring.get(r, 0) / self.persons if self.persons else 0.0


def expected_need(r: Requirement, seen: Tally, batch: Tally, free_total: int) -> float:
    """Persons expected to require ``r`` from now on (see the module's docstring)."""
    left = max(0, free_total - batch.persons)
    return batch.requiring.get(r, 0) + seen.share(r) * left


def protect(
    free: Mapping[Requirement, int], free_total: int, seen: Tally, batch: Tally
) -> frozenset[Requirement]:
    """The requirements someone is expected to need whose available places (``free``: at
    shelters offering all of it) do not exceed that need. ``seen`` includes the batch."""
    needs = {r: expected_need(r, seen, batch, free_total) for r in seen.requiring}
    needs.update({r: expected_need(r, seen, batch, free_total) for r in batch.requiring})
    return frozenset(r for r, need in needs.items() if need > 0 and free.get(r, 0) <= need)


def protected(state: RegionState, batch: Iterable[Household]) -> frozenset[Requirement]:
    """:func:`protect` for a batch sealed on ``state``: its households (pending alerts, and the
    waitlist when it is in the batch) against the state's spare shelters. The shelters are
    scanned only until every needed requirement has more places than its need (then nothing
    is protected): with plentiful places that is a fraction of them."""
    current = Tally.of(batch)
    seen = Tally()
    for reservation in state.reservations.each():
        seen.add(reservation.household)
    for w in state.waitlist.each():
        seen.add(w.household)
    for alert in state.pending.each():
        for h in alert.households:
            seen.add(h)
    if not seen.requiring and not current.requiring:
        return frozenset()  # nobody requires a scarce service: no place is worth a detour
    weights = state.spare.weights or {}
    free_total = sum(weights.values())
    needs = {r: expected_need(r, seen, current, free_total) for r in seen.requiring}
    needs.update({r: expected_need(r, seen, current, free_total) for r in current.requiring})
    wanted = {r: need for r, need in needs.items() if need > 0}
    free = dict.fromkeys(wanted, 0)
    services: frozenset[Service] = frozenset().union(*wanted)
    for shelter in state.shelters.each():
        if shelter.services.isdisjoint(services):
            continue
        places = weights.get(shelter.shelter_id, 0)
        if not places:
            continue
        for r in [r for r in wanted if r <= shelter.services]:
            free[r] += places
            if free[r] > wanted[r]:
                del wanted[r]
                if not wanted:
                    return frozenset()
                services = frozenset().union(*wanted)
    return frozenset(wanted)
