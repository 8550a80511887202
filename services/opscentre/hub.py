"""One Kafka consumer per server process, fanning decisions and escalations out to SSE clients.

The consumer has no group (it is assigned every partition and commits nothing) and starts at
the end of the topics: the stream shows what happens from now on, before the ledger has it.
Each subscriber has a bounded queue; one that falls behind is cut off (its stream ends with a
``reset`` event and the page reconnects and reloads) instead of slowing everybody down.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.catalogue import ALLOCATION_DECISIONS, ESCALATION_EVENTS, topic_name
from schemas.codec import decode, payload_of
from schemas.errors import CodecError
from schemas.outputs import AllocationDecision, EscalationEvent
from schemas.types import RejectReason
from services.kafka_access import connect
from services.opscentre.auth import Principal

log = structlog.get_logger()

QUEUE_SIZE = 1000
RETRY_SECONDS = 1.0
ASSIGNMENT_POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One event as the stream sends it: ``kind`` is ``decision`` or ``escalation``."""

    kind: str
    id: str
    region: str
    sector: str | None
    data: bytes  # the payload as JSON

    def visible_to(self, principal: Principal) -> bool:
        return principal.sees(self.region, self.sector)


def item_of(value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> StreamItem:
    """The stream item of a Kafka record; raises CodecError for anything else."""
    payload = payload_of(decode(value, headers))
    data = orjson.dumps(payload.model_dump(mode="json"))
    if isinstance(payload, AllocationDecision):
        return StreamItem("decision", payload.decision_id, payload.region_pcode, None, data)
    if isinstance(payload, EscalationEvent):
        ident = f"{payload.escalation_id}#{payload.revision}"
        return StreamItem("escalation", ident, payload.region_pcode, str(payload.sector), data)
    raise CodecError(
        RejectReason.UNSUPPORTED_TYPE, f"not a decision or escalation: {type(payload)}"
    )


@dataclass(eq=False)
class Subscriber:
    principal: Principal
    queue: asyncio.Queue[StreamItem] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False


class StreamHub:
    """The shared consumer and its subscribers."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self._bootstrap = bootstrap
        self._topics = [
            topic_name(ALLOCATION_DECISIONS, namespace),
            topic_name(ESCALATION_EVENTS, namespace),
        ]
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="opscentre-stream-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, principal: Principal) -> Subscriber:
        subscriber = Subscriber(principal)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, item: StreamItem) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.overflowed or not item.visible_to(subscriber.principal):
                continue
            try:
                subscriber.queue.put_nowait(item)
            except asyncio.QueueFull:
                subscriber.overflowed = True

    async def _run(self) -> None:
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is away: the API keeps serving, retry
                self.ready.clear()
                log.warning("stream hub: consumer failed, retrying", error=str(exc)[:200])
                await asyncio.sleep(RETRY_SECONDS)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            **connect(self._bootstrap, "opscentre"),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            metadata_max_age_ms=10_000,  # topics created after the start are found soon
        )
        try:
            await consumer.start()
            consumer.subscribe(self._topics)  # no group: every partition is assigned
            for tp in await self._assigned(consumer):
                await consumer.position(tp)  # resolved now: every later record is seen
            self.ready.set()
            async for record in consumer:
                self._handle(record.value, list(record.headers or ()))
        finally:
            self.ready.clear()
            await consumer.stop()

    async def _assigned(self, consumer: AIOKafkaConsumer) -> set[TopicPartition]:
        """The partitions of every topic, once they exist (the metadata arrives shortly)."""
        wanted = set(self._topics)
        # aiokafka has no event for a group-less assignment: poll it
        while {tp.topic for tp in consumer.assignment()} != wanted:  # noqa: ASYNC110
            await asyncio.sleep(ASSIGNMENT_POLL_SECONDS)
        return set(consumer.assignment())

    def _handle(self, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        try:
            item = item_of(value, headers)
        except CodecError as exc:
            log.warning("stream hub: undecodable record skipped", reason=str(exc)[:200])
            return
        self.publish(item)


def sse_frame(item: StreamItem) -> bytes:
    """The ``text/event-stream`` frame of one item."""
    head = f"event: {item.kind}\nid: {item.id}\ndata: ".encode()
    return head + item.data + b"\n\n"
