"""Which region ticks are due: every interval of the wall clock once per emitter, whatever the
timer's jitter. Pure: the time comes in as an argument.

A tick's sequence number is the wall clock's interval count (``now // interval``), so that a
second emitter during a rebalance produces the same tick. faust's timer wakes about every
``interval`` seconds, but late by the event loop's delays, and its drift correction walks the
phase by a few ms per wake-up on a loaded machine; when the wake-ups sit near an interval
boundary, one interval gets two of them and the next none: the same tick twice and a tick
missing (`test_two_workers_one_clock`, 2026-11-27: 4 of 18 runs at load 5-7, no rebalance in
the workers' logs; the ticks' record times showed the wake-ups at .494, .004, .497, .007 s).
So the emitter remembers the last sequence it sent and sends every one after it, up to now.
"""

from __future__ import annotations

from dataclasses import dataclass

CATCH_UP = 60
"""At most this many intervals are sent late at once; a longer gap (a stalled event loop, a
clock stepped forward or back) starts again at now, as a new emitter does."""


@dataclass
class TickClock:
    interval: float
    last: int | None = None  # the last sequence sent; None: none since this worker led

    def due(self, now: float) -> range:
        """The sequence numbers to send at ``now`` (seconds since the epoch), in order; they
        count as sent from here on."""
        current = int(now // self.interval)
        if self.last is None or abs(current - self.last) > CATCH_UP:
            first = current
        elif current <= self.last:  # woke twice in one interval (or the clock went back a bit)
            return range(0)
        else:
            first = self.last + 1
        self.last = current
        return range(first, current + 1)

    def pause(self) -> None:
        """This worker does not lead: whoever does sends the ticks, and when it leads again it
        starts at its own now (not with the ticks of the time it did not lead)."""
        self.last = None
