"""Properties of the batch assignment under scarcity (hypothesis, on ``assign`` directly).

After the fill phase and the priority check, whatever the instance: no shelter over capacity,
needs met within the maximum distance, and the priority rule on the final placement — a
household left waiting fits nowhere, neither in the room left nor in the place of a household
of lower priority (room left + that household's size) at a shelter it could use.
"""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.types import Service
from services.allocator.placement.greedy import assign
from services.allocator.placement.grid import Grid
from services.allocator.placement.model import SCARCE, Demand, Rooms, Supply

MAX_KM = 30.0
points = st.tuples(st.floats(18.3, 18.8), st.floats(-72.6, -72.1))
shelter = st.tuples(points, st.integers(0, 9), st.frozensets(st.sampled_from(sorted(SCARCE))))
household = st.tuples(
    points,
    st.integers(1, 7),
    st.integers(0, 4),
    st.frozensets(st.sampled_from(sorted(SCARCE)), max_size=1),
)
instances = st.tuples(
    st.lists(shelter, min_size=1, max_size=12), st.lists(household, min_size=1, max_size=40)
)


def _solve(instance: Any) -> tuple[list[Demand], Supply, dict[str, int], dict[str, Any]]:
    shelters, households = instance
    grid = Grid.of((f"s{n:02d}", lat, lon) for n, ((lat, lon), _, _) in enumerate(shelters))
    services: dict[str, frozenset[Service]] = {
        f"s{n:02d}": svc for n, (_, _, svc) in enumerate(shelters)
    }
    capacity = {f"s{n:02d}": cap for n, (_, cap, _) in enumerate(shelters)}
    demands = [
        Demand(f"h{n:02d}", (cls, n), lat, lon, size, req)
        for n, ((lat, lon), size, cls, req) in enumerate(households)
    ]
    supply = Supply(grid, services.__getitem__, MAX_KM)
    return demands, supply, capacity, assign(demands, supply, Rooms(capacity.__getitem__))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances)
def test_final_placement_respects_capacity_needs_and_priority(instance: Any) -> None:
    demands, supply, capacity, placed = _solve(instance)
    left = dict(capacity)
    at: dict[str, list[Demand]] = {}
    for d in demands:
        if d.ident in placed:
            sid = placed[d.ident].shelter_id
            left[sid] -= d.size
            at.setdefault(sid, []).append(d)
            assert d.requires <= supply.services(sid)
            assert supply.distance(d, sid) <= MAX_KM
    assert all(v >= 0 for v in left.values())  # never overbooked
    for y in demands:
        if y.ident in placed:
            continue
        for sid in sorted(capacity):
            if not y.requires <= supply.services(sid) or supply.distance(y, sid) > MAX_KM:
                continue
            assert y.size > left[sid]  # fits nowhere in the room left
            for x in at.get(sid, ()):
                # nobody of lower priority holds a place the waiting household could take
                assert x.rank < y.rank or y.size > left[sid] + x.size


@settings(max_examples=50, deadline=None)
@given(instances)
def test_assignment_is_deterministic(instance: Any) -> None:
    assert _solve(instance)[3] == _solve(instance)[3]


def test_fill_moves_a_placed_household_to_make_room_for_a_waiting_one() -> None:
    """Two single places apart: moving the single person next to one frees two for a pair."""
    grid = Grid.of([("a", 18.50, -72.30), ("b", 18.52, -72.30)])
    capacity = {"a": 2, "b": 1}
    single = Demand("h1", (4, 1), 18.50, -72.30, 1, frozenset())
    pair = Demand("h2", (4, 2), 18.50, -72.30, 2, frozenset())
    supply = Supply(grid, lambda sid: frozenset(), MAX_KM)
    placed = assign([single, pair], supply, Rooms(capacity.__getitem__))
    assert {k: o.shelter_id for k, o in placed.items()} == {"h1": "b", "h2": "a"}


def _placed_at(
    shelters: dict[str, tuple[float, float, int]], demands: list[Demand]
) -> dict[str, str]:
    grid = Grid.of((sid, lat, lon) for sid, (lat, lon, _) in shelters.items())
    supply = Supply(grid, lambda sid: frozenset(), MAX_KM)
    capacity = {sid: cap for sid, (_, _, cap) in shelters.items()}
    placed = assign(demands, supply, Rooms(capacity.__getitem__))
    return {k: o.shelter_id for k, o in placed.items()}


def test_fill_gathers_single_places_by_exchanging_households() -> None:
    """One place left at a and one at b, no household can just move: a's household of three
    and b's household of two trade places, so that a has two places left for a pair."""
    shelters = {"a": (18.50, -72.30, 4), "b": (18.52, -72.30, 3)}
    demands = [
        Demand("h1", (4, 1), 18.50, -72.30, 3, frozenset()),
        Demand("h2", (4, 2), 18.52, -72.30, 2, frozenset()),
        Demand("h3", (4, 3), 18.50, -72.30, 2, frozenset()),
    ]
    assert _placed_at(shelters, demands) == {"h1": "b", "h2": "a", "h3": "a"}


def test_fill_gathers_a_place_through_a_relay() -> None:
    """b is a single place: c's single person moves there, so c can take a's household of
    three in exchange for its household of two, and a has two places left for a pair."""
    shelters = {"a": (18.50, -72.30, 4), "b": (18.54, -72.30, 1), "c": (18.52, -72.30, 3)}
    demands = [
        Demand("h1", (4, 1), 18.50, -72.30, 3, frozenset()),
        Demand("h2", (4, 2), 18.52, -72.30, 2, frozenset()),
        Demand("h3", (4, 3), 18.52, -72.30, 1, frozenset()),
        Demand("h4", (4, 4), 18.50, -72.30, 2, frozenset()),
    ]
    assert _placed_at(shelters, demands) == {"h1": "c", "h2": "a", "h3": "b", "h4": "a"}
