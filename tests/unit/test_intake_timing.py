"""No partner moves time: the times an event states, judged against the broker's log time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.ingress import EscalationAck
from schemas.types import AckStatus, RejectReason
from services.intake.core import regions_of
from services.intake.timing import TimeLimits, time_problem
from services.registry.regions import load_regions
from tests.samples import alert as alert_data

LOG = datetime(2026, 11, 26, 3, tzinfo=UTC)
LIMITS = TimeLimits(ahead=timedelta(minutes=5), behind=timedelta(days=7))


def ack(at: datetime) -> EscalationAck:
    return EscalationAck(escalation_id="esc:HT01:unmet_need:protection:1", region_pcode="HT01",
                         acknowledged_at=at, status=AckStatus.ACKNOWLEDGED)  # fmt: skip


def reason(event_time: datetime | None, payload_time: datetime = LOG) -> RejectReason | None:
    found = time_problem(event_time, ack(payload_time), LOG, LIMITS)
    return None if found is None else found[0]


def test_times_within_the_skew_and_the_window_pass() -> None:
    assert reason(LOG) is None
    assert reason(LOG + timedelta(minutes=5)) is None
    assert reason(LOG - timedelta(days=7)) is None
    assert reason(LOG, LOG + timedelta(minutes=5)) is None
    assert reason(LOG, LOG - timedelta(days=30)) is None  # old observations are facts, not lies


def test_each_check_names_itself() -> None:
    assert reason(None) is RejectReason.INVALID_ENVELOPE
    assert reason(LOG + timedelta(minutes=5, seconds=1)) is RejectReason.FROM_THE_FUTURE
    assert reason(LOG - timedelta(days=7, seconds=1)) is RejectReason.STALE
    found = time_problem(LOG, ack(LOG + timedelta(days=1)), LOG, LIMITS)
    assert found is not None and found[0] is RejectReason.FROM_THE_FUTURE
    assert found[1].startswith("acknowledged_at is 1 d 0 h ahead of the log")


def test_a_region_claim_that_contradicts_the_location_is_refused() -> None:
    from schemas.ingress import DisplacementAlert

    regions = load_regions()
    named = DisplacementAlert.model_validate(alert_data(region_pcode="HT02"))
    assert regions.resolve(named.origin) == "HT01"  # Campus GHESKIO, Port-au-Prince
    refusal = regions_of(named, regions)
    assert isinstance(refusal, str)
    assert "region_pcode HT02 contradicts the location" in refusal and "lies in HT01" in refusal
    agreeing = DisplacementAlert.model_validate(alert_data(region_pcode="HT01"))
    assert regions_of(agreeing, regions) == ("HT01",)
