"""The core's decision cost per household with many shelters in one region. A measurement.

Shelters are scattered around the real Haiti DTM sites; households arrive in alerts of up to
five around them; one tick seals the batch, or (the streaming case) a tick after every 20
alerts. Times are ``time.perf_counter`` around ``step``.
"""

import gc
import time
from datetime import timedelta
from typing import Any

import numpy as np

from schemas.ingress import Household, PersonsCapacity, ShelterCapacityReport, TransportAvailability
from schemas.sequenced import SequencedEvent
from schemas.types import GeoPoint, VehicleKind
from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decide import step
from services.allocator.domain.state import RegionState
from services.audit.replay import EPOCH, alert, replay, sequenced, tick
from services.bench.scenarios import families, load_sites
from services.gcpolicy import GcPolicy

REGION = "HT01"
SHELTER_SPREAD_DEG = 0.08
STREAM_ALERTS_PER_TICK = 20
"""Alerts between two ticks in the streaming case (about a second's worth under load)."""


def _events(
    shelters: int, households: int, vehicles: int, seed: int
) -> tuple[list[SequencedEvent], list[SequencedEvent]]:
    sites = load_sites(seed)
    rng = np.random.default_rng(seed + 7)
    setup: list[SequencedEvent] = []
    for n in range(shelters):
        site = sites[n % len(sites)]
        lat = site.lat + float(rng.normal(0, SHELTER_SPREAD_DEG))
        lon = site.lon + float(rng.normal(0, SHELTER_SPREAD_DEG))
        setup.append(
            sequenced(
                f"rep-{n}",
                REGION,
                EPOCH,
                ShelterCapacityReport(
                    shelter_id=f"sh-{n:05d}",
                    location=GeoPoint(lat=lat, lon=lon),
                    capacity=PersonsCapacity(persons=int(rng.integers(0, 12))),
                    occupancy=0,
                    services=site.services,
                    reported_at=EPOCH,
                ),
            )
        )
    for n in range(vehicles):
        site = sites[int(rng.integers(0, len(sites)))]
        setup.append(
            sequenced(
                f"veh-{n}",
                REGION,
                EPOCH,
                TransportAvailability(
                    vehicle_id=f"v-{n:03d}",
                    kind=VehicleKind.MINIBUS,
                    seats=14,
                    accessible_places=2,
                    location=GeoPoint(lat=site.lat, lon=site.lon),
                    available=True,
                    reported_at=EPOCH,
                ),
            )
        )
    batch: list[SequencedEvent] = []
    drawn = families(sites, households, seed + 1)
    for start in range(0, len(drawn), 5):
        group = drawn[start : start + 5]
        at = EPOCH + timedelta(seconds=start + 1)
        members = [
            Household(size=f.size, children=0, elderly=f.elderly, needs=f.needs) for f in group
        ]
        origin = GeoPoint(lat=group[0].lat, lon=group[0].lon)
        batch.append(sequenced(f"alert-{start}", REGION, at, alert(origin, members, at)))
    return setup, batch


def bench_decision_cost(
    shelters: int = 10_000,
    households: int = 2_000,
    seed: int = 0,
    vehicles: int = 200,
    alerts_per_tick: int = STREAM_ALERTS_PER_TICK,
) -> dict[str, Any]:
    """µs per household to decide: alerts folded in plus the sealing tick, with ``shelters``
    shelters (capacities 0–11 persons, so many are full or too small) in one region.

    Twice from the same state: every alert in one micro-batch sealed by one tick (``tick_…``,
    ``us_per_household``), and as a stream with a tick after every ``alerts_per_tick`` alerts
    (``stream_us_per_household``, alerts and ticks together), as production seals what arrived
    in the last second. The top-level figures run under the allocator worker's garbage
    collection policy (services/gcpolicy.py, installed before the state is built, as the worker
    installs it when it starts); ``default_gc`` holds the same figures under CPython's defaults,
    measured first in the same process. ``gc_refresh_s``: one refresh of the policy with the
    state alive (what the worker pays every ``REFRESH_S``)."""
    setup, batch = _events(shelters, households, vehicles, seed)
    default = _measure(setup, batch, households, alerts_per_tick, None)
    policy = GcPolicy()
    try:
        figures = _measure(setup, batch, households, alerts_per_tick, policy)
    finally:
        policy.uninstall()
    return {"shelters": shelters, "households": households, "vehicles": vehicles, **figures,
            "default_gc": default}  # fmt: skip


class _Pauses:
    """Full collections and the seconds spent in them while counting (a gc callback)."""

    def __init__(self) -> None:
        self.full, self.seconds, self._at = 0, 0.0, 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._at = time.perf_counter()
        else:
            self.full += 1
            self.seconds += time.perf_counter() - self._at

    def close(self) -> None:
        gc.callbacks.remove(self._on_gc)


def _measure(
    setup: list[SequencedEvent],
    batch: list[SequencedEvent],
    households: int,
    per_tick: int,
    policy: GcPolicy | None,
) -> dict[str, Any]:
    """One measurement from a fresh replay of ``setup``; ``policy``: installed before it."""
    gc.collect()  # what an earlier measurement left
    if policy is not None:
        policy.install()
    config = AllocatorConfig()
    started = time.perf_counter()
    ready, _ = replay(setup, config, region=REGION)
    setup_s = time.perf_counter() - started
    pauses = _Pauses()
    try:
        started = time.perf_counter()
        state = ready
        for event in batch:
            state, _ = step(state, event, config)
        alerts_s = time.perf_counter() - started
        started = time.perf_counter()
        state, decisions = step(state, tick(REGION, EPOCH + timedelta(hours=1), 1), config)
        tick_s = time.perf_counter() - started
        one = (pauses.full, pauses.seconds)
        del state
        stream_s, stream_placed = _stream(ready, batch, config, per_tick)
        stream = (pauses.full - one[0], pauses.seconds - one[1])
    finally:
        pauses.close()
    figures = {
        "placed": sum(len(d.placements) for d in decisions),
        "waitlisted": sum(len(d.waitlisted) for d in decisions),
        "setup_s": round(setup_s, 3),
        "alerts_us_per_household": round(1e6 * alerts_s / households, 1),
        "tick_us_per_household": round(1e6 * tick_s / households, 1),
        "us_per_household": round(1e6 * (alerts_s + tick_s) / households, 1),
        "full_collections": one[0],
        "full_collections_us_per_household": round(1e6 * one[1] / households, 1),
        "stream_alerts_per_tick": per_tick,
        "stream_placed": stream_placed,
        "stream_us_per_household": round(1e6 * stream_s / households, 1),
        "stream_full_collections": stream[0],
        "stream_full_collections_us_per_household": round(1e6 * stream[1] / households, 1),
    }
    if policy is not None:
        figures["gc_refresh_s"] = round(policy.refresh().seconds, 3)
        figures["gc_frozen"] = gc.get_freeze_count()
    return figures


def _stream(
    state: RegionState, batch: list[SequencedEvent], config: AllocatorConfig, per_tick: int
) -> tuple[float, int]:
    """Seconds to decide ``batch`` with a tick after every ``per_tick`` alerts (at the last
    one's time), and the households holding a place at the end."""
    ticks = 0
    started = time.perf_counter()
    for n, event in enumerate(batch, 1):
        state, _ = step(state, event, config)
        if n % per_tick == 0 or n == len(batch):
            ticks += 1
            state, _ = step(state, tick(REGION, event.sequenced_at, ticks), config)
    return time.perf_counter() - started, len(state.reservations)
