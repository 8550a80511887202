"""The gate, as pure functions: decode → validate → authenticate → resolve → authorise → flag.

An alert with more people than its sender's ``confirm_above`` is admitted and flagged (the
limit travels with it into the region log), so that the allocator holds it until a confirming
partner answers (docs/architecture.md, "Oversized alerts").

No Kafka and no clock here: the agent hands in the record and the registries, and sends what
comes back. Deduplication and sequencing need state and time; they are in `sequencer.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.base import Contract
from schemas.catalogue import ingress_topic_for
from schemas.codec import decode as decode_event
from schemas.codec import payload_of
from schemas.envelope import CloudEvent
from schemas.errors import CodecError
from schemas.hazard import HazardWarning
from schemas.ingress import (
    AlertConfirmation,
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    ShelterCapacityReport,
    TransportAvailability,
)
from schemas.signing import Problem, signature_problem
from schemas.types import GeoPoint, RejectReason
from services.intake.record import Record
from services.intake.timing import DEFAULT_LIMITS, TimeLimits, time_problem
from services.registry.authorise import authorise
from services.registry.partners import PartnerRegistry
from services.registry.regions import RegionRegistry


@dataclass(frozen=True)
class Admitted:
    """A message that passed the gate, not yet deduplicated nor sequenced."""

    event: CloudEvent
    payload: Contract
    partner_id: str
    regions: tuple[str, ...]
    confirm_above: int | None = None
    """The sender's limit, when this alert has more people: it is held for confirmation."""


@dataclass(frozen=True)
class Refused:
    reason: RejectReason
    message: str
    event_id: str | None = None
    partner_id: str | None = None


SIGNATURE_REFUSALS: dict[Problem, tuple[RejectReason, str]] = {
    "missing": (RejectReason.SIGNATURE_MISSING, "corridorsig: missing or empty"),
    "invalid": (
        RejectReason.SIGNATURE_INVALID,
        "corridorsig: not the HMAC-SHA256, with the partner's key, of the canonical envelope"
        " (RFC 8785 of id, source, type, subject, time and data; see the AsyncAPI document)",
    ),
}


def screen(
    record: Record,
    partners: PartnerRegistry,
    regions: RegionRegistry,
    limits: TimeLimits = DEFAULT_LIMITS,
) -> Admitted | Refused:
    """Decide whether one ingress record may enter the region log, and for which regions."""
    try:
        event = decode_event(record.value, record.headers)
    except CodecError as exc:
        return Refused(exc.reason, exc.message)
    claimed = event.partner_from_source()
    try:
        payload = payload_of(event)
    except CodecError as exc:
        return Refused(exc.reason, exc.message, event.id, claimed)
    expected = ingress_topic_for(payload)
    if expected is None or expected.name != record.topic:
        where = expected.name if expected else "no ingress topic"
        return Refused(
            RejectReason.WRONG_TOPIC,
            f"{event.type} belongs on {where}, not {record.topic}",
            event.id,
            claimed,
        )
    partner = partners.get(claimed) if claimed else None
    if partner is None:
        return Refused(
            RejectReason.UNKNOWN_PARTNER,
            f"source {event.source[:100]!r} is not a registered partner"
            " (expected corridor:partner:<partner_id>)",
            event.id,
            claimed,
        )
    problem = signature_problem(event, partner.secret.get_secret_value())
    if problem is not None:
        return Refused(*SIGNATURE_REFUSALS[problem], event.id, partner.partner_id)
    late = time_problem(event.time, payload, record.received_at, limits)
    if late is not None:
        return Refused(*late, event.id, partner.partner_id)
    found = regions_of(payload, regions)
    if isinstance(found, str):
        return Refused(RejectReason.UNRESOLVED_REGION, found, event.id, partner.partner_id)
    for region in found:
        denied = authorise(partner, record.topic, payload, region)
        if denied is not None:
            return Refused(RejectReason.UNAUTHORISED, denied, event.id, partner.partner_id)
    oversized = isinstance(payload, DisplacementAlert) and payload.persons > partner.confirm_above
    limit = partner.confirm_above if oversized else None
    return Admitted(event, payload, partner.partner_id, found, limit)


def regions_of(payload: Contract, registry: RegionRegistry) -> tuple[str, ...] | str:
    """The regions whose log receives this payload, or why none can be found."""
    given: tuple[str, ...]
    points: tuple[GeoPoint, ...] = ()
    if isinstance(payload, HazardWarning) and payload.without_info:
        # a Cancel without info applies wherever the warnings it references did: every region
        return tuple(sorted(registry.regions))
    if isinstance(payload, HazardWarning):
        given = tuple(p for area in payload.areas for p in area.region_pcodes)
        for area in payload.areas:
            points += tuple(p for ring in area.polygons for p in ring)
            points += tuple(c.center for c in area.circles)
    elif isinstance(payload, AllocationFeedback | EscalationAck | AlertConfirmation):
        given = (payload.region_pcode,)
    elif isinstance(payload, DisplacementAlert):
        given, points = _optional(payload.region_pcode), (payload.origin,)
    elif isinstance(payload, ShelterCapacityReport | TransportAvailability):
        given, points = _optional(payload.region_pcode), (payload.location,)
    else:  # pragma: no cover - every ingress payload is listed above
        return f"{type(payload).__name__} has no region"
    if given:
        unknown = [p for p in given if registry.get(p) is None]
        if unknown:
            return f"region {unknown[0]} is not a known region"
        if not isinstance(payload, HazardWarning):  # a hazard's areas may reach past its regions
            for point in points:
                located = registry.resolve(point)
                if located is not None and located not in given:
                    return (
                        f"region_pcode {given[0]} contradicts the location ({point.lat:.4f},"
                        f" {point.lon:.4f}), which lies in {located}"
                    )
        return tuple(sorted(set(given)))
    found = sorted({r for r in (registry.resolve(p) for p in points) if r is not None})
    if not found:
        first = points[0] if points else None
        where = f" ({first.lat:.4f}, {first.lon:.4f})" if first else ""
        return f"no known region contains the location{where}"
    return tuple(found)


def _optional(pcode: str | None) -> tuple[str, ...]:
    return () if pcode is None else (pcode,)
