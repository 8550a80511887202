"""How long a processor has had records waiting without progress, between the server's looks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.opscentre.pipeline import Progress
from services.stack.backlog import Backlog

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def look(progress: Progress, seconds: int, waiting: int, position: int) -> int | None:
    found = [Backlog("allocator", "Stable", 1, {"t": waiting} if waiting else {}, None, position)]
    (one,) = progress.looked(found, T0 + timedelta(seconds=seconds))
    assert one.waiting == waiting and one.workers == 1
    return one.stalled_seconds


def test_stalled_counts_from_the_last_progress_while_records_wait() -> None:
    progress = Progress()
    assert look(progress, 0, waiting=5, position=10) == 0  # first seen waiting
    assert look(progress, 15, waiting=9, position=10) == 15  # more waiting, no progress
    assert look(progress, 30, waiting=4, position=20) == 0  # it committed past some
    assert look(progress, 90, waiting=4, position=20) == 60
    assert look(progress, 95, waiting=0, position=24) is None  # caught up: forgotten
    assert look(progress, 100, waiting=1, position=24) == 0  # a new record: from now
