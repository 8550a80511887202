"""The topic catalogue (DESIGN.md §2) in code: names, keys, value types, sizing and writers.

Region-keyed topics share :data:`REGION_PARTITIONS` so that they are co-partitioned. Partner
inboxes are a template, ``partner.<partner_id>.inbox.v1``: see :func:`inbox_topic` and
:func:`inbox_spec`; :data:`CATALOGUE` holds the fixed topics only.
"""

import re
from dataclasses import dataclass, replace
from typing import Literal

from schemas import registry as t
from schemas.base import Contract
from schemas.registry import type_of
from schemas.types import PartnerId

Role = Literal["partner", "adapter", "gateway", "intake", "allocator", "escalator"]
CleanupPolicy = Literal["delete", "compact"]

REGION_PARTITIONS = 12
INGRESS_PARTITIONS = 3
DAY_MS = 24 * 60 * 60 * 1000
INGRESS_RETENTION_MS = 7 * DAY_MS
INBOX_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str  # what the record key is
    value_types: tuple[str, ...]  # CloudEvents types of the values
    partitions: int
    retention_ms: int | None  # None: kept forever
    cleanup_policy: CleanupPolicy
    writers: frozenset[Role]
    description: str

    def kafka_config(self) -> dict[str, str]:
        """Topic-level configuration to create the topic with."""
        retention = -1 if self.retention_ms is None else self.retention_ms
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(retention)}


def _ingress(name: str, value_type: str, writers: set[Role], description: str) -> TopicSpec:
    return TopicSpec(
        name=name,
        key="any (intake re-keys by region)",
        value_types=(value_type,),
        partitions=INGRESS_PARTITIONS,
        retention_ms=INGRESS_RETENTION_MS,
        cleanup_policy="delete",
        writers=frozenset(writers),
        description=description,
    )


def _regional(
    name: str, value_types: tuple[str, ...], writer: Role, retention_ms: int | None, text: str
) -> TopicSpec:
    return TopicSpec(
        name=name,
        key="region p-code",
        value_types=value_types,
        partitions=REGION_PARTITIONS,
        retention_ms=retention_ms,
        cleanup_policy="delete",
        writers=frozenset({writer}),
        description=text,
    )


PARTNER_INPUT: set[Role] = {"partner", "adapter", "gateway"}

DISPLACEMENT_ALERTS = _ingress(
    "ingress.displacement-alerts.v1",
    t.DISPLACEMENT_ALERT,
    PARTNER_INPUT,
    "People displaced at a place and time: households, demographics and needs.",
)
SHELTER_CAPACITY = _ingress(
    "ingress.shelter-capacity.v1",
    t.SHELTER_CAPACITY,
    PARTNER_INPUT,
    "A shelter's capacity, occupancy and services, reported by its operator.",
)
TRANSPORT_AVAILABILITY = _ingress(
    "ingress.transport-availability.v1",
    t.TRANSPORT_AVAILABILITY,
    {"partner", "gateway"},
    "A vehicle's position, seats and availability.",
)
ALLOCATION_FEEDBACK = _ingress(
    "ingress.allocation-feedback.v1",
    t.ALLOCATION_FEEDBACK,
    {"partner"},
    "What happened to a placement: arrived, no-show, cancelled, vehicle released.",
)
HAZARD_WARNINGS = _ingress(
    "ingress.hazard-warnings.v1",
    t.HAZARD_WARNING,
    {"adapter"},
    "Hazard warnings from CAP 1.2 feeds, written by the CAP adapter.",
)
ESCALATION_ACKS = _ingress(
    "ingress.escalation-acks.v1",
    t.ESCALATION_ACK,
    {"partner"},
    "A partner's acknowledgement of an escalation it was sent.",
)
ALERT_CONFIRMATIONS = _ingress(
    "ingress.alert-confirmations.v1",
    t.ALERT_CONFIRMATION,
    {"partner"},
    "A confirming partner's verdict (confirmed or rejected) on an alert held for its size."
    " Only partners with confirms: true in the registry may write it.",
)
INGRESS_REJECTED = TopicSpec(
    name="ingress.rejected.v1",
    key="the original key",
    value_types=(t.INGRESS_REJECTED,),
    partitions=INGRESS_PARTITIONS,
    retention_ms=INGRESS_RETENTION_MS,  # it holds the original bytes: keep them no longer
    cleanup_policy="delete",
    writers=frozenset({"intake"}),
    description="Messages intake refused, with their original bytes and a reason. Internal.",
)
REGION_EVENTS = _regional(
    "region.events.v1",
    (
        t.DISPLACEMENT_ALERT,
        t.SHELTER_CAPACITY,
        t.TRANSPORT_AVAILABILITY,
        t.ALLOCATION_FEEDBACK,
        t.HAZARD_WARNING,
        t.ESCALATION_ACK,
        t.ALERT_CONFIRMATION,
        t.REGION_TICK,
    ),
    "intake",
    None,
    "One ordered log per region: accepted inputs stamped by intake, and ticks. The audit log;"
    " replaying it from offset 0 reproduces every decision. Internal.",
)
ALLOCATION_DECISIONS = _regional(
    "allocation.decisions.v1",
    (t.ALLOCATION_DECISION,),
    "allocator",
    None,
    "Which household goes to which shelter, on which vehicle; and who waits, and why.",
)
ESCALATION_EVENTS = _regional(
    "escalation.events.v1",
    (t.ESCALATION_EVENT,),
    "escalator",
    None,
    "Leveled escalations (L1-L3) by region, reason and sector.",
)
INBOX_TEMPLATE = _regional(
    "partner.{partner_id}.inbox.v1",
    (t.ESCALATION_EVENT, t.ALLOCATION_DECISION),
    "escalator",
    INBOX_RETENTION_MS,
    "A partner's inbox: the escalations and decision notices of its regions and sector,"
    " with only the fields its sector needs.",
)

