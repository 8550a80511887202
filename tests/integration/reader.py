"""Read what processors wrote, from the beginning of their output topics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from services.kafka_access import connect


@dataclass
class TopicReader:
    """One consumer over several topics; `read_until` accumulates into `records`."""

    bootstrap: str
    topics: list[str]
    records: list[ConsumerRecord] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> TopicReader:
        self._consumer = AIOKafkaConsumer(
            *self.topics, **connect(self.bootstrap), auto_offset_reset="earliest",
            enable_auto_commit=False, fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
        )  # fmt: skip
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._consumer is not None
        await self._consumer.stop()

    async def read_until(
        self, done: Callable[[list[ConsumerRecord]], bool], *, within: float = 60
    ) -> list[ConsumerRecord]:
        assert self._consumer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not done(self.records):
            if loop.time() > deadline:
                raise AssertionError(f"gave up after {len(self.records)} records")
            batch = await self._consumer.getmany(timeout_ms=250)
            for records in batch.values():
                self.records.extend(records)
        return self.records

    async def linger(self, seconds: float = 2.0) -> list[ConsumerRecord]:
        """Keep reading for `seconds` more, to catch anything written twice."""
        assert self._consumer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            batch = await self._consumer.getmany(timeout_ms=250)
            self.records.extend(r for records in batch.values() for r in records)
        return self.records
