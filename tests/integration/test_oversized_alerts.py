"""Oversized alerts on the real broker, security on (issue 11): intake, the allocator and the
escalator as workers, each partner publishing signed messages as its own principal.

An alert of 2,400 people from a partner whose limit is 500 is admitted and held (its decision
waitlists every household ``awaiting_confirmation``, nothing is reserved); the escalation
reaches the confirming partner's inbox, read as that partner; its confirmation makes the
allocator place the households. A confirmation from a partner not entitled is refused: by
Kafka when it writes the topic itself, by intake (with its reason) when the record gets there
another way. A second held alert is rejected and dropped. Both processors' outputs replay.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import TopicAuthorizationFailedError

from schemas.catalogue import REGION_PARTITIONS, inbox_topic, topic_name
from schemas.codec import decode, payload_of
from schemas.outputs import AllocationDecision, EscalationEvent, RejectedMessage
from schemas.types import DropReason, EscalationReason, EscalationStatus, UnplacedReason
from services.audit.allocations import replay_region
from services.audit.escalations import replay_escalations
from services.config import Settings
from services.kafka_access import connect_partner
from services.publish import encode, partner_event, secrets, send
from services.stack.local import prepare
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

pytestmark = pytest.mark.skipif(
    os.environ.get("CORRIDOR_TEST_KAFKA_BOOTSTRAP") is not None,
    reason="an external test broker is taken as an open one",
)

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
CONFIRMATIONS = "ingress.alert-confirmations.v1"
SECRETS = secrets(Settings())
SENDER, CONFIRMER, OTHER_CONFIRMER = "protection-ht", "iom-ht-national", "dpc-ht"
PAP = {"lat": 18.5392, "lon": -72.3364}  # Port-au-Prince, HT01
OUTPUTS = ("allocation.decisions.v1", "escalation.events.v1", "ingress.rejected.v1")


def now(minutes: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def alert(persons: int) -> dict[str, Any]:
    sizes = [50] * (persons // 50)
    return {"origin": PAP, "cause": "flood", "observed_at": now(-2),
            "households": [{"size": n, "children": 0, "elderly": 0} for n in sizes],
            "demographics": {"children": 0, "adults": persons, "elderly": 0,
                             "female": persons // 2, "male": persons - persons // 2}}  # fmt: skip


def verdict(alert_id: str, answer: str) -> dict[str, Any]:
    return {"alert_id": alert_id, "region_pcode": "HT01", "verdict": answer, "decided_at": now()}


async def publish(partner: str, topic: str, event_id: str, data: dict, settings: Settings,
                  *, as_partner: str | None = None) -> None:  # fmt: skip
    """Signed by ``partner``; sent as ``as_partner`` (default: the signer) or as this tool."""
    event = partner_event(data, topic=topic, partner_id=partner, secret=SECRETS[partner],
                          event_id=event_id, validate=False)  # fmt: skip
    message = encode(event, topic=topic, key=event_id.encode())
    await send([message], settings, as_partner=as_partner)


class Seen:
    def __init__(self, records: list, namespace: str) -> None:
        self.decisions: list[AllocationDecision] = []
        self.escalations: list[EscalationEvent] = []
        self.rejected: dict[str, RejectedMessage] = {}
        names = {topic_name(t, namespace): t for t in OUTPUTS}
        for record in records:
            payload = payload_of(decode(record.value, record.headers))
            topic = names[record.topic]
            if isinstance(payload, AllocationDecision) and payload not in self.decisions:
                self.decisions.append(payload)
            elif isinstance(payload, EscalationEvent) and topic == "escalation.events.v1":
                self.escalations.append(payload)
            elif isinstance(payload, RejectedMessage) and payload.event_id:
                self.rejected[payload.event_id] = payload

    def placed(self, alert_id: str) -> set[int]:
        return {p.household_index for d in self.decisions for p in d.placements
                if p.alert_id == alert_id}  # fmt: skip

    def confirmation(self) -> list[EscalationEvent]:
        return [e for e in self.escalations if e.reason == EscalationReason.CONFIRMATION_NEEDED]


async def read_inbox(partner: str, namespace: str, until: Any, within: float = 60) -> list:
    """The partner's inbox, read as the partner over TLS (no group: every partition)."""
    topic = topic_name(inbox_topic(partner), namespace)
    consumer = AIOKafkaConsumer(**connect_partner(partner), enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    found: list[EscalationEvent] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(REGION_PARTITIONS)])
        deadline = datetime.now(UTC) + timedelta(seconds=within)
        while not until(found):
            assert datetime.now(UTC) < deadline, f"inbox of {partner}: {found}"
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for r in records:
                    event = payload_of(decode(r.value, r.headers))
                    assert isinstance(event, EscalationEvent)
                    found.append(event)
    finally:
        await consumer.stop()
    return found


def asking(found: list[EscalationEvent]) -> list[EscalationEvent]:
    """The revisions asking about both held alerts."""
    return [e for e in found if e.reason == EscalationReason.CONFIRMATION_NEEDED
            and e.alert_ids == ("big-1", "big-2")]  # fmt: skip


