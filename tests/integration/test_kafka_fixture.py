"""The broker fixture is a real Kafka: produce, consume, and topic creation go through it."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.kafka_access import connect
from services.stack import topics


async def test_produce_and_consume_round_trip(
    kafka_bootstrap: str, create_topic, namespace
) -> None:
    topic = await create_topic("roundtrip", partitions=3)
    producer = AIOKafkaProducer(**connect(kafka_bootstrap), acks="all")
    await producer.start()
    try:
        for i in range(30):
            await producer.send_and_wait(topic, f"v{i}".encode(), key=f"k{i % 5}".encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, **connect(kafka_bootstrap), group_id=f"{namespace}.g",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: dict[bytes, list[bytes]] = {}
    try:
        while sum(len(v) for v in seen.values()) < 30:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    seen.setdefault(record.key, []).append(record.value)
    finally:
        await consumer.stop()
    assert sorted(seen) == [f"k{i}".encode() for i in range(5)]
    # One key lands in one partition, so its values keep their order.
    assert seen[b"k0"] == [f"v{i}".encode() for i in range(0, 30, 5)]


async def test_topic_created_with_requested_partitions_and_config(
    kafka_bootstrap: str, create_topic
) -> None:
    name = await create_topic(
        "sized", partitions=7, retention_ms=3_600_000, cleanup_policy="compact"
    )
    assert await topics.describe(kafka_bootstrap, [name]) == {name: 7}
    # Creating it again is harmless and changes nothing.
    assert (
        await topics.ensure_topics(kafka_bootstrap, [topics.TopicPlan(name, 7, None, "delete")])
        == []
    )

    configs = await topics.topic_config(kafka_bootstrap, name)
    assert configs["cleanup.policy"] == "compact"
    assert configs["retention.ms"] == "3600000"
