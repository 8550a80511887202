"""`corridor replay`: re-run the allocator's core over a region's log, compare with what it emitted.

Replaying region.events.v1 from offset 0 must reproduce every decision byte for byte
(DESIGN.md §4, invariant 4). This is the audit trail: "why did this family go there?"
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas.catalogue import ALLOCATION_DECISIONS, REGION_EVENTS, topic_name
from schemas.codec import decode
from schemas.sequenced import SequencedEvent
from services.allocator.domain.decisions import encode_decision
from services.audit.replay import replay
from services.config import Settings
from services.kafka_access import connect
from services.stack import topics


@dataclass
class ReplayReport:
    region: str
    events: int = 0
    replayed: dict[str, bytes] = field(default_factory=dict)
    emitted: dict[str, bytes] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        """Decisions the replay makes that were never emitted."""
        return sorted(set(self.replayed) - set(self.emitted))

    @property
    def unexplained(self) -> list[str]:
        """Decisions emitted that the replay does not make."""
        return sorted(set(self.emitted) - set(self.replayed))

    @property
    def different(self) -> list[str]:
        """Same id, different bytes."""
        both = set(self.replayed) & set(self.emitted)
        return sorted(i for i in both if self.replayed[i] != self.emitted[i])

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexplained or self.different)


async def read_key(bootstrap: str, topic: str, key: bytes) -> AsyncIterator[ConsumerRecord]:
    """Every record of `topic` with `key`, from offset 0 to the end as it is now."""
    count = (await topics.describe(bootstrap, [topic])).get(topic, 0)
    if not count:
        return
    partitions = [TopicPartition(topic, p) for p in range(count)]
    consumer = AIOKafkaConsumer(
        **connect(bootstrap), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.key == key:
                        yield record
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()


async def replay_region(settings: Settings, region: str) -> ReplayReport:
    report = ReplayReport(region)
    ns = settings.topic_namespace
    events = []
    async for record in read_key(
        settings.bootstrap_servers, topic_name(REGION_EVENTS, ns), region.encode()
    ):
        events.append(SequencedEvent.from_cloudevent(decode(record.value, record.headers)))
    report.events = len(events)
    _, decisions = replay(events, region=region)
    report.replayed = {d.decision_id: encode_decision(d) for d in decisions}
    topic = topic_name(ALLOCATION_DECISIONS, ns)
    async for record in read_key(settings.bootstrap_servers, topic, region.encode()):
        report.emitted[decode(record.value).id] = record.value
    return report
