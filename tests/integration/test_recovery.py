"""Fast recovery (issue 10): a worker restarted after a SIGKILL decides again, with the session
timeout a deployment gets by default (Settings.session_timeout), not the tests' shorter one:
* by default, under static membership (services/membership.py: the restarted worker claims its
  predecessor's slot, so it comes back under the same group.instance.id);
* with static membership turned off (`CORRIDOR_GROUP_INSTANCE_ID=none`), when the group waits out
  the dead worker's session;
* after a clean stop (SIGTERM, as `corridor run` stops its workers), both ways: a static member
  does not leave the group, and its successor must not wait out its session either.

No wall-clock threshold here: the test checks that decisions resume and equal the core's; it
prints how long the restarted worker took (docs/architecture.md "Throughput" quotes runs).
"""

from __future__ import annotations

import signal
import time

import pytest

from schemas.catalogue import topic_name
from services.stack.local import prepare
from tests.integration.reader import TopicReader
from tests.integration.test_allocator import WORKLOAD, emitted, expected_decisions, produce
from tests.integration.workers import worker, worker_env

CASES = {
    "static-sigkill": (signal.SIGKILL, None),
    "dynamic-sigkill": (signal.SIGKILL, "none"),
    "static-sigterm": (signal.SIGTERM, None),
    "dynamic-sigterm": (signal.SIGTERM, "none"),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", list(CASES))
async def test_an_allocator_restarted_after_it_stopped_decides_again(
    kafka_bootstrap, namespace, tmp_path, case
) -> None:
    stop, instance = CASES[case]
    await prepare(kafka_bootstrap, namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")
    del env["CORRIDOR_SESSION_TIMEOUT"]  # the default, as deployed
    env.pop("CORRIDOR_GROUP_INSTANCE_ID", None)  # the default: a slot claimed on this host
    if instance is not None:
        env["CORRIDOR_GROUP_INSTANCE_ID"] = instance
    region_topic = topic_name("region.events.v1", namespace)
    decisions_topic = topic_name("allocation.decisions.v1", namespace)
    events = WORKLOAD.events()
    expected = expected_decisions(events)
    half = len(events) // 2
    first_half = expected_decisions(events[:half]).keys()
    async with TopicReader(kafka_bootstrap, [decisions_topic]) as reader:
        with worker("allocator", env, tmp_path / "allocator-1.log") as first:
            await produce(kafka_bootstrap, region_topic, events[:half])
            if stop == signal.SIGKILL:  # mid-stream: no goodbye, the group keeps its session
                await reader.read_until(lambda rs: len(rs) >= 5, within=120)
            else:  # at rest, as an operator stops `corridor run` (a stop mid-batch can hang)
                await reader.read_until(lambda rs: first_half <= emitted(rs).keys(), within=120)
            first.send_signal(stop)
            first.wait(60)
        decided = len(emitted(await reader.linger(1)))
        with worker("allocator", env, tmp_path / "allocator-2.log"):
            restarted = time.monotonic()
            await produce(kafka_bootstrap, region_topic, events[half:])
            await reader.read_until(lambda rs: len(emitted(rs)) > decided, within=180)
            resumed = time.monotonic() - restarted
            await reader.read_until(lambda rs: len(emitted(rs)) >= len(expected), within=180)
            await reader.linger(2)
    print(f"\nrestarted allocator ({case}) decided again {resumed:.1f} s after its start")
    assert emitted(reader.records) == expected
