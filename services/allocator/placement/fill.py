"""After the greedy assignment: fill the places left over (then :mod:`.priority` holds).

Under scarcity the places left are scattered single places: a waiting household of four does
not fit anywhere although four places are free in the region.

*Fill* — waiting households, in priority order, each look for a shelter where room can be
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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.allocator.placement.gather import Gathering
from services.allocator.placement.model import (
    Board,
    Demand,
    Members,
    Move,
    Option,
    Placed,
    Plan,
    Rooms,
    Supply,
    relocate,
)

FILL_SHELTERS = 16
"""Shelters (nearest with the services and enough capacity) where room is sought per household."""
FILL_PASSES = 3
OPEN_SCAN = 256
"""With at most this many shelters with room left, moves scan them all; else the grid's nearest.
Gathering runs only then (it looks at pairs of shelters with room left)."""
GATHER_TARGETS = 16
"""Shelters tried as targets per waiting household, the cheapest for it among its
``FILL_SHELTERS`` nearest and those with room left."""


@dataclass(frozen=True)
class _Shift:
    """A household that could move out of a shelter, and what the move adds."""

    added: float
    move: Move


class Filler:
    def __init__(self, board: Board) -> None:
        self.board = board
        self.near: dict[str, list[tuple[float, str]]] = {}
        self.gathering = Gathering(board)

    def usable(self, w: Demand, shelter_id: str) -> bool:
        """Whether the shelter could take ``w`` with room made (services and capacity)."""
        b = self.board
        return (
            w.requires <= b.supply.services(shelter_id) and b.rooms.capacity(shelter_id) >= w.size
        )

    def nearest(self, w: Demand) -> list[tuple[float, str]]:
        """The ``FILL_SHELTERS`` nearest usable shelters (neither changes during the fill)."""
        near = self.near.get(w.ident)
        if near is None:
            supply = self.board.supply
            near = self.near[w.ident] = supply.grid.nearest(
                w.lat, w.lon, supply.max_km, FILL_SHELTERS, lambda sid: self.usable(w, sid), w.size
            )
        return near

    def alternative(self, d: Demand, here: str, extra: dict[str, int]) -> Option | None:
        """The cheapest shelter other than ``here`` with room for ``d`` (less ``extra``)."""
        b = self.board
        rooms, supply = b.rooms, b.supply
        if len(b.open) > OPEN_SCAN:
            for o in supply.options(d, rooms):
                if (
                    o.shelter_id != here
                    and rooms.left(o.shelter_id) - extra.get(o.shelter_id, 0) >= d.size
                ):
                    return o
            return None
        best: Option | None = None
        for sid in b.open:
            if sid == here or rooms.left(sid) - extra.get(sid, 0) < d.size:
                continue
            if not d.requires <= supply.services(sid):
                continue
            km = b.distance(d, sid)
            if km > supply.max_km:
                continue
            o = supply.option(d, sid, km)
            if best is None or (o.cost, o.shelter_id) < (best.cost, best.shelter_id):
                best = o
        return best

    def plan(self, w: Demand, shelter_id: str) -> Plan | None:
        """Moves making room for ``w`` at the shelter, and the cost they add, or None."""
        b = self.board
        need = w.size - b.rooms.left(shelter_id)
        if need <= 0:
            return Plan(0.0)
        shifts = []
        for x in b.movable(shelter_id):
            alt = self.alternative(x, shelter_id, {})
            if alt is not None:
                shifts.append(_Shift(alt.cost - b.cost_now(x), Move(x, alt)))
        if sum(s.move.household.size for s in shifts) < need:
            return None
        single = min(
            (s for s in shifts if s.move.household.size >= need),
            default=None,
            key=lambda s: (s.added, s.move.household.ident),
        )
        best = None if single is None else Plan(single.added, (single.move,))
        shifts.sort(key=lambda s: (s.added / s.move.household.size, s.move.household.ident))
        extra: dict[str, int] = {}
        moves: list[Move] = []
        added, freed = 0.0, 0
        for s in shifts:
            x, alt, delta = s.move.household, s.move.option, s.added
            if b.rooms.left(alt.shelter_id) - extra.get(alt.shelter_id, 0) < x.size:
                again = self.alternative(x, shelter_id, extra)
                if again is None:
                    continue
                alt, delta = again, again.cost - b.cost_now(x)
            extra[alt.shelter_id] = extra.get(alt.shelter_id, 0) + x.size
            moves.append(Move(x, alt))
            added += delta
            freed += x.size
            if freed >= need:
                break
        if freed >= need and (best is None or added < best.cost - 1e-9):
            best = Plan(added, tuple(moves))
        return best

    def place(self, w: Demand) -> bool:
        """Place ``w`` where the cheapest plan makes room for it; False when none does."""
        supply = self.board.supply
        plans = ((km, sid, self.plan(w, sid)) for km, sid in self.nearest(w))
        return self._cheapest(
            w, ((supply.option(w, sid, km), plan) for km, sid, plan in plans if plan is not None)
        )

    def gather(self, w: Demand) -> bool:
        """Place ``w`` at a shelter with room left, gathering places from others (see above)."""
        b = self.board
        if len(b.open) > OPEN_SCAN:
            return False
        supply, rooms = b.supply, b.rooms
        if sum(rooms.left(sid) for sid in b.open) < w.size:
            return False
        targets = {sid: supply.option(w, sid, km) for km, sid in self.nearest(w)}
        for sid in b.open:
            if sid not in targets and self.usable(w, sid):
                km = b.distance(w, sid)
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
        best: tuple[float, str] | None = None
        chosen: tuple[Option, Plan] | None = None
        for option, plan in plans:
            if plan is None:
                continue
            key = (option.cost + plan.cost, option.shelter_id)
            if best is None or key < best:
                best, chosen = key, (option, plan)
        if chosen is None:
            return False
        self._carry_out(w, *chosen)
        return True

    def _carry_out(self, w: Demand, option: Option, plan: Plan) -> None:
        b = self.board
        touched = {option.shelter_id}
        for move in plan.moves:
            touched.add(b.shelter_of(move.household))
            relocate(move.household, move.option, b.rooms, b.placed, b.members)
            touched.add(move.option.shelter_id)
        relocate(w, option, b.rooms, b.placed, b.members)
        for t in sorted(touched):
            b.version[t] = b.version.get(t, 0) + 1
            self._reopen(t)
        b.changes += 1

    def _reopen(self, shelter_id: str) -> None:
        b = self.board
        is_open = b.rooms.left(shelter_id) > 0
        if is_open and shelter_id not in b.open:
            b.open.append(shelter_id)
            b.open.sort()
        elif not is_open and shelter_id in b.open:
            b.open.remove(shelter_id)


def fill(
    order: Sequence[Demand], supply: Supply, rooms: Rooms, placed: Placed, members: Members
) -> None:
    """Place waiting households, in priority order, by moving placed ones to make room."""
    waiting = [d for d in order if d.ident not in placed]
    if not waiting:
        return
    filler = Filler(Board(supply, rooms, placed, members))
    for _ in range(FILL_PASSES):
        waiting = [d for d in waiting if d.ident not in placed]
        placed_any = False
        for w in waiting:
            if not filler.board.open:
                return
            placed_any |= filler.place(w) or filler.gather(w)
        if not placed_any:
            return
