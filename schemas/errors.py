"""Typed codec errors, with short, precise messages fit for ``ingress.rejected.v1``."""

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas.types import RejectReason

MAX_ERRORS_SHOWN = 5
MAX_PART = 200


class CodecError(ValueError):
    """Bytes or an envelope that cannot become a Corridor event; ``reason`` says why."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"CodecError({self.reason.value!r}, {self.message!r})"


def _loc(loc: Sequence[int | str], root: str) -> str:
    return ".".join(str(part)[:40] for part in loc) or root


def _masked(error: ErrorDetails, locs: set[tuple[int | str, ...]]) -> bool:
    """A ``too_short`` on a collection whose items failed is noise: its items' errors say it."""
    loc = tuple(error["loc"])
    return error["type"] == "too_short" and any(
        other[: len(loc)] == loc and len(other) > len(loc) for other in locs
    )


def describe(exc: ValidationError, root: str = "data") -> str:
    """``households.0.size: Input should be greater than or equal to 1; …`` (at most ~1000 chars).

    Messages name fields and constraints, never the offending values.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    locs = {tuple(e["loc"]) for e in errors}
    shown = [e for e in errors if not _masked(e, locs)]
    parts = [
        f"{_loc(e['loc'], root)}: {e['msg'].removeprefix('Value error, ')[:MAX_PART]}"
        for e in shown[:MAX_ERRORS_SHOWN]
    ]
    if len(shown) > MAX_ERRORS_SHOWN:
        parts.append(f"and {len(shown) - MAX_ERRORS_SHOWN} more errors")
    return "; ".join(parts)
