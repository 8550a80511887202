"""Why a household could not be placed: the reason code of its waitlist entry."""

from collections.abc import Callable

from schemas.types import Service, UnplacedReason
from services.allocator.placement.grid import Grid
from services.allocator.placement.model import Demand


class Reasons:
    """Reason codes against the usable shelters (open, known capacity) of a region.

    ``no_capacity`` when a shelter within reach offers the needed services (it is full, or
    holds too few places for the whole household, or nothing usable exists at all);
    ``beyond_max_distance`` when such shelters exist only farther away; ``no_service_match``
    when no usable shelter offers the needed services.
    """

    def __init__(
        self, grid: Grid, services: Callable[[str], frozenset[Service]], max_km: float
    ) -> None:
        self._grid = grid
        self._services = services
        self._max_km = max_km
        self._anywhere: dict[frozenset[Service], bool] = {}

    def _exists(self, requires: frozenset[Service]) -> bool:
        if requires not in self._anywhere:
            self._anywhere[requires] = any(
                requires <= self._services(sid) for sid in self._grid.points
            )
        return self._anywhere[requires]

    def why(self, d: Demand) -> UnplacedReason:
        if not self._grid.points:
            return UnplacedReason.NO_CAPACITY
        near = self._grid.nearest(
            d.lat, d.lon, self._max_km, 1, lambda sid: d.requires <= self._services(sid)
        )
        if near:
            return UnplacedReason.NO_CAPACITY
        if self._exists(d.requires):
            return UnplacedReason.BEYOND_MAX_DISTANCE
        return UnplacedReason.NO_SERVICE_MATCH
