"""The escalator on the real broker: what it publishes is the pure replay of the region log.

Region events go into region.events.v1 as intake writes them. The worker's escalations and every
partner's inbox must equal a replay of the same log (same ids, same bytes), also after a SIGKILL
mid-stream; the rules show through: L1 at once, L2 when the SLA passes in log time, the chasing
stops once acknowledged, a hazard reaches the shelter and logistics partners of its region only,
and an inbox holds only its partner's regions and sectors, counts and flags.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from schemas.catalogue import inbox_topic, topic_name
from schemas.codec import decode, encode_structured, payload_of
from schemas.outputs import EscalationEvent
from services.allocator.domain import AllocatorConfig
from services.config import Settings
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.messages import SECTOR_NEEDS
from services.escalator.domain.routing import RegistryRouting
from services.escalator.replay import Published, encoded, replay
from services.escalator.store import Folds
from services.kafka_access import connect
from services.registry.partners import PartnerRegistry, inbox_partner_ids, load_secrets
from services.stack.local import prepare
from tests import escalation_scenario as scenario
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

PARTNERS = PartnerRegistry.load(None, load_secrets(Settings().partner_secrets_file, os.environ))


def expected(events) -> Published:
    folds = Folds(EscalatorConfig(), AllocatorConfig(), RegistryRouting(PARTNERS))

    def inboxes(partner_id: str):
        partner = PARTNERS.get(partner_id)
        return None if partner is None or not partner.inbox else partner.operates_shelter

    return encoded(replay(events, folds, inboxes))


async def produce(bootstrap: str, topic: str, events) -> None:
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all")
    await producer.start()
    try:
        for event in events:
            value = encode_structured(event.to_cloudevent())
            await producer.send_and_wait(topic, value, key=event.region_pcode.encode())
    finally:
        await producer.stop()


@pytest.fixture
async def stage(kafka_bootstrap, namespace, tmp_path):
    await prepare(kafka_bootstrap, namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")
    inboxes = {topic_name(inbox_topic(p), namespace): p for p in inbox_partner_ids()}
    return env, namespace, inboxes


def published(records, namespace: str, inboxes: dict[str, str]) -> Published:
    """(partner or None, message id) → bytes; a repeated id must carry the same bytes."""
    full = topic_name("escalation.events.v1", namespace)
    found: Published = {}
    for record in records:
        partner = None if record.topic == full else inboxes[record.topic]
        key = (partner, decode(record.value).id)
        assert found.get(key, record.value) == record.value, f"{key} changed"
        found[key] = record.value
    return found


def escalations(found: Published, partner: str | None = None) -> list[EscalationEvent]:
    out = [payload_of(decode(v)) for (p, _), v in found.items() if p == partner]
    assert all(isinstance(e, EscalationEvent) for e in out)
    return sorted(out, key=lambda e: (e.escalation_id, e.revision))  # type: ignore[union-attr]


@pytest.mark.timeout(180)
async def test_escalations_and_inboxes_equal_the_replay_and_follow_the_rules(
    kafka_bootstrap, stage, tmp_path
) -> None:
    env, namespace, inboxes = stage
    events = scenario.events()
    want = expected(events)
    async with TopicReader(kafka_bootstrap, [topic_name("escalation.events.v1", namespace),
                                             *inboxes]) as reader:  # fmt: skip
        with worker("escalator", env, tmp_path / "escalator.log"):
            await produce(kafka_bootstrap, topic_name("region.events.v1", namespace), events)
            await reader.read_until(
                lambda rs: len(published(rs, namespace, inboxes)) >= len(want), within=120
            )
            await reader.linger(2)
    got = published(reader.records, namespace, inboxes)
    assert got == want
    full = escalations(got)
    waiting = [e for e in full if e.escalation_id == scenario.WAITING]
    assert waiting[0].level.value == "L1" and waiting[-1].level.value == "L2"
    assert waiting[-1].acknowledged_by == ("dpc-ht",)  # croix-rouge-ht was never sent it
    chasers = [e for e in full if e.reason.value == "unacknowledged"]
    assert not any(scenario.WAITING in e.chases for e in chasers), "an acknowledged one chased"
    assert any(scenario.TRANSPORT in e.chases for e in chasers), "the unacknowledged one not"
    assert {e.region_pcode for e in full} == {"HT01"}  # HT03 had nothing to escalate
    hazard_told = {p for (p, _), v in got.items() if p and "hazard" in decode(v).id}
    assert hazard_told == {"croix-rouge-ht", "dpc-ht", "iom-dtm-ht", "iom-ht-national"}
    for partner_id in inboxes.values():
        partner = PARTNERS.get(partner_id)
        assert partner is not None
        for copy in escalations(got, partner_id):
            assert partner.covers(copy.region_pcode) and copy.sector in partner.sectors
            assert set(copy.needs_counts) <= SECTOR_NEEDS[copy.sector]
            assert copy.cause_event_ids == () and copy.recipients == ()
            assert set(copy.acknowledged_by) <= {partner_id}


def has_snapshot(state: Path) -> bool:
    return any(state.rglob("*.snapshot"))


async def snapshot_written(state: Path, within: float) -> None:
    """Wait for the worker's first snapshot file (it is written after a commit)."""
    deadline = asyncio.get_running_loop().time() + within
    while not has_snapshot(state):
        assert asyncio.get_running_loop().time() < deadline, f"no snapshot in {state}"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("snapshots", ["every 60 s", "after every commit"])
async def test_sigkill_mid_stream_loses_no_deadline_and_changes_nothing(
    kafka_bootstrap, stage, tmp_path, snapshots
) -> None:
    """Every 60 s (the default): no snapshot yet, the restarted worker folds from offset 0.
    After every commit: it folds on from the dead worker's last snapshot (snapshot.py)."""
    env, namespace, inboxes = stage
    every = "0" if snapshots == "after every commit" else "60"
    env = {**env, "CORRIDOR_ESCALATOR_SNAPSHOT_EVERY": every}
    events = scenario.events()
    want = expected(events)
    half = len(events) // 2
    region_topic = topic_name("region.events.v1", namespace)
    async with TopicReader(kafka_bootstrap, [topic_name("escalation.events.v1", namespace),
                                             *inboxes]) as reader:  # fmt: skip
        with worker("escalator", env, tmp_path / "escalator-1.log") as first:
            await produce(kafka_bootstrap, region_topic, events[:half])
            await reader.read_until(lambda rs: len(rs) >= 5, within=120)
            if every == "0":  # the records are out before the commit that a snapshot follows
                await snapshot_written(tmp_path / "state", within=120)
            await produce(kafka_bootstrap, region_topic, events[half:])
            first.send_signal(signal.SIGKILL)  # mid-stream, no goodbye
            first.wait(30)
        with worker("escalator", env, tmp_path / "escalator-2.log"):
            with contextlib.suppress(AssertionError):  # the comparison below says what differs
                await reader.read_until(
                    lambda rs: len(published(rs, namespace, inboxes)) >= len(want), within=120
                )
            await reader.linger(2)
    got = published(reader.records, namespace, inboxes)
    lost = sorted((k for k in set(want) - set(got) if k[0] is None), key=str)
    assert not lost, f"escalations lost: {lost}"
    assert got == want
    restored = "snapshot restored" in (tmp_path / "escalator-2.log").read_text()
    assert restored == (every == "0")
