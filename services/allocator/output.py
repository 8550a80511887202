"""How a decision goes on the wire: one CloudEvent per decision, its id the decision id."""

from __future__ import annotations

from schemas.codec import encode_structured, to_event
from schemas.outputs import AllocationDecision

SOURCE = "corridor:allocator"


def encode_decision(decision: AllocationDecision) -> bytes:
    event = to_event(
        decision, id=decision.decision_id, source=SOURCE, time=decision.decided_at,
        subject=decision.region_pcode,
    )  # fmt: skip
    return encode_structured(event)
