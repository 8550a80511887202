"""Fakes and builders for the escalator's unit tests: fixed log times, facts, a routing table, a
fold of ``decide`` and ``evolve``, and a seeded scenario that a subprocess can replay."""

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from schemas.ingress import HazardArea, HazardWarning
from schemas.types import (
    AckStatus,
    Certainty,
    EscalationLevel,
    EscalationReason,
    MsgType,
    Need,
    ResponseType,
    Sector,
    Severity,
    Urgency,
)
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.decide import decide
from services.escalator.domain.events import (
    AcknowledgementRecorded,
    DeadlinePassed,
    DomainEvent,
    EscalationOpened,
    EscalationRaised,
    EscalationResolved,
    EscalationRevised,
)
from services.escalator.domain.evolve import fold
from services.escalator.domain.facts import (
    AckReceived,
    Fact,
    Group,
    HazardReceived,
    Observed,
    Picture,
    group,
)
from services.escalator.domain.messages import encode, minimise, to_contract
from services.escalator.domain.routing import RegistryRouting, Routing
from services.escalator.domain.rules import (
    CAPACITY,
    HAZARD_KEYS,
    NOTICES,
    STALE,
    TRANSPORT,
    WAITING,
)
from services.escalator.domain.state import Escalation, Key, RegionEscalations, escalation_id
from services.registry.partners import PartnerRegistry, load_secrets
from tests import TEST_SECRETS

R = "HT01"
T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
L1, L2, L3 = EscalationLevel.L1, EscalationLevel.L2, EscalationLevel.L3
SENDER = "cap@example.org"
NONE = Group()

CHANGED = (
    EscalationOpened,
    EscalationRevised,
    EscalationRaised,
    AcknowledgementRecorded,
    DeadlinePassed,
    EscalationResolved,
)


def at(minutes: float) -> datetime:
    """Log time, ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


SHORT: Mapping[Sector, str] = {
    Sector.SHELTER_CCCM: "shelter",
    Sector.LOGISTICS: "logistics",
    Sector.HEALTH: "health",
    Sector.PROTECTION: "protection",
    Sector.WASH: "wash",
}
TIERS: Mapping[EscalationLevel, tuple[str, ...]] = {
    L1: ("region",),
    L2: ("national", "region"),
    L3: ("national", "region", "system"),
}


class FakeRouting:
    """Per sector: ``<sector>-region`` (told from L1), ``-national`` (L2) and ``-system`` (L3).
    Shelter ``a-1`` is operated by ``op-a``; health covers every region but ``uncovered``."""

    def __init__(self, uncovered: Iterable[str] = ()) -> None:
        self.uncovered = frozenset(uncovered)

    def recipients(self, region: str, sector: Sector, level: EscalationLevel) -> tuple[str, ...]:
        return tuple(f"{SHORT[sector]}-{tier}" for tier in TIERS[level])

    def operators(self, shelter_ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({f"op-{s.split('-')[0]}" for s in shelter_ids}))

    def covered(self, region: str, sector: Sector) -> bool:
        return region not in self.uncovered

    def confirmers(self, region: str) -> tuple[str, ...]:
        return ("national-confirmer",)


def recipients(sector: Sector, level: EscalationLevel) -> tuple[str, ...]:
    return FakeRouting().recipients(R, sector, level)


class Run:
    """A region's escalations, folded fact by fact as the shell does."""

    def __init__(
        self,
        config: EscalatorConfig | None = None,
        routing: Routing | None = None,
        region: str = R,
    ) -> None:
        self.config = config or EscalatorConfig()
        self.routing: Routing = routing or FakeRouting()
        self.state = RegionEscalations(region)

    def __call__(self, fact: Fact) -> list[DomainEvent]:
        events = decide(self.state, fact, self.config, self.routing)
        self.state = fold(self.state, events)
        return events

    def all(self, facts: Iterable[Fact]) -> list[DomainEvent]:
        return [event for fact in facts for event in self(fact)]