@pytest.mark.timeout(240)
async def test_an_oversized_alert_is_held_until_a_confirming_partner_confirms_it(
    kafka_bootstrap, namespace, tmp_path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state", CORRIDOR_TICK_INTERVAL="0.5")
    topics = [topic_name(t, namespace) for t in OUTPUTS]
    shelter = {"shelter_id": "111_01_990", "location": PAP, "services": [], "occupancy": 0,
               "capacity": {"kind": "persons", "persons": 5000},
               "reported_at": now(-1)}  # fmt: skip

    def seen(done):
        return lambda records: done(Seen(records, namespace))

    async with TopicReader(kafka_bootstrap, topics) as reader:
        with (
            worker("intake", env, tmp_path / "intake.log"),
            worker("allocator", env, tmp_path / "allocator.log"),
            worker("escalator", env, tmp_path / "escalator.log"),
        ):
            await publish("iom-dtm-ht", SHELTERS, "big-shelter", shelter, settings,
                          as_partner="iom-dtm-ht")  # fmt: skip
            await publish(SENDER, ALERTS, "big-1", alert(2400), settings, as_partner=SENDER)
            await publish(SENDER, ALERTS, "big-2", alert(600), settings, as_partner=SENDER)

            # held: decided at once, every household awaiting confirmation, nothing reserved
            await reader.read_until(
                seen(lambda s: {"big-1", "big-2"} <= {d.alert_id for d in s.decisions}),
                within=60,
            )
            held = Seen(reader.records, namespace)
            [first] = [d for d in held.decisions if d.alert_id == "big-1"]
            assert not first.placements and len(first.waitlisted) == 48
            assert {w.reason for w in first.waitlisted} == {UnplacedReason.AWAITING_CONFIRMATION}

            # the confirming partner is asked, in its own inbox; so is the sender
            asked = asking(await read_inbox(CONFIRMER, namespace, asking))[-1]
            assert (asked.persons_affected, asked.households_affected) == (3000, 60)
            assert asked.level.value == "L2" and asked.region_pcode == "HT01"
            assert asked.recipients == () and asked.cause_event_ids == ()  # minimised
            await read_inbox(SENDER, namespace, asking)

            # not entitled: Kafka refuses the write; intake refuses the record with its reason
            unentitled = verdict("big-1", "confirmed")
            with pytest.raises(TopicAuthorizationFailedError):
                await publish("croix-rouge-ht", CONFIRMATIONS, "c-crh", unentitled, settings,
                              as_partner="croix-rouge-ht")  # fmt: skip
            # written as the tool's principal instead: intake must still refuse it
            await publish("croix-rouge-ht", CONFIRMATIONS, "c-crh", unentitled, settings)
            await reader.read_until(seen(lambda s: "c-crh" in s.rejected), within=60)
            assert not Seen(reader.records, namespace).placed("big-1")

            # confirmed by the national contact: placed; rejected by the civil protection: dropped
            await publish(CONFIRMER, CONFIRMATIONS, "c-1", verdict("big-1", "confirmed"),
                          settings, as_partner=CONFIRMER)  # fmt: skip
            await publish(OTHER_CONFIRMER, CONFIRMATIONS, "c-2", verdict("big-2", "rejected"),
                          settings, as_partner=OTHER_CONFIRMER)  # fmt: skip
            await reader.read_until(
                seen(lambda s: len(s.placed("big-1")) == 48
                     and any(e.status == EscalationStatus.RESOLVED for e in s.confirmation())),
                within=90,
            )  # fmt: skip
            # a verdict on no held alert changes nothing, and the allocator says so in its log
            await publish(CONFIRMER, CONFIRMATIONS, "c-9", verdict("big-9", "confirmed"),
                          settings, as_partner=CONFIRMER)  # fmt: skip
            for _ in range(120):
                if "big-9" in (tmp_path / "allocator.log").read_text():
                    break
                await reader.linger(0.5)
    ignored = [line for line in (tmp_path / "allocator.log").read_text().splitlines()
               if "confirmation ignored" in line and "big-9" in line]  # fmt: skip
    assert ignored and "no alert with this id is held" in ignored[0]
    got = Seen(reader.records, namespace)
    refused = got.rejected["c-crh"]
    assert refused.reason.value == "unauthorised" and CONFIRMATIONS in refused.message
    assert got.placed("big-1") == set(range(48)) and not got.placed("big-2")
    [dropped] = [d for d in got.decisions if d.dropped]
    assert dropped.cause_event_id == "c-2"
    assert {(d.alert_id, d.reason) for d in dropped.dropped} == {
        ("big-2", DropReason.CONFIRMATION_REJECTED)
    }
    assert len(dropped.dropped) == 12
    states = [e.status for e in got.confirmation()]
    assert states[0] == EscalationStatus.OPEN and states[-1] == EscalationStatus.RESOLVED
    assert [d.alert_id for d in got.decisions].count("big-1") == 1  # one decision per alert

    # both processors' outputs are what replaying the region log gives, byte for byte
    allocations = await replay_region(settings, "HT01")
    assert allocations.ok, (allocations.missing, allocations.unexplained, allocations.different)
    escalations = await replay_escalations(settings, "HT01")
    assert escalations.ok, (escalations.missing, escalations.unexplained, escalations.different)
