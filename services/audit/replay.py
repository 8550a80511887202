"""Region events built in code, and a replay of them through the core (for tests and benches)."""

from collections.abc import Iterable
from datetime import UTC, datetime

from schemas.envelope import partner_source
from schemas.ingress import (
    AllocationFeedback,
    Demographics,
    DisplacementAlert,
    Household,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import AllocationDecision
from schemas.sequenced import SequencedEvent
from schemas.types import DisplacementCause, GeoPoint
from services.allocator.domain import AllocatorConfig, RegionState, step

PARTNER = "corridor-sim"

Payload = ShelterCapacityReport | TransportAvailability | AllocationFeedback | DisplacementAlert


def sequenced(event_id: str, region: str, at: datetime, payload: Payload) -> SequencedEvent:
    """A partner's input as intake appends it to the region log."""
    return SequencedEvent(
        event_id=event_id,
        source=partner_source(PARTNER),
        region_pcode=region,
        sequenced_at=at,
        partner_id=PARTNER,
        payload=payload,
    )


def tick(region: str, at: datetime, sequence: int) -> SequencedEvent:
    return SequencedEvent.tick(region, at, sequence)


def alert(
    origin: GeoPoint,
    households: Iterable[Household],
    observed_at: datetime,
    region: str | None = None,
) -> DisplacementAlert:
    """An alert with demographics consistent with its households (females: half, rounded down)."""
    members = tuple(households)
    persons = sum(h.size for h in members)
    children = sum(h.children for h in members)
    elderly = sum(h.elderly for h in members)
    return DisplacementAlert(
        origin=origin,
        region_pcode=region,
        cause=DisplacementCause.FLOOD,
        observed_at=observed_at,
        households=members,
        demographics=Demographics(
            children=children,
            adults=persons - children - elderly,
            elderly=elderly,
            female=persons // 2,
            male=persons - persons // 2,
        ),
    )


def replay(
    events: Iterable[SequencedEvent],
    config: AllocatorConfig | None = None,
    state: RegionState | None = None,
    region: str | None = None,
) -> tuple[RegionState, list[AllocationDecision]]:
    """Fold ``events`` into ``state`` (empty for ``region``); the final state and all decisions."""
    config = config or AllocatorConfig()
    decisions: list[AllocationDecision] = []
    for event in events:
        if state is None:
            state = RegionState.empty(region or event.region_pcode)
        state, decided = step(state, event, config)
        decisions.extend(decided)
    if state is None:
        state = RegionState.empty(region or "XX00")
    return state, decisions


EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
