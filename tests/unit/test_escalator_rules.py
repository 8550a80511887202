"""The escalation rules of issue 7, one example each, through ``decide`` and ``evolve``.

Time is the region log's, given by each fact; routing is a fake table (tests/escalator_support.py)
except in the last tests, which use the committed partner registry.
"""

from datetime import timedelta

import pytest

from schemas.ingress import Household, PersonsCapacity
from schemas.outputs import escalation_id, parse_escalation_id
from schemas.types import (
    AckStatus,
    EscalationReason,
    EscalationStatus,
    FeedbackKind,
    MsgType,
    Need,
    ResponseType,
    Sector,
    Service,
    Severity,
    Urgency,
)
from services.audit.replay import replay, tick
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.events import (
    AckIgnored,
    DeadlinePassed,
    EscalationOpened,
    EscalationRaised,
    EscalationResolved,
    EscalationRevised,
    HazardActivated,
    HazardWithdrawn,
)
from services.escalator.domain.facts import Observed, group
from services.escalator.domain.routing import RegistryRouting
from services.escalator.domain.rules import (
    CAPACITY,
    HEALTH_NOTICE,
    PROTECTION_NOTICE,
    STALE,
    TRANSPORT,
    WAITING,
)
from services.escalator.picture import (
    children_alone,
    medical_placed,
    picture_of,
)
from services.registry.partners import PartnerRegistry, load_secrets
from tests import TEST_SECRETS
from tests.escalator_support import (
    L1,
    L2,
    L3,
    FakeRouting,
    R,
    Run,
    ack,
    at,
    cancel,
    changed,
    hazard,
    names,
    observed,
    recipients,
    waiting,
)
from tests.unit import test_allocator_rules as a

SHELTER, LOGISTICS = Sector.SHELTER_CCCM, Sector.LOGISTICS
HEALTH, PROTECTION = Sector.HEALTH, Sector.PROTECTION
UNACK = EscalationReason.UNACKNOWLEDGED
HAZ_LOG, HAZ_SHELTER = (EscalationReason.HAZARD, LOGISTICS), (EscalationReason.HAZARD, SHELTER)
PATIENT = EscalatorConfig(
    ack_within_l1=timedelta(days=7),
    ack_within_l2=timedelta(days=7),
    ack_within_l3=timedelta(days=7),
)
"""Nobody is chased for a week: for tests of the other rules."""
WAIT_ID = escalation_id(R, *WAITING, 1)
HEALTH_SERVICE = frozenset({Service.HEALTH})


# --- unmet need --------------------------------------------------------------------------------


def test_waitlisted_households_open_an_unmet_need_at_l1_at_once() -> None:
    run = Run()
    events = run(observed(0, waiting=waiting(3, 12, 0, {Need.MEDICAL: 1}), event_id="tick-a"))
    assert names(events) == ["EscalationOpened"]
    [opened] = changed(events)
    assert (opened.key, opened.level, opened.status) == (WAITING, L1, EscalationStatus.OPEN)
    assert (opened.escalation_id, opened.episode, opened.revision) == (WAIT_ID, 1, 1)
    assert (opened.need.households, opened.need.persons) == (3, 12)
    assert dict(opened.need.needs) == {Need.MEDICAL: 1}
    assert opened.recipients == ("shelter-region",)
    assert opened.deadline == at(60)  # ack_within_l1
    assert opened.cause_event_ids == ("tick-a",)
    assert run.state.open[WAITING] == opened


def test_transport_pending_opens_no_transport_to_logistics() -> None:
    run = Run()
    [opened] = changed(run(observed(0, transport=waiting(2, 7, 0))))
    assert (opened.key, opened.level) == (TRANSPORT, L1)
    assert opened.escalation_id == f"esc:{R}:no_transport:logistics:1"
    assert opened.recipients == ("logistics-region",)
    assert parse_escalation_id(opened.escalation_id) == (R, *TRANSPORT, 1)


