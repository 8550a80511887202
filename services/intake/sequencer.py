"""Deduplicate admitted events by id and stamp them into the region log. Pure.

Between the gate and the sequencer the admitted event travels on an internal topic keyed by
its event id, so every copy of one id meets the same `seen` table partition whatever ingress
partition it came from. The table remembers where the first copy sat: a redelivery of that
same record (a crash, a rebalance) re-emits the identical region events; any other record with
the id is a duplicate and is refused.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from schemas.codec import format_time
from schemas.outputs import RejectedMessage
from schemas.registry import MODEL_OF
from schemas.sequenced import SequencedEvent
from schemas.types import RejectReason
from services.intake.core import Admitted
from services.intake.record import Record


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()


def _raw(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


@dataclass(frozen=True)
class Admission:
    """What the gate hands the sequencer: the admitted event and the record it came in."""

    record: Record
    event_id: str
    source: str
    partner_id: str
    type: str
    data: Any
    regions: tuple[str, ...]
    confirm_above: int | None = None  # held for confirmation above this many people

    @classmethod
    def of(cls, record: Record, admitted: Admitted) -> Admission:
        return cls(
            record=record,
            event_id=admitted.event.id,
            source=admitted.event.source,
            partner_id=admitted.partner_id,
            type=admitted.event.type,
            data=admitted.event.data,  # as received: `sequence` validates it as the gate did
            regions=admitted.regions,
            confirm_above=admitted.confirm_above,
        )

    def to_bytes(self) -> bytes:
        r = self.record
        return orjson.dumps({
            "record": {
                "topic": r.topic, "partition": r.partition, "offset": r.offset,
                "key": _b64(r.key), "value": _b64(r.value),
                "headers": [[n, _b64(v)] for n, v in r.headers],
                "received_at": format_time(r.received_at),
            },
            "event_id": self.event_id, "source": self.source, "partner_id": self.partner_id,
            "type": self.type, "data": self.data, "regions": list(self.regions),
            "confirm_above": self.confirm_above,
        })  # fmt: skip

    @classmethod
    def from_bytes(cls, raw: bytes) -> Admission:
        obj = orjson.loads(raw)
        r = obj["record"]
        record = Record(
            r["topic"], r["partition"], r["offset"], _raw(r["key"]), _raw(r["value"]),
            tuple((n, _raw(v) or b"") for n, v in r["headers"]),
            datetime.fromisoformat(r["received_at"]),
        )  # fmt: skip
        return cls(
            record, obj["event_id"], obj["source"], obj["partner_id"], obj["type"],
            obj["data"], tuple(obj["regions"]), obj.get("confirm_above"),
        )  # fmt: skip


@dataclass(frozen=True)
class Seen:
    """The first record an event id arrived in, and when it was sequenced."""

    origin: str
    sequenced_at: str

    def to_bytes(self) -> bytes:
        return orjson.dumps({"origin": self.origin, "sequenced_at": self.sequenced_at})

    @classmethod
    def from_bytes(cls, raw: bytes) -> Seen:
        obj = orjson.loads(raw)
        return cls(obj["origin"], obj["sequenced_at"])


@dataclass(frozen=True)
class Sequenced:
    remember: Seen | None  # what to store in the table (None: leave it)
    events: tuple[SequencedEvent, ...]
    rejected: RejectedMessage | None


def sequence(admission: Admission, seen: Seen | None, now: datetime) -> Sequenced:
    """Stamp a first arrival, repeat a redelivery identically, refuse a duplicate."""
    if seen is not None and seen.origin != admission.record.origin:
        refusal = admission.record.rejection(
            RejectReason.DUPLICATE,
            f"event id {admission.event_id} was already accepted from {seen.origin}",
            event_id=admission.event_id,
            partner_id=admission.partner_id,
        )
        return Sequenced(None, (), refusal)
    if seen is None:
        remember: Seen | None = Seen(admission.record.origin, format_time(now))
        stamp = now
    else:
        remember, stamp = None, datetime.fromisoformat(seen.sequenced_at)
    payload = MODEL_OF[admission.type].model_validate(admission.data)
    events = tuple(
        SequencedEvent(
            event_id=admission.event_id,
            source=admission.source,
            region_pcode=region,
            sequenced_at=stamp,
            partner_id=admission.partner_id,
            payload=payload,
            confirm_above=admission.confirm_above,
        )
        for region in admission.regions
    )
    return Sequenced(remember, events, None)
