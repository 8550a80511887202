"""Create the database and apply the SQL migrations in order, each once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg

from services.config import INFRA_DIR
from services.stack.errors import StackError

MIGRATIONS = INFRA_DIR / "postgres" / "migrations"
# Any constant: only one `corridor up` applies migrations at a time.
_LOCK_KEY = 7_202_611


async def ensure_database(dsn: str) -> None:
    """Create the database named in `dsn` if the server does not have it yet."""
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return
    base, _, name = dsn.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres", timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await admin.close()


def migration_files(folder: Path = MIGRATIONS) -> list[Path]:
    files = sorted(folder.glob("*.sql"))
    versions = [f.name.split("_", 1)[0] for f in files]
    if len(set(versions)) != len(versions):
        raise StackError(f"two migrations share a version number in {folder}")
    return files


async def migrate(dsn: str, folder: Path = MIGRATIONS) -> list[str]:
    """Apply every migration not applied yet; returns the names applied by this call.

    A migration already applied whose file has changed since is refused: migrations are
    append-only.
    """
    conn = await asyncpg.connect(dsn, timeout=10)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"]: r for r in await conn.fetch("SELECT * FROM schema_migrations")}
        for path in migration_files(folder):
            sql = path.read_text()
            version = path.name.split("_", 1)[0]
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version]["checksum"] != checksum:
                    raise StackError(f"migration {path.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    version, path.name, checksum,
                )  # fmt: skip
            applied_now.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.close()
    return applied_now