def test_nothing_waiting_escalates_nothing() -> None:
    assert Run()(observed(0, places=100, used=10)) == []


def test_l2_after_the_sla_counted_from_the_oldest_waiting_household() -> None:
    run = Run(PATIENT)
    run(observed(30, waiting=waiting(1, 4, 10)))  # waiting since minute 10
    assert run(observed(129, waiting=waiting(1, 4, 10))) == []
    events = run(observed(130, waiting=waiting(1, 4, 10)))
    assert names(events) == ["EscalationRaised"]
    [raised] = changed(events)
    assert (raised.escalation_id, raised.revision, raised.level) == (WAIT_ID, 2, L2)
    assert raised.status == EscalationStatus.UPDATED
    assert raised.recipients == recipients(SHELTER, L2)
    assert raised.opened_at == at(30) and raised.updated_at == at(130)


def test_a_need_already_older_than_the_sla_opens_at_l2() -> None:
    [opened] = changed(Run()(observed(200, waiting=waiting(1, 4, 60))))
    assert opened.level == L2 and opened.recipients == recipients(SHELTER, L2)
    assert opened.deadline == at(230)  # ack_within_l2


def test_l3_after_six_hours() -> None:
    run = Run(PATIENT)
    run(observed(0, waiting=waiting(1, 4, 0)))
    run(observed(120, waiting=waiting(1, 4, 0)))
    assert run(observed(359, waiting=waiting(1, 4, 0))) == []
    [raised] = changed(run(observed(360, waiting=waiting(1, 4, 0))))
    assert (raised.level, raised.revision) == (L3, 3)
    assert raised.recipients == recipients(SHELTER, L3)


@pytest.mark.parametrize(("persons", "level"), [(500, L1), (501, L3)])
def test_more_than_500_people_unmet_is_l3_at_once(persons: int, level: object) -> None:
    [opened] = changed(Run()(observed(0, waiting=waiting(100, persons, 0))))
    assert opened.level == level


def test_levels_never_go_down_while_the_need_stays() -> None:
    run = Run(PATIENT)
    run(observed(0, waiting=waiting(120, 600, 0)))
    events = run(observed(5, waiting=waiting(1, 3, 5)))  # fewer people, a younger need
    assert names(events) == ["EscalationRevised"]
    [revised] = changed(events)
    assert (revised.level, revised.revision, revised.need.persons) == (L3, 2, 3)


def test_resolved_when_the_need_is_met_and_a_new_episode_next_time() -> None:
    run = Run(PATIENT)
    run(observed(0, waiting=waiting(2, 8, 0)))
    run(observed(150, waiting=waiting(2, 8, 0)))  # L2
    events = run(observed(160, places=100, used=8))
    assert names(events) == ["EscalationResolved"]
    [done] = changed(events)
    assert (done.escalation_id, done.revision) == (WAIT_ID, 3)
    assert done.status == EscalationStatus.RESOLVED
    assert done.deadline is None and done.need.empty
    assert WAITING not in run.state.open
    assert run(observed(170, places=100, used=8)) == []
    [again] = changed(run(observed(180, waiting=waiting(1, 2, 175))))
    assert again.escalation_id == escalation_id(R, *WAITING, 2)
    assert (again.episode, again.revision, again.level) == (2, 1, L1)
    assert again.status == EscalationStatus.OPEN


def test_new_counts_revise_the_open_escalation_instead_of_opening_another() -> None:
    run = Run(PATIENT)
    run(observed(0, waiting=waiting(2, 8, 0), event_id="tick-1"))
    events = run(observed(10, waiting=waiting(3, 11, 0, {Need.MOBILITY: 1}), event_id="tick-2"))
    assert names(events) == ["EscalationRevised"]
    [revised] = changed(events)
    assert (revised.escalation_id, revised.revision) == (WAIT_ID, 2)
    assert (revised.need.households, revised.need.persons) == (3, 11)
    assert dict(revised.need.needs) == {Need.MOBILITY: 1}
    assert revised.cause_event_ids == ("tick-1", "tick-2")
    assert revised.opened_at == at(0) and revised.updated_at == at(10)
    assert list(run.state.open) == [WAITING]


