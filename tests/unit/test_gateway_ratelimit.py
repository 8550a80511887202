"""The gateway's token bucket (time is an argument) and its size-limited body reader."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.body import TooLarge, read_limited
from services.gateway.ratelimit import RateLimiter, take


def test_a_burst_then_one_event_per_refill() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.allow("p", 100.0).allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.allow("p", 100.0)
    assert not refused.allowed and refused.retry_after == pytest.approx(0.5)
    assert limiter.allow("p", 100.5).allowed
    assert not limiter.allow("p", 100.5).allowed


def test_partners_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate=1.0, burst=1)
    assert limiter.allow("a", 0.0).allowed
    assert not limiter.allow("a", 0.0).allowed
    assert limiter.allow("b", 0.0).allowed


def test_an_idle_partner_refills_to_the_burst_and_no_further() -> None:
    limiter = RateLimiter(rate=10.0, burst=2)
    limiter.allow("p", 0.0)
    limiter.allow("p", 0.0)
    assert [limiter.allow("p", 3600.0).allowed for _ in range(3)] == [True, True, False]


def test_a_clock_going_backwards_refills_nothing() -> None:
    verdict, bucket = take(None, 10.0, rate=1.0, burst=1)
    assert verdict.allowed
    verdict, bucket = take(bucket, 5.0, rate=1.0, burst=1)
    assert not verdict.allowed and bucket.stamp == 10.0


@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed(rate, burst, gaps) -> None:
    limiter, now, allowed = RateLimiter(rate, burst), 0.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.allow("p", now).allowed
    assert allowed <= burst + rate * now + 1e-6
    assert 0.0 <= limiter.buckets["p"].tokens <= burst


async def chunks(*parts: bytes, consumed: list[bytes] | None = None) -> AsyncIterator[bytes]:
    for part in parts:
        if consumed is not None:
            consumed.append(part)
        yield part


async def test_the_body_up_to_the_limit_is_read_whole() -> None:
    assert await read_limited(chunks(b"ab", b"cd"), 4, "4") == b"abcd"
    assert await read_limited(chunks(), 4, None) == b""


async def test_a_declared_length_above_the_limit_is_refused_before_reading() -> None:
    consumed: list[bytes] = []
    with pytest.raises(TooLarge, match="5 bytes exceed the limit of 4"):
        await read_limited(chunks(b"abcde", consumed=consumed), 4, "5")
    assert consumed == []


async def test_an_undeclared_body_is_refused_at_the_chunk_that_crosses_the_limit() -> None:
    consumed: list[bytes] = []
    with pytest.raises(TooLarge):
        await read_limited(chunks(b"ab", b"cde", b"never", consumed=consumed), 4, None)
    assert consumed == [b"ab", b"cde"]
