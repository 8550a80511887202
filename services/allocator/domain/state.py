"""A region's allocator state: the set of its entities, plus indexes derived from them.

The state is rebuilt from its entities alone (:meth:`RegionState.from_entities`) and changed only
by a :class:`StateDelta` (:meth:`RegionState.apply`), the entities to upsert and the keys to
delete that the domain's events write (:mod:`.evolve`); the store writes exactly those keys.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from schemas.types import Service
from services.allocator.domain.entities import (
    SEP,
    Clock,
    Entity,
    HeldAlert,
    PendingAlert,
    Processed,
    Reservation,
    Shelter,
    Vehicle,
    WaitEntry,
)
from services.allocator.domain.needs import Offer, Tally, reoffer, retally
from services.allocator.domain.pmap import PMap
from services.allocator.placement.grid import Grid

TABLES: Mapping[str, str] = MappingProxyType(
    {
        Shelter.kind: "shelters",
        Vehicle.kind: "vehicles",
        Reservation.kind: "reservations",
        WaitEntry.kind: "waitlist",
        PendingAlert.kind: "pending",
        HeldAlert.kind: "held_alerts",
        Processed.kind: "processed",
    }
)
"""The mapping of :class:`RegionState` holding each kind of entity (the clock stands alone)."""


@dataclass(frozen=True)
class StateDelta:
    """What an event changes: entities to write, keys (``<kind>|<id>``) to delete."""

    upserts: tuple[Entity, ...] = ()
    deletes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.deletes


@dataclass(frozen=True)
class RegionState:
    """Everything the allocator knows about one region. Compare states by their entities."""

    region_pcode: str
    clock: Clock | None = None
    shelters: PMap[Shelter] = field(default_factory=PMap)
    vehicles: PMap[Vehicle] = field(default_factory=PMap)
    reservations: PMap[Reservation] = field(default_factory=PMap)
    waitlist: PMap[WaitEntry] = field(default_factory=PMap)
    pending: PMap[PendingAlert] = field(default_factory=PMap)
    held_alerts: PMap[HeldAlert] = field(default_factory=PMap)
    """Alerts held for confirmation (too large for their sender alone), by alert id."""
    processed: PMap[Processed] = field(default_factory=PMap)
    # derived indexes, rebuilt by from_entities and kept up to date by apply
    held: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    grid: Grid = field(default_factory=Grid, compare=False, repr=False)
    spare: Grid = field(default_factory=lambda: Grid(weights={}), compare=False, repr=False)
    """The usable shelters with places available, weighted by how many: what a batch searches."""
    next_expiry: datetime | None = field(default=None, compare=False, repr=False)
    tally: Tally = field(default_factory=Tally, compare=False, repr=False)
    """The persons held (reservations, waitlist, pending) and what they require (.needs)."""
    offers: Mapping[Offer, int] = field(default_factory=dict, compare=False, repr=False)
    """The spare places per offer of scarce services (.needs)."""

    @classmethod
    def empty(cls, region_pcode: str) -> "RegionState":
        return cls(region_pcode)

    @classmethod
    def from_entities(cls, region_pcode: str, entities: Iterable[Entity]) -> "RegionState":
        return cls(region_pcode).apply(StateDelta(upserts=tuple(entities)))

    def apply(self, delta: StateDelta) -> "RegionState":
        """The state after ``delta``: deletes first, then upserts. This one is unchanged."""
        return _apply(self, delta)

    def entities(self) -> tuple[Entity, ...]:
        """Every entity, ordered by key."""
        found: list[Entity] = [] if self.clock is None else [self.clock]
        for name in TABLES.values():
            found.extend(getattr(self, name).values())
        return tuple(sorted(found, key=lambda e: e.key))

    @property
    def now(self) -> datetime | None:
        return None if self.clock is None else self.clock.now

    def available(self, shelter_id: str) -> int:
        """Places a shelter offers now: capacity − occupancy − reservations it does not count."""
        return places_available(self.shelters.get(shelter_id), self.held.get(shelter_id, 0))


def places_available(shelter: Shelter | None, held: int) -> int:
    if shelter is None or not shelter.open or shelter.capacity is None:
        return 0
    return max(0, shelter.capacity - shelter.occupancy - held)


def _expiry(reservation: Reservation) -> datetime | None:
    return reservation.reserved_until if reservation.arrived_at is None else None


def _apply(state: RegionState, delta: StateDelta) -> RegionState:
    if delta.empty:
        return state
    puts: dict[str, dict[str, Entity]] = {}
    drops: dict[str, list[str]] = {}
    clock = state.clock
    for key in delta.deletes:
        kind, ident = key.split(SEP, 1)
        if kind == Clock.kind:
            clock = None
        else:
            drops.setdefault(TABLES[kind], []).append(ident)
            puts.get(TABLES[kind], {}).pop(ident, None)
    for entity in delta.upserts:
        if isinstance(entity, Clock):
            clock = entity
        else:
            puts.setdefault(TABLES[entity.kind], {})[entity.ident] = entity
    tables: dict[str, PMap[Any]] = {}
    for name in TABLES.values():
        old: PMap[Any] = getattr(state, name)
        if name in puts or name in drops:
            tables[name] = old.updated(puts.get(name, {}), drops.get(name, ()))
        else:
            tables[name] = old
    held, expiry = _reservations_index(
        state, puts.get("reservations", {}), drops.get("reservations", []), tables["reservations"]
    )
    grid = _grid(state, puts.get("shelters", {}), drops.get("shelters", []))
    spare, offers = _spare(
        state,
        tables["shelters"],
        held,
        [*puts.get("shelters", {}), *drops.get("shelters", ())],
        [
            r.shelter_id
            for i in (*puts.get("reservations", {}), *drops.get("reservations", ()))
            for r in (state.reservations.get(i), tables["reservations"].get(i))
            if r is not None
        ],
    )
    return RegionState(
        region_pcode=state.region_pcode,
        clock=clock,
        shelters=tables["shelters"],
        vehicles=tables["vehicles"],
        reservations=tables["reservations"],
        waitlist=tables["waitlist"],
        pending=tables["pending"],
        held_alerts=tables["held_alerts"],
        processed=tables["processed"],
        held=held,
        grid=grid,
        spare=spare,
        next_expiry=expiry,
        tally=_tally(state, puts, drops),
        offers=offers,
    )


HOLDING = ("reservations", "waitlist", "pending")
"""The tables whose households the region's :class:`.Tally` counts."""


