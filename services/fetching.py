"""How a processor's consumer fetches: how long the broker may hold a fetch request open when
it has nothing to send, and where a partition without a committed offset is read from again.

faust builds its aiokafka consumer with ``fetch_max_wait_ms=1500`` (not a setting), and aiokafka
keeps one fetch in flight per broker, for the partitions that have no fetched records waiting
to be handed over. A partition whose records were still waiting when that request left is
fetched again only after the request returns: when one of its partitions gets data, or after
1.5 s. Where the request holds only partitions that get no data, that is 1.5 s while the next
records of the others sit on the broker:

* intake feeds itself (the gate writes `intake.admitted.v1`, which its sequencer reads):
  `python -m services.bench.intake_alone` with the fetches traced showed requests of 1.5 s,
  back to back, while the sequencer's queue was empty and its next records sat on the broker;
* the allocator reads the region log, whose 12 partitions the regions do not all use: in
  `corridor bench pipeline` (10 regions on 7 partitions) its traced fetches held only the 5
  empty partitions for 1.50 s, 11 and 6 times in two runs' climbs, while the ticks and alerts
  of the other 7 waited on the broker (docs/architecture.md "End to end").

When a worker's recovery ends, faust resumes the stream partitions, seeks them to their
committed offsets and then resumes the flow, which clears every stream's queue: what was
handed over before the seek is read again from the committed offset. aiokafka seeks only
partitions with a committed offset above 0; any other stays where the fetcher got to, so
records cleared from the queue there were never read again: a worker that restarts before its
group ever committed (the one before it stopped or was killed within its first commit
interval, or a new group) could lose them. :class:`FromTheStart` seeks those partitions to
their beginning (``earliest``, where the worker started them), as a committed offset would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

FETCH_WAIT = 0.05
"""Seconds; at most this many idle fetch requests per second and broker."""


def shorten_fetch_wait(app: faust.App, seconds: float = FETCH_WAIT) -> None:
    """Make ``app``'s consumer (not yet created) wait at most ``seconds`` per fetch."""
    wait_ms = max(1, round(seconds * 1000))

    class Thread(FromTheStart, driver.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> Any:
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = wait_ms  # read by AIOKafkaConsumer.start()
            return consumer

    class Consumer(driver.Consumer):
        def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
            return Thread(self, loop=self.loop, beacon=self.beacon)

    if app._consumer is not None:  # the class only matters before the consumer exists
        raise RuntimeError("shorten_fetch_wait: the app's consumer already exists")
    app.transport.Consumer = Consumer  # type: ignore[misc]


class FromTheStart:
    """A mixin of faust's consumer thread (which holds aiokafka's consumer): seeking to the
    committed offsets also seeks the stream partitions that have none (or 0) to their
    beginning (see the module's docstring)."""

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed: Mapping[Any, int] = await super().seek_to_committed()  # type: ignore[misc]
        changelogs = self.app.tables.changelog_topics  # type: ignore[attr-defined]
        unread = [tp for tp, offset in committed.items()
                  if not offset and tp.topic not in changelogs]  # fmt: skip
        if unread:
            await self.seek_to_beginning(*unread)  # type: ignore[attr-defined]
        return committed
