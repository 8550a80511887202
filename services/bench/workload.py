"""A deterministic multi-region stream of region events, as intake would append them.

Used by the integration tests, `corridor bench allocator` and the demo: shelters and vehicles
first, then alerts with a tick after every few, feedback on some earlier placements.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from schemas.ingress import (
    DisplacementAlert,
    Household,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.sequenced import SequencedEvent
from schemas.types import GeoPoint, Need, Service, VehicleKind
from services.audit.replay import alert, sequenced, tick
from services.publish import encode, partner_event

START = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
# Department capitals (a scenario needs plausible places, not the registry's seeds).
CENTRES = {
    "HT01": GeoPoint(lat=18.5392, lon=-72.3364),
    "HT02": GeoPoint(lat=18.2341, lon=-72.5347),
    "HT03": GeoPoint(lat=19.7579, lon=-72.2041),
    "HT04": GeoPoint(lat=19.6656, lon=-71.8387),
    "HT05": GeoPoint(lat=19.4475, lon=-72.6889),
    "HT06": GeoPoint(lat=19.1500, lon=-72.0167),
    "HT07": GeoPoint(lat=18.1933, lon=-73.7461),
    "HT08": GeoPoint(lat=18.6500, lon=-74.1167),
    "HT09": GeoPoint(lat=19.9394, lon=-72.8306),
    "HT10": GeoPoint(lat=18.4461, lon=-73.0897),
}


@dataclass(frozen=True)
class Workload:
    regions: tuple[str, ...] = ("HT01", "HT02", "HT03")
    shelters: int = 10
    vehicles: int = 4
    alerts: int = 30
    alerts_per_tick: int = 3
    seed: int = 7

    def events(self) -> list[SequencedEvent]:
        """All regions' events, interleaved by time (each region's order is its log order)."""
        merged = [e for region in self.regions for e in self.region_events(region)]
        return sorted(merged, key=lambda e: (e.sequenced_at, e.region_pcode))

    def region_events(self, region: str) -> list[SequencedEvent]:
        rng = random.Random(f"{self.seed}:{region}")  # noqa: S311 - a seeded scenario, not a secret
        centre = CENTRES[region]
        clock = _Clock(START)
        events = [
            sequenced(
                f"{region}-shelter-{i}",
                region,
                clock.next(),
                _shelter(rng, centre, f"{region.lower()}-s{i}"),
            )
            for i in range(self.shelters)
        ]
        events += [
            sequenced(
                f"{region}-vehicle-{i}",
                region,
                clock.next(),
                _vehicle(rng, centre, f"crh-{region.lower()}-v{i}"),
            )
            for i in range(self.vehicles)
        ]
        ticks = 0
        for i in range(self.alerts):
            at = clock.next()
            origin = _near(rng, centre, 0.05)
            households = [_household(rng) for _ in range(rng.randint(1, 4))]
            events.append(
                sequenced(f"{region}-alert-{i}", region, at, alert(origin, households, at))
            )
            if (i + 1) % self.alerts_per_tick == 0 or i == self.alerts - 1:
                ticks += 1
                events.append(tick(region, clock.next(), ticks))
        return events


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def next(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _near(rng: random.Random, centre: GeoPoint, spread: float) -> GeoPoint:
    return GeoPoint(
        lat=round(centre.lat + rng.uniform(-spread, spread), 5),
        lon=round(centre.lon + rng.uniform(-spread, spread), 5),
    )


def _shelter(rng: random.Random, centre: GeoPoint, shelter_id: str) -> ShelterCapacityReport:
    services = {s for s in (Service.HEALTH, Service.ACCESSIBLE, Service.CHILD_PROTECTION)
                if rng.random() < 0.3} | {Service.WASH}  # fmt: skip
    capacity = rng.randint(5, 40)
    return ShelterCapacityReport(
        shelter_id=shelter_id,
        location=_near(rng, centre, 0.08),
        capacity=PersonsCapacity(kind="persons", persons=capacity),
        occupancy=rng.randint(0, capacity // 2),
        services=frozenset(services),
        reported_at=START,
    )


def _vehicle(rng: random.Random, centre: GeoPoint, vehicle_id: str) -> TransportAvailability:
    return TransportAvailability(
        vehicle_id=vehicle_id,
        kind=VehicleKind.MINIBUS,
        seats=rng.choice([8, 12, 16]),
        accessible_places=rng.choice([0, 1, 2]),
        location=_near(rng, centre, 0.05),
        available=True,
        reported_at=START,
    )


def _household(rng: random.Random) -> Household:
    size = rng.randint(1, 7)
    needs = {n for n, p in ((Need.MEDICAL, 0.05), (Need.MOBILITY, 0.08),
                            (Need.UNACCOMPANIED_CHILDREN, 0.03)) if rng.random() < p}  # fmt: skip
    children = rng.randint(0, size - 1) if size > 1 else 0
    elderly = rng.randint(0, size - children) if rng.random() < 0.2 else 0
    return Household(size=size, children=children, elderly=elderly, needs=frozenset(needs))


def by_region(events: list[SequencedEvent]) -> Iterator[tuple[str, list[SequencedEvent]]]:
    regions = sorted({e.region_pcode for e in events})
    for region in regions:
        yield region, [e for e in events if e.region_pcode == region]


def as_ingress(events: list[SequencedEvent], secrets: dict[str, str],
               now: datetime) -> list[tuple[str, bytes, bytes]]:  # fmt: skip
    """The partner messages intake would turn into `events` (ticks are intake's own): (catalogue
    topic, key, signed CloudEvent) each, sent by a partner allowed to: shelters as the DGPC
    (which operates `dpc-*` shelters), vehicles as the Croix-Rouge, alerts as the protection
    cluster. Envelope times are `now`, so intake's skew and age checks pass."""
    out = []
    for event in events:
        payload = event.payload
        if isinstance(payload, ShelterCapacityReport):
            topic, partner = "ingress.shelter-capacity.v1", "dpc-ht"
            payload = payload.model_copy(update={"shelter_id": f"dpc-{payload.shelter_id}"})
        elif isinstance(payload, TransportAvailability):
            topic, partner = "ingress.transport-availability.v1", "croix-rouge-ht"
        elif isinstance(payload, DisplacementAlert):
            topic, partner = "ingress.displacement-alerts.v1", "protection-ht"
        else:
            continue
        ce = partner_event(payload.model_dump(mode="json"), topic=topic, partner_id=partner,
                           secret=secrets[partner], event_id=f"ingress-{event.event_id}",
                           time=now, validate=False)  # fmt: skip
        out.append((topic, event.event_id.encode(), encode(ce, topic=topic).value))
    return out
