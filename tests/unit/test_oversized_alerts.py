"""Oversized alerts (issue 11): intake flags an alert above its sender's ``confirm_above``; the
allocator holds it (no place) until a confirming partner confirms or rejects it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import decode, encode_structured
from schemas.envelope import partner_source
from schemas.ingress import AlertConfirmation, PersonsCapacity
from schemas.outputs import AllocationDecision
from schemas.sequenced import SequencedEvent
from schemas.types import DropReason, RejectReason, UnplacedReason, Verdict
from services.allocator.domain import AllocatorConfig, RegionState, decide, household_id, step
from services.allocator.domain.events import (
    AlertConfirmed,
    AlertHeld,
    AlertRejected,
    ConfirmationIgnored,
)
from services.allocator.store import entity_from_json, entity_to_json
from services.audit.replay import tick
from services.config import Settings
from services.intake.core import Admitted, Refused, screen
from services.intake.record import Record
from services.intake.sequencer import Admission, sequence
from services.publish import encode, partner_event, secrets
from services.registry.errors import RegistryError
from services.registry.partners import DEFAULT_CONFIRM_ABOVE, PartnerRegistry
from services.registry.regions import load_regions
from services.stack import acls
from tests import samples
from tests.unit.test_allocator_rules import R, at, displaced, family, shelter

SECRETS = secrets(Settings(), environ={})
PARTNERS = PartnerRegistry.load(None, SECRETS)
REGIONS = load_regions()
ALERTS = "ingress.displacement-alerts.v1"
CONFIRMATIONS = "ingress.alert-confirmations.v1"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
CONFIG = AllocatorConfig()
SENDER = "protection-ht"  # sends alerts, confirms nothing
CONFIRMER = "iom-ht-national"  # confirms in every region


def ingress(data, topic: str, partner: str, event_id: str = "ev-1", **kw) -> Record:
    kw.setdefault("time", NOW)
    event = partner_event(
        data, topic=topic, partner_id=partner, secret=SECRETS[partner], event_id=event_id,
        validate=False, **kw,
    )  # fmt: skip
    out = encode(event, topic=topic, key=b"k")
    return Record.of(out.topic, 0, 0, out.key, out.value, out.headers, received_at=NOW)


def sizes(persons: int) -> list[int]:
    """Households of at most 50 people adding up to ``persons``."""
    return [50] * (persons // 50) + ([persons % 50] if persons % 50 else [])


# --- the registry ------------------------------------------------------------------------------


def test_the_registry_sets_a_default_and_per_partner_limits() -> None:
    assert DEFAULT_CONFIRM_ABOVE == 500
    assert PARTNERS.get(SENDER).confirm_above == 500  # the file's top-level confirm_above
    assert PARTNERS.get("iom-dtm-ht").confirm_above == 2500  # its own
    assert [p.partner_id for p in PARTNERS.confirmers("HT01")] == ["dpc-ht", CONFIRMER]
    assert PARTNERS.get(CONFIRMER).may_publish(CONFIRMATIONS)
    assert not PARTNERS.get(SENDER).may_publish(CONFIRMATIONS)  # not a default topic


def test_the_confirmations_topic_comes_with_confirms_alone(tmp_path: Path) -> None:
    path = tmp_path / "partners.yaml"
    path.write_text(
        "confirm_above: 40\npartners:\n  - partner_id: acme\n    name: Acme\n"
        f"    publishes: [{CONFIRMATIONS}]\n"
    )
    with pytest.raises(RegistryError, match="confirms: true"):
        PartnerRegistry.load(path, {"acme": "x" * 32})
    path.write_text("confirm_above: 40\npartners:\n  - partner_id: acme\n    name: Acme\n")
    assert PartnerRegistry.load(path, {"acme": "x" * 32}).get("acme").confirm_above == 40


def test_acls_let_only_confirming_partners_write_confirmations() -> None:
    table = acls.table(acls.registry_access())
    writers = {a.principal for a in table if a.name == CONFIRMATIONS and a.operation == acls.WRITE}
    assert writers == {"dpc-ht", CONFIRMER, "gateway"}


# --- intake ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persons", "held"), [(499, False), (500, False), (501, True)])
def test_intake_flags_an_alert_above_its_senders_limit(persons: int, held: bool) -> None:
    outcome = screen(ingress(samples.alert(sizes(persons)), ALERTS, SENDER), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)
    assert outcome.confirm_above == (500 if held else None)


def test_each_partner_has_its_own_limit() -> None:
    outcome = screen(ingress(samples.alert(sizes(2400)), ALERTS, "iom-dtm-ht"), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted) and outcome.confirm_above is None
    outcome = screen(ingress(samples.alert(sizes(2501)), ALERTS, "iom-dtm-ht"), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted) and outcome.confirm_above == 2500


def test_the_flag_reaches_the_region_log_and_reads_back() -> None:
    outcome = screen(ingress(samples.alert(sizes(2400)), ALERTS, SENDER), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)
    admission = Admission.from_bytes(Admission.of(ingress({}, ALERTS, SENDER), outcome).to_bytes())
    (event,) = sequence(admission, None, NOW).events
    assert event.confirm_above == 500
    wire = encode_structured(event.to_cloudevent())
    assert b'"confirmabove":"500"' in wire
    assert SequencedEvent.from_cloudevent(decode(wire)) == event


def test_unflagged_events_keep_their_bytes() -> None:
    outcome = screen(ingress(samples.alert(), ALERTS, SENDER), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)
    (event,) = sequence(Admission.of(ingress({}, ALERTS, SENDER), outcome), None, NOW).events
    assert b"confirmabove" not in encode_structured(event.to_cloudevent())
    # an admission written before the flag existed reads as not held
    raw = Admission.of(ingress({}, ALERTS, SENDER), outcome).to_bytes()
    old = raw.replace(b',"confirm_above":null', b"")
    assert old != raw and Admission.from_bytes(old).confirm_above is None


def confirmation(verdict: str = "confirmed", region: str = "HT01", **changes) -> dict:
    return {"alert_id": "big-1", "region_pcode": region, "verdict": verdict,
            "decided_at": NOW.isoformat(), **changes}  # fmt: skip


def test_a_confirming_partner_is_admitted_into_the_region_it_names() -> None:
    outcome = screen(ingress(confirmation(), CONFIRMATIONS, CONFIRMER), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted)
    assert outcome.regions == ("HT01",) and isinstance(outcome.payload, AlertConfirmation)


def test_confirmations_are_refused_with_their_reason() -> None:
    future = (NOW + timedelta(hours=1)).isoformat()
    cases = [
        (ingress(confirmation(), CONFIRMATIONS, SENDER), RejectReason.UNAUTHORISED, "may not"),
        (ingress(confirmation(decided_at=future), CONFIRMATIONS, CONFIRMER),
         RejectReason.FROM_THE_FUTURE, "decided_at"),
        (ingress(confirmation(verdict="maybe"), CONFIRMATIONS, CONFIRMER),
         RejectReason.VALIDATION_FAILED, "verdict"),
        (Record.of(ALERTS, 0, 0, None, ingress(confirmation(), CONFIRMATIONS, CONFIRMER).value,
                   [], received_at=NOW), RejectReason.WRONG_TOPIC, CONFIRMATIONS),
    ]  # fmt: skip
    for record, reason, says in cases:
        outcome = screen(record, PARTNERS, REGIONS)
        assert isinstance(outcome, Refused), reason
        assert outcome.reason is reason and says in outcome.message, outcome.message


# --- the allocator -----------------------------------------------------------------------------


def held_alert(aid: str = "big-1", members: int = 3, t: float = 1, by: str = SENDER):
    event = displaced(aid, [family(4)] * members, t=t)
    return event.model_copy(update={"partner_id": by, "source": partner_source(by),
                                    "confirm_above": 8})  # fmt: skip


def verdict(
    verdict: Verdict, by: str = CONFIRMER, t: float = 2, aid: str = "big-1"
) -> SequencedEvent:
    payload = AlertConfirmation(alert_id=aid, region_pcode=R, verdict=verdict, decided_at=at(t))
    return SequencedEvent(event_id=f"v-{aid}-{by}-{t}", source=partner_source(by),
                          region_pcode=R, sequenced_at=at(t), partner_id=by,
                          payload=payload)  # fmt: skip


def run(events: list[SequencedEvent]) -> tuple[RegionState, list[AllocationDecision]]:
    state, decided = RegionState.empty(R), []
    for event in events:
        state, made = step(state, event, CONFIG)
        decided.extend(made)
    return state, decided


def places(decisions: list[AllocationDecision]) -> set[str]:
    return {household_id(p.alert_id, p.household_index) for d in decisions for p in d.placements}


def test_a_held_alert_is_decided_at_once_and_reserves_nothing() -> None:
    state, _ = run([shelter("s1", 1, PersonsCapacity(persons=100))])
    outcome = decide(state, held_alert(), CONFIG)
    (held,) = [e for e in outcome.events if isinstance(e, AlertHeld)]
    assert held.alert.confirm_above == 8 and held.alert.partner_id == SENDER
    (made,) = outcome.decisions
    assert made.alert_id == "big-1" and not made.placements
    assert {w.reason for w in made.waitlisted} == {UnplacedReason.AWAITING_CONFIRMATION}
    assert len(made.waitlisted) == 3
    state, later = run([shelter("s1", 1, PersonsCapacity(persons=100)), held_alert(),
                        tick(R, at(2), 1), tick(R, at(60 * 24 * 30), 2)])  # fmt: skip
    assert not places(later) and not state.reservations and not state.waitlist
    assert set(state.held_alerts) == {"big-1"}  # a month on: still held, never expired


def test_a_confirmed_alert_is_placed_at_the_next_tick() -> None:
    state, decided = run([
        shelter("s1", 1, PersonsCapacity(persons=100)), held_alert(),
        verdict(Verdict.CONFIRMED), tick(R, at(3), 1),
    ])  # fmt: skip
    assert places(decided) == {"big-1/0", "big-1/1", "big-1/2"}
    assert not state.held_alerts and not state.waitlist
    assert [d.alert_id for d in decided].count("big-1") == 1  # one decision names the alert


def test_confirmed_households_that_do_not_fit_wait_for_places() -> None:
    state, decided = run([
        shelter("s1", 1, PersonsCapacity(persons=4)), held_alert(),
        verdict(Verdict.CONFIRMED), tick(R, at(3), 1),
    ])  # fmt: skip
    assert len(places(decided)) == 1
    assert {w.reason for w in state.waitlist.values()} == {UnplacedReason.NO_CAPACITY}
    assert {w.since for w in state.waitlist.values()} == {at(1)}  # waiting since the alert


def test_a_rejected_alert_is_dropped_with_a_decision_and_never_placed() -> None:
    state, _ = run([shelter("s1", 1, PersonsCapacity(persons=100)), held_alert()])
    outcome = decide(state, verdict(Verdict.REJECTED), CONFIG)
    assert any(isinstance(e, AlertRejected) and e.by == CONFIRMER for e in outcome.events)
    (made,) = outcome.decisions
    assert made.alert_id is None and not made.placements and not made.waitlisted
    assert [(d.alert_id, d.household_index, d.reason) for d in made.dropped] == [
        ("big-1", i, DropReason.CONFIRMATION_REJECTED) for i in range(3)
    ]
    state, after = run([shelter("s1", 1, PersonsCapacity(persons=100)), held_alert(),
                        verdict(Verdict.REJECTED), tick(R, at(3), 1),
                        verdict(Verdict.CONFIRMED, t=4), tick(R, at(5), 2)])  # fmt: skip
    assert not places(after) and not state.held_alerts and not state.waitlist


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (verdict(Verdict.CONFIRMED, by=SENDER), "its own sender"),
        (verdict(Verdict.CONFIRMED, aid="other"), "no alert with this id"),
    ],
)
def test_verdicts_that_cannot_apply_are_ignored_with_why(event: SequencedEvent, why: str) -> None:
    state, _ = run([shelter("s1", 1, PersonsCapacity(persons=100)), held_alert()])
    outcome = decide(state, event, CONFIG)
    (ignored,) = [e for e in outcome.events if isinstance(e, ConfirmationIgnored)]
    assert why in ignored.why and not outcome.decisions
    after, decided = run([shelter("s1", 1, PersonsCapacity(persons=100)), held_alert(), event,
                          tick(R, at(3), 1)])  # fmt: skip
    assert not places(decided) and set(after.held_alerts) == {"big-1"}


def test_an_unflagged_alert_is_queued_as_before() -> None:
    state, decided = run([shelter("s1", 1, PersonsCapacity(persons=100)),
                          displaced("a1", [family(4)] * 3), tick(R, at(2), 1)])  # fmt: skip
    assert len(places(decided)) == 3 and not state.held_alerts


def test_the_held_alert_entity_is_stored_and_read_back() -> None:
    state, _ = run([held_alert()])
    (held,) = state.held_alerts.values()
    assert entity_from_json(held.key, entity_to_json(held)) == held
    assert any(isinstance(e, AlertConfirmed) for e in decide(state, verdict(Verdict.CONFIRMED),
                                                             CONFIG).events)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("held"), st.integers(0, 2), st.integers(1, 4)),
            st.tuples(st.just("alert"), st.integers(0, 2), st.integers(1, 4)),
            st.tuples(st.just("confirm"), st.integers(0, 2), st.sampled_from([CONFIRMER, SENDER])),
            st.tuples(st.just("reject"), st.integers(0, 2), st.sampled_from([CONFIRMER, SENDER])),
            st.tuples(st.just("tick"), st.just(0), st.just(0)),
            st.tuples(st.just("shelter"), st.integers(0, 1), st.integers(0, 40)),
        ),
        max_size=25,
    )
)
def test_held_households_are_never_placed_before_a_confirmation_in_the_log(steps) -> None:
    """Whatever the order: a household of a held alert gets a place only after a confirmation
    of its alert by another partner than its sender, and never after a rejection came first."""
    events: list[SequencedEvent] = []
    for n, (kind, which, value) in enumerate(steps):
        t = 1 + n
        if kind == "held":
            events.append(held_alert(f"big-{which}-{n}", members=value, t=t))
        elif kind == "alert":
            events.append(displaced(f"small-{n}", [family(4)] * value, t=t))
        elif kind in ("confirm", "reject"):
            held_ids = [e.event_id for e in events if e.confirm_above is not None]
            aid = held_ids[which % len(held_ids)] if held_ids else "none"
            answer = Verdict.CONFIRMED if kind == "confirm" else Verdict.REJECTED
            events.append(verdict(answer, by=value, t=t, aid=aid))
        elif kind == "tick":
            events.append(tick(R, at(t), n))
        else:
            events.append(shelter(f"s{which}", 1 + which, PersonsCapacity(persons=value), t=t))
    state = RegionState.empty(R)
    answered: dict[str, Verdict] = {}
    for event in events:
        state, decided = step(state, event, CONFIG)
        payload = event.payload
        if isinstance(payload, AlertConfirmation) and event.partner_id != SENDER:
            answered.setdefault(payload.alert_id, payload.verdict)
        for d in decided:
            for p in d.placements:
                if p.alert_id.startswith("big-"):
                    assert answered.get(p.alert_id) == Verdict.CONFIRMED, p.alert_id
            for w in d.dropped:
                assert answered.get(w.alert_id) == Verdict.REJECTED
    for alert_id in state.held_alerts:
        assert alert_id not in answered  # answered alerts are held no more


def test_the_ledger_records_dropped_households_as_dropped() -> None:
    from services.allocator.domain.decisions import encode_decision
    from services.ledger.rows import DECISION_RANK, Record, rows_of

    state, _ = run([held_alert()])
    (made,) = decide(state, verdict(Verdict.REJECTED), CONFIG).decisions
    value = encode_decision(made)
    rows = rows_of(Record(topic="allocation.decisions.v1", partition=0, offset=0, value=value))
    households = rows.tables["households"]
    assert [(r[0], r[1], r[5], r[12]) for r in households] == [
        ("big-1", i, "dropped", DECISION_RANK) for i in range(3)
    ]
    assert {r[3] for r in households} == {None}  # persons and needs kept from the alert's row


@pytest.mark.parametrize(
    ("partner", "admitted"),
    [(CONFIRMER, True), (SENDER, True), ("hct-ht", False), ("croix-rouge-ht", True)],
)
def test_who_may_acknowledge_a_confirmation_escalation(partner: str, admitted: bool) -> None:
    """Its recipients: the confirming partners and the senders (any partner sending alerts)."""
    ack = {"escalation_id": "esc:HT01:confirmation_needed:shelter_cccm:1", "region_pcode": "HT01",
           "acknowledged_at": NOW.isoformat(), "status": "acknowledged"}  # fmt: skip
    outcome = screen(ingress(ack, "ingress.escalation-acks.v1", partner), PARTNERS, REGIONS)
    assert isinstance(outcome, Admitted) is admitted, outcome
    if not admitted:
        assert isinstance(outcome, Refused)
        assert "neither confirms nor sends alerts" in outcome.message
