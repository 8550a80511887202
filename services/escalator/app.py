"""The escalator's wiring: settings, the partner registry, its rules, its topics."""

from __future__ import annotations

import os

from schemas.catalogue import ESCALATION_EVENTS, REGION_EVENTS, inbox_topic, topic_name
from services.allocator.domain import AllocatorConfig
from services.config import Settings, processor_id
from services.escalator.domain.config import EscalatorConfig
from services.escalator.domain.routing import RegistryRouting
from services.escalator.snapshot import Snapshots, fingerprint
from services.escalator.store import Folds
from services.logging import configure
from services.registry.partners import PartnerRegistry, load_secrets

settings = Settings()
log = configure("escalator", settings.log_level)
partners = PartnerRegistry.load(
    settings.partners_file, load_secrets(settings.partner_secrets_file, os.environ)
)
allocator_config = AllocatorConfig()
config = EscalatorConfig(stale_after=allocator_config.stale_after)
routing = RegistryRouting(partners)

namespace = settings.topic_namespace
group_id = processor_id("escalator", namespace)
region_events = topic_name(REGION_EVENTS, namespace)
escalations = topic_name(ESCALATION_EVENTS, namespace)


def inbox(partner_id: str) -> str:
    return topic_name(inbox_topic(partner_id), namespace)


def folds() -> Folds:
    return Folds(config, allocator_config, routing)


def snapshots() -> Snapshots:
    """This worker's snapshots (snapshot.py): per group, so two namespaces never share one."""
    folder = settings.state_dir / "escalator" / group_id
    return Snapshots(folder, region_events, fingerprint(
        config, allocator_config, files=(settings.partners_file,)))  # fmt: skip
