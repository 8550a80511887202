"""`corridor run` keeps its processors running: a worker that exits on its own is started again.

A worker exits on its own when it cannot go on safely: a record batch the broker refused
(exit 75, services/delivered.py: "run it again"), a crash, a kill from outside. Its successor
starts from the last committed offsets, and the crash-safety story (deterministic ids, the
journal, the catch-up) makes that safe; so the one thing `corridor run` must not do is stop
every processor, as it did until session 7, and leave the operations room without decisions.
A worker that cannot start (a broker that is down, bad credentials) is tried again every
``most_s`` for as long as `corridor run` runs, and said to be failing once, then every
``say_every`` exits. Until session 8 `corridor run` gave up after 5 quick exits and stopped
every processor: a broker restarted while one worker exited (15 s of backoff) left the whole
room without decisions once the broker was back.
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
    the delay before the next start goes out (never "give up": see the module)."""

    first_s: float = 1.0
    most_s: float = 30.0
    healthy_s: float = 60.0  # a worker that ran this long had started well: back to `first_s`
    failing: int = 5  # quick exits in a row after which it is said not to start
    say_every: int = 10  # then one line every so many quick exits

    quick: int = 0  # exits in a row, each before `healthy_s`

    def after_exit(self, ran_s: float) -> float:
        self.quick = 1 if ran_s >= self.healthy_s else self.quick + 1
        return min(self.first_s * 2 ** min(self.quick - 1, 32), self.most_s)

    def worth_saying(self) -> bool:
        """Whether the last exit gets a line: each until `failing`, then every `say_every`."""
        return self.quick <= self.failing or (self.quick - self.failing) % self.say_every == 0


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

    async def keep(self, stopping: asyncio.Event, console: Console) -> None:
        """Start the worker, and again each time it exits on its own, until ``stopping``."""
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            self.process = await self.start()
            started = loop.time()
            code = await self._wait(self.process, console)
            if stopping.is_set():
                return
            delay = self.restarts.after_exit(loop.time() - started)
            said = f"{self.name} stopped ({why(code)})"
            see = f"see {self.logs}/{self.name}.log"
            quick = self.restarts.quick
            if quick >= self.restarts.failing and self.restarts.worth_saying():
                console.print(f"{said}, {quick} times in a row: it does not start (the broker,"
                              f" the database?); trying again every {self.restarts.most_s:g} s;"
                              f" {see}", markup=False, soft_wrap=True)  # fmt: skip
            elif self.restarts.worth_saying():
                console.print(f"{said}: starting it again in {delay:g} s; {see}",
                              markup=False, soft_wrap=True)  # fmt: skip
            try:
                await asyncio.wait_for(stopping.wait(), delay)
            except TimeoutError:
                continue

    async def _wait(self, process: asyncio.subprocess.Process, console: Console) -> int:
        """Its exit code; a worker that had been failing is said to run once it ran well."""
        exited = asyncio.ensure_future(process.wait())
        failed = self.restarts.quick
        if failed >= self.restarts.failing:
            await asyncio.wait({exited}, timeout=self.restarts.healthy_s)
            if not exited.done():
                line = f"{self.name} runs again (for {self.restarts.healthy_s:g} s now, after"
                console.print(f"{line} {failed} failed starts)", markup=False, soft_wrap=True)
        return await exited
