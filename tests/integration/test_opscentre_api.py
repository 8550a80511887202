"""The opscentre API against the real PostgreSQL: a known scenario, pagination, 401 and 403."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from tests.integration.opscentre import (
    OPERATOR_TOKEN,
    LiveServer,
    Partners,
    auth,
    insert_history,
    insert_scenario,
    region_code,
    settings_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def region() -> str:
    return region_code()


@pytest.fixture
def partners(region: str) -> Partners:
    return Partners.covering(region)


@pytest.fixture
def server(database_url: str, partners: Partners) -> Iterator[LiveServer]:
    # No Kafka here: the stream hub retries in the background while the API serves.
    settings = settings_for(database_url, "127.0.0.1:1", "unused")
    with LiveServer(settings, partners.registry) as live:
        yield live


@pytest.fixture
async def client(server: LiveServer) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=server.url) as http:
        yield http


async def test_situation_of_a_known_scenario(
    client: httpx.AsyncClient, db: asyncpg.Connection, region: str
) -> None:
    await insert_scenario(db, region)
    response = await client.get(f"/api/v1/situation?region={region}", headers=auth(OPERATOR_TOKEN))
    assert response.status_code == 200, response.text
    [situation] = response.json()["regions"]
    assert situation["region_pcode"] == region
    assert situation["people"] == {
        "displaced": 12, "placed": 4, "in_transit": 5, "arrived": 0, "waitlisted": 3,
        "no_show": 0, "cancelled": 0, "pending": 0,
    }  # fmt: skip
    assert situation["shelters"] == {
        "shelters": 3, "open_shelters": 3, "capacity": 120, "occupancy": 60, "reserved": 9,
        "utilisation": pytest.approx(69 / 120),
    }  # fmt: skip
    assert situation["open_escalations"] == {"L1": 1, "L2": 1, "L3": 0}


async def test_decisions_are_paginated_by_cursor(
    client: httpx.AsyncClient, db: asyncpg.Connection, region: str
) -> None:
    await insert_scenario(db, region)
    seen: list[str] = []
    url = f"/api/v1/decisions?region={region}&limit=2"
    first = (await client.get(url, headers=auth(OPERATOR_TOKEN))).json()
    seen += [d["decision_id"] for d in first["items"]]
    assert first["next_cursor"] is not None
    second = await client.get(f"{url}&cursor={first['next_cursor']}", headers=auth(OPERATOR_TOKEN))
    seen += [d["decision_id"] for d in second.json()["items"]]
    assert seen == [f"{region}-d2", f"{region}-d1", f"{region}-d0"]
    assert second.json()["next_cursor"] is None
    assert first["items"][0]["shelters"] == [f"{region}-s1"]


async def test_filters_of_shelters_alerts_and_escalations(
    client: httpx.AsyncClient, db: asyncpg.Connection, region: str
) -> None:
    await insert_scenario(db, region)
    headers = auth(OPERATOR_TOKEN)
    url = f"/api/v1/shelters?region={region}&min_utilisation=0.6"
    busy = await client.get(url, headers=headers)
    assert [s["shelter_id"] for s in busy.json()["items"]] == [f"{region}-s2"]  # 15/20
    alerts = (await client.get(f"/api/v1/alerts?region={region}", headers=headers)).json()
    assert [a["alert_id"] for a in alerts["items"]] == [f"{region}-a2", f"{region}-a1"]
    assert [len(a["decisions"]) for a in alerts["items"]] == [0, 3]
    l1 = await client.get(f"/api/v1/escalations?region={region}&level=L1", headers=headers)
    assert sorted(e["escalation_id"] for e in l1.json()["items"]) == [
        f"{region}-e1", f"{region}-e3"]  # fmt: skip
    cells = (await client.get(f"/api/v1/shelters/map?region={region}", headers=headers)).json()
    assert cells["shelters"] == 3


@pytest.mark.parametrize(
    "path", ["/api/v1/situation", "/api/v1/shelters", "/api/v1/decisions", "/api/v1/alerts",
             "/api/v1/escalations", "/api/v1/escalations/esc:HT01:unmet_need:health:1",
             "/api/v1/rejections", "/api/v1/stream", "/api/v1/whoami", "/api/v1/pipeline"],
)  # fmt: skip
@pytest.mark.parametrize("token", [None, "not-a-token", "partner.health-test.00ff"])
async def test_no_valid_token_is_401(client: httpx.AsyncClient, path: str, token: str | None
                                     ) -> None:  # fmt: skip
    response = await client.get(path, headers=auth(token) if token else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_partner_sees_only_its_regions_and_sectors(
    client: httpx.AsyncClient, db: asyncpg.Connection, region: str, partners: Partners
) -> None:
    await insert_scenario(db, region)
    headers = auth(partners.health_token)
    mine = (await client.get("/api/v1/situation", headers=headers)).json()["regions"]
    assert [r["region_pcode"] for r in mine] == [region]
    other = await client.get("/api/v1/situation?region=HT01", headers=headers)
    assert other.status_code == 403
    logistics = await client.get("/api/v1/escalations?sector=logistics", headers=headers)
    assert logistics.status_code == 403
    escalations = (await client.get("/api/v1/escalations", headers=headers)).json()["items"]
    assert sorted(e["escalation_id"] for e in escalations) == [f"{region}-e1", f"{region}-e3"]
    decisions = (await client.get("/api/v1/decisions?limit=500", headers=headers)).json()
    assert {d["region_pcode"] for d in decisions["items"]} == {region}


async def test_one_escalation_with_its_revisions_and_acknowledgements(
    client: httpx.AsyncClient, db: asyncpg.Connection, region: str, partners: Partners
) -> None:
    """An operator sees every revision and acknowledgement; a partner its own acknowledgement,
    and nothing outside its sectors or regions (404, as for an unknown id)."""
    await insert_scenario(db, region)
    e1 = f"{region}-e1"
    await insert_history(db, region, e1)
    seen = await client.get(f"/api/v1/escalations/{e1}", headers=auth(OPERATOR_TOKEN))
    assert seen.status_code == 200
    detail = seen.json()
    assert (detail["escalation_id"], detail["level"], detail["status"]) == (e1, "L1", "open")
    revisions = [(r["revision"], r["status"]) for r in detail["revisions"]]
    assert revisions == [(0, "open"), (1, "updated")]
    acks = [k["partner_id"] for k in detail["acknowledgements"]]
    assert acks == ["health-test", "another-partner"]
    partner = auth(partners.health_token)
    own = (await client.get(f"/api/v1/escalations/{e1}", headers=partner)).json()
    assert [k["partner_id"] for k in own["acknowledgements"]] == ["health-test"]
    for hidden in (f"{region}-e2", "esc:HT99:unmet_need:health:1"):  # logistics; unknown
        answer = await client.get(f"/api/v1/escalations/{hidden}", headers=partner)
        assert answer.status_code == 404
    bad = await client.get("/api/v1/escalations/%20x", headers=auth(OPERATOR_TOKEN))
    assert bad.status_code == 422


async def test_bad_cursor_is_400_and_writes_are_refused(client: httpx.AsyncClient) -> None:
    headers = auth(OPERATOR_TOKEN)
    assert (await client.get("/api/v1/decisions?cursor=AAAA", headers=headers)).status_code == 400
    assert (await client.post("/api/v1/decisions", headers=headers)).status_code == 405
    assert (await client.delete("/api/v1/escalations", headers=headers)).status_code == 405


async def test_the_page_is_served_without_data(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert "Corridor operations centre" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/static/dashboard.js")).status_code == 200
