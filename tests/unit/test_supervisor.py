"""`corridor run` starts a worker again when it exits on its own, backing off, and gives up on
one that cannot start (services/supervisor.py)."""

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

QUICK = Restarts(first_s=0.01, most_s=0.04, healthy_s=30.0, give_up=4)


@given(st.lists(st.floats(min_value=0, max_value=120), max_size=30))
def test_quick_exits_back_off_and_give_up_a_healthy_run_starts_over(runs: list[float]) -> None:
    policy = Restarts()
    quick = 0
    for ran in runs:
        delay = policy.after_exit(ran)
        quick = 1 if ran >= policy.healthy_s else quick + 1
        if quick >= policy.give_up:
            assert delay is None
            return
        assert delay == min(policy.first_s * 2 ** (quick - 1), policy.most_s)
        assert delay is not None and policy.first_s <= delay <= policy.most_s


def test_the_delays_double_up_to_the_most() -> None:
    policy = Restarts(first_s=1, most_s=5, give_up=6)
    assert [policy.after_exit(0.5) for _ in range(6)] == [1, 2, 4, 5, 5, None]


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

    def after_exit(self, ran_s: float) -> float | None:
        self.exited.set()
        return super().after_exit(ran_s)


async def test_a_worker_that_keeps_failing_is_started_again_then_given_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[int] = []
    worker = Supervised("allocator", starter(f"raise SystemExit({EXIT_CODE})", started),
                        tmp_path, Restarts(**vars(QUICK)))  # fmt: skip
    await asyncio.wait_for(worker.keep(asyncio.Event(), Console()), 60)
    out = capsys.readouterr().out
    assert len(started) == QUICK.give_up
    assert worker.gave_up == EXIT_CODE
    assert out.count("a delivery to the broker failed): starting it again") == QUICK.give_up - 1
    assert "4 times in a row: not starting it again" in out


async def test_a_stop_during_the_backoff_starts_nothing(tmp_path: Path) -> None:
    started: list[int] = []
    stopping = asyncio.Event()
    policy = Noted(first_s=30.0, give_up=4)
    policy.exited = asyncio.Event()
    worker = Supervised("intake", starter("raise SystemExit(1)", started), tmp_path, policy)
    keeping = asyncio.create_task(worker.keep(stopping, Console()))
    await asyncio.wait_for(policy.exited.wait(), 30)  # it waits 30 s to start it again
    stopping.set()
    await asyncio.wait_for(keeping, 10)
    assert (len(started), worker.gave_up) == (1, None)


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
    assert (len(started), worker.gave_up) == (1, None)
