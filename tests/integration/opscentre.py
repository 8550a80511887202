"""Helpers for the opscentre tests: a live uvicorn on 127.0.0.1, a known scenario, events."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
import uvicorn
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from schemas.catalogue import ALLOCATION_DECISIONS, ESCALATION_EVENTS, topic_name
from schemas.codec import encode_structured, to_event
from schemas.outputs import AllocationDecision, EscalationEvent, Placement, Waitlisted
from schemas.types import (
    EscalationLevel,
    EscalationReason,
    EscalationStatus,
    Sector,
    UnplacedReason,
)
from services.config import Settings
from services.kafka_access import connect
from services.opscentre.app import create_app
from services.opscentre.auth import partner_token
from services.registry.partners import Partner, PartnerRegistry
from services.stack import process

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
OPERATOR_TOKEN = "operator-token-for-tests-0123456789"


def region_code() -> str:
    """A region no other test writes to, so that shared ledger tables do not interfere."""
    return f"ZZ{random.randrange(10**8):08d}"


@dataclass(frozen=True)
class Partners:
    registry: PartnerRegistry
    health_token: str  # covers the test region, sector health only

    @staticmethod
    def covering(region: str) -> Partners:
        secret = "partner-secret-for-tests-0123456789"
        partner = Partner(
            partner_id="health-test", name="Health test partner", sectors=frozenset({"health"}),
            regions=frozenset({region}), secret=SecretStr(secret),
        )  # fmt: skip
        registry = PartnerRegistry({partner.partner_id: partner})
        return Partners(registry, partner_token(partner.partner_id, secret))


class LiveServer:
    """The opscentre app served by uvicorn in a thread (its own event loop)."""

    def __init__(self, settings: Settings, partners: PartnerRegistry) -> None:
        self.port = process.free_port()
        config = uvicorn.Config(
            create_app(settings, partners), host="127.0.0.1", port=self.port,
            log_config=None, access_log=False, lifespan="on",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("opscentre did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()


def settings_for(database_url: str, bootstrap: str, namespace: str) -> Settings:
    return Settings(
        database_url=SecretStr(database_url), kafka_bootstrap=bootstrap,
        topic_namespace=namespace, opscentre_operator_token=SecretStr(OPERATOR_TOKEN),
    )  # fmt: skip


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- a known scenario, written straight into the ledger tables ---------------------------------


async def insert_scenario(db: asyncpg.Connection, region: str) -> None:
    """Two alerts (12 people: 4 placed, 5 in transit, 3 waitlisted), three shelters, three
    decisions and three escalations (L1 open, L2 updated, L1 resolved)."""
    for i, (alert_id, households, persons) in enumerate(
        [(f"{region}-a1", 2, 7), (f"{region}-a2", 1, 5)]
    ):
        await db.execute(
            """INSERT INTO alerts VALUES ($1, $2, NULL, 18.5, -72.3, $3, $4, 0, $4, 0, 0, 0,
               'flood', $5, $5)""",
            alert_id, region, households, persons, T0 + timedelta(minutes=i),
        )  # fmt: skip
    households = [
        (f"{region}-a1", 0, 4, "placed", f"{region}-s1"),
        (f"{region}-a1", 1, 3, "waitlisted", None),
        (f"{region}-a2", 0, 5, "in_transit", f"{region}-s2"),
    ]
    for alert_id, index, persons, outcome, shelter in households:
        await db.execute(
            """INSERT INTO households (alert_id, household_index, region_pcode, persons, outcome,
               shelter_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            alert_id, index, region, persons, outcome, shelter, T0,
        )  # fmt: skip
    shelters = [(f"{region}-s1", 100, 50, 4, 18.51), (f"{region}-s2", 20, 10, 5, 18.60),
                (f"{region}-s3", None, 3, 0, 18.70)]  # fmt: skip
    for shelter_id, capacity, occupancy, reserved, lat in shelters:
        await db.execute(
            """INSERT INTO shelters (shelter_id, region_pcode, lat, lon, capacity_kind, capacity,
               occupancy, open, reported_at, sequenced_at, reserved, event_id)
               VALUES ($1, $2, $3, -72.3, 'persons', $4, $5, true, $6, $6, $7, $1)""",
            shelter_id, region, lat, capacity, occupancy, T0, reserved,
        )  # fmt: skip
    for i in range(3):
        await db.execute(
            "INSERT INTO decisions VALUES ($1, $2, $3, $4, $5, 1, 4, 0, 0, $6::jsonb, $1, 0, $7)",
            f"{region}-d{i}", region, T0 + timedelta(minutes=i), f"{region}-a1", f"{region}-a1",
            orjson.dumps({"placements": [{"shelter_id": f"{region}-s1"}]}).decode(), i,
        )  # fmt: skip
    escalations = [("e1", "L1", "open", "health"), ("e2", "L2", "updated", "logistics"),
                   ("e3", "L1", "resolved", "health")]  # fmt: skip
    for name, level, status, sector in escalations:
        await db.execute(
            """INSERT INTO escalations (escalation_id, revision, region_pcode, reason, sector,
               level, status, episode, persons_affected, households_affected, opened_at,
               updated_at) VALUES ($1, 1, $2, 'unmet_need', $3, $4, $5, 1, 3, 1, $6, $6)""",
            f"{region}-{name}", region, sector, level, status, T0,
        )  # fmt: skip


