"""The backlog's pure parts: what each processor reads, and its line in `corridor status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.catalogue import INGRESS_TOPICS
from services.stack.backlog import Backlog, Late, inputs

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


def test_a_processor_is_said_behind_once_and_caught_up_once() -> None:
    late = Late(after_s=60)
    at = {"allocator": NOW - timedelta(seconds=61), "ledger": NOW - timedelta(seconds=59)}

    def looked(**oldest: datetime | None) -> list[str]:
        found = [Backlog(p, "Stable", 1, {"t": 1} if o else {}, o) for p, o in oldest.items()]
        return [line for _, line in late.lines(found, NOW)]

    said = looked(**at)
    assert [s.split(":")[0] for s in said] == ["allocator is behind"]
    assert looked(**at) == []  # still behind: said once
    assert looked(allocator=None, ledger=NOW - timedelta(hours=1)) == [
        "allocator has caught up: 1 worker (Stable); nothing waiting",
        "ledger is behind: 1 worker (Stable); 1 record waiting (t 1), the oldest from 1 h ago",
    ]
    assert late.behind == {"ledger"}


def test_a_group_kafka_calls_dead_is_no_group() -> None:
    assert Backlog("escalator", "Dead", 0).describe(NOW) == "no worker (no group); nothing waiting"
