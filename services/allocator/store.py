"""Region states kept in a changelog-backed faust table, one key per entity.

The domain's events (:mod:`.domain.events`) become table writes here: the entities they write
and the keys they delete (:func:`~services.allocator.domain.evolve.writes`), and the recorded
decisions of the processed event ids they forget. Keys are ``<region>|<kind>|<id>`` (entities
of :mod:`.entities`), ``<region>|decision|<decision_id>`` (the encoded decisions, re-emitted
when a processed event is delivered again), the per-partition journal and mark.

A worker handles a batch of records at a time and writes each key once per batch (the last
value wins). The writes of a batch reach the changelog as several messages, and a worker killed
in between leaves a prefix of them. So each partition's batch first writes its whole change
(every region's keys and the partition's mark) as one message under ``~journal|<partition>``;
the fine-grained keys follow, then the mark ``~partition|<partition>`` (the offset of the
batch's last event). Before a partition's first event after an assignment the worker
re-applies its journal (upserts and deletes are idempotent), which completes a prefix; when the
journal itself was lost, none of the batch's writes landed and its events are decided again
(the agent catches up from the mark). A worker keeps a cache of the regions it serves, rebuilt
after every rebalance: the table, not the cache, is the state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass, field
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
Change = dict[str, list[Any]]  # upserts: [key, json]; deletes: [key]

ENTITY_KINDS: dict[str, type[Entity]] = {
    cls.kind: cls
    for cls in (
        Clock,
        Shelter,
        Vehicle,
        Reservation,
        WaitEntry,
        PendingAlert,
        HeldAlert,
        Processed,
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


def _journal(partition: int) -> bytes:
    return f"~journal{SEP}{partition}".encode()


@dataclass
class Pending:
    """The writes of one partition's batch not yet in the table: per region, each key's last
    value (``None``: deleted), and the offset of the last event handled."""

    regions: dict[str, dict[str, str | None]] = field(default_factory=dict)
    mark: int | None = None
    size: int = 0  # bytes of the values, about what the journal will weigh

    def put(self, region: str, key: str, raw: str | None) -> None:
        self.regions.setdefault(region, {})[key] = raw
        self.size += len(key) + (len(raw) if raw else 0)

    def journal(self) -> dict[str, Any]:
        return {"mark": self.mark, "regions": {
            region: {"upserts": [[k, v] for k, v in keys.items() if v is not None],
                     "deletes": [k for k, v in keys.items() if v is None]}
            for region, keys in self.regions.items()
        }}  # fmt: skip


class RegionStates:
    """The regions a worker serves: a cache of their states over the table, and the writes of
    the batch in hand per partition, which :meth:`flush` journals and writes."""

    def __init__(self, table: MutableMapping[bytes, bytes]) -> None:
        self.table = table
        self.cache: dict[str, RegionState] = {}
        self.pending: dict[int, Pending] = {}
        self.settled: set[int] = set()  # partitions whose journal was completed since forget

    def forget(self) -> None:
        """Partitions moved: another worker may have changed what we cached. (faust revokes
        after the batch in hand is acknowledged, so nothing is pending then.)"""
        self.cache.clear()
        self.settled.clear()

    def settle(self, partition: int) -> None:
        """Once per assignment, before a partition's first event: complete the journal of its
        last batch (a worker killed in the middle of writing it left a prefix). Call it with
        the partition's event current (faust writes a table key to that changelog partition)."""
        if partition in self.settled:
            return
        raw = self.table.get(_journal(partition))
        if raw is not None:
            self._write_journal(partition, orjson.loads(raw))
        self.settled.add(partition)

    def get(self, region: str, partition: int) -> RegionState:
        state = self.cache.get(region)
        if state is None:
            if self.pending.get(partition):  # the cache was dropped under a pending batch
                self.flush(partition)
            self._upgrade(region)
            state = RegionState.from_entities(region, self._entities(region))
            self.cache[region] = state
        return state

    def _upgrade(self, region: str) -> None:
        """A journal of one event, as Corridor wrote them before batches: complete it, then
        drop it (every later write of the region comes after this delete in its changelog)."""
        key = _key(region, JOURNAL)
        journal = self.table.get(key)
        if journal is not None:
            change = orjson.loads(journal)
            self._write_region(region, {"upserts": [*change["decisions"], *change["upserts"]],
                                        "deletes": change["deletes"]})  # fmt: skip
            self.table.pop(key, None)

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
        partition: int,
    ) -> RegionState:
        """Add the change the events make to the partition's batch; the cache moves on now,
        the table at :meth:`flush`."""
        region = state.region_pcode
        delta = writes(events)
        pending = self.pending.setdefault(partition, Pending())
        for decision_id, raw in decisions:
            pending.put(region, f"{DECISION}{SEP}{decision_id}", raw.decode())
        for entity in delta.upserts:
            pending.put(region, entity.key, entity_to_json(entity).decode())
        for key in delta.deletes:
            pending.put(region, key, None)
        for event in events:
            if isinstance(event, ProcessedForgotten):
                for processed in sorted(event.processed, key=lambda p: p.key):
                    for decision_id in processed.decision_ids:
                        pending.put(region, f"{DECISION}{SEP}{decision_id}", None)
        new = state.apply(delta)
        self.cache[region] = new
        return new

    def mark(self, partition: int, offset: int) -> None:
        """The event at `offset` is handled; its batch's last write says so."""
        self.pending.setdefault(partition, Pending()).mark = offset

    def marked(self, partition: int) -> int | None:
        """The offset of the last event handled (in the batch in hand, or written)."""
        pending = self.pending.get(partition)
        if pending is not None and pending.mark is not None:
            return pending.mark
        raw = self.table.get(_mark(partition))
        return None if raw is None else int(raw)

    def pending_size(self, partition: int) -> int:
        pending = self.pending.get(partition)
        return 0 if pending is None else pending.size

    def flush(self, partition: int) -> None:
        """Write the partition's batch: all of it as one journal message, then key by key,
        then the mark. The changelog of a partition is one ordered stream, so a surviving mark
        means every earlier write survived; a journal without its mark is completed by
        :meth:`settle`; a lost journal means none of the batch landed (it is decided again)."""
        pending = self.pending.pop(partition, None)
        if pending is None:
            return
        journal = pending.journal()
        self.table[_journal(partition)] = orjson.dumps(journal)
        self._write_journal(partition, journal)

    def _write_journal(self, partition: int, journal: dict[str, Any]) -> None:
        for region, change in journal["regions"].items():
            self._write_region(region, change)
        if journal["mark"] is not None:
            self.table[_mark(partition)] = str(journal["mark"]).encode()

    def _write_region(self, region: str, change: Change) -> None:
        for key, raw in change["upserts"]:
            self.table[_key(region, key)] = raw.encode()
        for key in change["deletes"]:
            self.table.pop(_key(region, key), None)

    def recorded(self, region: str, decision_id: str, partition: int) -> bytes | None:
        key = f"{DECISION}{SEP}{decision_id}"
        pending = self.pending.get(partition)
        if pending is not None and key in pending.regions.get(region, {}):
            raw = pending.regions[region][key]
            return None if raw is None else raw.encode()
        return self.table.get(_key(region, key))


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
