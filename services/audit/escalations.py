"""`corridor replay` for the escalator, and `corridor inbox --partner P`.

The escalator's output is a pure function of the region log: replaying a region's log from
offset 0 must reproduce every escalation it published, byte for byte (DESIGN.md §4)."""

from __future__ import annotations

import os

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.catalogue import ESCALATION_EVENTS, REGION_EVENTS, inbox_topic, topic_name
from schemas.codec import decode, payload_of
from schemas.outputs import EscalationEvent
from schemas.sequenced import SequencedEvent
from services.allocator.domain import AllocatorConfig
from services.audit.allocations import ReplayReport, read_key
from services.config import Settings
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.messages import Operates
from services.escalator.domain.routing import RegistryRouting
from services.escalator.replay import encoded, replay
from services.escalator.store import Folds
from services.kafka_access import connect
from services.registry.partners import PartnerRegistry, load_secrets
from services.stack import topics


def registry(settings: Settings) -> PartnerRegistry:
    return PartnerRegistry.load(
        settings.partners_file, load_secrets(settings.partner_secrets_file, os.environ)
    )


async def replay_escalations(settings: Settings, region: str) -> ReplayReport:
    report = ReplayReport(region)
    ns, bootstrap = settings.topic_namespace, settings.bootstrap_servers
    events = [
        SequencedEvent.from_cloudevent(decode(r.value, r.headers))
        async for r in read_key(bootstrap, topic_name(REGION_EVENTS, ns), region.encode())
    ]
    report.events = len(events)
    partners = registry(settings)
    allocator = AllocatorConfig()
    folds = Folds(EscalatorConfig(stale_after=allocator.stale_after), allocator,
                  RegistryRouting(partners))  # fmt: skip

    def inboxes(partner_id: str) -> Operates | None:
        return None  # the full records only: inbox copies are derived from them

    published = encoded(replay(events, folds, inboxes))
    report.replayed = {message_id: raw for (_, message_id), raw in published.items()}
    topic = topic_name(ESCALATION_EVENTS, ns)
    async for record in read_key(bootstrap, topic, region.encode()):
        report.emitted[decode(record.value).id] = record.value
    return report


async def read_inbox(settings: Settings, partner_id: str, limit: int) -> list[EscalationEvent]:
    """What ``partner_id`` reads in its inbox, newest first (at most ``limit``)."""
    topic = topic_name(inbox_topic(partner_id), settings.topic_namespace)
    count = (await topics.describe(settings.bootstrap_servers, [topic])).get(topic, 0)
    if not count:
        raise LookupError(f"no inbox topic {topic}: is {partner_id} in the registry with an inbox?")
    partitions = [TopicPartition(topic, p) for p in range(count)]
    consumer = AIOKafkaConsumer(**connect(settings.bootstrap_servers, settings=settings),
                                enable_auto_commit=False, auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    found: list[EscalationEvent] = []
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    event = payload_of(decode(record.value))
                    if isinstance(event, EscalationEvent):
                        found.append(event)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    found.sort(key=lambda e: (e.updated_at, e.escalation_id, e.revision), reverse=True)
    return found[:limit]
