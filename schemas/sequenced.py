"""Events on ``region.events.v1``: an accepted input (or a tick), stamped by intake.

On the wire a region event is a CloudEvent with the original ``id``, ``source``, ``type`` and
``data``; ``subject`` is the region p-code, ``time`` the sequencing time, and the extension
attributes ``sequencedat`` (the same time, ISO 8601 UTC), ``region`` and, for partner input,
``partnerid``. An alert larger than its sender may send unconfirmed carries ``confirmabove``
(the sender's limit, in people, as decimal digits): it is held until a confirming partner
answers. Events without it (every event before this attribute existed) are not held.
"""

from datetime import UTC, datetime

from pydantic import ValidationError, field_validator

from schemas.base import Contract
from schemas.codec import format_time, payload_of, to_event
from schemas.envelope import CloudEvent, Source
from schemas.errors import CodecError, describe
from schemas.ingress import (
    AlertConfirmation,
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    HazardWarning,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.region import RegionTick
from schemas.types import Count, EventId, PartnerId, PCode, RejectReason, Timestamp

RegionPayload = (
    DisplacementAlert
    | ShelterCapacityReport
    | TransportAvailability
    | AllocationFeedback
    | HazardWarning
    | EscalationAck
    | AlertConfirmation
    | RegionTick
)
REGION_PAYLOADS: tuple[type[Contract], ...] = RegionPayload.__args__

INTAKE_SOURCE = "corridor:intake"
SEQUENCED_AT = "sequencedat"
PARTNER_ID = "partnerid"
REGION = "region"
CONFIRM_ABOVE = "confirmabove"


TICK_ID = "tick:"
"""How every tick's event id starts (``tick:<region>:<sequence>``)."""


class SequencedEvent(Contract):
    """A region event: the payload, where it came from, and when intake sequenced it."""

    event_id: EventId
    source: Source
    region_pcode: PCode
    sequenced_at: Timestamp
    partner_id: PartnerId | None = None  # None for ticks and non-partner sources
    payload: RegionPayload
    confirm_above: Count | None = None
    """Set on an alert with more people than this, its sender's limit: held for confirmation."""

    @field_validator("sequenced_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.astimezone(UTC)

    @classmethod
    def tick(cls, region_pcode: str, tick_at: datetime, sequence: int) -> "SequencedEvent":
        """The ``sequence``-th tick of a region; its id is derived, so replays repeat it."""
        return cls(
            event_id=f"{TICK_ID}{region_pcode}:{sequence}",
            source=INTAKE_SOURCE,
            region_pcode=region_pcode,
            sequenced_at=tick_at,
            payload=RegionTick(region_pcode=region_pcode, tick_at=tick_at, sequence=sequence),
        )

    def to_cloudevent(self) -> CloudEvent:
        extensions = {SEQUENCED_AT: format_time(self.sequenced_at), REGION: self.region_pcode}
        if self.partner_id is not None:
            extensions[PARTNER_ID] = self.partner_id
        if self.confirm_above is not None:
            extensions[CONFIRM_ABOVE] = str(self.confirm_above)
        return to_event(
            self.payload,
            id=self.event_id,
            source=self.source,
            time=self.sequenced_at,
            subject=self.region_pcode,
            extensions=extensions,
        )

    @classmethod
    def from_cloudevent(cls, ce: CloudEvent) -> "SequencedEvent":
        """Read a region event; CodecError when it is not one."""
        region = ce.extensions.get(REGION)
        if region is None or ce.subject != region:
            raise CodecError(
                RejectReason.INVALID_ENVELOPE, "region: extension missing or not equal to subject"
            )
        payload = payload_of(ce)
        if not isinstance(payload, REGION_PAYLOADS):
            raise CodecError(RejectReason.UNSUPPORTED_TYPE, f"{ce.type} is not a region event")
        limit = ce.extensions.get(CONFIRM_ABOVE)
        if limit is not None and not (limit.isascii() and limit.isdigit()):
            raise CodecError(RejectReason.INVALID_ENVELOPE, f"{CONFIRM_ABOVE}: not a count")
        try:
            return cls(
                event_id=ce.id,
                source=ce.source,
                region_pcode=region,
                sequenced_at=ce.extensions.get(SEQUENCED_AT),
                partner_id=ce.extensions.get(PARTNER_ID),
                payload=payload,
                confirm_above=None if limit is None else int(limit),
            )
        except ValidationError as exc:
            raise CodecError(RejectReason.INVALID_ENVELOPE, describe(exc, root="event")) from None
