"""A spatial grid index of shelters: k nearest accepted points within a distance, by rings.

Cells are 0.1° of latitude by 0.1° of longitude (about 11 km at the equator); a query visits
rings of cells around the point until the k-th nearest accepted point is closer than anything
outside the visited block could be (a proven lower bound on the great-circle distance), or
until that bound exceeds the maximum distance. Columns wrap at the antimeridian; near the
poles, where cells shrink, a query falls back to scanning every point. When a ring holds more
cells than a fraction of all points (a sparse grid, or a query reaching far), the query looks at
the remaining points directly instead of walking empty cells.

A grid may carry a weight per point (the allocator's places available per shelter) and keeps
the largest weight per cell: a query with ``need`` skips points, cells and whole grids whose
weight is below it. Immutable: changes give a new grid sharing what did not change.
"""

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

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
SCAN_RATIO = 4
"""A query scans the remaining points once a ring has more than ``points / SCAN_RATIO`` cells."""

Cell = tuple[int, int]


class _Query(NamedTuple):
    """A nearest-points query, handed whole from :meth:`Grid.nearest` to its fallbacks."""

    lat: float
    lon: float
    max_km: float
    k: int
    accept: Callable[[str], bool]
    need: int


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


def _keep_nearest(found: list[tuple[float, str]], k: int) -> float:
    """Cut ``found`` to its ``k`` nearest; the squared flat-earth limit they now set."""
    found.sort()
    del found[k:]
    return (found[-1][0] * SLACK / KM_PER_DEG) ** 2


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
    weights: Mapping[str, int] | None = None
    """Per point, when the grid is weighted (every point has one)."""
    cell_max: Mapping[Cell, int] = field(default_factory=dict)
    """The largest weight in each cell (weighted grids only)."""

    @classmethod
    def of(cls, points: Iterable[tuple[str, float, float]]) -> "Grid":
        return cls().changed(removed=(), added=points)

    @classmethod
    def weighted(cls, points: Iterable[tuple[str, float, float, int]]) -> "Grid":
        return cls(weights={}).reweighed(removed=(), added=points)

    @property
    def top(self) -> int | None:
        """The largest weight (None when unweighted; 0 when empty)."""
        if self.weights is None:
            return None
        return max(self.cell_max.values(), default=0)

    def changed(self, removed: Iterable[str], added: Iterable[tuple[str, float, float]]) -> "Grid":
        if self.weights is not None:
            raise ValueError("a weighted grid changes by reweighed()")
        return self._changed(removed, [(pid, lat, lon, 0) for pid, lat, lon in added])

    def reweighed(
        self, removed: Iterable[str], added: Iterable[tuple[str, float, float, int]]
    ) -> "Grid":
        """Points removed, then points added or moved with their new weights."""
        if self.weights is None:
            raise ValueError("an unweighted grid changes by changed()")
        return self._changed(removed, list(added))

    def _changed(
        self, removed: Iterable[str], added: list[tuple[str, float, float, int]]
    ) -> "Grid":
        points = dict(self.points)
        weights = None if self.weights is None else dict(self.weights)
        touched: dict[Cell, set[str]] = {}

        def members(cell: Cell) -> set[str]:
            if cell not in touched:
                touched[cell] = set(self.cells.get(cell, ()))
            return touched[cell]

        for pid in removed:
            old = points.pop(pid, None)
            if old is not None:
                members(cell_of(*old)).discard(pid)
                if weights is not None:
                    del weights[pid]
        for pid, lat, lon, weight in added:
            old = points.pop(pid, None)
            if old is not None:
                members(cell_of(*old)).discard(pid)
            points[pid] = (lat, lon)
            members(cell_of(lat, lon)).add(pid)
            if weights is not None:
                weights[pid] = weight
        if not touched:
            return self
        cells = dict(self.cells)
        cell_max = dict(self.cell_max)
        for cell, ids in touched.items():
            if ids:
                cells[cell] = tuple(sorted(ids))
                if weights is not None:
                    cell_max[cell] = max(weights[pid] for pid in ids)
            else:
                cells.pop(cell, None)
                cell_max.pop(cell, None)
        return Grid(points, cells, weights, cell_max)

    def nearest(
        self,
        lat: float,
        lon: float,
        max_km: float,
        k: int,
        accept: Callable[[str], bool],
        need: int = 0,
    ) -> list[tuple[float, str]]:
        """Up to ``k`` accepted points within ``max_km``, nearest first (ties by id); in a
        weighted grid, only points weighing at least ``need``.

        A flat-earth estimate (within ``SLACK`` of the great-circle distance at these scales)
        skips points that cannot be among the k nearest before ``accept`` is asked about them.
        """
        weights = self.weights if need > 0 else None
        cell_max = self.cell_max
        if weights is not None and (self.top or 0) < need:
            return []
        query = _Query(lat, lon, max_km, k, accept, need)
        row, col = cell_of(lat, lon)
        found: list[tuple[float, str]] = []
        cells, points = self.cells, self.points
        squeeze = math.cos(math.radians(lat))
        limit = max_km * SLACK / KM_PER_DEG  # in degrees of latitude, squared below
        limit2 = limit * limit
        sparse = len(points) / (8 * SCAN_RATIO)
        for r in range(MAX_RINGS + 1):
            if abs(lat) + (r + 1) * CELL_DEG > POLAR_DEG:
                return self._scan(query)
            if r > sparse:
                return self._rest(query, found, limit2, r)
            for cell in _ring(row, col, r):
                ids = cells.get(cell)
                if ids is None or (weights is not None and cell_max[cell] < need):
                    continue
                for pid in ids:
                    if weights is not None and weights[pid] < need:
                        continue
                    plat, plon = points[pid]
                    dlon = abs(plon - lon)
                    dlon = (360.0 - dlon if dlon > 180.0 else dlon) * squeeze
                    if (plat - lat) ** 2 + dlon * dlon > limit2 or not accept(pid):
                        continue
                    d = haversine_km_coords(lat, lon, plat, plon)
                    if d <= max_km:
                        found.append((d, pid))
                if len(found) >= 2 * k:
                    limit2 = _keep_nearest(found, k)
            bound = _outside_bound_km(lat, r)
            if bound > max_km:
                break
            if len(found) >= k:
                limit2 = _keep_nearest(found, k)
                if found[-1][0] <= bound:
                    break
        else:
            return self._scan(query)
        found.sort()
        return found[:k]

    def _rest(
        self, query: _Query, found: list[tuple[float, str]], limit2: float, r: int
    ) -> list[tuple[float, str]]:
        """``found`` in the first ``r`` rings, completed from every point outside them, taken
        by increasing flat-earth estimate until it exceeds the k-th distance found."""
        lat, lon, max_km, k, accept, need = query
        row, col = cell_of(lat, lon)
        weights = self.weights if need > 0 else None
        cell_max, points = self.cell_max, self.points
        squeeze = math.cos(math.radians(lat))
        candidates: list[tuple[float, str]] = []
        for cell, ids in self.cells.items():
            if weights is not None and cell_max[cell] < need:
                continue
            dcol = abs(cell[1] - col) % COLS
            if max(abs(cell[0] - row), min(dcol, COLS - dcol)) < r:
                continue
            for pid in ids:
                if weights is not None and weights[pid] < need:
                    continue
                plat, plon = points[pid]
                dlon = abs(plon - lon)
                dlon = (360.0 - dlon if dlon > 180.0 else dlon) * squeeze
                flat2 = (plat - lat) ** 2 + dlon * dlon
                if flat2 <= limit2:
                    candidates.append((flat2, pid))
        candidates.sort()
        kth = [-d for d, _ in found]  # a max-heap of the k smallest distances found
        heapq.heapify(kth)
        while len(kth) > k:
            heapq.heappop(kth)
        for flat2, pid in candidates:
            if len(kth) == k and flat2 > (-kth[0] * SLACK / KM_PER_DEG) ** 2:
                break
            if not accept(pid):
                continue
            d = haversine_km_coords(lat, lon, *points[pid])
            if d <= max_km:
                found.append((d, pid))
                if len(kth) < k:
                    heapq.heappush(kth, -d)
                elif d < -kth[0]:
                    heapq.heapreplace(kth, -d)
        found.sort()
        return found[:k]

    def _scan(self, query: _Query) -> list[tuple[float, str]]:
        """Every point, by great-circle distance (near the poles and for very large distances)."""
        lat, lon, max_km, k, accept, need = query
        weights = self.weights if need > 0 else None
        found = []
        for pid, (plat, plon) in self.points.items():
            if weights is not None and weights[pid] < need:
                continue
            if accept(pid):
                d = haversine_km_coords(lat, lon, plat, plon)
                if d <= max_km:
                    found.append((d, pid))
        found.sort()
        return found[:k]
