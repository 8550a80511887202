"""Gathering the places left over at several shelters into one (see :mod:`.fill`).

A shelter with room left (the target) receives places from others with room left (the donors),
each by an exchange: a household of the target moves to the donor, and possibly one smaller
household of the donor moves to the target in return, so that the target gains the difference
and the donor gives no more than it had left. A donor may also give in the stead of a shelter
near it (a relay) whose household moves to the donor. Plans are cached against the board's
count of carried-out plans and its per-shelter versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.allocator.placement.model import Board, Demand, Move, Plan
from services.geo import haversine_km_coords

GATHER_DONORS = 16
"""Shelters with room left (the nearest to the target) that may give it places."""
GATHER_RELAYS = 4
"""Shelters (nearest to a donor) whose household may move to the donor and so give in its stead."""


@dataclass(frozen=True)
class Exchange:
    """Places a target gains from a donor: the cost added, the places gained, the shelters and
    households it uses (two exchanges of one plan never share one), and its moves."""

    added: float
    gain: int
    uses: tuple[str, ...]
    moves: tuple[Move, ...]


@dataclass(frozen=True)
class Relay:
    """A household moved to a donor, so that the shelter it leaves can give in its stead."""

    added: float
    move: Move

    @property
    def household(self) -> Demand:
        return self.move.household


class Gathering:
    """The exchanges and relays of one fill, and the plans made of them."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.exchanges: dict[tuple[str, str, int, str], tuple[tuple[int, int], list[Exchange]]] = {}
        self.gathered: dict[tuple[str, int], tuple[int, Plan | None]] = {}
        self.donors: dict[str, tuple[int, list[str]]] = {}
        self.relays: dict[str, tuple[int, list[Relay]]] = {}

    def plan(self, target: str, need: int) -> Plan | None:
        """Exchanges bringing ``need`` more places to the target, cheapest first, or None."""
        b = self.board
        if need <= 0:
            return Plan(0.0)
        cached = self.gathered.get((target, need))
        if cached is not None and cached[0] == b.changes:
            return cached[1]
        candidates: list[Exchange] = []
        for donor in self.donors_of(target):
            candidates += self.exchanges_of(target, donor, b.rooms.left(donor), None)
            for relay in self.relays_of(donor, target):
                z = relay.household
                c = b.shelter_of(z)
                room = b.rooms.left(c) + z.size
                for e in self.exchanges_of(target, c, room, z):
                    candidates.append(
                        Exchange(
                            e.added + relay.added,
                            e.gain,
                            (donor, *e.uses, z.ident),
                            (relay.move, *e.moves),
                        )
                    )
        candidates.sort(key=lambda e: (e.added / min(e.gain, need), e.gain, e.uses))
        used: set[str] = set()
        added, short = 0.0, need
        moves: list[Move] = []
        for e in candidates:
            if used.intersection(e.uses):
                continue
            used.update(e.uses)
            added += e.added
            moves.extend(e.moves)
            short -= e.gain
            if short <= 0:
                break
        plan = Plan(added, tuple(moves)) if short <= 0 else None
        self.gathered[(target, need)] = (b.changes, plan)
        return plan

    def donors_of(self, target: str) -> list[str]:
        """The shelters with room left nearest to the target (ties by id)."""
        b = self.board
        cached = self.donors.get(target)
        if cached is not None and cached[0] == b.changes:
            return cached[1]
        points = b.supply.grid.points
        lat, lon = points[target]
        near = sorted(
            (haversine_km_coords(lat, lon, *points[sid]), sid) for sid in b.open if sid != target
        )
        donors = [sid for _, sid in near[:GATHER_DONORS]]
        self.donors[target] = (b.changes, donors)
        return donors

    def relays_of(self, donor: str, target: str) -> list[Relay]:
        """Households near the donor that fit in its room left, one per shelter: moved there,
        each leaves its shelter able to give places to the target in turn."""
        b = self.board
        cached = self.relays.get(donor)
        if cached is None or cached[0] != b.changes:
            supply, room = b.supply, b.rooms.left(donor)
            services = supply.services(donor)
            best: dict[str, Relay] = {}

            def has_relay(sid: str) -> bool:
                if sid == donor:
                    return False
                for z in b.movable(sid):
                    if z.size > room or not z.requires <= services:
                        continue
                    km = b.distance(z, donor)
                    if km <= supply.max_km:
                        o = supply.option(z, donor, km)
                        relay = Relay(o.cost - b.cost_now(z), Move(z, o))
                        known = best.get(sid)
                        if known is None or (relay.added, z.ident) < (
                            known.added,
                            known.household.ident,
                        ):
                            best[sid] = relay
                return sid in best

            lat, lon = supply.grid.points[donor]
            near = supply.grid.nearest(lat, lon, supply.max_km, GATHER_RELAYS + 1, has_relay)
            cached = self.relays[donor] = (b.changes, [best[sid] for _, sid in near])
        return [r for r in cached[1] if b.shelter_of(r.household) != target]

    def exchanges_of(self, a: str, donor: str, room: int, gone: Demand | None) -> list[Exchange]:
        """Ways for shelter ``a`` to gain places from ``room`` at the donor (see the module
        doc), ``gone`` (a household of the donor leaving it) aside."""
        b = self.board
        key = (a, donor, room, "" if gone is None else gone.ident)
        stamp = (b.version.get(a, 0), b.version.get(donor, 0))
        cached = self.exchanges.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        supply = b.supply
        services_a, services_b = supply.services(a), supply.services(donor)
        incoming: dict[int, list[tuple[float, Move]]] = {}
        for y in b.movable(donor):
            if y is gone or not y.requires <= services_a:
                continue
            km = b.distance(y, a)
            if km <= supply.max_km:
                o = supply.option(y, a, km)
                incoming.setdefault(y.size, []).append((o.cost - b.cost_now(y), Move(y, o)))
        found: list[Exchange] = []
        for x in b.movable(a):
            if not x.requires <= services_b:
                continue
            km = b.distance(x, donor)
            if km > supply.max_km:
                continue
            out = Move(x, supply.option(x, donor, km))
            delta = out.option.cost - b.cost_now(x)
            if x.size <= room:
                found.append(Exchange(delta, x.size, (donor, x.ident), (out,)))
            for size in range(max(1, x.size - room), x.size):
                for extra, back in incoming.get(size, ()):
                    found.append(
                        Exchange(
                            delta + extra,
                            x.size - size,
                            (donor, x.ident, back.household.ident),
                            (out, back),
                        )
                    )
        self.exchanges[key] = (stamp, found)
        return found
