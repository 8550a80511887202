"""Opaque pagination cursors: the (time, id) of the last row of a page. Pure.

Lists are ordered newest first by ``(time, id)``; the next page holds the rows strictly before
the cursor's position. The cursor is base64url JSON, so clients treat it as an opaque string.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

import orjson

MAX_CURSOR_LENGTH = 400
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,400}$"


class BadCursor(ValueError):
    """A cursor this server did not make (or made for another list)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    time: datetime
    id: str


def encode_cursor(cursor: Cursor) -> str:
    raw = orjson.dumps([cursor.time.isoformat(), cursor.id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    if not text or len(text) > MAX_CURSOR_LENGTH:
        raise BadCursor("invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = orjson.loads(raw)
        time_text, row_id = value
        if not isinstance(time_text, str) or not isinstance(row_id, str):
            raise BadCursor("invalid cursor")
        moment = datetime.fromisoformat(time_text)
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise BadCursor("invalid cursor") from exc
    if moment.tzinfo is None:
        raise BadCursor("invalid cursor")
    return Cursor(moment, row_id)
