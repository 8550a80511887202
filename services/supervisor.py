"""`corridor run` keeps its processors running: a worker that exits on its own is started again.

A worker exits on its own when it cannot go on safely: a record batch the broker refused
(exit 75, services/delivered.py: "run it again"), a crash, a kill from outside. Its successor
starts from the last committed offsets, and the crash-safety story (deterministic ids, the
journal, the catch-up) makes that safe; so the one thing `corridor run` must not do is stop
every processor, as it did until session 7, and leave the operations room without decisions.
A worker that cannot start at all (bad credentials, a broker that is gone) would loop for
ever: after ``give_up`` quick exits in a row, `corridor run` says so and stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from services.delivered import EXIT_CODE


@dataclass
class Restarts:
    """When to start a worker again after it exited on its own. Pure: how long it ran comes in,
    the delay before the next start (``None``: give up) goes out."""

    first_s: float = 1.0
    most_s: float = 30.0
    healthy_s: float = 60.0  # a worker that ran this long had started well: back to `first_s`
    give_up: int = 5  # quick exits in a row

    quick: int = 0  # exits in a row, each before `healthy_s`

    def after_exit(self, ran_s: float) -> float | None:
        self.quick = 1 if ran_s >= self.healthy_s else self.quick + 1
        if self.quick >= self.give_up:
            return None
        return min(self.first_s * 2 ** (self.quick - 1), self.most_s)


def why(code: int) -> str:
    """What an exit code says, in the words of the line `corridor run` prints."""
    if code == EXIT_CODE:
        return f"exit {code}: a delivery to the broker failed"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit {code}"


@dataclass
class Supervised:
    """One processor's current worker process, started again by :meth:`keep`."""

    name: str
    start: Callable[[], Awaitable[asyncio.subprocess.Process]]
    logs: Path
    restarts: Restarts
    process: asyncio.subprocess.Process | None = None
    gave_up: int | None = None  # the last exit code, when `keep` gave up

    async def keep(self, stopping: asyncio.Event, console: Console) -> None:
        """Start the worker, and again each time it exits on its own, until ``stopping`` is set
        or it exits too often (then ``gave_up`` holds its exit code)."""
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            self.process = await self.start()
            started = loop.time()
            code = await self.process.wait()
            if stopping.is_set():
                return
            delay = self.restarts.after_exit(loop.time() - started)
            said = f"{self.name} stopped ({why(code)})"
            see = f"see {self.logs}/{self.name}.log"
            if delay is None:
                times = self.restarts.give_up
                console.print(f"{said}, {times} times in a row: not starting it again; {see}",
                              markup=False, soft_wrap=True)  # fmt: skip
                self.gave_up = code
                return
            console.print(f"{said}: starting it again in {delay:g} s; {see}",
                          markup=False, soft_wrap=True)  # fmt: skip
            try:
                await asyncio.wait_for(stopping.wait(), delay)
            except TimeoutError:
                continue
