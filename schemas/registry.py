"""CloudEvents ``type`` ⇄ payload model: the one registry of what may travel on Corridor."""

from collections.abc import Mapping
from types import MappingProxyType

from schemas.base import Contract
from schemas.ingress import (
    AlertConfirmation,
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    HazardWarning,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import AllocationDecision, EscalationEvent, RejectedMessage
from schemas.region import RegionTick

DISPLACEMENT_ALERT = "org.corridor.displacement.alert.v1"
SHELTER_CAPACITY = "org.corridor.shelter.capacity.v1"
TRANSPORT_AVAILABILITY = "org.corridor.transport.availability.v1"
ALLOCATION_FEEDBACK = "org.corridor.allocation.feedback.v1"
HAZARD_WARNING = "org.corridor.hazard.warning.v1"
ESCALATION_ACK = "org.corridor.escalation.ack.v1"
ALERT_CONFIRMATION = "org.corridor.alert.confirmation.v1"
REGION_TICK = "org.corridor.region.tick.v1"
ALLOCATION_DECISION = "org.corridor.allocation.decision.v1"
ESCALATION_EVENT = "org.corridor.escalation.event.v1"
INGRESS_REJECTED = "org.corridor.ingress.rejected.v1"

MODEL_OF: Mapping[str, type[Contract]] = MappingProxyType(
    {
        DISPLACEMENT_ALERT: DisplacementAlert,
        SHELTER_CAPACITY: ShelterCapacityReport,
        TRANSPORT_AVAILABILITY: TransportAvailability,
        ALLOCATION_FEEDBACK: AllocationFeedback,
        HAZARD_WARNING: HazardWarning,
        ESCALATION_ACK: EscalationAck,
        ALERT_CONFIRMATION: AlertConfirmation,
        REGION_TICK: RegionTick,
        ALLOCATION_DECISION: AllocationDecision,
        ESCALATION_EVENT: EscalationEvent,
        INGRESS_REJECTED: RejectedMessage,
    }
)
"""Payload model of each CloudEvents type."""

TYPE_OF: Mapping[type[Contract], str] = MappingProxyType({m: t for t, m in MODEL_OF.items()})
"""CloudEvents type of each payload model."""


def type_of(model: Contract | type[Contract]) -> str:
    """The CloudEvents type of a payload model (or instance); KeyError if it is not registered."""
    return TYPE_OF[model if isinstance(model, type) else type(model)]
