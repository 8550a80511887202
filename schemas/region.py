"""The region log's own event: the clock tick intake appends to every region."""

from schemas.base import Contract
from schemas.types import Count, PCode, Timestamp


class RegionTick(Contract):
    """Seals a micro-batch and moves the region's clock; ``sequence`` counts ticks per region."""

    region_pcode: PCode
    tick_at: Timestamp
    sequence: Count
