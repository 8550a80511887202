import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.types import GeoPoint
from services.geo import (
    EARTH_RADIUS_KM,
    haversine_km,
    haversine_km_coords,
    point_in_polygon,
    within_circle,
)

PORT_AU_PRINCE = GeoPoint(lat=18.5392, lon=-72.3364)
CAP_HAITIEN = GeoPoint(lat=19.7579, lon=-72.2041)

points = st.builds(
    GeoPoint,
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
)


def test_port_au_prince_to_cap_haitien() -> None:
    assert haversine_km(PORT_AU_PRINCE, CAP_HAITIEN) == pytest.approx(136, abs=2)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((0.0, 0.0), (0.0, 1.0), 2 * math.pi * EARTH_RADIUS_KM / 360),  # one degree of equator
        ((90.0, 0.0), (-90.0, 0.0), math.pi * EARTH_RADIUS_KM),  # pole to pole
        ((0.0, 0.0), (0.0, 180.0), math.pi * EARTH_RADIUS_KM),  # antipodes
        ((0.0, 179.5), (0.0, -179.5), 2 * math.pi * EARTH_RADIUS_KM / 360),  # across 180°
        ((51.5074, -0.1278), (48.8566, 2.3522), 343.5),  # London to Paris
    ],
)
def test_known_distances(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert haversine_km_coords(*a, *b) == pytest.approx(km, rel=2e-3)


@given(points)
def test_distance_to_itself_is_zero(a: GeoPoint) -> None:
    assert haversine_km(a, a) == pytest.approx(0, abs=1e-6)


@given(points, points)
def test_symmetric_and_bounded(a: GeoPoint, b: GeoPoint) -> None:
    d = haversine_km(a, b)
    assert d == pytest.approx(haversine_km(b, a), abs=1e-6)
    assert 0 <= d <= math.pi * EARTH_RADIUS_KM + 1e-6


@given(points, points, points)
def test_triangle_inequality(a: GeoPoint, b: GeoPoint, c: GeoPoint) -> None:
    # Near antipodes haversine loses precision (centimetres): allow a metre.
    assert haversine_km(a, c) <= haversine_km(a, b) + haversine_km(b, c) + 1e-3


def test_within_circle() -> None:
    assert within_circle(CAP_HAITIEN, PORT_AU_PRINCE, 140)
    assert not within_circle(CAP_HAITIEN, PORT_AU_PRINCE, 130)
    assert within_circle(PORT_AU_PRINCE, PORT_AU_PRINCE, 0)


def ring(*corners: tuple[float, float]) -> tuple[GeoPoint, ...]:
    return tuple(GeoPoint(lat=lat, lon=lon) for lat, lon in corners)


# A CAP-style closed ring (lat,lon; first = last) around Port-au-Prince, and a concave "U".
SQUARE = ring((18.4, -72.5), (18.4, -72.2), (18.7, -72.2), (18.7, -72.5), (18.4, -72.5))
U_SHAPE = ring((0, 0), (0, 3), (3, 3), (3, 2), (1, 2), (1, 1), (3, 1), (3, 0))


def test_point_in_closed_ring() -> None:
    assert point_in_polygon(PORT_AU_PRINCE, SQUARE)
    assert not point_in_polygon(CAP_HAITIEN, SQUARE)
    assert not point_in_polygon(GeoPoint(lat=18.5, lon=-72.6), SQUARE)  # same latitude, west


def test_open_ring_is_closed_implicitly() -> None:
    assert point_in_polygon(PORT_AU_PRINCE, SQUARE[:-1])


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [(0.5, 1.5, True), (2.0, 0.5, True), (2.0, 2.5, True), (2.0, 1.5, False), (4.0, 1.5, False)],
)
def test_concave_ring(lat: float, lon: float, inside: bool) -> None:
    assert point_in_polygon(GeoPoint(lat=lat, lon=lon), U_SHAPE) is inside


def test_degenerate_ring_contains_nothing() -> None:
    assert not point_in_polygon(PORT_AU_PRINCE, SQUARE[:2])
    assert not point_in_polygon(PORT_AU_PRINCE, ())
