"""Where admitted records go: the ingress topic they name, as they are (intake sequences them)."""

from __future__ import annotations

from typing import Protocol

from aiokafka import AIOKafkaProducer

from schemas.catalogue import topic_name
from services.config import Settings
from services.intake.record import Record
from services.kafka_access import connect
from services.streams import MAX_MESSAGE_BYTES


class Publisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, record: Record) -> None: ...


class KafkaPublisher:
    """One producer per gateway process; a record is published once the broker acknowledged it
    on every in-sync replica (``acks=all``), as ``corridor publish`` does."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            **connect(self._settings.bootstrap_servers, "gateway", self._settings),
            acks="all",
            max_request_size=MAX_MESSAGE_BYTES,
            # a partner's request waits this long for the broker, then gets a 503 (aiokafka's
            # 40 s outlasts many HTTP clients, leaving the partner not knowing). A record the
            # broker takes later anyway is harmless: the partner sends it again under the same
            # id, and intake refuses the second copy as a duplicate.
            request_timeout_ms=int(self._settings.gateway_answer_within * 1000),
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, record: Record) -> None:
        if self._producer is None:
            raise RuntimeError("the publisher is not started")
        await self._producer.send_and_wait(
            topic_name(record.topic, self._settings.topic_namespace),
            record.value,
            key=record.key,
            headers=list(record.headers) or None,
        )
