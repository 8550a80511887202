"""What `corridor bench pipeline` offers the pipeline: signed partner messages (shelters of the
DGPC in every region, displacement alerts from the protection cluster), sent at a paced rate as
the partner itself, and a reader that notes when each output is seen.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson
from aiokafka import AIOKafkaProducer

from schemas.catalogue import INGRESS_TOPICS
from schemas.ingress import Household, PersonsCapacity, ShelterCapacityReport
from schemas.types import GeoPoint, Service
from services.audit.replay import alert
from services.bench.kafka import read_from_start
from services.bench.workload import CENTRES
from services.publish import encode, partner_event

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
ALERTER = "protection-ht"  # may report displacement in every region
OPERATOR = "dpc-ht"  # operates the dpc-* shelters in every region
PLACES = 100_000  # per shelter: the bench measures speed, not a region running out of places


@dataclass(frozen=True)
class Outgoing:
    key: bytes
    value: bytes
    households: int


def _near(rng: random.Random, centre: GeoPoint, spread: float) -> GeoPoint:
    return GeoPoint(lat=round(centre.lat + rng.uniform(-spread, spread), 5),
                    lon=round(centre.lon + rng.uniform(-spread, spread), 5))  # fmt: skip


def _signed(data: Any, topic: str, partner: str, secret: str, event_id: str,
            now: datetime) -> bytes:  # fmt: skip
    event = partner_event(data, topic=topic, partner_id=partner, secret=secret,
                          event_id=event_id, time=now, validate=False)  # fmt: skip
    return encode(event, topic=topic).value


def shelters(regions: Sequence[str], per_region: int, secret: str, now: datetime,
             seed: int = 11) -> list[Outgoing]:  # fmt: skip
    """Shelters of the DGPC around each region's capital, ample places, some scarce services."""
    rng = random.Random(seed)  # noqa: S311 - a seeded workload, not a secret
    out = []
    for region in regions:
        for i in range(per_region):
            services = {s for s in (Service.HEALTH, Service.ACCESSIBLE, Service.CHILD_PROTECTION)
                        if rng.random() < 0.4}  # fmt: skip
            report = ShelterCapacityReport(
                shelter_id=f"dpc-bench-{region.lower()}-{i}",
                location=_near(rng, CENTRES[region], 0.03),
                capacity=PersonsCapacity(kind="persons", persons=PLACES),
                occupancy=0,
                services=frozenset(services),
                reported_at=now - timedelta(minutes=1),
            )
            event_id = f"bench-shelter-{region}-{i}-{now.timestamp():.0f}"
            value = _signed(report.model_dump(mode="json"), SHELTERS, OPERATOR, secret,
                            event_id, now)  # fmt: skip
            out.append(Outgoing(event_id.encode(), value, 0))
    return out


def alerts(regions: Sequence[str], count: int, secret: str, now: datetime, prefix: str,
           seed: int = 7) -> list[Outgoing]:  # fmt: skip
    """``count`` displacement alerts spread over ``regions`` in turn, 1-4 households each."""
    rng = random.Random(f"{seed}:{prefix}")  # noqa: S311 - a seeded workload, not a secret
    out = []
    for i in range(count):
        region = regions[i % len(regions)]
        households = [_household(rng) for _ in range(rng.randint(1, 4))]
        payload = alert(_near(rng, CENTRES[region], 0.02), households, now - timedelta(minutes=1))
        event_id = f"{prefix}-{i}"
        value = _signed(payload.model_dump(mode="json", exclude_none=True), ALERTS, ALERTER,
                        secret, event_id, now)  # fmt: skip
        out.append(Outgoing(event_id.encode(), value, len(households)))
    return out


def _household(rng: random.Random) -> Household:
    size = rng.randint(1, 7)
    children = rng.randint(0, size - 1)
    return Household(size=size, children=children, elderly=0)


