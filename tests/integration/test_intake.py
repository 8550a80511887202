"""Intake on the real broker: a mixed stream of good and bad partner messages.

Every good message must appear exactly once in region.events.v1 under its region key, every bad
one exactly once in ingress.rejected.v1 with the right reason, and nothing else.
"""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from schemas.envelope import CloudEvent, partner_source
from schemas.signing import sign_event
from services.config import Settings
from services.publish import Outgoing, encode, partner_event, secrets, send
from services.stack.local import prepare
from tests import samples
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
TICK = "org.corridor.region.tick.v1"
SECRETS = secrets(Settings())


def signed(data, topic, partner, key: str, *, event_id=None, binary=False) -> Outgoing:
    event = partner_event(
        data, topic=topic, partner_id=partner, secret=SECRETS[partner],
        event_id=event_id or f"ev-{key}", validate=False,
    )  # fmt: skip
    return encode(event, topic=topic, key=key.encode(), binary=binary)


def household_with(**extra):
    alert = samples.alert()
    alert["households"][0] = {**alert["households"][0], **extra}
    return alert


def good_messages() -> dict[str, tuple[Outgoing, str]]:
    """key → (message, region it must be sequenced into)."""
    return {
        "alert": (signed(samples.alert(), ALERTS, "iom-dtm-ht", "alert"), "HT01"),
        "alert-binary": (
            signed(samples.alert([3]), ALERTS, "dpc-ht", "alert-binary", binary=True),
            "HT01",
        ),
        "shelter": (signed(samples.shelter(), SHELTERS, "iom-dtm-ht", "shelter"), "HT01"),
        "vehicle": (
            signed(
                samples.vehicle(), "ingress.transport-availability.v1", "croix-rouge-ht", "vehicle"
            ),
            "HT01",
        ),
        "feedback": (
            signed(samples.feedback(), "ingress.allocation-feedback.v1", "iom-dtm-ht", "feedback"),
            "HT01",
        ),
        "hazard": (
            signed(samples.hazard(), "ingress.hazard-warnings.v1", "cap-adapter", "hazard"),
            "HT01",
        ),
        "ack": (
            signed(samples.ack(), "ingress.escalation-acks.v1", "protection-ht", "ack"),
            "HT01",
        ),
    }


def bad_messages() -> dict[str, tuple[Outgoing, str]]:
    """key → (message, reason it must be refused with)."""
    stranger = CloudEvent(
        id="ev-stranger", source=partner_source("nobody-ht"),
        type="org.corridor.shelter.capacity.v1", data=samples.shelter(),
    )  # fmt: skip
    forged = sign_event(
        CloudEvent(id="ev-forged", source=partner_source("iom-dtm-ht"),
                   type="org.corridor.shelter.capacity.v1", data=samples.shelter()),
        "not-the-partners-secret",
    )  # fmt: skip
    no_spec = orjson.dumps({"id": "x", "source": "s", "type": "t", "data": {}})
    capacity = {"kind": "persons", "persons": -5}
    big = orjson.dumps({"padding": "x" * (2 * 1024 * 1024)})
    cuba = {"lat": 21.5, "lon": -77.9}
    return {
        "malformed": (Outgoing(ALERTS, b"malformed", b'{"specversion": "1.0", ', []), "malformed"),
        "no-specversion": (Outgoing(ALERTS, b"no-specversion", no_spec, []), "invalid_envelope"),
        "wrong-type": (
            signed(household_with(size="4"), ALERTS, "iom-dtm-ht", "wrong-type"),
            "validation_failed",
        ),
        "missing-field": (
            signed(
                {k: v for k, v in samples.shelter().items() if k != "occupancy"},
                SHELTERS,
                "iom-dtm-ht",
                "missing-field",
            ),
            "validation_failed",
        ),
        "extra-field": (
            signed(
                household_with(head_of_household="A. Person"), ALERTS, "iom-dtm-ht", "extra-field"
            ),
            "validation_failed",
        ),
        "naive-time": (
            signed(
                samples.alert(observed_at="2026-11-26T03:00:00"), ALERTS, "iom-dtm-ht", "naive-time"
            ),
            "validation_failed",
        ),
        "negative-capacity": (
            signed(samples.shelter(capacity=capacity), SHELTERS, "iom-dtm-ht", "negative-capacity"),
            "validation_failed",
        ),
        "unknown-partner": (
            encode(stranger, topic=SHELTERS, key=b"unknown-partner"),
            "unknown_partner",
        ),
        "bad-signature": (
            encode(forged, topic=SHELTERS, key=b"bad-signature"),
            "signature_invalid",
        ),
        "not-their-shelter": (
            signed(samples.shelter(), SHELTERS, "croix-rouge-ht", "not-their-shelter"),
            "unauthorised",
        ),
        "ack-never-sent": (
            signed(
                samples.ack(escalation_id="esc:HT01:no_transport:logistics:1"),
                "ingress.escalation-acks.v1",
                "protection-ht",
                "ack-never-sent",
            ),
            "unauthorised",
        ),
        "wrong-topic": (
            replace(signed(samples.shelter(), SHELTERS, "iom-dtm-ht", "wrong-topic"), topic=ALERTS),
            "wrong_topic",
        ),
        "nowhere": (
            signed(samples.alert(origin=cuba), ALERTS, "iom-dtm-ht", "nowhere"),
            "unresolved_region",
        ),
        "too-large": (Outgoing(ALERTS, b"too-large", big, []), "too_large"),
    }


