"""Read a request body up to a limit, refusing as soon as it is exceeded (never buffering
more than the limit plus one chunk)."""

from __future__ import annotations

from collections.abc import AsyncIterator


class TooLarge(Exception):
    """The body is (or says it will be) larger than the limit."""


async def read_limited(chunks: AsyncIterator[bytes], limit: int, declared: str | None) -> bytes:
    """The body; ``declared`` is the Content-Length header, checked before reading anything."""
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise TooLarge(f"{int(declared)} bytes exceed the limit of {limit}")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"more than {limit} bytes (the limit)")
        parts.append(chunk)
    return b"".join(parts)
