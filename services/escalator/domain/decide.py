"""``decide``: (state, fact, config, routing) → the escalator's events, in a stable order.

Deterministic: time is the fact's (the region log's), ids are derived from (region, reason,
sector, episode), and every collection is walked in sorted order.
"""

from dataclasses import replace
from datetime import datetime

from schemas.types import (
    AckStatus,
    EscalationLevel,
    EscalationReason,
    EscalationStatus,
    MsgType,
    Sector,
)
from services.escalator.domain.config import EscalatorConfig, higher
from services.escalator.domain.events import (
    AckIgnored,
    AcknowledgementRecorded,
    DeadlinePassed,
    DomainEvent,
    EscalationOpened,
    EscalationRaised,
    EscalationResolved,
    EscalationRevised,
    HazardActivated,
    HazardWithdrawn,
)
from services.escalator.domain.evolve import evolve
from services.escalator.domain.facts import AckReceived, Fact, Group, HazardReceived, Observed
from services.escalator.domain.routing import Routing
from services.escalator.domain.rules import (
    NOTICE_LEVEL,
    NOTICES,
    Want,
    extreme_immediate,
    hazard_wants,
    notices,
    observed_wants,
    relevant,
)
from services.escalator.domain.state import ActiveHazard, Escalation, Key, RegionEscalations

MAX_CAUSES = 20
"""Causes kept on an escalation: the latest events that changed it."""

OPEN, UPDATED, RESOLVED = EscalationStatus.OPEN, EscalationStatus.UPDATED, EscalationStatus.RESOLVED
UNACKNOWLEDGED = EscalationReason.UNACKNOWLEDGED


