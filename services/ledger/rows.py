"""Pure: a consumed Kafka record → the ledger rows it stands for. No I/O, no clock.

Every table's columns are named here, in the order of the row tuples; :mod:`services.ledger.store`
writes them. A record that cannot be read becomes a ``ledger_unreadable`` row, never an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from schemas.codec import decode, payload_of
from schemas.envelope import CloudEvent
from schemas.errors import CodecError
from schemas.ingress import (
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import AllocationDecision, EscalationEvent, RejectedMessage
from schemas.sequenced import SequencedEvent
from schemas.types import FeedbackKind, RejectReason

Row = tuple[Any, ...]

REGION_EVENTS = "region.events.v1"
DECISIONS = "allocation.decisions.v1"
ESCALATIONS = "escalation.events.v1"
REJECTED = "ingress.rejected.v1"
TOPICS = (REGION_EVENTS, DECISIONS, ESCALATIONS, REJECTED)

# Append-only tables (inserted once, duplicates ignored) and their columns.
APPENDED: dict[str, tuple[str, ...]] = {
    "region_events": ("event_id", "region_pcode", "type", "source", "partner_id",
                      "sequenced_at", "payload", "kafka_partition", "kafka_offset"),
    "alerts": ("alert_id", "region_pcode", "partner_id", "origin_lat", "origin_lon",
               "households", "persons", "children", "adults", "elderly", "female", "male",
               "cause", "observed_at", "sequenced_at"),
    "decisions": ("decision_id", "region_pcode", "decided_at", "cause_event_id", "alert_id",
                  "placed_households", "placed_persons", "waitlisted_households",
                  "waitlisted_persons", "payload", "event_id", "kafka_partition", "kafka_offset"),
    "escalation_revisions": ("escalation_id", "revision", "region_pcode", "reason", "sector",
                             "level", "status", "episode", "persons_affected",
                             "households_affected", "opened_at", "updated_at", "ack_deadline",
                             "payload", "event_id", "kafka_partition", "kafka_offset"),
    "escalation_acks": ("event_id", "escalation_id", "region_pcode", "partner_id", "status",
                        "acknowledged_at", "sequenced_at"),
    "rejections": ("rejection_id", "topic", "partition", "record_offset", "reason", "message",
                   "event_id", "partner_id", "rejected_at", "kafka_partition", "kafka_offset"),
    "ledger_unreadable": ("topic", "kafka_partition", "kafka_offset", "reason", "message"),
}  # fmt: skip

# Current-state tables (upserted, the latest by region-log time wins) and their columns.
UPSERTED: dict[str, tuple[str, ...]] = {
    "households": ("alert_id", "household_index", "region_pcode", "persons", "needs", "outcome",
                   "waitlist_reason", "shelter_id", "vehicle_id", "transport_pending",
                   "decision_id", "updated_at", "updated_rank"),
    "shelters": ("shelter_id", "region_pcode", "lat", "lon", "capacity_kind", "capacity",
                 "occupancy", "services", "open", "reported_at", "sequenced_at",
                 "operator_partner_id", "event_id"),
    "vehicles": ("vehicle_id", "region_pcode", "kind", "seats", "accessible_places", "available",
                 "lat", "lon", "speed_kmh", "reported_at", "sequenced_at",
                 "operator_partner_id", "event_id"),
    "escalations": ("escalation_id", "revision", "region_pcode", "reason", "sector", "level",
                    "status", "episode", "persons_affected", "households_affected",
                    "needs_counts", "opened_at", "updated_at", "ack_deadline"),
}  # fmt: skip

EXPECTED: dict[str, type] = {
    DECISIONS: AllocationDecision,
    ESCALATIONS: EscalationEvent,
    REJECTED: RejectedMessage,
}

# A household's outcome changes by (region-log time, rank): the alert, then feedback, then
# decisions (a decision caused by a feedback event carries that event's time and wins).
ALERT_RANK, FEEDBACK_RANK, DECISION_RANK = 0, 1, 2
FEEDBACK_OUTCOME = {
    FeedbackKind.ARRIVED: "arrived",
    FeedbackKind.NO_SHOW: "no_show",
    FeedbackKind.CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed message: its catalogue topic (namespace removed), coordinates and bytes."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass
class Rows:
    """Rows for each table, in consumption order, and the shelters whose reservations moved."""

    tables: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    shelters: set[str] = field(default_factory=set)

    def add(self, table: str, row: Row) -> None:
        self.tables[table].append(row)

    def extend(self, other: Rows) -> None:
        for table, rows in other.tables.items():
            self.tables[table].extend(rows)
        self.shelters |= other.shelters

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def _json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def rows_of(record: Record) -> Rows:
    """The rows of one record; an unreadable one gives its ``ledger_unreadable`` row."""
    rows = Rows()
    try:
        ce = decode(record.value, record.headers)
        if record.topic == REGION_EVENTS:
            _region_event(rows, record, ce, SequencedEvent.from_cloudevent(ce))
        else:
            payload = payload_of(ce)
            if not isinstance(payload, EXPECTED.get(record.topic, ())):
                where = f"{ce.type[:200]} on {record.topic[:200]}"
                raise CodecError(RejectReason.UNSUPPORTED_TYPE, where)
            if isinstance(payload, AllocationDecision):
                _decision(rows, record, ce, payload)
            elif isinstance(payload, EscalationEvent):
                _escalation(rows, record, ce, payload)
            elif isinstance(payload, RejectedMessage):
                _rejection(rows, record, payload)
    except CodecError as exc:
        return unreadable(record, exc.reason.value, exc.message)
    return rows


def unreadable(record: Record, reason: str, message: str) -> Rows:
    rows = Rows()
    rows.add("ledger_unreadable", (record.topic, record.partition, record.offset, reason,
                                   message[:1000]))  # fmt: skip
    return rows


def _region_event(rows: Rows, record: Record, ce: CloudEvent, event: SequencedEvent) -> None:
    at, region, partner = event.sequenced_at, event.region_pcode, event.partner_id
    rows.add("region_events", (event.event_id, region, ce.type, event.source, partner, at,
                               _json(ce.data), record.partition, record.offset))  # fmt: skip
    payload = event.payload
    if isinstance(payload, DisplacementAlert):
        d = payload.demographics
        rows.add("alerts", (event.event_id, region, partner, payload.origin.lat,
                            payload.origin.lon, len(payload.households), payload.persons,
                            d.children, d.adults, d.elderly, d.female, d.male,
                            payload.cause.value, payload.observed_at, at))  # fmt: skip
        for index, household in enumerate(payload.households):
            rows.add("households", (event.event_id, index, region, household.size,
                                    sorted(household.needs), None, None, None, None, None, None,
                                    at, ALERT_RANK))  # fmt: skip
    elif isinstance(payload, ShelterCapacityReport):
        rows.add("shelters", (payload.shelter_id, region, payload.location.lat,
                              payload.location.lon, payload.capacity.kind,
                              payload.capacity_persons, payload.occupancy,
                              sorted(payload.services), payload.open, payload.reported_at, at,
                              partner, event.event_id))  # fmt: skip
        rows.shelters.add(payload.shelter_id)
    elif isinstance(payload, TransportAvailability):
        rows.add("vehicles", (payload.vehicle_id, region, payload.kind.value, payload.seats,
                              payload.accessible_places, payload.available,
                              payload.location.lat, payload.location.lon, payload.speed_kmh,
                              payload.reported_at, at, partner, event.event_id))  # fmt: skip
    elif isinstance(payload, AllocationFeedback):
        outcome = FEEDBACK_OUTCOME.get(payload.kind)
        if outcome is not None:  # a released vehicle leaves the household's outcome as it is
            rows.add("households", (payload.alert_id, payload.household_index, region, None,
                                    [], outcome, None, payload.shelter_id, payload.vehicle_id,
                                    None, payload.decision_id, at, FEEDBACK_RANK))  # fmt: skip
            if payload.shelter_id is not None:
                rows.shelters.add(payload.shelter_id)
    elif isinstance(payload, EscalationAck):
        ack = (event.event_id, payload.escalation_id, region, partner, payload.status.value,
               payload.acknowledged_at, at)  # fmt: skip
        rows.add("escalation_acks", ack)


def _decision(rows: Rows, record: Record, ce: CloudEvent, d: AllocationDecision) -> None:
    rows.add("decisions", (d.decision_id, d.region_pcode, d.decided_at, d.cause_event_id,
                           d.alert_id, len(d.placements), sum(p.persons for p in d.placements),
                           len(d.waitlisted), sum(w.persons for w in d.waitlisted),
                           _json(ce.data), ce.id, record.partition, record.offset))  # fmt: skip
    for p in d.placements:
        outcome = "in_transit" if p.vehicle_id is not None else "placed"
        rows.add("households", (p.alert_id, p.household_index, d.region_pcode, p.persons,
                                sorted(p.needs), outcome, None, p.shelter_id, p.vehicle_id,
                                p.transport_pending, d.decision_id, d.decided_at,
                                DECISION_RANK))  # fmt: skip
        rows.shelters.add(p.shelter_id)
    for w in d.waitlisted:
        rows.add("households", (w.alert_id, w.household_index, d.region_pcode, w.persons,
                                sorted(w.needs), "waitlisted", w.reason.value, None, None, None,
                                d.decision_id, d.decided_at, DECISION_RANK))  # fmt: skip
    for x in d.dropped:  # rejected by a confirming partner: never placed (persons, needs kept)
        rows.add("households", (x.alert_id, x.household_index, d.region_pcode, None,
                                [], "dropped", None, None, None, None,
                                d.decision_id, d.decided_at, DECISION_RANK))  # fmt: skip


def _escalation(rows: Rows, record: Record, ce: CloudEvent, e: EscalationEvent) -> None:
    common = (e.escalation_id, e.revision, e.region_pcode, e.reason.value, e.sector.value,
              e.level.value, e.status.value, e.episode, e.persons_affected,
              e.households_affected)  # fmt: skip
    rows.add("escalation_revisions", (*common, e.opened_at, e.updated_at, e.ack_deadline,
                                      _json(ce.data), ce.id, record.partition,
                                      record.offset))  # fmt: skip
    counts = {str(need): n for need, n in sorted(e.needs_counts.items())}
    rows.add("escalations", (*common, _json(counts), e.opened_at, e.updated_at, e.ack_deadline))


def _rejection(rows: Rows, record: Record, r: RejectedMessage) -> None:
    """The refusal without the refused bytes (value, key, headers): they may be personal data."""
    rows.add("rejections", (f"{r.topic}/{r.partition}/{r.offset}", r.topic, r.partition,
                            r.offset, r.reason.value, r.message, r.event_id, r.partner_id,
                            r.rejected_at, record.partition, record.offset))  # fmt: skip