async def paced(access: dict[str, Any], topic: str, messages: Sequence[Outgoing],
                rate: float | None) -> dict[str, tuple[float, int]]:  # fmt: skip
    """Send ``messages`` in order at ``rate`` per second (None: as fast as the producer takes
    them) with the connection ``access``; id → (time handed to the producer, households)."""
    producer = AIOKafkaProducer(**access, acks="all", linger_ms=1)
    await producer.start()
    sends: dict[str, tuple[float, int]] = {}
    try:
        start, pending = time.perf_counter(), []
        for i, m in enumerate(messages):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sends[m.key.decode()] = (time.time(), m.households)
            pending.append(await producer.send(topic, m.value, key=m.key))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sends


def alert_id_of(value: bytes) -> str | None:
    """The alert a decision answers (None: a decision from the waitlist or a report)."""
    return _answer(value)[0]


def _answer(value: bytes) -> tuple[str | None, str | None]:
    """A decision's alert id and the event that caused it (the tick that sealed the alert)."""
    data = orjson.loads(value).get("data") or {}
    found, cause = data.get("alert_id"), data.get("cause_event_id")
    return (found if isinstance(found, str) else None,
            cause if isinstance(cause, str) else None)  # fmt: skip


def event_id_of(value: bytes) -> str | None:
    """A region event's id: the partner's event id (a tick's is its own)."""
    found = orjson.loads(value).get("id")
    return found if isinstance(found, str) else None


Ident = Literal["alert_id", "event_id", "key"]


@dataclass
class Seen:
    """Reads a topic from its start and notes when each record was first seen, by ``ident``: a
    decision's alert id, a region event's id, or the record's key (the raw loop's copies)."""

    access: dict[str, Any]
    topic: str
    partitions: int
    ident: Ident = "alert_id"
    at: dict[str, float] = field(default_factory=dict)
    stamped: dict[str, float] = field(default_factory=dict)  # the record's timestamp, s
    causes: dict[str, str] = field(default_factory=dict)  # a decision's cause_event_id
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)  # must stay up
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = await read_from_start(self.access, self.topic, self.partitions)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=50)
            now = time.time()
            for records in batch.values():
                for r in records:
                    key, cause = self._ident(r.key, r.value)
                    if key is not None and key not in self.at:
                        self.at[key], self.stamped[key] = now, r.timestamp / 1000
                        if cause is not None:
                            self.causes[key] = cause

    def _ident(self, key: bytes | None, value: bytes) -> tuple[str | None, str | None]:
        if self.ident == "key":
            return (key.decode() if key else None), None
        return _answer(value) if self.ident == "alert_id" else (event_id_of(value), None)

    async def until_all(self, ids: Sequence[str], within: float) -> bool:
        """Wait until every id has been seen, at most ``within`` s; whether they all were."""
        deadline = time.monotonic() + within
        while not all(i in self.at for i in ids):
            if time.monotonic() > deadline:
                return False
            if stopped := [w.args for w in self.workers if w.poll() is not None]:
                raise RuntimeError(f"a worker stopped: {stopped}")
            await asyncio.sleep(0.05)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


def resident_kib(workers: Sequence[subprocess.Popen[bytes]],
                 proc: Path = Path("/proc")) -> dict[str, int | None]:  # fmt: skip
    """Each worker's resident set size now (VmRSS, KiB), by its module's last name (``python -m
    services.intake …``: intake); None where /proc does not say."""
    sizes: dict[str, int | None] = {}
    for worker in workers:
        name = str(list(worker.args)[2]).rsplit(".", 1)[-1]  # type: ignore[arg-type]
        try:
            status = (proc / str(worker.pid) / "status").read_text()
        except OSError:
            sizes[name] = None
            continue
        found = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")]
        sizes[name] = found[0] if found else None
    return sizes


def ingress_partitions() -> int:
    return next(s.partitions for s in INGRESS_TOPICS if s.name == ALERTS)


def utc_now() -> datetime:
    return datetime.now(UTC)
