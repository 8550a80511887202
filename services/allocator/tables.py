"""Region states kept in a changelog-backed faust table, one key per entity.

Keys are ``<region>|<kind>|<id>`` (entities of :mod:`.entities`) and
``<region>|decision|<decision_id>`` (the encoded decisions, re-emitted when a processed event is
delivered again). A worker keeps a cache of the regions it serves, rebuilt from the table after
every rebalance: the table, not the cache, is the state.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from services.allocator.entities import entity_from_json, entity_to_json, kind_of
from services.allocator.state import RegionState, StateDelta, evolve

DECISION = "decision"
SEP = "|"


def _key(region: str, key: str) -> bytes:
    return f"{region}{SEP}{key}".encode()


class RegionStates:
    def __init__(self, table: MutableMapping[bytes, bytes]) -> None:
        self.table = table
        self.cache: dict[str, RegionState] = {}

    def forget(self) -> None:
        """Partitions moved: another worker may have changed what we cached."""
        self.cache.clear()

    def get(self, region: str) -> RegionState:
        state = self.cache.get(region)
        if state is None:
            state = RegionState.from_entities(region, self._entities(region))
            self.cache[region] = state
        return state

    def _entities(self, region: str) -> Iterable:
        prefix = f"{region}{SEP}".encode()
        for raw_key, raw in list(self.table.items()):
            if not raw_key.startswith(prefix):
                continue
            key = raw_key[len(prefix) :].decode()
            if kind_of(key) != DECISION:
                yield entity_from_json(key, raw)

    def apply(self, state: RegionState, delta: StateDelta) -> RegionState:
        """Write the changed keys, drop the recorded decisions of forgotten events."""
        region = state.region_pcode
        for entity in delta.upserts:
            self.table[_key(region, entity.key)] = entity_to_json(entity)
        for key in delta.deletes:
            processed = (
                state.processed.get(key.split(SEP, 1)[1]) if key.startswith("processed|") else None
            )
            for decision_id in processed.decision_ids if processed else ():
                self.table.pop(_key(region, f"{DECISION}{SEP}{decision_id}"), None)
            self.table.pop(_key(region, key), None)
        new = evolve(state, delta)
        self.cache[region] = new
        return new

    def record(self, region: str, decision_id: str, encoded: bytes) -> None:
        self.table[_key(region, f"{DECISION}{SEP}{decision_id}")] = encoded

    def recorded(self, region: str, decision_id: str) -> bytes | None:
        return self.table.get(_key(region, f"{DECISION}{SEP}{decision_id}"))
