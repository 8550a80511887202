"""The allocator's loop: read the region log, call the core, record, emit. No rules here."""

from __future__ import annotations

from typing import Any

import faust

from schemas.codec import decode
from schemas.errors import CodecError
from schemas.sequenced import SequencedEvent
from services.allocator.app import app, config, decisions, log, region_events, states
from services.allocator.core import decide
from services.allocator.output import encode_decision


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # faust's stub is stricter than its calls
async def _revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
    states.forget()


@app.on_partitions_assigned.connect  # type: ignore[arg-type]
async def _assigned(sender: Any, *args: Any, **kwargs: Any) -> None:
    states.forget()


@app.agent(region_events, concurrency=1)
async def allocate(stream: faust.StreamT) -> None:
    async for event in stream.events():
        message = event.message
        try:
            region_event = SequencedEvent.from_cloudevent(decode(message.value, message.headers))
        except CodecError as exc:
            # Only intake writes this log; an unreadable event is a bug to look at, loudly.
            log.error("unreadable region event", topic=message.topic,
                      partition=message.partition, offset=message.offset,
                      reason=exc.reason.value, error=exc.message)  # fmt: skip
            continue
        region = region_event.region_pcode
        state = states.get(region)
        outcome = decide(state, region_event, config)
        if outcome.duplicate:
            recorded = state.processed.get(region_event.event_id)
            for decision_id in recorded.decision_ids if recorded else ():
                encoded = states.recorded(region, decision_id)
                if encoded is not None:
                    await decisions.send(key=region.encode(), value=encoded)
            log.info("redelivered", region=region, event_id=region_event.event_id)
            continue
        encoded_decisions = [(d, encode_decision(d)) for d in outcome.decisions]
        states.apply(state, outcome.delta, [(d.decision_id, raw) for d, raw in encoded_decisions])
        for decision, encoded in encoded_decisions:
            await decisions.send(key=region.encode(), value=encoded)
            log.info(
                "decided", region=region, event_id=region_event.event_id,
                decision_id=decision.decision_id, placed=len(decision.placements),
                waitlisted=len(decision.waitlisted),
            )  # fmt: skip
