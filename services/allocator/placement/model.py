"""The placement's vocabulary: what every step of :mod:`services.allocator.placement` shares.

Households to place (:class:`Demand`), where they may go (:class:`Option`, from the
:class:`Supply` of shelters), the places left during a batch (:class:`Rooms`), and the state a
fill works on (:class:`Board`) with the moves it makes (:class:`Move`, :class:`Plan`). Every
other module imports from here, so the arrows point one way: greedy → fill → gather → model.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from schemas.types import Service
from services.allocator.placement.grid import Grid, Walk
from services.geo import haversine_km_coords

SCARCE: frozenset[Service] = frozenset(
    {Service.ACCESSIBLE, Service.HEALTH, Service.CHILD_PROTECTION}
)
Requirement = frozenset[Service]
"""Scarce services a household needs all of (one or more)."""
EVERY_SCARCE: frozenset[Requirement] = frozenset(frozenset({s}) for s in SCARCE)
"""Every scarce service protected on its own: the detour before issue 10."""
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


class Option(NamedTuple):
    """A shelter for a household: its cost (see :meth:`Supply.option`) and distance. A named
    tuple: the batch makes tens of thousands of them."""

    cost: float
    distance_km: float
    shelter_id: str


class Rooms:
    """Places left per shelter during a batch: a base (available at the tick) minus uses."""

    __slots__ = ("_base", "_known", "_left")

    def __init__(self, base: Callable[[str], int]) -> None:
        self._base = base
        self._known: dict[str, int] = {}
        self._left: dict[str, int] = {}

    def left(self, shelter_id: str) -> int:
        left = self._left.get(shelter_id)
        if left is None:
            left = self._left[shelter_id] = self._base_of(shelter_id)
        return left

    def _base_of(self, shelter_id: str) -> int:
        base = self._known.get(shelter_id)
        if base is None:
            base = self._known[shelter_id] = self._base(shelter_id)
        return base

    def capacity(self, shelter_id: str) -> int:
        """Places at the tick: what is left plus what the batch has taken so far."""
        return self._base_of(shelter_id)

    def take(self, shelter_id: str, persons: int) -> None:
        self._left[shelter_id] = self.left(shelter_id) - persons

    def fork(self) -> "Rooms":
        twin = Rooms(self._base)
        twin._known = self._known  # the base never changes during a batch
        twin._left = dict(self._left)
        return twin


@dataclass(frozen=True)
class Supply:
    """The shelters a batch may use: their grid, services and positions, and a distance limit."""

    grid: Grid
    services: Callable[[str], frozenset[Service]]
    max_km: float
    scarce_detour_km: float = 0.5
    protected: frozenset[Requirement] = EVERY_SCARCE
    """The requirements whose places are worth a detour for this batch
    (:mod:`services.allocator.domain.protection`); by default every scarce service."""
    fragment_km: float = 0.0
    """Detour charged per person for leaving a shelter fewer places than the household's size
    (but some), at the places it had at the tick (``places``); 0: never (see :func:`sliver`)."""
    places: Callable[[str], int] | None = None
    """Places each shelter has at the tick (the batch's ``Rooms`` base)."""

    @cached_property
    def walks(self) -> dict[tuple[float, float], Walk]:
        """The batch's nearest-neighbour searches, one per position (the grid does not change
        during a batch)."""
        return {}

    @cached_property
    def scarce(self) -> dict[str, frozenset[Service]]:
        """The protected scarce services of each shelter looked at."""
        return {}

    @cached_property
    def at_tick(self) -> dict[str, int]:
        """The places of each shelter looked at, at the tick (``places``)."""
        return {}

    @cached_property
    def contested(self) -> set[str]:
        """Shelters the batch fills itself: no fragment price there (:func:`.greedy.assign`)."""
        return set()

    def nearest(
        self, lat: float, lon: float, k: int, accept: Callable[[str], bool], need: int = 0
    ) -> list[tuple[float, str]]:
        """:meth:`Grid.nearest` within ``max_km``, sharing the search from each position."""
        walk = self.walks.get((lat, lon))
        if walk is None:
            walk = self.walks[(lat, lon)] = Walk(self.grid, lat, lon, self.max_km)
        return walk.nearest(k, accept, need)

    def option(self, d: Demand, shelter_id: str, distance_km: float) -> Option:
        scarce = self.scarce.get(shelter_id)
        if scarce is None:
            offered = self.services(shelter_id)
            scarce = self.scarce[shelter_id] = frozenset().union(
                *(r for r in self.protected if r <= offered)
            )
        unneeded = len(scarce - d.requires) if scarce else 0
        detour = self.scarce_detour_km * unneeded
        if self.fragment_km and shelter_id not in self.contested:
            detour += self.sliver(d, shelter_id)
        return Option(d.size * (distance_km + detour), distance_km, shelter_id)

    def sliver(self, d: Demand, shelter_id: str) -> float:
        """The fragment price per person of ``d`` at the shelter, contested or not:
        ``fragment_km`` when taking its places would leave fewer than ``d.size`` but some."""
        if self.places is None:
            return 0.0
        places = self.at_tick.get(shelter_id)
        if places is None:
            places = self.at_tick[shelter_id] = self.places(shelter_id)
        return self.fragment_km if 0 < places - d.size < d.size else 0.0

    def options(self, d: Demand, rooms: Rooms, k: int | None = None) -> list[Option]:
        requires, size, services = d.requires, d.size, self.services

        def fits(shelter_id: str) -> bool:
            return rooms.left(shelter_id) >= size and (
                not requires or requires <= services(shelter_id)
            )

        near = self.nearest(d.lat, d.lon, k or CANDIDATES, fits, d.size)
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
