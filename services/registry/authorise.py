"""What a partner may report: pure rules, answering None (allowed) or a one-line reason.

A partner publishes only on the topics it is allowed, reports only on the shelters and vehicles
it operates, and speaks about displacement, placements and escalations only in its regions; it
confirms held alerts only with ``confirms: true``, in its regions. (Whether the alert is held,
and was not sent by the confirming partner itself, is the allocator's to check: it knows.)
Hazard warnings need the topic permission alone (the CAP adapter's).
"""

from schemas.base import Contract
from schemas.catalogue import DISPLACEMENT_ALERTS, ingress_topic_for
from schemas.ingress import (
    AlertConfirmation,
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    HazardWarning,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.outputs import parse_escalation_id
from schemas.types import EscalationReason
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
        case DisplacementAlert() | AllocationFeedback():
            if not partner.covers(region_pcode):
                return f"{who} does not operate in region {region_pcode}"
        case EscalationAck():
            if not partner.covers(region_pcode):
                return f"{who} does not operate in region {region_pcode}"
            return _never_sent(partner, payload)
        case AlertConfirmation():
            if not partner.may_confirm(region_pcode):
                return f"{who} may not confirm alerts in region {region_pcode}"
        case HazardWarning():
            pass
    return None


def _never_sent(partner: Partner, ack: EscalationAck) -> str | None:
    """Why ``partner`` cannot have received escalation ``ack.escalation_id``: escalations go to
    the inboxes of the partners of their region and sector (refresh requests: to operators)."""
    who = f"partner {partner.partner_id}"
    parsed = parse_escalation_id(ack.escalation_id)
    if parsed is None:
        return f"{ack.escalation_id} is not an escalation id Corridor issues"
    region, reason, sector, _ = parsed
    if region != ack.region_pcode:
        return f"escalation {ack.escalation_id} is not about region {ack.region_pcode}"
    if not partner.inbox:
        return f"{who} has no inbox and was never sent escalation {ack.escalation_id}"
    if reason == EscalationReason.STALE_DATA:
        if not partner.shelters:
            return f"{who} operates no shelter and was never sent {ack.escalation_id}"
    elif reason == EscalationReason.CONFIRMATION_NEEDED:  # to confirmers and the alerts' senders
        if not partner.confirms and not partner.may_publish(DISPLACEMENT_ALERTS.name):
            return f"{who} neither confirms nor sends alerts: never sent {ack.escalation_id}"
    elif sector not in partner.sectors:
        return f"{who} is not in sector {sector.value} and was never sent {ack.escalation_id}"
    return None
