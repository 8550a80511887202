"""Messages for the ledger's four topics, as the processors would write them, deterministic.

Region events of an allocator workload, the allocator core's decisions on them, escalation
revisions, rejections (without personal data) and a few unreadable messages. Used by the
ledger's integration tests and by `corridor bench ledger`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from schemas.codec import encode_structured, to_event
from schemas.outputs import EscalationEvent, RejectedMessage
from schemas.types import (
    EscalationLevel,
    EscalationReason,
    EscalationStatus,
    Need,
    RejectReason,
    Sector,
)
from services.allocator.domain.decisions import encode_decision
from services.audit.replay import replay
from services.bench.workload import START, Workload, by_region
from services.ledger.rows import DECISIONS, ESCALATIONS, REGION_EVENTS, REJECTED


@dataclass(frozen=True, slots=True)
class Message:
    topic: str  # catalogue name
    key: bytes
    value: bytes


def escalations(region: str, revisions: int = 3) -> list[Message]:
    """One escalation of a region, opened at L1 and raised at every revision."""
    levels = list(EscalationLevel)
    messages = []
    for n in range(revisions):
        status = EscalationStatus.OPEN if n == 0 else EscalationStatus.UPDATED
        event = EscalationEvent(
            escalation_id=f"esc-{region}-unmet_need-shelter_cccm-1",
            revision=n + 1,
            region_pcode=region,
            reason=EscalationReason.UNMET_NEED,
            sector=Sector.SHELTER_CCCM,
            level=levels[min(n, len(levels) - 1)],
            status=status,
            episode=1,
            persons_affected=10 + n,
            households_affected=3,
            needs_counts={Need.MEDICAL: 1},
            opened_at=START,
            updated_at=START + timedelta(minutes=30 * n),
        )
        ce = to_event(event, id=f"esc-{region}-r{n}", source="corridor:escalator",
                      time=event.updated_at, subject=region)  # fmt: skip
        messages.append(Message(ESCALATIONS, region.encode(), encode_structured(ce)))
    return messages


def rejections(count: int) -> list[Message]:
    """Refusals of unreadable partner input; the refused bytes hold nothing personal."""
    messages = []
    for n in range(count):
        refused = RejectedMessage(
            topic="ingress.displacement-alerts.v1", partition=n % 3, offset=n,
            value_b64=base64.b64encode(b"not json").decode(), reason=RejectReason.MALFORMED,
            message="not JSON", rejected_at=START + timedelta(seconds=n),
            partner_id="iom-dtm-ht",
        )  # fmt: skip
        ce = to_event(refused, id=f"rejected-{n}", source="corridor:intake",
                      time=refused.rejected_at)  # fmt: skip
        messages.append(Message(REJECTED, b"", encode_structured(ce)))
    return messages


def ledger_messages(workload: Workload, *, rejected: int = 5, unreadable: int = 2) -> list[Message]:
    events = workload.events()
    messages = [
        Message(REGION_EVENTS, e.region_pcode.encode(), encode_structured(e.to_cloudevent()))
        for e in events
    ]
    for region, region_events in by_region(events):
        _, decisions = replay(region_events)
        messages += [Message(DECISIONS, region.encode(), encode_decision(d)) for d in decisions]
        messages += escalations(region)
    messages += rejections(rejected)
    messages += [Message(DECISIONS, b"HT01", b"\x00not a cloudevent") for _ in range(unreadable)]
    return messages
