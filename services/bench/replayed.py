"""A scenario as the region log Corridor's core reads: shelter reports, then the alerts in
arrival order, sealed by one tick at the end (one micro-batch) or by a tick after every
``per_tick`` alerts (a stream: a tick seals what arrived since the last one)."""

from datetime import timedelta

from schemas.ingress import Household, PersonsCapacity, ShelterCapacityReport
from schemas.sequenced import SequencedEvent
from schemas.types import GeoPoint
from services.allocator.domain.config import AllocatorConfig
from services.audit.replay import EPOCH, alert, replay, sequenced, tick
from services.bench.scenarios import Scenario

REGION = "HT01"


def region_events(s: Scenario, per_tick: int | None = None) -> list[SequencedEvent]:
    """The scenario's region log; ``per_tick`` None puts every alert in one batch."""
    events = [
        sequenced(
            f"report-{site.site_id}",
            REGION,
            EPOCH,
            ShelterCapacityReport(
                shelter_id=site.site_id,
                location=GeoPoint(lat=site.lat, lon=site.lon),
                capacity=PersonsCapacity(persons=cap),
                occupancy=0,
                services=site.services,
                reported_at=EPOCH,
            ),
        )
        for site, cap in s.shelters
    ]
    ticks = 0
    at = EPOCH
    for n, f in enumerate(s.families):
        at = EPOCH + timedelta(seconds=n + 1)
        member = Household(size=f.size, children=0, elderly=f.elderly, needs=f.needs)
        events.append(
            sequenced(f.ident, REGION, at, alert(GeoPoint(lat=f.lat, lon=f.lon), [member], at))
        )
        if per_tick is not None and (n + 1) % per_tick == 0:
            ticks += 1
            events.append(tick(REGION, at + timedelta(milliseconds=500), ticks))
    if per_tick is None:
        events.append(tick(REGION, EPOCH + timedelta(hours=1), 1))
    elif len(s.families) % per_tick:
        events.append(tick(REGION, at + timedelta(milliseconds=500), ticks + 1))
    return events


def corridor(
    s: Scenario, config: AllocatorConfig, per_tick: int | None = None
) -> tuple[int, float]:
    """People placed and person-km by Corridor's core on the scenario's region log."""
    _, decisions = replay(region_events(s, per_tick), config)
    placements = [p for d in decisions for p in d.placements]
    return sum(p.persons for p in placements), sum(p.persons * p.distance_km for p in placements)
