"""`corridor bench ledger`: rows/s the ledger writes, next to a raw asyncpg COPY of the same rows.

A backlog of generated messages (region events, the allocator core's decisions on them,
escalation revisions, rejections) goes into fresh topics first; the ledger worker then starts
and is timed from its first committed batch to its last (process start and group join are
left out). The baseline copies the very rows the ledger wrote, with ``copy_records_to_table``,
into empty tables of the same shape in the same database: no Kafka, no decoding, no conflict
checks. Everything lives in a throw-away schema, dropped at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaProducer

from schemas.catalogue import topic_name
from services.bench.ledger_workload import Message, ledger_messages
from services.bench.workload import CENTRES, Workload
from services.config import PROJECT_ROOT, Settings
from services.kafka_access import connect
from services.ledger.rows import APPENDED, UPSERTED
from services.stack import database
from services.stack.local import prepare

TABLES = (*APPENDED, *UPSERTED)


@dataclass
class Figures:
    messages: int
    rows: int
    ledger_seconds: float | None  # None: the first batch seen held everything
    copy_seconds: float

    def lines(self) -> list[str]:
        if self.ledger_seconds is None:
            what = f"{self.messages:,} messages → {self.rows:,} rows"
            return [f"{what}: all in the first batch, nothing to time: use more --alerts"]
        ledger, copy = self.rows / self.ledger_seconds, self.rows / self.copy_seconds
        return [
            f"{self.messages:,} messages → {self.rows:,} rows",
            f"{'ledger (Kafka → PostgreSQL)':<32} {ledger:>12,.0f} rows/s"
            f"   ({self.messages / self.ledger_seconds:,.0f} messages/s)",
            f"{'raw asyncpg COPY, same rows':<32} {copy:>12,.0f} rows/s",
            f"ledger / COPY: {ledger / copy:.0%}",
        ]


async def _produce(bootstrap: str, namespace: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = [await producer.send(topic_name(m.topic, namespace), m.value, key=m.key or None)
                 for m in messages]  # fmt: skip
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _consumed(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets"))


async def _time_ledger(env: dict[str, str], conn: asyncpg.Connection, total: int) -> float | None:
    """Seconds from the ledger's first committed batch to its last (None: there was one)."""
    with tempfile.NamedTemporaryFile(prefix="corridor-bench-ledger-", suffix=".log") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.ledger", "worker",
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            start = None
            for _ in itertools.count():
                done = await _consumed(conn)
                if done and start is None:
                    if done >= total:
                        return None
                    start = time.perf_counter()
                if done >= total:
                    break
                if proc.returncode is not None:
                    raise RuntimeError(f"the ledger stopped (exit {proc.returncode})")
                await asyncio.sleep(0.005)
            return time.perf_counter() - (start or 0.0)
        finally:
            if proc.returncode is None:
                proc.terminate()
            await proc.wait()


async def _time_copy(conn: asyncpg.Connection, schema: str) -> tuple[int, float]:
    """(rows, seconds) of COPYing every ledger row again into empty twins of its tables."""
    rows = {t: [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")] for t in TABLES}  # noqa: S608
    for table in TABLES:
        await conn.execute(f"CREATE TABLE copy_{table} (LIKE {table})")
    start = time.perf_counter()
    async with conn.transaction():
        for table, records in rows.items():
            await conn.copy_records_to_table(f"copy_{table}", records=records, schema_name=schema)
    return sum(len(r) for r in rows.values()), time.perf_counter() - start


async def measure(settings: Settings, *, alerts_per_region: int = 1000) -> Figures:
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    workload = Workload(regions=tuple(CENTRES), shelters=40, vehicles=8, alerts=alerts_per_region)
    messages = ledger_messages(workload, rejected=100)
    await prepare(settings.bootstrap_servers, namespace, settings.partners_file,
                  secure=settings.kafka_security != "none")  # fmt: skip
    await _produce(settings.bootstrap_servers, namespace, messages)
    admin = await asyncpg.connect(settings.dsn())
    await admin.execute(f'CREATE SCHEMA "{namespace}"')
    try:
        dsn = f"{settings.dsn()}{'&' if '?' in settings.dsn() else '?'}search_path={namespace}"
        await database.migrate(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            env = {**os.environ, "CORRIDOR_KAFKA_BOOTSTRAP": settings.bootstrap_servers,
                   "CORRIDOR_TOPIC_NAMESPACE": namespace, "CORRIDOR_DATABASE_URL": dsn,
                   "CORRIDOR_LOG_LEVEL": "WARNING"}  # fmt: skip
            seconds = await _time_ledger(env, conn, len(messages))
            rows, copy_seconds = await _time_copy(conn, namespace)
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP SCHEMA "{namespace}" CASCADE')
        await admin.close()
    return Figures(len(messages), rows, seconds, copy_seconds)


def report(settings: Settings, *, alerts_per_region: int) -> str:
    return "\n".join(asyncio.run(measure(settings, alerts_per_region=alerts_per_region)).lines())
