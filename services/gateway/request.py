"""An HTTP request as intake's :class:`Record`: pure, so the gateway screens exactly what
intake would read from the ingress topic.

CloudEvents HTTP binding: binary mode carries the attributes in ``ce-*`` headers (values
percent-encoded) and ``data`` as the body; structured mode carries the whole event as JSON. The
Kafka binding that intake reads spells the headers ``ce_*``; this module translates one into the
other and changes nothing else, so the record's value is the body as posted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from urllib.parse import unquote_to_bytes

from schemas.catalogue import ingress_topic_for
from schemas.codec import CONTENT_TYPE, HEADER_PREFIX
from schemas.codec import decode as decode_event
from schemas.errors import CodecError
from services.intake.record import Record

HTTP_PREFIX = "ce-"
STRUCTURED_TYPES = frozenset({"application/cloudevents+json", "application/json"})
CAP_TYPES = frozenset({"application/cap+xml", "application/xml", "text/xml"})
UNROUTED = "gateway"
"""The record's topic when the event's type has no ingress topic: intake's screen then refuses
it (unsupported type, or a type that is no partner input), as it would on any topic."""

RawHeaders = Iterable[tuple[bytes, bytes]]


class Mode(StrEnum):
    BINARY = "binary"
    STRUCTURED = "structured"
    CAP = "cap"
    UNSUPPORTED = "unsupported"


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def mode_of(headers: RawHeaders) -> Mode:
    """Binary mode when a ``ce-specversion`` header is present, otherwise by content type."""
    content_type = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"ce-specversion":
            return Mode.BINARY
        if lowered == b"content-type":
            content_type = value.decode("latin-1")
    media = media_type(content_type)
    if media in STRUCTURED_TYPES:
        return Mode.STRUCTURED
    if media in CAP_TYPES:
        return Mode.CAP
    return Mode.UNSUPPORTED


def kafka_headers(headers: RawHeaders) -> tuple[tuple[str, bytes], ...]:
    """The Kafka headers of a binary-mode request: ``ce-x: v`` → ``ce_x`` with ``v``
    percent-decoded, and the content type; every other HTTP header is left out."""
    out: list[tuple[str, bytes]] = []
    for raw_name, value in headers:
        name = raw_name.decode("latin-1").lower()
        if name.startswith(HTTP_PREFIX):
            out.append((HEADER_PREFIX + name[len(HTTP_PREFIX) :], unquote_to_bytes(value)))
        elif name == CONTENT_TYPE:
            out.append((CONTENT_TYPE, value))
    return tuple(out)


def topic_for(value: bytes, headers: tuple[tuple[str, bytes], ...]) -> str:
    """The ingress topic of the event's type, or :data:`UNROUTED` when it has none (or cannot
    be read: the screen then says why, in intake's words)."""
    try:
        event_type = decode_event(value, headers).type
    except CodecError:
        return UNROUTED
    spec = ingress_topic_for(event_type)
    return UNROUTED if spec is None else spec.name


def to_record(
    body: bytes, headers: RawHeaders, *, binary: bool, received_at: datetime, key: bytes | None
) -> Record:
    """The record intake will read once the gateway publishes it (partition and offset are
    not known before that: 0)."""
    pairs = kafka_headers(headers) if binary else ()
    return Record(topic_for(body, pairs), 0, 0, key, body, pairs, received_at)