def test_nothing_is_emitted_when_nothing_changed() -> None:
    run = Run(PATIENT)
    same = observed(0, waiting=waiting(2, 8, 0), places=100, used=95, stale=("a-1",))
    assert len(run(same)) == 3
    before = run.state
    assert run(same) == []  # the same Observed twice
    assert run(observed(20, waiting=waiting(2, 8, 0), places=100, used=95, stale=("a-1",))) == []
    assert run.state == before


# --- capacity ----------------------------------------------------------------------------------


def test_capacity_warning_above_90_percent_cleared_at_85() -> None:
    run = Run(PATIENT)
    assert run(observed(0, places=200, used=180)) == []  # 90 %: not above
    [opened] = changed(run(observed(10, places=200, used=181)))
    assert (opened.key, opened.level, opened.recipients) == (CAPACITY, L1, ("shelter-region",))
    assert (opened.places, opened.places_used) == (200, 181)
    [revised] = changed(run(observed(20, places=200, used=174)))  # 87 %: still open
    assert (revised.revision, revised.places_used) == (2, 174)
    assert run.state.open[CAPACITY].revision == 2
    events = run(observed(30, places=200, used=170))  # 85 %
    assert names(events) == ["EscalationResolved"]
    assert CAPACITY not in run.state.open


def test_capacity_is_not_revised_for_the_same_share() -> None:
    run = Run(PATIENT)
    run(observed(0, places=1000, used=951))
    assert run(observed(10, places=1000, used=952)) == []  # 95 % either way
    assert names(run(observed(20, places=1000, used=960))) == ["EscalationRevised"]


# --- stale data --------------------------------------------------------------------------------


def test_stale_shelters_still_receiving_households_ask_their_operators_only() -> None:
    run = Run(PATIENT)
    [opened] = changed(run(observed(0, stale=("a-1", "b-2"))))
    assert (opened.key, opened.level) == (STALE, L1)
    assert opened.shelter_ids == ("a-1", "b-2")
    assert opened.recipients == ("op-a", "op-b")  # Routing.operators, not the region's partners
    [revised] = changed(run(observed(10, stale=("a-1",))))
    assert (revised.revision, revised.shelter_ids, revised.recipients) == (2, ("a-1",), ("op-a",))
    assert names(run(observed(20))) == ["EscalationResolved"]


# --- hazards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "severity", "responses", "relevant"),
    [
        (Urgency.IMMEDIATE, Severity.SEVERE, (), True),
        (Urgency.EXPECTED, Severity.EXTREME, (), True),
        (Urgency.EXPECTED, Severity.SEVERE, (), True),
        (Urgency.FUTURE, Severity.EXTREME, (), False),
        (Urgency.IMMEDIATE, Severity.MODERATE, (), False),
        (Urgency.UNKNOWN, Severity.UNKNOWN, (ResponseType.MONITOR, ResponseType.PREPARE), False),
        (Urgency.FUTURE, Severity.MINOR, (ResponseType.EVACUATE,), True),
        (Urgency.PAST, Severity.UNKNOWN, (ResponseType.SHELTER,), True),
    ],
)
def test_which_hazards_warn_shelter_and_logistics(
    urgency: Urgency, severity: Severity, responses: tuple[ResponseType, ...], relevant: bool
) -> None:
    run = Run()
    events = run(hazard(0, "h1", urgency=urgency, severity=severity, responses=responses))
    if not relevant:
        assert events == [] and not run.state.hazards and not run.state.open
        return
    assert isinstance(events[0], HazardActivated) and list(run.state.hazards) == ["h1"]
    opened = changed(events)
    assert [e.key for e in opened] == [HAZ_LOG, HAZ_SHELTER]
    assert [e.level for e in opened] == [L1, L1]
    assert [e.recipients for e in opened] == [("logistics-region",), ("shelter-region",)]
    assert all(e.cause_event_ids == ("haz-h1",) for e in opened)


