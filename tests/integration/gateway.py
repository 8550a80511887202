"""Helpers for the gateway tests: signed events as partners post them, tokens, the app."""

from __future__ import annotations

import uuid
from typing import Any

from schemas.codec import encode_structured
from schemas.envelope import CloudEvent
from services.config import Settings
from services.opscentre.auth import partner_token
from services.publish import encode, partner_event, secrets

SECRETS = secrets(Settings())
STRUCTURED = {"content-type": "application/cloudevents+json"}


def token(partner: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {partner_token(partner, SECRETS[partner])}"}


def signed(data: dict[str, Any], topic: str, partner: str, *, secret: str | None = None
           ) -> CloudEvent:  # fmt: skip
    return partner_event(
        data, topic=topic, partner_id=partner, secret=secret or SECRETS[partner],
        event_id=f"gw-{uuid.uuid4().hex[:12]}", validate=False,
    )  # fmt: skip


def structured(event: CloudEvent) -> bytes:
    return encode_structured(event)


def binary(event: CloudEvent, topic: str) -> tuple[bytes, dict[str, str]]:
    """Body and HTTP headers of binary mode (ce-* headers; these values need no encoding)."""
    out = encode(event, topic=topic, binary=True)
    headers = {name.replace("ce_", "ce-", 1): value.decode() for name, value in out.headers}
    return out.value, headers
