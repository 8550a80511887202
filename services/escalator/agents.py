"""The escalator's loop: read the region log, fold it, send escalations and inbox copies.

Plain aiokafka (docs/architecture.md, "Escalator"): the state is a fold of the region log, so a
worker owns its offsets. Per batch: fold each event in log order, send what it caused, wait for
the broker's acks, then commit. A crash between the sends and the commit re-sends the same
revisions (same ids, same bytes), which every consumer deduplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from schemas.codec import decode
from schemas.errors import CodecError
from schemas.sequenced import SequencedEvent
from services.allocator.audit import read_range
from services.escalator import app
from services.escalator.domain.events import AckIgnored, DomainEvent, EscalationChanged
from services.escalator.domain.messages import encode, minimise, to_contract
from services.escalator.store import Folds
from services.streams import MAX_MESSAGE_BYTES

Outgoing = tuple[str, bytes, bytes]  # topic, key, value


def outgoing(events: Iterable[DomainEvent]) -> list[Outgoing]:
    """The full record of each change for operations centres, and each recipient's copy."""
    found: list[Outgoing] = []
    for event in events:
        if isinstance(event, AckIgnored):
            app.log.warning("acknowledgement ignored", escalation_id=event.escalation_id,
                            partner_id=event.partner_id, why=event.why)  # fmt: skip
            continue
        if not isinstance(event, EscalationChanged):
            continue
        record = to_contract(event.escalation)
        key = record.region_pcode.encode()
        found.append((app.escalations, key, encode(record)))
        for partner_id in record.recipients:
            partner = app.partners.get(partner_id)
            if partner is None or not partner.inbox:
                continue
            copy = minimise(record, partner_id, partner.operates_shelter)
            found.append((app.inbox(partner_id), key, encode(copy)))
        app.log.info(
            type(event).__name__, region=record.region_pcode, escalation_id=record.escalation_id,
            revision=record.revision, level=record.level.value, status=record.status.value,
            recipients=len(record.recipients),
        )  # fmt: skip
    return found


class Worker(ConsumerRebalanceListener):
    """One escalator worker: its regions' folds and how far each partition is folded."""

    def __init__(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        self.consumer, self.producer = consumer, producer
        self.folds: Folds = app.folds()
        self.position: dict[int, int] = {}

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
            committed = await self.consumer.committed(tp) or 0
            if self.position.get(tp.partition) == committed:
                continue
            self.folds.forget({tp.partition})
            await self.rebuild(tp, committed)
            self.consumer.seek(tp, committed)
        app.log.info("partitions assigned", partitions=sorted(mine))

    async def rebuild(self, tp: TopicPartition, until: int) -> None:
        """Fold offsets [0, until) again, sending nothing: it was sent before."""
        if until:
            app.log.info("rebuilding", partition=tp.partition, until=until)
        async for record in read_range(
            app.settings.bootstrap_servers, tp.topic, tp.partition, 0, until
        ):
            self.fold(record.value, record.headers, tp.partition, record.offset)
        self.position[tp.partition] = until

    def fold(
        self, value: bytes | None, headers: object, partition: int, offset: int
    ) -> list[DomainEvent]:
        try:
            event = SequencedEvent.from_cloudevent(decode(value, headers))  # type: ignore[arg-type]
        except CodecError as exc:
            # Only intake writes this log; an unreadable event is a bug to look at, loudly.
            app.log.error("unreadable region event", partition=partition, offset=offset,
                          reason=exc.reason.value, error=exc.message)  # fmt: skip
            return []
        return self.folds.advance(event, partition)

    async def step(self) -> None:
        batch = await self.consumer.getmany(timeout_ms=500, max_records=500)
        sends = []
        offsets: dict[TopicPartition, int] = {}
        for tp, records in sorted(batch.items(), key=lambda item: item[0].partition):
            for record in records:
                events = self.fold(record.value, record.headers, tp.partition, record.offset)
                for topic, key, value in outgoing(events):
                    sends.append(await self.producer.send(topic, value=value, key=key))
                self.position[tp.partition] = offsets[tp] = record.offset + 1
        if sends:
            await asyncio.gather(*sends)
        if offsets:
            await self.consumer.commit(offsets)


async def run(stop: asyncio.Event) -> None:
    settings = app.settings
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=app.group_id,
        enable_auto_commit=False, auto_offset_reset="earliest",
        session_timeout_ms=int(settings.session_timeout * 1000),
        heartbeat_interval_ms=min(3000, int(settings.session_timeout * 1000) // 3),
        max_poll_interval_ms=600_000,
    )  # fmt: skip
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=True,
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
    finally:
        await consumer.stop()
        await producer.stop()
