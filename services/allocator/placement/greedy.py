"""Batch assignment of whole households to shelters: who is placed, then where.

1. *Who* — households in priority order (medical, unaccompanied children, mobility, elderly,
   waiting time, id) each take their cheapest feasible option with room left. Under scarcity
   this decides who is placed; nobody is passed over for a household of lower priority that
   could not have been placed before them.
2. *Where* — the households placed in step 1 are placed again, together, by regret: the one
   that would lose most by not getting its best option goes first. The regret placement is kept
   when it places all of them (otherwise step 1's placement is kept).
3. Households still unplaced take what room is left, in priority order.
4. Local improvement: moves to a cheaper option with room, shifts (a household there makes room
   by moving on to one of its own options) and pairwise swaps, while they lower the total cost.

The cost of an option is person-kilometres (great-circle, origin to shelter) plus a small detour
charged per scarce service (accessible, health, child protection) the household does not need,
so scarce places go to those who need them when an equivalent alternative exists; only for the
services the batch protects (``Supply.protected``: those whose places do not exceed the expected
need, see :mod:`services.allocator.domain.protection`). With ``Supply.fragment_km``, the same
kind of detour is charged for leaving a shelter fewer places than the household's own size (but
some): a fragment later households, as large as those seen, may not fit in; never at shelters
the batch fills itself (:func:`_contest`). Each household considers its ``k`` nearest feasible
shelters (from the spatial grid), never all of them.
"""

import heapq
from collections.abc import Sequence

from services.allocator.placement.fill import fill
from services.allocator.placement.model import (
    EPS,
    Demand,
    Option,
    Placed,
    Rooms,
    Supply,
    by_cost,
    members_of,
)
from services.allocator.placement.priority import honour_priority

IMPROVE_PASSES = 4
SWAP_PARTNERS = 64


def assign(demands: Sequence[Demand], supply: Supply, rooms: Rooms) -> Placed:
    """Where each placeable household goes (by ident); absent households stay unplaced."""
    order = sorted(demands, key=lambda d: d.rank)
    options = {d.ident: supply.options(d, rooms) for d in order}
    if supply.fragment_km:
        _contest(order, supply, options, rooms)
    first_rooms = rooms.fork()
    first = _in_order(order, supply, options, first_rooms)
    chosen = [d for d in order if d.ident in first]
    regret_rooms = rooms.fork()
    regret = _by_regret(chosen, supply, options, regret_rooms)
    placed, left = (regret, regret_rooms) if len(regret) == len(first) else (first, first_rooms)
    rest = [d for d in order if d.ident not in placed]
    placed.update(_in_order(rest, supply, options, left))
    _improve(order, supply, options, left, placed)
    if len(placed) < len(order):
        fill(order, supply, left, placed, members_of(order, placed))
        _improve(order, supply, options, left, placed)
        honour_priority(order, supply, left, placed, members_of(order, placed))
    return placed


def _contest(
    order: Sequence[Demand], supply: Supply, options: dict[str, list[Option]], rooms: Rooms
) -> None:
    """Shelters the batch would fill itself (more persons have it as their cheapest option, the
    fragment price aside, than it has places) charge no fragment price: what is left there is
    the batch's to decide (the fill gathers it), not a fragment left to later batches."""
    wanted: dict[str, int] = {}
    for d in order:
        near = options[d.ident]
        if not near:
            continue
        # the price only adds: only options within it of the cheapest can be cheaper without
        within = near[0].cost + d.size * supply.fragment_km
        first = min(
            (
                (o.cost - d.size * supply.sliver(d, o.shelter_id), o.shelter_id)
                for o in near
                if o.cost <= within
            ),
        )[1]
        wanted[first] = wanted.get(first, 0) + d.size
    contested = {sid for sid, persons in wanted.items() if persons > rooms.left(sid)}
    if not contested:
        return
    supply.contested.update(contested)
    for d in order:
        near = options[d.ident]
        if any(o.shelter_id in contested and supply.sliver(d, o.shelter_id) for o in near):
            fresh = (
                supply.option(d, o.shelter_id, o.distance_km) if o.shelter_id in contested else o
                for o in near
            )
            options[d.ident] = sorted(fresh, key=by_cost)