def test_extreme_and_immediate_starts_at_l2() -> None:
    run = Run()
    events = run(hazard(0, "h1", urgency=Urgency.IMMEDIATE, severity=Severity.EXTREME))
    assert [(e.key, e.level) for e in changed(events)] == [(HAZ_LOG, L2), (HAZ_SHELTER, L2)]
    assert changed(events)[0].recipients == recipients(LOGISTICS, L2)


def test_a_cap_update_revises_the_same_escalation() -> None:
    run = Run(PATIENT)
    first = changed(run(hazard(0, "h1")))
    events = run(hazard(30, "h2", msg_type=MsgType.UPDATE, references=["h1"]))
    assert names(events)[:2] == ["HazardWithdrawn", "HazardActivated"]
    revised = changed(events)
    assert names(events)[2:] == ["EscalationRevised", "EscalationRevised"]
    assert [e.escalation_id for e in revised] == [e.escalation_id for e in first]
    assert [e.revision for e in revised] == [2, 2]
    assert revised[0].cause_event_ids == ("haz-h1", "haz-h2")
    assert list(run.state.hazards) == ["h2"]
    # a graver update raises the same escalation
    raised = run(
        hazard(40, "h3", msg_type=MsgType.UPDATE, references=["h2"],
               urgency=Urgency.IMMEDIATE, severity=Severity.EXTREME)
    )  # fmt: skip
    assert [type(e) for e in raised if not isinstance(e, HazardWithdrawn | HazardActivated)] == [
        EscalationRaised,
        EscalationRaised,
    ]
    assert [e.escalation_id for e in changed(raised)] == [e.escalation_id for e in first]
    assert [e.level for e in run.state.open.values()] == [L2, L2]


def test_a_cancel_without_info_resolves_the_hazard_escalations() -> None:
    run = Run(PATIENT)
    run(hazard(0, "h1"))
    events = run(cancel(30, "c1", "h1"))
    assert names(events) == ["HazardWithdrawn", "EscalationResolved", "EscalationResolved"]
    assert [e.status for e in changed(events)] == [EscalationStatus.RESOLVED] * 2
    assert not run.state.hazards and not run.state.open
    assert run(cancel(40, "c2", "h1")) == []  # nothing left to cancel
    reopened = changed(run(hazard(50, "h9")))
    assert [e.episode for e in reopened] == [2, 2]


def test_a_cancel_of_one_hazard_leaves_the_others_warned() -> None:
    run = Run(PATIENT)
    run(hazard(0, "h1"))
    run(hazard(5, "h2", urgency=Urgency.IMMEDIATE, severity=Severity.EXTREME))
    events = run(cancel(30, "c1", "h2"))
    assert names(events) == ["HazardWithdrawn", "EscalationRevised", "EscalationRevised"]
    assert all(e.cause_event_ids[-1] == "haz-c1" for e in changed(events))
    assert [e.level for e in run.state.open.values()] == [L2, L2]  # never down while it stays
    assert list(run.state.hazards) == ["h1"]


def test_the_same_warning_twice_changes_nothing() -> None:
    run = Run(PATIENT)
    fact = hazard(0, "h1")
    run(fact)
    before = run.state
    assert run(fact) == []
    assert run.state == before


def test_an_expired_hazard_is_resolved_at_the_next_observation() -> None:
    run = Run(PATIENT)
    run(hazard(0, "h1", expires=30))
    assert run(observed(29)) == []
    events = run(observed(31))
    assert names(events) == ["HazardWithdrawn", "EscalationResolved", "EscalationResolved"]
    assert events[0] == HazardWithdrawn("h1")
    assert not run.state.hazards and not run.state.open


