"""The SSE stream against the real broker: events reach the page before the ledger has them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import orjson
import pytest

from schemas.catalogue import ALLOCATION_DECISIONS, ESCALATION_EVENTS
from tests.integration.opscentre import (
    OPERATOR_TOKEN,
    LiveServer,
    Partners,
    auth,
    decision,
    escalation,
    produce,
    region_code,
    settings_for,
    sse_events,
)

pytestmark = pytest.mark.integration


async def _ready(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")


async def test_operator_and_partner_streams(
    database_url: str, kafka_bootstrap: str, namespace: str,
    create_topic: Callable[..., Awaitable[str]],
) -> None:  # fmt: skip
    for spec in (ALLOCATION_DECISIONS, ESCALATION_EVENTS):
        await create_topic(spec.name, partitions=3)
    region, elsewhere = region_code(), region_code()
    partners = Partners.covering(region)  # sector health only
    settings = settings_for(database_url, kafka_bootstrap, namespace)
    operator_headers, partner_headers = auth(OPERATOR_TOKEN), auth(partners.health_token)
    with LiveServer(settings, partners.registry) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(60.0)) as http,
            http.stream("GET", "/api/v1/stream", headers=operator_headers) as operator,
            http.stream("GET", "/api/v1/stream", headers=partner_headers) as partner,
        ):
            operator_events, partner_events = sse_events(operator), sse_events(partner)
            assert await anext(operator_events) == ("ready", "{}")
            assert await anext(partner_events) == ("ready", "{}")
            await produce(
                kafka_bootstrap, namespace,
                decision(elsewhere, "d-elsewhere"),
                escalation(region, "e-logistics", "logistics"),
                escalation(region, "e-health", "health"),
                decision(region, "d-mine"),
            )  # fmt: skip
            seen = [await anext(operator_events) for _ in range(4)]
            assert sorted((kind, orjson.loads(data).get("decision_id") or
                           orjson.loads(data)["escalation_id"]) for kind, data in seen) == [
                ("decision", "d-elsewhere"), ("decision", "d-mine"),
                ("escalation", "e-health"), ("escalation", "e-logistics"),
            ]  # fmt: skip
            # The partner's first two events are the only ones of its region and sector.
            kinds = [await anext(partner_events) for _ in range(2)]
            ids = sorted(
                orjson.loads(data).get("decision_id") or orjson.loads(data)["escalation_id"]
                for _, data in kinds
            )
            assert ids == ["d-mine", "e-health"]
            escalation_data = orjson.loads(next(d for k, d in kinds if k == "escalation"))
            assert escalation_data["sector"] == "health" and escalation_data["revision"] == 1
