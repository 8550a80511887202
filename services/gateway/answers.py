"""What the gateway answers: the response bodies and the HTTP status of every refusal.

A refusal by intake's screen carries the reason code and message that ``ingress.rejected.v1``
would carry (built by :meth:`Record.rejection`, the same function intake uses). Refusals that
happen before an event exists (token, size, rate, media type, broker) have gateway reasons.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.types import RejectReason
from services.intake.core import Refused
from services.intake.record import Record


class GatewayReason(StrEnum):
    """Refusals of the HTTP layer, before intake's screen sees an event."""

    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_CAP = "invalid_cap"
    UNAVAILABLE = "unavailable"


STATUS: dict[RejectReason | GatewayReason, int] = {
    # the request cannot be read as a CloudEvent at all
    RejectReason.MALFORMED: 400,
    RejectReason.INVALID_ENVELOPE: 400,
    GatewayReason.INVALID_CAP: 400,
    # the event is readable but its sender is not proven: no partner, or a forged signature
    RejectReason.UNKNOWN_PARTNER: 401,
    RejectReason.SIGNATURE_MISSING: 401,
    RejectReason.SIGNATURE_INVALID: 401,
    GatewayReason.UNAUTHENTICATED: 401,
    # a proven sender asking for something it may not do (incl. sending as another partner)
    RejectReason.UNAUTHORISED: 403,
    # already admitted under this id (intake's sequencer decides it; the screen never does)
    RejectReason.DUPLICATE: 409,
    RejectReason.TOO_LARGE: 413,
    GatewayReason.UNSUPPORTED_MEDIA_TYPE: 415,
    # well-formed, but its content cannot be accepted
    RejectReason.UNSUPPORTED_TYPE: 422,
    RejectReason.STALE: 422,
    RejectReason.FROM_THE_FUTURE: 422,
    RejectReason.VALIDATION_FAILED: 422,
    RejectReason.UNRESOLVED_REGION: 422,
    RejectReason.WRONG_TOPIC: 422,
    GatewayReason.RATE_LIMITED: 429,
    GatewayReason.UNAVAILABLE: 503,
}


class Refusal(BaseModel):
    """Why a request was refused: ``reason`` and ``message`` as on ``ingress.rejected.v1``."""

    model_config = ConfigDict(frozen=True)

    reason: RejectReason | GatewayReason
    message: str = Field(max_length=1000)
    event_id: str | None = Field(default=None, max_length=200)

    @property
    def status(self) -> int:
        return STATUS[self.reason]


class Accepted(BaseModel):
    """Published to the ingress topic; intake sequences it (or refuses a duplicate id)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The event id.")
    topic: str = Field(description="The ingress topic it was published to.")


class CapAccepted(BaseModel):
    """The HazardWarnings a CAP alert became, each published like an event."""

    model_config = ConfigDict(frozen=True)

    ids: list[str] = Field(description="Event ids published, one per converted info block.")
    held: list[str] = Field(description="Event ids of a Test, Exercise or Draft alert: held back.")
    notes: list[str] = Field(description="What was not converted, and why.")


def refusal_of(record: Record, refused: Refused) -> Refusal:
    """The refusal as intake would publish it on ``ingress.rejected.v1``."""
    try:
        rejected = record.rejection(
            refused.reason, refused.message,
            event_id=refused.event_id, partner_id=refused.partner_id,
        )  # fmt: skip
    except ValidationError:  # the record is not one intake could have read (odd header names)
        return Refusal(reason=refused.reason, message=refused.message[:1000])
    return Refusal(reason=rejected.reason, message=rejected.message, event_id=rejected.event_id)


def refuse(reason: RejectReason | GatewayReason, message: str) -> Refusal:
    return Refusal(reason=reason, message=message[:1000])
