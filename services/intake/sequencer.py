"""Deduplicate admitted events by id and stamp them into the region log. Pure.

Between the gate and the sequencer the admitted event travels on an internal topic keyed by
its event id, so every copy of one id meets the same `seen` table partition whatever ingress
partition it came from. The table remembers where the first copy sat: a redelivery of that
same record (a crash, a rebalance) re-emits the identical region events; any other record with
the id is a duplicate and is refused.

The gate hands over the payload as the region log writes it (the validated model's JSON), so
the sequencer writes a region event's bytes without a model: the same bytes as
``encode_structured(SequencedEvent(...).to_cloudevent())`` (tests/unit/test_intake_sequencer.py).
docs/architecture.md "Intake's rate".
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from schemas.codec import canonical_json, decode, format_time
from schemas.envelope import JSON
from schemas.outputs import RejectedMessage
from schemas.registry import MODEL_OF
from schemas.sequenced import CONFIRM_ABOVE, PARTNER_ID, REGION, SEQUENCED_AT, SequencedEvent
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
    """The payload as the region log writes it: the validated model's JSON (``payload``).
    An admission written before had the data as received (``data``): it is validated here."""
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
            data=admitted.payload.model_dump(mode="json"),
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
            "type": self.type, "payload": self.data, "regions": list(self.regions),
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
        data = obj.get("payload")
        if data is None:  # written before the gate sent the validated payload
            data = MODEL_OF[obj["type"]].model_validate(obj["data"]).model_dump(mode="json")
        return cls(
            record, obj["event_id"], obj["source"], obj["partner_id"], obj["type"],
            data, tuple(obj["regions"]), obj.get("confirm_above"),
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
class Appended:
    """One region event: its region (the record's key), its id, and its bytes."""

    region: str
    event_id: str
    value: bytes


@dataclass(frozen=True)
class Sequenced:
    remember: Seen | None  # what to store in the table (None: leave it)
    appended: tuple[Appended, ...]
    rejected: RejectedMessage | None

    @property
    def events(self) -> tuple[SequencedEvent, ...]:
        """The region events, read back from their bytes."""
        return tuple(SequencedEvent.from_cloudevent(decode(a.value)) for a in self.appended)


def region_event(admission: Admission, region: str, at: str) -> bytes:
    """``encode_structured(SequencedEvent(...).to_cloudevent())`` of a partner's event in
    ``region``, sequenced at ``at`` (``format_time``), without the models."""
    obj = {
        SEQUENCED_AT: at, REGION: region, PARTNER_ID: admission.partner_id,
        "specversion": "1.0", "id": admission.event_id, "source": admission.source,
        "type": admission.type, "datacontenttype": JSON, "time": at, "subject": region,
        "data": admission.data,
    }  # fmt: skip
    if admission.confirm_above is not None:
        obj[CONFIRM_ABOVE] = str(admission.confirm_above)
    return canonical_json(obj)


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
        at = format_time(now)
        remember: Seen | None = Seen(admission.record.origin, at)
    else:
        remember, at = None, format_time(datetime.fromisoformat(seen.sequenced_at))
    appended = tuple(
        Appended(region, admission.event_id, region_event(admission, region, at))
        for region in admission.regions
    )
    return Sequenced(remember, appended, None)
