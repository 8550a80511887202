"""The one codec: bytes ⇄ :class:`CloudEvent` ⇄ payload model. Small pure functions.

Structured mode: the Kafka value is the JSON object of the event (attributes and extensions at
top level, payload under ``data``). Binary mode: the value is the canonical JSON of ``data`` and
the attributes travel in ``ce_``-prefixed headers, the content type in ``content-type``.
Every encoding is canonical (orjson, keys sorted, UTC timestamps), so the same event always
gives the same bytes.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.base import Contract
from schemas.envelope import CORE_ATTRIBUTES, CloudEvent
from schemas.errors import CodecError, describe
from schemas.registry import MODEL_OF, type_of
from schemas.types import RejectReason

MAX_VALUE_BYTES = 512 * 1024
"""Largest message value accepted: leaves room for its base64 copy in a rejection."""

HEADER_PREFIX = "ce_"
CONTENT_TYPE = "content-type"
Headers = Iterable[tuple[str, bytes | None]] | Mapping[str, bytes | None]


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys and no whitespace: the bytes that are signed and compared."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; microseconds only when present."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- model ⇄ event -----------------------------------------------------------------------------


def to_event(
    model: Contract,
    *,
    id: str,
    source: str,
    type: str | None = None,
    time: datetime | None,
    subject: str | None = None,
    extensions: Mapping[str, str] | None = None,
) -> CloudEvent:
    """Wrap a payload in a CloudEvent; ``type`` defaults to the model's registered type."""
    event_type = type_of(model)
    if type is not None and type != event_type:
        raise ValueError(f"{type!r} is not the type of {model.__class__.__name__}")
    return CloudEvent(
        id=id,
        source=source,
        type=event_type,
        time=time,
        subject=subject,
        data=model.model_dump(mode="json"),
        extensions=dict(extensions or {}),
    )


def payload_of(ce: CloudEvent) -> Contract:
    """The validated payload model of an event."""
    model = MODEL_OF.get(ce.type)
    if model is None:
        raise CodecError(RejectReason.UNSUPPORTED_TYPE, f"unsupported type {ce.type[:200]!r}")
    try:
        return model.model_validate(ce.data)
    except ValidationError as exc:
        raise CodecError(RejectReason.VALIDATION_FAILED, describe(exc)) from None


# --- structured mode ---------------------------------------------------------------------------


def _attributes(ce: CloudEvent) -> dict[str, str]:
    attributes = {
        "specversion": ce.specversion,
        "id": ce.id,
        "source": ce.source,
        "type": ce.type,
        "datacontenttype": ce.datacontenttype,
    }
    if ce.time is not None:
        attributes["time"] = format_time(ce.time)
    if ce.subject is not None:
        attributes["subject"] = ce.subject
    return {**ce.extensions, **attributes}


def encode_structured(ce: CloudEvent) -> bytes:
    return canonical_json({**_attributes(ce), "data": ce.data})


def _event(attributes: dict[str, Any], data: Any) -> CloudEvent:
    if "specversion" not in attributes:
        raise CodecError(RejectReason.INVALID_ENVELOPE, "specversion: Field required")
    core = {name: attributes.pop(name) for name in CORE_ATTRIBUTES & attributes.keys()}
    for name, value in attributes.items():
        if not isinstance(value, str):
            raise CodecError(
                RejectReason.INVALID_ENVELOPE, f"{name[:40]}: extension values must be strings"
            )
    try:
        return CloudEvent.model_validate({**core, "data": data, "extensions": attributes})
    except ValidationError as exc:
        raise CodecError(RejectReason.INVALID_ENVELOPE, describe(exc, root="event")) from None


def _loads(value: bytes | None) -> Any:
    if value is None or len(value) == 0:
        raise CodecError(RejectReason.MALFORMED, "empty message")
    if len(value) > MAX_VALUE_BYTES:
        raise CodecError(
            RejectReason.TOO_LARGE, f"{len(value)} bytes exceed the limit of {MAX_VALUE_BYTES}"
        )
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise CodecError(RejectReason.MALFORMED, f"not JSON: {str(exc)[:200]}") from None


def decode_structured(value: bytes) -> CloudEvent:
    obj = _loads(value)
    if not isinstance(obj, dict):
        raise CodecError(
            RejectReason.MALFORMED, f"a CloudEvent must be a JSON object, not {_json_kind(obj)}"
        )
    if "data_base64" in obj:
        raise CodecError(RejectReason.INVALID_ENVELOPE, "data_base64: data must be JSON")
    data = obj.pop("data", None)
    return _event(obj, data)


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


# --- binary mode -------------------------------------------------------------------------------


def encode_binary(ce: CloudEvent) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value (canonical JSON of ``data``) and the headers, in a fixed order."""
    attributes = _attributes(ce)
    content_type = attributes.pop("datacontenttype")
    headers = [(HEADER_PREFIX + name, attributes[name].encode()) for name in sorted(attributes)]
    headers.append((CONTENT_TYPE, content_type.encode()))
    return canonical_json(ce.data), headers


def _header_items(headers: Headers | None) -> Iterable[tuple[str, bytes | None]]:
    if headers is None:
        return ()
    return headers.items() if isinstance(headers, Mapping) else headers


def decode_binary(value: bytes | None, headers: Headers | None) -> CloudEvent:
    attributes: dict[str, Any] = {}
    for name, raw in _header_items(headers):
        if name == CONTENT_TYPE:
            key = "datacontenttype"
        elif name.startswith(HEADER_PREFIX):
            key = name[len(HEADER_PREFIX) :]
        else:
            continue
        if key in attributes:
            raise CodecError(RejectReason.INVALID_ENVELOPE, f"{name[:40]}: repeated header")
        try:
            attributes[key] = (raw or b"").decode()
        except UnicodeDecodeError:
            raise CodecError(
                RejectReason.INVALID_ENVELOPE, f"{name[:40]}: header is not UTF-8"
            ) from None
    data = _loads(value) if value else None
    return _event(attributes, data)


def is_binary(headers: Headers | None) -> bool:
    return any(name == HEADER_PREFIX + "specversion" for name, _ in _header_items(headers))


def decode(value: bytes | None, headers: Headers | None = None) -> CloudEvent:
    """Decode a Kafka record: binary mode when it has a ``ce_specversion`` header."""
    if is_binary(headers):
        return decode_binary(value, headers)
    if value is None:
        raise CodecError(RejectReason.MALFORMED, "empty message")
    return decode_structured(value)
