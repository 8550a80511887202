"""A faust table whose changelog is written a batch at a time.

faust sends each table write to its changelog as one message through its producer buffer: a
pending-message object, a hop through the buffer's task, a publish with sensors and a callback,
and when more than 100 are queued the conductor stops handing messages to every stream until
the buffer drains ("producer buffer full" about 150 times per `corridor bench allocator` run).
A batched processor knows when its batch's writes are complete, so :class:`BatchedTable` puts
each write in the store at once (reads see it) and keeps it in an outbox per changelog
partition; :meth:`BatchedTable.send` hands each partition's writes to the producer as record
batches, in the order they were made. The records are what faust's own writes would be (the
key, the value, a tombstone for a delete), so faust recovers the table from them as before,
and the store's persisted offset moves when the broker has them, as faust's callback does.
docs/architecture.md "Throughput".
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from faust.streams import current_event
from faust.types import TableT

from services.delivered import watch

Record = tuple[bytes, bytes | None]  # key, value (None: a tombstone)


class BatchedTable(MutableMapping[bytes, bytes]):
    """The table's store as a mapping; writes wait in an outbox for :meth:`send`. A write goes
    to the changelog partition of the event being processed, as faust's own writes do (see
    :func:`services.streams.in_partition`)."""

    def __init__(self, table: TableT[bytes, bytes]) -> None:
        self.table = table
        self.outbox: dict[int, list[Record]] = {}

    @property
    def store(self) -> Any:
        return self.table.data

    def __getitem__(self, key: bytes) -> bytes:
        return self.store[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.store[key] = value
        self.outbox.setdefault(_partition(), []).append((key, value))

    def __delitem__(self, key: bytes) -> None:
        del self.store[key]
        self.outbox.setdefault(_partition(), []).append((key, None))

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.store)

    def __len__(self) -> int:
        return len(self.store)

    # Reads as the faust table reads them: RocksDB reads a key in the current event's partition
    # but iterates every partition, so items() must not look each key up again.
    def __contains__(self, key: object) -> bool:
        return key in self.store

    def get(self, key: bytes, default: Any = None) -> Any:
        return self.store.get(key, default)

    def items(self) -> Any:
        return self.store.items()

    async def send(self) -> None:
        """Hand every write in the outbox to the producer, partition by partition, in the
        order they were made (not awaited until the broker has them: faust flushes the
        producer before it commits offsets)."""
        outbox, self.outbox = self.outbox, {}
        if not outbox:
            return
        producer = self.table.app.producer._ensure_producer()  # type: ignore[attr-defined]
        topic = self.table.changelog_topic.get_topic_name()
        for partition, records in outbox.items():
            tp = TopicPartition(topic, partition)
            for delivered, count in await send_records(producer, topic, partition, records):
                delivered.add_done_callback(self._persisted(tp, count))

    def _persisted(self, tp: TopicPartition, count: int) -> Any:
        """A delivery callback: the store's persisted offset moves past the batch's records,
        as faust's own callback moves it."""

        def persisted(future: Any) -> None:
            if not future.cancelled() and future.exception() is None:
                self.store.set_persisted_offset(tp, future.result().offset + count - 1)

        return persisted


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
