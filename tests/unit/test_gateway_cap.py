"""CAP XML posted to the gateway: the CAP adapter's conversion, refusals as one error type,
and /v1/cap in-process (a recording publisher instead of Kafka)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from schemas.hazard import HazardWarning
from services.config import Settings
from services.gateway.app import create_app
from services.gateway.cap import CapInvalid, hazard_payloads
from services.intake.record import Record
from services.opscentre.auth import partner_token
from services.publish import secrets
from services.registry.partners import PartnerRegistry
from services.registry.regions import load_regions

CAP = Path(__file__).resolve().parents[3] / "shared" / "data" / "cap"
REGIONS = load_regions()
LIMIT = 1024 * 1024

needs_data = pytest.mark.skipif(not CAP.is_dir(), reason="../shared/data/cap is not here")


@needs_data
def test_an_actual_alert_becomes_hazard_warnings_with_deterministic_ids() -> None:
    body = (CAP / "australia.cap").read_bytes()
    first, again = hazard_payloads(body, REGIONS, LIMIT), hazard_payloads(body, REGIONS, LIMIT)
    assert first == again and len(first.warnings) == 2 and first.held == []
    for event_id, data in first.warnings:
        assert event_id.startswith("cap:")
        HazardWarning.model_validate(data)


@needs_data
def test_an_exercise_is_held_back() -> None:
    payloads = hazard_payloads((CAP / "ph.cap").read_bytes(), REGIONS, LIMIT)
    assert payloads.warnings == [] and len(payloads.held) == 1


@needs_data
@pytest.mark.parametrize(
    ("body", "names"),
    [
        ((CAP / "invalid.cap").read_bytes() if CAP.is_dir() else b"", "alert/scope"),
        ((CAP / "xee.cap").read_bytes() if CAP.is_dir() else b"", "DOCTYPE"),
        (b"<alert", ": "),
        (b"\xff\xfe\x00", ": "),
    ],
)
def test_invalid_documents_are_refused_with_the_element(body: bytes, names: str) -> None:
    with pytest.raises(CapInvalid, match=names):
        hazard_payloads(body, REGIONS, LIMIT)


HAITI_CAP = b"""<?xml version="1.0" encoding="utf-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>gateway-test-1</identifier>
  <sender>dpc@example.ht</sender>
  <sent>2026-11-26T03:00:00-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Met</category>
    <event>Cyclone</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <area><areaDesc>Port-au-Prince</areaDesc><circle>18.54,-72.35 5</circle></area>
  </info>
</alert>"""


class Recorded:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, record: Record) -> None:
        self.records.append(record)


async def test_a_cap_alert_posted_by_the_cap_adapter_is_published_on_the_hazard_topic() -> None:
    keys = secrets(Settings(), environ={})
    partners = PartnerRegistry.load(None, keys)
    sink = Recorded()
    app = create_app(Settings(), partners, REGIONS, sink)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:

        async def post(partner: str) -> httpx.Response:
            auth = f"Bearer {partner_token(partner, keys[partner])}"
            headers = {"Authorization": auth, "Content-Type": "application/cap+xml"}
            return await client.post("/v1/cap", content=HAITI_CAP, headers=headers)

        accepted, refused = await post("cap-adapter"), await post("iom-dtm-ht")
    assert accepted.status_code == 202, accepted.text
    assert len(accepted.json()["ids"]) == 1
    assert [r.topic for r in sink.records] == ["ingress.hazard-warnings.v1"]
    assert (refused.status_code, refused.json()["reason"]) == (403, "unauthorised")
    assert len(sink.records) == 1
