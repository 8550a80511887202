"""Which region ticks are due: every interval of the wall clock once per region, each region at
its own phase of the interval, whatever the timer's jitter. Pure: the time comes in as an argument.

A tick's sequence number is the wall clock's interval count (``now // interval``), so that a
second emitter during a rebalance produces the same tick. faust's timer wakes about every
period, but late by the event loop's delays, and its drift correction walks the phase by a few
ms per wake-up on a loaded machine; when the wake-ups sit near a boundary, one period gets two of
them and the next none: the same tick twice and a tick missing (`test_two_workers_one_clock`,
2026-11-27: 4 of 18 runs at load 5-7; the ticks' record times showed the wake-ups at .494, .004,
.497, .007 s). So the emitter remembers the last period it sent and sends every one after it.

Staggered: the interval is cut into ``SLOTS`` slots and a region ticks at the start of its own
slot (the CRC-32 of its p-code), not every region at the top of the interval. A tick seals its
region's micro-batch; when every region sealed at once, the allocator worked through all the
regions' second of alerts in one burst (463-662 ms at p99 at half the pipeline's saturation,
2026-11-27), and the last region's households waited for the others'. Staggered, each tick
seals one region's share. The phase depends on the p-code alone, so every worker agrees without
a word and a region keeps its phase when regions are added. A region still ticks once per
interval, every interval (DESIGN: "a RegionTick to every region at a fixed interval").
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

CATCH_UP = 60
"""At most this many intervals are sent late at once; a longer gap (a stalled event loop, a
clock stepped forward or back) starts again at now, as a new emitter does."""

SLOTS = 16
"""Slots per interval: the timer wakes once per slot. The ten Haitian regions of the registry
fall in ten different slots."""


def slot_of(pcode: str, slots: int = SLOTS) -> int:
    """The slot of the interval in which ``pcode``'s region ticks."""
    return zlib.crc32(pcode.encode()) % slots


def tick_at(pcode: str, sequence: int, interval: float, slots: int = SLOTS) -> float:
    """When the ``sequence``-th tick of ``pcode``'s region is due (seconds since the epoch)."""
    return sequence * interval + slot_of(pcode, slots) * interval / slots


WAKE_AFTER = 0.001
"""Seconds past a slot's start at which the emitter wakes (float rounding then puts ``now`` in
the new slot)."""


@dataclass
class TickClock:
    """Counts periods of the wall clock: each once, in order, after the last one sent."""

    period: float
    catch_up: int = CATCH_UP  # periods
    last: int | None = None  # the last period sent; None: none since this worker led

    def due(self, now: float) -> range:
        """The period counts to send at ``now`` (seconds since the epoch), in order; they count
        as sent from here on."""
        current = int(now // self.period)
        if self.last is None or abs(current - self.last) > self.catch_up:
            first = current
        elif current <= self.last:  # woke twice in one period (or the clock went back a bit)
            return range(0)
        else:
            first = self.last + 1
        self.last = current
        return range(first, current + 1)

    def pause(self) -> None:
        """This worker does not lead: whoever does sends the ticks, and when it leads again it
        starts at its own now (not with the ticks of the time it did not lead)."""
        self.last = None


@dataclass(frozen=True)
class Tick:
    region: str
    sequence: int
    at: float  # seconds since the epoch


@dataclass
class RegionClock:
    """The ticks of every region, each at its slot of the interval."""

    interval: float
    regions: Iterable[str]
    slots: int = SLOTS
    counter: TickClock = field(init=False)
    by_slot: dict[int, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.counter = TickClock(self.interval / self.slots, CATCH_UP * self.slots)
        self.by_slot = {}
        for pcode in sorted(self.regions):
            self.by_slot.setdefault(slot_of(pcode, self.slots), []).append(pcode)

    @property
    def period(self) -> float:
        """How often the emitter wakes: once per slot."""
        return self.interval / self.slots

    def wait(self, now: float) -> float:
        """Seconds from ``now`` to just after the next slot starts: the emitter wakes there, so
        that a region's ticks are an interval apart give or take the event loop's delay (a timer
        of the same period at an arbitrary phase sent each tick 0 to 62.5 ms late, and the
        spacing of two ticks varied by as much)."""
        return self.period - now % self.period + WAKE_AFTER

    def due(self, now: float) -> Iterator[Tick]:
        """The ticks to send at ``now``, in order of their time; they count as sent."""
        for count in self.counter.due(now):
            sequence, slot = divmod(count, self.slots)
            for pcode in self.by_slot.get(slot, ()):
                yield Tick(pcode, sequence, tick_at(pcode, sequence, self.interval, self.slots))

    def pause(self) -> None:
        self.counter.pause()
