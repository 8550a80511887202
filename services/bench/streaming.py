"""Placement quality as alerts stream in: the scenario replayed with a tick after every 1, 20 and
200 alerts (a tick seals whatever arrived since the last one), next to nearest-first in arrival
order and the LP relaxation bound of the whole scenario (no MIP here: it does not depend on the
ticks and :mod:`services.bench.quality` already reports it).

``print(format_stream(stream_compare()))``, or ``python -m services.bench.streaming``. A
measurement, not a test.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from services.allocator.domain.config import AllocatorConfig
from services.bench.quality import RATIOS, _distances, _feasible, _mean, lp_bound, naive
from services.bench.replayed import corridor
from services.bench.scenarios import scenario

STREAM_RATIOS = tuple(sorted({*RATIOS, 0.6, 0.85, 1.2, 2.0}))
PER_TICK = (1, 20, 200)
"""Alerts sealed by each tick."""


def _pct(value: float, reference: float) -> float:
    return round(100 * (value / reference - 1), 2) if reference else 0.0


def stream_compare(
    ratios: Iterable[float] = STREAM_RATIOS,
    per_tick: Iterable[int] = PER_TICK,
    households: int = 1500,
    seed: int = 0,
    config: AllocatorConfig | None = None,
) -> list[dict[str, Any]]:
    """One row per capacity ratio and tick size: people placed and mean km, each way."""
    config = config or AllocatorConfig()
    sizes = tuple(per_tick)
    rows = []
    for ratio in ratios:
        s = scenario(ratio, households, seed)
        km = _distances(s)
        ok = _feasible(s, km, config.max_distance_km)
        n_people, n_km = naive(s, km, ok)
        lp_people, lp_km = lp_bound(s, km, ok)
        n_mean, lp_mean = _mean(n_km, n_people), _mean(lp_km, lp_people)
        for size in sizes:
            c_people, c_km = corridor(s, config, size)
            c_mean = _mean(c_km, c_people)
            rows.append(
                {
                    "ratio": ratio,
                    "per_tick": size,
                    "placed_corridor": c_people,
                    "placed_naive": n_people,
                    "placed_lp": round(lp_people, 1),
                    "placed_gain": c_people - n_people,
                    "km_corridor": round(c_mean, 3),
                    "km_naive": round(n_mean, 3),
                    "km_lp": round(lp_mean, 3),
                    "km_vs_naive_pct": _pct(c_mean, n_mean),
                    "km_vs_lp_pct": _pct(c_mean, lp_mean),
                }
            )
    return rows


def shortfalls(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The rows that miss issue 10's streaming targets, each with the target it misses."""
    misses = []
    for r in rows:
        where = f"ratio {r['ratio']}, {r['per_tick']} alerts/tick"
        if r["placed_corridor"] < r["placed_naive"]:
            misses.append(f"{where}: placed {r['placed_corridor']} < nearest-first's")
        allowed = 2.0 if r["per_tick"] == 1 else 0.0
        if r["km_vs_naive_pct"] > allowed:
            misses.append(f"{where}: mean km {r['km_vs_naive_pct']:+} % vs nearest-first")
        if r["ratio"] >= 1.5 and r["per_tick"] == 20 and r["km_vs_lp_pct"] > 8.0:
            misses.append(f"{where}: mean km {r['km_vs_lp_pct']:+} % vs the LP bound")
    return misses


COLUMNS = (
    ("ratio", "ratio"),
    ("per_tick", "alerts/tick"),
    ("placed_corridor", "placed C"),
    ("placed_naive", "placed N"),
    ("placed_lp", "placed LP"),
    ("placed_gain", "C - N"),
    ("km_corridor", "km/p C"),
    ("km_naive", "km/p N"),
    ("km_lp", "km/p LP"),
    ("km_vs_naive_pct", "C vs N km %"),
    ("km_vs_lp_pct", "C vs LP km %"),
)


def format_stream(rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table (C = Corridor, N = nearest-first in arrival order, LP = the
    relaxation bound of the whole scenario), then the targets missed, if any."""
    cells = [[label for _, label in COLUMNS]]
    cells += [[str(row[key]) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    misses = shortfalls(rows)
    lines.append("streaming targets: " + ("all met" if not misses else f"{len(misses)} missed"))
    lines += [f"  missed: {m}" for m in misses]
    return "\n".join(lines)


if __name__ == "__main__":
    import time

    from services.bench.quality import compare, format_table

    started = time.perf_counter()
    print("one batch (every alert sealed by one tick):")
    print(format_table(compare()))
    print("streaming (a tick after every 1, 20, 200 alerts):")
    print(format_stream(stream_compare()))
    print(f"(quality bench took {time.perf_counter() - started:.0f} s)")
