"""The allocator processor on the real broker: its decisions are the pure core's, exactly.

A multi-region workload goes into region.events.v1 as intake would write it; the worker's
decisions must equal a replay of the same log through the core (same ids, same bytes), also
after a SIGKILL mid-stream and with two workers sharing the partitions.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.catalogue import REGION_PARTITIONS, topic_name
from schemas.codec import decode, encode_structured, payload_of
from schemas.ingress import PersonsCapacity
from schemas.outputs import AllocationDecision
from schemas.types import ReleaseReason
from services.allocator.domain.decisions import encode_decision
from services.audit.allocations import replay_region
from services.audit.replay import replay, tick
from services.bench.workload import Workload, by_region
from services.config import PROJECT_ROOT, Settings
from services.kafka_access import connect
from services.stack.local import prepare
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env
from tests.unit import test_allocator_rules as rules

WORKLOAD = Workload(regions=("HT01", "HT02", "HT03"), shelters=10, alerts=30)


def expected_decisions(events) -> dict[str, bytes]:
    """decision id → bytes, from the pure core over each region's log."""
    found = {}
    for _region, region_events in by_region(events):
        _, decisions = replay(region_events)
        found.update({d.decision_id: encode_decision(d) for d in decisions})
    return found


async def produce(bootstrap: str, topic: str, events) -> None:
    producer = AIOKafkaProducer(**connect(bootstrap), acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic, encode_structured(event.to_cloudevent()), key=event.region_pcode.encode()
            )
    finally:
        await producer.stop()


def emitted(records) -> dict[str, bytes]:
    """decision id → bytes; a repeated id must carry the same bytes."""
    found: dict[str, bytes] = {}
    for record in records:
        decision_id = decode(record.value).id
        assert found.get(decision_id, record.value) == record.value, f"{decision_id} changed"
        found[decision_id] = record.value
    return found


@pytest.fixture
async def stage(kafka_bootstrap, namespace, tmp_path):
    await prepare(kafka_bootstrap, namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")
    return (
        env,
        topic_name("region.events.v1", namespace),
        topic_name("allocation.decisions.v1", namespace),
    )


@pytest.mark.timeout(240)
async def test_decisions_equal_the_core_replay(kafka_bootstrap, stage, tmp_path) -> None:
    env, region_topic, decisions_topic = stage
    events = WORKLOAD.events()
    expected = expected_decisions(events)
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with worker("allocator", env, tmp_path / "allocator.log"):
            await produce(kafka_bootstrap, region_topic, events)
            await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=120)
            await reader.linger(2)
    got = emitted(reader.records)
    assert got == expected
    # `corridor replay` reads the same log back from offset 0 and reproduces every decision.
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap, topic_namespace=env["CORRIDOR_TOPIC_NAMESPACE"]
    )
    for region in WORKLOAD.regions:
        report = await replay_region(settings, region)
        assert report.ok, (report.missing, report.unexplained, report.different)
        assert report.events == sum(e.region_pcode == region for e in events)
        assert len(report.emitted) == len(report.replayed) > 0
    # Every alert has exactly one decision naming it.
    alerts = [payload_of(decode(v)) for v in got.values()]
    named = sorted(d.alert_id for d in alerts if isinstance(d, AllocationDecision) and d.alert_id)
    assert named == sorted(e.event_id for e in events if "-alert-" in e.event_id)


@pytest.mark.soak  # `make soak` repeats it: the failures it guards against are rare
@pytest.mark.timeout(300)
@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_sigkill_mid_stream_loses_nothing_and_changes_nothing(
    kafka_bootstrap, stage, tmp_path, store
) -> None:
    """Also on RocksDB, the store `corridor run` uses: the restarted worker reopens the dead
    one's files, reads its table across partitions and the changelog past its persisted offsets."""
    env, region_topic, decisions_topic = stage
    await killed_mid_stream(kafka_bootstrap, {**env, "CORRIDOR_FAUST_STORE": store},
                            region_topic, decisions_topic, tmp_path)  # fmt: skip


