"""`python -m services.escalator worker`: run the escalator until SIGTERM or Ctrl-C.

Faust-style options (``-l warn``) are accepted, so every processor starts the same way."""

import argparse
import asyncio
import signal

from services.escalator.agents import run


async def _main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m services.escalator")
    parser.add_argument("command", choices=["worker"])
    parser.add_argument("-l", "--loglevel", default=None, help="ignored: CORRIDOR_LOG_LEVEL rules")
    parser.parse_known_args()
    asyncio.run(_main())
