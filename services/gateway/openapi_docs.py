"""The request side of the OpenAPI document: the bodies are read by hand (to enforce the size
limit while reading), so FastAPI cannot derive them."""

from __future__ import annotations

from typing import Any

from schemas.catalogue import INGRESS_TOPICS
from services.gateway.answers import Refusal

EVENT_TYPES = sorted(t for spec in INGRESS_TOPICS for t in spec.value_types)

STRUCTURED_EVENT: dict[str, Any] = {
    "type": "object",
    "description": "A CloudEvent in structured mode; `data` is the payload whose JSON Schema is"
    " published as `<type>.schema.json`, `corridorsig` its HMAC-SHA256 signature.",
    "required": ["specversion", "id", "source", "type", "data", "corridorsig"],
    "properties": {
        "specversion": {"type": "string", "enum": ["1.0"]},
        "id": {"type": "string", "minLength": 1, "maxLength": 200},
        "source": {"type": "string", "pattern": "^corridor:partner:[a-z0-9][a-z0-9-]{1,39}$"},
        "type": {"type": "string", "enum": EVENT_TYPES},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": "string"},
        "datacontenttype": {"type": "string", "enum": ["application/json"]},
        "data": {"type": "object"},
        "corridorsig": {"type": "string"},
    },
}

BINARY_HEADERS: list[dict[str, Any]] = [
    {
        "name": f"ce-{name}",
        "in": "header",
        "required": False,
        "description": f"Binary mode: the event's `{name}` attribute (percent-encoded).",
        "schema": {"type": "string"},
    }
    for name in ("specversion", "id", "source", "type", "time", "corridorsig")
]

EVENTS_REQUEST: dict[str, Any] = {
    "parameters": BINARY_HEADERS,
    "requestBody": {
        "required": True,
        "description": "Structured mode (`application/cloudevents+json`, also accepted as"
        " `application/json` without `ce-*` headers), or binary mode: the event's `data` as"
        " `application/json` with its attributes in `ce-*` headers.",
        "content": {
            "application/cloudevents+json": {"schema": STRUCTURED_EVENT},
            "application/json": {"schema": {"type": "object"}},
        },
    },
}

CAP_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CAP 1.1 or 1.2 alert.",
        "content": {
            media: {"schema": {"type": "string"}}
            for media in ("application/cap+xml", "application/xml", "text/xml")
        },
    },
}

_REFUSALS = {
    400: "Not a readable CloudEvent (`malformed`, `invalid_envelope`), or not a valid CAP alert"
    " (`invalid_cap`, naming the element and the rule).",
    401: "No partner token (`unauthenticated`), or the event's signature or sender does not"
    " verify (`signature_missing`, `signature_invalid`, `unknown_partner`).",
    403: "The partner may not publish this (`unauthorised`), or the event is signed by a"
    " partner other than the token's.",
    413: "The body is larger than the limit (`too_large`).",
    415: "Not a CloudEvent content type (`unsupported_media_type`).",
    422: "A readable event intake refuses (`validation_failed`, `unsupported_type`,"
    " `unresolved_region`, `wrong_topic`).",
    429: "The partner exceeded its rate limit (`rate_limited`); see Retry-After.",
    503: "The broker did not acknowledge the event (`unavailable`); retry later.",
}

REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": Refusal, "description": text} for code, text in _REFUSALS.items()
}
