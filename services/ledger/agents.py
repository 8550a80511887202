"""The ledger's loop: fetch a batch → map it to rows (pure) → write rows and offsets at once.

On assignment every partition is sought to the offset stored in PostgreSQL, so whatever Kafka
redelivers, each message reaches the database exactly once. No rules here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.ledger import store
from services.ledger.app import Wiring
from services.ledger.rows import Record, Rows, rows_of, unreadable
from services.offsets import stored_offsets

log = structlog.get_logger()


class SeekToStored(ConsumerRebalanceListener):
    """On assignment, continue every partition where the database says it stopped."""

    def __init__(
        self, wiring: Wiring, consumer: AIOKafkaConsumer, conn: asyncpg.Connection
    ) -> None:
        self.wiring, self.consumer, self.conn = wiring, consumer, conn

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        pass  # every batch is committed with its offsets before the next fetch

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        stored = await stored_offsets(self.conn, self.wiring.group, self.wiring.topics)
        fresh = []
        for tp in assigned:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                fresh.append(tp)
            else:
                self.consumer.seek(tp, offset)
        if fresh:
            await self.consumer.seek_to_beginning(*fresh)
        log.info("ledger.assigned", partitions=len(assigned), resumed=len(assigned) - len(fresh))


def _record(wiring: Wiring, message: ConsumerRecord) -> Record:
    return Record(
        topic=wiring.topics.get(message.topic, message.topic),
        partition=message.partition,
        offset=message.offset,
        value=message.value,
        headers=tuple((k, v or b"") for k, v in message.headers or ()),
    )


async def _write_one_by_one(
    conn: asyncpg.Connection, group: str, items: list[tuple[str, Record, Rows]]
) -> None:
    """A batch the database refused: write it message by message, recording any it refuses."""
    for topic, record, rows in items:
        offsets = {(topic, record.partition): record.offset + 1}
        try:
            await store.write(conn, group, rows, offsets)
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
            reason = type(exc).__name__
            log.warning("ledger.refused_by_database", topic=topic, offset=record.offset)
            await store.write(conn, group, unreadable(record, reason, str(exc)), offsets)


async def handle(
    conn: asyncpg.Connection, wiring: Wiring, batch: dict[TopicPartition, list[ConsumerRecord]]
) -> int:
    """Write one fetched batch; returns the number of messages."""
    items = [(tp.topic, _record(wiring, m), Rows()) for tp, ms in batch.items() for m in ms]
    rows = Rows()
    for _, record, mapped in items:
        mapped.extend(rows_of(record))
        rows.extend(mapped)
    offsets = {(tp.topic, tp.partition): ms[-1].offset + 1 for tp, ms in batch.items() if ms}
    try:
        await store.write(conn, wiring.group, rows, offsets)
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError):
        await _write_one_by_one(conn, wiring.group, items)
    unread = len(rows.tables.get("ledger_unreadable", ()))
    if unread:
        log.warning("ledger.unreadable", messages=unread)
    return len(items)


async def run(wiring: Wiring, stop: asyncio.Event) -> None:
    conn, rebalance_conn = await wiring.connect(), await wiring.connect()
    await store.prepare(conn)
    consumer = wiring.consumer()
    consumer.subscribe(
        topics=list(wiring.topics), listener=SeekToStored(wiring, consumer, rebalance_conn)
    )
    await consumer.start()
    log.info("ledger.started", group=wiring.group, topics=sorted(wiring.topics))
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=wiring.batch)
            if batch:
                await handle(conn, wiring, batch)
    finally:
        await consumer.stop()
        await conn.close()
        await rebalance_conn.close()
