"""Helpers for the gateway tests: signed events as partners post them, tokens, the app."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import uvicorn

from schemas.codec import encode_structured
from schemas.envelope import CloudEvent
from services.config import Settings
from services.gateway.app import create_app
from services.opscentre.auth import partner_token
from services.publish import encode, partner_event, secrets
from services.stack import process

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


class LiveGateway:
    """The gateway app served by uvicorn on 127.0.0.1 in a thread (its own event loop)."""

    def __init__(self, settings: Settings) -> None:
        self.port = process.free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port,
            log_config=None, access_log=False, lifespan="on",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveGateway:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()
