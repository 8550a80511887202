"""What the processors emit: allocation decisions, escalations and rejections."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.base import Contract
from schemas.types import (
    Count,
    DropReason,
    EscalationLevel,
    EscalationReason,
    EscalationStatus,
    EventId,
    Flag,
    HouseholdIndex,
    HouseholdSize,
    Identifier,
    Kilometres,
    Need,
    NeedSet,
    PartnerId,
    PCode,
    RejectReason,
    ReleaseReason,
    Sector,
    Timestamp,
    UnplacedReason,
)


class Placement(Contract):
    """A whole household reserved a place in one shelter, and a vehicle when one is free."""

    alert_id: Identifier
    household_index: HouseholdIndex
    persons: HouseholdSize
    needs: NeedSet = frozenset()
    shelter_id: Identifier
    vehicle_id: Identifier | None = None
    transport_pending: Flag
    distance_km: Kilometres
    eta_minutes: Annotated[int, Field(strict=True, ge=0)] | None = None
    shelter_data_stale: Flag
    reserved_until: Timestamp

    @field_validator("transport_pending")
    @classmethod
    def _pending_without_vehicle(cls, pending: bool, info: ValidationInfo) -> bool:
        if pending and info.data.get("vehicle_id") is not None:
            raise ValueError("transport cannot be pending when a vehicle is assigned")
        return pending


class Waitlisted(Contract):
    """A whole household that could not be placed now, and why."""

    alert_id: Identifier
    household_index: HouseholdIndex
    persons: HouseholdSize
    needs: NeedSet = frozenset()
    reason: UnplacedReason
    since: Timestamp


class Released(Contract):
    """A reservation the allocator gave up; the same decision re-places or waitlists the
    household."""

    alert_id: Identifier
    household_index: HouseholdIndex
    persons: HouseholdSize
    shelter_id: Identifier
    reason: ReleaseReason


class Dropped(Contract):
    """A whole household the allocator will never place: its alert was rejected."""

    alert_id: Identifier
    household_index: HouseholdIndex
    persons: HouseholdSize
    reason: DropReason


def _empty(value: tuple[object, ...]) -> bool:
    return not value


class AllocationDecision(Contract):
    """The allocator's decision on one region event; a household appears at most once among
    its placements, waitlisted and dropped, and every released household is placed again or
    waitlisted. ``dropped`` is left out of the JSON when empty (decisions made before it
    existed keep their bytes)."""

    decision_id: Identifier
    region_pcode: PCode
    decided_at: Timestamp  # the region log's time, never a processor's clock
    cause_event_id: EventId
    alert_id: Identifier | None = None
    placements: tuple[Placement, ...] = ()
    waitlisted: tuple[Waitlisted, ...] = ()
    released: tuple[Released, ...] = ()
    dropped: Annotated[tuple[Dropped, ...], Field(exclude_if=_empty)] = ()

    @model_validator(mode="after")
    def _households_once(self) -> Self:
        keys = [(p.alert_id, p.household_index) for p in self.placements]
        keys += [(w.alert_id, w.household_index) for w in self.waitlisted]
        every = keys + [(d.alert_id, d.household_index) for d in self.dropped]
        if len(every) != len(set(every)):
            raise ValueError("a household appears more than once (households are never split)")
        released = [(r.alert_id, r.household_index) for r in self.released]
        if len(released) != len(set(released)) or not set(released) <= set(keys):
            raise ValueError("a released household must be re-placed or waitlisted, once")
        return self


def _sorted_counts(counts: dict[Need, int]) -> dict[str, int]:
    return {str(need): counts[need] for need in sorted(counts)}


class EscalationEvent(Contract):
    """One open escalation per (region, reason, sector) and episode, updated in place.

    Each message is one revision of the escalation: the same ``escalation_id``, ``revision``
    counting up from 1. Counts and need flags describe groups, never persons. A partner's inbox
    receives a minimised copy: only its sector's counts, only the shelters it operates.
    """

    escalation_id: Identifier
    revision: Annotated[int, Field(strict=True, ge=1)] = 1
    region_pcode: PCode
    reason: EscalationReason
    sector: Sector
    level: EscalationLevel
    status: EscalationStatus
    episode: Annotated[int, Field(strict=True, ge=1)]
    persons_affected: Count
    households_affected: Count
    needs_counts: Annotated[
        dict[Need, Count], PlainSerializer(_sorted_counts, when_used="json")
    ] = Field(default_factory=dict)
    opened_at: Timestamp
    updated_at: Timestamp
    ack_deadline: Timestamp | None = None
    waiting_since: Timestamp | None = None  # the oldest unmet need it covers, if any
    places: Count | None = None  # capacity: places in the region's usable shelters
    places_used: Count | None = None  # capacity: of which occupied or reserved
    shelter_ids: tuple[Identifier, ...] = ()  # stale data: the shelters to refresh
    chases: tuple[Identifier, ...] = ()  # unacknowledged: the escalations nobody acknowledged
    alert_ids: Annotated[tuple[Identifier, ...], Field(exclude_if=_empty)] = ()
    """Confirmation needed: the alerts held for their size (left out of the JSON when empty)."""
    recipients: tuple[PartnerId, ...] = ()  # the partners whose inbox received this revision
    acknowledged_by: tuple[PartnerId, ...] = ()
    cause_event_ids: tuple[EventId, ...] = ()

    @field_validator("updated_at")
    @classmethod
    def _not_before_opened(cls, updated_at: datetime, info: ValidationInfo) -> datetime:
        opened_at = info.data.get("opened_at")
        if opened_at is not None and updated_at < opened_at:
            raise ValueError("updated_at is before opened_at")
        return updated_at


def escalation_id(region: str, reason: EscalationReason, sector: Sector, episode: int) -> str:
    """Deterministic, from (region, reason, sector, episode): a replay repeats it."""
    return f"esc:{region}:{reason.value}:{sector.value}:{episode}"


def parse_escalation_id(value: str) -> tuple[str, EscalationReason, Sector, int] | None:
    """(region, reason, sector, episode) of an id made by :func:`escalation_id`, or None."""
    parts = value.split(":")
    if len(parts) != 5 or parts[0] != "esc" or not parts[4].isdigit():
        return None
    try:
        return parts[1], EscalationReason(parts[2]), Sector(parts[3]), int(parts[4])
    except ValueError:
        return None


Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]
TopicName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
HeaderName = Annotated[str, StringConstraints(max_length=200)]


class RejectedMessage(Contract):
    """A message intake refused, with its original bytes (base64) and a machine-readable reason."""

    topic: TopicName
    partition: Count
    offset: Count
    key_b64: Base64 | None = None
    value_b64: Base64
    headers: tuple[tuple[HeaderName, Base64], ...] = ()  # (name, base64 value)
    reason: RejectReason
    message: Annotated[str, StringConstraints(max_length=1000)]
    rejected_at: Timestamp
    # as claimed by the refused message, so not necessarily valid ids
    event_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    partner_id: Annotated[str, StringConstraints(max_length=200)] | None = None
