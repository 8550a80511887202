"""What the API answers: response models (their JSON Schemas are the published OpenAPI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Response(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(Response):
    detail: str


class People(Response):
    """Persons by the outcome of their household (``pending``: no decision yet)."""

    displaced: int = Field(description="Persons in the region's displacement alerts.")
    placed: int = Field(description="Reserved a place, not yet travelling.")
    in_transit: int
    arrived: int
    waitlisted: int
    no_show: int
    cancelled: int
    pending: int


class ShelterUse(Response):
    shelters: int
    open_shelters: int
    capacity: int = Field(description="Persons, over open shelters with a known capacity.")
    occupancy: int
    reserved: int
    utilisation: float | None = Field(description="(occupancy + reserved) / capacity.")


class EscalationCounts(Response):
    L1: int
    L2: int
    L3: int


class RegionSituation(Response):
    region_pcode: str
    people: People
    shelters: ShelterUse
    open_escalations: EscalationCounts


class Situation(Response):
    regions: list[RegionSituation]


class Shelter(Response):
    shelter_id: str
    region_pcode: str
    name: str | None
    lat: float
    lon: float
    capacity: int | None
    occupancy: int
    reserved: int
    utilisation: float | None
    open: bool
    services: list[str]
    reported_at: datetime
    sequenced_at: datetime


class ShelterPage(Response):
    items: list[Shelter]
    next_cursor: str | None


class MapCell(Response):
    """Shelters in one cell of a grid over the region: their centre and totals."""

    lat: float
    lon: float
    shelters: int
    capacity: int
    occupancy: int
    reserved: int
    utilisation: float | None


class ShelterMap(Response):
    cells: list[MapCell]
    shelters: int


class DecisionSummary(Response):
    decision_id: str
    region_pcode: str
    decided_at: datetime
    alert_id: str | None
    cause_event_id: str
    placed_households: int
    placed_persons: int
    waitlisted_households: int
    waitlisted_persons: int
    shelters: list[str]


class DecisionPage(Response):
    items: list[DecisionSummary]
    next_cursor: str | None


class Alert(Response):
    alert_id: str
    region_pcode: str
    households: int
    persons: int
    cause: str
    observed_at: datetime
    sequenced_at: datetime
    decisions: list[DecisionSummary]


class AlertPage(Response):
    items: list[Alert]
    next_cursor: str | None


class Escalation(Response):
    escalation_id: str
    revision: int | None
    region_pcode: str
    reason: str
    sector: str
    level: str
    status: str
    episode: int
    persons_affected: int
    households_affected: int
    needs_counts: dict[str, int]
    opened_at: datetime
    updated_at: datetime
    ack_deadline: datetime | None


class EscalationRevision(Response):
    revision: int | None
    level: str
    status: str
    persons_affected: int
    households_affected: int
    updated_at: datetime
    ack_deadline: datetime | None


class Acknowledgement(Response):
    partner_id: str | None
    status: str
    acknowledged_at: datetime


class EscalationDetail(Escalation):
    """The latest revision, the revisions that led to it (the last 500, oldest first) and the
    acknowledgements (a partner sees its own)."""

    revisions: list[EscalationRevision]
    acknowledgements: list[Acknowledgement]


class EscalationPage(Response):
    items: list[Escalation]
    next_cursor: str | None


class Rejection(Response):
    rejection_id: str
    topic: str
    reason: str
    message: str
    event_id: str | None
    partner_id: str | None
    rejected_at: datetime


class RejectionPage(Response):
    items: list[Rejection]
    next_cursor: str | None


class WhoAmI(Response):
    role: str = Field(description="operator or partner")
    partner_id: str | None
    regions: list[str] | None = Field(description="None: every region.")
    sectors: list[str] | None = Field(description="None: every sector.")


class ProcessorProgress(Response):
    processor: str = Field(description="intake, allocator, escalator or ledger.")
    workers: int = Field(description="Workers in its consumer group.")
    waiting: int = Field(description="Records on its input topics it has not committed past.")
    stalled_seconds: int | None = Field(
        description="How long it has had records waiting without committing past any (as seen"
        " between looks); null when nothing waits."
    )


class Pipeline(Response):
    """Whether the processors keep up: looked at every few seconds by the server."""

    checked_at: datetime | None = Field(description="The last look; null before the first.")
    late_after_seconds: float = Field(description="Stalled this long, a processor is late.")
    stale: bool = Field(
        default=False,
        description="The looks have failed for late_after_seconds (the broker or the database"
        " cannot be reached): what the processors do is unknown; checked_at is the last look"
        " that worked.",
    )
    processors: list[ProcessorProgress]
