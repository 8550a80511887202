"""Escalations on the wire: the full record, each partner's minimised copy, and their bytes."""

import orjson
import pytest

from schemas.codec import decode, payload_of
from schemas.outputs import EscalationEvent
from schemas.registry import ESCALATION_EVENT
from schemas.types import (
    EscalationReason,
    EscalationStatus,
    Need,
    Sector,
)
from services.escalator.domain.messages import SOURCE, encode, message_id, minimise, to_contract
from services.escalator.domain.state import Escalation
from tests.escalator_support import (
    L2,
    FakeRouting,
    R,
    Run,
    ack,
    at,
    changed,
    observed,
    waiting,
)

ALL_NEEDS = {Need.MEDICAL: 2, Need.MOBILITY: 1, Need.UNACCOMPANIED_CHILDREN: 3}


def escalation(sector: Sector = Sector.SHELTER_CCCM, **fields: object) -> Escalation:
    base: dict[str, object] = {
        "region": R,
        "reason": EscalationReason.UNMET_NEED,
        "sector": sector,
        "episode": 2,
        "revision": 3,
        "level": L2,
        "status": EscalationStatus.UPDATED,
        "opened_at": at(0),
        "updated_at": at(130),
        "deadline": at(160),
        "need": waiting(5, 21, -10, ALL_NEEDS),
        "shelter_ids": ("a-1", "b-2", "a-3"),
        "recipients": ("shelter-national", "shelter-region", "op-b"),
        "acknowledged_by": ("shelter-region", "op-b"),
        "cause_event_ids": ("tick:HT01:1", "alert-secret-77"),
    }
    return Escalation(**{**base, **fields})  # type: ignore[arg-type]


def test_to_contract_is_the_full_record() -> None:
    event = to_contract(escalation(chasing=("esc:HT01:stale_data:shelter_cccm:1",)))
    assert event.escalation_id == f"esc:{R}:unmet_need:shelter_cccm:2"
    assert (event.revision, event.episode, event.level, event.status) == (
        3,
        2,
        L2,
        EscalationStatus.UPDATED,
    )
    assert (event.region_pcode, event.reason, event.sector) == (
        R,
        EscalationReason.UNMET_NEED,
        Sector.SHELTER_CCCM,
    )
    assert (event.persons_affected, event.households_affected) == (21, 5)
    assert event.needs_counts == ALL_NEEDS
    assert (event.opened_at, event.updated_at, event.ack_deadline) == (at(0), at(130), at(160))
    assert event.waiting_since == at(-10)
    assert event.shelter_ids == ("a-1", "b-2", "a-3")
    assert event.chases == ("esc:HT01:stale_data:shelter_cccm:1",)
    assert event.recipients == ("shelter-national", "shelter-region", "op-b")
    assert event.acknowledged_by == ("shelter-region", "op-b")
    assert event.cause_event_ids == ("tick:HT01:1", "alert-secret-77")
    assert EscalationEvent.model_validate_json(event.model_dump_json()) == event


def test_every_escalation_of_a_busy_region_is_a_valid_contract() -> None:
    run = Run(routing=FakeRouting(uncovered={R}))
    events = run.all(
        [
            observed(
                0,
                waiting=waiting(2, 9, 0, {Need.MOBILITY: 1}),
                transport=waiting(1, 4, 0),
                places=100,
                used=99,
                stale=("a-1",),
                medical=waiting(1, 2, 0, {Need.MEDICAL: 1}),
                children=waiting(1, 1, 0, {Need.UNACCOMPANIED_CHILDREN: 1}),
            ),
            observed(200, waiting=waiting(3, 12, 0), places=100, used=80),
            ack(210, "shelter-national", f"esc:{R}:unmet_need:shelter_cccm:1"),
        ]
    )
    contracts = [to_contract(e) for e in changed(events)]
    assert len(contracts) > 10
    reasons = {c.reason for c in contracts}
    assert EscalationReason.UNACKNOWLEDGED in reasons and EscalationReason.STALE_DATA in reasons
    for contract in contracts:
        again = EscalationEvent.model_validate(contract.model_dump(mode="json"))
        assert again == contract


@pytest.mark.parametrize(
    ("sector", "kept"),
    [
        (Sector.SHELTER_CCCM, ALL_NEEDS),
        (Sector.LOGISTICS, {Need.MEDICAL: 2, Need.MOBILITY: 1}),
        (Sector.HEALTH, {Need.MEDICAL: 2}),
        (Sector.PROTECTION, {Need.UNACCOMPANIED_CHILDREN: 3}),
        (Sector.WASH, {}),
    ],
)
def test_a_partner_copy_keeps_only_its_sectors_need_flags(
    sector: Sector, kept: dict[Need, int]
) -> None:
    full = to_contract(escalation(sector))
    copy = minimise(full, "op-b", lambda s: s.startswith("b-"))
    assert copy.needs_counts == kept
    assert (copy.persons_affected, copy.households_affected) == (21, 5)  # counts stay


def test_a_partner_copy_names_only_its_shelters_and_no_one_else() -> None:
    full = to_contract(escalation())
    copy = minimise(full, "op-b", lambda s: s.startswith("b-"))
    assert copy.shelter_ids == ("b-2",)
    assert copy.recipients == ()
    assert copy.acknowledged_by == ("op-b",)
    assert copy.cause_event_ids == ()
    text = copy.model_dump_json()
    for secret in ("shelter-region", "shelter-national", "a-1", "a-3", "tick:", "alert-secret"):
        assert secret not in text, secret
    # the rest is the record itself
    same = {"needs_counts", "shelter_ids", "recipients", "acknowledged_by", "cause_event_ids"}
    assert copy.model_dump(exclude=same) == full.model_dump(exclude=same)
    # a partner that acknowledged nothing sees no acknowledgement
    other = minimise(full, "shelter-national", lambda s: False)
    assert other.acknowledged_by == () and other.shelter_ids == ()


def test_minimise_leaves_the_full_record_alone() -> None:
    full = to_contract(escalation())
    before = full.model_dump()
    minimise(full, "op-b", lambda s: False)
    assert full.model_dump() == before


def test_encode_round_trips_through_the_codec() -> None:
    for contract in (to_contract(escalation()), to_contract(escalation(deadline=None))):
        for event in (contract, minimise(contract, "op-b", lambda s: s == "b-2")):
            raw = encode(event)
            ce = decode(raw)
            assert ce.id == message_id(event) == f"{event.escalation_id}:r{event.revision}"
            assert (ce.type, ce.source, ce.subject) == (ESCALATION_EVENT, SOURCE, R)
            assert ce.time == event.updated_at
            assert payload_of(ce) == event
            assert encode(event) == raw  # canonical: the same bytes every time


def test_encoded_times_are_utc_and_keys_sorted() -> None:
    raw = encode(to_contract(escalation()))
    obj = orjson.loads(raw)
    assert obj["time"] == "2024-03-01T08:10:00Z"
    assert list(obj) == sorted(obj)
    assert list(obj["data"]) == sorted(obj["data"])
