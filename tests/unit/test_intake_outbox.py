"""The intake's outbox hands a batch's records to the producer as record batches: each record in
the partition aiokafka's send would pick for its key, each partition's records in the order
they were added, none lost when a record batch fills up."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.partitioner import DefaultPartitioner, murmur2
from hypothesis import given
from hypothesis import strategies as st

from services.intake import outbox as module
from services.intake.outbox import Outbox

PARTITIONS = 6


class Builder:
    """A record batch holding at most ``room`` records (aiokafka's returns None when full)."""

    def __init__(self, room: int) -> None:
        self.room, self.records = room, list[tuple[Any, Any]]()

    def append(self, *, key: Any, value: Any, timestamp: Any) -> object | None:
        if len(self.records) >= self.room:
            return None
        self.records.append((key, value))
        return object()


class Producer:
    def __init__(self, room: int) -> None:
        self.room = room
        self.sent: list[tuple[str, int, list[tuple[Any, Any]]]] = []
        self.partitioned = 0
        self.client = self

    async def _wait_on_metadata(self, topic: str) -> None:
        return None

    def _partition(self, topic: str, partition: Any, key: Any, value: Any,
                   serialized_key: bytes | None, serialized_value: Any) -> int:  # fmt: skip
        self.partitioned += 1
        everything = list(range(PARTITIONS))
        return int(DefaultPartitioner()(serialized_key, everything, everything))

    def create_batch(self) -> Builder:
        return Builder(self.room)

    async def send_batch(self, batch: Builder, topic: str, *, partition: int) -> Any:
        """The batch's delivery future, delivered (services/delivered.py watches it)."""
        self.sent.append((topic, partition, batch.records))
        delivered = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered


class App:
    def __init__(self, producer: Producer) -> None:
        self.producer = self
        self._producer = producer

    def _ensure_producer(self) -> Producer:
        return self._producer


def murmur_partition(key: bytes) -> int:
    everything = list(range(PARTITIONS))
    return int(DefaultPartitioner()(key, everything, everything))


async def test_each_record_in_its_keys_partition_in_the_order_added() -> None:
    producer = Producer(room=3)
    outbox = Outbox(App(producer))  # type: ignore[arg-type]
    added = [(f"event-{i % 7}".encode(), f"value-{i}".encode()) for i in range(40)]
    for key, value in added:
        outbox.add("admitted", key, value)
    assert len(outbox) == 40
    await outbox.send()
    assert len(outbox) == 0
    got: dict[int, list[tuple[Any, Any]]] = {}
    for topic, partition, records in producer.sent:
        assert topic == "admitted"
        assert 1 <= len(records) <= 3
        got.setdefault(partition, []).extend(records)
    assert sum(len(r) for r in got.values()) == len(added)  # nothing lost at a full batch
    for partition, records in got.items():
        assert all(murmur_partition(key) == partition for key, _ in records)
        assert records == [r for r in added if murmur_partition(r[0]) == partition]


async def test_a_remembered_topics_key_is_partitioned_once() -> None:
    producer = Producer(room=100)
    outbox = Outbox(App(producer), remembered=("regions",))  # type: ignore[arg-type]
    for i in range(30):
        outbox.add("regions", f"HT0{i % 3}".encode(), b"v")
        outbox.add("other", f"HT0{i % 3}".encode(), b"v")
    await outbox.send()
    await outbox.send()  # nothing left: sends nothing
    assert producer.partitioned == 3 + 30
    for topic, partition, records in producer.sent:
        assert all(murmur_partition(key) == partition for key, _ in records), topic


async def test_a_record_without_a_key_is_sent() -> None:
    producer = Producer(room=10)
    outbox = Outbox(App(producer), remembered=("rejected",))  # type: ignore[arg-type]
    outbox.add("rejected", None, b"refusal")
    await outbox.send()
    [(topic, partition, records)] = producer.sent
    assert (topic, records) == ("rejected", [(None, b"refusal")])
    assert 0 <= partition < PARTITIONS


@given(st.binary(max_size=300))
def test_murmur2_as_aiokafka_computes_it(key: bytes) -> None:
    assert module.murmur2(key) == murmur2(key)


class Metadata:
    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))


class Aiokafka(Producer):
    """aiokafka's own choice of partition (its _partition, with its partitioner)."""

    def __init__(self, room: int) -> None:
        super().__init__(room)
        self._metadata, self._partitioner = Metadata(), DefaultPartitioner()

    def _partition(self, topic: str, partition: Any, key: Any, value: Any,
                   serialized_key: bytes | None, serialized_value: Any) -> int:  # fmt: skip
        self.partitioned += 1
        from aiokafka.producer.producer import AIOKafkaProducer

        return int(AIOKafkaProducer._partition(self, topic, partition, key, value,
                                               serialized_key, serialized_value))  # fmt: skip


async def test_with_aiokafkas_partitioner_a_key_goes_where_aiokafka_sends_it() -> None:
    """The outbox computes the default partitioner's choice itself (a faster murmur2); a
    record without a key is left to aiokafka (a random partition)."""
    producer = Aiokafka(room=100)
    outbox = Outbox(App(producer))  # type: ignore[arg-type]
    keys = [f"ingress-event-{i}".encode() for i in range(200)]
    for key in keys:
        outbox.add("admitted", key, b"v")
    outbox.add("admitted", None, b"no key")
    await outbox.send()
    assert producer.partitioned == 1  # the record without a key only
    expected = Aiokafka(room=1)
    sent = {key: p for _, p, records in producer.sent for key, _ in records if key is not None}
    assert sent == {
        key: expected._partition("admitted", None, None, None, key, None) for key in keys
    }
