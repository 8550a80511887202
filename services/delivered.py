"""A record the broker did not take stops the worker before its offsets move past it.

The batched agents hand their writes to aiokafka's producer and acknowledge the batch without
waiting for the broker (docs/architecture.md "Crash safety of the allocator"); faust commits
offsets after ``producer.flush()``, which waits for every batch in flight but does not fail
when one of them failed. A batch that failed after aiokafka's own retries (the broker refused
it, its partition had no leader until the delivery timeout) would then be committed past: the
decisions, refusals or region events in it lost, with nothing in the log to say so but
aiokafka's error line.

So every delivery future of a processor's own sends is watched: on a failure the worker logs
it and exits at once with ``EXIT_CODE``, as if killed. A hard exit, not faust's stop, because a
stopping faust worker commits its offsets. The next worker starts from the last commit, before
the lost batch, and the crash-safety story applies (deterministic ids, the journal, catch-up).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import structlog

EXIT_CODE = 75
"""EX_TEMPFAIL: the worker stopped for a failure it cannot see past; run it again."""

log = structlog.get_logger("delivery")


def _exit(code: int) -> None:  # pragma: no cover - replaced in unit tests
    os._exit(code)


exit_now: Callable[[int], None] = _exit


def watch(future: Any, what: str) -> Any:
    """Stop the worker if ``future`` (an aiokafka delivery future) fails; return it. ``what``
    names the topic or table, for the log. A cancelled future is the producer stopping after
    the last commit, not a loss."""

    def check(done: Any) -> None:
        if done.cancelled() or done.exception() is None:
            return
        error = done.exception()
        log.critical(
            "delivery failed: stopping before the offsets move past it",
            what=what, error=type(error).__name__, detail=str(error)[:200],
        )  # fmt: skip
        exit_now(EXIT_CODE)

    future.add_done_callback(check)
    return future
