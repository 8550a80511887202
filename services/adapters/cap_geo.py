"""CAP geometry (``polygon``, ``circle``, ``geocode``) → Corridor shapes and region p-codes."""

import re
from collections.abc import Iterable

from pydantic import ValidationError

from schemas.hazard import Circle, Geocode
from schemas.types import GeoPoint
from services.adapters.errors import AdapterError
from services.geo import point_in_polygon, within_circle
from services.registry.regions import RegionRegistry

_PCODE = re.compile(r"^[A-Z]{2}[0-9]{2,10}$")


def _point(pair: str, where: str) -> GeoPoint:
    parts = pair.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return GeoPoint(lat=float(parts[0]), lon=float(parts[1]))
    except (ValueError, ValidationError):
        raise AdapterError(where, f"{pair[:40]!r} is not a WGS84 'lat,lon' pair") from None


def parse_polygon(text: str, where: str) -> tuple[GeoPoint, ...]:
    """CAP ``polygon``: whitespace-separated ``lat,lon`` pairs, at least four, first = last."""
    points = tuple(_point(pair, where) for pair in text.split())
    if len(points) < 4:
        raise AdapterError(where, "a polygon needs at least four 'lat,lon' pairs")
    if points[0] != points[-1]:
        raise AdapterError(where, "a polygon must be closed: its first pair equals its last")
    return points


def parse_circle(text: str, where: str) -> Circle:
    """CAP ``circle``: ``lat,lon radius`` with the radius in kilometres."""
    parts = text.split()
    if len(parts) != 2:
        raise AdapterError(where, "a circle is 'lat,lon radius_km'")
    center = _point(parts[0], where)
    try:
        return Circle(center=center, radius_km=float(parts[1]))
    except (ValueError, ValidationError):
        raise AdapterError(where, "the radius must be a number of kilometres, 0–20000") from None


def geocode_regions(geocodes: Iterable[Geocode], registry: RegionRegistry) -> set[str]:
    """Regions named by p-code geocodes, whatever their ``valueName``: a region's own p-code, or
    the p-code of an area inside it (admin2 ``HT0116`` is in ``HT01``)."""
    found: set[str] = set()
    for code in geocodes:
        value = code.value.strip().upper()
        if _PCODE.match(value):
            found.update(p for p in registry.pcodes if value.startswith(p))
    return found


def shape_regions(
    registry: RegionRegistry, polygons: Iterable[tuple[GeoPoint, ...]], circles: Iterable[Circle]
) -> set[str]:
    """Regions a shape touches: those a seed of which it contains, and those intake would find
    for its corners and centres (the nearest seed, within the registry's distance)."""
    polygons, circles = tuple(polygons), tuple(circles)
    found = set()
    for pcode, region in registry.regions.items():
        seeds = (*region.seeds, region.capital.location)
        if any(point_in_polygon(s, ring) for ring in polygons for s in seeds) or any(
            within_circle(s, c.center, c.radius_km) for c in circles for s in seeds
        ):
            found.add(pcode)
    points = [p for ring in polygons for p in ring] + [c.center for c in circles]
    found.update(r for r in (registry.resolve(p) for p in points) if r is not None)
    return found
