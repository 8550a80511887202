"""Priority holds on the final placement (the last step of :func:`.greedy.assign`).

For every household left waiting and every shelter it could use (services, distance): it does
not fit in the room left, and it would not fit in the place of any household there of lower
priority (room left + that household's size). Where it would, it takes that place (or the room
left), and the household of lower priority waits in turn, tried again in priority order. This is
the batch's priority rule, checked on the final placement rather than on the order the steps ran
in.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from services.allocator.placement.model import (
    Demand,
    Members,
    Option,
    Placed,
    Rooms,
    Supply,
    relocate,
)


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
