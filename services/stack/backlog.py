"""How far behind each processor is: `corridor status`, `corridor run` and the opscentre.

After "is the broker up", the on-call engineer's question is "is anything stuck?". A processor's
backlog is what its consumer group has not committed past on the topics it reads (the topics
its principal may read, from the ACL table: one list for both), the log time of the oldest of
those records (for a principal that may read them), and how many workers are in the group.
Nothing is committed or joined (the consumer used here has no group). Stuck is told between
looks: records waiting and no progress since the last look (``Progress``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError, for_code
from aiokafka.protocol.admin import (
    DescribeGroupsRequest_v0,
    DescribeGroupsRequest_v1,
    DescribeGroupsRequest_v2,
)
from aiokafka.protocol.api import Request

from services.config import Settings, processor_id
from services.offsets import stored_offsets
from services.stack.acls import GROUPS, LITERAL, READ, TOPIC, table
from services.stack.credentials import ADMIN

T = TypeVar("T")
UNKNOWN_TOPIC = UnknownTopicOrPartitionError.errno
OLDEST_WITHIN_S = 5.0  # how long to wait for the oldest waiting records before leaving them out


@dataclass(frozen=True)
class Backlog:
    """One processor's consumer group: its workers and what waits for them, per topic."""

    processor: str
    state: str  # the group's state as the broker says it: Stable, Empty, PreparingRebalance…
    workers: int
    waiting: Mapping[str, int] = field(default_factory=dict)  # topic → records not committed past
    oldest: datetime | None = None  # log time of the oldest record waiting, if one was read
    position: int = 0  # the sum of its committed offsets: it moved if the group made progress

    @property
    def total(self) -> int:
        return sum(self.waiting.values())

    def describe(self, now: datetime) -> str:
        """One line: ``1 worker (Stable); 12 records waiting (region.events.v1 12), oldest 3 s``."""
        who = f"{self.workers} worker{'s' if self.workers != 1 else ''}" if self.workers else (
            "no worker")  # fmt: skip
        state = "no group" if self.state == "Dead" else self.state  # Kafka's word for none
        line = f"{who} ({state}); "
        if not self.total:
            return line + "nothing waiting"
        parts = ", ".join(f"{t} {n:,}" for t, n in sorted(self.waiting.items()) if n)
        line += f"{self.total:,} record{'s' if self.total != 1 else ''} waiting ({parts})"
        if self.oldest is not None:
            line += f", the oldest from {_age(now - self.oldest)} ago"
        return line


@dataclass
class Progress:
    """Since when each processor has had records waiting at the same position, from one look
    to the next. Pure: a look's backlogs come in, each one's stalled seconds go out (None when
    nothing waits). One notion of "stuck" for `corridor run` and the operations centre."""

    since: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def looked(self, found: Iterable[Backlog], now: datetime) -> list[tuple[Backlog, int | None]]:
        out: list[tuple[Backlog, int | None]] = []
        for each in found:
            if not each.total:
                self.since.pop(each.processor, None)
                out.append((each, None))
                continue
            seen = self.since.get(each.processor)
            if seen is None or seen[0] != each.position:
                seen = self.since[each.processor] = (each.position, now)
            out.append((each, int((now - seen[1]).total_seconds())))
        return out


@dataclass
class Late:
    """Which processors are behind: records have waited ``after_s`` seconds for one without it
    committing past any. Pure: each look's backlogs come in, the lines to say go out, once when
    a processor falls behind and once when it makes progress again (a worker alive but stuck, or
    rebuilding for minutes, is what the supervisor cannot see)."""

    after_s: float = 60.0
    progress: Progress = field(default_factory=Progress)
    behind: set[str] = field(default_factory=set)

    def lines(self, found: Iterable[Backlog], now: datetime) -> list[tuple[str, str]]:
        """(processor, line) for each processor that fell behind or moves again since the last
        look."""
        out = []
        for each, stalled in self.progress.looked(found, now):
            late = stalled is not None and stalled >= self.after_s
            if late and each.processor not in self.behind:
                self.behind.add(each.processor)
                stuck = _age(timedelta(seconds=stalled or 0))
                out.append((each.processor, f"{each.processor} is behind, no progress for "
                            f"{stuck}: {each.describe(now)}"))  # fmt: skip
            elif not late and each.processor in self.behind:
                self.behind.discard(each.processor)
                again = f"{each.processor} makes progress again: {each.describe(now)}"
                out.append((each.processor, again))
        return out


def _age(delta: Any) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def inputs(namespace: str = "") -> dict[str, list[str]]:
    """Processor → the topics its principal may read (as the broker's ACLs say), by name."""
    found: dict[str, set[str]] = {service: set() for service in GROUPS}
    for acl in table((), namespace):
        if acl.principal in found and (acl.resource, acl.pattern, acl.operation) == (
            TOPIC, LITERAL, READ):  # fmt: skip
            found[acl.principal].add(acl.name)
    return {service: sorted(topics) for service, topics in found.items()}


async def current(
    settings: Settings, *, principal: str = ADMIN, oldest: bool = True, db: Any = None
) -> list[Backlog]:
    """Every processor's backlog on this deployment, the ledger's from the offsets it keeps in
    PostgreSQL (read through ``db``, a connection or pool, or a connection of its own)."""
    ns = settings.topic_namespace
    group, topics = processor_id("ledger", ns), inputs(ns)["ledger"]
    if db is None:
        conn = await asyncpg.connect(settings.dsn(), timeout=5)
        try:
            ledger = await stored_offsets(conn, group, topics)
        finally:
            await conn.close()
    else:
        ledger = await stored_offsets(db, group, topics)
    return await backlogs(settings.bootstrap_servers, ns, kept={"ledger": ledger},
                          principal=principal, oldest=oldest, settings=settings)  # fmt: skip


