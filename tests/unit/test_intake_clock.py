"""The region clock's sequence numbers: each interval once, whatever the timer's jitter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.clock import (
    CATCH_UP,
    SLOTS,
    WAKE_AFTER,
    RegionClock,
    TickClock,
    slot_of,
    tick_at,
)

START = 1_795_766_054.0  # an instant on a whole second


def sent(clock: TickClock, wakeups: list[float]) -> list[int]:
    return [n for now in wakeups for n in clock.due(now)]


def test_wakeups_astride_a_boundary_send_each_tick_once() -> None:
    # Wake-ups of a 0.5 s timer as seen in a failed CI run: .494, .004, .497, .007. The wall
    # clock's count at each was 108, 110, 110, 112: 109 and 111 never sent, 110 twice.
    clock = TickClock(0.5)
    wakeups = [START + 0.494, START + 1.004, START + 1.497, START + 2.007]
    assert sent(clock, wakeups) == [3591532108, 3591532109, 3591532110, 3591532111, 3591532112]


@given(st.lists(st.floats(min_value=0.0, max_value=0.7), min_size=1, max_size=200))
def test_any_wakeups_send_every_interval_once_and_in_order(gaps: list[float]) -> None:
    clock = TickClock(0.5)
    wakeups = [START + sum(gaps[: i + 1]) for i in range(len(gaps))]
    ticks = sent(clock, wakeups)
    assert ticks == list(range(int(wakeups[0] // 0.5), int(wakeups[-1] // 0.5) + 1))


def test_a_new_leader_starts_at_its_own_now() -> None:
    clock = TickClock(1.0)
    assert list(clock.due(START)) == [int(START)]
    clock.pause()  # another worker led meanwhile and sent those ticks
    assert list(clock.due(START + 10.2)) == [int(START) + 10]


def test_a_long_gap_is_not_sent_late() -> None:
    clock = TickClock(1.0)
    clock.due(START)
    assert list(clock.due(START + CATCH_UP)) == list(
        range(int(START) + 1, int(START) + CATCH_UP + 1)
    )
    assert list(clock.due(START + 3 * CATCH_UP)) == [int(START) + 3 * CATCH_UP]
    # a clock stepped back far starts again at now; a little, and nothing is sent twice
    assert list(clock.due(START)) == [int(START)]
    assert list(clock.due(START - 0.5)) == []
    assert list(clock.due(START + 1)) == [int(START) + 1]


# Staggered: each region ticks at its own slot of the interval.

REGISTRY = ("HT01", "HT02", "HT03", "HT04", "HT05", "HT06", "HT07", "HT08", "HT09", "HT10")


def test_the_registry_regions_tick_in_different_slots() -> None:
    slots = [slot_of(pcode) for pcode in REGISTRY]
    assert len(set(slots)) == len(REGISTRY)
    assert all(0 <= s < SLOTS for s in slots)


def test_a_region_ticks_once_an_interval_at_its_slot() -> None:
    clock = RegionClock(1.0, REGISTRY)
    # wake at every slot for three seconds: each region's tick comes at its slot, not before
    wakeups = [START + k / SLOTS for k in range(3 * SLOTS)]
    got = [(now, tick) for now in wakeups for tick in clock.due(now)]
    assert [t.region for _, t in got[: len(REGISTRY)]] == sorted(REGISTRY, key=slot_of)
    for now, tick in got:
        assert tick.at == tick.sequence + slot_of(tick.region) / SLOTS <= now
    per_region = {pcode: [t.sequence for _, t in got if t.region == pcode] for pcode in REGISTRY}
    assert all(s == [int(START), int(START) + 1, int(START) + 2] for s in per_region.values())
    # ...and the interval's ticks are spread over it: no two regions at the same time
    assert len({t.at for _, t in got}) == len(got)


@given(st.lists(st.floats(min_value=0.0, max_value=0.3), min_size=1, max_size=200))
def test_any_wakeups_tick_each_region_every_interval_once_and_in_order(gaps: list[float]) -> None:
    interval = 0.5
    clock = RegionClock(interval, REGISTRY)
    wakeups = [START + sum(gaps[: i + 1]) for i in range(len(gaps))]
    got = [(now, tick) for now in wakeups for tick in clock.due(now)]
    assert all(tick.at <= now for now, tick in got)  # never early
    # the first wake-up sends its own slot (a new emitter), each later one every slot since
    period = interval / SLOTS
    slots = range(int(wakeups[0] // period), int(wakeups[-1] // period) + 1)
    for pcode in REGISTRY:
        sequences = [t.sequence for _, t in got if t.region == pcode]
        due = [k // SLOTS for k in slots if k % SLOTS == slot_of(pcode)]
        assert sequences == due, pcode
        assert all(
            t.at == tick_at(pcode, t.sequence, interval) for _, t in got if t.region == pcode
        )


def test_a_new_leader_ticks_from_the_current_slot_on() -> None:
    clock = RegionClock(1.0, REGISTRY)
    list(clock.due(START + 0.99))
    clock.pause()
    later = START + 10 + 1.5 / SLOTS  # slot 1: HT02's
    assert [(t.region, t.sequence) for t in clock.due(later)] == [("HT02", int(START) + 10)]


@given(st.floats(min_value=0.0, max_value=10.0))
def test_the_emitter_wakes_just_after_the_next_slot_starts(later: float) -> None:
    clock = RegionClock(1.0, REGISTRY)
    now = START + later
    wake = now + clock.wait(now)
    slot = int(now // clock.period)
    assert int(wake // clock.period) == slot + 1  # the next slot, not the one after
    assert wake - (slot + 1) * clock.period == pytest.approx(WAKE_AFTER, abs=1e-6)