def _tally(
    state: RegionState, puts: Mapping[str, dict[str, Entity]], drops: Mapping[str, list[str]]
) -> Tally:
    gone: list[Entity] = []
    came: list[Entity] = []
    for name in HOLDING:
        put, drop = puts.get(name), drops.get(name)
        if not put and not drop:
            continue
        old: PMap[Entity] = getattr(state, name)
        changed = {*(drop or ()), *(put or ())}
        gone.extend(e for i in changed if (e := old.get(i)) is not None)
        if put:
            came.extend(put.values())
    return retally(state.tally, gone, came)


def _reservations_index(
    state: RegionState,
    puts: Mapping[str, Entity],
    drops: Iterable[str],
    after: Mapping[str, Reservation],
) -> tuple[Mapping[str, int], datetime | None]:
    """Places held per shelter, and the next expiry, after the reservations changed."""
    gone = [state.reservations[i] for i in [*drops, *puts] if i in state.reservations]
    if not gone and not puts:
        return state.held, state.next_expiry
    held = dict(state.held)
    expiry = state.next_expiry
    rescan = False
    for old in gone:
        held[old.shelter_id] -= old.persons
        if held[old.shelter_id] == 0:
            del held[old.shelter_id]
        rescan = rescan or (expiry is not None and _expiry(old) == expiry)
    for new in puts.values():
        assert isinstance(new, Reservation)
        held[new.shelter_id] = held.get(new.shelter_id, 0) + new.persons
        until = _expiry(new)
        if until is not None and (expiry is None or until < expiry):
            expiry = until
    if rescan:
        expiry = min((u for r in after.values() if (u := _expiry(r)) is not None), default=None)
    return held, expiry


def _grid(state: RegionState, puts: Mapping[str, Entity], drops: Iterable[str]) -> Grid:
    """The grid of usable shelters (open, known capacity) after the shelters changed."""
    out = [i for i in [*drops, *puts] if i in state.shelters and state.shelters[i].usable]
    into = [
        (e.shelter_id, e.lat, e.lon) for e in puts.values() if isinstance(e, Shelter) and e.usable
    ]
    return state.grid.changed(out, into) if out or into else state.grid


def _spare(
    state: RegionState,
    shelters: Mapping[str, Shelter],
    held: Mapping[str, int],
    changed: Iterable[str],
    holding: Iterable[str],
) -> tuple[Grid, Mapping[Offer, int]]:
    """The spare grid after the shelters in ``changed`` or holding the changed reservations,
    and the spare places per offer."""
    out: list[str] = []
    into: list[tuple[str, float, float, int]] = []
    gone: list[tuple[frozenset[Service], int]] = []  # (services, places) of the spare set
    came: list[tuple[frozenset[Service], int]] = []  # before and after: the offers' change
    weights = state.spare.weights or {}
    points = state.spare.points
    for sid in sorted({*changed, *holding}):
        shelter = shelters.get(sid)
        places = places_available(shelter, held.get(sid, 0))
        if sid in weights:
            gone.append((state.shelters[sid].services, weights[sid]))
        if shelter is None or places == 0:
            if sid in points:
                out.append(sid)
            continue
        came.append((shelter.services, places))
        if weights.get(sid) != places or points.get(sid) != (shelter.lat, shelter.lon):
            into.append((sid, shelter.lat, shelter.lon, places))
    offers = reoffer(state.offers, gone, came) if gone or came else state.offers
    if not out and not into:
        return state.spare, offers
    return state.spare.reweighed(out, into), offers
