"""The escalation of alerts held for their size (issue 11): who is asked, what they are told,
and its life: opened at the tick after the hold, revised as alerts are answered, resolved when
none is held, chased like any escalation when nobody acknowledges it."""

from __future__ import annotations

from schemas.codec import canonical_json
from schemas.types import EscalationLevel, EscalationReason, EscalationStatus, Sector
from services.allocator.domain import AllocatorConfig, RegionState, step
from services.audit.replay import tick
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.events import DeadlinePassed, EscalationOpened
from services.escalator.domain.facts import Observed, Picture, group
from services.escalator.domain.messages import minimise, publications, to_contract
from services.escalator.domain.rules import CONFIRMATION
from services.escalator.picture import picture_of
from services.escalator.store import Folds
from tests.escalator_support import Run, ack, at, changed, names, registry_routing
from tests.unit.test_allocator_rules import at as log_at
from tests.unit.test_oversized_alerts import CONFIRMER, SENDER, held_alert, verdict
from tests.unit.test_oversized_alerts import Verdict as V

CONFIRMATION_NEEDED = EscalationReason.CONFIRMATION_NEEDED


def holding(minutes: float, *alerts: tuple[str, str, int]) -> Observed:
    """A tick at which ``alerts`` (id, sender, households of 4) are held."""
    held = group(sum(n for _, _, n in alerts), 4 * sum(n for _, _, n in alerts), {}, at(0))
    picture = Picture(
        held=held if alerts else group(0, 0),
        held_alerts=tuple(sorted(a for a, _, _ in alerts)),
        held_by=tuple(sorted({s for _, s, _ in alerts})),
    )
    return Observed(at(minutes), f"tick:HT01:{minutes:g}", picture)


def test_the_confirming_partners_and_the_sender_are_asked_at_l2() -> None:
    run = Run()
    [opened] = changed(run(holding(1, ("big-1", "protection-ht", 600))))
    assert (opened.reason, opened.sector, opened.level) == (
        CONFIRMATION_NEEDED, Sector.SHELTER_CCCM, EscalationLevel.L2,
    )  # fmt: skip
    assert opened.recipients == ("national-confirmer", "protection-ht")
    assert opened.alert_ids == ("big-1",) and opened.need.persons == 2400
    record = to_contract(opened)
    assert record.alert_ids == ("big-1",) and record.persons_affected == 2400
    copy = minimise(record, "protection-ht", lambda _: False)
    assert copy.alert_ids == ("big-1",) and copy.recipients == () and copy.cause_event_ids == ()
    assert b'"alert_ids":["big-1"]' in canonical_json(copy.model_dump(mode="json"))
    quiet = to_contract(opened).model_copy(update={"alert_ids": ()})
    assert b"alert_ids" not in canonical_json(quiet.model_dump(mode="json"))  # old bytes kept


def test_revised_as_alerts_are_answered_and_resolved_when_none_is_held() -> None:
    run = Run()
    run(holding(1, ("big-1", "protection-ht", 600)))
    [more] = changed(run(holding(2, ("big-1", "protection-ht", 600), ("big-2", "dpc-ht", 150))))
    assert more.status == EscalationStatus.UPDATED and more.alert_ids == ("big-1", "big-2")
    assert more.recipients == ("dpc-ht", "national-confirmer", "protection-ht")
    assert run(holding(3, ("big-1", "protection-ht", 600), ("big-2", "dpc-ht", 150))) == []
    [fewer] = changed(run(holding(4, ("big-2", "dpc-ht", 150))))
    assert fewer.alert_ids == ("big-2",) and fewer.need.persons == 600
    [done] = changed(run(holding(5)))
    assert done.status == EscalationStatus.RESOLVED and CONFIRMATION not in run.state.open


def test_nobody_answering_is_chased_by_the_deadline() -> None:
    run = Run()
    run(holding(0, ("big-1", "protection-ht", 600)))
    events = run(holding(31, ("big-1", "protection-ht", 600)))  # L2: 30 minutes to acknowledge
    assert "DeadlinePassed" in names(events)
    [chaser] = [e for e in changed(events) if e.reason == EscalationReason.UNACKNOWLEDGED]
    assert chaser.level == EscalationLevel.L3
    assert chaser.chasing == (run.state.open[CONFIRMATION].escalation_id,)


def test_an_acknowledgement_stops_the_chase_but_not_the_question() -> None:
    run = Run()
    [opened] = changed(run(holding(0, ("big-1", "protection-ht", 600))))
    run(ack(10, "national-confirmer", opened.escalation_id))
    events = run(holding(31, ("big-1", "protection-ht", 600)))
    assert not any(isinstance(e, DeadlinePassed) for e in events)
    assert CONFIRMATION in run.state.open  # still held: still open


def test_the_picture_counts_held_alerts_from_the_allocators_state() -> None:
    state = RegionState.empty("HT01")
    for event in (held_alert("big-1", members=3), held_alert("big-2", members=2, by="dpc-ht")):
        state, _ = step(state, event, AllocatorConfig())
    picture = picture_of(state, at(5), AllocatorConfig().stale_after)
    assert (picture.held.households, picture.held.persons) == (5, 20)
    assert picture.held_alerts == ("big-1", "big-2")
    assert picture.held_by == ("dpc-ht", SENDER)
    assert picture.waiting.empty  # held households are not an unmet need: they are a question


def test_the_escalators_replay_of_the_allocator_sees_the_hold_and_the_answer() -> None:
    folds = Folds(EscalatorConfig(), AllocatorConfig(), registry_routing())
    log = [held_alert(), tick("HT01", log_at(1.5), 1), verdict(V.CONFIRMED, t=2),
           tick("HT01", log_at(3), 2)]  # fmt: skip
    held, opened, answered, resolved = (folds.advance(e, 0) for e in log)
    assert held == [] and answered == []  # the escalator speaks at ticks
    [o] = [e for e in opened if isinstance(e, EscalationOpened)]
    assert o.escalation.recipients == ("dpc-ht", CONFIRMER, SENDER)
    assert [p for p, _ in publications(opened, lambda _: lambda _: False)] == [
        None, "dpc-ht", CONFIRMER, SENDER,
    ]  # fmt: skip
    after = {(e.reason, e.status): e.need.persons for e in changed(resolved)}
    # confirmed with no shelter in the region: the question is answered, the need is unmet
    assert after == {
        (CONFIRMATION_NEEDED, EscalationStatus.RESOLVED): 0,
        (EscalationReason.UNMET_NEED, EscalationStatus.OPEN): 12,
    }


def test_an_operator_reads_what_to_confirm() -> None:
    from services.lines import escalation_line

    [opened] = changed(Run()(holding(1, ("big-1", "protection-ht", 600))))
    line = escalation_line(to_contract(opened))
    assert line.startswith("HT01 L2 confirmation_needed → shelter_cccm: 2400 people")
    assert "confirm or reject alert big-1" in line and "acknowledge by" in line
