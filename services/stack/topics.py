"""Create topics on the broker from the catalogue in code: partitions, retention, cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from services.stack.credentials import ADMIN
from services.stack.errors import StackError


@dataclass(frozen=True)
class TopicPlan:
    """What to create: one broker topic, named with its namespace already applied."""

    name: str
    partitions: int
    retention_ms: int | None
    cleanup_policy: str
    log_append_time: bool = False
    """The broker stamps each record's time (partners cannot choose the log time)."""

    def new_topic(self) -> NewTopic:
        configs = {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(-1 if self.retention_ms is None else self.retention_ms),
        }
        if self.log_append_time:
            configs["message.timestamp.type"] = "LogAppendTime"
        return NewTopic(self.name, self.partitions, 1, topic_configs=configs)


def _admin_access(bootstrap: str) -> dict[str, Any]:
    """The stack's own operations (create, describe, wait) run as the admin principal."""
    from services.kafka_access import connect

    return connect(bootstrap, principal=ADMIN)


async def wait_ready(bootstrap: str, *, within: float = 60.0) -> None:
    """Wait until the broker answers a metadata request."""
    deadline = asyncio.get_running_loop().time() + within
    last: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = AIOKafkaAdminClient(**_admin_access(bootstrap), request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.describe_cluster()
            return
        except KafkaError as exc:
            last = exc
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    raise StackError(f"Kafka at {bootstrap} did not answer within {within:.0f}s: {last}")


async def ensure_topics(bootstrap: str, plans: Iterable[TopicPlan]) -> list[str]:
    """Create every planned topic that does not exist yet; returns the names created."""
    plans = list(plans)
    admin = AIOKafkaAdminClient(**_admin_access(bootstrap), request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [p for p in plans if p.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics([p.new_topic() for p in missing])
        created = []
        for topic, code, *rest in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif for_code(code) is not TopicAlreadyExistsError:
                message = rest[0] if rest else ""
                raise StackError(
                    f"could not create topic {topic}: {for_code(code).__name__} {message}"
                )
        await _wait_for_leaders(admin, [p.name for p in missing])
        return created
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """A new topic is usable once every partition has a leader."""
    for _ in range(100):
        described = await admin.describe_topics(names)
        if all(
            t["error_code"] == 0 and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        ):  # fmt: skip
            return
        await asyncio.sleep(0.1)
    raise StackError(f"topics {names} have no leader yet")


async def delete_prefixed(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with ``prefix`` (a benchmark's namespace)."""
    admin = AIOKafkaAdminClient(**_admin_access(bootstrap), request_timeout_ms=30_000)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


async def describe(bootstrap: str, names: list[str]) -> dict[str, int]:
    """Partition count of each named topic that exists."""
    admin = AIOKafkaAdminClient(**_admin_access(bootstrap), request_timeout_ms=10000)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}
    finally:
        await admin.close()


async def topic_config(bootstrap: str, name: str) -> dict[str, str]:
    """The broker's effective configuration of one topic."""
    admin = AIOKafkaAdminClient(**_admin_access(bootstrap), request_timeout_ms=10000)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, name)
        [response] = await admin.describe_configs([resource])
        _code, _message, _type, _name, entries = response.resources[0][:5]
        return {entry[0]: entry[1] for entry in entries}
    finally:
        await admin.close()
