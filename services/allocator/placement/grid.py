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


def _gap(offset: int, inside: float) -> float:
    """Degrees from a position ``inside`` degrees into its cell to the near edge of the cell
    ``offset`` cells away (0 for its own cell)."""
    if offset > 0:
        return offset * CELL_DEG - inside
    if offset < 0:
        return inside + (-offset - 1) * CELL_DEG
    return 0.0


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

    Rings of cells around the position are opened one at a time. Their cells wait in a heap
    keyed by the flat-earth distance to the cell divided by ``SLACK`` (a lower bound of the
    great-circle distance to any point in it, at these scales); when a cell's bound comes up,
    its points get their great-circle distance. A point is final once its distance is below
    everything left: the next cell's bound and the bound on anything outside the opened rings.
    Queries from one position (an alert's households, a batch's steps) share the points found.
    """

    def __init__(self, grid: "Grid", lat: float, lon: float, max_km: float) -> None:
        self.grid, self.lat, self.lon, self.max_km = grid, lat, lon, max_km
        self.rings = 0
        """Rings opened (the next one to open)."""
        self.bound = 0.0
        """A lower bound of the distance to any point outside the opened rings."""
        self.cells: list[tuple[float, Cell]] = []
        """Opened cells whose points have no distance yet, by a lower bound of it."""
        self.exact: list[tuple[float, str]] = []
        self.found: list[tuple[float, str]] = []
        """Final, nearest first."""
        self.weights: list[int] = []
        """The weight of each point found (0 in an unweighted grid, where ``need`` is ignored)."""

    def nearest(
        self, k: int, accept: Callable[[str], bool], need: int = 0
    ) -> list[tuple[float, str]]:
        """What :meth:`Grid.nearest` answers, from the points found so far and more if needed."""
        if self.grid.weights is None:
            need = 0  # an unweighted grid weighs nothing: every point is heavy enough
        elif (self.grid.top or 0) < need:
            return []
        found, weights, i = self.found, self.weights, 0
        out: list[tuple[float, str]] = []
        while len(out) < k:
            if i == len(found) and not self._advance():
                break
            if weights[i] >= need and accept(found[i][1]):
                out.append(found[i])
            i += 1
        return out

    def _advance(self) -> bool:
        """Make one more point final; False when none is left within ``max_km``."""
        cells, exact = self.cells, self.exact
        while True:
            top = exact[0][0] if exact else math.inf
            low = cells[0][0] if cells else math.inf
            if top < low and top < self.bound:
                if top > self.max_km:
                    return False
                item = heapq.heappop(exact)
                self.found.append(item)
                weights = self.grid.weights
                self.weights.append(0 if weights is None else weights[item[1]])
                return True
            if min(top, low, self.bound) > self.max_km:
                return False
            if low <= self.bound:
                self._measure(self.grid.cells[heapq.heappop(cells)[1]])
            else:
                self._open()

    def _open(self) -> None:
        """Open the next ring; near the poles, beyond ``MAX_RINGS`` rings, or when a ring has
        more cells than a fraction of all points, take every cell outside the opened rings."""
        r, lat = self.rings, self.lat
        row, col = cell_of(lat, self.lon)
        grid = self.grid
        if abs(lat) + (r + 1) * CELL_DEG > POLAR_DEG or r > MAX_RINGS:
            for cell in self._outside(row, col, r):
                self._measure(grid.cells[cell])
            self.bound = math.inf
        elif r > len(grid.points) / (8 * SCAN_RATIO):
            self._wait(self._outside(row, col, r))
            self.bound = math.inf
        else:
            self._ring(row, col, r)
            self.rings = r + 1
            self.bound = _outside_bound_km(lat, r)

    def _ring(self, row: int, col: int, r: int) -> None:
        """The cells of ring ``r`` wait, keyed like :meth:`_wait`'s, but from their row and
        column offsets (the position's place in its own cell is measured once)."""
        lat, lon, cells, heap = self.lat, self.lon, self.grid.cells, self.cells
        inside_lat = min(CELL_DEG, max(0.0, lat - (row * CELL_DEG - 90.0)))
        inside_lon = min(CELL_DEG, max(0.0, (lon - (col * CELL_DEG - 180.0)) % 360.0))
        squeeze = math.cos(math.radians(lat))
        span = range(-r, r + 1)
        across = [_gap(d, inside_lon) * squeeze for d in span]  # by column offset + r
        sides = (0, 2 * r) if r else (0,)
        for di in span:
            i = row + di
            if i < 0 or i >= ROWS:
                continue
            up = _gap(di, inside_lat)
            up *= up
            for k in range(2 * r + 1) if di in (-r, r) else sides:
                cell = (i, (col + k - r) % COLS)
                if cell in cells:
                    heapq.heappush(heap, (math.sqrt(up + across[k] ** 2) * KM_PER_SLACK, cell))

    def _outside(self, row: int, col: int, r: int) -> Iterator[Cell]:
        """Every cell with points outside the block of ``r`` rings around the cell."""
        for i, j in self.grid.cells:
            dcol = abs(j - col) % COLS
            if max(abs(i - row), min(dcol, COLS - dcol)) >= r:
                yield i, j

    def _wait(self, cells: Iterable[Cell]) -> None:
        """Cells waiting, keyed by their flat-earth distance / ``SLACK``."""
        lat, lon, heap = self.lat, self.lon, self.cells
        squeeze = math.cos(math.radians(lat))
        for cell in cells:
            i, j = cell
            south = i * CELL_DEG - 90.0
            dlat = max(0.0, south - lat, lat - (south + CELL_DEG))
            west = j * CELL_DEG - 180.0
            if (lon - west) % 360.0 <= CELL_DEG:
                dlon = 0.0
            else:
                dlon = min((west - lon) % 360.0, (lon - west - CELL_DEG) % 360.0) * squeeze
            heapq.heappush(heap, (math.sqrt(dlat * dlat + dlon * dlon) * KM_PER_SLACK, cell))

    def _measure(self, pids: Iterable[str]) -> None:
        """Points with their great-circle distance: :func:`haversine_km_coords` from this
        position, its terms of the position computed once (the same operations, so the same
        floats)."""
        lon, points, exact = self.lon, self.grid.points, self.exact
        phi1 = math.radians(self.lat)
        cos1 = math.cos(phi1)
        radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
        push = heapq.heappush
        for pid in pids:
            plat, plon = points[pid]
            phi2 = radians(plat)
            h = sin((phi2 - phi1) / 2) ** 2 + cos1 * cos(phi2) * sin(radians(plon - lon) / 2) ** 2
            push(exact, (TWO_R * asin(sqrt(min(1.0, h))), pid))