@pytest.mark.soak
@pytest.mark.timeout(300)
async def test_sigkill_with_deliveries_in_flight_loses_nothing_and_changes_nothing(
    kafka_bootstrap, stage, tmp_path
) -> None:
    """On RocksDB, killed while batches are on their way and the delivered ones not yet
    reported (tests/integration/slow_delivery): what the dead worker's files hold must not run
    ahead of the changelog. Before the store waited for the broker this failed 3 runs in 5."""
    env, region_topic, decisions_topic = stage
    injection = PROJECT_ROOT / "tests" / "integration" / "slow_delivery"
    env = {**env, "CORRIDOR_FAUST_STORE": "rocksdb://", "CORRIDOR_TEST_LINGER": "0.3",
           "CORRIDOR_TEST_SLOW_ACK": "1", "PYTHONPATH": f"{injection}:{PROJECT_ROOT}"}  # fmt: skip
    await killed_mid_stream(kafka_bootstrap, env, region_topic, decisions_topic, tmp_path)


async def killed_mid_stream(kafka_bootstrap, env, region_topic, decisions_topic, tmp_path) -> None:
    """Half the workload, a SIGKILL while the rest streams in, a new worker: the decisions are
    the core's, none lost, none changed."""
    events = WORKLOAD.events()
    expected = expected_decisions(events)
    half = len(events) // 2
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with worker("allocator", env, tmp_path / "allocator-1.log") as first:
            await produce(kafka_bootstrap, region_topic, events[:half])
            await reader.read_until(lambda rs: len(rs) >= 5, within=120)
            await produce(kafka_bootstrap, region_topic, events[half:])
            first.send_signal(signal.SIGKILL)  # mid-stream, no goodbye
            first.wait(30)
        with worker("allocator", env, tmp_path / "allocator-2.log"):
            with contextlib.suppress(AssertionError):  # the comparison below says what differs
                await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=90)
            await reader.linger(2)
    got = emitted(reader.records)
    assert sorted(set(expected) - set(got)) == [], "decisions lost"
    assert got == expected


@pytest.mark.timeout(300)
async def test_sigterm_mid_stream_stops_and_the_next_worker_finishes(
    kafka_bootstrap, stage, tmp_path
) -> None:
    """A worker stopped (SIGTERM, as `corridor run` stops it) while a backlog streams in exits:
    faust waits until the batch in hand is acknowledged, and the agent used to wait on the
    stream for an event faust had just cleared (it hung in 4 of 6 such stops). Then another
    worker finishes the log and the decisions are the core's."""
    env, region_topic, decisions_topic = stage
    events = Workload(regions=("HT01", "HT02", "HT03", "HT05", "HT07"), shelters=150,
                      vehicles=15, alerts=300, alerts_per_tick=10).events()  # fmt: skip
    expected = expected_decisions(events)
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        for attempt in range(3):  # three stops mid-stream, each after a few decisions more
            with worker("allocator", env, tmp_path / f"allocator-{attempt}.log") as proc:
                if attempt == 0:
                    await produce(kafka_bootstrap, region_topic, events)
                seen = len(reader.records)
                await reader.read_until(lambda rs, n=seen: len(rs) >= n + 20, within=120)
                proc.send_signal(signal.SIGTERM)
                try:  # a liveness bound, not a speed figure: a hung worker never exits
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    pytest.fail(f"the worker did not stop after SIGTERM (attempt {attempt})")
        with worker("allocator", env, tmp_path / "allocator-last.log"):
            with contextlib.suppress(AssertionError):
                await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=120)
            await reader.linger(2)
    assert emitted(reader.records) == expected


