"""A faust table whose changelog is written a batch at a time, and whose store never runs
ahead of its changelog.

faust sends each table write to its changelog as one message through its producer buffer: a
pending-message object, a hop through the buffer's task, a publish with sensors and a callback,
and when more than 100 are queued the conductor stops handing messages to every stream until
the buffer drains ("producer buffer full" about 150 times per `corridor bench allocator` run).
A batched processor knows when its batch's writes are complete, so :class:`BatchedTable` keeps
each write in an outbox per changelog partition; :meth:`BatchedTable.send` hands each
partition's writes to the producer as record batches, in the order they were made. The records
are what faust's own writes would be (the key, the value, a tombstone for a delete), so faust
recovers the table from them as before.

A write reaches the store only once the broker has its record (:class:`Landing`), in the
changelog's order, with the store's persisted offset, as faust's recovery writes it
(``apply_changelog_batch``); until then reads see it in ``held``. faust writes its store at
once, which on RocksDB leaves the files of a killed worker holding writes the changelog never
got, or writes newer than the persisted offset that recovery then replays older records over:
a restarted worker's state mixed two batches and it decided some ticks differently (session 7,
docs/architecture.md "Crash safety of the allocator"). Now what the files hold is a prefix of
the changelog, and recovery from the persisted offset completes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from faust.streams import current_event
from faust.types import TableT

from services.delivered import watch

Record = tuple[bytes, bytes | None]  # key, value (None: a tombstone)


class Landed:
    """A changelog record the broker has, as faust's store reads a changelog event."""

    __slots__ = ("key", "offset", "partition", "tp", "value")

    def __init__(self, key: bytes, value: bytes | None, tp: TopicPartition, offset: int) -> None:
        self.key, self.value, self.tp, self.offset = key, value, tp, offset
        self.partition = tp.partition

    @property
    def message(self) -> Landed:
        return self


class Landing:
    """The record batches of one changelog partition handed to the producer and not yet in the
    store, oldest first: each lands (in the store, with its offset) once it and every batch
    before it are delivered. A failed one stops the worker (services/delivered.py)."""

    def __init__(self, table: BatchedTable, tp: TopicPartition) -> None:
        self.table, self.tp = table, tp
        self.queue: deque[tuple[Any, list[Record], int]] = deque()  # future, records, last write

    def add(self, future: Any, records: list[Record], last_write: int) -> None:
        """A record batch handed over; ``last_write`` numbers its last write."""
        self.queue.append((future, records, last_write))
        future.add_done_callback(self.landed)

    def landed(self, _: Any = None) -> None:
        while self.queue and self.queue[0][0].done():
            future, records, last_write = self.queue[0]
            if future.cancelled() or future.exception() is not None:
                return  # the worker stops (a failure) or is stopping (cancelled): not in the store
            self.queue.popleft()
            base = future.result().offset
            self.table.land([Landed(k, v, self.tp, base + i) for i, (k, v) in enumerate(records)],
                            last_write)  # fmt: skip


def _value(value: Any) -> Any:
    return value


class BatchedTable(MutableMapping[bytes, bytes]):
    """The table's store as a mapping, with the writes the broker does not have yet on top;
    writes wait in an outbox for :meth:`send`. A write goes to the changelog partition of the
    event being processed, as faust's own writes do (see :func:`services.streams.in_partition`)."""

    def __init__(self, table: TableT[bytes, bytes]) -> None:
        self.table = table
        self.outbox: dict[int, list[Record]] = {}
        self.numbers: dict[int, list[int]] = {}  # each outbox record's write number
        self.held: dict[bytes, tuple[int, bytes | None]] = {}  # key: (write number, value)
        self.writes = 0
        self.landing: dict[int, Landing] = {}

    @property
    def store(self) -> Any:
        return self.table.data

    def __getitem__(self, key: bytes) -> bytes:
        held = self.held.get(key)
        if held is None:
            return self.store[key]
        if held[1] is None:
            raise KeyError(key)
        return held[1]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._write(key, value)

    def __delitem__(self, key: bytes) -> None:
        if key not in self:
            raise KeyError(key)
        self._write(key, None)

    def _write(self, key: bytes, value: bytes | None) -> None:
        self.writes += 1
        self.held[key] = (self.writes, value)
        partition = _partition()
        self.outbox.setdefault(partition, []).append((key, value))
        self.numbers.setdefault(partition, []).append(self.writes)

    def __iter__(self) -> Iterator[bytes]:
        return (key for key, _ in self.items())

    def __len__(self) -> int:
        return sum(1 for _ in self.items())

    # Reads as the faust table reads them: RocksDB reads a key in the current event's partition
    # but iterates every partition, so items() must not look each key up again.
    def __contains__(self, key: object) -> bool:
        held = self.held.get(key)  # type: ignore[call-overload]
        return key in self.store if held is None else held[1] is not None

    def get(self, key: bytes, default: Any = None) -> Any:
        held = self.held.get(key)
        if held is None:
            return self.store.get(key, default)
        return default if held[1] is None else held[1]

    def items(self) -> Any:
        if not self.held:
            return self.store.items()
        held = self.held
        found = [(k, v) for k, v in self.store.items() if k not in held]
        return found + [(k, v) for k, (_, v) in held.items() if v is not None]

    async def send(self) -> None:
        """Hand every write in the outbox to the producer, partition by partition, in the
        order they were made (not awaited until the broker has them: faust flushes the
        producer before it commits offsets). Each batch lands in the store when delivered."""
        (outbox, self.outbox), (numbers, self.numbers) = (self.outbox, {}), (self.numbers, {})
        if not outbox:
            return
        producer = self.table.app.producer._ensure_producer()  # type: ignore[attr-defined]
        topic = self.table.changelog_topic.get_topic_name()
        for partition, records in outbox.items():
            landing = self.landing.get(partition)
            if landing is None:
                landing = self.landing[partition] = Landing(self, TopicPartition(topic, partition))
            done = 0
            for delivered, count in await send_records(producer, topic, partition, records):
                landing.add(delivered, records[done : done + count],
                            numbers[partition][done + count - 1])  # fmt: skip
                done += count

    def land(self, records: list[Landed], last_write: int) -> None:
        """Delivered records into the store with their offsets, as faust's recovery writes
        them; the held writes they carry (no later write of the key since) are let go."""
        self.store.apply_changelog_batch(records, to_key=_value, to_value=_value)
        held = self.held
        for record in records:
            entry = held.get(record.key)
            if entry is not None and entry[0] <= last_write:
                del held[record.key]


async def send_records(
    producer: Any, topic: str, partition: int, records: Sequence[tuple[bytes | None, bytes | None]]
) -> list[tuple[Any, int]]:
    """Hand ``records`` (key, value) to aiokafka's ``producer`` as record batches for one
    partition, in order: each batch's delivery future and how many records it holds. A batch
    the broker does not take stops the worker (services/delivered.py)."""
    sent: list[tuple[Any, int]] = []
    batch, count = producer.create_batch(), 0
    for key, value in records:
        if batch.append(key=key, value=value, timestamp=None) is None:  # full
            sent.append((watch(await producer.send_batch(batch, topic, partition=partition),
                               topic), count))  # fmt: skip
            batch, count = producer.create_batch(), 0
            batch.append(key=key, value=value, timestamp=None)  # a first one fits
        count += 1
    sent.append((watch(await producer.send_batch(batch, topic, partition=partition), topic), count))
    return sent


def _partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("a table write outside of an event (services.streams.in_partition)")
    return int(event.message.partition)
