"""The ledger on the real broker and PostgreSQL: every message on record exactly once.

Each test writes into its own PostgreSQL schema (migrated there, chosen by `search_path` in the
DSN the worker gets), so row counts are the test's own.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from schemas.catalogue import topic_name
from services.bench.ledger_workload import Message, ledger_messages
from services.bench.workload import Workload
from services.kafka_access import connect
from services.ledger.rows import DECISIONS, ESCALATIONS, REGION_EVENTS, REJECTED
from services.stack import database
from services.stack.local import prepare
from tests.integration.workers import worker, worker_env

WORKLOAD = Workload(regions=("HT01", "HT02", "HT03"), shelters=8, alerts=24)
# What each table must hold: the snapshot compares whole tables, these count the messages.
TABLES = ("region_events", "alerts", "households", "shelters", "vehicles", "decisions",
          "escalations", "escalation_revisions", "escalation_acks", "rejections",
          "ledger_unreadable")  # fmt: skip


@dataclass
class Stage:
    env: dict[str, str]
    dsn: str
    group: str
    bootstrap: str
    namespace: str

    async def produce(self, messages: list[Message]) -> None:
        producer = AIOKafkaProducer(**connect(self.bootstrap), acks="all", linger_ms=5)
        await producer.start()
        try:
            sends = [await producer.send(topic_name(m.topic, self.namespace), m.value,
                                         key=m.key or None) for m in messages]  # fmt: skip
            await asyncio.gather(*sends)
        finally:
            await producer.stop()

    async def consumed(self, conn: asyncpg.Connection) -> int:
        total = await conn.fetchval(
            "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer_group = $1",
            self.group,
        )
        return int(total)

    async def wait_consumed(self, conn: asyncpg.Connection, count: int) -> None:
        """Until the stored offsets cover `count` messages (pytest-timeout bounds the wait)."""
        for _ in itertools.count():
            if await self.consumed(conn) >= count:
                return
            await asyncio.sleep(0.01)


async def _schema_dsn(database_url: str, schema: str) -> str:
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await admin.close()
    dsn = f"{database_url}?search_path={schema}"
    await database.migrate(dsn)
    return dsn


@pytest.fixture
async def stage(kafka_bootstrap: str, database_url: str, namespace: str, tmp_path: Path) -> Stage:
    await prepare(kafka_bootstrap, namespace)
    dsn = await _schema_dsn(database_url, namespace)
    env = worker_env(
        kafka_bootstrap,
        namespace,
        tmp_path / "state",
        CORRIDOR_DATABASE_URL=dsn,
        CORRIDOR_LEDGER_BATCH="25",
    )  # many transactions: a kill lands between them
    return Stage(env, dsn, f"corridor-ledger-{namespace}", kafka_bootstrap, namespace)


@pytest.fixture
async def conn(stage: Stage) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(stage.dsn)
    yield connection
    await connection.close()


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every ledger table's rows, sorted: two equal snapshots are two equal ledgers."""
    return {
        table: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {table}")), key=repr)  # noqa: S608
        for table in TABLES
    }


def expected_counts(messages: list[Message]) -> dict[str, int]:
    per_topic = Counter(m.topic for m in messages)
    unreadable = sum(m.value.startswith(b"\x00") for m in messages)
    return {
        "region_events": per_topic[REGION_EVENTS],
        "decisions": per_topic[DECISIONS] - unreadable,
        "escalation_revisions": per_topic[ESCALATIONS],
        "escalations": len({m.key for m in messages if m.topic == ESCALATIONS}),
        "rejections": per_topic[REJECTED],
        "ledger_unreadable": unreadable,
        "alerts": WORKLOAD.alerts * len(WORKLOAD.regions),
        "shelters": WORKLOAD.shelters * len(WORKLOAD.regions),
    }


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}  # noqa: S608


@pytest.mark.timeout(120)
async def test_sigkill_mid_stream_ends_with_every_message_exactly_once(
    stage: Stage, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    messages = ledger_messages(WORKLOAD)
    await stage.produce(messages)
    with worker("ledger", stage.env, tmp_path / "ledger-1.log") as first:
        await stage.wait_consumed(conn, 1)  # it has committed a batch or more
        first.send_signal(signal.SIGKILL)  # mid-stream, no goodbye
        first.wait(30)
    killed_at = await stage.consumed(conn)
    with worker("ledger", stage.env, tmp_path / "ledger-2.log"):
        await stage.wait_consumed(conn, len(messages))
    assert killed_at < len(messages), "the kill came too late to test anything"
    got = await counts(conn)
    for table, count in expected_counts(messages).items():
        assert got[table] == count, table
    # Households: one row per household of every alert, each with its decision's outcome.
    persons = await conn.fetchval("SELECT sum(persons) FROM alerts")
    assert await conn.fetchval("SELECT sum(persons) FROM households") == persons
    assert await conn.fetchval("SELECT count(*) FROM households WHERE outcome IS NULL") == 0
    # Open reservations are the persons placed or in transit, shelter by shelter.
    mismatched = await conn.fetchval(
        """SELECT count(*) FROM shelters s WHERE reserved <> COALESCE((
               SELECT sum(persons) FROM households h WHERE h.shelter_id = s.shelter_id
               AND h.outcome IN ('placed', 'in_transit')), 0)"""
    )
    assert mismatched == 0
    assert await conn.fetchval("SELECT sum(reserved) FROM shelters") > 0
    # The escalation's current state is its last revision.
    assert set(await conn.fetch("SELECT level, status FROM escalations")) == {("L3", "updated")}


@pytest.mark.timeout(120)
async def test_redelivered_messages_change_nothing(
    stage: Stage, conn: asyncpg.Connection, tmp_path: Path
) -> None:
    messages = ledger_messages(WORKLOAD)
    await stage.produce(messages)
    with worker("ledger", stage.env, tmp_path / "ledger-1.log"):
        await stage.wait_consumed(conn, len(messages))
    before = await snapshot(conn)
    # Forget the offsets: the next worker reads every message again, from offset 0.
    await conn.execute("DELETE FROM consumer_offsets WHERE consumer_group = $1", stage.group)
    with worker("ledger", stage.env, tmp_path / "ledger-2.log"):
        await stage.wait_consumed(conn, len(messages))
    after = await snapshot(conn)
    assert after == before
    assert sum(len(rows) for rows in after.values()) > len(messages)
