"""The rules: what each kind of escalation should look like now, given the facts.

A rule answers a :class:`Want` (an escalation should be open, at least at this level, with
these counts) or None (nothing to escalate: an open one is resolved).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.ingress import HazardWarning
from schemas.types import (
    EscalationLevel,
    EscalationReason,
    ResponseType,
    Sector,
    Severity,
    Urgency,
)
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.facts import Group, Observed
from services.escalator.domain.state import ActiveHazard, Key, RegionEscalations

L1, L2, L3 = EscalationLevel.L1, EscalationLevel.L2, EscalationLevel.L3
R, S = EscalationReason, Sector

WAITING: Key = (R.UNMET_NEED, S.SHELTER_CCCM)
TRANSPORT: Key = (R.NO_TRANSPORT, S.LOGISTICS)
CAPACITY: Key = (R.CAPACITY_EXHAUSTED, S.SHELTER_CCCM)
STALE: Key = (R.STALE_DATA, S.SHELTER_CCCM)
CONFIRMATION: Key = (R.CONFIRMATION_NEEDED, S.SHELTER_CCCM)
"""Alerts held for their size: to the region's confirming partners and the alerts' senders."""
HAZARD_KEYS: tuple[Key, ...] = ((R.HAZARD, S.LOGISTICS), (R.HAZARD, S.SHELTER_CCCM))
HEALTH_NOTICE: Key = (R.UNMET_NEED, S.HEALTH)
PROTECTION_NOTICE: Key = (R.UNMET_NEED, S.PROTECTION)
NOTICES: frozenset[Key] = frozenset({HEALTH_NOTICE, PROTECTION_NOTICE})
"""Escalations that inform a sector of what was done; a recipient's ``resolved`` closes them."""


@dataclass(frozen=True)
class Want:
    level: EscalationLevel
    need: Group = field(default_factory=Group)
    places: int | None = None
    places_used: int | None = None
    shelter_ids: tuple[str, ...] = ()
    alert_ids: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()


def need_level(need: Group, at: datetime, config: EscalatorConfig) -> EscalationLevel:
    """L1 at once; L2 after the SLA; L3 after ``system_after`` or above ``system_persons``."""
    waited = at - need.since if need.since is not None else at - at
    if waited >= config.system_after or need.persons > config.system_persons:
        return L3
    return L2 if waited >= config.sla else L1


def _unmet(need: Group, at: datetime, config: EscalatorConfig) -> Want | None:
    return None if need.empty else Want(need_level(need, at, config), need)


def _capacity(state: RegionEscalations, fact: Observed, config: EscalatorConfig) -> Want | None:
    picture = fact.picture
    if picture.places <= 0:
        return None
    ratio = picture.places_used / picture.places
    limit = config.capacity_clear_ratio if CAPACITY in state.open else config.capacity_ratio
    if ratio <= limit:
        return None
    return Want(L1, places=picture.places, places_used=picture.places_used)


def observed_wants(
    state: RegionEscalations, fact: Observed, config: EscalatorConfig
) -> dict[Key, Want | None]:
    """The escalations an observation calls for (None: resolve what is open)."""
    stale = fact.picture.stale_shelters
    return {
        WAITING: _unmet(fact.picture.waiting, fact.at, config),
        TRANSPORT: _unmet(fact.picture.transport, fact.at, config),
        CAPACITY: _capacity(state, fact, config),
        STALE: Want(L1, shelter_ids=stale) if stale else None,
        CONFIRMATION: _confirmation(fact),
    }


def _confirmation(fact: Observed) -> Want | None:
    """Held alerts: a national decision (L2) whatever their size, until each is answered;
    nobody acknowledging it in time is chased like any escalation."""
    p = fact.picture
    if p.held.empty:
        return None
    return Want(L2, p.held, alert_ids=p.held_alerts, senders=p.held_by)


def notices(fact: Observed, health_covered: bool) -> dict[Key, Group]:
    """What sectors must be told of: medical needs placed where no health partner works (to
    the national health contacts), and every unaccompanied or separated child (protection)."""
    found: dict[Key, Group] = {}
    if not fact.medical_placed.empty and not health_covered:
        found[HEALTH_NOTICE] = fact.medical_placed
    if not fact.children_alone.empty:
        found[PROTECTION_NOTICE] = fact.children_alone
    return found


NOTICE_LEVEL: Mapping[Key, EscalationLevel] = {HEALTH_NOTICE: L2, PROTECTION_NOTICE: L1}


def relevant(warning: HazardWarning) -> bool:
    """Imminent and serious, or telling people to evacuate or shelter."""
    imminent = warning.urgency in (Urgency.IMMEDIATE, Urgency.EXPECTED)
    serious = warning.severity in (Severity.EXTREME, Severity.SEVERE)
    moving = bool(warning.response_types & {ResponseType.EVACUATE, ResponseType.SHELTER})
    return (imminent and serious) or moving


def extreme_immediate(warning: HazardWarning) -> bool:
    return warning.severity == Severity.EXTREME and warning.urgency == Urgency.IMMEDIATE


def hazard_wants(hazards: Mapping[str, ActiveHazard]) -> dict[Key, Want | None]:
    """Prepare: shelter and logistics partners of the region; Extreme + Immediate starts at L2."""
    if not hazards:
        return dict.fromkeys(HAZARD_KEYS)
    level = L2 if any(h.extreme_immediate for h in hazards.values()) else L1
    return dict.fromkeys(HAZARD_KEYS, Want(level))
