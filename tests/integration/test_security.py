"""Nobody gets in where they don't belong: the broker's identities and ACLs, tried as a hostile
partner would, and intake's checks of the whole signed envelope and of time.

Every refusal expected here is Kafka's own authorisation error or intake's reason."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from schemas.catalogue import inbox_topic, topic_name
from schemas.codec import decode, payload_of
from schemas.envelope import CloudEvent
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.publish import encode, partner_event, secrets, send
from services.stack.local import prepare
from tests import samples
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

pytestmark = pytest.mark.skipif(
    os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP") is not None,
    reason="an external test broker is taken as an open one",
)

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
SECRETS = secrets(Settings())


async def _write(options: dict, topic: str) -> None:
    producer = AIOKafkaProducer(**options, request_timeout_ms=10_000)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}"), 20)
    finally:
        await producer.stop()


async def _read(options: dict, topic: str) -> int:
    """How many records a client gets from partition 0 (Kafka answers an unauthorised reader
    with errors that aiokafka logs: it gets nothing)."""
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    got = 0
    try:
        consumer.assign([TopicPartition(topic, 0)])
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=300)
            got += sum(len(records) for records in batch.values())
    except TopicAuthorizationFailedError:
        return 0  # or it says so outright
    finally:
        await consumer.stop()
    return got


async def _planted(kafka_bootstrap: str, topic: str) -> str:
    """One record in partition 0 of ``topic``, written as the admin."""
    producer = AIOKafkaProducer(**connect(kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", partition=0)
    finally:
        await producer.stop()
    return topic


@pytest.fixture
async def ns(kafka_bootstrap: str, namespace: str) -> str:
    await prepare(kafka_bootstrap, namespace)
    return namespace


@pytest.mark.timeout(120)
async def test_a_partner_writes_only_its_ingress_topics_and_reads_only_its_inbox(
    kafka_bootstrap: str, ns: str
) -> None:
    dpc = connect_partner("dpc-ht")
    await _write(dpc, topic_name(ALERTS, ns))  # its own right
    for forbidden in (
        "region.events.v1",
        "allocation.decisions.v1",
        "escalation.events.v1",
        inbox_topic("iom-dtm-ht"),
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await _write(dpc, topic_name(forbidden, ns))
    own = await _planted(kafka_bootstrap, topic_name(inbox_topic("dpc-ht"), ns))
    assert await _read(dpc, own) == 1  # its own inbox
    for forbidden in (inbox_topic("iom-dtm-ht"), ALERTS, "ingress.rejected.v1", "region.events.v1"):
        topic = await _planted(kafka_bootstrap, topic_name(forbidden, ns))
        assert await _read(connect(kafka_bootstrap), topic) >= 1  # there is something to read
        assert await _read(dpc, topic) == 0, f"dpc-ht read {forbidden}"
    # the CAP adapter's topic is not a field partner's
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(dpc, topic_name("ingress.hazard-warnings.v1", ns))


@pytest.mark.timeout(120)
async def test_a_partner_cannot_create_or_delete_topics(kafka_bootstrap: str, ns: str) -> None:
    admin = AIOKafkaAdminClient(**connect_partner("dpc-ht"), request_timeout_ms=10_000)
    await admin.start()
    try:
        created = await _error_codes(admin.create_topics([NewTopic(f"{ns}.mine", 1, 1)]))
        deleted = await _error_codes(admin.delete_topics([topic_name(ALERTS, ns)]))
    finally:
        await admin.close()
    assert created == [29] and deleted == [29]  # TOPIC_AUTHORIZATION_FAILED, Kafka's own
    assert topic_name(ALERTS, ns) in await _topics(connect(kafka_bootstrap))


async def _error_codes(call: object) -> list[int]:
    """The per-topic error codes of a CreateTopics/DeleteTopics answer (or its exception)."""
    try:
        response = await call  # type: ignore[misc]
    except KafkaError as exc:
        return [getattr(exc, "errno", -1)]
    entries = getattr(response, "topic_errors", None) or getattr(response, "topic_error_codes", [])
    return [entry[1] for entry in entries]


async def _topics(options: dict) -> list[str]:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        return await admin.list_topics()
    finally:
        await admin.close()


@pytest.mark.timeout(120)
async def test_no_credentials_or_a_wrong_password_cannot_connect(kafka_bootstrap: str) -> None:
    settings = Settings()
    anonymous = {"bootstrap_servers": kafka_bootstrap}
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(_write(anonymous, "anything"), 30)
    wrong = {**connect(kafka_bootstrap, "intake"), "sasl_plain_password": "not-the-password"}
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(_write(wrong, "anything"), 30)
    plaintext_to_partner = {"bootstrap_servers": settings.partner_bootstrap}
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(_write(plaintext_to_partner, "anything"), 30)


@pytest.mark.timeout(120)
async def test_each_processor_writes_only_its_own_outputs(kafka_bootstrap: str, ns: str) -> None:
    await _write(connect(kafka_bootstrap, "intake"), topic_name("region.events.v1", ns))
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(connect(kafka_bootstrap, "intake"), topic_name("allocation.decisions.v1", ns))
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(connect(kafka_bootstrap, "allocator"), topic_name("region.events.v1", ns))
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(connect(kafka_bootstrap, "opscentre"), topic_name(ALERTS, ns))


def _signed(data: dict, topic: str, partner: str, event_id: str, **kw: object) -> CloudEvent:
    return partner_event(data, topic=topic, partner_id=partner, secret=SECRETS[partner],
                         event_id=event_id, validate=False, **kw)  # fmt: skip


def _changed(event: CloudEvent, **update: object) -> CloudEvent:
    """A captured event with attributes changed, its signature kept."""
    return event.model_copy(update=update)


@pytest.mark.timeout(180)
async def test_intake_refuses_replays_forged_times_and_contradicted_regions(
    kafka_bootstrap: str, ns: str, tmp_path
) -> None:
    now = datetime.now(UTC)
    captured = _signed(samples.alert(), ALERTS, "dpc-ht", "ev-captured")
    future_report = samples.shelter(
        "dpc-centre-2", reported_at=(now + timedelta(days=1)).isoformat()
    )
    sends = {
        "original": captured,
        "new-id": _changed(captured, id="ev-replayed"),
        "new-time": _changed(captured, time=now + timedelta(seconds=30)),
        "from-the-future": _signed(
            samples.shelter("dpc-centre-2"),
            SHELTERS,
            "dpc-ht",
            "ev-future",
            time=now + timedelta(hours=2),
        ),
        "report-from-the-future": _signed(future_report, SHELTERS, "dpc-ht", "ev-future-report"),
        "stale": _signed(
            samples.shelter("dpc-centre-2"),
            SHELTERS,
            "dpc-ht",
            "ev-stale",
            time=now - timedelta(days=8),
        ),
        "correct-report": _signed(samples.shelter("dpc-centre-2"), SHELTERS, "dpc-ht", "ev-ok"),
        # located in Port-au-Prince (HT01), claiming Jacmel's department (HT02)
        "contradicted": _signed(samples.alert(region_pcode="HT02"), ALERTS, "dpc-ht", "ev-there"),
    }
    expected = {
        "new-id": "signature_invalid", "new-time": "signature_invalid",
        "from-the-future": "from_the_future", "report-from-the-future": "from_the_future",
        "stale": "stale", "contradicted": "unresolved_region",
    }  # fmt: skip
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=ns)
    env = worker_env(kafka_bootstrap, ns, tmp_path / "state")
    rejected, region = topic_name("ingress.rejected.v1", ns), topic_name("region.events.v1", ns)
    async with TopicReader(kafka_bootstrap, [rejected, region]) as reader:
        with worker("intake", env, tmp_path / "intake.log"):
            for key, event in sends.items():
                topic = (
                    SHELTERS if "report" in key or key in ("from-the-future", "stale") else ALERTS
                )
                message = encode(event, topic=topic, key=key.encode())
                await send([message], settings, as_partner="dpc-ht")
            await reader.read_until(
                lambda rs: sum(r.topic == rejected for r in rs) >= len(expected)
                and sum(r.topic == region and b"RegionTick" not in r.value
                        and "tick" not in decode(r.value).id for r in rs) >= 2,
                within=120,
            )  # fmt: skip
    refused = {
        r.key.decode(): payload_of(decode(r.value)).reason.value  # type: ignore[union-attr]
        for r in reader.records if r.topic == rejected
    }  # fmt: skip
    assert refused == expected
    admitted = {decode(r.value).id for r in reader.records if r.topic == region}
    assert {"ev-captured", "ev-ok"} <= admitted
    assert not admitted & {"ev-replayed", "ev-future", "ev-future-report", "ev-stale", "ev-there"}
