"""The placement's vocabulary: what every step of :mod:`services.allocator.placement` shares.

Households to place (:class:`Demand`), where they may go (:class:`Option`, from the
:class:`Supply` of shelters), the places left during a batch (:class:`Rooms`), and the state a
fill works on (:class:`Board`) with the moves it makes (:class:`Move`, :class:`Plan`). Every
other module imports from here, so the arrows point one way: greedy → fill → gather → model.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from schemas.types import Service
from services.allocator.placement.grid import Grid
from services.geo import haversine_km_coords

SCARCE: frozenset[Service] = frozenset(
    {Service.ACCESSIBLE, Service.HEALTH, Service.CHILD_PROTECTION}
)
CANDIDATES = 16
EPS = 1e-9


@dataclass(frozen=True)
class Demand:
    """A household to place: ``rank`` orders priority (smaller first), ``ident`` identifies it."""

    ident: str
    rank: tuple[object, ...]
    lat: float
    lon: float
    size: int
    requires: frozenset[Service]


@dataclass(frozen=True)
class Option:
    cost: float
    distance_km: float
    shelter_id: str


class Rooms:
    """Places left per shelter during a batch: a base (available at the tick) minus uses."""

    def __init__(self, base: Callable[[str], int]) -> None:
        self._base = base
        self._known: dict[str, int] = {}
        self._used: dict[str, int] = {}

    def left(self, shelter_id: str) -> int:
        base = self._known.get(shelter_id)
        if base is None:
            base = self._known[shelter_id] = self._base(shelter_id)
        return base - self._used.get(shelter_id, 0)

    def capacity(self, shelter_id: str) -> int:
        """Places at the tick: what is left plus what the batch has taken so far."""
        return self.left(shelter_id) + self._used.get(shelter_id, 0)

    def take(self, shelter_id: str, persons: int) -> None:
        self._used[shelter_id] = self._used.get(shelter_id, 0) + persons

    def fork(self) -> "Rooms":
        twin = Rooms(self._base)
        twin._known = self._known  # the base never changes during a batch
        twin._used = dict(self._used)
        return twin


@dataclass(frozen=True)
class Supply:
    """The shelters a batch may use: their grid, services and positions, and a distance limit."""

    grid: Grid
    services: Callable[[str], frozenset[Service]]
    max_km: float
    scarce_detour_km: float = 0.5

    def option(self, d: Demand, shelter_id: str, distance_km: float) -> Option:
        unneeded = len((self.services(shelter_id) & SCARCE) - d.requires)
        return Option(
            d.size * (distance_km + self.scarce_detour_km * unneeded), distance_km, shelter_id
        )

    def options(self, d: Demand, rooms: Rooms, k: int | None = None) -> list[Option]:
        requires, size, services = d.requires, d.size, self.services

        def fits(shelter_id: str) -> bool:
            return rooms.left(shelter_id) >= size and (
                not requires or requires <= services(shelter_id)
            )

        near = self.grid.nearest(d.lat, d.lon, self.max_km, k or CANDIDATES, fits, d.size)
        return sorted((self.option(d, sid, km) for km, sid in near), key=by_cost)

    def distance(self, d: Demand, shelter_id: str) -> float:
        lat, lon = self.grid.points[shelter_id]
        return haversine_km_coords(d.lat, d.lon, lat, lon)


Placed = dict[str, Option]


def by_cost(option: Option) -> tuple[float, str]:
    return option.cost, option.shelter_id


Members = dict[str, list[Demand]]
"""The households placed at each shelter, in the order they came."""


def members_of(order: Sequence[Demand], placed: Placed) -> Members:
    members: Members = {}
    for d in order:
        if d.ident in placed:
            members.setdefault(placed[d.ident].shelter_id, []).append(d)
    return members


def relocate(d: Demand, new: Option, rooms: Rooms, placed: Placed, members: Members) -> None:
    """Place ``d`` at ``new``, leaving where it was (if anywhere)."""
    old = placed.get(d.ident)
    if old is not None:
        rooms.take(old.shelter_id, -d.size)
        members[old.shelter_id].remove(d)
    rooms.take(new.shelter_id, d.size)
    members.setdefault(new.shelter_id, []).append(d)
    placed[d.ident] = new


@dataclass(frozen=True)
class Move:
    """A placed household sent to another option."""

    household: Demand
    option: Option


@dataclass(frozen=True)
class Plan:
    """Moves that make room somewhere, and the cost they add."""

    cost: float
    moves: tuple[Move, ...] = ()


FILL_MEMBERS = 32
"""Households per shelter considered for moving out."""


@dataclass
class Board:
    """The placement a fill changes, with what its steps cache about it.

    ``open`` lists the shelters with room left (sorted); ``version`` counts, per shelter, the
    times its households changed and ``changes`` the plans carried out: the gathering's caches
    are keyed by them."""

    supply: Supply
    rooms: Rooms
    placed: Placed
    members: Members
    open: list[str] = field(default_factory=list)
    km: dict[tuple[str, str], float] = field(default_factory=dict)
    version: dict[str, int] = field(default_factory=dict)
    changes: int = 0

    def __post_init__(self) -> None:
        self.open = sorted(sid for sid in self.supply.grid.points if self.rooms.left(sid) > 0)

    def movable(self, shelter_id: str) -> list[Demand]:
        """The households of a shelter considered for moving out."""
        return self.members.get(shelter_id, [])[:FILL_MEMBERS]

    def distance(self, d: Demand, shelter_id: str) -> float:
        key = (d.ident, shelter_id)
        km = self.km.get(key)
        if km is None:
            km = self.km[key] = self.supply.distance(d, shelter_id)
        return km

    def cost_now(self, d: Demand) -> float:
        """What the household's current option costs."""
        return self.placed[d.ident].cost

    def shelter_of(self, d: Demand) -> str:
        return self.placed[d.ident].shelter_id
