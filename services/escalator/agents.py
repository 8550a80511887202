"""The escalator's loop: read the region log, fold it, send escalations and inbox copies.

Plain aiokafka (docs/architecture.md, "Escalator"): the state is a fold of the region log, so a
worker owns its offsets. Per batch: fold each event in log order, send what it caused, wait for
the broker's acks, then commit. A crash between the sends and the commit re-sends the same
revisions (same ids, same bytes), which every consumer deduplicates.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from schemas.codec import decode
from schemas.errors import CodecError
from schemas.sequenced import SequencedEvent
from services.escalator import app
from services.escalator.domain.events import AckIgnored, DomainEvent, EscalationChanged
from services.escalator.domain.messages import Operates, encode, publications
from services.escalator.store import Folds
from services.kafka_access import connect
from services.membership import group_instance_id
from services.streams import MAX_MESSAGE_BYTES

Outgoing = tuple[str, bytes, bytes]  # topic, key, value


def inboxes(partner_id: str) -> Operates | None:
    partner = app.partners.get(partner_id)
    return None if partner is None or not partner.inbox else partner.operates_shelter


def outgoing(events: list[DomainEvent]) -> list[Outgoing]:
    """The full record of each change for operations centres, and each recipient's copy."""
    for event in events:
        if isinstance(event, AckIgnored):
            app.log.warning("acknowledgement ignored", escalation_id=event.escalation_id,
                            partner_id=event.partner_id, why=event.why)  # fmt: skip
        elif isinstance(event, EscalationChanged):
            e = event.escalation
            app.log.info(
                type(event).__name__, region=e.region, escalation_id=e.escalation_id,
                revision=e.revision, level=e.level.value, status=e.status.value,
                recipients=len(e.recipients),
            )  # fmt: skip
    return [
        (app.escalations if partner is None else app.inbox(partner),
         record.region_pcode.encode(), encode(record))
        for partner, record in publications(events, inboxes)
    ]  # fmt: skip