@pytest.mark.timeout(240)
async def test_mixed_stream_every_message_accepted_or_refused_exactly_once(
    kafka_bootstrap, namespace, tmp_path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    good, bad = good_messages(), bad_messages()
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state", CORRIDOR_TICK_INTERVAL="0.5")
    region_topic = topic_name("region.events.v1", namespace)
    rejected_topic = topic_name("ingress.rejected.v1", namespace)

    def is_tick(record) -> bool:
        return b'"' + TICK.encode() + b'"' in record.value

    def partner_events(records):
        return [r for r in records if r.topic == region_topic and not is_tick(r)]

    async with TopicReader(kafka_bootstrap, [region_topic, rejected_topic]) as reader:
        with worker("intake", env, tmp_path / "intake-1.log"):
            await send([m for m, _ in good.values()] + [m for m, _ in bad.values()], settings)
            await reader.read_until(
                lambda rs: (
                    len(partner_events(rs)) >= len(good)
                    and sum(r.topic == rejected_topic for r in rs) >= len(bad)
                ),
                within=120,
            )
            # The same alert re-sent (a new record with the same event id) is a duplicate.
            await send([good["alert"][0]], settings)
            await reader.read_until(
                lambda rs: sum(r.topic == rejected_topic for r in rs) >= len(bad) + 1
            )
        # After a restart the seen-table is restored from its changelog: still a duplicate.
        with worker("intake", env, tmp_path / "intake-2.log"):
            await send([good["alert-binary"][0]], settings)
            await reader.read_until(
                lambda rs: sum(r.topic == rejected_topic for r in rs) >= len(bad) + 2, within=120
            )
            await reader.linger()
        records = reader.records

    # At-least-once delivery may repeat a record after a restart; Corridor's ids are
    # deterministic, so a repeat is the same event, byte for byte, and consumers dedup by id.
    accepted = distinct(partner_events(records))
    refused = distinct([r for r in records if r.topic == rejected_topic])

    for key, (_, region) in good.items():
        assert accepted[f"ev-{key}"].key.decode() == region, key
    assert len(accepted) == len(good)

    reasons: dict[str, list[str]] = {}
    for record in refused.values():
        reasons.setdefault(record.key.decode(), []).append(
            payload_of(decode(record.value)).reason.value
        )
    expected = {key: [reason] for key, (_, reason) in bad.items()}
    expected["alert"] = ["duplicate"]
    expected["alert-binary"] = ["duplicate"]
    assert reasons == expected
    assert len(accepted) + sum(map(len, reasons.values())) == len(good) + len(bad) + 2
    # Ticks keep coming for every known region, keyed by region.
    ticks = [r for r in records if r.topic == region_topic and is_tick(r)]
    assert {r.key.decode() for r in ticks} == {f"HT{n:02d}" for n in range(1, 11)}


def distinct(records) -> dict:
    """Events by id; an id seen twice must carry identical bytes (an idempotent repeat)."""
    found: dict = {}
    for record in records:
        event_id = decode(record.value).id
        if event_id in found:
            assert found[event_id].value == record.value, f"{event_id} differs on repeat"
        found[event_id] = record
    return found
