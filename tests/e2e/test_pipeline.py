"""The pipeline end to end (issue 9): signed partner messages in through intake, decisions out of
the allocator, both as real worker processes on the real broker, each partner publishing as its
own principal. Checks DESIGN.md §4's invariants 1–4 on what the topics hold afterwards:

1. no shelter booked beyond its capacity at any point of the region log; no household split;
2. every accepted alert has exactly one decision, placing or waitlisting each of its households;
3. every ingress message is in region.events.v1 or ingress.rejected.v1, exactly once;
4. replaying region.events.v1 reproduces the decisions byte for byte.

The second phase reports a vehicle and a shelter shrinking below what it holds, so the
decisions also fetch transport-pending households and release reservations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.catalogue import topic_name
from schemas.codec import decode, payload_of
from schemas.ingress import DisplacementAlert, ShelterCapacityReport
from schemas.outputs import AllocationDecision, RejectedMessage
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from services.audit.allocations import replay_region
from services.config import Settings
from services.publish import Outgoing, encode, partner_event, secrets, send
from services.stack.local import prepare
from tests.integration.reader import TopicReader
from tests.integration.workers import worker, worker_env

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
VEHICLES = "ingress.transport-availability.v1"
PAP = (18.5392, -72.3364)  # Port-au-Prince, HT01
JACMEL = (18.2341, -72.5347)  # HT02
SECRETS = secrets(Settings())


def near(base: tuple[float, float], km_north: float) -> dict[str, float]:
    return {"lat": round(base[0] + km_north / 111.195, 6), "lon": base[1]}


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def shelter(sid: str, where: dict[str, float], persons: int, services: list[str]) -> dict:
    return {"shelter_id": sid, "location": where, "services": services, "occupancy": 0,
            "capacity": {"kind": "persons", "persons": persons}, "reported_at": ago(1)}  # fmt: skip


def alert(where: dict[str, float], households: list[dict[str, Any]]) -> dict:
    persons = sum(h["size"] for h in households)
    return {"origin": where, "cause": "flood", "observed_at": ago(2),
            "households": [{"children": 0, "elderly": 0, **h} for h in households],
            "demographics": {"children": 0, "adults": persons, "elderly": 0,
                             "female": persons // 2, "male": persons - persons // 2}}  # fmt: skip


def vehicle(vid: str, where: dict[str, float], seats: int) -> dict:
    return {"vehicle_id": vid, "kind": "minibus", "seats": seats, "accessible_places": 1,
            "location": where, "available": True, "reported_at": ago(1)}  # fmt: skip


Batch = dict[str, list[Outgoing]]  # partner → its messages, in order


def signed(batch: Batch, partner: str, topic: str, event_id: str, data: dict) -> None:
    event = partner_event(data, topic=topic, partner_id=partner, secret=SECRETS[partner],
                          event_id=event_id, validate=False)  # fmt: skip
    batch[partner].append(encode(event, topic=topic, key=event_id.encode()))


def places() -> Batch:
    batch: Batch = defaultdict(list)
    signed(batch, "iom-dtm-ht", SHELTERS, "e2e-s-pap", shelter("111_01_901", near(PAP, 1), 12, []))
    signed(
        batch, "dpc-ht", SHELTERS, "e2e-s-dpc", shelter("dpc-pap-1", near(PAP, 3), 10, ["health"])
    )
    signed(batch, "dpc-ht", SHELTERS, "e2e-s-jac", shelter("dpc-jac-1", near(JACMEL, 1), 6, []))
    # refused: not its shelter; a negative occupancy
    signed(batch, "dpc-ht", SHELTERS, "e2e-bad-owner", shelter("111_01_902", near(PAP, 2), 9, []))
    bad = {**shelter("111_01_903", near(PAP, 2), 9, []), "occupancy": -1}
    signed(batch, "iom-dtm-ht", SHELTERS, "e2e-bad-value", bad)
    return batch


def people() -> Batch:
    medical = {"size": 4, "needs": ["medical"]}
    batch: Batch = defaultdict(list)
    signed(batch, "protection-ht", ALERTS, "e2e-a1", alert(near(PAP, 0), [{"size": 4}, medical]))
    signed(batch, "iom-dtm-ht", ALERTS, "e2e-a2", alert(near(PAP, 2), [{"size": 5}, {"size": 3}]))
    signed(batch, "protection-ht", ALERTS, "e2e-a3", alert(near(PAP, 1), [{"size": 6}] * 2))
    signed(batch, "dpc-ht", ALERTS, "e2e-a4", alert(near(JACMEL, 0), [{"size": 3}, {"size": 4}]))
    return batch


def vehicle_later() -> Batch:
    batch: Batch = defaultdict(list)
    signed(batch, "croix-rouge-ht", VEHICLES, "e2e-v-crh", vehicle("crh-e2e-1", near(PAP, 0), 9))
    return batch


def fewer_places() -> Batch:
    batch: Batch = defaultdict(list)
    report = shelter("dpc-pap-1", near(PAP, 3), 2, ["health"])
    signed(batch, "dpc-ht", SHELTERS, "e2e-s-dpc-2", report)
    return batch


async def publish(batch: Batch, settings: Settings) -> set[str]:
    for partner, messages in batch.items():
        await send(messages, settings, as_partner=partner)
    return {m.key.decode() for messages in batch.values() for m in messages if m.key}


class Seen:
    """What the topics hold: the region logs (ticks and partner events), the refusals, the
    decisions in emitted order."""

    def __init__(self, records: list, namespace: str) -> None:
        self.log: dict[str, list[SequencedEvent]] = defaultdict(list)
        self.rejected: list[str] = []
        self.decisions: list[AllocationDecision] = []
        region, rejected = (
            topic_name(t, namespace) for t in ("region.events.v1", "ingress.rejected.v1")
        )
        seen: set[tuple[str, str]] = set()
        for record in records:
            event = decode(record.value, record.headers)
            if (record.topic, event.id) in seen:
                continue  # at-least-once: a repeat is the same event, byte for byte
            seen.add((record.topic, event.id))
            if record.topic == region:
                sequenced = SequencedEvent.from_cloudevent(event)
                self.log[sequenced.region_pcode].append(sequenced)
            elif record.topic == rejected:
                refusal = payload_of(event)
                assert isinstance(refusal, RejectedMessage)
                self.rejected.append(refusal.event_id or "")
            else:
                decision = payload_of(event)
                assert isinstance(decision, AllocationDecision)
                self.decisions.append(decision)

    def admitted(self) -> list[str]:
        return [e.event_id for log in self.log.values() for e in log
                if not isinstance(e.payload, RegionTick)]  # fmt: skip

    def caused(self, event_id: str) -> list[AllocationDecision]:
        return [d for d in self.decisions if d.cause_event_id == event_id]


def admitted_or_refused(ids: set[str]) -> Callable[[Seen], bool]:
    return lambda seen: ids <= {*seen.admitted(), *seen.rejected}


def alerts_decided(ids: set[str]) -> Callable[[Seen], bool]:
    return lambda seen: ids <= {d.alert_id for d in seen.decisions}


def decisions_caused(ids: set[str]) -> Callable[[Seen], bool]:
    return lambda seen: ids <= {d.cause_event_id for d in seen.decisions}


def seeing(done: Callable[[Seen], bool], namespace: str) -> Callable[[list], bool]:
    return lambda records: done(Seen(records, namespace))


PHASES: list[tuple[Callable[[], Batch], Callable[[set[str]], Callable[[Seen], bool]]]] = [
    (places, admitted_or_refused),
    (people, alerts_decided),
    (vehicle_later, decisions_caused),
    (fewer_places, decisions_caused),
]


@pytest.mark.timeout(120)
async def test_partner_messages_to_decisions_keep_the_invariants(
    kafka_bootstrap, namespace, tmp_path
) -> None:
    await prepare(kafka_bootstrap, namespace)
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_namespace=namespace)
    env = worker_env(kafka_bootstrap, namespace, tmp_path / "state", CORRIDOR_TICK_INTERVAL="0.5")
    topics = [topic_name(t, namespace) for t in
              ("region.events.v1", "ingress.rejected.v1", "allocation.decisions.v1")]  # fmt: skip
    sent: set[str] = set()
    async with TopicReader(kafka_bootstrap, topics) as reader:
        with (
            worker("intake", env, tmp_path / "intake.log"),
            worker("allocator", env, tmp_path / "allocator.log"),
        ):
            for build, until in PHASES:
                ids = await publish(build(), settings)
                sent |= ids
                await reader.read_until(seeing(until(ids), namespace), within=60)
            await reader.linger(1)
    seen = Seen(reader.records, namespace)

    # 3. nothing lost: each ingress message admitted or refused, exactly once
    admitted, rejected = seen.admitted(), seen.rejected
    assert sorted(admitted + rejected) == sorted(sent)
    assert set(rejected) == {"e2e-bad-owner", "e2e-bad-value"}

    # 2. every accepted alert: exactly one decision, each household placed or waitlisted
    alerts = {e.event_id: e.payload for log in seen.log.values() for e in log
              if isinstance(e.payload, DisplacementAlert)}  # fmt: skip
    assert set(alerts) == {"e2e-a1", "e2e-a2", "e2e-a3", "e2e-a4"}
    for alert_id, payload in alerts.items():
        [d] = [d for d in seen.decisions if d.alert_id == alert_id]
        named = sorted(x.household_index for x in (*d.placements, *d.waitlisted))
        assert named == list(range(len(payload.households)))

    # 1. never over capacity, never split: fold the decisions into the region log, in order
    for log in seen.log.values():
        _check_capacity(log, seen, alerts)

    # more people than places in HT01 and HT02: the checks above saw both outcomes
    assert all(any(getattr(d, k) for d in seen.decisions) for k in ("placements", "waitlisted"))
    # the later phases did what issue 9 asks: a vehicle fetched, a reservation released
    [fetched] = seen.caused("e2e-v-crh")
    assert fetched.placements and all(p.vehicle_id == "crh-e2e-1" for p in fetched.placements)
    [shrunk] = seen.caused("e2e-s-dpc-2")
    assert shrunk.released and {r.shelter_id for r in shrunk.released} == {"dpc-pap-1"}

    # 4. replaying each region's log reproduces the decisions, byte for byte
    for region in seen.log:
        report = await replay_region(settings, region)
        assert report.ok, (report.missing, report.unexplained, report.different)
    assert {d.region_pcode for d in seen.decisions} == {"HT01", "HT02"}


def _check_capacity(
    log: list[SequencedEvent], seen: Seen, alerts: dict[str, DisplacementAlert]
) -> None:
    sizes = {(a, i): h.size for a, p in alerts.items() for i, h in enumerate(p.households)}
    shelters: dict[str, ShelterCapacityReport] = {}
    holding: dict[tuple[str, int], tuple[str, int]] = {}
    for event in log:
        if isinstance(event.payload, ShelterCapacityReport):
            shelters[event.payload.shelter_id] = event.payload
        for d in seen.caused(event.event_id):
            for r in d.released:
                holding.pop((r.alert_id, r.household_index))
            for w in d.waitlisted:
                assert w.persons == sizes[(w.alert_id, w.household_index)]  # whole
                holding.pop((w.alert_id, w.household_index), None)
            for p in d.placements:
                assert p.persons == sizes[(p.alert_id, p.household_index)]  # whole
                holding[(p.alert_id, p.household_index)] = (p.shelter_id, p.persons)
        held: dict[str, int] = defaultdict(int)
        for sid, persons in holding.values():
            held[sid] += persons
        for sid, persons in held.items():
            report = shelters[sid]
            assert report.open and report.occupancy + persons <= report.capacity_persons, sid
