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

from schemas.ingress import Household
from services.allocator.domain.needs import Tally, places_for
from services.allocator.domain.state import RegionState
from services.allocator.placement.model import Requirement


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
    waitlist when it is in the batch) against the state's spare shelters. What the region holds
    and the spare places per offer are indexes the state keeps (:mod:`.needs`), not scans."""
    current = Tally.of(batch)
    if not state.tally.requiring and not current.requiring:
        return frozenset()  # nobody requires a scarce service: no place is worth a detour
    free_total = sum(state.offers.values())
    free = {r: places_for(state.offers, r) for r in {*state.tally.requiring, *current.requiring}}
    return protect(free, free_total, state.tally, current)
