"""The cells of :mod:`.grid`: 0.01° of latitude by 0.01° of longitude, and the bounds a
:class:`~.grid.Walk` keys them by."""

import math

from services.geo import EARTH_RADIUS_KM

CELL_DEG = 0.01
ROWS = round(180 / CELL_DEG)
COLS = round(360 / CELL_DEG)
MAX_RINGS = 150
"""Beyond this many rings a query scans all points (very large distances)."""
KM_PER_DEG = math.radians(1.0) * EARTH_RADIUS_KM
SLACK = 1.02
"""Margin of the flat-earth estimate used to skip far points (it errs < 1 % within 100 km)."""
KM_PER_SLACK = KM_PER_DEG / SLACK
TWO_R = 2 * EARTH_RADIUS_KM
POLAR_DEG = 84.0
"""Where cells get too narrow for rings: a query reaching this latitude scans all points."""
SCAN_RATIO = 4
"""A query scans the remaining points once a ring has more than ``points / SCAN_RATIO`` cells."""

Cell = tuple[int, int]


def cell_of(lat: float, lon: float) -> Cell:
    row = min(int((lat + 90.0) / CELL_DEG), ROWS - 1)
    col = int((lon + 180.0) / CELL_DEG) % COLS
    return row, col


def gap(offset: int, inside: float) -> float:
    """Degrees from a position ``inside`` degrees into its cell to the near edge of the cell
    ``offset`` cells away (0 for its own cell)."""
    if offset > 0:
        return offset * CELL_DEG - inside
    if offset < 0:
        return inside + (-offset - 1) * CELL_DEG
    return 0.0


def outside_bound_km(lat: float, r: int) -> float:
    """A lower bound of the distance from a point to anything outside its block of ``r`` rings."""
    span = math.radians(r * CELL_DEG)
    along_meridian = EARTH_RADIUS_KM * span
    widest = math.radians(min(90.0, abs(lat) + (r + 1) * CELL_DEG))
    across = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.cos(widest) * math.sin(span / 2)))
    return min(along_meridian, across)
