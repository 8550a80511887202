"""The AsyncAPI 3.0.0 document for partners, built from the catalogue and the registry."""

import re
from typing import Any

from schemas.catalogue import CATALOGUE, INBOX_TEMPLATE, TopicSpec
from schemas.envelope import SIGNATURE_EXTENSION
from schemas.registry import MODEL_OF

VERSION = "1.0.0"
KAFKA_BINDING = "0.5.0"

DESCRIPTION = f"""\
Corridor coordinates the humane and orderly movement of displaced people between partner
agencies. Partners publish what they see to the `ingress.*` topics and receive allocation
decisions and escalations.

**Envelope.** Every message is a CloudEvents 1.0 event. Structured mode (preferred): the Kafka
value is the JSON object of the event, content type `application/cloudevents+json`, with the
payload under `data`. Binary mode is accepted on ingress: the value is the JSON payload and the
attributes travel in `ce_`-prefixed headers (`ce_specversion`, `ce_id`, `ce_source`, `ce_type`,
`ce_time`, ...) with the payload's media type in `content-type`. `source` is
`corridor:partner:<partner_id>`; `id` must be unique per source (a repeated id is refused as a
duplicate).

**Signing.** Partner events carry the extension attribute `{SIGNATURE_EXTENSION}` (binary mode:
header `ce_{SIGNATURE_EXTENSION}`): the lower-case hex HMAC-SHA256, keyed with the partner's
shared secret, of the RFC 8785 (JSON Canonicalization Scheme) bytes of the object
`{{"data", "id", "source", "subject", "time", "type"}}` built from the event (`subject` and
`time` null when absent; `time` in UTC with milliseconds and `Z`, e.g.
`2026-11-26T03:00:00.000Z`, as JavaScript's `toISOString()` writes it). Any JCS library
computes these bytes (`rfc8785` on PyPI, `canonicalize` on npm). Test vectors (secret, event,
signed bytes, signature) are in `signing-vectors.json`. Changing any of these attributes breaks
the signature; a missing or empty one is refused as `signature_missing`, a wrong one as
`signature_invalid`.

**Time.** `time` is required and is checked against the broker's own time of the record: more
than 5 minutes ahead is refused as `from_the_future`, more than 7 days behind as `stale`. So are
`reported_at`, `observed_at`, `acknowledged_at`, `decided_at` and `sent` more than 5 minutes
ahead. A later report supersedes an earlier one by the order the log received them.

**Oversized alerts.** An alert with more people than its sender's `confirm_above` (registry; 500
by default) is admitted but held: its decision waitlists every household
`awaiting_confirmation` and no place is reserved. A `confirmation_needed` escalation (its
`alert_ids` name the held alerts) goes to the partners of the region that confirm and to the
sender. A confirming partner (registry `confirms: true`; never the alert's own sender) answers
with an `AlertConfirmation` on `ingress.alert-confirmations.v1`: `confirmed` puts the households
on the waitlist, placed from the next tick; `rejected` drops them (a decision lists them under
`dropped`, reason `confirmation_rejected`).

**Data protection.** Payloads describe groups, never individuals: no names, phone numbers or
document numbers. Unknown fields are refused, as is any message that does not validate; refusals
go to an internal topic with a machine-readable reason.
"""

ENVELOPE: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 structured-mode event. Other lower-case alphanumeric"
    " members (at most 20 characters) are extension attributes with string values.",
    "required": ["specversion", "id", "source", "type"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "minLength": 1, "maxLength": 200},
        "source": {"type": "string", "pattern": "^\\S{1,500}$"},
        "type": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": "string", "minLength": 1, "maxLength": 200},
        "datacontenttype": {"type": "string", "default": "application/json"},
        SIGNATURE_EXTENSION: {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "data": {},
    },
    "propertyNames": {"pattern": "^[a-z0-9]{1,20}$"},
    "additionalProperties": {"type": "string"},
}

BINARY_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "Binary mode only: the event's attributes as Kafka headers.",
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string"},
        "ce_source": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string"},
        f"ce_{SIGNATURE_EXTENSION}": {"type": "string"},
        "content-type": {"type": "string", "default": "application/json"},
    },
}


def _camel(text: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


def _channel_id(spec: TopicSpec) -> str:
    return _camel(spec.name.replace("{partner_id}", ""))


def _message(event_type: str) -> dict[str, Any]:
    model = MODEL_OF[event_type]
    summary = (model.__doc__ or model.__name__).strip().splitlines()[0]
    return {
        "name": model.__name__,
        "title": event_type,
        "summary": summary,
        "contentType": "application/cloudevents+json",
        "headers": {"$ref": "#/components/schemas/BinaryModeHeaders"},
        "payload": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEvent"},
                {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "type": {"const": event_type},
                        "data": {"$ref": f"./{event_type}.schema.json"},
                    },
                },
            ]
        },
    }


def _channel(spec: TopicSpec) -> dict[str, Any]:
    retention = -1 if spec.retention_ms is None else spec.retention_ms
    writers = ", ".join(sorted(spec.writers))
    channel: dict[str, Any] = {
        "address": spec.name.replace("{partner_id}", "{partnerId}"),
        "title": spec.name,
        "description": f"{spec.description}\n\nKey: {spec.key}. Written by: {writers}.",
        "messages": {
            MODEL_OF[t].__name__: {"$ref": f"#/components/messages/{MODEL_OF[t].__name__}"}
            for t in spec.value_types
        },
        "bindings": {
            "kafka": {
                "topic": spec.name,
                "partitions": spec.partitions,
                "topicConfiguration": {
                    "cleanup.policy": [spec.cleanup_policy],
                    "retention.ms": retention,
                },
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    if spec is INBOX_TEMPLATE:
        channel["parameters"] = {"partnerId": {"description": "The partner's id."}}
    return channel


def _operation(action: str, spec: TopicSpec) -> dict[str, Any]:
    channel = _channel_id(spec)
    verb = "Publish to" if action == "send" else "Consume"
    return {
        "action": action,
        "title": f"{verb} {spec.name}",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [
            {"$ref": f"#/channels/{channel}/messages/{MODEL_OF[t].__name__}"}
            for t in spec.value_types
        ],
    }


def document() -> dict[str, Any]:
    """The AsyncAPI document, from a partner's point of view (it sends and receives)."""
    topics = (*CATALOGUE, INBOX_TEMPLATE)
    partner_outputs = {"allocation.decisions.v1", "escalation.events.v1", INBOX_TEMPLATE.name}
    operations = {}
    for spec in topics:
        action = "send" if "partner" in spec.writers else None
        if spec.name in partner_outputs:
            action = "receive"
        if action is not None:
            channel = _channel_id(spec)
            operations[action + channel[0].upper() + channel[1:]] = _operation(action, spec)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Corridor", "version": VERSION, "description": DESCRIPTION},
        "defaultContentType": "application/cloudevents+json",
        "channels": {_channel_id(spec): _channel(spec) for spec in topics},
        "operations": operations,
        "components": {
            "schemas": {"CloudEvent": ENVELOPE, "BinaryModeHeaders": BINARY_HEADERS},
            "messages": {model.__name__: _message(t) for t, model in MODEL_OF.items()},
        },
    }
