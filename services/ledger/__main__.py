"""`python -m services.ledger worker`: run the ledger; faust-style options (-l warn) are ignored."""

from __future__ import annotations

import asyncio
import signal
import sys

from services.config import Settings
from services.ledger.agents import run
from services.ledger.app import Wiring
from services.logging import configure


async def _main() -> None:
    settings = Settings()
    configure("ledger", settings.log_level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(Wiring.of(settings), stop)


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "worker":
        print("usage: python -m services.ledger worker [options ignored]", file=sys.stderr)
        return 2
    asyncio.run(_main())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
