"""After the batch assignment: fill the places left over, then make sure priority holds.

Under scarcity the places left are scattered single places: a waiting household of four does
not fit anywhere although four places are free in the region. Two steps follow ``assign``:

1. *Fill* — waiting households, in priority order, each look for a shelter where room can be
   made for them by moving placed households out to other shelters that have room (each moved
   household keeps its needs met and stays within the maximum distance). The cheapest such plan
   (the waiting household's cost there plus what the moves add) is carried out. Nobody placed is
   unplaced: a move changes where a household goes, never whether it goes.
   When no such plan exists, places left over at other shelters are *gathered* (:mod:`.gather`):
   a shelter with room left (the target) receives places from others with room left (the
   donors), each by an exchange — a household of the target moves to the donor, and possibly
   one smaller household of the donor moves to the target in return, so that the target gains
   the difference and the donor gives no more than it had left. A single place left here and
   one there become two in one shelter, where a household of two fits. The cheapest gathering
   (the waiting household's cost at the target plus what the exchanges add) is carried out.
2. *Priority* — at the end, for every household left waiting and every shelter it could use
   (services, distance): it does not fit in the room left, and it would not fit in the place of
   any household there of lower priority (room left + that household's size). Where it would,
   it takes that place (or the room left), and the household of lower priority waits in turn,
   tried again in priority order. This is the batch's priority rule, checked on the final
   placement rather than on the order the steps ran in.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from services.allocator.gather import Gathering

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

Members = dict[str, list["Demand"]]
Move = tuple["Demand", "Option"]
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


class Filler:
    def __init__(self, supply: Supply, rooms: Rooms, placed: Placed, members: Members) -> None:
        self.supply, self.rooms, self.placed, self.members = supply, rooms, placed, members
        points = supply.grid.points
        self.open = sorted(sid for sid in points if rooms.left(sid) > 0)
        self.km: dict[tuple[str, str], float] = {}
        self.near: dict[str, list[tuple[float, str]]] = {}
        self.version: dict[str, int] = {}
        """Per shelter, how many times its households changed (keys the gathering's caches)."""
        self.changes = 0
        """How many plans were carried out (keys the gathering's caches)."""
        self.gathering = Gathering(self)

    def movable(self, shelter_id: str) -> list[Demand]:
        """The households of a shelter considered for moving out."""
        return self.members.get(shelter_id, [])[:FILL_MEMBERS]

    def usable(self, w: Demand, shelter_id: str) -> bool:
        """Whether the shelter could take ``w`` with room made (services and capacity)."""
        supply = self.supply
        return (
            w.requires <= supply.services(shelter_id) and self.rooms.capacity(shelter_id) >= w.size
        )

    def nearest(self, w: Demand) -> list[tuple[float, str]]:
        """The ``FILL_SHELTERS`` nearest usable shelters (neither changes during the fill)."""
        near = self.near.get(w.ident)
        if near is None:
            supply = self.supply
            near = self.near[w.ident] = supply.grid.nearest(
                w.lat, w.lon, supply.max_km, FILL_SHELTERS, lambda sid: self.usable(w, sid), w.size
            )
        return near

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
        for x in self.movable(shelter_id):
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
        plans = ((km, sid, self.plan(w, sid)) for km, sid in self.nearest(w))
        return self._cheapest(
            w,
            ((self.supply.option(w, sid, km), plan) for km, sid, plan in plans if plan is not None),
        )

    def gather(self, w: Demand) -> bool:
        """Place ``w`` at a shelter with room left, gathering places from others (see above)."""
        if len(self.open) > OPEN_SCAN:
            return False
        supply, rooms = self.supply, self.rooms
        if sum(rooms.left(sid) for sid in self.open) < w.size:
            return False
        targets = {sid: supply.option(w, sid, km) for km, sid in self.nearest(w)}
        for sid in self.open:
            if sid not in targets and self.usable(w, sid):
                km = self.distance(w, sid)
                if km <= supply.max_km:
                    targets[sid] = supply.option(w, sid, km)
        ranked = sorted(targets.values(), key=lambda o: (o.cost, o.shelter_id))
        return self._cheapest(
            w,
            (
                (o, self.gathering.plan(o.shelter_id, w.size - rooms.left(o.shelter_id)))
                for o in ranked[:GATHER_TARGETS]
            ),
        )

    def _cheapest(self, w: Demand, plans: Iterable[tuple[Option, Plan | None]]) -> bool:
        """Carry out the cheapest plan placing ``w`` (its cost there plus the plan's, ties by
        shelter id); False when there is none. A plan's option is only asked for when the plan
        exists."""
        best: tuple[float, str, Option, list[Move]] | None = None
        for option, plan in plans:
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
    filler = Filler(supply, rooms, placed, members)
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
