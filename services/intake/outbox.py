"""A batch's output records, handed to faust's aiokafka producer as record batches.

faust's ``Topic.send`` costs a pending-message object, sensors, a callback and a partitioner
call per record; a batched agent knows when its batch's records are complete and hands them
over at once: one record batch per topic partition, in the order they were added (the order
of a region's log is the order its events were added). A record goes to the partition faust
would pick for its key (aiokafka's default partitioner, murmur2; a random partition for no
key), so the gate's and the clock's records of one key meet in one partition as before.
docs/architecture.md "Intake's rate".
"""

from __future__ import annotations

import struct
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner

from services.tables import send_records

Output = tuple[bytes | None, bytes]  # key, value


class Outbox:
    """Records waiting for :meth:`send`, per topic. The partitions of a ``remembered`` topic's
    keys (few: region codes) are computed once per key."""

    def __init__(self, app: faust.App, remembered: tuple[str, ...] = ()) -> None:
        self.app = app
        self.records: dict[str, list[Output]] = {}
        self.partitions: dict[str, dict[bytes, int]] = {topic: {} for topic in remembered}

    def add(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.records.setdefault(topic, []).append((key, value))

    def __len__(self) -> int:
        return sum(len(records) for records in self.records.values())

    async def send(self) -> None:
        """Hand every record to the producer, partition by partition, in the order added. Not
        awaited until the broker has them: faust flushes the producer before it commits
        offsets, so the batch's offsets are acknowledged after this returns."""
        outbox, self.records = self.records, {}
        producer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
        for topic, records in outbox.items():
            await producer.client._wait_on_metadata(topic)  # as aiokafka's send does
            for partition, part in self._by_partition(producer, topic, records).items():
                await send_records(producer, topic, partition, part)

    def _by_partition(self, producer: Any, topic: str,
                      records: list[Output]) -> dict[int, list[Output]]:  # fmt: skip
        """The records of each partition, in order: the partition aiokafka's send would take."""
        memo = self.partitions.get(topic)
        out: dict[int, list[Output]] = {}
        default = type(getattr(producer, "_partitioner", None)) is DefaultPartitioner
        everything = list(producer._metadata.partitions_for_topic(topic)) if default else []
        for key, value in records:
            partition = None if memo is None or key is None else memo.get(key)
            if partition is None and key is not None and everything:
                # DefaultPartitioner's choice for a key, with its murmur2 in fewer steps
                partition = everything[(murmur2(key) & 0x7FFFFFFF) % len(everything)]
            if partition is None:
                partition = producer._partition(topic, None, None, None, key, None)
                if memo is not None and key is not None:
                    memo[key] = partition
            out.setdefault(partition, []).append((key, value))
        return out


_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """``aiokafka.partitioner.murmur2`` (Kafka's murmur2, unsigned): the same value, reading the
    key four bytes at a time (tests/unit/test_intake_outbox.py compares the two)."""
    length = len(data)
    h = 0x9747B28C ^ length
    body = length & ~3
    for (k,) in struct.iter_unpack("<I", data[:body]):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    extra = length & 3
    if extra >= 3:
        h ^= data[body + 2] << 16
    if extra >= 2:
        h ^= data[body + 1] << 8
    if extra >= 1:
        h = ((h ^ data[body]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)
