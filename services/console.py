"""What `make run` shows an operator: one line per decision and escalation, and a live table of
the situation per region (rich). Built from the topics, so it shows what partners are told."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.table import Table

from schemas.outputs import AllocationDecision, EscalationEvent
from schemas.types import EscalationReason, EscalationStatus, Sector


@dataclass
class Situation:
    """Per region: people placed since the start, people waiting for a place or a vehicle (as
    the open escalations count them), and the open escalations by level."""

    placed: Counter[str] = field(default_factory=Counter)
    open: dict[str, EscalationEvent] = field(default_factory=dict)

    def decided(self, decision: AllocationDecision) -> None:
        self.placed[decision.region_pcode] += sum(p.persons for p in decision.placements)

    def escalated(self, event: EscalationEvent) -> None:
        known = self.open.get(event.escalation_id)
        if known is not None and known.revision > event.revision:
            return  # an older revision, redelivered
        if event.status == EscalationStatus.RESOLVED:
            self.open.pop(event.escalation_id, None)
        else:
            self.open[event.escalation_id] = event

    def _waiting(self, region: str, reason: EscalationReason, sector: Sector) -> int:
        return sum(
            e.persons_affected for e in self.open.values()
            if e.region_pcode == region and e.reason == reason and e.sector == sector
        )  # fmt: skip

    def table(self) -> Table:
        table = Table(title="Situation by region (since start)", expand=False)
        for name in ("region", "placed", "waiting for a place", "waiting for a vehicle",
                     "open L1", "open L2", "open L3"):  # fmt: skip
            table.add_column(name, justify="left" if name == "region" else "right")
        regions = sorted(set(self.placed) | {e.region_pcode for e in self.open.values()})
        for region in regions:
            levels = Counter(e.level.value for e in self.open.values() if e.region_pcode == region)
            table.add_row(
                region, str(self.placed[region]),
                str(self._waiting(region, EscalationReason.UNMET_NEED, Sector.SHELTER_CCCM)),
                str(self._waiting(region, EscalationReason.NO_TRANSPORT, Sector.LOGISTICS)),
                str(levels["L1"]), str(levels["L2"]), str(levels["L3"]),
            )  # fmt: skip
        return table
