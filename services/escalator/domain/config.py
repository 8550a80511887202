"""The escalation rules as numbers: one frozen value, passed to ``decide`` with every input."""

from dataclasses import dataclass
from datetime import timedelta

from schemas.types import EscalationLevel


@dataclass(frozen=True)
class EscalatorConfig:
    sla: timedelta = timedelta(hours=2)
    """An unmet need still unmet this long (log time) goes national (L2)."""
    system_after: timedelta = timedelta(hours=6)
    """... and system-wide (L3) after this long."""
    system_persons: int = 500
    """More people than this unmet in one region goes system-wide (L3) at once."""
    capacity_ratio: float = 0.9
    """A region with more than this share of its places used gets a capacity warning ..."""
    capacity_clear_ratio: float = 0.85
    """... resolved once the share is back to this or below (no flapping around one line)."""
    stale_after: timedelta = timedelta(hours=24)
    """Shelter data older than this is stale (the allocator's own threshold)."""
    ack_within_l1: timedelta = timedelta(hours=1)
    """Time a region partner has to acknowledge an L1 escalation before it is chased."""
    ack_within_l2: timedelta = timedelta(minutes=30)
    ack_within_l3: timedelta = timedelta(minutes=30)

    def ack_within(self, level: EscalationLevel) -> timedelta:
        return {
            EscalationLevel.L1: self.ack_within_l1,
            EscalationLevel.L2: self.ack_within_l2,
            EscalationLevel.L3: self.ack_within_l3,
        }[level]


def higher(level: EscalationLevel) -> EscalationLevel:
    """One level up the chain (L3 stays L3)."""
    return EscalationLevel.L2 if level == EscalationLevel.L1 else EscalationLevel.L3
