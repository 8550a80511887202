"""A batched table's store never holds a write the broker does not have (services/tables.py).

What a killed worker leaves in its store (RocksDB's files) is then a prefix of the changelog up
to the persisted offset, and faust's recovery, which replays the changelog past that offset,
rebuilds exactly what the broker has. When the store was written at once, the files held the
writes of batches still in flight, and recovery replayed older records over them.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from typing import Any

import faust
import pytest
from aiokafka import TopicPartition
from hypothesis import given, settings
from hypothesis import strategies as st

from services import tables
from services.streams import in_partition
from services.tables import BatchedTable
from tests.unit.test_allocator_tables import replayed

Record = tuple[bytes, bytes | None]


@dataclass
class Delivered:
    offset: int  # of the batch's first record, as aiokafka's RecordMetadata


class Broker:
    """Record batches handed to the producer; each reaches its partition's log when the test
    delivers it, as the broker appends it."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, list[Record], asyncio.Future[Delivered]]] = []
        self.log: dict[int, list[Record]] = {}

    async def send_records(self, producer: Any, topic: str, partition: int,
                           records: list[Record]) -> list[tuple[Any, int]]:  # fmt: skip
        future: asyncio.Future[Delivered] = asyncio.get_running_loop().create_future()
        self.sent.append((partition, list(records), future))
        return [(future, len(records))]

    async def deliver(self, index: int) -> None:
        partition, records, future = self.sent[index]
        log = self.log.setdefault(partition, [])
        future.set_result(Delivered(offset=len(log)))
        log.extend(records)
        await asyncio.sleep(0)  # the future's callbacks run


class Event:
    """What a write needs of the event being processed: its partition."""

    def __init__(self, partition: int) -> None:
        self.message = self
        self.partition = partition


def open_table(store: str, datadir: str) -> BatchedTable:
    app = faust.App("t", store=store, datadir=datadir)
    table = app.Table("state", partitions=2, key_type=bytes, value_type=bytes)  # as the processors
    app.producer._producer = object()  # type: ignore[attr-defined]  # the Broker sends
    return BatchedTable(table)


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(tables, "send_records", fake.send_records)
    return fake


KEYS = (b"a", b"b", b"c", b"~mark")


def stored(table: BatchedTable, partition: int, store: bool = True) -> dict[bytes, bytes]:
    """The keys of a partition in the store (or, with ``store=False``, as the table reads
    them), read key by key: RocksDB iterates only the partitions assigned to a worker."""
    with in_partition(Event(partition)):  # type: ignore[arg-type]
        found = {key: (table.store if store else table).get(key) for key in KEYS}
    return {key: value for key, value in found.items() if value is not None}


def recovered(table: BatchedTable, broker: Broker, partition: int) -> dict[bytes, bytes]:
    """What faust's recovery makes of a killed worker's store: the store's keys of the
    partition, then the changelog past the persisted offset (all of it for a memory store,
    which dies with the worker)."""
    tp = TopicPartition(table.table.changelog_topic.get_topic_name(), partition)
    persisted = table.store.persisted_offset(tp)
    log = broker.log.get(partition, [])
    if persisted is None:
        return replayed(log)
    return replayed(log[persisted + 1 :], stored(table, partition))


@pytest.mark.parametrize("store", ["rocksdb://", "memory://"])
async def test_a_write_reaches_the_store_once_the_broker_has_it(
    broker: Broker, store: str, tmp_path: Any
) -> None:
    table = open_table(store, str(tmp_path))
    with in_partition(Event(1)):  # type: ignore[arg-type]
        table[b"a"], table[b"b"] = b"1", b"1"
    await table.send()
    with in_partition(Event(1)):  # type: ignore[arg-type]
        table[b"a"] = b"2"
        del table[b"b"]
        table[b"c"] = b"2"
    await table.send()
    assert dict(table.items()) == {b"a": b"2", b"c": b"2"}  # reads see every write
    assert (table.get(b"b"), b"b" in table, table.get(b"a")) == (None, False, b"2")
    assert stored(table, 1) == {}  # the store none yet
    await broker.deliver(1)  # out of order: the later batch waits for the earlier one
    assert stored(table, 1) == {}
    await broker.deliver(0)
    assert stored(table, 1) == {b"a": b"2", b"c": b"2"}
    assert table.held == {}


WRITE = st.tuples(st.sampled_from(KEYS), st.one_of(st.none(), st.binary(min_size=1, max_size=2)))


@settings(max_examples=30, deadline=None)
@given(
    batches=st.lists(st.lists(WRITE, min_size=1, max_size=5), min_size=1, max_size=6),
    delivered=st.integers(min_value=0, max_value=6),
)
def test_a_killed_worker_recovers_exactly_what_the_broker_has(
    batches: list[list[Record]], delivered: int
) -> None:
    """Batches of writes sent one after the other, the first `delivered` of them delivered,
    then the worker dies: recovery rebuilds the delivered changelog, and a live worker reads
    its own writes."""
    broker = Broker()
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as datadir:
        patch.setattr(tables, "send_records", broker.send_records)
        table = open_table("rocksdb://", datadir)
        written: list[Record] = []

        async def run() -> None:
            for batch in batches:
                with in_partition(Event(0)):  # type: ignore[arg-type]
                    for key, value in batch:
                        if value is not None:
                            table[key] = value
                        elif key in table:
                            del table[key]
                        else:
                            continue
                        written.append((key, value))
                await table.send()
            for index in range(min(delivered, len(broker.sent))):
                await broker.deliver(index)

        asyncio.run(run())
        assert stored(table, 0, store=False) == replayed(written)
        assert recovered(table, broker, 0) == replayed(broker.log.get(0, []))
