"""Where an alert's time goes between the partner's send and the reader's decision, split at
the stamps the records already carry (a pure part of `corridor bench pipeline`).

Every alert's latency is the sum of four parts, each between two stamps of one machine's clock:

* ``intake``: the harness hands the alert to its producer → intake appends it to the region log
  (the region-log record's timestamp: aiokafka stamps a record when it is appended to a batch);
* ``wait_for_tick``: → intake appends the event that decided it (the decision's
  ``cause_event_id``: the tick that sealed it; the alert itself when decided as it came);
* ``allocator``: → the allocator appends the decision (the decision record's timestamp): the
  tick's way through the region log to the allocator, its batch, the tick's work, faust's
  producer buffer;
* ``delivery``: → the harness's reader sees it (producer linger, the broker, the reader).

Besides, not in the sum: ``tick_offset``, a sealing tick's nominal time (its sequence × the
tick interval, plus its region's slot of the interval) → its record: the phase of intake's timer
against the wall clock's slots, and its jitter (p99 − p50); ``tick_to_reader``, a sealing tick's
record → the harness's reader of the region log sees it: how long the log takes to hand a record
to a consumer, the first stretch of ``allocator``. And ``tail``: each part's mean over the alerts
at or above the p99 of the whole, so that the tail's composition shows (p99s of parts do not add
up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from services.bench.pipeline_model import Latency, percentile
from services.intake.clock import tick_at

PARTS = ("intake", "wait_for_tick", "allocator", "delivery")
PUBLISHED_PARTS = ("publish", "intake", "wait_for_tick", "allocator", "delivery")
"""The parts when the ingress topic's records were read too: ``publish`` is the harness's
producer and the broker (→ the ingress record's LogAppendTime), ``intake`` then starts there."""
TICK_PREFIX = "tick:"


@dataclass(frozen=True)
class Decided:
    """A decision as the reader saw it: when (harness clock), its record's timestamp (s), the
    event that caused it."""

    seen: float
    stamped: float
    cause: str


@dataclass(frozen=True)
class PathSplit:
    parts: dict[str, Latency]
    tail: dict[str, float]  # mean seconds of each part over the alerts at or above total's p99
    tail_samples: int
    tick_offset: Latency
    tick_to_reader: Latency

    def to_ms(self) -> dict[str, Any]:
        def ms(v: float) -> float:
            return round(v * 1000, 1)

        def lat(x: Latency) -> dict[str, Any]:
            return {"p50": ms(x.p50), "p99": ms(x.p99), "max": ms(x.max), "samples": x.samples}

        return {
            **{k: lat(v) for k, v in self.parts.items()},
            "tick_offset": lat(self.tick_offset) if self.tick_offset.samples else None,
            "tick_to_reader": lat(self.tick_to_reader) if self.tick_to_reader.samples else None,
            "tail_mean": {k: ms(v) for k, v in self.tail.items()},
            "tail_samples": self.tail_samples,
        }


def tick_time(event_id: str, interval: float) -> float | None:
    """A tick's nominal time (s since the epoch) from its id ``tick:<region>:<sequence>``: the
    sequence's interval and the region's slot in it (services/intake/clock.py)."""
    if not event_id.startswith(TICK_PREFIX):
        return None
    region, sequence = event_id[len(TICK_PREFIX) :].rsplit(":", 1)
    return tick_at(region, int(sequence), interval)


def split(
    sends: Mapping[str, tuple[float, int]],
    decided: Mapping[str, Decided],
    logged: Mapping[str, float],
    interval: float,
    read: Mapping[str, float] | None = None,
    received: Mapping[str, float] | None = None,
) -> PathSplit | None:
    """The split of every alert in ``sends`` (id → (time sent, households)) whose decision
    (``decided``, by alert id) and whose own and cause's region-log records (``logged``: event
    id → record timestamp, s) were seen; ``read``: event id → when the harness's reader saw it
    in the region log; ``received``: event id → the ingress record's timestamp (the broker's
    append time), which splits ``publish`` off ``intake`` (PUBLISHED_PARTS). None when there is
    no such alert."""
    rows: list[tuple[float, ...]] = []
    late: list[float] = []
    transit: list[float] = []
    for key, (sent, _) in sends.items():
        d = decided.get(key)
        if d is None or key not in logged or d.cause not in logged:
            continue
        if received is not None and key not in received:
            continue
        in_log, cause = logged[key], logged[d.cause]
        path = (cause - in_log, d.stamped - cause, d.seen - d.stamped)
        if received is None:
            rows.append((in_log - sent, *path))
        else:
            rows.append((received[key] - sent, in_log - received[key], *path))
        nominal = tick_time(d.cause, interval)
        if nominal is not None:
            late.append(cause - nominal)
            if read is not None and d.cause in read:
                transit.append(read[d.cause] - cause)
    if not rows:
        return None
    names = PARTS if received is None else PUBLISHED_PARTS
    totals = [sum(r) for r in rows]
    bar = percentile(totals, 0.99)
    tail = [r for r, t in zip(rows, totals, strict=True) if t >= bar]
    return PathSplit(
        parts={name: Latency.of([r[i] for r in rows]) for i, name in enumerate(names)},
        tail={name: fmean(r[i] for r in tail) for i, name in enumerate(names)},
        tail_samples=len(tail),
        tick_offset=Latency.of(late),
        tick_to_reader=Latency.of(transit),
    )
