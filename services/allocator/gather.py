"""Gathering the places left over at several shelters into one (see :mod:`.fill`).

A shelter with room left (the target) receives places from others with room left (the donors),
each by an exchange: a household of the target moves to the donor, and possibly one smaller
household of the donor moves to the target in return, so that the target gains the difference
and the donor gives no more than it had left. A donor may also give in the stead of a shelter
near it (a relay) whose household moves to the donor. Plans are cached against the filler's
count of carried-out plans and its per-shelter versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.geo import haversine_km_coords

if TYPE_CHECKING:
    from services.allocator.assign import Demand, Option
    from services.allocator.fill import Filler, Move, Plan

GATHER_DONORS = 16
"""Shelters with room left (the nearest to the target) that may give it places."""
GATHER_RELAYS = 4
"""Shelters (nearest to a donor) whose household may move to the donor and so give in its stead."""

Exchange = tuple[float, int, tuple[str, ...], tuple["Move", ...]]
"""(cost added, places gained by the target, the shelters and households it uses, its moves)."""


class Gathering:
    """The exchanges and relays of one fill, and the plans made of them."""

    def __init__(self, filler: Filler) -> None:
        self.filler = filler
        self.exchanges: dict[tuple[str, str, int, str], tuple[tuple[int, int], list[Exchange]]] = {}
        self.gathered: dict[tuple[str, int], tuple[int, Plan | None]] = {}
        self.donors: dict[str, tuple[int, list[str]]] = {}
        self.relays: dict[str, tuple[int, list[tuple[float, Demand, Move]]]] = {}

    def plan(self, target: str, need: int) -> Plan | None:
        """Exchanges bringing ``need`` more places to the target, cheapest first, or None."""
        f = self.filler
        if need <= 0:
            return 0.0, []
        cached = self.gathered.get((target, need))
        if cached is not None and cached[0] == f.changes:
            return cached[1]
        candidates: list[Exchange] = []
        for b in self.donors_of(target):
            candidates += self.exchanges_of(target, b, f.rooms.left(b), None)
            for dz, z, move in self.relays_of(b, target):
                c = f.placed[z.ident].shelter_id
                room = f.rooms.left(c) + z.size
                for delta, gain, keys, steps in self.exchanges_of(target, c, room, z):
                    candidates.append((delta + dz, gain, (b, *keys, z.ident), (move, *steps)))
        candidates.sort(key=lambda e: (e[0] / min(e[1], need), e[1], e[2]))
        used: set[str] = set()
        added, short = 0.0, need
        moves: list[Move] = []
        for delta, gain, keys, steps in candidates:
            if used.intersection(keys):
                continue
            used.update(keys)
            added += delta
            moves.extend(steps)
            short -= gain
            if short <= 0:
                break
        plan = (added, moves) if short <= 0 else None
        self.gathered[(target, need)] = (f.changes, plan)
        return plan

    def donors_of(self, target: str) -> list[str]:
        """The shelters with room left nearest to the target (ties by id)."""
        f = self.filler
        cached = self.donors.get(target)
        if cached is not None and cached[0] == f.changes:
            return cached[1]
        points = f.supply.grid.points
        lat, lon = points[target]
        near = sorted(
            (haversine_km_coords(lat, lon, *points[sid]), sid) for sid in f.open if sid != target
        )
        donors = [sid for _, sid in near[:GATHER_DONORS]]
        self.donors[target] = (f.changes, donors)
        return donors

    def relays_of(self, b: str, target: str) -> list[tuple[float, Demand, Move]]:
        """Households near donor ``b`` that fit in its room left, one per shelter: moved there,
        each leaves its shelter able to give places to the target in turn."""
        f = self.filler
        cached = self.relays.get(b)
        if cached is None or cached[0] != f.changes:
            supply, placed, room = f.supply, f.placed, f.rooms.left(b)
            services = supply.services(b)
            best: dict[str, tuple[float, str, Demand, Option]] = {}

            def has_relay(sid: str) -> bool:
                if sid == b:
                    return False
                for z in f.movable(sid):
                    if z.size > room or not z.requires <= services:
                        continue
                    km = f.distance(z, b)
                    if km <= supply.max_km:
                        o = supply.option(z, b, km)
                        key = (o.cost - placed[z.ident].cost, z.ident, z, o)
                        if sid not in best or key[:2] < best[sid][:2]:
                            best[sid] = key
                return sid in best

            lat, lon = supply.grid.points[b]
            near = supply.grid.nearest(lat, lon, supply.max_km, GATHER_RELAYS + 1, has_relay)
            found = [(best[sid][0], best[sid][2], (best[sid][2], best[sid][3])) for _, sid in near]
            cached = self.relays[b] = (f.changes, found)
        return [r for r in cached[1] if f.placed[r[1].ident].shelter_id != target]

    def exchanges_of(self, a: str, b: str, room: int, gone: Demand | None) -> list[Exchange]:
        """Ways for shelter ``a`` to gain places from ``room`` at ``b`` (see the module doc),
        ``gone`` (a household of ``b`` leaving it) aside."""
        f = self.filler
        key = (a, b, room, "" if gone is None else gone.ident)
        stamp = (f.version.get(a, 0), f.version.get(b, 0))
        cached = self.exchanges.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        supply, placed = f.supply, f.placed
        services_a, services_b = supply.services(a), supply.services(b)
        incoming: dict[int, list[tuple[float, Demand, Option]]] = {}
        for y in f.movable(b):
            if y is gone or not y.requires <= services_a:
                continue
            km = f.distance(y, a)
            if km <= supply.max_km:
                o = supply.option(y, a, km)
                incoming.setdefault(y.size, []).append((o.cost - placed[y.ident].cost, y, o))
        found: list[Exchange] = []
        for x in f.movable(a):
            if not x.requires <= services_b:
                continue
            km = f.distance(x, b)
            if km > supply.max_km:
                continue
            out = supply.option(x, b, km)
            delta = out.cost - placed[x.ident].cost
            if x.size <= room:
                found.append((delta, x.size, (b, x.ident), ((x, out),)))
            for size in range(max(1, x.size - room), x.size):
                for extra, y, back in incoming.get(size, ()):
                    gain = x.size - size
                    found.append(
                        (delta + extra, gain, (b, x.ident, y.ident), ((x, out), (y, back)))
                    )
        self.exchanges[key] = (stamp, found)
        return found
