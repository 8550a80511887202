"""No partner moves time: the times a partner states are checked against the log's.

The log time of an ingress record is the broker's (``LogAppendTime`` on ingress topics), never
the partner's. An event's ``time`` may be ahead of it by at most ``ahead`` and behind it by at
most ``behind`` (the replay window); every time in the payload that says when something was
seen or reported may be ahead by at most ``ahead``. Pure: times come in as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.base import Contract
from schemas.types import RejectReason

PAYLOAD_TIMES = ("reported_at", "observed_at", "acknowledged_at", "decided_at", "sent")
"""Payload fields that state when something happened (``expires`` may lie ahead)."""


@dataclass(frozen=True)
class TimeLimits:
    ahead: timedelta = timedelta(minutes=5)
    behind: timedelta = timedelta(days=7)


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds >= 86_400:
        return f"{seconds // 86_400} d {seconds % 86_400 // 3600} h"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min {seconds % 60:02d} s"


def time_problem(
    event_time: datetime | None, payload: Contract, log_time: datetime, limits: TimeLimits
) -> tuple[RejectReason, str] | None:
    """Why the times of an event cannot be accepted at ``log_time``; None when they can."""
    if event_time is None:
        return RejectReason.INVALID_ENVELOPE, "time: required on partner events (it is signed)"
    if event_time - log_time > limits.ahead:
        return RejectReason.FROM_THE_FUTURE, (
            f"time is {_span(event_time - log_time)} ahead of the log"
            f" (at most {_span(limits.ahead)})"
        )
    if log_time - event_time > limits.behind:
        return RejectReason.STALE, (
            f"time is {_span(log_time - event_time)} behind the log, beyond the replay window"
            f" of {_span(limits.behind)}"
        )
    fields = type(payload).model_fields  # a missing attribute is slow on a pydantic model
    for name in PAYLOAD_TIMES:
        stated = getattr(payload, name) if name in fields else None
        if isinstance(stated, datetime) and stated - log_time > limits.ahead:
            return RejectReason.FROM_THE_FUTURE, (
                f"{name} is {_span(stated - log_time)} ahead of the log"
                f" (at most {_span(limits.ahead)})"
            )
    return None


DEFAULT_LIMITS = TimeLimits()
