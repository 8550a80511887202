"""The allocator's loop: read the region log a batch at a time, call the core, record, emit.
No rules here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import EventT

from schemas.codec import decode
from schemas.errors import CodecError
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from services.allocator.app import (
    app,
    changelog,
    config,
    decisions,
    log,
    region_events,
    settings,
    states,
)
from services.allocator.domain.decide import decide
from services.allocator.domain.decisions import encode_decision
from services.allocator.domain.events import ConfirmationIgnored
from services.allocator.store import read_range
from services.delivered import watch
from services.streams import BATCH, batch_clock, in_partition, more_coming, relayed

JOURNAL_LIMIT = 1024 * 1024  # a batch's journal flushes early past this (messages ≤ 4 MiB)
Output = tuple[bytes, bytes]  # key, value of a decision to send


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


def handle(value: bytes | None, headers: Any, partition: int, offset: int) -> list[Output]:
    """One region event: decide and record in the batch; or what a processed event decided."""
    return _handle(value, headers, partition, offset)[0]


def _handle(
    value: bytes | None, headers: Any, partition: int, offset: int
) -> tuple[list[Output], bool]:
    """`handle`, and whether the event was a tick that decided something (a seal)."""
    try:
        region_event = SequencedEvent.from_cloudevent(decode(value, headers))
    except CodecError as exc:
        # Only intake writes this log; an unreadable event is a bug to look at, loudly.
        log.error("unreadable region event", partition=partition, offset=offset,
                  reason=exc.reason.value, error=exc.message)  # fmt: skip
        states.mark(partition, offset)
        return [], False
    region = region_event.region_pcode
    state = states.get(region, partition)
    outcome = decide(state, region_event, config)
    if outcome.duplicate:
        recorded = state.processed.get(region_event.event_id)
        again = [states.recorded(region, d, partition)
                 for d in (recorded.decision_ids if recorded else ())]  # fmt: skip
        states.mark(partition, offset)
        log.info("redelivered", region=region, event_id=region_event.event_id)
        return [(region.encode(), raw) for raw in again if raw is not None], False
    for ignored in outcome.events:
        if isinstance(ignored, ConfirmationIgnored):  # no decision says so: the log must
            log.warning(
                "confirmation ignored", region=region, event_id=region_event.event_id,
                alert_id=ignored.alert_id, partner=ignored.partner_id, why=ignored.why,
            )  # fmt: skip
    encoded = [(d, encode_decision(d)) for d in outcome.decisions]
    states.apply(state, outcome.events, [(d.decision_id, raw) for d, raw in encoded], partition)
    states.mark(partition, offset)
    for decision, _ in encoded:
        log.info(
            "decided", region=region, event_id=region_event.event_id,
            decision_id=decision.decision_id, placed=len(decision.placements),
            waitlisted=len(decision.waitlisted),
        )  # fmt: skip
    sealed = bool(encoded) and isinstance(region_event.payload, RegionTick)
    return [(region.encode(), raw) for _, raw in encoded], sealed


async def catch_up(topic: str, partition: int, offset: int) -> list[Output]:
    """Handle every event between the last one handled and `offset` first: the log has no
    gaps, so a gap means events were skipped. It happens after a crash: faust may commit an
    offset before the changelog writes of its events reached the broker, and a new worker may
    be handed a few messages from offset 0 before it seeks to that committed offset."""
    mark = states.marked(partition)
    start = 0 if mark is None else mark + 1
    if start >= offset:
        return []
    log.warning("catching up", partition=partition, start=start, until=offset)
    outputs = []
    async for record in read_range(settings.bootstrap_servers, topic, partition, start, offset):
        outputs += handle(record.value, record.headers, partition, record.offset)
    return outputs


def live(timestamp: float) -> bool:
    """Whether a record was written less than a tick interval ago: the worker keeps up with the
    log, rather than working through a backlog (after a restart, a burst), where a batch that
    ended at every seal would be ten events long. (The wall clock decides only when a batch
    ends, never what is decided: decisions take their time from the log.)"""
    return time.time() - timestamp < settings.tick_interval  # faust's: seconds, not Kafka's ms


@dataclass
class Batch:
    """The events handled since the last flush, the partitions they came from (and one event
    of each, for faust's changelog partition), and the decisions to send."""

    events: list[EventT] = field(default_factory=list)
    last: dict[int, EventT] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)
    sealed: bool = False  # a live tick decided: its households wait for the batch to end


async def take(batch: Batch, event: EventT) -> None:
    """One event from the stream, in its partition's log order (catching up a gap first)."""
    message = event.message
    partition = message.partition
    with in_partition(event):
        states.settle(partition)
        batch.outputs += await catch_up(message.topic, partition, message.offset)
        outputs, sealed = _handle(message.value, message.headers, partition, message.offset)
        batch.outputs += outputs
        batch.sealed = batch.sealed or (sealed and live(message.timestamp))
        if states.pending_size(partition) > JOURNAL_LIMIT:
            states.flush(partition)
    batch.events.append(event)
    batch.last[partition] = event


async def finish(batch: Batch) -> None:
    """Each partition's writes journalled and written once (handed to the producer as record
    batches, services/tables.py), then the decisions handed to the producer. Not awaited
    until the broker has them: see docs/architecture.md "Crash safety of the allocator"
    (waiting stalled restarted workers in the SIGKILL soak)."""
    for partition, event in batch.last.items():
        with in_partition(event):
            states.flush(partition)
    await changelog.send()
    topic = decisions.get_topic_name()
    for key, value in batch.outputs:  # faust's producer itself: no sensors, no buffer
        watch(await app.producer.send(topic, key, value, None, None, None), topic)


@app.agent(region_events, concurrency=1)
async def allocate(stream: faust.StreamT) -> None:
    """A batch is what the stream holds when the agent gets to it, up to BATCH events: it ends
    when no event comes for BATCH_WITHIN (a lone event waits 10 ms at most), when it is
    BATCH_AGE old (20 ms after its first event), when it is full, or as soon as a live tick
    sealed a micro-batch: those households have waited for the tick already (at most one tick
    per region and interval, so this adds few batches)."""
    stream.enable_acks = False  # acked below, once the batch is written
    batch, started = Batch(), 0.0
    async with relayed(stream) as events:
        while (event := await events.get()) is not None:
            if not batch.events:
                started = batch_clock()
            await take(batch, event)
            full = len(batch.events) >= BATCH or batch.sealed
            if full or not await more_coming(events, started):
                await finish(batch)
                for done in batch.events:
                    await stream.ack(done)
                batch = Batch()
