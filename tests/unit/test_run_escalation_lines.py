"""The lines `make run` and `corridor inbox` print per escalation, and the live situation table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console

from schemas.outputs import EscalationEvent
from schemas.types import EscalationLevel, EscalationReason, EscalationStatus, Need, Sector
from services.console import Situation
from services.lines import duration, escalation_line

AT = datetime(2026, 11, 26, 5, 5, tzinfo=UTC)


def escalation(**changes: object) -> EscalationEvent:
    data: dict[str, object] = {
        "escalation_id": "esc:HT01:unmet_need:shelter_cccm:1", "revision": 3,
        "region_pcode": "HT01", "reason": EscalationReason.UNMET_NEED,
        "sector": Sector.SHELTER_CCCM, "level": EscalationLevel.L2,
        "status": EscalationStatus.UPDATED, "episode": 1, "persons_affected": 37,
        "households_affected": 9, "needs_counts": {Need.MEDICAL: 1},
        "opened_at": AT - timedelta(hours=2, minutes=5), "updated_at": AT,
        "waiting_since": AT - timedelta(hours=2, minutes=5),
        "recipients": ("dpc-ht", "iom-dtm-ht", "iom-ht-national"),
    }  # fmt: skip
    return EscalationEvent.model_validate({**data, **changes})


def test_unacknowledged_need_reads_as_one_line() -> None:
    assert escalation_line(escalation()) == (
        "HT01 L2 unmet_need → shelter_cccm: 37 people (9 households) waiting 2 h 05 min;"
        " unacknowledged, chased up the chain [esc:HT01:unmet_need:shelter_cccm:1 r3]"
    )


def test_deadline_ack_capacity_and_resolution() -> None:
    due = escalation(ack_deadline=AT + timedelta(minutes=30), households_affected=1)
    assert "(1 household) waiting" in escalation_line(due)
    assert "acknowledge by 05:35 UTC" in escalation_line(due)
    acked = escalation(acknowledged_by=("dpc-ht",))
    assert "acknowledged by dpc-ht" in escalation_line(acked)
    full = escalation(reason=EscalationReason.CAPACITY_EXHAUSTED, places=200, places_used=187)
    assert ": 93 % of 200 places used;" in escalation_line(full)
    done = escalation(status=EscalationStatus.RESOLVED)
    assert escalation_line(done).endswith(
        "resolved after 2 h 05 min [esc:HT01:unmet_need:shelter_cccm:1]"
    )
    assert duration(timedelta(minutes=7)) == "7 min"


def test_situation_counts_open_escalations_and_ignores_older_revisions() -> None:
    situation = Situation()
    situation.escalated(escalation())
    situation.escalated(escalation(revision=2, level=EscalationLevel.L1))  # redelivered, older
    transport = escalation(escalation_id="esc:HT01:no_transport:logistics:1", persons_affected=5,
                           reason=EscalationReason.NO_TRANSPORT, sector=Sector.LOGISTICS,
                           level=EscalationLevel.L1)  # fmt: skip
    situation.escalated(transport)
    console = Console(width=120, record=True)
    console.print(situation.table())
    text = console.export_text()
    assert "HT01" in text and "│     37 │" not in text
    row = next(line for line in text.splitlines() if "HT01" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["HT01", "0", "37", "5", "1", "1", "0"]
    situation.escalated(escalation(revision=4, status=EscalationStatus.RESOLVED))
    assert list(situation.open) == ["esc:HT01:no_transport:logistics:1"]
