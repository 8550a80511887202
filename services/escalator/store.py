"""The escalator's state: a fold of the region log, per region, held by the worker.

The region log is the escalator's changelog. A region's state is the allocator's pure core
replayed over its log (what was decided, exactly as the allocator decided it, in log order)
plus the escalations folded from it. A worker that is assigned a partition rebuilds its regions
by replaying the partition from offset 0 up to the committed offset, emitting nothing; from
there it emits. So a restart or a rebalance loses no pending deadline, and the same log gives
the same escalations byte for byte (docs/architecture.md, "Escalator").
"""

from dataclasses import dataclass, field
from datetime import datetime

from schemas.ingress import EscalationAck, HazardWarning
from schemas.outputs import AllocationDecision
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from services.allocator.domain import AllocatorConfig, RegionState, step
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.decide import decide
from services.escalator.domain.events import DomainEvent
from services.escalator.domain.evolve import fold
from services.escalator.domain.facts import AckReceived, Fact, HazardReceived, Observed
from services.escalator.domain.routing import Routing
from services.escalator.domain.state import RegionEscalations
from services.escalator.picture import children_alone, medical_placed, picture_of


@dataclass
class RegionFold:
    """One region: the allocator's state, the escalations, and what was decided since the tick."""

    allocator: RegionState
    escalations: RegionEscalations
    decided: list[AllocationDecision] = field(default_factory=list)
    medical_counted: set[str] = field(default_factory=set)  # households holding a place

    @classmethod
    def empty(cls, region: str) -> "RegionFold":
        return cls(RegionState.empty(region), RegionEscalations(region))


class Folds:
    """Every region this worker serves, by region p-code, with the partition it lives in."""

    def __init__(
        self, config: EscalatorConfig, allocator: AllocatorConfig, routing: Routing
    ) -> None:
        self.config, self.allocator_config, self.routing = config, allocator, routing
        self._regions: dict[str, RegionFold] = {}
        self._partition: dict[str, int] = {}

    def forget(self, partitions: set[int]) -> None:
        """Drop the regions of partitions this worker no longer serves."""
        for region in [r for r, p in self._partition.items() if p in partitions]:
            del self._regions[region], self._partition[region]

    def export(self, partition: int) -> dict[str, RegionFold]:
        """The regions of a partition, for a snapshot (snapshot.py)."""
        return {r: kept for r, kept in self._regions.items() if self._partition[r] == partition}

    def restore(self, partition: int, regions: dict[str, RegionFold]) -> None:
        """Take a partition's regions from a snapshot."""
        self.forget({partition})
        for region, kept in regions.items():
            self._regions[region], self._partition[region] = kept, partition

    def get(self, region: str) -> RegionEscalations | None:
        found = self._regions.get(region)
        return None if found is None else found.escalations

    def advance(self, event: SequencedEvent, partition: int) -> list[DomainEvent]:
        """Fold one region event; the escalator's events it caused."""
        region = event.region_pcode
        state = self._regions.get(region)
        if state is None:
            state = self._regions[region] = RegionFold.empty(region)
            self._partition[region] = partition
        state.allocator, decisions = step(state.allocator, event, self.allocator_config)
        state.decided.extend(decisions)
        fact = self._fact(state, event)
        if fact is None:
            return []
        events = decide(state.escalations, fact, self.config, self.routing)
        state.escalations = fold(state.escalations, events)
        return events

    def _fact(self, state: RegionFold, event: SequencedEvent) -> Fact | None:
        at: datetime = event.sequenced_at
        match event.payload:
            case RegionTick():
                picture = picture_of(state.allocator, at, self.config.stale_after)
                decided, state.decided = state.decided, []
                medical = medical_placed(decided, at, state.medical_counted)
                reserved = state.allocator.reservations
                state.medical_counted &= set(reserved)  # released or ended: may count again
                return Observed(
                    at, event.event_id, picture,
                    medical_placed=medical,
                    children_alone=children_alone(decided, at),
                )  # fmt: skip
            case HazardWarning() as warning:
                return HazardReceived(at, event.event_id, warning)
            case EscalationAck() as ack if event.partner_id is not None:
                return AckReceived(
                    at, event.event_id, event.partner_id, ack.escalation_id, ack.status
                )
        return None
