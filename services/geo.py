"""Geometry on WGS84 points: great-circle distances, CAP polygons and circles. Pure functions.

Polygons are rings of :class:`~schemas.types.GeoPoint` (CAP's ``lat,lon`` pairs), treated as
planar in degrees, which is what CAP areas mean at their scale. Rings crossing the antimeridian
are not supported.
"""

import math
from collections.abc import Sequence

from schemas.types import GeoPoint

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), in kilometres."""


def haversine_km_coords(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two positions given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in km between two points."""
    return haversine_km_coords(a.lat, a.lon, b.lat, b.lon)


def within_circle(point: GeoPoint, center: GeoPoint, radius_km: float) -> bool:
    """Whether ``point`` is at most ``radius_km`` from ``center`` along the great circle."""
    return haversine_km(point, center) <= radius_km


def point_in_polygon(point: GeoPoint, ring: Sequence[GeoPoint]) -> bool:
    """Whether ``point`` lies inside the ring (ray casting; closed or open rings alike).

    Latitude is the y axis and longitude the x axis. A point exactly on an edge may fall on
    either side; rings of fewer than three distinct corners contain nothing.
    """
    if len(ring) < 3:
        return False
    x, y = point.lon, point.lat
    inside = False
    prev = ring[-1]
    for cur in ring:
        if (cur.lat > y) != (prev.lat > y):
            x_cross = cur.lon + (y - cur.lat) * (prev.lon - cur.lon) / (prev.lat - cur.lat)
            if x < x_cross:
                inside = not inside
        prev = cur
    return inside
