"""The allocator's rules, pure: no faust, aiokafka, asyncpg, clock or randomness.

This package's names below are its public face, also for the escalator, which replays the
allocator over the same region log (docs/architecture.md, "Escalator"): ``step`` folds one
region event, ``RegionState`` is what it reads, ``household_id`` names a household. ``decide``
returns named domain events (:mod:`.events`); ``evolve`` folds them.
"""

from services.allocator.domain.config import AllocatorConfig
from services.allocator.domain.decide import Outcome, decide, step
from services.allocator.domain.entities import household_id
from services.allocator.domain.events import DomainEvent
from services.allocator.domain.evolve import evolve, writes
from services.allocator.domain.state import RegionState, StateDelta

__all__ = [
    "AllocatorConfig",
    "DomainEvent",
    "Outcome",
    "RegionState",
    "StateDelta",
    "decide",
    "evolve",
    "household_id",
    "step",
    "writes",
]
