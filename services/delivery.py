"""How a faust worker's consumer hands each fetched message to the streams.

faust's drain loop (`Consumer._drain_messages`) delivers every message with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: mode's `wait_first`
makes four tasks (the delivery, the flow's event, the service's stopped and crashed events),
waits for the first, then cancels the other three, so one message costs about seven turns of
the event loop. The wait is there for a delivery that has to wait (a full stream buffer, flow
control during a rebalance, a full producer buffer): a rebalance that suspends the flow ends it.
Most deliveries never wait: the conductor puts the event in the stream's queue and returns.

`QuickDelivery` runs the delivery's first step at once; a delivery that finishes there is done
without a task, and one that has to wait goes on under faust's `wait_first`, as before. The
trivial agent of `corridor bench allocator` spent 40 % less CPU per message
(docs/architecture.md "Throughput").

The drain loop now outruns a stream on a backlog, and a stream's buffer fills to faust's high
mark (`stream_buffer_maxsize` / 1.25): faust then leaves that stream's partitions out of its
fetches until the buffer is down to 40 %. The drain loop asks for records with a 1 s timeout, and
a request for only the other partitions (say, the region log's partitions no region uses) waits
that whole second, also once the stream's partitions are back and their records are in hand: the
stream ran dry while records sat in the consumer. `QuickDelivery` asks again every `RECHECK`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import faust
from mode.services import WaitResults

RECHECK = 0.05
"""Seconds a request for fetched records waits at most (faust's drain loop: 1 s); at most this
many hops to the consumer's thread per second while idle."""


async def _rest(coro: Coroutine[Any, Any, Any], step: Any) -> Any:
    """Run ``coro`` on from where its first step (``coro.send(None)``) left it, having yielded
    ``step``, as an asyncio Task would: wait for the future it yielded (a bare yield is one turn
    of the loop), then send it on, or throw the future's error (a cancellation too) into it."""
    while True:
        try:
            if step is None:
                await asyncio.sleep(0)
            else:
                step._asyncio_future_blocking = False  # taken over, as a Task takes it
                await step
        except BaseException as exc:  # every error goes on into the coroutine, as in a Task
            try:
                step = coro.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                step = coro.send(None)
            except StopIteration as done:
                return done.value


class QuickDelivery:
    """A faust Consumer mixin: the drain loop's `wait_first` (the only call of it on a consumer
    with two arguments) starts the delivery at once."""

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:  # noqa: ASYNC109 (mode's signature)
        if len(coros) != 2 or timeout is not None or not asyncio.iscoroutine(coros[0]):
            return await super().wait_first(*coros, timeout=timeout)  # type: ignore[misc]
        deliver, suspended = coros
        try:
            step = deliver.send(None)
        except StopIteration as done:
            if asyncio.iscoroutine(suspended):
                suspended.close()  # never started: no "was never awaited" warning
            return WaitResults([deliver], [done.value], False)
        except BaseException:
            if asyncio.iscoroutine(suspended):
                suspended.close()
            raise
        rest = _rest(deliver, step)
        return await super().wait_first(rest, suspended, timeout=timeout)  # type: ignore[misc]

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:  # noqa: ASYNC109 (faust's)
        """Records fetched for the active partitions, waiting at most `RECHECK` for them."""
        return await super()._getmany(active_partitions, min(timeout, RECHECK))  # type: ignore[misc]


def quick_delivery(app: faust.App) -> None:
    """Give ``app``'s consumer `QuickDelivery` when `faust worker` starts it: on top of whatever
    consumer class the app's module chose by then (e.g. `services.fetching`'s)."""

    def on_worker_init(sender: Any, /, *_: Any, **__: Any) -> None:
        base = app.transport.Consumer
        if app._consumer is not None or issubclass(base, QuickDelivery):
            return  # too late for this process's consumer, or done already
        app.transport.Consumer = type(base.__name__, (QuickDelivery, base), {})  # type: ignore[misc]

    app.on_worker_init.connect(on_worker_init)
