"""The allocator: which displaced household goes to which shelter, on which vehicle.

The pure core (:mod:`.core`) folds region events into a :class:`RegionState` made of keyed
entities (:mod:`.entities`) and returns the decisions to emit with the state delta to write.
"""

from services.allocator.config import AllocatorConfig
from services.allocator.core import Outcome, decide, step
from services.allocator.entities import (
    Entity,
    entity_from_json,
    entity_to_json,
)
from services.allocator.state import RegionState, StateDelta, evolve

__all__ = [
    "AllocatorConfig",
    "Entity",
    "Outcome",
    "RegionState",
    "StateDelta",
    "decide",
    "entity_from_json",
    "entity_to_json",
    "evolve",
    "step",
]
