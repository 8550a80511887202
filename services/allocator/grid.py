"""A spatial grid index of shelters: k nearest accepted points within a distance, by rings.

Cells are 0.1° of latitude by 0.1° of longitude (about 11 km at the equator); a query visits
rings of cells around the point until the k-th nearest accepted point is closer than anything
outside the visited block could be (a proven lower bound on the great-circle distance), or
until that bound exceeds the maximum distance. Columns wrap at the antimeridian; near the
poles, where cells shrink, a query falls back to scanning every point. Immutable: changes give
a new grid sharing what did not change.
"""

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from services.geo import EARTH_RADIUS_KM, haversine_km_coords

CELL_DEG = 0.025
ROWS = round(180 / CELL_DEG)
COLS = round(360 / CELL_DEG)
MAX_RINGS = 60
"""Beyond this many rings a query scans all points (very large distances)."""
KM_PER_DEG = math.radians(1.0) * EARTH_RADIUS_KM
SLACK = 1.02
"""Margin of the flat-earth estimate used to skip far points (it errs < 1 % within 100 km)."""
POLAR_DEG = 84.0
"""Where cells get too narrow for rings: a query reaching this latitude scans all points."""

Cell = tuple[int, int]


def cell_of(lat: float, lon: float) -> Cell:
    row = min(int((lat + 90.0) / CELL_DEG), ROWS - 1)
    col = int((lon + 180.0) / CELL_DEG) % COLS
    return row, col


def _ring(row: int, col: int, r: int) -> Iterator[Cell]:
    if r == 0:
        yield row, col
        return
    for i in range(max(0, row - r), min(ROWS, row + r + 1)):
        if i in (row - r, row + r):
            for j in range(col - r, col + r + 1):
                yield i, j % COLS
        else:
            yield i, (col - r) % COLS
            yield i, (col + r) % COLS


def _outside_bound_km(lat: float, r: int) -> float:
    """A lower bound of the distance from a point to anything outside its block of ``r`` rings."""
    span = math.radians(r * CELL_DEG)
    along_meridian = EARTH_RADIUS_KM * span
    widest = math.radians(min(90.0, abs(lat) + (r + 1) * CELL_DEG))
    across = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.cos(widest) * math.sin(span / 2)))
    return min(along_meridian, across)


@dataclass(frozen=True)
class Grid:
    points: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    cells: Mapping[Cell, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, points: Iterable[tuple[str, float, float]]) -> "Grid":
        return cls().changed(removed=(), added=points)

    def changed(self, removed: Iterable[str], added: Iterable[tuple[str, float, float]]) -> "Grid":
        points = dict(self.points)
        touched: dict[Cell, set[str]] = {}

        def members(cell: Cell) -> set[str]:
            if cell not in touched:
                touched[cell] = set(self.cells.get(cell, ()))
            return touched[cell]

        for pid in removed:
            old = points.pop(pid, None)
            if old is not None:
                members(cell_of(*old)).discard(pid)
        for pid, lat, lon in added:
            old = points.pop(pid, None)
            if old is not None:
                members(cell_of(*old)).discard(pid)
            points[pid] = (lat, lon)
            members(cell_of(lat, lon)).add(pid)
        if not touched:
            return self
        cells = dict(self.cells)
        for cell, ids in touched.items():
            if ids:
                cells[cell] = tuple(sorted(ids))
            else:
                cells.pop(cell, None)
        return Grid(points, cells)

    def nearest(
        self, lat: float, lon: float, max_km: float, k: int, accept: Callable[[str], bool]
    ) -> list[tuple[float, str]]:
        """Up to ``k`` accepted points within ``max_km``, nearest first (ties by id).

        A flat-earth estimate (within ``SLACK`` of the great-circle distance at these scales)
        skips points that cannot be among the k nearest before ``accept`` is asked about them.
        """
        row, col = cell_of(lat, lon)
        found: list[tuple[float, str]] = []
        cells, points = self.cells, self.points
        squeeze = math.cos(math.radians(lat))
        limit = max_km * SLACK / KM_PER_DEG  # in degrees of latitude, squared below
        limit2 = limit * limit
        for r in range(MAX_RINGS + 1):
            if abs(lat) + (r + 1) * CELL_DEG > POLAR_DEG:
                return self._scan(lat, lon, max_km, k, accept)
            for cell in _ring(row, col, r):
                for pid in cells.get(cell, ()):
                    plat, plon = points[pid]
                    dlon = abs(plon - lon)
                    dlon = (360.0 - dlon if dlon > 180.0 else dlon) * squeeze
                    if (plat - lat) ** 2 + dlon * dlon > limit2 or not accept(pid):
                        continue
                    d = haversine_km_coords(lat, lon, plat, plon)
                    if d <= max_km:
                        found.append((d, pid))
                if len(found) >= 2 * k:
                    found.sort()
                    del found[k:]
                    limit2 = (found[-1][0] * SLACK / KM_PER_DEG) ** 2
            bound = _outside_bound_km(lat, r)
            if bound > max_km:
                break
            if len(found) >= k:
                found.sort()
                del found[k:]
                limit2 = (found[-1][0] * SLACK / KM_PER_DEG) ** 2
                if found[-1][0] <= bound:
                    break
        else:
            return self._scan(lat, lon, max_km, k, accept)
        found.sort()
        return found[:k]

    def _scan(
        self, lat: float, lon: float, max_km: float, k: int, accept: Callable[[str], bool]
    ) -> list[tuple[float, str]]:
        found = []
        for pid in sorted(self.points):
            if accept(pid):
                d = haversine_km_coords(lat, lon, *self.points[pid])
                if d <= max_km:
                    found.append((d, pid))
        found.sort()
        return found[:k]
