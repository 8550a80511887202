"""Garbage collection for a worker that holds a large, long-lived state (the allocator's
regions: ~235,000 objects for 10,000 shelters).

CPython's full (generation 2) collection walks every tracked object. A tick that allocates a
lot starts one or two of them, and each walks the whole region state again: 0.08–0.11 s per
collection, most of the core tick's cost in `services/bench/decision_cost.py`. The policy:

* **Freeze the survivors of every full collection** (``gc.freeze`` in the collector's own
  "stop" callback): what survived a full collection was reachable then, and later full
  collections walk only what was allocated since. The state a worker rebuilds after an
  assignment is frozen by the first full collection after it (CPython starts one once the
  objects promoted since the last one exceed a quarter of that one's survivors).
* **Full collections after 2 young ones, not 10** (``FULL_AFTER``): each walks only what was
  promoted since the last, so they are shorter and cost the same in all.
* **Refresh every ``REFRESH_S``**: unfreeze, one full collection of the whole heap, freeze its
  survivors. A frozen object that later becomes part of unreachable cyclic garbage is not
  collected until then (an acyclic one is freed by its reference count as always): the leak is
  bounded by the cyclic garbage one period makes, and each refresh counts what it found.

The worker installs it when it starts (:func:`run`, an app task) and refreshes from the event
loop, between the agent's awaits. The decision-cost bench installs the same policy.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

REFRESH_S = 300.0
"""Seconds between refreshes (one full collection of the whole heap, ~0.1–0.3 s)."""
CHECK_S = 1.0
"""How often the worker's task asks whether a refresh is due."""
FULL = 2  # the oldest generation
FULL_AFTER = 2
"""Young (generation 1) collections between two full ones, where CPython waits for 10. With
the survivors frozen, a full collection walks only what was promoted since the last one, so
more frequent ones are shorter. Measured with a ``gc.callbacks`` probe outside the tree in
`corridor bench pipeline --start 500 --factor 1.2 --steps 2` (2 runs each, alternating, load
3-5, 2026-11-27), the climb's allocator: 21 full collections a run with 10, 75-77 with 2; CPU
per collection p50 11.4-12.7 → 2.6-2.7 ms, p90 17.2-20.0 → 5.8-7.8 ms; CPU in all 279-326 →
368-386 ms a run (~0.1 % of a core more)."""


class Collector(Protocol):
    """What the policy uses of the ``gc`` module (a fake in unit tests)."""

    callbacks: list[Any]  # of (phase, info) callables

    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...
    def collect(self, generation: int = ...) -> int: ...
    def get_freeze_count(self) -> int: ...
    def get_threshold(self) -> tuple[int, ...]: ...
    def set_threshold(self, young: int, older: int = ..., oldest: int = ..., /) -> None: ...


@dataclass(frozen=True)
class Refresh:
    """One refresh: objects frozen before it, unreachable objects it found (what freezing had
    kept: the leak of one period, with the garbage made since the last full collection),
    objects frozen after it, and its seconds."""

    frozen_before: int
    found: int
    frozen_after: int
    seconds: float


@dataclass
class GcPolicy:
    refresh_every: float = REFRESH_S
    collector: Collector = field(default_factory=lambda: gc)
    clock: Callable[[], float] = time.monotonic
    freezes: int = 0  # full collections whose survivors were frozen
    refreshes: list[Refresh] = field(default_factory=list)
    _since: float = 0.0  # the clock at install or at the last refresh
    _thresholds: tuple[int, ...] = ()  # the collector's, before install

    def install(self) -> None:
        if self._on_gc not in self.collector.callbacks:
            self.collector.callbacks.append(self._on_gc)
            self._thresholds = self.collector.get_threshold()
            young, older = self._thresholds[:2]
            self.collector.set_threshold(young, older, FULL_AFTER)
        self._since = self.clock()

    def uninstall(self) -> None:
        """Stop freezing and hand every frozen object back to the collector (the bench, which
        measures with and without the policy in one process)."""
        if self._on_gc in self.collector.callbacks:
            self.collector.callbacks.remove(self._on_gc)
            self.collector.set_threshold(*self._thresholds)
        self.collector.unfreeze()

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        """The collector's callback: a full collection has just finished, its survivors are
        every tracked object left (the younger generations are empty after it)."""
        if phase == "stop" and info.get("generation") == FULL:
            self.collector.freeze()
            self.freezes += 1

    def due(self) -> bool:
        return self.clock() - self._since >= self.refresh_every

    def refresh(self) -> Refresh:
        """Unfreeze, collect everything (its callback freezes the survivors again)."""
        started = time.perf_counter()
        before = self.collector.get_freeze_count()
        self.collector.unfreeze()
        found = self.collector.collect(FULL)
        if self._on_gc not in self.collector.callbacks:  # not installed: freeze all the same
            self.collector.freeze()
        done = Refresh(before, found, self.collector.get_freeze_count(),
                       time.perf_counter() - started)  # fmt: skip
        self.refreshes.append(done)
        self._since = self.clock()
        return done


async def run(policy: GcPolicy, log: Any, check: float = CHECK_S) -> None:
    """A worker's task: install ``policy``, then refresh it when due, logging each refresh."""
    policy.install()
    log.info("gc policy installed", refresh_s=policy.refresh_every)
    try:
        while True:
            await asyncio.sleep(check)
            if policy.due():
                done = policy.refresh()
                log.info("gc refreshed", frozen_before=done.frozen_before, found=done.found,
                         frozen_after=done.frozen_after, seconds=round(done.seconds, 3),
                         freezes=policy.freezes)  # fmt: skip
    finally:  # a worker stopped inside a test process leaves its collector as it found it
        policy.uninstall()