def _best(
    d: Demand, supply: Supply, options: dict[str, list[Option]], rooms: Rooms
) -> list[Option]:
    """The household's options with room left, refreshed from the grid when all are full."""
    fitting = [o for o in options[d.ident] if rooms.left(o.shelter_id) >= d.size]
    if not fitting and options[d.ident]:
        fresh = supply.options(d, rooms)
        known = {o.shelter_id for o in options[d.ident]}
        merged = options[d.ident] + [o for o in fresh if o.shelter_id not in known]
        options[d.ident] = sorted(merged, key=by_cost)
        fitting = fresh
    return fitting


def _in_order(
    order: Sequence[Demand], supply: Supply, options: dict[str, list[Option]], rooms: Rooms
) -> Placed:
    placed: Placed = {}
    for d in order:
        fitting = _best(d, supply, options, rooms)
        if fitting:
            placed[d.ident] = fitting[0]
            rooms.take(fitting[0].shelter_id, d.size)
    return placed


def _regret(fitting: list[Option]) -> float:
    if len(fitting) < 2:
        return float("inf")
    return fitting[1].cost - fitting[0].cost


def _by_regret(
    demands: Sequence[Demand], supply: Supply, options: dict[str, list[Option]], rooms: Rooms
) -> Placed:
    placed: Placed = {}
    by_ident = {d.ident: d for d in demands}
    heap = []
    for d in demands:
        heap.append((-_regret(_best(d, supply, options, rooms)), d.rank, d.ident))
    heapq.heapify(heap)
    while heap:
        key, rank, ident = heapq.heappop(heap)
        d = by_ident[ident]
        fitting = _best(d, supply, options, rooms)
        if not fitting:
            continue
        regret = _regret(fitting)
        if -regret != key and heap and (-regret, rank) > heap[0][:2]:
            heapq.heappush(heap, (-regret, rank, ident))
            continue
        placed[ident] = fitting[0]
        rooms.take(fitting[0].shelter_id, d.size)
    return placed


def _improve(
    order: Sequence[Demand],
    supply: Supply,
    options: dict[str, list[Option]],
    rooms: Rooms,
    placed: Placed,
) -> None:
    """Moves and pairwise swaps that lower the total cost, never breaking room or needs."""
    members: dict[str, list[Demand]] = {}
    for d in order:
        if d.ident in placed:
            members.setdefault(placed[d.ident].shelter_id, []).append(d)
    for _ in range(IMPROVE_PASSES):
        changed = False
        for d in order:
            current = placed.get(d.ident)
            if current is None:
                continue
            for option in options[d.ident]:
                if option.cost >= current.cost - EPS:
                    break
                if option.shelter_id == current.shelter_id:
                    continue
                if rooms.left(option.shelter_id) >= d.size:
                    _move(d, current, option, rooms, placed, members)
                    changed = True
                    break
                if _swap(d, current, option, supply, rooms, placed, members, options):
                    changed = True
                    break
        if not changed:
            return


def _move(
    d: Demand,
    old: Option,
    new: Option,
    rooms: Rooms,
    placed: Placed,
    members: dict[str, list[Demand]],
) -> None:
    rooms.take(old.shelter_id, -d.size)
    rooms.take(new.shelter_id, d.size)
    members[old.shelter_id].remove(d)
    members.setdefault(new.shelter_id, []).append(d)
    placed[d.ident] = new


def _swap(
    d: Demand,
    current: Option,
    option: Option,
    supply: Supply,
    rooms: Rooms,
    placed: Placed,
    members: dict[str, list[Demand]],
    options: dict[str, list[Option]],
) -> bool:
    """Make room for ``d`` at ``option`` by sending one of its households elsewhere: back to
    ``d``'s shelter (a swap) or to another of its options with room (a shift)."""
    here, there = current.shelter_id, option.shelter_id
    room_here, room_there = rooms.left(here), rooms.left(there)
    gain = current.cost - option.cost
    for other in members.get(there, ())[:SWAP_PARTNERS]:
        if room_there + other.size < d.size:
            continue
        now = placed[other.ident]
        for alt in options[other.ident]:
            if alt.cost - now.cost >= gain - EPS:
                break
            if alt.shelter_id not in (here, there) and rooms.left(alt.shelter_id) >= other.size:
                _move(other, now, alt, rooms, placed, members)
                _move(d, current, option, rooms, placed, members)
                return True
        if room_here + d.size < other.size or not other.requires <= supply.services(here):
            continue
        km = supply.distance(other, here)
        if km > supply.max_km:
            continue
        back = supply.option(other, here, km)
        if back.cost - now.cost < gain - EPS:
            _move(other, now, back, rooms, placed, members)
            _move(d, current, option, rooms, placed, members)
            return True
    return False
