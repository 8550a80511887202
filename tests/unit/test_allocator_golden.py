"""Golden decisions: the allocator's output (and final state) on fixed logs, by SHA-256.

A refactoring must leave these hashes alone. A change of behaviour changes them on purpose:
update the hash in the same commit, and say why in its message.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from schemas.ingress import (
    AllocationFeedback,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.sequenced import SequencedEvent
from schemas.types import FeedbackKind, GeoPoint, VehicleKind
from services.allocator.domain.decisions import encode_decision
from services.allocator.store import entity_to_json
from services.audit.replay import replay, sequenced, tick
from services.bench.workload import Workload, by_region


def _digest(events: list[SequencedEvent]) -> tuple[str, str]:
    decisions = hashlib.sha256()
    states = hashlib.sha256()
    for region, log in by_region(events):
        state, decided = replay(log, region=region)
        for d in decided:
            decisions.update(encode_decision(d) + b"\n")
        for entity in state.entities():
            states.update(entity.key.encode() + b"=" + entity_to_json(entity) + b"\n")
    return decisions.hexdigest(), states.hexdigest()


def _lifecycle(region: str = "HT01") -> list[SequencedEvent]:
    """A scarce region, then feedback, a shrinking shelter, expiries and more ticks."""
    events = Workload(regions=(region,), shelters=4, vehicles=2, alerts=40, seed=11).events()
    state, decided = replay(events, region=region)
    at = events[-1].sequenced_at
    placements = [p for d in decided for p in d.placements]
    more: list[SequencedEvent] = []
    kinds = [FeedbackKind.ARRIVED, FeedbackKind.NO_SHOW, FeedbackKind.CANCELLED]
    decision_of = {(p.alert_id, p.household_index): d.decision_id for d in decided
                   for p in d.placements}  # fmt: skip
    for n, p in enumerate(placements[:9]):
        at += timedelta(seconds=1)
        feedback = AllocationFeedback(
            decision_id=decision_of[p.alert_id, p.household_index], alert_id=p.alert_id,
            household_index=p.household_index, kind=kinds[n % 3], region_pcode=region,
            shelter_id=p.shelter_id, observed_at=at,
        )  # fmt: skip
        more.append(sequenced(f"{region}-fb-{n}", region, at, feedback))
    shelter = state.shelters[sorted(state.shelters)[0]]
    at += timedelta(seconds=1)
    report = ShelterCapacityReport(
        shelter_id=shelter.shelter_id, location=GeoPoint(lat=shelter.lat, lon=shelter.lon),
        capacity=PersonsCapacity(persons=max(1, (shelter.capacity or 0) // 3)),
        occupancy=0, services=shelter.services, reported_at=at,
    )  # fmt: skip
    more.append(sequenced(f"{region}-shrink", region, at, report))
    # issue 9: the busiest shelter halves what it can hold, and a late vehicle appears
    state, _ = replay(events + more, region=region)
    busiest = state.shelters[max(sorted(state.held), key=lambda sid: state.held[sid])]
    at += timedelta(seconds=1)
    halved = ShelterCapacityReport(
        shelter_id=busiest.shelter_id, location=GeoPoint(lat=busiest.lat, lon=busiest.lon),
        capacity=PersonsCapacity(persons=busiest.occupancy + state.held[busiest.shelter_id] // 2),
        occupancy=busiest.occupancy, services=busiest.services, reported_at=at,
    )  # fmt: skip
    more.append(sequenced(f"{region}-halve", region, at, halved))
    at += timedelta(seconds=1)
    late = TransportAvailability(
        vehicle_id=f"{region}-late", kind=VehicleKind.MINIBUS, seats=12, accessible_places=2,
        location=GeoPoint(lat=busiest.lat, lon=busiest.lon), available=True, speed_kmh=40.0,
        reported_at=at,
    )  # fmt: skip
    more.append(sequenced(f"{region}-late-vehicle", region, at, late))
    for n in range(3):
        at += timedelta(hours=7)
        more.append(tick(region, at, 1000 + n))
    return events + more


def test_default_workload_decides_as_before() -> None:
    assert _digest(Workload().events()) == GOLDEN["default"]


def test_scarce_lifecycle_decides_as_before() -> None:
    assert _digest(_lifecycle()) == GOLDEN["lifecycle"]


GOLDEN = {
    "default": (
        "ab79f78f6a7351f8fa00453d0bea754f8199a84e22382f69d71b32326fafc171",
        "cd123badb2f8575f23c89ac2ff61547f1be256b8afda4ae6ae52ab8118eafddd",
    ),
    "lifecycle": (
        "79803b574e5d9b707c9f35c30027df1df2e56759578cfe0570aa55d2cb6753b7",
        "0a295a90c39e51a9e28d930a466cf118d65d2f0be48b3190ec84eae028cbb715",
    ),
}
