"""Allocation decisions with deterministic ids, and their bytes on the wire: same inputs, same
decision, same bytes (one CloudEvent per decision, its id the decision id)."""

import hashlib
from datetime import datetime

from schemas.codec import canonical_json, encode_structured, to_event
from schemas.outputs import AllocationDecision, Dropped, Placement, Released, Waitlisted

SOURCE = "corridor:allocator"
ID_PREFIX = "dec-"
ID_HEX = 40


def decision_id(
    region_pcode: str,
    subject: str,
    placements: tuple[Placement, ...],
    waitlisted: tuple[Waitlisted, ...],
    released: tuple[Released, ...] = (),
    dropped: tuple[Dropped, ...] = (),
) -> str:
    """``dec-`` and 40 hex digits of the sha256 of what was decided about ``subject`` (the
    alert id, or for waitlist placements the cause event id)."""
    content: dict[str, object] = {
        "region": region_pcode,
        "subject": subject,
        "placements": [
            [
                p.alert_id,
                p.household_index,
                p.shelter_id,
                p.vehicle_id,
                p.distance_km,
                p.eta_minutes,
            ]
            for p in placements
        ],
        "waitlisted": [[w.alert_id, w.household_index, str(w.reason)] for w in waitlisted],
    }
    if released:
        content["released"] = [
            [r.alert_id, r.household_index, r.shelter_id, str(r.reason)] for r in released
        ]
    if dropped:
        content["dropped"] = [[d.alert_id, d.household_index, str(d.reason)] for d in dropped]
    return ID_PREFIX + hashlib.sha256(canonical_json(content)).hexdigest()[:ID_HEX]


def decision(
    region_pcode: str,
    now: datetime,
    cause_event_id: str,
    alert_id: str | None,
    placements: tuple[Placement, ...],
    waitlisted: tuple[Waitlisted, ...],
    released: tuple[Released, ...] = (),
    dropped: tuple[Dropped, ...] = (),
) -> AllocationDecision:
    subject = alert_id if alert_id is not None else cause_event_id
    return AllocationDecision(
        decision_id=decision_id(region_pcode, subject, placements, waitlisted, released, dropped),
        region_pcode=region_pcode,
        decided_at=now,
        cause_event_id=cause_event_id,
        alert_id=alert_id,
        placements=placements,
        waitlisted=waitlisted,
        released=released,
        dropped=dropped,
    )


def encode_decision(decision: AllocationDecision) -> bytes:
    event = to_event(
        decision, id=decision.decision_id, source=SOURCE, time=decision.decided_at,
        subject=decision.region_pcode,
    )  # fmt: skip
    return encode_structured(event)
