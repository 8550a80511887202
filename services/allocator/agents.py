"""The allocator's loop: read the region log, call the core, record, emit. No rules here."""

from __future__ import annotations

from typing import Any

import faust

from schemas.codec import decode
from schemas.errors import CodecError
from schemas.sequenced import SequencedEvent
from services.allocator.app import app, config, decisions, log, region_events, settings, states
from services.allocator.domain.decide import decide
from services.allocator.domain.decisions import encode_decision
from services.allocator.store import read_range


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # faust's stub is stricter than its calls
async def _revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
    log.info(
        "partitions revoked", partitions=sorted(tp.partition for tp in (args[0] if args else ()))
    )
    states.forget()


@app.on_partitions_assigned.connect  # type: ignore[arg-type]
async def _assigned(sender: Any, *args: Any, **kwargs: Any) -> None:
    log.info(
        "partitions assigned", partitions=sorted(tp.partition for tp in (args[0] if args else ()))
    )
    states.forget()


async def handle(value: bytes | None, headers: Any, partition: int, offset: int) -> None:
    """One region event: decide, record, emit; or re-emit what a processed event decided."""
    try:
        region_event = SequencedEvent.from_cloudevent(decode(value, headers))
    except CodecError as exc:
        # Only intake writes this log; an unreadable event is a bug to look at, loudly.
        log.error("unreadable region event", partition=partition, offset=offset,
                  reason=exc.reason.value, error=exc.message)  # fmt: skip
        states.mark(partition, offset)
        return
    region = region_event.region_pcode
    state = states.get(region)
    outcome = decide(state, region_event, config)
    log.debug("event", region=region, event_id=region_event.event_id, partition=partition,
              offset=offset, duplicate=outcome.duplicate, pending=len(state.pending))  # fmt: skip
    if outcome.duplicate:
        recorded = state.processed.get(region_event.event_id)
        for decision_id in recorded.decision_ids if recorded else ():
            encoded = states.recorded(region, decision_id)
            if encoded is not None:
                await decisions.send(key=region.encode(), value=encoded)
        states.mark(partition, offset)
        log.info("redelivered", region=region, event_id=region_event.event_id)
        return
    encoded_decisions = [(d, encode_decision(d)) for d in outcome.decisions]
    states.apply(state, outcome.events, [(d.decision_id, raw) for d, raw in encoded_decisions])
    states.mark(partition, offset)
    for decision, encoded in encoded_decisions:
        await decisions.send(key=region.encode(), value=encoded)
        log.info(
            "decided", region=region, event_id=region_event.event_id,
            decision_id=decision.decision_id, placed=len(decision.placements),
            waitlisted=len(decision.waitlisted),
        )  # fmt: skip


async def catch_up(topic: str, partition: int, offset: int) -> None:
    """Handle every event between the table's mark and `offset` first: the log has no gaps,
    so a gap means events were skipped. It happens after a crash: faust may commit an offset
    before the changelog writes of its events reached the broker, and a new worker may be
    handed a few messages from offset 0 before it seeks to that committed offset."""
    mark = states.marked(partition)
    start = 0 if mark is None else mark + 1
    if start >= offset:
        return
    log.warning("catching up", partition=partition, start=start, until=offset)
    async for record in read_range(settings.bootstrap_servers, topic, partition, start, offset):
        await handle(record.value, record.headers, partition, record.offset)


@app.agent(region_events, concurrency=1)
async def allocate(stream: faust.StreamT) -> None:
    async for event in stream.events():
        message = event.message
        await catch_up(message.topic, message.partition, message.offset)
        await handle(message.value, message.headers, message.partition, message.offset)
