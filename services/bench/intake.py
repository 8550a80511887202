"""The intake row of `corridor bench allocator`: admitted events/s, on the partner messages the
allocator's backlog came from (services/bench/workload.py `as_ingress`)."""

from __future__ import annotations

import asyncio
import time

from aiokafka.structs import ConsumerRecord

from schemas.catalogue import INGRESS_REJECTED, REGION_EVENTS, REGION_PARTITIONS, topic_name
from schemas.registry import REGION_TICK
from services.bench.kafka import Collector, Result, produce
from services.config import Settings


async def measure_intake(settings: Settings, namespace: str,
                  ingress: list[tuple[str, bytes, bytes]]) -> Result:  # fmt: skip
    """Admitted events/s: from the first partner message sent to the last admitted event (or
    refusal) seen, once the worker ticks (it is up and owns its partitions)."""
    bootstrap = settings.bootstrap_servers
    admitted = Collector(bootstrap, topic_name(REGION_EVENTS, namespace), REGION_PARTITIONS)
    refused = Collector(bootstrap, topic_name(INGRESS_REJECTED, namespace),
                        INGRESS_REJECTED.partitions)  # fmt: skip
    await admitted.start()
    await refused.start()

    def events(records: list[ConsumerRecord]) -> list[int]:
        return [i for i, r in enumerate(records) if REGION_TICK.encode() not in r.value]

    try:
        await admitted.until(lambda rs: len(rs) >= 1, within=120)  # the first tick
        topics_in_order = sorted({topic for topic, _, _ in ingress})
        first = None
        timing = {"produce_called": time.time()}
        for topic in topics_in_order:  # per topic, in order; all before waiting
            batch = [(k, v) for t, k, v in ingress if t == topic]
            sent = await produce(bootstrap, topic_name(topic, namespace), batch)
            first = sent[0] if first is None else first
            timing[f"{topic.split('.')[1]}_first"] = sent[0]
            timing[f"{topic.split('.')[1]}_done"] = time.time()
        timing["first_sent"] = first or 0.0
        n = len(ingress)
        deadline = time.monotonic() + 600
        while len(events(admitted.records)) + len(refused.records) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"intake: {len(events(admitted.records))} admitted of {n}")
            await asyncio.sleep(0.05)
        arrivals = [admitted.arrived[i] for i in events(admitted.records)] + refused.arrived
        count = len(events(admitted.records))
        name = "intake processor" + (
            f" ({len(refused.records)} refused)" if refused.records else ""
        )
        timing.update(first_arrival=min(arrivals), last_arrival=max(arrivals))
        seconds = max(max(arrivals) - (first or 0.0), 1e-9)
        return Result(name, count, seconds, [], timing=timing, arrivals=arrivals)
    finally:
        await admitted.stop()
        await refused.stop()
