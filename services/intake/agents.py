"""The intake's loops: gate, sequencer and the region clock. No rules here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import faust
from faust.types import EventT

from schemas.codec import encode_structured, to_event
from schemas.outputs import RejectedMessage
from schemas.sequenced import INTAKE_SOURCE, SequencedEvent
from schemas.types import RejectReason
from services.intake.app import (
    admitted,
    app,
    ingress,
    log,
    partners,
    region_events,
    regions,
    rejected,
    seen_log,
    settings,
)
from services.intake.clock import RegionClock
from services.intake.core import Refused, screen
from services.intake.outbox import Outbox
from services.intake.record import Record
from services.intake.sequencer import Admission, Seen, Sequenced, sequence
from services.streams import (
    BATCH,
    batch_clock,
    catalogue_name,
    in_partition,
    more_coming,
    relayed,
    wall_clock,
)


def refuse(refusal: RejectedMessage, key: bytes | None, out: Outbox) -> None:
    event = to_event(
        refusal,
        id=f"rejected:{refusal.topic}:{refusal.partition}:{refusal.offset}",
        source=INTAKE_SOURCE,
        time=refusal.rejected_at,
    )
    out.add(rejected.get_topic_name(), key, encode_structured(event))
    log.info(
        "refused",
        reason=refusal.reason.value,
        topic=refusal.topic,
        partition=refusal.partition,
        offset=refusal.offset,
        event_id=refusal.event_id,
        partner=refusal.partner_id,
    )


async def append(event: SequencedEvent) -> None:
    value = encode_structured(event.to_cloudevent())
    await region_events.send(key=event.region_pcode.encode(), value=value)


def admit_or_refuse(event: EventT, out: Outbox) -> None:
    """One ingress record: to the sequencer, or refused with a reason (in ``out``)."""
    message = event.message
    record = Record.of(
        catalogue_name(message.topic, settings), message.partition, message.offset,
        message.key, message.value, message.headers,
        received_at=datetime.fromtimestamp(message.timestamp, UTC),
    )  # fmt: skip
    try:
        outcome = screen(record, partners, regions)
    except Exception:  # a bug of ours must not stop the gate nor lose the message
        log.exception("screening failed", topic=record.topic, offset=record.offset)
        outcome = Refused(RejectReason.MALFORMED, "intake could not read this message")
    if isinstance(outcome, Refused):
        refusal = record.rejection(
            outcome.reason, outcome.message,
            event_id=outcome.event_id, partner_id=outcome.partner_id,
        )  # fmt: skip
        refuse(refusal, record.key, out)
        return
    admission = Admission.of(record, outcome)
    out.add(admitted.get_topic_name(), admission.event_id.encode(), admission.to_bytes())


@app.agent(ingress, concurrency=1)
async def gate(stream: faust.StreamT) -> None:
    """Every ingress record is admitted (to the sequencer) or refused, never dropped. A batch
    is what the queue holds (up to BATCH), screened, its records handed to the producer, then
    acked. Unlike the sequencer's, it waits for nothing more: a busy gate finds its queue full
    anyway, and a lone message would otherwise wait twice (here and in the sequencer)."""
    stream.enable_acks = False
    out, batch, started = Outbox(app), list[EventT](), 0.0
    async with relayed(stream) as events:
        while (event := await events.get()) is not None:
            if not batch:
                started = batch_clock()
            admit_or_refuse(event, out)
            batch.append(event)
            if len(batch) >= BATCH or not await more_coming(events, started, within=0):
                await out.send()
                for done in batch:
                    await stream.ack(done)
                batch = []


@dataclass
class Batch:
    """Admissions sequenced since the last flush: the `seen` writes per partition (with one
    event of each, for faust's changelog partition), and what to send once they are in."""

    events: list[EventT] = field(default_factory=list)
    seen: dict[int, dict[bytes, bytes]] = field(default_factory=dict)
    last: dict[int, EventT] = field(default_factory=dict)
    results: list[tuple[Admission, Sequenced]] = field(default_factory=list)


def take(batch: Batch, event: EventT) -> None:
    """Stamp a first arrival, repeat a redelivery, refuse a duplicate (reading this batch's
    own `seen` writes before the table)."""
    partition = event.message.partition
    remembered = batch.seen.setdefault(partition, {})
    admission = Admission.from_bytes(event.message.value or b"")
    key = admission.event_id.encode()
    known = remembered.get(key)
    if known is None:
        known = seen_in(event, key)
    result = sequence(admission, None if known is None else Seen.from_bytes(known), wall_clock())
    if result.remember is not None:
        remembered[key] = result.remember.to_bytes()
    batch.results.append((admission, result))
    batch.events.append(event)
    batch.last[partition] = event


def seen_in(event: EventT, key: bytes) -> bytes | None:
    """``seen_log.get(key)`` in ``event``'s table partition."""
    with in_partition(event):
        return seen_log.get(key)


async def finish(batch: Batch, out: Outbox) -> None:
    """Each `seen` key written once per batch and handed to the producer (services/tables.py),
    before the batch's region events and refusals."""
    for partition, writes in batch.seen.items():
        with in_partition(batch.last[partition]):
            for key, value in writes.items():
                seen_log[key] = value
    await seen_log.send()
    topic = region_events.get_topic_name()
    for admission, result in batch.results:
        for appended in result.appended:
            out.add(topic, appended.region.encode(), appended.value)
            log.info("sequenced", region=appended.region, event_id=appended.event_id)
        if result.rejected is not None:
            refuse(result.rejected, admission.record.key, out)
    await out.send()


@app.agent(admitted, concurrency=1)
async def sequencer(stream: faust.StreamT) -> None:
    """First copy of an id: stamped into its regions' logs. Redelivery: the same again. A batch
    is what the stream holds, up to BATCH; it is acked once written and sent."""
    stream.enable_acks = False
    batch, started = Batch(), 0.0
    out = Outbox(app, remembered=(region_events.get_topic_name(),))
    async with relayed(stream) as events:  # services.streams.relayed: why not the stream itself
        while (event := await events.get()) is not None:
            if not batch.events:
                started = batch_clock()
            take(batch, event)
            if len(batch.events) >= BATCH or not await more_coming(events, started):
                await finish(batch, out)
                for done in batch.events:
                    await stream.ack(done)
                batch = Batch()


@app.task
async def without_monitor_sensor() -> None:
    """faust's Monitor sensor counts every event into and out of every stream and message (a
    few dict updates and clock reads each, on both hops); nothing in Corridor reads it (no web
    server). The consumer still calls ``app.monitor`` itself for offsets and commits.
    docs/architecture.md "Intake's rate"."""
    app.sensors.remove(app.monitor)


ticks = RegionClock(settings.tick_interval, regions.pcodes)


@app.task
async def clock() -> None:
    """A RegionTick in every known region's log, every interval once, each region at its own
    slot of the interval (services/intake/clock.py: why staggered); one emitter (the leader)
    per group. It wakes just after each slot starts, by the wall clock (faust's timer keeps its
    period at an arbitrary phase).

    The tick's sequence number and time derive from the wall clock's interval count, so a
    second emitter during a rebalance produces the same tick (same id and bytes), not a
    different one; the slots since the last one sent are sent too (a late or early wake-up
    skipped one and repeated the next).
    """
    while not app.should_stop:
        await app.sleep(ticks.wait(wall_clock().timestamp()))
        if not app.is_leader():
            ticks.pause()
            continue
        for tick in ticks.due(wall_clock().timestamp()):
            at = datetime.fromtimestamp(tick.at, UTC)
            await append(SequencedEvent.tick(tick.region, at, tick.sequence))
