"""The database fixture is a real PostgreSQL, migrated; migrations are idempotent."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.stack import database
from services.stack.errors import StackError


async def test_asyncpg_writes_and_reads(db: asyncpg.Connection) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    async with db.transaction():
        await db.execute(
            "INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)"
            " VALUES ($1, 'region.events.v1', 3, 42)",
            group,
        )
    row = await db.fetchrow("SELECT * FROM consumer_offsets WHERE consumer_group = $1", group)
    assert (row["topic"], row["partition"], row["next_offset"]) == ("region.events.v1", 3, 42)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "INSERT INTO consumer_offsets VALUES ($1, 't', -1, 0, now())", f"{group}-neg"
        )
    assert "PostgreSQL" in await db.fetchval("SELECT version()")


async def test_migrations_apply_once_in_order(database_url: str, db, tmp_path) -> None:
    applied = [
        r["name"] for r in await db.fetch("SELECT name FROM schema_migrations ORDER BY version")
    ]
    assert applied == [p.name for p in database.migration_files()]
    assert await database.migrate(database_url) == []

    # A folder of its own, in a fresh database: applied in order, then nothing twice.
    name = f"m{uuid.uuid4().hex[:8]}"
    dsn = database_url.rsplit("/", 1)[0] + f"/{name}"
    await database.ensure_database(dsn)
    (tmp_path / "0002_b.sql").write_text("CREATE TABLE b (id int REFERENCES a(id));")
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (id int PRIMARY KEY);")
    assert await database.migrate(dsn, tmp_path) == ["0001_a.sql", "0002_b.sql"]
    assert await database.migrate(dsn, tmp_path) == []
    # An applied migration edited afterwards is refused, not silently re-run or ignored.
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (id bigint PRIMARY KEY);")
    with pytest.raises(StackError, match="changed after it was applied"):
        await database.migrate(dsn, tmp_path)
