"""How long the broker may hold a processor's fetch requests open when it has nothing to send.

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
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as driver

FETCH_WAIT = 0.05
"""Seconds; at most this many idle fetch requests per second and broker."""


def shorten_fetch_wait(app: faust.App, seconds: float = FETCH_WAIT) -> None:
    """Make ``app``'s consumer (not yet created) wait at most ``seconds`` per fetch."""
    wait_ms = max(1, round(seconds * 1000))

    class Thread(driver.AIOKafkaConsumerThread):
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
