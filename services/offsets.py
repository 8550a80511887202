"""Offsets a consumer keeps in PostgreSQL (``consumer_offsets``), not in Kafka: the ledger's,
written in the transaction of its rows (services/ledger/store.py). Read here by the ledger when
it is assigned partitions, and by whoever reports how far behind it is
(services/stack/backlog.py), which must not import the ledger itself."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

TopicPartition = tuple[str, int]


async def stored_offsets(
    conn: asyncpg.Connection | asyncpg.Pool, group: str, topics: Iterable[str]
) -> dict[TopicPartition, int]:
    """(topic, partition) → the next offset the group will read, for those it stored."""
    records = await conn.fetch(
        "SELECT topic, partition, next_offset FROM consumer_offsets"
        " WHERE consumer_group = $1 AND topic = ANY($2::text[])",
        group,
        list(topics),
    )
    return {(r["topic"], r["partition"]): r["next_offset"] for r in records}
