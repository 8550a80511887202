"""After the batch assignment: fill the places left over, then make sure priority holds.

Under scarcity the places left are scattered single places: a waiting household of four does
not fit anywhere although four places are free in the region. Two steps follow ``assign``:

1. *Fill* — waiting households, in priority order, each look for a shelter where room can be
   made for them by moving placed households out to other shelters that have room (each moved
   household keeps its needs met and stays within the maximum distance). The cheapest such plan
   (the waiting household's cost there plus what the moves add) is carried out. Nobody placed is
   unplaced: a move changes where a household goes, never whether it goes.
   When no such plan exists, places left over at other shelters are *gathered*: a shelter with
   room left (the target) receives places from others with room left (the donors), each by an
   exchange — a household of the target moves to the donor, and possibly one smaller household
   of the donor moves to the target in return, so that the target gains the difference and the
   donor gives no more than it had left. A single place left here and one there become two in
   one shelter, where a household of two fits. The cheapest gathering (the waiting household's
   cost at the target plus what the exchanges add) is carried out.
2. *Priority* — at the end, for every household left waiting and every shelter it could use
   (services, distance): it does not fit in the room left, and it would not fit in the place of
   any household there of lower priority (room left + that household's size). Where it would,
   it takes that place (or the room left), and the household of lower priority waits in turn,
   tried again in priority order. This is the batch's priority rule, checked on the final
   placement rather than on the order the steps ran in.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.geo import haversine_km_coords

if TYPE_CHECKING:
    from services.allocator.assign import Demand, Option, Placed, Rooms, Supply

FILL_SHELTERS = 16
"""Shelters (nearest with the services and enough capacity) where room is sought per household."""
FILL_MEMBERS = 32
"""Households per shelter considered for moving out."""
FILL_PASSES = 3
OPEN_SCAN = 256
"""With at most this many shelters with room left, moves scan them all; else the grid's nearest.
Gathering runs only then (it looks at pairs of shelters with room left)."""
GATHER_TARGETS = 16
"""Shelters tried as targets per waiting household, the cheapest for it among its
``FILL_SHELTERS`` nearest and those with room left."""
GATHER_DONORS = 16
"""Shelters with room left (the nearest to the target) that may give it places."""
GATHER_RELAYS = 4
"""Shelters (nearest to a donor) whose household may move to the donor and so give in its stead."""

Members = dict[str, list["Demand"]]
Move = tuple["Demand", "Option"]
Exchange = tuple[float, int, tuple[str, ...], tuple[Move, ...]]
"""(cost added, places gained by the target, the shelters and households it uses, its moves)."""
Plan = tuple[float, list[Move]]


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


class _Filler:
    def __init__(self, supply: Supply, rooms: Rooms, placed: Placed, members: Members) -> None:
        self.supply, self.rooms, self.placed, self.members = supply, rooms, placed, members
        points = supply.grid.points
        self.open = sorted(sid for sid in points if rooms.left(sid) > 0)
        self.km: dict[tuple[str, str], float] = {}
        self.version: dict[str, int] = {}
        """Per shelter, how many times its households changed (keys the caches below)."""
        self.exchanges: dict[tuple[str, str, int, str], tuple[tuple[int, int], list[Exchange]]] = {}
        self.gathered: dict[tuple[str, int], tuple[int, Plan | None]] = {}
        self.donors: dict[str, tuple[int, list[str]]] = {}
        self.relays: dict[str, tuple[int, list[tuple[float, Demand, Move]]]] = {}
        self.changes = 0
        """How many plans were carried out (keys the caches of donors, relays and plans)."""

    def distance(self, d: Demand, shelter_id: str) -> float:
        key = (d.ident, shelter_id)
        km = self.km.get(key)
        if km is None:
            km = self.km[key] = self.supply.distance(d, shelter_id)
        return km

    def alternative(self, d: Demand, here: str, extra: dict[str, int]) -> Option | None:
        """The cheapest shelter other than ``here`` with room for ``d`` (less ``extra``)."""
        rooms, supply = self.rooms, self.supply
        if len(self.open) > OPEN_SCAN:
            for o in supply.options(d, rooms):
                if (
                    o.shelter_id != here
                    and rooms.left(o.shelter_id) - extra.get(o.shelter_id, 0) >= d.size
                ):
                    return o
            return None
        best: Option | None = None
        for sid in self.open:
            if sid == here or rooms.left(sid) - extra.get(sid, 0) < d.size:
                continue
            if not d.requires <= supply.services(sid):
                continue
            km = self.distance(d, sid)
            if km > supply.max_km:
                continue
            o = supply.option(d, sid, km)
            if best is None or (o.cost, o.shelter_id) < (best.cost, best.shelter_id):
                best = o
        return best

    def plan(self, w: Demand, shelter_id: str) -> tuple[float, list[Move]] | None:
        """Moves making room for ``w`` at the shelter, and the cost they add, or None."""
        need = w.size - self.rooms.left(shelter_id)
        if need <= 0:
            return 0.0, []
        movable = []
        for x in self.members.get(shelter_id, ())[:FILL_MEMBERS]:
            alt = self.alternative(x, shelter_id, {})
            if alt is not None:
                movable.append((alt.cost - self.placed[x.ident].cost, x, alt))
        if sum(x.size for _, x, _ in movable) < need:
            return None
        single = min(
            ((delta, x.ident, x, alt) for delta, x, alt in movable if x.size >= need),
            default=None,
            key=lambda t: (t[0], t[1]),
        )
        best = None if single is None else (single[0], [(single[2], single[3])])
        movable.sort(key=lambda t: (t[0] / t[1].size, t[1].ident))
        extra: dict[str, int] = {}
        moves: list[Move] = []
        added, freed = 0.0, 0
        for delta, x, alt in movable:
            if self.rooms.left(alt.shelter_id) - extra.get(alt.shelter_id, 0) < x.size:
                again = self.alternative(x, shelter_id, extra)
                if again is None:
                    continue
                alt, delta = again, again.cost - self.placed[x.ident].cost
            extra[alt.shelter_id] = extra.get(alt.shelter_id, 0) + x.size
            moves.append((x, alt))
            added += delta
            freed += x.size
            if freed >= need:
                break
        if freed >= need and (best is None or added < best[0] - 1e-9):
            best = (added, moves)
        return best

    def place(self, w: Demand) -> bool:
        """Place ``w`` where the cheapest plan makes room for it; False when none does."""
        supply, rooms = self.supply, self.rooms

        def usable(sid: str) -> bool:
            return w.requires <= supply.services(sid) and rooms.capacity(sid) >= w.size

        best: tuple[float, str, Option, list[Move]] | None = None
        near = supply.grid.nearest(w.lat, w.lon, supply.max_km, FILL_SHELTERS, usable, w.size)
        for km, sid in near:
            plan = self.plan(w, sid)
            if plan is None:
                continue
            option = supply.option(w, sid, km)
            key = (option.cost + plan[0], sid, option, plan[1])
            if best is None or key[:2] < best[:2]:
                best = key
        if best is None:
            return False
        _, sid, option, moves = best
        self._carry_out(w, option, moves)
        return True

    def _carry_out(self, w: Demand, option: Option, moves: list[Move]) -> None:
        touched = {option.shelter_id}
        for x, alt in moves:
            touched.add(self.placed[x.ident].shelter_id)
            relocate(x, alt, self.rooms, self.placed, self.members)
            touched.add(alt.shelter_id)
        relocate(w, option, self.rooms, self.placed, self.members)
        for t in sorted(touched):
            self.version[t] = self.version.get(t, 0) + 1
            self._reopen(t)
        self.changes += 1

    def gather(self, w: Demand) -> bool:
        """Place ``w`` at a shelter with room left, gathering places from others (see above)."""
        if len(self.open) > OPEN_SCAN:
            return False
        supply, rooms = self.supply, self.rooms
        if sum(rooms.left(sid) for sid in self.open) < w.size:
            return False

        def usable(sid: str) -> bool:
            return w.requires <= supply.services(sid) and rooms.capacity(sid) >= w.size

        near = supply.grid.nearest(w.lat, w.lon, supply.max_km, FILL_SHELTERS, usable, w.size)
        targets = {sid: supply.option(w, sid, km) for km, sid in near}
        for sid in self.open:
            if sid not in targets and usable(sid):
                km = self.distance(w, sid)
                if km <= supply.max_km:
                    targets[sid] = supply.option(w, sid, km)
        ranked = sorted(targets.values(), key=lambda o: (o.cost, o.shelter_id))
        best: tuple[float, str, Option, list[Move]] | None = None
        for option in ranked[:GATHER_TARGETS]:
            plan = self._gathering(option.shelter_id, w.size - rooms.left(option.shelter_id))
            if plan is None:
                continue
            key = (option.cost + plan[0], option.shelter_id, option, plan[1])
            if best is None or key[:2] < best[:2]:
                best = key
        if best is None:
            return False
        _, _, option, moves = best
        self._carry_out(w, option, moves)
        return True

    def _gathering(self, target: str, need: int) -> Plan | None:
        """Exchanges bringing ``need`` more places to the target, cheapest first, or None."""
        if need <= 0:
            return 0.0, []
        cached = self.gathered.get((target, need))
        if cached is not None and cached[0] == self.changes:
            return cached[1]
        candidates: list[Exchange] = []
        for b in self._donors(target):
            candidates += self._exchanges(target, b, self.rooms.left(b), None)
            for dz, z, move in self._relays(b, target):
                c = self.placed[z.ident].shelter_id
                room = self.rooms.left(c) + z.size
                for delta, gain, keys, steps in self._exchanges(target, c, room, z):
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
        self.gathered[(target, need)] = (self.changes, plan)
        return plan

    def _donors(self, target: str) -> list[str]:
        """The shelters with room left nearest to the target (ties by id)."""
        cached = self.donors.get(target)
        if cached is not None and cached[0] == self.changes:
            return cached[1]
        points = self.supply.grid.points
        lat, lon = points[target]
        near = sorted(
            (haversine_km_coords(lat, lon, *points[sid]), sid) for sid in self.open if sid != target
        )
        donors = [sid for _, sid in near[:GATHER_DONORS]]
        self.donors[target] = (self.changes, donors)
        return donors

    def _relays(self, b: str, target: str) -> list[tuple[float, Demand, Move]]:
        """Households near donor ``b`` that fit in its room left, one per shelter: moved there,
        each leaves its shelter able to give places to the target in turn."""
        cached = self.relays.get(b)
        if cached is None or cached[0] != self.changes:
            supply, placed, room = self.supply, self.placed, self.rooms.left(b)
            services = supply.services(b)
            best: dict[str, tuple[float, str, Demand, Option]] = {}

            def movable(sid: str) -> bool:
                if sid == b:
                    return False
                for z in self.members.get(sid, ())[:FILL_MEMBERS]:
                    if z.size > room or not z.requires <= services:
                        continue
                    km = self.distance(z, b)
                    if km <= supply.max_km:
                        o = supply.option(z, b, km)
                        key = (o.cost - placed[z.ident].cost, z.ident, z, o)
                        if sid not in best or key[:2] < best[sid][:2]:
                            best[sid] = key
                return sid in best

            lat, lon = supply.grid.points[b]
            near = supply.grid.nearest(lat, lon, supply.max_km, GATHER_RELAYS + 1, movable)
            found = [(best[sid][0], best[sid][2], (best[sid][2], best[sid][3])) for _, sid in near]
            cached = self.relays[b] = (self.changes, found)
        return [r for r in cached[1] if self.placed[r[1].ident].shelter_id != target]

    def _exchanges(self, a: str, b: str, room: int, gone: Demand | None) -> list[Exchange]:
        """Ways for shelter ``a`` to gain places from ``room`` at ``b`` (see the module doc),
        ``gone`` (a household of ``b`` leaving it) aside."""
        key = (a, b, room, "" if gone is None else gone.ident)
        stamp = (self.version.get(a, 0), self.version.get(b, 0))
        cached = self.exchanges.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        supply, placed = self.supply, self.placed
        services_a, services_b = supply.services(a), supply.services(b)
        incoming: dict[int, list[tuple[float, Demand, Option]]] = {}
        for y in self.members.get(b, ())[:FILL_MEMBERS]:
            if y is gone or not y.requires <= services_a:
                continue
            km = self.distance(y, a)
            if km <= supply.max_km:
                o = supply.option(y, a, km)
                incoming.setdefault(y.size, []).append((o.cost - placed[y.ident].cost, y, o))
        found: list[Exchange] = []
        for x in self.members.get(a, ())[:FILL_MEMBERS]:
            if not x.requires <= services_b:
                continue
            km = self.distance(x, b)
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

    def _reopen(self, shelter_id: str) -> None:
        is_open = self.rooms.left(shelter_id) > 0
        if is_open and shelter_id not in self.open:
            self.open.append(shelter_id)
            self.open.sort()
        elif not is_open and shelter_id in self.open:
            self.open.remove(shelter_id)


def fill(
    order: Sequence[Demand], supply: Supply, rooms: Rooms, placed: Placed, members: Members
) -> None:
    """Place waiting households, in priority order, by moving placed ones to make room."""
    waiting = [d for d in order if d.ident not in placed]
    if not waiting:
        return
    filler = _Filler(supply, rooms, placed, members)
    for _ in range(FILL_PASSES):
        waiting = [d for d in waiting if d.ident not in placed]
        placed_any = False
        for w in waiting:
            if not filler.open:
                return
            placed_any |= filler.place(w) or filler.gather(w)
        if not placed_any:
            return


def honour_priority(
    order: Sequence[Demand], supply: Supply, rooms: Rooms, placed: Placed, members: Members
) -> None:
    """No waiting household fits, alone or in the place of one of lower priority (see above)."""
    by_ident = {d.ident: d for d in order}
    heap = [(d.rank, d.ident) for d in order if d.ident not in placed]
    heapq.heapify(heap)
    reach: dict[str, list[tuple[float, str]]] = {}
    total = max(1, len(supply.grid.points))
    while heap:
        _, ident = heapq.heappop(heap)
        y = by_ident[ident]
        if ident in placed:
            continue
        if ident not in reach:

            def usable(sid: str, y: Demand = y) -> bool:
                return y.requires <= supply.services(sid) and rooms.capacity(sid) >= y.size

            reach[ident] = supply.grid.nearest(y.lat, y.lon, supply.max_km, total, usable, y.size)
        best: tuple[tuple[object, ...], Option, Demand | None] | None = None
        for km, sid in reach[ident]:
            left = rooms.left(sid)
            if left >= y.size:
                option = supply.option(y, sid, km)
                key: tuple[object, ...] = (0, option.cost, sid)
                if best is None or key < best[0]:
                    best = (key, option, None)
                continue
            for x in members.get(sid, ()):
                if x.rank > y.rank and left + x.size >= y.size:
                    option = supply.option(y, sid, km)
                    key = (1, _descending(x.rank), option.cost, sid)
                    if best is None or key < best[0]:
                        best = (key, option, x)
        if best is None:
            continue
        _, option, evicted = best
        if evicted is not None:
            rooms.take(option.shelter_id, -evicted.size)
            members[option.shelter_id].remove(evicted)
            del placed[evicted.ident]
            heapq.heappush(heap, (evicted.rank, evicted.ident))
        relocate(y, option, rooms, placed, members)
        if evicted is not None and evicted.size > y.size:
            _requeue(option.shelter_id, heap, order, placed, supply)


def _requeue(
    shelter_id: str,
    heap: list[tuple[tuple[object, ...], str]],
    order: Sequence[Demand],
    placed: Placed,
    supply: Supply,
) -> None:
    """Room grew at the shelter: waiting households that could use it are tried again."""
    queued = {ident for _, ident in heap}
    services = supply.services(shelter_id)
    for d in order:
        if d.ident in placed or d.ident in queued or not d.requires <= services:
            continue
        if supply.distance(d, shelter_id) <= supply.max_km:
            heapq.heappush(heap, (d.rank, d.ident))


class _descending:
    """Wraps a rank so that larger ranks sort first."""

    __slots__ = ("rank",)

    def __init__(self, rank: tuple[object, ...]) -> None:
        self.rank = rank

    def __lt__(self, other: _descending) -> bool:
        return self.rank > other.rank

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _descending) and self.rank == other.rank

    def __hash__(self) -> int:
        return hash(self.rank)
