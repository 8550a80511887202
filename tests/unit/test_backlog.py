"""The backlog's pure parts: what each processor reads, and its line in `corridor status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.catalogue import INGRESS_TOPICS
from services.stack.backlog import Backlog, Late, Progress, inputs

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def test_each_processor_reads_what_its_acls_let_it() -> None:
    reads = inputs("ns")
    assert reads["allocator"] == reads["escalator"] == ["ns.region.events.v1"]
    assert set(reads["intake"]) == {f"ns.{s.name}" for s in INGRESS_TOPICS} | {
        "ns.intake.admitted.v1"}  # fmt: skip
    assert "ns.region.events.v1" in reads["ledger"]
    assert "ns.allocation.decisions.v1" in reads["ledger"]


def test_a_line_says_who_works_what_waits_and_since_when() -> None:
    idle = Backlog("ledger", "Stable", 1)
    assert idle.describe(NOW) == "1 worker (Stable); nothing waiting"
    behind = Backlog("allocator", "Empty", 0, {"b": 1, "a": 1_200, "c": 0},
                     NOW - timedelta(hours=2, minutes=5))  # fmt: skip
    assert behind.total == 1_201
    assert behind.describe(NOW) == (
        "no worker (Empty); 1,201 records waiting (a 1,200, b 1), the oldest from 2 h ago"
    )
    one = Backlog("intake", "Stable", 2, {"x": 1}, NOW + timedelta(seconds=3))  # clocks differ
    assert (
        one.describe(NOW) == "2 workers (Stable); 1 record waiting (x 1), the oldest from 0 s ago"
    )


def look(progress: Progress, seconds: int, waiting: int, position: int) -> int | None:
    found = [Backlog("allocator", "Stable", 1, {"t": waiting} if waiting else {}, None, position)]
    ((_, stalled),) = progress.looked(found, NOW + timedelta(seconds=seconds))
    return stalled


def test_stalled_counts_from_the_last_progress_while_records_wait() -> None:
    progress = Progress()
    assert look(progress, 0, waiting=5, position=10) == 0  # first seen waiting
    assert look(progress, 15, waiting=9, position=10) == 15  # more waiting, no progress
    assert look(progress, 30, waiting=4, position=20) == 0  # it committed past some
    assert look(progress, 90, waiting=4, position=20) == 60
    assert look(progress, 95, waiting=0, position=24) is None  # caught up: forgotten
    assert look(progress, 100, waiting=1, position=24) == 0  # a new record: from now


def test_a_processor_is_said_behind_once_and_caught_up_once() -> None:
    late = Late(after_s=60)

    def looked(seconds: int, **positions: int | None) -> list[str]:
        found = [Backlog(p, "Stable", 1, {"t": 5} if at is not None else {}, None, at or 0)
                 for p, at in positions.items()]  # fmt: skip
        return [line for _, line in late.lines(found, NOW + timedelta(seconds=seconds))]

    assert looked(0, allocator=10, ledger=None) == []
    assert looked(61, allocator=10, ledger=3) == [
        "allocator is behind, no progress for 1 min: 1 worker (Stable); 5 records waiting (t 5)"
    ]
    assert looked(75, allocator=10, ledger=3) == []  # still behind: said once
    assert looked(140, allocator=11, ledger=3) == [
        "allocator makes progress again: 1 worker (Stable); 5 records waiting (t 5)",
        "ledger is behind, no progress for 1 min: 1 worker (Stable); 5 records waiting (t 5)",
    ]
    assert late.behind == {"ledger"}


def test_a_group_kafka_calls_dead_is_no_group() -> None:
    assert Backlog("escalator", "Dead", 0).describe(NOW) == "no worker (no group); nothing waiting"