INGRESS_TOPICS: tuple[TopicSpec, ...] = (
    DISPLACEMENT_ALERTS,
    SHELTER_CAPACITY,
    TRANSPORT_AVAILABILITY,
    ALLOCATION_FEEDBACK,
    HAZARD_WARNINGS,
    ESCALATION_ACKS,
    ALERT_CONFIRMATIONS,
)
CATALOGUE: tuple[TopicSpec, ...] = (
    *INGRESS_TOPICS,
    INGRESS_REJECTED,
    REGION_EVENTS,
    ALLOCATION_DECISIONS,
    ESCALATION_EVENTS,
)
REGION_KEYED: tuple[TopicSpec, ...] = (REGION_EVENTS, ALLOCATION_DECISIONS, ESCALATION_EVENTS)

_BY_NAME = {spec.name: spec for spec in CATALOGUE}
_INBOX = re.compile(r"^partner\.([a-z0-9][a-z0-9-]{1,39})\.inbox\.v1$")


def inbox_topic(partner_id: PartnerId) -> str:
    if not _INBOX.match(f"partner.{partner_id}.inbox.v1"):
        raise ValueError(f"invalid partner id {partner_id[:50]!r}")
    return f"partner.{partner_id}.inbox.v1"


def inbox_spec(partner_id: PartnerId) -> TopicSpec:
    return replace(INBOX_TEMPLATE, name=inbox_topic(partner_id))


def spec(name: str) -> TopicSpec:
    """The spec of a topic by its (un-namespaced) name, inboxes included; KeyError if unknown."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    match = _INBOX.match(name)
    if match is None:
        raise KeyError(name)
    return inbox_spec(match.group(1))


def topic_name(spec_or_name: TopicSpec | str, namespace: str = "") -> str:
    """The topic's name, prefixed with ``"{namespace}."`` when a namespace is given."""
    name = spec_or_name if isinstance(spec_or_name, str) else spec_or_name.name
    return f"{namespace}.{name}" if namespace else name


def ingress_topic_for(payload: Contract | type[Contract] | str) -> TopicSpec | None:
    """The ingress topic a payload (model, instance or CloudEvents type) must be sent to."""
    event_type = payload if isinstance(payload, str) else type_of(payload)
    return next((s for s in INGRESS_TOPICS if event_type in s.value_types), None)
