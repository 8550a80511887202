"""The allocator's building blocks: the spatial grid, the persistent map, entity keys and JSON."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.types import GeoPoint, Service
from services.allocator.domain.entities import Shelter
from services.allocator.domain.pmap import PMap
from services.allocator.placement.grid import Grid
from services.allocator.store import entity_from_json, entity_to_json
from services.geo import haversine_km_coords
from tests.strategies import geopoints

HAITI = GeoPoint(lat=18.54, lon=-72.34)
points = st.lists(geopoints(near=HAITI, spread=1.0), max_size=60)
anywhere = st.lists(geopoints(), max_size=30)


def brute(pts: list[GeoPoint], q: GeoPoint, max_km: float, k: int) -> list[tuple[float, str]]:
    found = [(haversine_km_coords(q.lat, q.lon, p.lat, p.lon), f"p{i}") for i, p in enumerate(pts)]
    return sorted(f for f in found if f[0] <= max_km)[:k]


@settings(max_examples=150, deadline=None)
@given(
    points | anywhere,
    geopoints(near=HAITI, spread=1.0) | geopoints(),
    st.sampled_from([5.0, 50.0, 150.0]),
    st.integers(1, 5),
)
def test_grid_nearest_matches_a_full_scan(
    pts: list[GeoPoint], q: GeoPoint, max_km: float, k: int
) -> None:
    grid = Grid.of((f"p{i}", p.lat, p.lon) for i, p in enumerate(pts))
    got = grid.nearest(q.lat, q.lon, max_km, k, lambda _: True)
    want = brute(pts, q, max_km, k)
    assert [d for d, _ in got] == pytest.approx([d for d, _ in want])


def test_grid_changes_leave_the_old_grid_alone() -> None:
    grid = Grid.of([("a", 18.5, -72.3), ("b", 18.6, -72.3)])
    moved = grid.changed(removed=["a"], added=[("b", 18.51, -72.3), ("c", 18.7, -72.3)])
    assert set(grid.points) == {"a", "b"} and grid.points["b"] == (18.6, -72.3)
    assert set(moved.points) == {"b", "c"}
    assert moved == Grid.of([("b", 18.51, -72.3), ("c", 18.7, -72.3)])
    assert [pid for _, pid in moved.nearest(18.5, -72.3, 50, 1, lambda _: True)] == ["b"]


@given(
    st.dictionaries(st.text(max_size=5), st.integers()),
    st.lists(st.text(max_size=5)),
    st.dictionaries(st.text(max_size=5), st.integers()),
)
def test_pmap_behaves_like_a_dict(
    start: dict[str, int], drops: list[str], puts: dict[str, int]
) -> None:
    old = PMap(start)
    new = old.updated(puts, drops)
    expected = {k: v for k, v in start.items() if k not in drops} | puts
    assert dict(new) == expected and len(new) == len(expected)
    assert dict(old) == start
    assert all(k in new for k in expected) and new.get("missing-key-xyz") is None


def test_entities_round_trip_to_canonical_json() -> None:
    shelter = Shelter(
        shelter_id="s1",
        lat=18.5,
        lon=-72.3,
        capacity=None,
        occupancy=3,
        services=frozenset({Service.WASH, Service.HEALTH}),
        open=True,
        reported_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    raw = entity_to_json(shelter)
    assert shelter.key == "shelter|s1"
    assert raw == entity_to_json(entity_from_json("shelter|s1", raw))
    assert b'"services":["health","wash"]' in raw
    with pytest.raises(ValueError, match="stored under"):
        entity_from_json("shelter|other", raw)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(geopoints(near=HAITI, spread=1.0), st.integers(1, 9)), max_size=80),
    geopoints(near=HAITI, spread=1.0),
    st.sampled_from([5.0, 50.0, 150.0]),
    st.integers(1, 20),
    st.integers(0, 9),
)
def test_weighted_grid_nearest_matches_a_full_scan_of_heavy_enough_points(
    pts: list[tuple[GeoPoint, int]], q: GeoPoint, max_km: float, k: int, need: int
) -> None:
    grid = Grid.weighted((f"p{i}", p.lat, p.lon, w) for i, (p, w) in enumerate(pts))
    odd = {f"p{i}" for i in range(0, len(pts), 2)}
    got = grid.nearest(q.lat, q.lon, max_km, k, lambda pid: pid in odd, need)
    found = [
        (haversine_km_coords(q.lat, q.lon, p.lat, p.lon), f"p{i}")
        for i, (p, w) in enumerate(pts)
        if w >= need and f"p{i}" in odd
    ]
    want = sorted(f for f in found if f[0] <= max_km)[:k]
    assert [pid for _, pid in got] == [pid for _, pid in want]
    lighter = grid.reweighed(removed=["p0"], added=[("p1", q.lat, q.lon, 1)])
    assert (
        lighter
        == Grid.weighted(
            [(f"p{i}", p.lat, p.lon, w) for i, (p, w) in enumerate(pts) if i > 1]
            + ([("p1", q.lat, q.lon, 1)] if len(pts) > 1 else [])
        )
        or len(pts) <= 1
    )