def changed(events: Iterable[DomainEvent]) -> list[Escalation]:
    """The escalations published: one revision per event that changed one."""
    return [e.escalation for e in events if isinstance(e, CHANGED)]


def names(events: Iterable[DomainEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


# --- facts -------------------------------------------------------------------------------------


def waiting(
    households: int, persons: int, since: float, needs: Mapping[Need, int] | None = None
) -> Group:
    return group(households, persons, needs, at(since))


def observed(
    minutes: float,
    *,
    waiting: Group = NONE,
    transport: Group = NONE,
    places: int = 0,
    used: int = 0,
    stale: tuple[str, ...] = (),
    medical: Group = NONE,
    children: Group = NONE,
    event_id: str | None = None,
) -> Observed:
    picture = Picture(waiting, transport, places, used, stale)
    return Observed(
        at(minutes), event_id or f"tick:{R}:{minutes:g}", picture,
        medical_placed=medical, children_alone=children,
    )  # fmt: skip


def area(region: str = R) -> HazardArea:
    return HazardArea(description="coast", region_pcodes=(region,))


def reference(identifier: str) -> str:
    return f"{SENDER},{identifier},2024-03-01T06:00:00Z"


def warning(
    minutes: float,
    identifier: str,
    *,
    msg_type: MsgType = MsgType.ALERT,
    urgency: Urgency = Urgency.EXPECTED,
    severity: Severity = Severity.SEVERE,
    responses: Iterable[ResponseType] = (),
    expires: float | None = None,
    references: Iterable[str] = (),
) -> HazardWarning:
    return HazardWarning(
        identifier=identifier,
        event="Hurricane",
        msg_type=msg_type,
        urgency=urgency,
        severity=severity,
        certainty=Certainty.LIKELY,
        response_types=frozenset(responses),
        sent=at(minutes),
        expires=None if expires is None else at(expires),
        areas=(area(),),
        references=tuple(reference(i) for i in references),
    )


def hazard(minutes: float, identifier: str, **fields: object) -> HazardReceived:
    return HazardReceived(
        at(minutes),
        f"haz-{identifier}",
        warning(minutes, identifier, **fields),  # type: ignore[arg-type]
    )


def cancel(minutes: float, identifier: str, *cancelled: str) -> HazardReceived:
    """A CAP Cancel without ``info``: identifier, msg_type, sent and references only."""
    bare = HazardWarning(
        identifier=identifier,
        msg_type=MsgType.CANCEL,
        sent=at(minutes),
        references=tuple(reference(i) for i in cancelled),
    )
    return HazardReceived(at(minutes), f"haz-{identifier}", bare)


def ack(
    minutes: float, partner: str, escalation: str, status: AckStatus = AckStatus.ACKNOWLEDGED
) -> AckReceived:
    return AckReceived(at(minutes), f"ack-{partner}-{minutes:g}", partner, escalation, status)


# --- a seeded scenario, replayed in other processes (PYTHONHASHSEED) -----------------------------

SHELTERS = ("111_01_026", "112_02_003", "dpc-7", "211_06_002", "dpc-2")
"""Operated by iom-dtm-ht (1xx_/211_) and dpc-ht (dpc-*) in the committed registry."""
KEYS: tuple[Key, ...] = (
    WAITING, TRANSPORT, CAPACITY, STALE, *HAZARD_KEYS, *sorted(NOTICES),
    *((EscalationReason.UNACKNOWLEDGED, s) for s in Sector),
)  # fmt: skip
ACKERS = ("iom-dtm-ht", "dpc-ht", "croix-rouge-ht", "iom-ht-national", "hct-ht", "protection-ht")


def _group(rng: random.Random, now: float) -> Group:
    households = rng.choice((0, 0, 1, 2, 5, 40, 130))
    if households == 0:
        return Group()
    needs = {n: rng.randint(1, households) for n in Need if rng.random() < 0.5}
    return waiting(households, households * rng.randint(1, 6), now - rng.randint(0, 480), needs)


def scenario(seed: int, routing: Routing, steps: int = 160) -> list[Fact]:
    """Ticks with random pictures every few minutes, hazards (alerts, updates, cancels without
    info) and acks — mostly by recipients of what is open then, several for one escalation —
    from ``seed`` alone: the same list in every process."""
    rng = random.Random(seed)
    run = Run(routing=routing)
    facts: list[Fact] = []

    def add(fact: Fact) -> None:
        facts.append(fact)
        run(fact)

    now, hazards = 0.0, 0
    for _ in range(steps):
        now += rng.choice((1, 5, 15, 30, 45))
        roll = rng.random()
        if roll < 0.12:
            hazards += 1
            known = [f"h{i}" for i in range(1, hazards)]
            refs = rng.sample(known, min(len(known), rng.randint(0, 2)))
            ident = f"h{hazards}"
            if refs and rng.random() < 0.4:
                add(cancel(now, ident, *refs))
                continue
            add(
                hazard(
                    now,
                    ident,
                    msg_type=MsgType.UPDATE if refs else MsgType.ALERT,
                    urgency=rng.choice(list(Urgency)),
                    severity=rng.choice(list(Severity)),
                    responses=rng.sample(list(ResponseType), rng.randint(0, 3)),
                    expires=rng.choice((None, now + 20, now + 240)),
                    references=refs,
                )
            )
        elif roll < 0.3:
            status = rng.choice(list(AckStatus))
            opened = sorted(run.state.open.values(), key=lambda e: e.escalation_id)
            if opened and rng.random() < 0.7:
                target = rng.choice(opened)
                partners = sorted({*target.recipients, rng.choice(ACKERS)})
                for partner in rng.sample(partners, rng.randint(1, len(partners))):
                    add(ack(now, partner, target.escalation_id, status))
                continue
            reason, sector = rng.choice(KEYS)
            escalation = escalation_id(R, reason, sector, rng.randint(1, 2))
            add(ack(now, rng.choice(ACKERS), escalation, status))
        else:
            total = rng.choice((0, 100, 100, 200))
            used = min(total, rng.randint(0, total + 20))
            stale = (
                tuple(sorted(rng.sample(SHELTERS, rng.randint(0, 2)))) if rng.random() < 0.3 else ()
            )
            add(
                observed(
                    now,
                    waiting=_group(rng, now),
                    transport=_group(rng, now),
                    places=total,
                    used=used,
                    stale=stale,
                    medical=_group(rng, now),
                    children=_group(rng, now),
                )
            )
    return facts


def published(events: Iterable[DomainEvent], routing: Routing) -> list[bytes]:
    """Every message the escalator would send: the full record, then each recipient's copy."""

    def operated_by(partner: str) -> Callable[[str], bool]:
        return lambda shelter: partner in routing.operators((shelter,))

    out: list[bytes] = []
    for escalation in changed(events):
        full = to_contract(escalation)
        out.append(encode(full))
        out.extend(encode(minimise(full, p, operated_by(p))) for p in full.recipients)
    return out


def digest(messages: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for message in messages:
        h.update(len(message).to_bytes(8, "big"))
        h.update(message)
    return h.hexdigest()


def registry_routing() -> RegistryRouting:
    """Routing by the committed partner registry (with the development secrets)."""
    secrets = load_secrets(TEST_SECRETS, {})
    return RegistryRouting(PartnerRegistry.load(None, secrets))


def replay_digest(seed: int) -> str:
    """The digest of everything published over :func:`scenario` with the committed registry."""
    routing = registry_routing()
    run = Run(routing=routing)
    messages = published(run.all(scenario(seed, routing)), routing)
    return f"{len(messages)} {digest(messages)}"


if __name__ == "__main__":
    import sys

    print(replay_digest(int(sys.argv[1])))
