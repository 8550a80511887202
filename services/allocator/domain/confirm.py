"""Alerts held for their size: held at once, then confirmed (waitlisted) or rejected (dropped).

Intake flags an alert with more people than its sender may send unconfirmed (the region event's
``confirm_above``). Such an alert reserves nothing: its decision, made at once, waitlists every
household ``awaiting_confirmation``. A verdict from a confirming partner (intake checked that
it may confirm in the region) either puts the households on the waitlist, waiting since the
alert arrived, to be placed from the next tick like any waitlisted household, or drops them
with a decision saying so. A verdict about no held alert, or from the alert's own sender,
changes nothing (:class:`ConfirmationIgnored`). Held alerts never expire.
"""

from datetime import datetime

from schemas.ingress import AlertConfirmation, DisplacementAlert
from schemas.outputs import AllocationDecision, Dropped, Waitlisted
from schemas.sequenced import SequencedEvent
from schemas.types import DropReason, UnplacedReason, Verdict
from services.allocator.domain.decisions import decision
from services.allocator.domain.entities import HeldAlert, WaitEntry
from services.allocator.domain.events import (
    AlertConfirmed,
    AlertHeld,
    AlertRejected,
    ConfirmationIgnored,
    DomainEvent,
)
from services.allocator.domain.state import RegionState

Decided = tuple[tuple[AllocationDecision, ...], list[DomainEvent]]


def hold(
    state: RegionState, event: SequencedEvent, alert: DisplacementAlert, now: datetime
) -> Decided:
    """The alert's decision (every household ``awaiting_confirmation``) and its hold."""
    held = HeldAlert(
        alert_id=event.event_id,
        lat=alert.origin.lat,
        lon=alert.origin.lon,
        households=alert.households,
        received_at=now,
        partner_id=event.partner_id,
        confirm_above=event.confirm_above or 0,
    )
    waiting = tuple(
        Waitlisted(
            alert_id=held.alert_id,
            household_index=index,
            persons=h.size,
            needs=h.needs,
            reason=UnplacedReason.AWAITING_CONFIRMATION,
            since=now,
        )
        for index, h in enumerate(held.households)
    )
    made = decision(state.region_pcode, now, event.event_id, held.alert_id, (), waiting)
    return (made,), [AlertHeld(held)]


def answer(
    state: RegionState, event: SequencedEvent, verdict: AlertConfirmation, now: datetime
) -> Decided:
    """What a confirming partner's verdict does to the held alert it names."""
    held = state.held_alerts.get(verdict.alert_id)
    by = event.partner_id
    if held is None:
        why = "no alert with this id is held for confirmation in this region"
        return (), [ConfirmationIgnored(verdict.alert_id, by, why)]
    if by is None or by == held.partner_id:
        why = "an alert cannot be confirmed by its own sender"
        return (), [ConfirmationIgnored(verdict.alert_id, by, why)]
    if verdict.verdict == Verdict.CONFIRMED:
        entries = tuple(
            WaitEntry(
                alert_id=held.alert_id,
                household_index=index,
                lat=held.lat,
                lon=held.lon,
                household=h,
                since=held.received_at,
                reason=UnplacedReason.AWAITING_CONFIRMATION.value,
            )
            for index, h in enumerate(held.households)
        )
        return (), [AlertConfirmed(held, by, entries)]
    dropped = tuple(
        Dropped(
            alert_id=held.alert_id,
            household_index=index,
            persons=h.size,
            reason=DropReason.CONFIRMATION_REJECTED,
        )
        for index, h in enumerate(held.households)
    )
    made = decision(state.region_pcode, now, event.event_id, None, (), (), dropped=dropped)
    return (made,), [AlertRejected(held, by)]
