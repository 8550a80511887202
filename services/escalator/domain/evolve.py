"""Fold the escalator's events into a region's state: one handler per event type."""

from collections.abc import Iterable
from functools import singledispatch
from types import MappingProxyType

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
from services.escalator.domain.state import Escalation, RegionEscalations


@singledispatch
def evolve(event: DomainEvent, state: RegionEscalations) -> RegionEscalations:
    raise TypeError(f"no handler for {type(event).__name__}")  # pragma: no cover


def _put(state: RegionEscalations, escalation: Escalation) -> RegionEscalations:
    key = escalation.key
    return RegionEscalations(
        state.region,
        MappingProxyType({**state.open, key: escalation}),
        MappingProxyType({**state.episodes, key: escalation.episode}),
        state.hazards,
    )


@evolve.register
def _changed(
    event: EscalationOpened
    | EscalationRevised
    | EscalationRaised
    | AcknowledgementRecorded
    | DeadlinePassed,
    state: RegionEscalations,
) -> RegionEscalations:
    return _put(state, event.escalation)


@evolve.register
def _resolved(event: EscalationResolved, state: RegionEscalations) -> RegionEscalations:
    remaining = {k: v for k, v in state.open.items() if k != event.escalation.key}
    return RegionEscalations(
        state.region, MappingProxyType(remaining), state.episodes, state.hazards
    )


@evolve.register
def _hazard_on(event: HazardActivated, state: RegionEscalations) -> RegionEscalations:
    hazards = {**state.hazards, event.hazard.identifier: event.hazard}
    return RegionEscalations(
        state.region, state.open, state.episodes, MappingProxyType(dict(sorted(hazards.items())))
    )


@evolve.register
def _hazard_off(event: HazardWithdrawn, state: RegionEscalations) -> RegionEscalations:
    hazards = {k: v for k, v in state.hazards.items() if k != event.identifier}
    return RegionEscalations(state.region, state.open, state.episodes, MappingProxyType(hazards))


@evolve.register
def _ignored(event: AckIgnored, state: RegionEscalations) -> RegionEscalations:
    return state


def fold(state: RegionEscalations, events: Iterable[DomainEvent]) -> RegionEscalations:
    for event in events:
        state = evolve(event, state)
    return state