@pytest.mark.timeout(300)
async def test_two_workers_share_the_partitions_with_the_same_result(
    kafka_bootstrap, stage, tmp_path
) -> None:
    env, region_topic, decisions_topic = stage
    events = Workload(regions=("HT01", "HT02", "HT03", "HT05", "HT07"), alerts=20).events()
    expected = expected_decisions(events)
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with (
            worker("allocator", env, tmp_path / "a.log"),
            worker("allocator", env, tmp_path / "b.log"),
        ):
            await produce(kafka_bootstrap, region_topic, events)
            await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=180)
            await reader.linger(2)
    assert emitted(reader.records) == expected


@pytest.mark.timeout(240)
async def test_committed_offsets_ahead_of_the_state_are_caught_up(
    kafka_bootstrap, stage, tmp_path
) -> None:
    """A crash can leave the group's offsets ahead of the table (writes lost with the worker).
    Simulated outright: the offsets say everything is done, the table knows nothing."""
    env, region_topic, decisions_topic = stage
    events = WORKLOAD.events()
    await produce(kafka_bootstrap, region_topic, events)
    group = f"corridor-allocator-{env['CORRIDOR_TOPIC_NAMESPACE']}"
    partitions = [TopicPartition(region_topic, p) for p in range(REGION_PARTITIONS)]
    committer = AIOKafkaConsumer(**connect(kafka_bootstrap), group_id=group,
                                 enable_auto_commit=False)  # fmt: skip
    await committer.start()
    try:
        committer.assign(partitions)
        await committer.commit(await committer.end_offsets(partitions))
    finally:
        await committer.stop()
    # One more tick per region reaches the worker; everything before it is behind the offsets.
    last = {e.region_pcode: e for e in events}
    extra = [tick(r, e.sequenced_at + timedelta(seconds=1), 99) for r, e in sorted(last.items())]
    expected = expected_decisions(events + extra)
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with worker("allocator", env, tmp_path / "allocator.log"):
            await produce(kafka_bootstrap, region_topic, extra)
            await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=120)
            await reader.linger(2)
    assert emitted(reader.records) == expected


@pytest.mark.timeout(180)
async def test_a_late_vehicle_and_a_shrinking_shelter_on_the_real_broker(
    kafka_bootstrap, stage, tmp_path
) -> None:
    """Issue 9's gaps through a worker: a vehicle reported after the placement fetches the
    household; a report below what is reserved releases the latest reservation, which goes to
    another shelter. The decisions say so, and equal the core's."""
    env, region_topic, decisions_topic = stage
    events = [
        rules.shelter("s1", 1, PersonsCapacity(persons=10)),
        rules.shelter("s2", 3, PersonsCapacity(persons=10)),
        rules.displaced("a1", [rules.family(4)]),
        tick(rules.R, rules.at(2), 1),
        rules.displaced("a2", [rules.family(4)], t=3),
        tick(rules.R, rules.at(4), 2),
        rules.vehicle("v1", 1, seats=8, t=5),
        rules.shelter("s1", 1, PersonsCapacity(persons=5), reported=rules.at(6), t=6),
    ]
    expected = expected_decisions(events)
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with worker("allocator", env, tmp_path / "allocator.log"):
            await produce(kafka_bootstrap, region_topic, events)
            await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=90)
            await reader.linger(1)
    got = emitted(reader.records)
    assert got == expected
    decided = [payload_of(decode(v)) for v in got.values()]
    by_cause = {d.cause_event_id: d for d in decided if isinstance(d, AllocationDecision)}
    fetched = by_cause[events[6].event_id]
    assert {(p.alert_id, p.vehicle_id) for p in fetched.placements} == {("a1", "v1")}
    shrunk = by_cause[events[7].event_id]
    assert [(r.alert_id, r.shelter_id, r.reason) for r in shrunk.released] == [
        ("a2", "s1", ReleaseReason.CAPACITY_REDUCED)
    ]
    assert [(p.alert_id, p.shelter_id) for p in shrunk.placements] == [("a2", "s2")]