async def backlogs(
    bootstrap: str,
    namespace: str = "",
    processors: Iterable[str] = GROUPS,
    kept: Mapping[str, Mapping[tuple[str, int], int]] | None = None,
    *,
    principal: str = ADMIN,
    oldest: bool = True,
    settings: Settings | None = None,
) -> list[Backlog]:
    """Every processor's backlog, in the order given. ``kept``: the next offsets of processors
    that keep them outside Kafka (the ledger's are in PostgreSQL, with its rows), by
    (topic, partition); for those, what the group committed to Kafka is not looked at. Without
    ``oldest`` no record is read (a principal that may only describe the topics)."""
    from services.kafka_access import connect

    reads = inputs(namespace)
    access = connect(bootstrap, principal, settings)
    admin = AIOKafkaAdminClient(**access, request_timeout_ms=10000)
    consumer = AIOKafkaConsumer(**access, enable_auto_commit=False)
    try:  # started inside: a broker that goes away between the two leaves no client open
        await admin.start()
        await consumer.start()
        groups = {p: processor_id(p, namespace) for p in processors}
        partitions = await _partitions(admin, sorted({t for p in groups for t in reads[p]}))
        # the consumer's own metadata for these topics, at once: without it each offsets call
        # waits for it, 0.1 s per unknown topic (1.2 s of a 1.25 s look)
        await consumer._client.set_topics(list(partitions))
        described = await _retrying(lambda: _describe(admin, list(groups.values())))
        out = []
        for processor, group in groups.items():
            tps = [TopicPartition(t, p) for t in reads[processor] for p in partitions.get(t, ())]
            if kept is not None and processor in kept:
                committed = {tp: kept[processor].get((tp.topic, tp.partition), 0) for tp in tps}
            else:
                committed = {tp: _offset(found) for tp, found in (await _retrying(
                    lambda: admin.list_consumer_group_offsets(group, partitions=tps or None)  # noqa: B023
                )).items()}  # fmt: skip
            starts = await consumer.beginning_offsets(tps) if tps else {}
            ends = await consumer.end_offsets(tps) if tps else {}
            from_ = {tp: max(starts[tp], committed.get(tp, 0)) for tp in tps}
            behind = {tp: ends[tp] - from_[tp] for tp in tps if ends[tp] > from_[tp]}
            waiting: dict[str, int] = {}
            for tp, n in behind.items():
                waiting[tp.topic] = waiting.get(tp.topic, 0) + n
            state, workers = described.get(group, ("Dead", 0))
            first = await _oldest(consumer, {tp: from_[tp] for tp in behind}) if oldest else None
            out.append(Backlog(processor, state, workers, waiting, first, sum(from_.values())))
        return out
    finally:
        await consumer.stop()
        await admin.close()


async def _retrying(call: Callable[[], Awaitable[T]], within: float = 10.0) -> T:
    """``call()``, again while the broker answers with a retriable error (on a fresh broker the
    group coordinator is not there until its offsets topic is)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await call()
        except KafkaError as exc:
            if not exc.retriable or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _partitions(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, list[int]]:
    """Topic → its partitions. A topic the broker does not have is left out; any other error
    (not allowed to describe it) is raised: a backlog it cannot see is not an empty one."""
    found = await admin.describe_topics(topics)
    for topic in found:
        if topic["error_code"] not in (0, UNKNOWN_TOPIC):
            raise for_code(topic["error_code"])(f"describing {topic['topic']}")
    return {t["topic"]: sorted(p["partition"] for p in t["partitions"])
            for t in found if not t["error_code"]}  # fmt: skip


def _offset(found: Any) -> int:
    return max(0, found.offset) if found is not None else 0


class _DescribeGroups(Request[DescribeGroupsRequest_v0 | DescribeGroupsRequest_v1 |
                             DescribeGroupsRequest_v2]):  # fmt: skip
    """DescribeGroups up to version 2: aiokafka 0.14 decodes a version-3 answer with the
    version-2 schema (no ``authorized_operations``) and fails, and 3 is what Kafka 4 picks."""

    API_KEY = 15

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups

    def build(self, request_struct_class: type[Any]) -> Any:
        return request_struct_class(self.groups)


async def _describe(admin: AIOKafkaAdminClient, groups: list[str]) -> dict[str, tuple[str, int]]:
    """Group → (state, number of members), from the raw DescribeGroups answers."""
    out: dict[str, tuple[str, int]] = {}
    for group in groups:
        node = await admin.find_coordinator(group)
        response = await admin._send_request(_DescribeGroups([group]), node)
        for found in response.groups:
            _error, group_id, state, _ptype, _protocol, members = found[:6]
            out[group_id] = (state, len(members))
    return out


async def _oldest(consumer: AIOKafkaConsumer, at: dict[TopicPartition, int]) -> datetime | None:
    """The smallest log time among the first waiting record of each partition given."""
    if not at:
        return None
    consumer.assign(list(at))
    for tp, offset in at.items():
        consumer.seek(tp, offset)
    firsts: dict[TopicPartition, int] = {}
    deadline = asyncio.get_running_loop().time() + OLDEST_WITHIN_S
    while len(firsts) < len(at) and asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(timeout_ms=200, max_records=1)
        for tp, records in batch.items():
            if records and tp not in firsts:
                firsts[tp] = records[0].timestamp
                consumer.pause(tp)
    consumer.assign([])
    return datetime.fromtimestamp(min(firsts.values()) / 1000, UTC) if firsts else None