class Worker(ConsumerRebalanceListener):
    """One escalator worker: its regions' folds, how far each partition is folded, and up to
    where a partition is being rebuilt (folded again without sending: it was sent before)."""

    def __init__(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        self.consumer, self.producer = consumer, producer
        self.folds: Folds = app.folds()
        self.position: dict[int, int] = {}
        self.quiet_until: dict[int, int] = {}
        self.committed: dict[int, int] = {}
        self.snapshots = app.snapshots()
        self.saved: dict[int, float] = {}  # when each partition's snapshot was written
        self.rebuilding: dict[int, float] = {}  # since when

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        app.log.info("partitions revoked", partitions=sorted(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Rebuild what is not folded up to the committed offset; drop what moved away."""
        mine = {tp.partition for tp in assigned}
        gone = set(self.position) - mine
        self.folds.forget(gone)
        for partition in gone:
            del self.position[partition]
        for tp in sorted(assigned, key=lambda t: t.partition):
            committed = self.committed[tp.partition] = await self.consumer.committed(tp) or 0
            self.saved.setdefault(tp.partition, time.monotonic())  # the first one `every` from now
            if self.position.get(tp.partition) == committed:
                continue
            start = self.restore(tp.partition, committed)
            self.position[tp.partition] = start
            self.quiet_until[tp.partition] = committed
            self.consumer.seek(tp, start)
            if committed > start:
                app.log.info("rebuilding", partition=tp.partition, start=start, until=committed)
                self.rebuilding[tp.partition] = time.monotonic()
        app.log.info("partitions assigned", partitions=sorted(mine))

    def restore(self, partition: int, committed: int) -> int:
        """The partition's folds from its snapshot (snapshot.py), or none: where to fold from."""
        self.folds.forget({partition})
        if not committed:
            return 0
        found = self.snapshots.load(partition, committed)
        if found is None:
            if self.snapshots.reason != "none":
                app.log.warning("snapshot not used", partition=partition,
                                why=self.snapshots.reason)  # fmt: skip
            return 0
        offset, regions = found
        self.folds.restore(partition, regions)
        app.log.info("snapshot restored", partition=partition, offset=offset)
        return int(offset)

    def rebuilt(self, partition: int) -> None:
        began = self.rebuilding.pop(partition, None)
        if began is not None:
            app.log.info("rebuilt", partition=partition, until=self.quiet_until[partition],
                         seconds=round(time.monotonic() - began, 3))  # fmt: skip

    def save(self, every: float, partitions: Iterable[int]) -> None:
        """Snapshot the partitions folded up to their committed offset (no further: a snapshot
        past the commit would not be used) whose last snapshot is ``every`` seconds old."""
        now = time.monotonic()
        for partition in partitions:
            position = self.position.get(partition)
            if position is None or position > self.committed.get(partition, 0):
                continue
            if now - self.saved.get(partition, -math.inf) < every:
                continue
            self.saved[partition] = now
            try:
                size = self.snapshots.save(partition, position, self.folds.export(partition))
            except OSError as exc:  # a cache: a full disk must not stop the escalations
                app.log.warning("snapshot not written", partition=partition,
                                error=type(exc).__name__, detail=str(exc)[:200])  # fmt: skip
                continue
            app.log.debug("snapshot written", partition=partition, offset=position, bytes=size)

    def fold(
        self, value: bytes | None, headers: Any, partition: int, offset: int
    ) -> list[DomainEvent]:
        try:
            event = SequencedEvent.from_cloudevent(decode(value, headers))
        except CodecError as exc:
            # Only intake writes this log; an unreadable event is a bug to look at, loudly.
            app.log.error("unreadable region event", partition=partition, offset=offset,
                          reason=exc.reason.value, error=exc.message)  # fmt: skip
            return []
        return self.folds.advance(event, partition)

    async def step(self) -> None:
        """One batch: fold each record exactly once, in offset order (whatever the consumer
        redelivers or skips), send what it caused, wait for the broker, commit."""
        batch = await self.consumer.getmany(timeout_ms=500, max_records=500)
        sends = []
        offsets: dict[TopicPartition, int] = {}
        for tp, records in sorted(batch.items(), key=lambda item: item[0].partition):
            for record in records:
                expected = self.position.get(tp.partition)
                if expected is None or record.offset < expected:
                    continue  # folded already (or no longer ours)
                if record.offset > expected:
                    self.consumer.seek(tp, expected)  # never skip an event: fetch the gap
                    break
                events = self.fold(record.value, record.headers, tp.partition, record.offset)
                self.position[tp.partition] = record.offset + 1
                if record.offset < self.quiet_until.get(tp.partition, 0):
                    if record.offset + 1 == self.quiet_until[tp.partition]:
                        self.rebuilt(tp.partition)
                    continue  # rebuilding: sent before the restart
                for topic, key, value in outgoing(events):
                    sends.append(await self.producer.send(topic, value=value, key=key))
                offsets[tp] = record.offset + 1
        if sends:
            await asyncio.gather(*sends)
        if offsets:
            await self.consumer.commit(offsets)
            for tp, offset in offsets.items():
                self.committed[tp.partition] = offset
            self.save(app.settings.escalator_snapshot_every, (tp.partition for tp in offsets))


async def run(stop: asyncio.Event) -> None:
    settings = app.settings
    consumer = AIOKafkaConsumer(
        **connect(settings.bootstrap_servers, "escalator", settings), group_id=app.group_id,
        group_instance_id=group_instance_id(settings, app.group_id),  # services/membership.py
        enable_auto_commit=False, auto_offset_reset="earliest",
        session_timeout_ms=int(settings.session_timeout * 1000),
        heartbeat_interval_ms=min(3000, int(settings.session_timeout * 1000) // 3),
        max_poll_interval_ms=600_000,
    )  # fmt: skip
    producer = AIOKafkaProducer(
        **connect(settings.bootstrap_servers, "escalator", settings), acks="all",
        enable_idempotence=True,
        max_request_size=MAX_MESSAGE_BYTES, linger_ms=5,
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    worker = Worker(consumer, producer)
    consumer.subscribe([app.region_events], listener=worker)
    app.log.info("escalator started", group=app.group_id)
    try:
        while not stop.is_set():
            await worker.step()
        worker.save(0, list(worker.position))  # a clean stop: the next start folds nothing
    finally:
        await consumer.stop()
        await producer.stop()
