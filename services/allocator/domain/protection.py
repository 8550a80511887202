"""Which scarce services a batch protects: only those whose places the expected need requires.

A household that needs none of a shelter's scarce services (accessible, health, child
protection) is charged a detour for taking a place there (:meth:`.Supply.option`), so that the
places stay for those who need them. Charged always, the detour costs distance when such places
are plentiful (issue 10: 4-8 % farther than nearest-first as alerts stream in). So it is charged,
per service, only while the places with that service that are available do not exceed the
expected remaining need for it:

* the need of the batch itself (its households requiring the service, in persons), plus
* the share of persons requiring it among the households the region holds (reservations,
  waitlist and the batch), times the places left once the batch is placed: what the need would
  be if every place left were filled by households like those seen so far.

Pure: the answer depends only on the region state and the batch (hence only on the region log).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schemas.ingress import Household
from schemas.types import NEED_SERVICE, Service
from services.allocator.domain.state import RegionState
from services.allocator.placement.model import SCARCE


@dataclass
class Tally:
    """Persons, and persons requiring each scarce service, over some households."""

    persons: int = 0
    requiring: dict[Service, int] = field(default_factory=dict)

    def add(self, household: Household) -> None:
        self.persons += household.size
        if not household.needs:
            return
        for need in household.needs:
            service = NEED_SERVICE[need]
            if service in SCARCE:
                self.requiring[service] = self.requiring.get(service, 0) + household.size

    @classmethod
    def of(cls, households: Iterable[Household]) -> "Tally":
        tally = cls()
        for h in households:
            tally.add(h)
        return tally

    def share(self, service: Service) -> float:
        return self.requiring.get(service, 0) / self.persons if self.persons else 0.0


def expected_need(service: Service, seen: Tally, batch: Tally, free_total: int) -> float:
    """Persons expected to require ``service`` from now on (see the module's docstring)."""
    left = max(0, free_total - batch.persons)
    return batch.requiring.get(service, 0) + seen.share(service) * left


def protect(
    free: Mapping[Service, int], free_total: int, seen: Tally, batch: Tally
) -> frozenset[Service]:
    """The scarce services someone is expected to need whose available places (``free``) do
    not exceed that need: only their places are worth a detour. ``seen`` includes the batch."""
    needs = {s: expected_need(s, seen, batch, free_total) for s in SCARCE}
    return frozenset(s for s, need in needs.items() if need > 0 and free.get(s, 0) <= need)


def protected(state: RegionState, batch: Iterable[Household]) -> frozenset[Service]:
    """:func:`protect` for a batch sealed on ``state``: its households (pending alerts, and the
    waitlist when it is in the batch) against the state's spare shelters. The shelters are
    scanned only until every needed service has more places than its need (then nothing is
    protected): with plentiful places that is a fraction of them."""
    current = Tally.of(batch)
    seen = Tally()
    for r in state.reservations.each():
        seen.add(r.household)
    for w in state.waitlist.each():
        seen.add(w.household)
    for alert in state.pending.each():
        for h in alert.households:
            seen.add(h)
    if not seen.requiring and not current.requiring:
        return frozenset()  # nobody requires a scarce service: no place is worth a detour
    weights = state.spare.weights or {}
    free_total = sum(weights.values())
    needs = {s: expected_need(s, seen, current, free_total) for s in SCARCE}
    scarce = {s: need for s, need in needs.items() if need > 0}
    free = dict.fromkeys(scarce, 0)
    wanted = frozenset(scarce)
    for shelter in state.shelters.each():
        if shelter.services.isdisjoint(wanted):
            continue
        places = weights.get(shelter.shelter_id, 0)
        for s in shelter.services & wanted:
            free[s] += places
            if free[s] > scarce[s]:
                wanted = wanted - {s}
                if not wanted:
                    return frozenset()
    return wanted
