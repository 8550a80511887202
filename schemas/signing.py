"""Partner signatures: HMAC-SHA256 over the canonical bytes of an event's ``data``.

For partners: the signature travels in the ``corridorsig`` extension attribute (binary mode:
the ``ce_corridorsig`` header) as lower-case hex of HMAC-SHA256(secret, canonical data bytes).
The canonical data bytes are the JSON of ``data`` serialised with object keys sorted by code
point, no insignificant whitespace, UTF-8 without escaping non-ASCII, and numbers in their
shortest round-trip form, exactly as produced by :func:`schemas.codec.canonical_json` (orjson
with ``OPT_SORT_KEYS``). Verification re-serialises the received ``data`` that way, so the
bytes a partner sent need not be canonical, but the signature must be over the canonical form.
"""

import hashlib
import hmac

from schemas.codec import canonical_json
from schemas.envelope import SIGNATURE_EXTENSION, CloudEvent


def _key(secret: bytes | str) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(data_bytes: bytes, secret: bytes | str) -> str:
    """Hex HMAC-SHA256 of ``data_bytes``."""
    return hmac.new(_key(secret), data_bytes, hashlib.sha256).hexdigest()


def verify(data_bytes: bytes, signature: str, secret: bytes | str) -> bool:
    """Whether ``signature`` is the HMAC of ``data_bytes``, compared in constant time."""
    expected = sign(data_bytes, secret).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))


def sign_event(ce: CloudEvent, secret: bytes | str) -> CloudEvent:
    """The same event with its ``corridorsig`` extension set."""
    signature = sign(canonical_json(ce.data), secret)
    extensions = {**ce.extensions, SIGNATURE_EXTENSION: signature}
    return ce.model_copy(update={"extensions": extensions})


def verify_event(ce: CloudEvent, secret: bytes | str) -> bool:
    """Whether the event carries a valid ``corridorsig`` for its data; False when it has none."""
    signature = ce.extensions.get(SIGNATURE_EXTENSION)
    return signature is not None and verify(canonical_json(ce.data), signature, secret)
