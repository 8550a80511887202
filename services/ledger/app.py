"""The ledger's wiring: its topics, consumer group, Kafka consumer and database connections.

Plain aiokafka, not faust: the ledger must own its offsets and commit them in the same
PostgreSQL transaction as the rows (faust commits offsets to Kafka itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer

from schemas.catalogue import topic_name
from services.config import Settings, processor_id
from services.kafka_access import connect
from services.ledger.rows import TOPICS
from services.membership import group_instance_id

MAX_FETCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Wiring:
    group: str
    topics: dict[str, str]  # broker topic name → catalogue name
    bootstrap: str
    dsn: str
    session_timeout: float
    batch: int  # most messages per transaction
    instance_id: str | None  # group.instance.id (services/membership.py)

    @classmethod
    def of(cls, settings: Settings) -> Wiring:
        """A worker's wiring: claims its static membership slot for the process's life."""
        namespace = settings.topic_namespace
        group = processor_id("ledger", namespace)
        return cls(
            group=group,
            topics={topic_name(name, namespace): name for name in TOPICS},
            bootstrap=settings.bootstrap_servers,
            dsn=settings.dsn(),
            session_timeout=settings.session_timeout,
            batch=settings.ledger_batch,
            instance_id=group_instance_id(settings, group),
        )

    def consumer(self) -> AIOKafkaConsumer:
        """Offsets live in PostgreSQL: never committed to Kafka, sought on assignment."""
        return AIOKafkaConsumer(
            **connect(self.bootstrap, "ledger"),
            group_id=self.group,
            group_instance_id=self.instance_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=int(self.session_timeout * 1000),
            heartbeat_interval_ms=max(1000, int(self.session_timeout * 1000) // 4),
            fetch_max_bytes=MAX_FETCH_BYTES,
            max_partition_fetch_bytes=MAX_FETCH_BYTES // 2,
        )

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn, timeout=10)
