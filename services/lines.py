"""One readable line per escalation, for an operator's terminal and `corridor inbox`."""

from __future__ import annotations

from datetime import timedelta

from schemas.outputs import EscalationEvent
from schemas.types import EscalationReason, EscalationStatus

R = EscalationReason


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _what(e: EscalationEvent) -> str:
    households = f"{e.households_affected} household" + ("" if e.households_affected == 1 else "s")
    people = f"{e.persons_affected} people ({households})"
    waited = f" waiting {duration(e.updated_at - e.waiting_since)}" if e.waiting_since else ""
    if e.reason == R.CAPACITY_EXHAUSTED and e.places:
        share = 100 * (e.places_used or 0) // e.places
        return f"{share} % of {e.places} places used"
    if e.reason == R.STALE_DATA:
        return f"refresh shelter data: {', '.join(e.shelter_ids) or 'none left'}"
    if e.reason == R.HAZARD:
        return "hazard warning in force: prepare places and vehicles"
    if e.reason == R.CONFIRMATION_NEEDED:
        held = ", ".join(e.alert_ids) or "none left"
        return f"{people} held, confirm or reject alert {held}{waited}"
    if e.reason == R.UNACKNOWLEDGED:
        return f"nobody acknowledged {', '.join(e.chases) or 'it'} in time; {people}{waited}"
    return f"{people}{waited}"


def escalation_line(e: EscalationEvent) -> str:
    """``HT01 L2 unmet_need → shelter_cccm: 37 people (9 households) waiting 2 h 05 min; …``"""
    head = f"{e.region_pcode} {e.level.value} {e.reason.value} → {e.sector.value}"
    if e.status == EscalationStatus.RESOLVED:
        return f"{head}: resolved after {duration(e.updated_at - e.opened_at)} [{e.escalation_id}]"
    line = f"{head}: {_what(e)}"
    if e.acknowledged_by:
        line += f"; acknowledged by {', '.join(e.acknowledged_by)}"
    elif e.ack_deadline is not None:
        line += f"; acknowledge by {e.ack_deadline:%H:%M} UTC"
    else:
        line += "; unacknowledged, chased up the chain"
    return f"{line} [{e.escalation_id} r{e.revision}]"