async def insert_history(db: asyncpg.Connection, region: str, escalation_id: str) -> None:
    """Two revisions of ``escalation_id`` (open, then updated a minute later) and two
    acknowledgements (health-test's, then another partner's)."""
    for revision, status in ((0, "open"), (1, "updated")):
        await db.execute(
            """INSERT INTO escalation_revisions VALUES ($1, $2, $3, 'unmet_need', 'health', 'L1',
               $4, 1, 3, 1, $5, $6, NULL, '{}'::jsonb, $7, 0, $8)""",
            escalation_id, revision, region, status, T0, T0 + timedelta(minutes=revision),
            f"{escalation_id}:r{revision}", revision,
        )  # fmt: skip
    for n, partner in enumerate(("health-test", "another-partner")):
        await db.execute(
            "INSERT INTO escalation_acks VALUES ($1, $2, $3, $4, 'acknowledged', $5, $5)",
            f"{escalation_id}-ack{n}", escalation_id, region, partner,
            T0 + timedelta(minutes=2 + n),
        )  # fmt: skip


# --- events on the topics ------------------------------------------------------------------


def decision(region: str, decision_id: str) -> AllocationDecision:
    return AllocationDecision(
        decision_id=decision_id, region_pcode=region, decided_at=T0, cause_event_id=decision_id,
        alert_id=decision_id,
        placements=(Placement(
            alert_id=decision_id, household_index=0, persons=4, shelter_id="111_01_026",
            transport_pending=True, distance_km=3.5, shelter_data_stale=False,
            reserved_until=T0 + timedelta(hours=12),
        ),),
        waitlisted=(Waitlisted(
            alert_id=decision_id, household_index=1, persons=2,
            reason=UnplacedReason.NO_CAPACITY, since=T0,
        ),),
    )  # fmt: skip


def escalation(region: str, escalation_id: str, sector: str, level: str = "L2"
               ) -> EscalationEvent:  # fmt: skip
    return EscalationEvent(
        escalation_id=escalation_id, region_pcode=region, reason=EscalationReason.UNMET_NEED,
        sector=Sector(sector), level=EscalationLevel(level), status=EscalationStatus.OPEN,
        episode=1, persons_affected=6, households_affected=2,
        opened_at=T0, updated_at=T0,
    )  # fmt: skip


async def produce(bootstrap: str, namespace: str, *payloads: AllocationDecision | EscalationEvent
                  ) -> None:  # fmt: skip
    producer = AIOKafkaProducer(**connect(bootstrap))
    await producer.start()
    try:
        for payload in payloads:
            spec = ALLOCATION_DECISIONS if isinstance(payload, AllocationDecision) else (
                ESCALATION_EVENTS)  # fmt: skip
            ident = getattr(payload, "decision_id", None) or getattr(payload, "escalation_id", "")
            event = to_event(payload, id=f"ev-{ident}", source="corridor:test", time=T0)
            await producer.send_and_wait(
                topic_name(spec, namespace), encode_structured(event),
                key=payload.region_pcode.encode(),
            )  # fmt: skip
    finally:
        await producer.stop()


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each frame of a text/event-stream response."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")
        elif line == "":
            if data:
                yield event, data
            event, data = "message", ""
