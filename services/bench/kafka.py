"""Kafka plumbing for the benchmarks: produce a backlog or a paced stream, collect outputs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from services.kafka_access import connect

Message = tuple[bytes, bytes]  # key, value


async def produce(bootstrap: str, topic: str, messages: Sequence[Message],
                  rate: float | None = None) -> list[float]:  # fmt: skip
    """Send in order; at `rate` messages/s when given, else as fast as the broker takes them.
    Returns the wall time (s) each message was handed to the producer."""
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all", linger_ms=1)
    await producer.start()
    sent: list[float] = []
    try:
        start = time.perf_counter()
        pending = []
        for i, (key, value) in enumerate(messages):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent.append(time.time())
            pending.append(await producer.send(topic, value, key=key))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def read_from_start(access: dict[str, Any], topic: str, partitions: int) -> AIOKafkaConsumer:
    """A started consumer assigned every partition of ``topic``, at the beginning (no group)."""
    consumer = AIOKafkaConsumer(**access, enable_auto_commit=False)
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    return consumer


@dataclass
class Collector:
    """Reads a topic from the start into `records`, in the background."""

    bootstrap: str
    topic: str
    partitions: int
    records: list[ConsumerRecord] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = await read_from_start(connect(self.bootstrap), self.topic, self.partitions)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                self.records.extend(records)
                self.arrived.extend([now] * len(records))

    async def until(self, done: Callable[[list[ConsumerRecord]], bool], within: float) -> None:
        deadline = time.monotonic() + within
        while not done(self.records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.topic}: {len(self.records)} records after {within}s")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def raw_loop(bootstrap: str, source: str, sink: str, group: str, stop: asyncio.Event) -> None:
    """The ceiling for any Python processor: consume, hand to the producer, nothing else."""
    consumer = AIOKafkaConsumer(source, **connect(bootstrap), group_id=group,
                                auto_offset_reset="earliest")  # fmt: skip
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all", linger_ms=1)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    await producer.send(sink, record.value, key=record.key)
    finally:
        await producer.stop()
        await consumer.stop()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Result:
    name: str
    items: int  # households (allocator), admitted events (intake) or messages (the loops)
    seconds: float
    latencies: list[float]
    events: int = 0  # region events (allocator)
    timing: dict[str, float] = field(default_factory=dict)  # wall times of a run's steps
    arrivals: list[float] = field(default_factory=list)  # when each output was read

    def row(self, unit: str, items: int | None = None) -> str:
        rate = (self.items if items is None else items) / self.seconds
        if not self.latencies:
            return f"{self.name:<32} {rate:>12,.0f} {unit}"
        p50 = percentile(self.latencies, 0.50) * 1000
        p99 = percentile(self.latencies, 0.99) * 1000
        return (f"{self.name:<32} {rate:>12,.0f} {unit:<14} p50 {p50:>7.1f} ms"
                f"   p99 {p99:>7.1f} ms   ({len(self.latencies)} samples)")  # fmt: skip
