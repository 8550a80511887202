"""A failed delivery stops the worker at once (services/delivered.py); a delivered or cancelled
one does not."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError

from services import delivered


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    codes: list[int] = []
    monkeypatch.setattr(delivered, "exit_now", codes.append)
    return codes


async def test_a_failed_delivery_stops_the_worker(exits: list[int]) -> None:
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    assert delivered.watch(future, "allocation.decisions.v1") is future
    future.set_exception(KafkaTimeoutError())
    await asyncio.sleep(0)
    assert exits == [delivered.EXIT_CODE]


async def test_the_exit_comes_before_whoever_waits_for_the_flush(exits: list[int]) -> None:
    """faust commits offsets once `producer.flush()` returns, and aiokafka's flush waits for the
    batch futures: the watcher, added when the batch was handed over, runs first."""
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    delivered.watch(future, "region-state-changelog")
    seen_by_commit: list[list[int]] = []

    async def flush_then_commit() -> None:
        await asyncio.wait([future])
        seen_by_commit.append(list(exits))

    committing = asyncio.ensure_future(flush_then_commit())
    await asyncio.sleep(0)
    future.set_exception(KafkaTimeoutError())
    await committing
    assert seen_by_commit == [[delivered.EXIT_CODE]]


async def test_delivered_or_cancelled_is_no_loss(exits: list[int]) -> None:
    loop = asyncio.get_running_loop()
    ok: asyncio.Future[object] = loop.create_future()
    stopped: asyncio.Future[object] = loop.create_future()
    delivered.watch(ok, "t")
    delivered.watch(stopped, "t")
    ok.set_result(object())
    stopped.cancel()
    await asyncio.sleep(0)
    assert exits == []
