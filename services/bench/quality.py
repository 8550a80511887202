"""How good are Corridor's placements? Compared, on real IOM Haiti sites, with the naive
nearest-first greedy in arrival order and with the LP relaxation bound (HiGHS): most people
placed first, then least person-kilometres among those placements. The LP splits households;
the integral reference (HiGHS MIP, with a time limit) keeps them whole and maximises the people
placed: what remains between it and the LP is the price of family unity, what remains between
Corridor and it is Corridor's own (Corridor also honours the priority rule, the MIP does not).

``rows = compare()`` then ``print(format_table(rows))``. A measurement, not a test.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    linprog,
    milp,
)
from scipy.sparse import csr_array, vstack

from schemas.types import NEED_SERVICE
from services.allocator.domain.config import AllocatorConfig
from services.bench.decision_cost import bench_decision_cost
from services.bench.replayed import corridor
from services.bench.scenarios import Scenario, scenario
from services.geo import EARTH_RADIUS_KM

RATIOS = (0.5, 0.8, 1.0, 1.5, 3.0)
MIP_SECONDS = 60.0
"""Time limit of the integral reference per ratio (it proves optimality in seconds here)."""
__all__ = ["RATIOS", "bench_decision_cost", "compare", "corridor", "format_table"]


def _distances(s: Scenario) -> np.ndarray:
    """Great-circle km from each family (rows) to each shelter (columns)."""
    lat1 = np.radians([f.lat for f in s.families])[:, None]
    lon1 = np.radians([f.lon for f in s.families])[:, None]
    lat2 = np.radians([site.lat for site, _ in s.shelters])[None, :]
    lon2 = np.radians([site.lon for site, _ in s.shelters])[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def _feasible(s: Scenario, km: np.ndarray, max_km: float) -> np.ndarray:
    ok = km <= max_km
    for i, f in enumerate(s.families):
        required = {NEED_SERVICE[n] for n in f.needs}
        if required:
            ok[i] &= [required <= site.services for site, _ in s.shelters]
    return ok


def naive(s: Scenario, km: np.ndarray, ok: np.ndarray) -> tuple[int, float]:
    """Nearest feasible shelter with room, household by household in arrival order."""
    room = np.array([cap for _, cap in s.shelters], dtype=float)
    people, person_km = 0, 0.0
    for i, f in enumerate(s.families):
        fits = ok[i] & (room >= f.size)
        if fits.any():
            j = int(np.argmin(np.where(fits, km[i], np.inf)))
            room[j] -= f.size
            people += f.size
            person_km += f.size * float(km[i, j])
    return people, person_km


def lp_bound(s: Scenario, km: np.ndarray, ok: np.ndarray) -> tuple[float, float]:
    """The LP relaxation: max people placed, then min person-km at that many people."""
    rows, cols = np.nonzero(ok)
    sizes = np.array([f.size for f in s.families], dtype=float)[rows]
    n, m, v = len(s.families), len(s.shelters), len(rows)
    index = np.arange(v)
    once = csr_array((np.ones(v), (rows, index)), shape=(n, v))
    room = csr_array((sizes, (cols, index)), shape=(m, v))

    a_ub = vstack([once, room]).tocsr()
    b_ub = np.concatenate([np.ones(n), [cap for _, cap in s.shelters]])
    most = linprog(-sizes, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    people = -float(most.fun)
    cost = sizes * km[rows, cols]
    floor = csr_array(-sizes[None, :])
    least = linprog(
        cost,
        A_ub=vstack([a_ub, floor]).tocsr(),
        b_ub=np.concatenate([b_ub, [-(people - 1e-6 * max(1.0, people))]]),
        bounds=(0, 1),
        method="highs",
    )
    return people, float(least.fun)


def integral_bound(
    s: Scenario, ok: np.ndarray, time_limit: float = MIP_SECONDS
) -> tuple[float, float, float]:
    """Most people placed with households whole (HiGHS MIP): (people, MIP gap, dual bound).

    Households of the same size that may use the same shelters are interchangeable for this
    objective, so one integer variable counts how many of such a class go to a shelter (an exact
    aggregation: any solution splits back into whole households). ``people`` is the best
    placement found within ``time_limit`` (0 if none), ``dual bound`` a proven upper bound.
    """
    capacity = np.array([cap for _, cap in s.shelters], dtype=float)
    sizes = np.array([f.size for f in s.families])
    usable = ok & (capacity[None, :] >= sizes[:, None])
    classes: dict[tuple[int, bytes], int] = {}
    first: list[int] = []
    for i, size in enumerate(sizes):
        key = (int(size), usable[i].tobytes())
        if key not in classes:
            classes[key] = 0
            first.append(i)
        classes[key] += 1
    count = np.array(list(classes.values()), dtype=float)
    rows, cols = np.nonzero(usable[first])
    size = sizes[first][rows].astype(float)
    v = len(rows)
    if v == 0:
        return 0.0, 0.0, 0.0
    index = np.arange(v)
    a = vstack(
        [
            csr_array((np.ones(v), (rows, index)), shape=(len(count), v)),
            csr_array((size, (cols, index)), shape=(len(capacity), v)),
        ]
    ).tocsr()
    result = milp(
        -size,
        constraints=LinearConstraint(a, -np.inf, np.concatenate([count, capacity])),
        integrality=np.ones(v),
        bounds=Bounds(0, np.minimum(count[rows], np.floor(capacity[cols] / size))),
        options={"time_limit": time_limit},
    )
    people = 0.0 if result.x is None else -float(result.fun)
    bound = getattr(result, "mip_dual_bound", None)
    dual = float("inf") if bound is None or not np.isfinite(bound) else -float(bound)
    gap = (dual - people) / dual if dual and np.isfinite(dual) else 1.0 if dual else 0.0
    return people, max(0.0, gap), dual


def _mean(person_km: float, people: float) -> float:
    return person_km / people if people else 0.0


def compare(
    ratios: Iterable[float] = RATIOS,
    households: int = 1500,
    seed: int = 0,
    config: AllocatorConfig | None = None,
    mip_seconds: float = MIP_SECONDS,
) -> list[dict[str, Any]]:
    """One row per capacity ratio: people placed and mean km per placed person, each way."""
    config = config or AllocatorConfig()
    rows = []
    for ratio in ratios:
        s = scenario(ratio, households, seed)
        km = _distances(s)
        ok = _feasible(s, km, config.max_distance_km)
        c_people, c_km = corridor(s, config)
        n_people, n_km = naive(s, km, ok)
        lp_people, lp_km = lp_bound(s, km, ok)
        mip_people, mip_gap, _ = integral_bound(s, ok, mip_seconds)
        c_mean, n_mean, lp_mean = (
            _mean(c_km, c_people),
            _mean(n_km, n_people),
            _mean(lp_km, lp_people),
        )
        rows.append(
            {
                "ratio": ratio,
                "households": households,
                "demand": s.persons,
                "capacity": s.capacity,
                "placed_corridor": c_people,
                "placed_naive": n_people,
                "placed_lp": round(lp_people, 1),
                "pct_lp_corridor": round(100 * c_people / lp_people, 2) if lp_people else 100.0,
                "pct_lp_naive": round(100 * n_people / lp_people, 2) if lp_people else 100.0,
                "placed_mip": round(mip_people),
                "mip_gap_pct": round(100 * mip_gap, 2),
                "pct_mip_corridor": (
                    round(100 * c_people / mip_people, 2) if mip_people else 100.0
                ),
                "km_corridor": round(c_mean, 3),
                "km_naive": round(n_mean, 3),
                "km_lp": round(lp_mean, 3),
                "gap_corridor_pct": round(100 * (c_mean / lp_mean - 1), 2) if lp_mean else 0.0,
                "gap_naive_pct": round(100 * (n_mean / lp_mean - 1), 2) if lp_mean else 0.0,
            }
        )
    return rows


COLUMNS = (
    ("ratio", "ratio"),
    ("demand", "people"),
    ("capacity", "places"),
    ("placed_corridor", "placed C"),
    ("placed_naive", "placed N"),
    ("placed_lp", "placed LP"),
    ("pct_lp_corridor", "C % LP"),
    ("pct_lp_naive", "N % LP"),
    ("placed_mip", "placed MIP"),
    ("mip_gap_pct", "MIP gap %"),
    ("pct_mip_corridor", "C % MIP"),
    ("km_corridor", "km/p C"),
    ("km_naive", "km/p N"),
    ("km_lp", "km/p LP"),
    ("gap_corridor_pct", "C gap %"),
    ("gap_naive_pct", "N gap %"),
)


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table (C = Corridor, N = naive nearest-first, LP = relaxation bound,
    MIP = best whole-household placement found, with its gap to its own proven bound)."""
    cells = [[label for _, label in COLUMNS]]
    cells += [[str(row[key]) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells)