def test_a_warning_expired_on_arrival_warns_no_one() -> None:
    run = Run()
    assert run(hazard(60, "h1", expires=60)) == []
    assert not run.state.hazards


# --- sector notices ----------------------------------------------------------------------------


def test_medical_need_placed_where_no_health_partner_works_goes_to_health_at_l2() -> None:
    medical = waiting(2, 6, 0, {Need.MEDICAL: 2})
    assert Run(routing=FakeRouting())(observed(0, medical=medical)) == []  # covered
    run = Run(routing=FakeRouting(uncovered={R}))
    [opened] = changed(run(observed(0, medical=medical)))
    assert (opened.key, opened.level) == (HEALTH_NOTICE, L2)
    assert opened.escalation_id == f"esc:{R}:unmet_need:health:1"
    assert opened.recipients == recipients(HEALTH, L2)
    assert dict(opened.need.needs) == {Need.MEDICAL: 2}


def test_unaccompanied_children_always_inform_protection() -> None:
    run = Run(PATIENT)
    alone = waiting(1, 3, 0, {Need.UNACCOMPANIED_CHILDREN: 1})
    [opened] = changed(run(observed(0, children=alone)))
    assert (opened.key, opened.level, opened.recipients) == (
        PROTECTION_NOTICE,
        L1,
        ("protection-region",),
    )
    assert run(observed(10)) == []  # a notice is not resolved by an observation
    more = changed(run(observed(20, children=waiting(2, 5, 20, {Need.UNACCOMPANIED_CHILDREN: 2}))))
    assert [(e.revision, e.need.households, e.need.persons) for e in more] == [(2, 3, 8)]
    assert dict(more[0].need.needs) == {Need.UNACCOMPANIED_CHILDREN: 3}


def test_the_same_observation_twice_informs_sectors_once() -> None:
    run = Run(PATIENT, FakeRouting(uncovered={R}))
    fact = observed(
        0,
        medical=waiting(1, 2, 0, {Need.MEDICAL: 1}),
        children=waiting(1, 3, 0, {Need.UNACCOMPANIED_CHILDREN: 1}),
    )
    assert [e.key for e in changed(run(fact))] == [HEALTH_NOTICE, PROTECTION_NOTICE]
    assert run(fact) == []
    assert [e.need.persons for e in run.state.open.values()] == [2, 3]


def test_an_ack_resolved_by_a_recipient_closes_a_notice() -> None:
    run = Run(PATIENT)
    run(observed(0, children=waiting(1, 3, 0, {Need.UNACCOMPANIED_CHILDREN: 1})))
    notice = run.state.open[PROTECTION_NOTICE].escalation_id
    assert names(run(ack(5, "protection-region", notice))) == ["AcknowledgementRecorded"]
    assert PROTECTION_NOTICE in run.state.open
    [done] = changed(run(ack(9, "protection-region", notice, AckStatus.RESOLVED)))
    assert done.status == EscalationStatus.RESOLVED
    assert done.acknowledged_by == ("protection-region",)
    assert PROTECTION_NOTICE not in run.state.open


def test_an_ack_resolved_does_not_close_an_unmet_need() -> None:
    run = Run(PATIENT)
    run(observed(0, waiting=waiting(1, 3, 0)))
    assert names(run(ack(5, "shelter-region", WAIT_ID, AckStatus.RESOLVED))) == [
        "AcknowledgementRecorded"
    ]
    assert WAITING in run.state.open


# --- deadlines ---------------------------------------------------------------------------------


