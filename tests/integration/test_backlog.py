"""`corridor status`'s backlog on the real broker: per processor, the records its group has not
committed past on the topics it reads, the oldest one's log time, and the workers in the group."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.catalogue import REGION_EVENTS, topic_name
from services.config import processor_id
from services.kafka_access import connect
from services.stack.backlog import backlogs
from services.stack.local import prepare


async def _records(bootstrap: str, topic: str, n: int) -> tuple[int, list[int]]:
    """n records with one key (one partition): the partition and each record's log time (ms)."""
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all")
    await producer.start()
    try:
        sent = [await producer.send_and_wait(topic, b"{}", key=b"HT01") for _ in range(n)]
    finally:
        await producer.stop()
    return sent[0].partition, [m.timestamp for m in sent]


async def test_waiting_records_their_age_and_the_workers(
    kafka_bootstrap: str, namespace: str
) -> None:
    await prepare(kafka_bootstrap, namespace)
    region = topic_name(REGION_EVENTS, namespace)
    partition, times = await _records(kafka_bootstrap, region, 5)
    found = {b.processor: b for b in await backlogs(kafka_bootstrap, namespace)}
    assert set(found) == {"intake", "allocator", "escalator", "ledger"}
    assert found["intake"].total == 0 and found["intake"].oldest is None
    for reader in ("allocator", "escalator", "ledger"):  # the region log's three readers
        assert dict(found[reader].waiting) == {region: 5}
        assert found[reader].workers == 0
        assert found[reader].oldest == datetime.fromtimestamp(times[0] / 1000, UTC)

    # the allocator committed past three of them; a worker joins the escalator's group
    tp = TopicPartition(region, partition)
    allocator = AIOKafkaConsumer(**connect(kafka_bootstrap), enable_auto_commit=False,
                                 group_id=processor_id("allocator", namespace))  # fmt: skip
    escalator = AIOKafkaConsumer(**connect(kafka_bootstrap), enable_auto_commit=False,
                                 group_id=processor_id("escalator", namespace))  # fmt: skip
    await allocator.start()
    await escalator.start()
    try:
        allocator.assign([tp])
        await allocator.commit({tp: 3})
        escalator.subscribe([region])
        while not escalator.assignment():
            await escalator.getmany(timeout_ms=100)
        await asyncio.sleep(0)
        found = {b.processor: b for b in await backlogs(kafka_bootstrap, namespace)}
        # the ledger keeps its offsets in PostgreSQL: given, they are what counts
        kept = {"ledger": {(region, partition): 4}}
        (ledger,) = await backlogs(kafka_bootstrap, namespace, ["ledger"], kept=kept)
    finally:
        await allocator.stop()
        await escalator.stop()
    assert dict(found["allocator"].waiting) == {region: 2}
    assert found["allocator"].oldest == datetime.fromtimestamp(times[3] / 1000, UTC)
    assert (found["escalator"].workers, found["escalator"].state) == (1, "Stable")
    assert dict(ledger.waiting) == {region: 1}
    assert ledger.oldest == datetime.fromtimestamp(times[4] / 1000, UTC)
    now = datetime.fromtimestamp(times[3] / 1000 + 75, UTC)
    assert found["allocator"].describe(now) == (
        f"no worker (Empty); 2 records waiting ({region} 2), the oldest from 1 min ago"
    )
