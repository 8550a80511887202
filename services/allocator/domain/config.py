"""The allocator's rules as numbers: one frozen value, passed to the core with each event."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class AllocatorConfig:
    max_distance_km: float = 50.0
    """Farthest a household is sent (great-circle, origin to shelter)."""
    reservation_ttl: timedelta = timedelta(hours=12)
    """A placement holds its place this long (log time) unless the arrival is confirmed."""
    stale_after: timedelta = timedelta(hours=24)
    """Shelter data older than this is still used, but the placement is flagged stale."""
    scarce_detour_km: float = 0.5
    """Detour charged per scarce service a household would occupy without needing it."""
    fragment_detour_km: float = 0.5
    """Detour charged per person for leaving a shelter fewer places than the household's size
    (but some), the same price as a scarce place taken without need; 0: never (issue 10)."""
    adaptive_scarce: bool = True
    """Charge that detour only for the services whose available places do not exceed the
    expected remaining need (domain/protection.py); False: always, as before issue 10."""
    processed_horizon: timedelta = timedelta(days=7)
    """How long processed event ids are kept to recognise redelivered events (log time)."""
    tick_horizon: timedelta = timedelta(hours=1)
    """The same for ticks, which come every second of every region (a week of them was
    604,800 ids per region, in the table and in memory): a tick is appended again only by a
    second clock emitting the same slot, seconds apart, never an hour later."""
