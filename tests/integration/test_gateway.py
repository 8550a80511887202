"""The HTTP gateway on the real broker, with intake running: what the gateway accepts reaches
the region log through intake; what it refuses (wrong token, forged signature, too large, over
the rate limit) gets the right status and nothing of it reaches the region log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from schemas.catalogue import topic_name
from schemas.codec import decode
from services.config import Settings
from services.gateway.app import create_app
from services.stack.local import prepare
from tests import samples
from tests.integration.gateway import STRUCTURED, binary, signed, structured, token
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

pytestmark = pytest.mark.integration

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
VEHICLES = "ingress.transport-availability.v1"
EVENTS = "/v1/events"


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app in-process, its lifespan (the Kafka producer) running."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.mark.timeout(180)
async def test_gateway_to_intake_to_region_log_and_refusals_stay_out(
    kafka_bootstrap: str, namespace: str, tmp_path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    limited = settings.model_copy(update={"gateway_burst": 2, "gateway_rate": 1e-6})
    region_topic = topic_name("region.events.v1", namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state")

    good = signed(samples.shelter(), SHELTERS, "iom-dtm-ht")
    good_binary = signed(samples.alert([3]), ALERTS, "dpc-ht")
    wrong_token = signed(samples.shelter(), SHELTERS, "iom-dtm-ht")
    other_partner = signed(samples.shelter(), SHELTERS, "iom-dtm-ht")
    forged = signed(samples.shelter(), SHELTERS, "iom-dtm-ht", secret="not-the-partners-key")
    within = [signed(samples.vehicle(), VEHICLES, "croix-rouge-ht") for _ in range(2)]
    over = signed(samples.vehicle(), VEHICLES, "croix-rouge-ht")

    async with TopicReader(kafka_bootstrap, [region_topic]) as reader:
        with worker("intake", env, tmp_path / "intake.log"):
            async with gateway(settings) as http, gateway(limited) as slow:
                answers = {
                    "good": await http.post(
                        EVENTS, content=structured(good), headers={**STRUCTURED,
                        **token("iom-dtm-ht")}),
                    "binary": await http.post(
                        EVENTS, content=binary(good_binary, ALERTS)[0],
                        headers={**binary(good_binary, ALERTS)[1], **token("dpc-ht")}),
                    "wrong-token": await http.post(
                        EVENTS, content=structured(wrong_token),
                        headers={**STRUCTURED, "Authorization": "Bearer partner.iom-dtm-ht.00"}),
                    "no-token": await http.post(
                        EVENTS, content=structured(wrong_token), headers=STRUCTURED),
                    "other-partner": await http.post(
                        EVENTS, content=structured(other_partner),
                        headers={**STRUCTURED, **token("dpc-ht")}),
                    "forged": await http.post(
                        EVENTS, content=structured(forged),
                        headers={**STRUCTURED, **token("iom-dtm-ht")}),
                    "too-large": await http.post(
                        EVENTS, content=b"{" + b" " * (600 * 1024) + b"}",
                        headers={**STRUCTURED, **token("iom-dtm-ht")}),
                }  # fmt: skip
                for i, event in enumerate([*within, over]):
                    answers[f"rate-{i}"] = await slow.post(
                        EVENTS, content=structured(event),
                        headers={**STRUCTURED, **token("croix-rouge-ht")},
                    )  # fmt: skip
            statuses = {name: r.status_code for name, r in answers.items()}
            assert statuses == {
                "good": 202, "binary": 202, "wrong-token": 401, "no-token": 401,
                "other-partner": 403, "forged": 401, "too-large": 413,
                "rate-0": 202, "rate-1": 202, "rate-2": 429,
            }  # fmt: skip
            assert answers["good"].json() == {"id": good.id, "topic": SHELTERS}
            assert answers["binary"].json()["id"] == good_binary.id
            assert answers["forged"].json()["reason"] == "signature_invalid"
            assert answers["wrong-token"].json()["reason"] == "unauthenticated"
            assert answers["wrong-token"].headers["www-authenticate"] == "Bearer"
            assert answers["other-partner"].json()["reason"] == "unauthorised"
            assert answers["too-large"].json()["reason"] == "too_large"
            assert answers["rate-2"].json()["reason"] == "rate_limited"
            assert int(answers["rate-2"].headers["retry-after"]) >= 1

            accepted = {good.id, good_binary.id, *(e.id for e in within)}

            def ids(records) -> set[str]:
                return {decode(r.value).id for r in records}

            await reader.read_until(lambda rs: accepted <= ids(rs), within=90)
            await reader.linger()
    refused = {wrong_token.id, other_partner.id, forged.id, over.id}
    seen = ids(reader.records)
    assert not refused & seen
    region_of = {decode(r.value).id: r.key for r in reader.records}
    assert region_of[good.id] == region_of[good_binary.id] == b"HT01"
