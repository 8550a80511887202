"""The ledger's pure mapping: a consumed record → the rows it stands for."""

from __future__ import annotations

from services.bench.ledger_workload import escalations, ledger_messages, rejections
from services.bench.workload import Workload
from services.ledger.rows import (
    APPENDED,
    DECISION_RANK,
    UPSERTED,
    Record,
    Rows,
    rows_of,
)

WORKLOAD = Workload(regions=("HT01",), shelters=4, alerts=6)


def mapped(topic: str, value: bytes | None, offset: int = 0) -> Rows:
    return rows_of(Record(topic=topic, partition=3, offset=offset, value=value))


def all_rows() -> Rows:
    rows = Rows()
    for offset, m in enumerate(ledger_messages(WORKLOAD)):
        rows.extend(mapped(m.topic, m.value, offset))
    return rows


def test_every_row_has_its_table_columns() -> None:
    rows = all_rows()
    columns = {**APPENDED, **UPSERTED}
    assert set(rows.tables) <= set(columns)
    for table, records in rows.tables.items():
        assert {len(r) for r in records} == {len(columns[table])}, table


def test_region_events_alerts_and_households() -> None:
    events = WORKLOAD.events()
    rows = all_rows()
    assert len(rows.tables["region_events"]) == len(events)
    assert [r[0] for r in rows.tables["region_events"]] == [e.event_id for e in events]
    assert len(rows.tables["alerts"]) == WORKLOAD.alerts
    assert len(rows.tables["shelters"]) == WORKLOAD.shelters
    # every household of every alert appears (rank 0), then in its decision
    alert_households = sum(r[5] for r in rows.tables["alerts"])
    ranks = [r[12] for r in rows.tables["households"]]
    assert ranks.count(0) == alert_households
    decided = [r for r in rows.tables["households"] if r[12] == DECISION_RANK]
    assert decided and {r[5] for r in decided} <= {"placed", "in_transit", "waitlisted"}
    assert all(r[7] is not None for r in decided if r[5] in ("placed", "in_transit"))
    assert rows.shelters  # placements move reservations


def test_decision_counts_persons() -> None:
    rows = all_rows()
    for decision in rows.tables["decisions"]:
        placed = sum(
            r[3] for r in rows.tables["households"] if r[10] == decision[0] and r[5] != "waitlisted"
        )
        assert decision[6] == placed


def test_escalation_revision_and_current_state() -> None:
    first, second, _ = escalations("HT02")
    rows = mapped("escalation.events.v1", second.value)
    (revision,) = rows.tables["escalation_revisions"]
    (current,) = rows.tables["escalations"]
    assert revision[:2] == ("esc-HT02-unmet_need-shelter_cccm-1", 2)
    assert current[5:7] == ("L2", "updated")
    assert current[10] == '{"medical":1}'
    assert mapped("escalation.events.v1", first.value).tables["escalations"][0][1] == 1


def test_rejection_keeps_no_refused_bytes() -> None:
    (message,) = rejections(1)
    (row,) = mapped("ingress.rejected.v1", message.value).tables["rejections"]
    assert row[0] == "ingress.displacement-alerts.v1/0/0"
    assert row[4:6] == ("malformed", "not JSON")
    assert "bm90IGpzb24=" not in repr(row)  # base64 of the refused bytes


def test_unreadable_messages_become_rows_not_errors() -> None:
    cases = [
        ("allocation.decisions.v1", b"\x00garbage"),
        ("allocation.decisions.v1", None),
        ("region.events.v1", b"{}"),
        ("escalation.events.v1", rejections(1)[0].value),  # a valid event on the wrong topic
    ]
    for topic, value in cases:
        rows = mapped(topic, value, offset=42)
        assert list(rows.tables) == ["ledger_unreadable"], (topic, value)
        (row,) = rows.tables["ledger_unreadable"]
        assert row[:3] == (topic, 3, 42) and row[3] and row[4]