def test_unacknowledged_at_its_deadline_is_chased_one_level_up() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    assert run(observed(59, waiting=waiting(2, 9, 0))) == []
    events = run(observed(60, waiting=waiting(2, 9, 0)))
    assert [type(e) for e in events] == [DeadlinePassed, EscalationOpened]
    passed, chaser = changed(events)
    assert (passed.escalation_id, passed.revision, passed.deadline) == (WAIT_ID, 2, None)
    assert passed.level == L1  # the escalation itself is not raised by a missed deadline
    assert (chaser.reason, chaser.sector, chaser.level) == (UNACK, SHELTER, L2)
    assert chaser.escalation_id == f"esc:{R}:unacknowledged:shelter_cccm:1"
    assert chaser.chasing == (WAIT_ID,)
    assert chaser.recipients == recipients(SHELTER, L2)
    assert chaser.deadline == at(90)
    assert chaser.need.persons == 9
    assert run(observed(61, waiting=waiting(2, 9, 0))) == []  # chased once, not at every tick


def test_the_chaser_climbs_at_its_own_deadline() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(observed(60, waiting=waiting(2, 9, 0)))
    [raised] = changed(run(observed(90, waiting=waiting(2, 9, 0))))
    assert (raised.reason, raised.level, raised.revision) == (UNACK, L3, 2)
    assert raised.recipients == recipients(SHELTER, L3)
    assert raised.deadline == at(120)
    assert run.state.open[WAITING].level == L1


def test_an_ack_from_a_recipient_stops_the_chasing_but_not_the_escalation() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(observed(60, waiting=waiting(2, 9, 0)))
    chaser_id = run.state.open[(UNACK, SHELTER)].escalation_id
    events = run(ack(70, "shelter-region", WAIT_ID))
    assert names(events) == ["AcknowledgementRecorded", "EscalationResolved"]
    acked, stopped = changed(events)
    assert acked.escalation_id == WAIT_ID and acked.acknowledged_by == ("shelter-region",)
    assert acked.deadline is None and acked.status == EscalationStatus.UPDATED
    assert stopped.escalation_id == chaser_id and stopped.status == EscalationStatus.RESOLVED
    assert list(run.state.open) == [WAITING]
    # the need still climbs with time, but no one is chased any more
    [raised] = changed(run(observed(120, waiting=waiting(2, 9, 0))))
    assert (raised.level, raised.deadline) == (L2, None)
    [later] = changed(run(observed(600, waiting=waiting(2, 9, 0))))
    assert (later.level, later.deadline) == (L3, None)
    assert not any(k[0] == UNACK for k in run.state.open)


def test_an_ack_before_the_deadline_means_no_chase() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(ack(30, "shelter-region", WAIT_ID))
    assert run(observed(90, waiting=waiting(2, 9, 0))) == []


def test_acking_the_chaser_resolves_it() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(observed(60, waiting=waiting(2, 9, 0)))
    chaser_id = run.state.open[(UNACK, SHELTER)].escalation_id
    [done] = changed(run(ack(65, "shelter-national", chaser_id)))
    assert done.escalation_id == chaser_id and done.status == EscalationStatus.RESOLVED
    assert WAITING in run.state.open


def test_one_chaser_per_sector_chases_every_unacknowledged_escalation() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0), places=100, used=95))
    events = run(observed(60, waiting=waiting(2, 9, 0), places=100, used=95))
    assert [type(e) for e in events] == [
        DeadlinePassed,
        EscalationOpened,
        DeadlinePassed,
        EscalationRevised,
    ]
    chaser = run.state.open[(UNACK, SHELTER)]
    cap_id = run.state.open[CAPACITY].escalation_id
    assert chaser.chasing == tuple(sorted((cap_id, WAIT_ID)))
    # one acknowledged: the chaser goes on for the other
    [_, revised] = changed(run(ack(70, "shelter-region", cap_id)))
    assert revised.escalation_id == chaser.escalation_id and revised.chasing == (WAIT_ID,)


