"""A Kafka record as intake sees it, independent of the client library."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.codec import MAX_VALUE_BYTES
from schemas.outputs import RejectedMessage
from schemas.types import RejectReason

KEPT_BYTES = MAX_VALUE_BYTES // 2
"""Most of a refused value a rejection keeps: its base64 plus the envelope must still be a
message the codec accepts (every consumer of ingress.rejected.v1 decodes it with the codec)."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Record:
    topic: str  # the catalogue name, without namespace
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    received_at: datetime  # the record's Kafka timestamp: a refusal is a function of the record

    @classmethod
    def of(
        cls,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes | None] | None,
        *,
        received_at: datetime,
    ) -> Record:
        items = headers.items() if isinstance(headers, Mapping) else (headers or ())
        pairs = tuple((n, v or b"") for n, v in items)
        return cls(topic, partition, offset, key, value, pairs, received_at)

    @property
    def origin(self) -> str:
        """Where this record sits: unique, so a redelivery is told from a second message."""
        return f"{self.topic}/{self.partition}/{self.offset}"

    def rejection(
        self,
        reason: RejectReason,
        message: str,
        *,
        event_id: str | None = None,
        partner_id: str | None = None,
    ) -> RejectedMessage:
        """The refusal, carrying the original bytes (the first KEPT_BYTES when larger).

        It depends on the record alone, so a redelivered record is refused in identical bytes.
        """
        value = self.value or b""
        if len(value) > KEPT_BYTES:
            digest = hashlib.sha256(value).hexdigest()
            message = (
                f"{message}; value_b64 holds the first {KEPT_BYTES} of {len(value)} bytes,"
                f" sha256 {digest}"
            )
            value = value[:KEPT_BYTES]
        return RejectedMessage(
            topic=self.topic,
            partition=self.partition,
            offset=self.offset,
            key_b64=None if self.key is None else _b64(self.key),
            value_b64=_b64(value),
            headers=tuple((name[:200], _b64(raw)) for name, raw in self.headers),
            reason=reason,
            message=message[:1000],
            rejected_at=self.received_at,
            event_id=None if event_id is None else event_id[:200],
            partner_id=None if partner_id is None else partner_id[:200],
        )
