"""The allocator's faust App, topics and table: wiring only."""

from __future__ import annotations

from schemas.catalogue import ALLOCATION_DECISIONS, REGION_EVENTS, REGION_PARTITIONS
from services.allocator.domain.config import AllocatorConfig
from services.allocator.store import RegionStates
from services.config import Settings
from services.gcpolicy import GcPolicy, run
from services.logging import configure
from services.streams import make_app, raw_topic
from services.tables import BatchedTable

settings = Settings()
log = configure("allocator", settings.log_level)
config = AllocatorConfig()

app = make_app("allocator", settings)
# The regions leave some of the region log's partitions empty: a fetch of only those waited
# faust's fixed 1.5 s while the ticks sat on the broker (services/fetching.py).
region_events = raw_topic(app, settings, REGION_EVENTS.name)
decisions = raw_topic(app, settings, ALLOCATION_DECISIONS.name)
# <region>|<entity key> → entity JSON; <region>|decision|<id> → the decision as emitted.
state_table = app.Table(
    "region-state", partitions=REGION_PARTITIONS, key_type=bytes, value_type=bytes
)
changelog = BatchedTable(state_table)  # written a batch at a time (services/tables.py)
states = RegionStates(changelog)

# The region states are large and long-lived: full collections skip what survived the last one
# (services/gcpolicy.py; docs/architecture.md "The core tick").
gc_policy = GcPolicy()


@app.task
async def _collect_garbage() -> None:
    await run(gc_policy, log)
