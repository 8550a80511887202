"""Sign and send a payload as a partner would: `corridor publish`, tests, the simulator."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from schemas.catalogue import INGRESS_TOPICS, topic_name
from schemas.codec import encode_binary, encode_structured, payload_of
from schemas.envelope import CloudEvent, partner_source
from schemas.errors import CodecError
from schemas.signing import sign_event
from services.config import Settings
from services.kafka_access import connect, connect_partner
from services.registry.partners import load_secrets
from services.streams import MAX_MESSAGE_BYTES

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers


def type_for_topic(topic: str) -> str:
    """The CloudEvents type an ingress topic carries."""
    for spec in INGRESS_TOPICS:
        if spec.name == topic:
            return spec.value_types[0]
    names = ", ".join(s.name for s in INGRESS_TOPICS)
    raise ValueError(f"{topic} is not an ingress topic (one of: {names})")


def partner_event(
    data: Any,
    *,
    topic: str,
    partner_id: str,
    secret: str,
    event_id: str | None = None,
    time: datetime | None = None,
    validate: bool = True,
) -> CloudEvent:
    """A signed CloudEvent from `partner_id`; with `validate`, refuses a payload intake would."""
    event = CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=partner_source(partner_id),
        type=type_for_topic(topic),
        time=time or datetime.now(UTC),
        data=data,
    )
    if validate:
        payload_of(event)  # raises CodecError with the reason intake would give
    return sign_event(event, secret)


def encode(event: CloudEvent, *, topic: str, key: bytes | None = None,
           binary: bool = False) -> Outgoing:  # fmt: skip
    if binary:
        value, headers = encode_binary(event)
        return Outgoing(topic, key, value, headers)
    return Outgoing(topic, key, encode_structured(event), [])


def secrets(settings: Settings, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    return load_secrets(settings.partner_secrets_file, environ)


async def send(
    messages: list[Outgoing], settings: Settings, *, as_partner: str | None = None
) -> None:
    """Send in order, waiting for the broker's acknowledgement of each: as ``as_partner`` (its
    own principal, over TLS, as a partner would), or as this tool's principal."""
    access = (
        connect_partner(as_partner, settings)
        if as_partner is not None
        else connect(settings.bootstrap_servers, settings=settings)
    )
    producer = AIOKafkaProducer(
        **access,
        acks="all",
        max_request_size=MAX_MESSAGE_BYTES,
    )
    await producer.start()
    try:
        for m in messages:
            await producer.send_and_wait(
                topic_name(m.topic, settings.topic_namespace), m.value, key=m.key,
                headers=m.headers or None,
            )  # fmt: skip
    finally:
        await producer.stop()


__all__ = ["CodecError", "Outgoing", "encode", "partner_event", "secrets", "send"]
