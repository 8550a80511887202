"""Loaded (as ``sitecustomize``, through PYTHONPATH) into the workers of the slow-delivery
SIGKILL test in tests/integration/test_allocator.py: a loaded machine, made to order.

The producer lingers ``CORRIDOR_TEST_LINGER`` seconds, so a batch's records are still on their
way when the worker is killed, and a table's record batches are reported delivered
``CORRIDOR_TEST_SLOW_ACK`` seconds after the broker acknowledged them, as when the event loop is
slow to run the callbacks. Before the store waited for the broker (session 7), the files of a
worker killed in that window held writes ahead of the changelog and of the persisted offset,
and the restarted worker decided some events differently (docs/architecture.md "The store
never runs ahead of the changelog")."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from services import streams, tables

streams.THROUGHPUT["producer_linger"] = float(os.environ["CORRIDOR_TEST_LINGER"])
_DELAY = float(os.environ["CORRIDOR_TEST_SLOW_ACK"])
_send_records = tables.send_records


def _late(future: Any) -> Any:
    """A future that settles as ``future`` did, ``_DELAY`` seconds later."""
    loop = asyncio.get_running_loop()
    late = loop.create_future()

    def copy(done: Any) -> None:
        if done.cancelled():
            late.cancel()
        elif done.exception() is not None:
            late.set_exception(done.exception())
        else:
            late.set_result(done.result())

    future.add_done_callback(lambda done: loop.call_later(_DELAY, copy, done))
    return late


async def _slow_send_records(*args: Any, **kwargs: Any) -> list[tuple[Any, int]]:
    return [(_late(sent), count) for sent, count in await _send_records(*args, **kwargs)]


tables.send_records = _slow_send_records
