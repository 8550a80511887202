"""Intake's screen, plus the one rule HTTP adds: the token's partner must be the event's
signing partner. Pure: no HTTP, no Kafka, no clock."""

from __future__ import annotations

import structlog

from schemas.types import RejectReason
from services.gateway.answers import Refusal, refusal_of, refuse
from services.intake.core import Admitted, Refused, screen
from services.intake.record import Record
from services.registry.partners import PartnerRegistry
from services.registry.regions import RegionRegistry

log = structlog.get_logger()


def admit(
    record: Record, partners: PartnerRegistry, regions: RegionRegistry, token_partner: str
) -> Admitted | Refusal:
    """Admitted when intake's screen would admit the record and ``token_partner`` signed it."""
    try:
        outcome = screen(record, partners, regions)
    except Exception:  # a bug of ours answers 400, as intake refuses, and is logged
        log.exception("screening failed", topic=record.topic, partner=token_partner)
        outcome = Refused(RejectReason.MALFORMED, "intake could not read this message")
    if isinstance(outcome, Refused):
        return refusal_of(record, outcome)
    if outcome.partner_id != token_partner:
        return refuse(
            RejectReason.UNAUTHORISED,
            f"the token of partner {token_partner} cannot send events signed by partner"
            f" {outcome.partner_id}",
        ).model_copy(update={"event_id": outcome.event.id[:200]})
    return outcome
