"""`corridor up / down / status`: the local stack as one object."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from services.config import Settings, processor_id
from services.registry.secrets import ensure_file
from services.stack import acls, backlog, database, process, topics
from services.stack.backlog import Backlog
from services.stack.errors import StackError
from services.stack.kafka import KafkaNode
from services.stack.postgres import PostgresNode


def topic_plans(namespace: str = "", partners_file: Path | None = None) -> list[topics.TopicPlan]:
    """Every topic of the catalogue, the processors' own and the inbox of every partner in the
    registry that has one, as the broker should have them."""
    from schemas.catalogue import (
        CATALOGUE,
        INGRESS_TOPICS,
        REGION_PARTITIONS,
        inbox_spec,
        topic_name,
    )
    from services.intake import topology as intake
    from services.registry.partners import inbox_partner_ids

    inboxes = [inbox_spec(p) for p in inbox_partner_ids(partners_file)]

    plans = [
        topics.TopicPlan(
            name=topic_name(spec, namespace),
            partitions=spec.partitions,
            retention_ms=spec.retention_ms,
            cleanup_policy=spec.cleanup_policy,
            log_append_time=spec in INGRESS_TOPICS,
        )
        for spec in (*CATALOGUE, *inboxes)
    ]
    plans.append(
        topics.TopicPlan(
            topic_name(intake.ADMITTED, namespace),
            intake.ADMITTED_PARTITIONS,
            intake.ADMITTED_RETENTION_MS,
            "delete",
        )
    )
    # The faust tables' changelogs, created here rather than by faust at start: on a fresh
    # broker a worker that creates its own changelog can read stale metadata (0 partitions)
    # and its agent crashes in a loop with PartitionsMismatch.
    for service, table, partitions in (
        ("allocator", "region-state", REGION_PARTITIONS),
        ("intake", "seen", intake.ADMITTED_PARTITIONS),
    ):
        name = f"{processor_id(service, namespace)}-{table}-changelog"
        plans.append(topics.TopicPlan(name, partitions, None, "compact"))
    return plans


async def prepare(
    bootstrap: str, namespace: str = "", partners_file: Path | None = None, *, secure: bool = True
) -> tuple[list[str], list[acls.Acl]]:
    """Topics and ACLs of a namespace, as the catalogue and the registry want them: what
    `corridor up` does, and what every test that starts processors does for its namespace."""
    created = await topics.ensure_topics(bootstrap, topic_plans(namespace, partners_file))
    if not secure:
        return created, []
    wanted = acls.table(acls.registry_access(partners_file), namespace)
    return created, await acls.ensure(bootstrap, wanted)


@dataclass
class Health:
    name: str
    ok: bool
    detail: str


async def discard_benches(bootstrap: str, namespace: str = "", partners_file: Path | None = None,
                          prefix: str = "bench") -> tuple[int, list[str]]:  # fmt: skip
    """Undo ``prepare`` for the benchmarks' own namespaces (``bench…``): their ACLs and topics,
    also those a crashed run left, so that `corridor status` compares the stack's own ACLs."""
    wanted = set(acls.table(acls.registry_access(partners_file), namespace))
    theirs = [a for a in await acls.current(bootstrap) if a not in wanted
              and (a.name.startswith(prefix) or f"-{prefix}" in a.name)]  # fmt: skip
    revoked = await acls.revoke(bootstrap, theirs)
    return revoked, await topics.delete_prefixed(bootstrap, prefix)