class _Plan:
    """The events decided so far, and the state they lead to."""

    def __init__(self, state: RegionEscalations, config: EscalatorConfig, routing: Routing,
                 at: datetime, cause: str) -> None:  # fmt: skip
        self.state, self.config, self.routing, self.at, self.cause = (
            state,
            config,
            routing,
            at,
            cause,
        )
        self.events: list[DomainEvent] = []

    def add(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.state = evolve(event, self.state)

    def causes(self, escalation: Escalation) -> tuple[str, ...]:
        kept = [c for c in escalation.cause_event_ids if c != self.cause]
        return (*kept, self.cause)[-MAX_CAUSES:]

    def route(
        self, key: Key, level: EscalationLevel, shelters: tuple[str, ...], senders: tuple[str, ...]
    ) -> tuple[str, ...]:
        reason, sector = key
        if reason == EscalationReason.STALE_DATA:
            return self.routing.operators(shelters)  # a refresh request: the operators only
        if reason == EscalationReason.CONFIRMATION_NEEDED:  # who may answer, and who sent
            return tuple(sorted({*self.routing.confirmers(self.state.region), *senders}))
        return self.routing.recipients(self.state.region, sector, level)

    def deadline(self, level: EscalationLevel) -> datetime:
        return self.at + self.config.ack_within(level)


def decide(
    state: RegionEscalations, fact: Fact, config: EscalatorConfig, routing: Routing
) -> list[DomainEvent]:
    match fact:
        case Observed():
            return _observe(_Plan(state, config, routing, fact.at, fact.event_id), fact)
        case HazardReceived():
            return _hazard(_Plan(state, config, routing, fact.at, fact.event_id), fact)
        case AckReceived():
            return _ack(_Plan(state, config, routing, fact.at, fact.event_id), fact)


def _observe(plan: _Plan, fact: Observed) -> list[DomainEvent]:
    for hazard in sorted(plan.state.hazards.values(), key=lambda h: h.identifier):
        if hazard.expires is not None and hazard.expires <= fact.at:
            plan.add(HazardWithdrawn(hazard.identifier))
    wants = {**observed_wants(plan.state, fact, plan.config), **hazard_wants(plan.state.hazards)}
    for key in sorted(wants):
        _apply(plan, key, wants[key])
    found = notices(fact, plan.routing.covered(plan.state.region, Sector.HEALTH))
    for key in sorted(found):
        _notify(plan, key, found[key])
    _deadlines(plan)
    return plan.events


def _open(plan: _Plan, key: Key, want: Want, chasing: tuple[str, ...] = ()) -> None:
    reason, sector = key
    escalation = Escalation(
        region=plan.state.region, reason=reason, sector=sector,
        episode=plan.state.episodes.get(key, 0) + 1, revision=1, level=want.level, status=OPEN,
        opened_at=plan.at, updated_at=plan.at, deadline=plan.deadline(want.level),
        need=want.need, places=want.places, places_used=want.places_used,
        shelter_ids=want.shelter_ids, alert_ids=want.alert_ids,
        recipients=plan.route(key, want.level, want.shelter_ids, want.senders),
        chasing=chasing, cause_event_ids=(plan.cause,),
    )  # fmt: skip
    plan.add(EscalationOpened(escalation))


def _share(places: int | None, used: int | None) -> int | None:
    return None if not places or used is None else 100 * used // places


def _differs(current: Escalation, want: Want) -> bool:
    return (
        current.need != want.need
        or current.shelter_ids != want.shelter_ids
        or current.places != want.places
        or current.alert_ids != want.alert_ids
        or _share(current.places, current.places_used) != _share(want.places, want.places_used)
    )


def _apply(plan: _Plan, key: Key, want: Want | None) -> None:
    """Open, raise, revise or resolve the escalation of ``key`` to match ``want``."""
    current = plan.state.open.get(key)
    if want is None:
        if current is not None:
            _resolve(plan, current)
        return
    if current is None:
        _open(plan, key, want)
        return
    level = max(current.level, want.level)  # never down while the need stays
    if level == current.level and not _differs(current, want):
        return
    facts = {
        "need": want.need, "places": want.places, "places_used": want.places_used,
        "shelter_ids": want.shelter_ids, "alert_ids": want.alert_ids,
        "recipients": plan.route(key, level, want.shelter_ids, want.senders),
        "cause_event_ids": plan.causes(current),
    }  # fmt: skip
    if level == current.level:
        plan.add(EscalationRevised(current.revised(plan.at, UPDATED, **facts)))
        return
    deadline = None if current.acknowledged else plan.deadline(level)
    raised = current.revised(plan.at, UPDATED, level=level, deadline=deadline, **facts)
    plan.add(EscalationRaised(raised))


def _resolve(plan: _Plan, escalation: Escalation) -> None:
    done = escalation.revised(
        plan.at, RESOLVED, deadline=None, need=Group(), cause_event_ids=plan.causes(escalation)
    )
    plan.add(EscalationResolved(done))
    if escalation.reason != UNACKNOWLEDGED:
        _release(plan, escalation)


def _release(plan: _Plan, origin: Escalation) -> None:
    """``origin`` was acknowledged or resolved: the unacknowledged escalation stops chasing it."""
    chaser = plan.state.open.get((UNACKNOWLEDGED, origin.sector))
    if chaser is None or origin.escalation_id not in chaser.chasing:
        return
    chasing = tuple(c for c in chaser.chasing if c != origin.escalation_id)
    if not chasing:
        _resolve(plan, replace(chaser, chasing=()))
        return
    revised = chaser.revised(plan.at, UPDATED, chasing=chasing, cause_event_ids=plan.causes(chaser))
    plan.add(EscalationRevised(revised))


def _notify(plan: _Plan, key: Key, found: Group) -> None:
    current = plan.state.open.get(key)
    if current is None:
        _open(plan, key, Want(NOTICE_LEVEL[key], found))
        return
    if plan.cause in current.cause_event_ids:
        return  # this observation was already counted
    need = current.need + found
    revised = current.revised(plan.at, UPDATED, need=need, cause_event_ids=plan.causes(current))
    plan.add(EscalationRevised(revised))


def _deadlines(plan: _Plan) -> None:
    """Unacknowledged at its deadline: chased one level up; a chaser itself climbs. (An
    acknowledged escalation has no deadline: every acknowledgement clears it.)"""
    for key in sorted(plan.state.open):
        current = plan.state.open.get(key)
        if current is None or current.deadline is None or current.deadline > plan.at:
            continue
        if current.reason == UNACKNOWLEDGED:
            level = higher(current.level)
            again = current.revised(
                plan.at, UPDATED, level=level, deadline=plan.deadline(level),
                recipients=plan.route(key, level, (), ()), cause_event_ids=plan.causes(current),
            )  # fmt: skip
            plan.add(
                EscalationRaised(again) if level != current.level else EscalationRevised(again)
            )
            continue
        passed = current.revised(
            plan.at, UPDATED, deadline=None, cause_event_ids=plan.causes(current)
        )
        plan.add(DeadlinePassed(passed))
        _chase(plan, current)


def _chase(plan: _Plan, origin: Escalation) -> None:
    key: Key = (UNACKNOWLEDGED, origin.sector)
    chaser = plan.state.open.get(key)
    level = higher(origin.level)
    if chaser is None:
        _open(plan, key, Want(level, origin.need), chasing=(origin.escalation_id,))
        return
    level = max(level, chaser.level)
    chasing = tuple(sorted({*chaser.chasing, origin.escalation_id}))
    deadline = chaser.deadline if level == chaser.level else plan.deadline(level)
    revised = chaser.revised(
        plan.at, UPDATED, level=level, deadline=deadline, chasing=chasing, need=origin.need,
        recipients=plan.route(key, level, (), ()), cause_event_ids=plan.causes(chaser),
    )  # fmt: skip
    plan.add(EscalationRaised(revised) if level != chaser.level else EscalationRevised(revised))


def _hazard(plan: _Plan, fact: HazardReceived) -> list[DomainEvent]:
    warning, before = fact.warning, plan.state.hazards
    for identifier in sorted(set(warning.referenced_identifiers()) & set(plan.state.hazards)):
        plan.add(HazardWithdrawn(identifier))
    live = warning.expires is None or warning.expires > fact.at
    if warning.msg_type != MsgType.CANCEL and relevant(warning) and live:
        hazard = ActiveHazard(warning.identifier, extreme_immediate(warning), warning.expires,
                              fact.event_id)  # fmt: skip
        plan.add(HazardActivated(hazard))
    if plan.state.hazards == before:
        return []  # not relevant, nothing to cancel, or a warning already active
    wants = hazard_wants(plan.state.hazards)
    for key in sorted(wants):
        current = plan.state.open.get(key)
        _apply(plan, key, wants[key])
        if current is not None and plan.state.open.get(key) is current:
            # a new or updated warning at the same level: the same escalation, revised
            causes = plan.causes(current)
            plan.add(EscalationRevised(current.revised(plan.at, UPDATED, cause_event_ids=causes)))
    return plan.events


def _ack(plan: _Plan, fact: AckReceived) -> list[DomainEvent]:
    current = plan.state.by_id(fact.escalation_id)
    if current is None:
        return [AckIgnored(fact.escalation_id, fact.partner_id, "no open escalation has this id")]
    if fact.partner_id not in current.recipients:
        return [AckIgnored(fact.escalation_id, fact.partner_id, "the partner was not sent it")]
    closes = current.reason == UNACKNOWLEDGED or (
        fact.status == AckStatus.RESOLVED and current.key in NOTICES
    )
    if fact.partner_id in current.acknowledged_by and not closes:
        return [AckIgnored(fact.escalation_id, fact.partner_id, "already acknowledged")]
    acknowledged_by = tuple(sorted({*current.acknowledged_by, fact.partner_id}))
    acked = replace(current, acknowledged_by=acknowledged_by)
    if closes:
        _resolve(plan, acked)
    else:
        revised = acked.revised(plan.at, UPDATED, deadline=None, cause_event_ids=plan.causes(acked))
        plan.add(AcknowledgementRecorded(revised))
        _release(plan, acked)
    return plan.events
