"""The intake's faust App, topics and table: wiring only."""

from __future__ import annotations

import os

from schemas.catalogue import INGRESS_REJECTED, INGRESS_TOPICS, REGION_EVENTS
from services.config import Settings
from services.gcpolicy import GcPolicy, run
from services.intake.topology import ADMITTED, ADMITTED_PARTITIONS
from services.logging import configure
from services.registry.partners import PartnerRegistry, load_secrets
from services.registry.regions import load_regions
from services.streams import make_app, raw_topic
from services.tables import BatchedTable

settings = Settings()
log = configure("intake", settings.log_level)
partners = PartnerRegistry.load(
    settings.partners_file, load_secrets(settings.partner_secrets_file, os.environ)
)
regions = load_regions(settings.regions_file)

app = make_app("intake", settings)
ingress = raw_topic(app, settings, *(spec.name for spec in INGRESS_TOPICS))
rejected = raw_topic(app, settings, INGRESS_REJECTED.name)
region_events = raw_topic(app, settings, REGION_EVENTS.name)
admitted = raw_topic(app, settings, ADMITTED)
# event id → where its first copy was and when it was sequenced (see sequencer.py)
seen = app.Table(
    "seen",
    partitions=ADMITTED_PARTITIONS,
    # bytes types make faust store raw bytes; the values are encoded by sequencer.Seen
    key_type=bytes,
    value_type=bytes,
)
seen_log = BatchedTable(seen)  # the sequencer writes it a batch at a time (services/tables.py)

# Full collections walked the whole heap (faust, pydantic, the `seen` table): 35-49 ms of CPU
# each, every ~15 s at 500 alerts/s, in the path of every alert in flight. As the allocator's,
# they skip what survived the last one (services/gcpolicy.py).
gc_policy = GcPolicy()


@app.task
async def _collect_garbage() -> None:
    await run(gc_policy, log)
