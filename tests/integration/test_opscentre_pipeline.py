"""`/api/v1/pipeline` on the real broker and database, as the opscentre's own principal (which
may describe the processors' groups and topics, and read none of their records): records wait
for the allocator, nobody commits past them, and it is stalled; once committed past, it is not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.catalogue import REGION_EVENTS, topic_name
from services.config import processor_id
from services.kafka_access import connect
from services.stack.local import prepare
from tests.integration.opscentre import OPERATOR_TOKEN, LiveServer, Partners, auth, settings_for


async def answer_until(
    http: httpx.AsyncClient, token: str, until: Callable[[dict[str, Any]], bool]
) -> dict[str, dict[str, Any]]:
    """The processors of the first answer that ``until`` accepts (by processor)."""
    for _ in range(300):
        response = await http.get("/api/v1/pipeline", headers=auth(token))
        assert response.status_code == 200, response.text
        found = {p["processor"]: p for p in response.json()["processors"]}
        if found and until(found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {found}")


async def test_records_nobody_commits_past_stall_their_processor(
    kafka_bootstrap: str, database_url: str, namespace: str
) -> None:
    await prepare(kafka_bootstrap, namespace)
    region = topic_name(REGION_EVENTS, namespace)
    producer = AIOKafkaProducer(**connect(kafka_bootstrap), acks="all")
    await producer.start()
    try:
        sent = [await producer.send_and_wait(region, b"{}", key=b"HT01") for _ in range(3)]
    finally:
        await producer.stop()
    settings = settings_for(database_url, kafka_bootstrap, namespace).model_copy(
        update={"late_after": 1.0, "late_every": 0.2})  # fmt: skip
    partners = Partners.covering("ZZ00000001")
    with LiveServer(settings, partners.registry) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            found = await answer_until(
                http, OPERATOR_TOKEN, lambda f: (f["allocator"]["stalled_seconds"] or 0) >= 1
            )
            assert found["allocator"]["waiting"] == 3 and found["allocator"]["workers"] == 0
            assert found["intake"]["waiting"] == 0 and found["intake"]["stalled_seconds"] is None
            assert found["ledger"]["waiting"] == 3  # its offsets (in PostgreSQL): none yet

            allocator = AIOKafkaConsumer(**connect(kafka_bootstrap), enable_auto_commit=False,
                                         group_id=processor_id("allocator", namespace))  # fmt: skip
            await allocator.start()
            try:
                tp = TopicPartition(region, sent[0].partition)
                allocator.assign([tp])
                await allocator.commit({tp: 3})
            finally:
                await allocator.stop()
            found = await answer_until(
                http, partners.health_token, lambda f: f["allocator"]["waiting"] == 0
            )
            assert found["allocator"]["stalled_seconds"] is None
            assert found["escalator"]["waiting"] == 3  # the others still wait


async def test_a_broker_out_of_reach_makes_the_answer_stale(database_url: str) -> None:
    settings = settings_for(database_url, "127.0.0.1:1", "unused").model_copy(
        update={"late_after": 0.5, "late_every": 0.2})  # fmt: skip
    with LiveServer(settings, Partners.covering("ZZ00000001").registry) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            for _ in range(300):
                response = await http.get("/api/v1/pipeline", headers=auth(OPERATOR_TOKEN))
                if response.json()["stale"]:
                    break
                await asyncio.sleep(0.1)
    assert response.json() == {
        "checked_at": None, "late_after_seconds": 0.5, "stale": True, "processors": []}  # fmt: skip
