"""The intake's loops: gate, sequencer and the region clock. No rules here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any

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
    seen,
    settings,
)
from services.intake.core import Refused, screen
from services.intake.record import Record
from services.intake.sequencer import Admission, Seen, Sequenced, sequence
from services.streams import (
    BATCH,
    BATCH_WITHIN,
    by_partition,
    catalogue_name,
    in_partition,
    wall_clock,
)

Sent = list[Awaitable[Any]]  # what the broker has yet to acknowledge


async def refuse(refusal: RejectedMessage, key: bytes | None) -> Awaitable[Any]:
    event = to_event(
        refusal,
        id=f"rejected:{refusal.topic}:{refusal.partition}:{refusal.offset}",
        source=INTAKE_SOURCE,
        time=refusal.rejected_at,
    )
    sent = await rejected.send(key=key, value=encode_structured(event))
    log.info(
        "refused",
        reason=refusal.reason.value,
        topic=refusal.topic,
        partition=refusal.partition,
        offset=refusal.offset,
        event_id=refusal.event_id,
        partner=refusal.partner_id,
    )
    return sent


async def append(event: SequencedEvent) -> Awaitable[Any]:
    value = encode_structured(event.to_cloudevent())
    return await region_events.send(key=event.region_pcode.encode(), value=value)


async def admit_or_refuse(event: EventT) -> Awaitable[Any]:
    """One ingress record: to the sequencer, or refused with a reason."""
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
        return await refuse(refusal, record.key)
    admission = Admission.of(record, outcome)
    return await admitted.send(key=admission.event_id.encode(), value=admission.to_bytes())


@app.agent(ingress, concurrency=1)
async def gate(stream: faust.StreamT) -> None:
    """Every ingress record is admitted (to the sequencer) or refused, never dropped. A batch
    at a time; its offsets commit (faust acks it) once the broker has all it sent."""
    # take_events is on faust.Stream, not on its StreamT stub
    async for batch in stream.take_events(BATCH, within=BATCH_WITHIN):  # type: ignore[attr-defined]
        await asyncio.gather(*[await admit_or_refuse(event) for event in batch])


async def sequence_batch(events: Sequence[EventT]) -> None:
    """Each admission in log order; each `seen` key written once per batch, in its event's
    changelog partition, and acknowledged before any region event of the batch leaves (a
    redelivered admission then finds its stamp and repeats its events byte for byte); returns
    when the broker has everything (only then does faust ack the batch, so commit its
    offsets)."""
    results: list[tuple[Admission, Sequenced]] = []
    for part in by_partition(events).values():
        remembered: dict[bytes, bytes] = {}  # this batch's writes, read before the table
        with in_partition(part[-1]):  # the table partition to read and write
            for event in part:
                admission = Admission.from_bytes(event.message.value or b"")
                key = admission.event_id.encode()
                known = remembered.get(key) or seen.get(key)
                result = sequence(
                    admission, None if known is None else Seen.from_bytes(known), wall_clock()
                )
                if result.remember is not None:
                    remembered[key] = result.remember.to_bytes()
                results.append((admission, result))
            for key, value in remembered.items():
                seen[key] = value
    await seen.acknowledged()
    sent: Sent = []
    for admission, result in results:
        for appended in result.events:
            sent.append(await append(appended))
            log.info("sequenced", region=appended.region_pcode, event_id=appended.event_id)
        if result.rejected is not None:
            sent.append(await refuse(result.rejected, admission.record.key))
    await asyncio.gather(*sent)


@app.agent(admitted, concurrency=1)
async def sequencer(stream: faust.StreamT) -> None:
    """First copy of an id: stamped into its regions' logs. Redelivery: the same again."""
    # take_events is on faust.Stream, not on its StreamT stub
    async for batch in stream.take_events(BATCH, within=BATCH_WITHIN):  # type: ignore[attr-defined]
        await sequence_batch(batch)


@app.timer(interval=settings.tick_interval, on_leader=True)
async def clock() -> None:
    """A RegionTick in every known region's log; one emitter (the leader) per group.

    The tick's sequence number and time derive from the wall clock's interval count, so a
    second emitter during a rebalance produces the same tick (same id), not a different one.
    """
    interval = settings.tick_interval
    sequence_no = int(wall_clock().timestamp() // interval)
    tick_at = datetime.fromtimestamp(sequence_no * interval, UTC)
    for region in sorted(regions.pcodes):
        await append(SequencedEvent.tick(region, tick_at, sequence_no))
