"""A spatial grid index of shelters: k nearest accepted points within a distance.

Cells are 0.01° of latitude by 0.01° of longitude (about 1.1 km at the equator). A query is a
:class:`Walk` from its position, an incremental nearest-neighbour search: rings of cells are
opened one at a time, cells and then points are taken by a lower bound of their distance (the
flat-earth estimate less ``SLACK``), and a point is final once its great-circle distance is
below every bound left, including a proven lower bound for anything outside the opened rings.
Columns wrap at the antimeridian; near the poles, where cells shrink, a walk takes every point
at once. When a ring holds more cells than a fraction of all points (a sparse grid, or a walk
reaching far), it takes the remaining points directly instead of walking empty cells.

A grid may carry a weight per point (the allocator's places available per shelter) and keeps
the largest weight per cell: a query with ``need`` skips points and whole grids whose weight is
below it. Immutable: changes give a new grid sharing what did not change.
"""

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from services.geo import EARTH_RADIUS_KM, haversine_km_coords

CELL_DEG = 0.01
ROWS = round(180 / CELL_DEG)
COLS = round(360 / CELL_DEG)
MAX_RINGS = 150
"""Beyond this many rings a query scans all points (very large distances)."""
KM_PER_DEG = math.radians(1.0) * EARTH_RADIUS_KM
SLACK = 1.02
"""Margin of the flat-earth estimate used to skip far points (it errs < 1 % within 100 km)."""
KM_PER_SLACK = KM_PER_DEG / SLACK
POLAR_DEG = 84.0
"""Where cells get too narrow for rings: a query reaching this latitude scans all points."""
SCAN_RATIO = 4
"""A query scans the remaining points once a ring has more than ``points / SCAN_RATIO`` cells."""

Cell = tuple[int, int]
NO_CELL: Cell = (-1, -1)
"""In the heap of waiting bounds, a point's entry (a cell's has no point id)."""


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

    @cached_property
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
        weighted grid, only points weighing at least ``need``. Many queries from one position
        share a :class:`Walk` instead."""
        return Walk(self, lat, lon, max_km).nearest(k, accept, need)


class Walk:
    """The points of a grid by increasing great-circle distance from one position (ties by id),
    within ``max_km``, found only as far as asked: an incremental nearest-neighbour search.

    Rings of cells around the position are opened one at a time. Their points wait in a heap
    keyed by the flat-earth estimate divided by ``SLACK`` (a lower bound of the great-circle
    distance at these scales), and get their great-circle distance only when that bound comes
    up. A point is final once its distance is below everything left: the next waiting bound and
    the bound on anything outside the opened rings. Queries from one position (the households
    of one alert, the steps of one batch) share the points already found.
    """

    __slots__ = ("bound", "exact", "found", "grid", "lat", "lon", "max_km", "rings", "rough")

    def __init__(self, grid: "Grid", lat: float, lon: float, max_km: float) -> None:
        self.grid, self.lat, self.lon, self.max_km = grid, lat, lon, max_km
        self.rings = 0
        """Rings opened (the next one to open)."""
        self.bound = 0.0
        """A lower bound of the distance to any point outside the opened rings."""
        self.rough: list[tuple[float, Cell, str]] = []
        self.exact: list[tuple[float, str]] = []
        self.found: list[tuple[float, str]] = []
        """Final, nearest first."""

    def nearest(
        self, k: int, accept: Callable[[str], bool], need: int = 0
    ) -> list[tuple[float, str]]:
        """What :meth:`Grid.nearest` answers, from the points found so far and more if needed."""
        weights = self.grid.weights if need > 0 else None
        if weights is not None and (self.grid.top or 0) < need:
            return []
        found, i = self.found, 0
        out: list[tuple[float, str]] = []
        while len(out) < k:
            if i == len(found) and not self._advance():
                break
            item = found[i]
            i += 1
            if weights is not None and weights[item[1]] < need:
                continue
            if accept(item[1]):
                out.append(item)
        return out

    def _advance(self) -> bool:
        """Make one more point final; False when none is left within ``max_km``."""
        rough, exact = self.rough, self.exact
        while True:
            top = exact[0][0] if exact else math.inf
            low = rough[0][0] if rough else math.inf
            if min(top, low, self.bound) > self.max_km:
                return False
            if top < low and top < self.bound:
                self.found.append(heapq.heappop(exact))
                return True
            if low <= self.bound:
                _, cell, pid = heapq.heappop(rough)
                if pid:
                    plat, plon = self.grid.points[pid]
                    d = haversine_km_coords(self.lat, self.lon, plat, plon)
                    heapq.heappush(exact, (d, pid))
                else:
                    self._estimate(self.grid.cells[cell])
            else:
                self._open()

    def _open(self) -> None:
        """Open the next ring; near the poles, beyond ``MAX_RINGS`` rings, or when a ring has
        more cells than a fraction of all points, take every point outside the opened rings."""
        r, lat, lon = self.rings, self.lat, self.lon
        row, col = cell_of(lat, lon)
        grid = self.grid
        if abs(lat) + (r + 1) * CELL_DEG > POLAR_DEG or r > MAX_RINGS:
            for pid in self._outside(row, col, r):
                plat, plon = grid.points[pid]
                heapq.heappush(self.exact, (haversine_km_coords(lat, lon, plat, plon), pid))
            self.bound = math.inf
            return
        if r > len(grid.points) / (8 * SCAN_RATIO):
            self._estimate(self._outside(row, col, r))
            self.bound = math.inf
            return
        cells, rough = grid.cells, self.rough
        squeeze = math.cos(math.radians(lat))
        for cell in _ring(row, col, r):
            if cell in cells:
                i, j = cell
                dlat = max(0.0, (i * CELL_DEG - 90.0) - lat, lat - ((i + 1) * CELL_DEG - 90.0))
                west = j * CELL_DEG - 180.0
                if (lon - west) % 360.0 <= CELL_DEG:
                    dlon = 0.0
                else:
                    dlon = min((west - lon) % 360.0, (lon - west - CELL_DEG) % 360.0) * squeeze
                low = math.sqrt(dlat * dlat + dlon * dlon) * KM_PER_SLACK
                heapq.heappush(rough, (low, cell, ""))
        self.rings = r + 1
        self.bound = _outside_bound_km(lat, r)

    def _outside(self, row: int, col: int, r: int) -> Iterator[str]:
        """Every point outside the block of ``r`` rings around the cell."""
        for (i, j), ids in self.grid.cells.items():
            dcol = abs(j - col) % COLS
            if max(abs(i - row), min(dcol, COLS - dcol)) >= r:
                yield from ids

    def _estimate(self, pids: Iterable[str]) -> None:
        """Points waiting, keyed by a lower bound of their distance (flat-earth / ``SLACK``)."""
        lat, lon, points, rough = self.lat, self.lon, self.grid.points, self.rough
        squeeze = math.cos(math.radians(lat))
        for pid in pids:
            plat, plon = points[pid]
            dlon = abs(plon - lon)
            dlon = (360.0 - dlon if dlon > 180.0 else dlon) * squeeze
            low = math.sqrt((plat - lat) ** 2 + dlon * dlon) * KM_PER_SLACK
            heapq.heappush(rough, (low, NO_CELL, pid))
