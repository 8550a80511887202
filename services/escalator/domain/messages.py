"""Escalations on the wire: the full record for operations centres, a minimised copy per partner.

A partner's copy carries counts and need flags only, and of those only what its sector acts on;
of the shelters named, only the ones it operates; never event ids or other partners' names.
"""

from collections.abc import Callable, Iterable, Mapping

from schemas.codec import encode_structured, to_event
from schemas.outputs import EscalationEvent
from schemas.types import Need, Sector
from services.escalator.domain.events import DomainEvent, EscalationChanged
from services.escalator.domain.state import Escalation

Operates = Callable[[str], bool]
"""Whether a partner operates a shelter (by id)."""

SOURCE = "corridor:escalator"

SECTOR_NEEDS: Mapping[Sector, frozenset[Need]] = {
    Sector.SHELTER_CCCM: frozenset(Need),  # places must match every need
    Sector.LOGISTICS: frozenset({Need.MOBILITY, Need.MEDICAL}),  # accessible seats, ambulances
    Sector.HEALTH: frozenset({Need.MEDICAL}),
    Sector.PROTECTION: frozenset({Need.UNACCOMPANIED_CHILDREN}),
    Sector.WASH: frozenset(),
}
"""The need flags each sector acts on: the only ones its partners' copies carry."""


def to_contract(escalation: Escalation) -> EscalationEvent:
    need = escalation.need
    return EscalationEvent(
        escalation_id=escalation.escalation_id,
        revision=escalation.revision,
        region_pcode=escalation.region,
        reason=escalation.reason,
        sector=escalation.sector,
        level=escalation.level,
        status=escalation.status,
        episode=escalation.episode,
        persons_affected=need.persons,
        households_affected=need.households,
        needs_counts=dict(need.needs),
        opened_at=escalation.opened_at,
        updated_at=escalation.updated_at,
        ack_deadline=escalation.deadline,
        waiting_since=need.since,
        places=escalation.places,
        places_used=escalation.places_used,
        shelter_ids=escalation.shelter_ids,
        chases=escalation.chasing,
        alert_ids=escalation.alert_ids,
        recipients=escalation.recipients,
        acknowledged_by=escalation.acknowledged_by,
        cause_event_ids=escalation.cause_event_ids,
    )


def minimise(
    event: EscalationEvent, partner_id: str, operates: Callable[[str], bool]
) -> EscalationEvent:
    """``partner_id``'s copy: its sector's need counts, its own shelters, its own ack."""
    keep = SECTOR_NEEDS[event.sector]
    return event.model_copy(
        update={
            "needs_counts": {n: c for n, c in event.needs_counts.items() if n in keep},
            "shelter_ids": tuple(s for s in event.shelter_ids if operates(s)),
            "recipients": (),
            "acknowledged_by": tuple(p for p in event.acknowledged_by if p == partner_id),
            "cause_event_ids": (),
        }
    )


def message_id(event: EscalationEvent) -> str:
    """One CloudEvent per revision: the escalation id and its revision."""
    return f"{event.escalation_id}:r{event.revision}"


def encode(event: EscalationEvent) -> bytes:
    ce = to_event(
        event, id=message_id(event), source=SOURCE, time=event.updated_at,
        subject=event.region_pcode,
    )  # fmt: skip
    return encode_structured(ce)


def publications(
    events: Iterable[DomainEvent], inboxes: Callable[[str], Operates | None]
) -> list[tuple[str | None, EscalationEvent]]:
    """Each change as (None, full record) for operations centres, then (partner id, copy) for
    every recipient with an inbox (``inboxes`` answers None for a partner without one)."""
    found: list[tuple[str | None, EscalationEvent]] = []
    for event in events:
        if not isinstance(event, EscalationChanged):
            continue
        record = to_contract(event.escalation)
        found.append((None, record))
        for partner_id in record.recipients:
            operates = inboxes(partner_id)
            if operates is not None:
                found.append((partner_id, minimise(record, partner_id, operates)))
    return found
