"""A faust worker on the real broker consumes a topic and keeps a changelog-backed table."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError

from services.config import PROJECT_ROOT
from services.kafka_access import connect


def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(topic, **connect(bootstrap), auto_offset_reset="earliest")


async def _read_until(consumer: AIOKafkaConsumer, done, limit: int = 160) -> list:
    """Read from the start until `done(records)`; the topic may not exist yet at first."""
    seen: list = []
    for _ in range(limit):
        try:
            await consumer.start()
            break
        except UnknownTopicOrPartitionError:
            await asyncio.sleep(0.25)
    try:
        for _ in range(limit):
            batch = await consumer.getmany(timeout_ms=500)
            seen.extend(r for records in batch.values() for r in records)
            if done(seen):
                return seen
    finally:
        await consumer.stop()
    raise AssertionError(f"gave up after {len(seen)} records: {[r.value for r in seen][-10:]}")


async def test_faust_agent_updates_changelog_table(
    kafka_bootstrap: str, create_topic, namespace, tmp_path
):
    source = await create_topic("source", partitions=2)
    sink = await create_topic("sink", partitions=1)
    app_id = f"{namespace}-counter"
    env = {
        **os.environ,
        "COUNTER_APP_ID": app_id, "COUNTER_BOOTSTRAP": kafka_bootstrap,
        "COUNTER_SOURCE": source, "COUNTER_SINK": sink, "COUNTER_PARTITIONS": "2",
        "COUNTER_DATADIR": str(tmp_path),
    }  # fmt: skip
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(  # noqa: ASYNC220 - the worker runs beside the test
        [sys.executable, "-m", "tests.integration.faust_counter", "worker", "-l", "warn",
         "--without-web"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    producer = AIOKafkaProducer(**connect(kafka_bootstrap))
    await producer.start()
    try:
        for key in [b"a", b"b", b"a", b"a", b"b"]:
            await producer.send_and_wait(source, b"x", key=key)
        sink_records = await _read_until(
            _consumer(kafka_bootstrap, sink), lambda seen: len(seen) >= 5
        )
        # The table wrote every update to its changelog topic: restorable state, not memory only.
        changelog = await _read_until(
            _consumer(kafka_bootstrap, f"{app_id}-counts-changelog"), lambda seen: len(seen) >= 5
        )
    finally:
        await producer.stop()
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
    assert sorted(r.value for r in sink_records) == [b"a=1", b"a=2", b"a=3", b"b=1", b"b=2"]
    latest = {r.key: r.value for r in changelog}
    assert set(latest) == {b"a", b"b"}
    assert [latest[b"a"], latest[b"b"]] == [b"3", b"2"]
