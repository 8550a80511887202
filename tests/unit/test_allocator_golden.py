"""Golden decisions: the allocator's output (and final state) on fixed logs, by SHA-256.

A refactoring must leave these hashes alone. A change of behaviour changes them on purpose:
update the hash in the same commit, and say why in its message.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from schemas.ingress import AllocationFeedback, PersonsCapacity, ShelterCapacityReport
from schemas.sequenced import SequencedEvent
from schemas.types import FeedbackKind, GeoPoint
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
        "2ccc1d204cf93d1792189806e25b753bce05667c68ec77fe59b92f24e7c07124",
        "11068035a2dc04a55491c6928a4a1786013abd23d90119f196731bbee37523df",
    ),
    "lifecycle": (
        "9339b736bd9cdcc126924a4ec01b40dd1e034aa6f9ed259f3f8a5ae59076fac5",
        "a7335f8e33386813b7208ee17f7fe223d615ac1b3de7e522d02893615b3e0c26",
    ),
}
