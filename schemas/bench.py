"""Codec throughput: how many events per second one process encodes and decodes."""

import time
from collections.abc import Callable
from datetime import UTC, datetime

from schemas.base import Contract
from schemas.codec import decode, encode_binary, encode_structured, payload_of, to_event
from schemas.envelope import CloudEvent
from schemas.ingress import (
    Demographics,
    DisplacementAlert,
    FloorAreaCapacity,
    GeoPoint,
    Household,
    ShelterCapacityReport,
)
from schemas.types import DisplacementCause, Need, Service

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def sample_alert() -> DisplacementAlert:
    """Five households from a flooded neighbourhood of Port-au-Prince."""
    households = (
        Household(size=5, children=3, elderly=0),
        Household(size=2, children=0, elderly=2, needs=frozenset({Need.MOBILITY})),
        Household(size=7, children=4, elderly=1, needs=frozenset({Need.MEDICAL})),
        Household(size=1, children=1, elderly=0, needs=frozenset({Need.UNACCOMPANIED_CHILDREN})),
        Household(size=4, children=2, elderly=0),
    )
    return DisplacementAlert(
        origin=GeoPoint(lat=18.5392, lon=-72.3364),
        region_pcode="HT01",
        cause=DisplacementCause.FLOOD,
        observed_at=NOW,
        households=households,
        demographics=Demographics(children=10, adults=6, elderly=3, female=10, male=9),
    )


def sample_shelter() -> ShelterCapacityReport:
    return ShelterCapacityReport(
        shelter_id="ht-site-0042",
        location=GeoPoint(lat=18.5601, lon=-72.2861),
        region_pcode="HT0111",
        capacity=FloorAreaCapacity(covered_m2=2450.0),
        occupancy=512,
        services=frozenset({Service.WASH, Service.HEALTH}),
        reported_at=NOW,
    )


def _structured(ce: CloudEvent) -> Contract:
    return payload_of(decode(encode_structured(ce)))


def _binary(ce: CloudEvent) -> Contract:
    value, headers = encode_binary(ce)
    return payload_of(decode(value, headers))


def _rate(n: int, model: Contract, mode: Callable[[CloudEvent], Contract]) -> float:
    start = time.perf_counter()
    for i in range(n):
        ce = to_event(model, id=f"bench-{i}", source="corridor:partner:bench", time=NOW)
        mode(ce)
    return n / (time.perf_counter() - start)


def bench_codec(n: int) -> dict[str, float]:
    """Messages per second for model → event → bytes → event → model, by payload and mode."""
    results: dict[str, float] = {"n": float(n)}
    for name, model in (("alert", sample_alert()), ("shelter", sample_shelter())):
        for mode_name, mode in (("structured", _structured), ("binary", _binary)):
            results[f"{name}_{mode_name}_msgs_per_s"] = round(_rate(n, model, mode), 1)
        size = len(encode_structured(to_event(model, id="x", source="s", time=NOW)))
        results[f"{name}_structured_bytes"] = float(size)
    return results
