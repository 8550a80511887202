"""Rows and consumed offsets into PostgreSQL, in one transaction. No rules here.

Append-only tables are loaded by COPY into session temp tables, then ``INSERT … SELECT … ON
CONFLICT DO NOTHING``: a redelivered message is harmless. Current-state tables are upserted
row by row (``executemany``), the latest by region-log time winning, so applying the same rows
twice, or late, leaves the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import asyncpg

from services.ledger.rows import APPENDED, UPSERTED, Rows
from services.offsets import TopicPartition


def _staging(table: str) -> str:
    return f"ledger_in_{table}"


def _placeholders(columns: tuple[str, ...]) -> str:
    return ", ".join(f"${i}" for i in range(1, len(columns) + 1))


def _upsert(table: str, key: str, newer: str, assignments: Iterable[str]) -> str:
    columns = UPSERTED[table]  # constant names only, never data
    insert = f"INSERT INTO {table} AS t ({', '.join(columns)})"
    update = f"DO UPDATE SET {', '.join(assignments)} WHERE {newer}"
    return f"{insert} VALUES ({_placeholders(columns)}) ON CONFLICT ({key}) {update}"


def _latest_wins(table: str, key: str, newer: str) -> str:
    keys = set(key.split(", "))
    sets = [f"{c} = EXCLUDED.{c}" for c in UPSERTED[table] if c not in keys]
    return _upsert(table, key, newer, sets)


# Feedback (rank 1) names no vehicle or transport: those stay from the decision before it.
_KEPT_BY_FEEDBACK = ("shelter_id", "vehicle_id", "transport_pending", "decision_id")
_NEWER_HOUSEHOLD = "(EXCLUDED.updated_at, EXCLUDED.updated_rank) >= (t.updated_at, t.updated_rank)"


def _household_sets() -> list[str]:
    sets = [
        "persons = COALESCE(EXCLUDED.persons, t.persons)",
        "needs = CASE WHEN EXCLUDED.persons IS NULL THEN t.needs ELSE EXCLUDED.needs END",
    ]
    for column in ("outcome", "waitlist_reason", *_KEPT_BY_FEEDBACK, "updated_at", "updated_rank"):
        value = f"EXCLUDED.{column}"
        if column in _KEPT_BY_FEEDBACK:
            value = f"CASE WHEN EXCLUDED.updated_rank = 1 THEN COALESCE({value}, t.{column})"
            value += f" ELSE EXCLUDED.{column} END"
        sets.append(f"{column} = CASE WHEN {_NEWER_HOUSEHOLD} THEN {value} ELSE t.{column} END")
    return sets


UPSERT_SQL: dict[str, str] = {
    # A household's persons and needs come from whichever row knows them; its outcome from
    # the latest (time, rank). The alert row (rank 0) only creates it.
    "households": _upsert("households", "alert_id, household_index", "TRUE", _household_sets()),
    "shelters": _latest_wins("shelters", "shelter_id", "EXCLUDED.sequenced_at >= t.sequenced_at"),
    "vehicles": _latest_wins("vehicles", "vehicle_id", "EXCLUDED.sequenced_at >= t.sequenced_at"),
    "escalations": _latest_wins(
        "escalations",
        "escalation_id",
        "(COALESCE(EXCLUDED.revision, -1), EXCLUDED.updated_at)"
        " >= (COALESCE(t.revision, -1), t.updated_at)",
    ),
}

_PREVIOUS_SHELTERS = """
    SELECT DISTINCT h.shelter_id FROM households h
    JOIN unnest($1::text[], $2::integer[]) AS k(alert_id, household_index)
      ON h.alert_id = k.alert_id AND h.household_index = k.household_index
    WHERE h.shelter_id IS NOT NULL"""

_RESERVED = """
    UPDATE shelters s SET reserved = COALESCE((
        SELECT sum(h.persons) FROM households h
        WHERE h.shelter_id = s.shelter_id AND h.outcome IN ('placed', 'in_transit')), 0)
    WHERE s.shelter_id = ANY($1::text[])"""

_SAVE_OFFSET = """
    INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset, updated_at)
    VALUES ($1, $2, $3, $4, now())
    ON CONFLICT (consumer_group, topic, partition) DO UPDATE
    SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),
        updated_at = now()"""


async def prepare(conn: asyncpg.Connection) -> None:
    """Session temp tables that COPY loads into; emptied at every commit."""
    for table in APPENDED:
        await conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_staging(table)}"
            f" (LIKE {table}) ON COMMIT DELETE ROWS"
        )


async def write(
    conn: asyncpg.Connection, group: str, rows: Rows, offsets: Mapping[TopicPartition, int]
) -> None:
    """The rows, and the next offset of every partition they came from, in one transaction."""
    async with conn.transaction():
        for table, columns in APPENDED.items():
            records = rows.tables.get(table)
            if records:
                await conn.copy_records_to_table(_staging(table), records=records, columns=columns)
                names = ", ".join(columns)
                await conn.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {_staging(table)}"  # noqa: S608
                    " ON CONFLICT DO NOTHING"
                )
        shelters = set(rows.shelters)
        households = rows.tables.get("households")
        if households:
            alerts, indexes = [r[0] for r in households], [r[1] for r in households]
            previous = await conn.fetch(_PREVIOUS_SHELTERS, alerts, indexes)
            shelters |= {r["shelter_id"] for r in previous}
        for table, sql in UPSERT_SQL.items():
            records = rows.tables.get(table)
            if records:
                await conn.executemany(sql, records)
        if shelters:
            await conn.execute(_RESERVED, sorted(shelters))
        await conn.executemany(
            _SAVE_OFFSET, [(group, t, p, o) for (t, p), o in sorted(offsets.items())]
        )
