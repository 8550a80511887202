"""When a processor's batch ends (services/streams.py): the queue stays empty, or the batch is old.
No timing is asserted: each case is decided by the queue and by a start set in the past."""

from __future__ import annotations

import asyncio

from services.streams import BATCH_AGE, batch_clock, more_coming


async def test_a_young_batch_takes_what_the_queue_holds() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    assert await more_coming(queue, batch_clock())


async def test_an_old_batch_ends_even_while_events_keep_coming() -> None:
    """At a steady rate the queue is never empty: without the age the batch would run to BATCH
    and hold its first event for seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    queue.put_nowait(1)
    assert not await more_coming(queue, batch_clock() - BATCH_AGE)


async def test_a_batch_ends_when_nothing_comes() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    assert not await more_coming(queue, batch_clock(), within=0.0)


async def test_an_event_arriving_while_waiting_continues_the_batch() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    asyncio.get_running_loop().call_soon(queue.put_nowait, 1)
    assert await more_coming(queue, batch_clock(), within=60.0, age=120.0)
