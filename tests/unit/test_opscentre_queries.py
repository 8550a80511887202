"""Opscentre cursors, query building and the stream's items: pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.codec import encode_structured, to_event
from schemas.errors import CodecError
from schemas.outputs import AllocationDecision, EscalationEvent
from schemas.types import EscalationLevel, EscalationReason, EscalationStatus, Sector
from services.opscentre import queries as q
from services.opscentre.auth import OPERATOR, Principal
from services.opscentre.cursor import BadCursor, Cursor, decode_cursor, encode_cursor
from services.opscentre.hub import QUEUE_SIZE, StreamHub, StreamItem, item_of, sse_frame

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ids = st.text(min_size=1, max_size=80)
moments = st.datetimes(timezones=st.just(UTC))


@given(moment=moments, ident=ids)
def test_cursor_round_trip(moment: datetime, ident: str) -> None:
    text = encode_cursor(Cursor(moment, ident))
    assert decode_cursor(text) == Cursor(moment, ident)
    assert text.replace("-", "").replace("_", "").isalnum()


@given(text=st.text(max_size=60))
def test_any_other_text_is_a_bad_cursor_or_a_cursor(text: str) -> None:
    try:
        cursor = decode_cursor(text)
    except BadCursor:
        return
    assert cursor.time.tzinfo is not None


@pytest.mark.parametrize("text", ["", "AAAA", encode_cursor(Cursor(T0, "x"))[:-3], "x" * 500])
def test_bad_cursors(text: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(text)


def test_a_page_after_a_cursor() -> None:
    query = q.decisions(["HT01"], Cursor(T0, "d9"), 50)
    assert "d.region_pcode = ANY($1)" in query.sql
    assert "(d.decided_at, d.decision_id) < ($2, $3)" in query.sql
    assert query.sql.endswith("ORDER BY d.decided_at DESC, d.decision_id DESC LIMIT $4")
    assert query.args == (["HT01"], T0, "d9", 51)


def test_filters_are_parameters_in_order() -> None:
    flt = q.EscalationFilter(regions=None, sectors=["health"], level="L2", status="open")
    query = q.escalations(flt, None, 10)
    assert "e.region_pcode = ANY" not in query.sql
    assert "e.sector = ANY($1) AND e.level = $2 AND e.status = $3" in query.sql
    assert query.args == (["health"], "L2", "open", 11)
    everything = q.rejections(None, None, None, None, 5)
    assert "WHERE TRUE ORDER BY" in everything.sql and everything.args == (6,)
    mine = q.rejections("dpc-ht", "validation_failed", None, None, 5)
    assert mine.args == ("dpc-ht", "validation_failed", 6)


def test_limits_and_grid_are_bounded() -> None:
    with pytest.raises(ValueError, match="limit"):
        q.decisions(None, None, q.MAX_LIMIT + 1)
    with pytest.raises(ValueError, match="limit"):
        q.shelters(None, None, None, 0)
    with pytest.raises(ValueError, match="grid"):
        q.shelter_map(None, q.MAX_GRID + 1)
    assert q.situation(None).args == () and q.situation(["HT01"]).args == (["HT01"],)
    assert "ANY($1)" not in q.situation(None).sql


def _decision(region: str) -> AllocationDecision:
    return AllocationDecision(decision_id="d1", region_pcode=region, decided_at=T0,
                              cause_event_id="a1", alert_id="a1")  # fmt: skip


def _escalation(sector: Sector, revision: int = 3) -> EscalationEvent:
    return EscalationEvent(
        escalation_id="e1", revision=revision, region_pcode="HT01",
        reason=EscalationReason.UNMET_NEED, sector=sector, level=EscalationLevel.L2,
        status=EscalationStatus.UPDATED, episode=1, persons_affected=5, households_affected=1,
        opened_at=T0, updated_at=T0 + timedelta(hours=2),
    )  # fmt: skip


def _bytes(payload: AllocationDecision | EscalationEvent) -> bytes:
    return encode_structured(to_event(payload, id="ev1", source="corridor:test", time=T0))


def test_stream_items_of_records() -> None:
    decision = item_of(_bytes(_decision("HT02")))
    assert (decision.kind, decision.id, decision.region, decision.sector) == (
        "decision", "d1", "HT02", None)  # fmt: skip
    assert orjson.loads(decision.data)["decision_id"] == "d1"
    escalation = item_of(_bytes(_escalation(Sector.HEALTH)))
    assert (escalation.kind, escalation.id, escalation.sector) == ("escalation", "e1#3", "health")
    frame = sse_frame(escalation)
    assert frame.startswith(b"event: escalation\nid: e1#3\ndata: {") and frame.endswith(b"}\n\n")
    assert frame.count(b"\n") == 4  # one data line: the JSON has no newline
    with pytest.raises(CodecError):
        item_of(b"not json")


async def test_fan_out_respects_scope_and_cuts_off_a_slow_subscriber() -> None:
    hub = StreamHub("127.0.0.1:1", "")
    health = hub.subscribe(Principal("p", frozenset({"HT01"}), frozenset({"health"})))
    everyone = hub.subscribe(OPERATOR)
    hub.publish(item_of(_bytes(_escalation(Sector.LOGISTICS))))
    hub.publish(item_of(_bytes(_escalation(Sector.HEALTH))))
    hub.publish(item_of(_bytes(_decision("HT05"))))
    assert health.queue.qsize() == 1 and everyone.queue.qsize() == 3
    assert (await health.queue.get()).sector == "health"
    elsewhere = StreamItem("decision", "d", "HT07", None, b"{}")  # not the partner's region
    for _ in range(QUEUE_SIZE):
        hub.publish(elsewhere)
    assert everyone.overflowed and everyone.queue.full()
    assert not health.overflowed and health.queue.empty()
    hub.unsubscribe(everyone)
    hub.publish(elsewhere)
    assert everyone.queue.qsize() == QUEUE_SIZE
