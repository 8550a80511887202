"""The dashboard in real headless Chromium against a running opscentre (real PostgreSQL and
Kafka): a new decision and a new escalation appear live, without reloading the page. It logs
in as a partner, whose view holds only this test's region (other tests share the database)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from schemas.catalogue import ALLOCATION_DECISIONS, ESCALATION_EVENTS, REGION_EVENTS
from schemas.types import EscalationStatus
from services.kafka_access import connect
from tests.integration.opscentre import (
    T0,
    LiveServer,
    Partners,
    decision,
    escalation,
    insert_history,
    insert_scenario,
    produce,
    region_code,
    settings_for,
)

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]


async def _many_shelters(db: asyncpg.Connection, region: str, n: int) -> None:
    rng = random.Random(8)
    rows = []
    for i in range(n):
        capacity = rng.randrange(20, 400)
        rows.append((
            f"{region}-m{i}", region, 18.0 + rng.random() * 2, -74.2 + rng.random() * 2.5,
            capacity, rng.randrange(0, capacity), T0,
        ))  # fmt: skip
    await db.executemany(
        """INSERT INTO shelters (shelter_id, region_pcode, lat, lon, capacity_kind, capacity,
           occupancy, open, reported_at, sequenced_at, event_id)
           VALUES ($1, $2, $3, $4, 'persons', $5, $6, true, $7, $7, $1)""",
        rows,
    )


async def test_dashboard_shows_new_decisions_and_escalations_live(
    database_url: str, kafka_bootstrap: str, namespace: str, db: asyncpg.Connection,
    create_topic: Callable[..., Awaitable[str]], tmp_path: Path,
) -> None:  # fmt: skip
    from playwright.async_api import async_playwright

    for spec in (ALLOCATION_DECISIONS, ESCALATION_EVENTS):
        await create_topic(spec.name, partitions=3)
    region = region_code()
    await insert_scenario(db, region)
    await insert_history(db, region, f"{region}-e1")
    for partner in ("health-test", "another-partner"):  # the page shows the partner its own
        await db.execute(
            "INSERT INTO rejections VALUES ($1, $2, 0, 0, 'validation_failed', $3, NULL, $4,"
            " $5, 0, 0)", f"{region}-{partner}-refused", f"{namespace}.ingress.shelter-capacity.v1",
            f"{region}: capacity must be at least 0 ({partner})", partner, T0,
        )  # fmt: skip
    await _many_shelters(db, region, 2000)
    region_log = await create_topic(REGION_EVENTS.name, partitions=3)
    settings = settings_for(database_url, kafka_bootstrap, namespace).model_copy(
        update={"late_after": 1.0, "late_every": 0.3})  # fmt: skip
    decision_id, escalation_id = f"d-{uuid.uuid4().hex[:8]}", f"e-{uuid.uuid4().hex[:8]}"
    partners = Partners.covering(region)  # its view holds this test's rows only
    with LiveServer(settings, partners.registry) as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(f"{server.url}/#token={partners.health_token}")
                await page.wait_for_selector(f'#situation tr[data-region="{region}"]')
                await page.wait_for_selector("#live.on")  # the stream is at the topics' end
                assert "token" not in page.url  # the fragment is dropped once read
                refused = await page.inner_text("#rejections")
                assert f"{region}: capacity must be at least 0 (health-test)" in refused
                assert "validation failed · health-test · shelter-capacity.v1" in refused
                assert "another-partner" not in refused
                assert await page.inner_text("#who") == "partner health-test"
                assert await page.locator("#situation tbody tr").count() == 1
                await page.evaluate("window.__notReloaded = true")

                await produce(
                    kafka_bootstrap, namespace, decision(region, decision_id),
                    escalation(region, escalation_id, "health", level="L3"),
                )  # fmt: skip
                row = await page.wait_for_selector(f'#decisions li[data-id="{decision_id}"]')
                card = await page.wait_for_selector(f'#esc-L3 li[data-id="{escalation_id}"]')
                assert region in await row.inner_text()
                assert "unmet need" in await card.inner_text()
                assert await page.evaluate("window.__notReloaded === true")
                assert await page.inner_text("#map-count") == "2,003 shelters"
                # an escalation opens to its history: revisions, then its acknowledgement
                await page.click(f'#esc-L1 li[data-id="{region}-e1"] summary')
                history = page.locator(f'#esc-L1 li[data-id="{region}-e1"] ol.history li')
                await history.nth(2).wait_for()
                assert await history.all_inner_texts() == [
                    "03:00:00Z L1 open · 3 people", "03:01:00Z L1 updated · 3 people",
                    "03:02:00Z acknowledged by health-test",
                ]  # fmt: skip
                # a new revision (L2) arrives live, before the ledger has it: the item moves
                # and stays open, its history fetched again and the new revision shown
                raised = escalation(region, f"{region}-e1", "health", level="L2").model_copy(
                    update={"revision": 2, "status": EscalationStatus.UPDATED,
                            "updated_at": T0 + timedelta(minutes=5)})  # fmt: skip
                await produce(kafka_bootstrap, namespace, raised)
                moved = page.locator(f'#esc-L2 li[data-id="{region}-e1"] ol.history li')
                await moved.nth(3).wait_for()
                assert await moved.all_inner_texts() == [
                    "03:00:00Z L1 open · 3 people", "03:01:00Z L1 updated · 3 people",
                    "03:05:00Z L2 updated · 6 people", "03:02:00Z acknowledged by health-test",
                ]  # fmt: skip
                assert await page.locator(f'li[data-id="{region}-e1"]').count() == 1
                # a record nobody commits past: the page names the stalled processors
                producer = AIOKafkaProducer(**connect(kafka_bootstrap))
                await producer.start()
                try:
                    await producer.send_and_wait(region_log, b"{}", key=b"HT01")
                finally:
                    await producer.stop()
                await page.evaluate("loadPipeline()")  # as the page does every 15 s
                banner = page.locator("#late")
                for _ in range(100):
                    if "allocator has made no progress" in await banner.inner_text():
                        break
                    await page.evaluate("loadPipeline()")
                    await asyncio.sleep(0.1)
                said = await banner.inner_text()
                assert said.startswith("Decisions and escalations may be late: "), said
                assert "allocator has made no progress for" in said
                assert "1 record waiting and no worker running" in said
                assert errors == []
                shot = tmp_path / "dashboard.png"
                await page.screenshot(path=str(shot), full_page=True)
                print(f"dashboard screenshot: {shot}")
            finally:
                await browser.close()