@dataclass
class LocalStack:
    settings: Settings = field(default_factory=Settings)

    @property
    def kafka(self) -> KafkaNode:
        s = self.settings
        return KafkaNode(
            home=s.state_dir / "kafka", jar_cache=s.jar_cache,
            port=s.kafka_port, controller_port=s.kafka_controller_port, heap=s.kafka_heap,
            partner_port=s.kafka_partner_port, secure=s.kafka_security != "none",
            partner_names=tuple(p.partner_id for p in acls.registry_access(s.partners_file)),
        )  # fmt: skip

    @property
    def postgres(self) -> PostgresNode:
        return PostgresNode(
            home=self.settings.state_dir / "postgres", port=self.settings.postgres_port
        )

    def up(self) -> list[str]:
        """Start what is not running, wait for it, create topics, migrate. Idempotent."""
        notes = []
        s = self.settings
        if s.uses_local_kafka:
            how = "started" if self.kafka.start() else "already running"
            notes.append(f"kafka {how} on {s.bootstrap_servers}")
        if s.uses_embedded_postgres:
            how = "started" if self.postgres.start() else "already running"
            notes.append(f"postgres {how} on 127.0.0.1:{s.postgres_port}")
        if s.partner_secrets_file in (None, s.signing_secrets_default):
            # Development signing secrets, generated here like the broker's passwords.
            partners = [p.partner_id for p in acls.registry_access(s.partners_file)]
            ensure_file(s.signing_secrets_default, partners)
            notes.append(f"partner signing secrets in {s.signing_secrets_default}")
        notes.extend(asyncio.run(self._prepare()))
        return notes

    async def _prepare(self) -> list[str]:
        s = self.settings
        await topics.wait_ready(s.bootstrap_servers)
        notes = []
        if s.uses_local_kafka:
            added = await asyncio.to_thread(self.kafka.add_users)
            if added:
                notes.append(f"kafka users added: {', '.join(added)}")
        created, granted = await prepare(s.bootstrap_servers, s.topic_namespace, s.partners_file,
                                         secure=s.kafka_security != "none")  # fmt: skip
        await database.ensure_database(s.dsn())
        applied = await database.migrate(s.dsn())
        return [
            *notes,
            f"topics: {len(created)} created,"
            f" {len(topic_plans(s.topic_namespace, s.partners_file))} in the catalogue",
            f"acls: {len(granted)} created" if s.kafka_security != "none" else "acls: broker open",
            f"migrations: {len(applied)} applied",
        ]

    async def _acl_health(self) -> Health:
        """The broker's ACLs against the table generated from the catalogue and the registry."""
        s = self.settings
        wanted = set(acls.table(acls.registry_access(s.partners_file), s.topic_namespace))
        found = {a for a in await acls.current(s.bootstrap_servers) if a.principal != "*"}
        missing, extra = sorted(wanted - found), sorted(found - wanted)
        if not missing and not extra:
            return Health("acls", True, f"{len(wanted)} ACLs, as generated (docs/architecture.md)")
        detail = "; ".join([*(f"missing {a.describe()}" for a in missing[:3]),
                            *(f"unexpected {a.describe()}" for a in extra[:3])])  # fmt: skip
        return Health("acls", False, f"{len(missing)} missing, {len(extra)} unexpected: {detail}")

    def down(self) -> list[str]:
        notes = []
        if self.settings.uses_local_kafka:
            notes.append("kafka stopped" if self.kafka.stop() else "kafka was not running")
        if self.settings.uses_embedded_postgres:
            notes.append("postgres stopped" if self.postgres.stop() else "postgres was not running")
        return notes

    def status(self) -> list[Health]:
        return asyncio.run(self._status())

    def backlogs(self) -> list[Backlog]:
        """How far behind each processor is (services/stack/backlog.py)."""
        return asyncio.run(backlog.current(self.settings))

    async def _status(self) -> list[Health]:
        s = self.settings
        report = []
        expected = [p.name for p in topic_plans(s.topic_namespace, s.partners_file)]
        host, _, port = s.bootstrap_servers.split(",")[0].rpartition(":")
        try:
            if not process.port_open(host, int(port)):
                raise StackError(f"nothing listens on {s.bootstrap_servers}: run `corridor up`")
            await topics.wait_ready(s.bootstrap_servers, within=5)
            present = await topics.describe(s.bootstrap_servers, expected)
            report.append(Health("kafka", True, f"{s.bootstrap_servers}, "
                                 f"{len(present)}/{len(expected)} catalogue topics"))  # fmt: skip
            if s.kafka_security != "none":
                report.append(await self._acl_health())
        except StackError as exc:
            report.append(Health("kafka", False, str(exc)))
        try:
            conn = await asyncpg.connect(s.dsn(), timeout=5)
            try:
                count = await conn.fetchval("SELECT count(*) FROM schema_migrations")
                version = await conn.fetchval("SHOW server_version")
            finally:
                await conn.close()
            where = f"127.0.0.1:{s.postgres_port}" if s.uses_embedded_postgres else "external"
            report.append(
                Health("postgres", True, f"{where}, PostgreSQL {version}, {count} migrations")
            )
        except OSError:
            report.append(Health("postgres", False, "not answering: run `corridor up`"))
        except (asyncpg.PostgresError, TimeoutError) as exc:
            report.append(Health("postgres", False, f"{type(exc).__name__}: {exc}"))
        return report
