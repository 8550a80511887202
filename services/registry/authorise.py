"""What a partner may report: pure rules, answering None (allowed) or a one-line reason.

A partner publishes only on the topics it is allowed, reports only on the shelters and vehicles
it operates, and speaks about displacement, placements and escalations only in its regions.
Hazard warnings need the topic permission alone (the CAP adapter's).
"""

from schemas.base import Contract
from schemas.catalogue import ingress_topic_for
from schemas.ingress import (
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    HazardWarning,
    ShelterCapacityReport,
    TransportAvailability,
)
from services.registry.partners import Partner


def authorise(partner: Partner, topic: str, payload: Contract, region_pcode: str) -> str | None:
    """Why ``partner`` may not publish ``payload`` on ``topic`` (un-namespaced) about
    ``region_pcode``; None when it may."""
    who = f"partner {partner.partner_id}"
    try:
        expected = ingress_topic_for(type(payload))
    except KeyError:  # not a registered event type at all
        expected = None
    if expected is None:
        return f"{type(payload).__name__} is not a partner input"
    if expected.name != topic:
        return f"{type(payload).__name__} belongs on {expected.name}, not {topic}"
    if not partner.may_publish(topic):
        return f"{who} may not publish on {topic}"
    match payload:
        case ShelterCapacityReport(shelter_id=shelter_id):
            if not partner.operates_shelter(shelter_id):
                return f"{who} does not operate shelter {shelter_id}"
        case TransportAvailability(vehicle_id=vehicle_id):
            if not partner.operates_vehicle(vehicle_id):
                return f"{who} does not operate vehicle {vehicle_id}"
        case DisplacementAlert() | AllocationFeedback() | EscalationAck():
            if not partner.covers(region_pcode):
                return f"{who} does not operate in region {region_pcode}"
        case HazardWarning():
            pass
    return None