def test_a_chaser_raised_by_a_graver_origin_gets_the_new_levels_deadline() -> None:
    run = Run()
    run(observed(0, places=100, used=95))  # capacity, L1: acknowledge by 60
    run(observed(50, waiting=waiting(1, 4, -100), places=100, used=95))  # L2: by 80
    [opened] = [e for e in changed(run(observed(60, waiting=waiting(1, 4, -100), places=100,
                                                used=95))) if e.reason == UNACK]  # fmt: skip
    assert (opened.level, opened.deadline) == (L2, at(90))
    events = run(observed(80, waiting=waiting(1, 4, -100), places=100, used=95))
    assert [type(e) for e in events] == [DeadlinePassed, EscalationRaised]
    chaser = changed(events)[1]
    assert (chaser.level, chaser.deadline, chaser.revision) == (L3, at(110), 2)
    assert chaser.recipients == recipients(SHELTER, L3)
    assert len(chaser.chasing) == 2


def test_resolving_the_need_releases_its_chaser() -> None:
    run = Run()
    run(observed(0, transport=waiting(1, 3, 0)))
    run(observed(60, transport=waiting(1, 3, 0)))
    events = run(observed(70))
    assert [(type(e), e.escalation.reason) for e in events] == [  # type: ignore[union-attr]
        (EscalationResolved, EscalationReason.NO_TRANSPORT),
        (EscalationResolved, UNACK),
    ]
    assert not run.state.open


@pytest.mark.parametrize(
    ("partner", "escalation", "why"),
    [
        ("logistics-region", WAIT_ID, "the partner was not sent it"),
        ("shelter-region", escalation_id(R, *WAITING, 2), "no open escalation has this id"),
        ("shelter-region", "not-an-escalation", "no open escalation has this id"),
    ],
)
def test_acks_that_change_nothing_are_ignored(partner: str, escalation: str, why: str) -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    before = run.state
    assert run(ack(5, partner, escalation)) == [AckIgnored(escalation, partner, why)]
    assert run.state == before
    # and the chase goes on
    assert DeadlinePassed in map(type, run(observed(60, waiting=waiting(2, 9, 0))))


def test_a_second_ack_from_the_same_partner_is_ignored() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(ack(5, "shelter-region", WAIT_ID))
    assert run(ack(6, "shelter-region", WAIT_ID)) == [
        AckIgnored(WAIT_ID, "shelter-region", "already acknowledged")
    ]


def test_an_ack_after_resolution_is_ignored() -> None:
    run = Run()
    run(observed(0, waiting=waiting(2, 9, 0)))
    run(observed(10))
    assert isinstance(run(ack(11, "shelter-region", WAIT_ID))[0], AckIgnored)


# --- the committed partner registry ------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_routing() -> RegistryRouting:
    secrets = load_secrets(TEST_SECRETS, {})
    return RegistryRouting(PartnerRegistry.load(None, secrets))


def test_routing_by_the_committed_registry(registry_routing: RegistryRouting) -> None:
    run = Run(routing=registry_routing)
    medical = waiting(1, 2, 0, {Need.MEDICAL: 1})
    stale = ("111_01_026", "311_01_001", "dpc-7")
    events = run(
        observed(
            0, waiting=waiting(2, 9, 0), transport=waiting(1, 4, 0), stale=stale, medical=medical
        )
    )
    by_key = {e.key: e for e in changed(events)}
    assert set(by_key) == {WAITING, TRANSPORT, STALE}  # HT01 has health partners: no notice
    assert by_key[WAITING].recipients == ("dpc-ht", "iom-dtm-ht")
    assert by_key[TRANSPORT].recipients == ("croix-rouge-ht", "dpc-ht")
    assert by_key[STALE].recipients == ("dpc-ht", "iom-dtm-ht")
    later = changed(run(observed(61, waiting=waiting(2, 9, 0))))
    [chaser] = [e for e in later if e.reason == UNACK]
    assert chaser.recipients == ("dpc-ht", "iom-dtm-ht", "iom-ht-national")
    assert registry_routing.recipients(R, SHELTER, L3) == (
        "dpc-ht",
        "hct-ht",
        "iom-dtm-ht",
        "iom-ht-national",
    )
    assert registry_routing.operators(["311_01_001"]) == ()
    assert not registry_routing.covered("HT99", HEALTH)


