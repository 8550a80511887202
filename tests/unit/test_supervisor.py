"""`corridor run` starts a worker again when it exits on its own, backing off, and keeps trying
one that does not start, saying so now and then (services/supervisor.py)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from services.delivered import EXIT_CODE
from services.supervisor import Restarts, Supervised

QUICK = Restarts(first_s=0.01, most_s=0.04, healthy_s=30.0, failing=4, say_every=5)


@given(st.lists(st.floats(min_value=0, max_value=120), max_size=2000))
def test_quick_exits_back_off_for_ever_a_healthy_run_starts_over(runs: list[float]) -> None:
    policy = Restarts()
    quick = 0
    for ran in runs:
        delay = policy.after_exit(ran)
        quick = 1 if ran >= policy.healthy_s else quick + 1
        assert delay == min(policy.first_s * 2 ** min(quick - 1, 32), policy.most_s)
        assert policy.first_s <= delay <= policy.most_s
        said = quick <= policy.failing or (quick - policy.failing) % policy.say_every == 0
        assert policy.worth_saying() == said


def test_the_delays_double_up_to_the_most_and_stay_there() -> None:
    policy = Restarts(first_s=1, most_s=5)
    assert [policy.after_exit(0.5) for _ in range(7)] == [1, 2, 4, 5, 5, 5, 5]
    for _ in range(5000):  # hours of a broker that is down: no overflow, no end
        assert policy.after_exit(0.5) == 5


def starter(
    code: str, started: list[int], event: asyncio.Event | None = None
) -> Callable[[], Awaitable[asyncio.subprocess.Process]]:
    async def start() -> asyncio.subprocess.Process:
        started.append(1)
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
        if event is not None:
            event.set()
        return process

    return start


class Noted(Restarts):
    """Says when a worker exited and waits to be started again."""

    exited: asyncio.Event

    def after_exit(self, ran_s: float) -> float:
        self.exited.set()
        return super().after_exit(ran_s)


def tried(tries: Path) -> int:
    return len(tries.read_text()) if tries.exists() else 0


async def test_a_worker_that_does_not_start_is_tried_until_it_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As after a broker outage: it fails 11 times in a row, then starts and runs."""
    started: list[int] = []
    stopping = asyncio.Event()
    tries = tmp_path / "tries"
    code = (f"import pathlib, sys, time; p = pathlib.Path({str(tries)!r}); n = len(p.read_text())"
            f" if p.exists() else 0; p.write_text('x' * (n + 1)); n < 11 and sys.exit({EXIT_CODE});"
            " time.sleep(600)")  # fmt: skip
    policy = Restarts(**{**vars(QUICK), "healthy_s": 0.5})
    worker = Supervised("allocator", starter(code, started), tmp_path, policy)
    keeping = asyncio.create_task(worker.keep(stopping, Console()))
    for _ in range(600):
        if tried(tries) >= 12:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # it runs well for healthy_s: said once
    assert worker.process is not None
    stopping.set()
    worker.process.terminate()
    await asyncio.wait_for(keeping, 30)
    out = capsys.readouterr().out
    assert len(started) == 12
    assert out.count("a delivery to the broker failed): starting it again") == 3  # 1-3
    assert "4 times in a row: it does not start (the broker, the database?); trying again" in out
    assert "9 times in a row" in out  # then every say_every (5) exits, not each
    assert not any(f"{n} times in a row" in out for n in (5, 6, 7, 8, 10, 11))
    assert "allocator runs again (for 0.5 s now, after 11 failed starts)" in out


async def test_a_stop_during_the_backoff_starts_nothing(tmp_path: Path) -> None:
    started: list[int] = []
    stopping = asyncio.Event()
    policy = Noted(first_s=30.0, failing=4)
    policy.exited = asyncio.Event()
    worker = Supervised("intake", starter("raise SystemExit(1)", started), tmp_path, policy)
    keeping = asyncio.create_task(worker.keep(stopping, Console()))
    await asyncio.wait_for(policy.exited.wait(), 30)  # it waits 30 s to start it again
    stopping.set()
    await asyncio.wait_for(keeping, 10)
    assert len(started) == 1


async def test_a_worker_stopped_by_hand_is_not_started_again(tmp_path: Path) -> None:
    started: list[int] = []
    stopping = asyncio.Event()
    running = asyncio.Event()
    worker = Supervised("ledger", starter("import time; time.sleep(600)", started, running),
                        tmp_path, Restarts(**vars(QUICK)))  # fmt: skip
    keeping = asyncio.create_task(worker.keep(stopping, Console()))
    await asyncio.wait_for(running.wait(), 30)
    assert worker.process is not None
    stopping.set()
    worker.process.terminate()  # as `corridor run` stops its workers
    await asyncio.wait_for(keeping, 10)
    assert len(started) == 1
