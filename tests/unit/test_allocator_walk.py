"""The grid's incremental nearest-neighbour search (:class:`Walk`): exact answers, shared.

A batch keeps one walk per position and asks it many questions (different ``k``, needs and
acceptance as rooms fill); each answer must be what a full scan gives: the same distances, bit
for bit (they end up in decisions), in the same order, ties by id.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.types import GeoPoint
from services.allocator.placement.grid import Grid, Walk
from services.geo import haversine_km_coords
from tests.strategies import geopoints

HAITI = GeoPoint(lat=18.54, lon=-72.34)
# few distinct coordinates, so that shelters share places and distances tie
spots = st.lists(geopoints(near=HAITI, spread=0.6), min_size=1, max_size=8)
weights = st.integers(0, 6)


def _scan(
    grid: Grid, q: GeoPoint, max_km: float, k: int, ok: frozenset[str], need: int
) -> list[tuple[float, str]]:
    found = sorted(
        (haversine_km_coords(q.lat, q.lon, lat, lon), pid)
        for pid, (lat, lon) in grid.points.items()
        if pid in ok and (grid.weights or {}).get(pid, need) >= need
    )
    return [f for f in found if f[0] <= max_km][:k]


@settings(max_examples=200, deadline=None)
@given(
    spots,
    st.lists(st.tuples(st.integers(0, 7), weights), min_size=1, max_size=60),
    geopoints(near=HAITI, spread=0.6),
    st.sampled_from([2.0, 20.0, 50.0]),
    st.lists(
        st.tuples(st.integers(1, 20), st.integers(0, 5), st.sets(st.integers(0, 59))),
        min_size=1,
        max_size=6,
    ),
)
def test_a_shared_walk_answers_every_query_like_a_full_scan(
    places: list[GeoPoint],
    shelters: list[tuple[int, int]],
    q: GeoPoint,
    max_km: float,
    queries: list[tuple[int, int, set[int]]],
) -> None:
    grid = Grid.weighted(
        (f"s{n:02d}", places[i % len(places)].lat, places[i % len(places)].lon, w)
        for n, (i, w) in enumerate(shelters)
    )
    walk = Walk(grid, q.lat, q.lon, max_km)
    for k, need, refused in queries:
        ok = frozenset(pid for pid in grid.points if int(pid[1:]) not in refused)
        got = walk.nearest(k, ok.__contains__, need)
        assert got == _scan(grid, q, max_km, k, ok, need)
        assert grid.nearest(q.lat, q.lon, max_km, k, ok.__contains__, need) == got


def test_an_unweighted_grid_ignores_need() -> None:
    grid = Grid.of([("a", 18.50, -72.30), ("b", 18.52, -72.30)])
    got = Walk(grid, 18.5, -72.3, 50.0).nearest(5, lambda _: True, need=4)
    assert [pid for _, pid in got] == ["a", "b"]


def test_a_weighted_grid_skips_points_lighter_than_the_need() -> None:
    grid = Grid.weighted([("a", 18.50, -72.30, 1), ("b", 18.52, -72.30, 3)])
    walk = Walk(grid, 18.5, -72.3, 50.0)
    assert [pid for _, pid in walk.nearest(5, lambda _: True, need=2)] == ["b"]
    assert walk.nearest(5, lambda _: True, need=4) == []
    assert [pid for _, pid in walk.nearest(5, lambda _: True)] == ["a", "b"]
