"""What ``decide`` reads and ``evolve`` builds: a region's open escalations and active hazards."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from schemas.outputs import escalation_id
from schemas.types import EscalationLevel, EscalationReason, EscalationStatus, Sector
from services.escalator.domain.facts import Group

Key = tuple[EscalationReason, Sector]
"""At most one open escalation per (region, reason, sector)."""


@dataclass(frozen=True)
class Escalation:
    """One revision of an open (or just resolved) escalation."""

    region: str
    reason: EscalationReason
    sector: Sector
    episode: int
    revision: int
    level: EscalationLevel
    status: EscalationStatus
    opened_at: datetime
    updated_at: datetime
    deadline: datetime | None
    need: Group = field(default_factory=Group)
    places: int | None = None
    places_used: int | None = None
    shelter_ids: tuple[str, ...] = ()
    chasing: tuple[str, ...] = ()  # unacknowledged: the escalations nobody acknowledged
    alert_ids: tuple[str, ...] = ()  # confirmation needed: the alerts held
    recipients: tuple[str, ...] = ()
    acknowledged_by: tuple[str, ...] = ()
    cause_event_ids: tuple[str, ...] = ()

    @property
    def key(self) -> Key:
        return (self.reason, self.sector)

    @property
    def escalation_id(self) -> str:
        return escalation_id(self.region, self.reason, self.sector, self.episode)

    @property
    def acknowledged(self) -> bool:
        return bool(self.acknowledged_by)

    def revised(self, at: datetime, status: EscalationStatus, **changes: object) -> "Escalation":
        """The next revision: same id, revision + 1."""
        return replace(
            self,
            revision=self.revision + 1,
            updated_at=at,
            status=status,
            **changes,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class ActiveHazard:
    identifier: str
    extreme_immediate: bool
    expires: datetime | None
    event_id: str


@dataclass(frozen=True)
class RegionEscalations:
    region: str
    open: Mapping[Key, Escalation] = field(default_factory=lambda: MappingProxyType({}))
    episodes: Mapping[Key, int] = field(default_factory=lambda: MappingProxyType({}))
    hazards: Mapping[str, ActiveHazard] = field(default_factory=lambda: MappingProxyType({}))

    def by_id(self, escalation_id: str) -> Escalation | None:
        return next((e for e in self.open.values() if e.escalation_id == escalation_id), None)
