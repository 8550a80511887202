"""`python -m services.bench.rawloop BOOTSTRAP SOURCE SINK GROUP`: the raw aiokafka baseline
as a process of its own, like a processor worker. Runs until SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from services.bench.kafka import raw_loop


async def main(bootstrap: str, source: str, sink: str, group: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await raw_loop(bootstrap, source, sink, group, stop)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
