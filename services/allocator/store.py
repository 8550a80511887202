"""Region states kept in a changelog-backed faust table, one key per entity.

The domain's events (:mod:`.domain.events`) become table writes here: the entities they write
and the keys they delete (:func:`~services.allocator.domain.evolve.writes`), and the recorded
decisions of the processed event ids they forget. Keys are ``<region>|<kind>|<id>`` (entities
of :mod:`.entities`), ``<region>|decision|<decision_id>`` (the encoded decisions, re-emitted
when a processed event is delivered again) and ``<region>|journal``.

The writes of one event reach the changelog as several messages, and a worker killed in between
leaves a prefix of them. So each event first writes its whole change, decisions included, as
one message under ``journal``; the fine-grained keys follow. Rebuilding a region re-applies the
journal (upserts and deletes are idempotent), which completes a prefix, or, when the journal
itself was lost, none of the event's writes landed and the event is simply decided again. A
worker keeps a cache of the regions it serves, rebuilt after every rebalance: the table, not
the cache, is the state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas.codec import canonical_json
from services.allocator.domain.entities import (
    SEP,
    Clock,
    Entity,
    HeldAlert,
    PendingAlert,
    Processed,
    Reservation,
    Shelter,
    Vehicle,
    WaitEntry,
)
from services.allocator.domain.events import DomainEvent, ProcessedForgotten
from services.allocator.domain.evolve import writes
from services.allocator.domain.state import RegionState
from services.allocator.upgrade import SHELTER, upgraded
from services.kafka_access import connect

DECISION = "decision"
JOURNAL = "journal"
_NOT_ENTITIES = {DECISION, JOURNAL}
Change = dict[str, list[Any]]  # upserts / decisions: [key, json]; deletes: [key]

ENTITY_KINDS: dict[str, type[Entity]] = {
    cls.kind: cls
    for cls in (
        Clock, Shelter, Vehicle, Reservation, WaitEntry, PendingAlert, HeldAlert, Processed,
    )
}


def kind_of(key: str) -> str:
    return key.split(SEP, 1)[0]


def entity_to_json(entity: Entity) -> bytes:
    """Canonical JSON of an entity (sorted keys, UTC times): same entity, same bytes."""
    return canonical_json(entity.model_dump(mode="json"))


def entity_from_json(key: str, raw: bytes | str) -> Entity:
    """The entity stored under ``key`` (without the region prefix)."""
    cls = ENTITY_KINDS.get(kind_of(key))
    if cls is None:
        raise ValueError(f"unknown entity kind in key {key!r}")
    entity = cls.model_validate_json(raw)
    if entity.key != key:
        raise ValueError(f"entity {entity.key!r} stored under {key!r}")
    return entity


def _key(region: str, key: str) -> bytes:
    return f"{region}{SEP}{key}".encode()


def _mark(partition: int) -> bytes:
    return f"~partition{SEP}{partition}".encode()  # "~" is never the start of a p-code


class RegionStates:
    def __init__(self, table: MutableMapping[bytes, bytes]) -> None:
        self.table = table
        self.cache: dict[str, RegionState] = {}

    def forget(self) -> None:
        """Partitions moved: another worker may have changed what we cached."""
        self.cache.clear()

    def get(self, region: str) -> RegionState:
        state = self.cache.get(region)
        if state is None:
            journal = self.table.get(_key(region, JOURNAL))
            if journal is not None:
                self._write(region, orjson.loads(journal))  # complete a cut-off event
            state = RegionState.from_entities(region, self._entities(region))
            self.cache[region] = state
        return state

    def _entities(self, region: str) -> list[Entity]:
        prefix = f"{region}{SEP}".encode()
        stored = {}
        for raw_key, raw in list(self.table.items()):
            if raw_key.startswith(prefix):
                key = raw_key[len(prefix) :].decode()
                if kind_of(key) not in _NOT_ENTITIES:
                    stored[key] = raw
        shelters = {k.split(SEP, 1)[1]: orjson.loads(v) for k, v in stored.items()
                    if kind_of(k) == SHELTER}  # fmt: skip
        return [entity_from_json(k, upgraded(kind_of(k), v, shelters)) for k, v in stored.items()]

    def apply(
        self,
        state: RegionState,
        events: tuple[DomainEvent, ...],
        decisions: list[tuple[str, bytes]],
    ) -> RegionState:
        """Journal the change the events make, then write it key by key."""
        region = state.region_pcode
        delta = writes(events)
        gone = sorted(
            (p.key, p.decision_ids)
            for e in events
            if isinstance(e, ProcessedForgotten)
            for p in e.processed
        )
        forgotten = [d for _, ids in gone for d in ids]
        change: Change = {
            "upserts": [[e.key, entity_to_json(e).decode()] for e in delta.upserts],
            "deletes": list(delta.deletes) + [f"{DECISION}{SEP}{d}" for d in forgotten],
            "decisions": [[f"{DECISION}{SEP}{d}", raw.decode()] for d, raw in decisions],
        }
        self.table[_key(region, JOURNAL)] = orjson.dumps(change)
        self._write(region, change)
        new = state.apply(delta)
        self.cache[region] = new
        return new

    def _write(self, region: str, change: Change) -> None:
        for key, raw in [*change["decisions"], *change["upserts"]]:
            self.table[_key(region, key)] = raw.encode()
        for key in change["deletes"]:
            self.table.pop(_key(region, key), None)

    def mark(self, partition: int, offset: int) -> None:
        """The last write of every event: its offset is done. The changelog of a partition is
        one ordered stream, so a surviving mark means every earlier write survived too."""
        self.table[_mark(partition)] = str(offset).encode()

    def marked(self, partition: int) -> int | None:
        raw = self.table.get(_mark(partition))
        return None if raw is None else int(raw)

    def recorded(self, region: str, decision_id: str) -> bytes | None:
        return self.table.get(_key(region, f"{DECISION}{SEP}{decision_id}"))


async def read_range(
    bootstrap: str, topic: str, partition: int, start: int, end: int
) -> AsyncIterator[ConsumerRecord]:
    """The records of one partition with offsets in [start, end)."""
    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(**connect(bootstrap, "allocator"), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, start)
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            for record in batch.get(tp, []):
                if record.offset < end:
                    yield record
    finally:
        await consumer.stop()
