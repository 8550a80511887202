"""Partner signatures: HMAC-SHA256 over the canonical envelope of an event.

For partners: the signature travels in the ``corridorsig`` extension attribute (binary mode:
the ``ce_corridorsig`` header) as lower-case hex of HMAC-SHA256(secret, signed bytes). The
signed bytes are the RFC 8785 (JSON Canonicalization Scheme) serialisation of the object

    {"data": <data>, "id": <id>, "source": <source>, "subject": <subject or null>,
     "time": <time or null>, "type": <type>}

where ``time`` is written in UTC with milliseconds and a ``Z`` (``2026-11-26T03:00:00.000Z``,
JavaScript's ``toISOString()``). Changing any of them, the id included, breaks the signature:
a captured message cannot be re-sent under a new id or time. Any JCS library computes the bytes
(``rfc8785`` on PyPI, ``canonicalize`` on npm); test vectors are published in
``schemas/published/signing-vectors.json``.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785

from schemas import jcs
from schemas.envelope import SIGNATURE_EXTENSION, CloudEvent

Problem = Literal["missing", "invalid"]


def _key(secret: bytes | str) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def signing_time(moment: datetime | None) -> str | None:
    """The ``time`` as it is signed: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def envelope(ce: CloudEvent) -> dict[str, Any]:
    """What a signature covers."""
    return {
        "data": ce.data, "id": ce.id, "source": ce.source, "subject": ce.subject,
        "time": signing_time(ce.time), "type": ce.type,
    }  # fmt: skip


def signed_bytes(ce: CloudEvent) -> bytes:
    """RFC 8785 bytes of :func:`envelope` (``schemas.jcs``: the ``rfc8785`` library's bytes,
    faster); ValueError for data JCS cannot represent."""
    try:
        return jcs.dumps(envelope(ce))
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"data cannot be canonicalised (RFC 8785): {exc}") from None


def sign(data_bytes: bytes, secret: bytes | str) -> str:
    """Hex HMAC-SHA256 of ``data_bytes``."""
    return hmac.new(_key(secret), data_bytes, hashlib.sha256).hexdigest()


def sign_event(ce: CloudEvent, secret: bytes | str) -> CloudEvent:
    """The same event with its ``corridorsig`` extension set."""
    extensions = {**ce.extensions, SIGNATURE_EXTENSION: sign(signed_bytes(ce), secret)}
    return ce.model_copy(update={"extensions": extensions})


def signature_problem(ce: CloudEvent, secret: bytes | str) -> Problem | None:
    """Why the event's ``corridorsig`` does not prove ``secret``'s holder sent exactly this
    envelope: "missing" (absent or empty) or "invalid"; None when it does. Constant time."""
    signature = ce.extensions.get(SIGNATURE_EXTENSION, "").strip().lower()
    if not signature:
        return "missing"
    try:
        expected = sign(signed_bytes(ce), secret)
    except ValueError:
        return "invalid"
    same = hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
    return None if same else "invalid"


def verify_event(ce: CloudEvent, secret: bytes | str) -> bool:
    """Whether the event carries a valid ``corridorsig`` for its envelope."""
    return signature_problem(ce, secret) is None
