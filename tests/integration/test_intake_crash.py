"""Intake killed mid-stream (SIGKILL) while partners keep sending: after a restart every
message is still admitted or refused, none lost, none both. Intake screens and sequences in
batches and acknowledges a batch once its records are handed to the producer (docs/architecture.md
"Intake's rate"); a crash between the two must replay the batch, not skip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime

import pytest

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from services.bench.workload import Workload, as_ingress
from services.config import Settings
from services.publish import Outgoing, secrets, send
from services.stack.local import prepare
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

TICK = b'"org.corridor.region.tick.v1"'
FORGED_EVERY = 9
"""Every this many messages, a forged copy (another id, the original signature): refused."""


def messages() -> tuple[list[Outgoing], set[str], set[str]]:
    """Partner messages in the order they are sent; the ids to admit, the ids to refuse."""
    events = Workload(regions=("HT01", "HT02", "HT03", "HT05", "HT07"), shelters=40,
                      vehicles=5, alerts=160, alerts_per_tick=10).events()  # fmt: skip
    out: list[Outgoing] = []
    good: set[str] = set()
    forged: set[str] = set()
    for n, (topic, key, value) in enumerate(
        as_ingress(events, secrets(Settings()), datetime.now(UTC))
    ):
        event_id = decode(value).id
        out.append(Outgoing(topic, key, value, []))
        good.add(event_id)
        if n % FORGED_EVERY == 0:  # the signature no longer matches the id
            fake = value.replace(event_id.encode(), f"forged-{event_id}".encode(), 1)
            out.append(Outgoing(topic, key, fake, []))
            forged.add(f"forged-{event_id}")
    return out, good, forged


@pytest.mark.soak  # `make soak` repeats it with the allocator's
@pytest.mark.timeout(300)
@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_intake_killed_mid_stream_admits_or_refuses_every_message(
    kafka_bootstrap, namespace, tmp_path, store
) -> None:
    """Also on RocksDB (`corridor run`'s store): the restarted worker reopens the dead one's
    `seen` table, which must not hold what the changelog does not (services/tables.py)."""
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    outgoing, good, forged = messages()
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state", CORRIDOR_TICK_INTERVAL="0.5",
                     CORRIDOR_FAUST_STORE=store)  # fmt: skip
    region_topic = topic_name("region.events.v1", namespace)
    rejected_topic = topic_name("ingress.rejected.v1", namespace)

    def outcome(records) -> tuple[dict[str, int], dict[str, int]]:
        """How often each id was admitted, and refused."""
        admitted: dict[str, int] = {}
        refused: dict[str, int] = {}
        for r in records:
            if r.topic == region_topic and TICK not in r.value:
                event_id = decode(r.value).id
                admitted[event_id] = admitted.get(event_id, 0) + 1
            elif r.topic == rejected_topic:
                event_id = payload_of(decode(r.value)).event_id
                refused[event_id] = refused.get(event_id, 0) + 1
        return admitted, refused

    def all_answered(records) -> bool:
        admitted, refused = outcome(records)
        return good <= admitted.keys() and forged <= refused.keys()

    half = len(outgoing) // 2
    async with TopicReader(kafka_bootstrap, [region_topic, rejected_topic]) as reader:
        with worker("intake", env, tmp_path / "intake-1.log") as first:
            await send(outgoing[:half], settings)
            await reader.read_until(lambda rs: len(outcome(rs)[0]) >= 50, within=120)
            rest = asyncio.ensure_future(send(outgoing[half:], settings))
            await reader.read_until(lambda rs: len(outcome(rs)[0]) >= 100, within=120)
            first.send_signal(signal.SIGKILL)  # mid-stream: partners are still sending
            first.wait(30)
            killed_after = outcome(reader.records)
        with worker("intake", env, tmp_path / "intake-2.log"):
            await rest
            with contextlib.suppress(AssertionError):  # the comparison below says what differs
                await reader.read_until(all_answered, within=150)
            await reader.linger(2)
    admitted, refused = outcome(reader.records)
    assert len(killed_after[0]) < len(good), "the kill came after the stream: not mid-stream"
    assert sorted(good - admitted.keys()) == [], "admitted messages lost"
    assert sorted(forged - refused.keys()) == [], "refusals lost"
    assert sorted(admitted.keys() - good) == [], "admitted what it should have refused"
    assert sorted(refused.keys() & good) == [], "refused a good message"
