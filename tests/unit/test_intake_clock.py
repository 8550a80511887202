"""The region clock's sequence numbers: each interval once, whatever the timer's jitter."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.intake.clock import CATCH_UP, TickClock

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
