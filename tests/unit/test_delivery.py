"""services.delivery: the drain loop's hand-over of a message runs at once; one that has to wait
goes on under faust's `wait_first`, which a suspended flow still cuts short."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from faust.transport.drivers import aiokafka as driver
from mode import Service

from services.delivery import RECHECK, QuickDelivery, quick_delivery


def _consumer(name: str) -> Any:
    app = faust.App(name, broker="kafka://127.0.0.1:1")
    quick_delivery(app)
    app.on_worker_init.send()  # what `faust worker` does before it builds the consumer
    return app.consumer


async def test_a_delivery_that_does_not_wait_needs_no_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = _consumer("delivery-at-once")
    assert isinstance(consumer, QuickDelivery)

    async def no_tasks(*_: Any, **__: Any) -> Any:
        raise AssertionError("mode's wait_first (four tasks) for a delivery that does not wait")

    monkeypatch.setattr(Service, "wait_first", no_tasks)
    delivered: list[str] = []

    async def deliver() -> int:
        delivered.append("event")
        return 7

    suspended = consumer.suspend_flow.wait()
    result = await consumer.wait_first(deliver(), suspended)
    assert delivered == ["event"]
    assert result.results == [7] and not result.stopped
    assert suspended.cr_frame is None  # closed, never started


async def test_a_delivery_that_waits_goes_on_to_its_end() -> None:
    consumer = _consumer("delivery-waits")
    room: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def deliver() -> int:
        steps.append("start")
        await asyncio.sleep(0)  # a bare yield
        got = await room  # e.g. a full stream buffer
        steps.append("put")
        return got

    waiting = asyncio.ensure_future(consumer.wait_first(deliver(), consumer.suspend_flow.wait()))
    await asyncio.sleep(0.01)
    assert steps == ["start"] and not waiting.done()
    room.set_result(3)
    result = await waiting
    assert steps == ["start", "put"] and result.results == [3]


async def test_an_error_while_waiting_comes_out() -> None:
    consumer = _consumer("delivery-error")
    room: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def deliver() -> int:
        return await room

    waiting = asyncio.ensure_future(consumer.wait_first(deliver(), consumer.suspend_flow.wait()))
    await asyncio.sleep(0.01)
    room.set_exception(ValueError("decode"))
    with pytest.raises(ValueError, match="decode"):
        await waiting


async def test_a_suspended_flow_ends_a_delivery_that_waits() -> None:
    consumer = _consumer("delivery-rebalance")
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    ended: list[str] = []

    async def deliver() -> None:
        try:
            await never
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    suspended = consumer.suspend_flow.wait()
    waiting = asyncio.ensure_future(consumer.wait_first(deliver(), suspended))
    await asyncio.sleep(0.01)
    consumer.suspend_flow.set()  # a rebalance begins (Consumer.stop_flow)
    result = await asyncio.wait_for(waiting, 5)
    assert result.done == [suspended]
    await asyncio.sleep(0.01)
    assert ended == ["cancelled"]


def test_it_goes_on_top_of_the_consumer_class_the_app_chose() -> None:
    class Chosen(driver.Consumer):  # e.g. services.fetching's
        pass

    app = faust.App("delivery-on-top", broker="kafka://127.0.0.1:1")
    app.transport.Consumer = Chosen  # type: ignore[misc]
    quick_delivery(app)
    app.on_worker_init.send()
    app.on_worker_init.send()  # faust's command line sends it more than once
    consumer_class = app.transport.Consumer
    assert issubclass(consumer_class, QuickDelivery) and issubclass(consumer_class, Chosen)
    assert consumer_class.__mro__[2] is Chosen  # wrapped once


async def test_a_request_for_records_waits_at_most_recheck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = _consumer("delivery-recheck")
    waits: list[float] = []

    async def fetched(self: Any, active_partitions: Any, timeout: float) -> Any:  # noqa: ASYNC109
        waits.append(timeout)
        return {}

    base = type(consumer).__mro__[2]  # the app's own consumer class, under QuickDelivery
    monkeypatch.setattr(base, "_getmany", fetched)
    await consumer._getmany(set(), 1.0)  # faust's drain loop asks with a 1 s timeout
    await consumer._getmany(set(), 0.01)
    assert waits == [RECHECK, 0.01]
    assert RECHECK < 1.0
