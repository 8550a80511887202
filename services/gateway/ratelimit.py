"""A token bucket per partner. Pure: time comes in as an argument, nothing is read or slept."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Bucket:
    """``tokens`` left at ``stamp`` (seconds on any monotonic clock)."""

    tokens: float
    stamp: float


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float  # seconds until one token is available again; 0 when allowed


def take(bucket: Bucket | None, now: float, rate: float, burst: int) -> tuple[Verdict, Bucket]:
    """Spend one token if there is one: a full bucket holds ``burst`` tokens and refills at
    ``rate`` per second. A clock that goes backwards refills nothing."""
    if bucket is None:
        bucket = Bucket(float(burst), now)
    elapsed = max(0.0, now - bucket.stamp)
    tokens = min(float(burst), bucket.tokens + elapsed * rate)
    stamp = max(now, bucket.stamp)
    if tokens >= 1.0:
        return Verdict(True, 0.0), Bucket(tokens - 1.0, stamp)
    return Verdict(False, (1.0 - tokens) / rate), Bucket(tokens, stamp)


@dataclass
class RateLimiter:
    """The buckets of every partner that has posted; the only mutable state of the gateway."""

    rate: float
    burst: int
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def allow(self, partner_id: str, now: float) -> Verdict:
        verdict, self.buckets[partner_id] = take(
            self.buckets.get(partner_id), now, self.rate, self.burst
        )
        return verdict