# --- the allocator's view, summarised (picture.py) ---------------------------------------------


def test_picture_of_an_allocator_region() -> None:
    alone = Household(size=2, children=2, elderly=0, needs=frozenset({Need.UNACCOMPANIED_CHILDREN}))
    events = [
        a.shelter("s1", 1, PersonsCapacity(persons=10), occupancy=1, services=HEALTH_SERVICE),
        a.shelter("s2", 2, PersonsCapacity(persons=100), open_=False),  # not usable: no places
        a.shelter("s3", 40, PersonsCapacity(persons=5)),  # stale later, but receives no one
        a.shelter("s4", 50, PersonsCapacity(persons=5), occupancy=7),  # overcrowded: 5 used
        a.displaced(
            "a1",
            [
                a.family(4, frozenset({Need.MEDICAL})),
                a.family(3),
                a.family(5, frozenset({Need.MOBILITY})),  # no accessible shelter: waits
                alone,  # no child protection service: waits
            ],
            t=5,
        ),
        tick(a.R, a.at(10), 1),
    ]
    state, decisions = replay(events)
    picture = picture_of(state, a.at(11), timedelta(hours=24))
    assert picture.waiting == group(
        2, 7, {Need.MOBILITY: 1, Need.UNACCOMPANIED_CHILDREN: 1}, a.at(5)
    )
    # no vehicle yet; they have waited since the alert
    assert picture.transport == group(2, 7, {Need.MEDICAL: 1}, a.at(5))
    assert (picture.places, picture.places_used) == (20, 1 + 7 + 5)
    assert picture.stale_shelters == ()
    later = picture_of(state, a.at(25 * 60), timedelta(hours=24))
    assert later.stale_shelters == ("s1",)
    counted: set[str] = set()
    assert medical_placed(decisions, a.at(10), counted) == group(1, 4, {Need.MEDICAL: 1}, a.at(10))
    assert medical_placed(decisions, a.at(10), counted).empty  # the same household, once
    assert children_alone(decisions, a.at(10)) == group(
        1, 2, {Need.UNACCOMPANIED_CHILDREN: 1}, a.at(10)
    )
    # and through the rules: a place and a vehicle are wanted, protection is told
    run = Run()
    fact = Observed(
        a.at(10), "tick:HT01:1", picture,
        medical_placed=medical_placed(decisions, a.at(10), set()),
        children_alone=children_alone(decisions, a.at(10)),
    )  # fmt: skip
    assert [e.key for e in changed(run(fact))] == [TRANSPORT, WAITING, PROTECTION_NOTICE]
    # an arrival confirmed: that household no longer waits for a vehicle
    [placed] = [p for d in decisions for p in d.placements if Need.MEDICAL in p.needs]
    decision_id = next(d.decision_id for d in decisions if placed in d.placements)
    arrived = a.feedback(FeedbackKind.ARRIVED, placed, 30, decision_id=decision_id)
    state, _ = replay([arrived], state=state)
    picture = picture_of(state, a.at(31), timedelta(hours=24))
    assert picture.transport == group(1, 3, {}, a.at(5))


def test_children_placed_from_the_waitlist_are_not_counted_again() -> None:
    alone = Household(size=2, children=2, elderly=0, needs=frozenset({Need.UNACCOMPANIED_CHILDREN}))
    first, placed = replay([a.displaced("a1", [alone], t=5), tick(a.R, a.at(10), 1)])
    assert children_alone(placed, a.at(10)).households == 1
    shelter = a.shelter("s1", 1, services=frozenset(Service), t=20)
    _, later = replay([shelter, tick(a.R, a.at(30), 2)], state=first)
    assert [p.alert_id for d in later for p in d.placements] == ["a1"]
    assert children_alone(later, a.at(30)).empty
