"""Hypothesis strategies for valid Corridor payloads, composable for property tests.

Each builder takes optional fixed values or strategies for the fields a test wants to control
(``alerts(region="HT01", origin=point)``, ``shelter_reports(capacity=persons_capacities())``)
and draws the rest.
"""

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from schemas.codec import to_event
from schemas.envelope import RESERVED_NAMES, CloudEvent, partner_source
from schemas.ingress import (
    AllocationFeedback,
    Circle,
    Demographics,
    DisplacementAlert,
    EscalationAck,
    FloorAreaCapacity,
    Geocode,
    HazardArea,
    HazardWarning,
    Household,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
    UnknownCapacity,
)
from schemas.outputs import (
    AllocationDecision,
    EscalationEvent,
    Placement,
    RejectedMessage,
    Waitlisted,
)
from schemas.region import RegionTick
from schemas.sequenced import SequencedEvent
from schemas.types import (
    MAX_HOUSEHOLD_SIZE,
    AckStatus,
    Certainty,
    DisplacementCause,
    EscalationLevel,
    EscalationReason,
    EscalationStatus,
    FeedbackKind,
    GeoPoint,
    MsgType,
    Need,
    RejectReason,
    ResponseType,
    Sector,
    Service,
    Severity,
    UnplacedReason,
    Urgency,
    VehicleKind,
)

T = TypeVar("T")
_ANY: Any = object()  # "draw it": distinct from None, which is a value some fields take


def _given(value: Any, default: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """A strategy from a fixed value, a strategy, or the default when not given."""
    if value is _ANY:
        return default
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(value)


# --- scalars -----------------------------------------------------------------------------------

EPOCH = datetime(2024, 1, 1)  # noqa: DTZ001 - st.datetimes takes naive bounds; draws are aware


def pcodes() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Z]{2}[0-9]{2,6}", fullmatch=True)


def identifiers() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,24}", fullmatch=True)


def partner_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)


def event_ids() -> st.SearchStrategy[str]:
    return identifiers() | st.uuids().map(str)


def moments(start: datetime = EPOCH, days: int = 365) -> st.SearchStrategy[datetime]:
    """Aware datetimes in UTC or a fixed offset, from ``start`` (naive) for ``days``."""
    offsets = st.sampled_from(
        [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
    )
    return st.datetimes(min_value=start, max_value=start + timedelta(days=days), timezones=offsets)


def geopoints(near: GeoPoint | None = None, spread: float = 0.5) -> st.SearchStrategy[GeoPoint]:
    """Any WGS84 point, or one within ``spread`` degrees of ``near`` (clipped to the globe)."""
    if near is None:
        lat = st.floats(min_value=-90, max_value=90, allow_nan=False)
        lon = st.floats(min_value=-180, max_value=180, allow_nan=False)
    else:
        lat = st.floats(max(-90, near.lat - spread), min(90, near.lat + spread))
        lon = st.floats(max(-180, near.lon - spread), min(180, near.lon + spread))
    return st.builds(GeoPoint, lat=lat, lon=lon)


def needs() -> st.SearchStrategy[frozenset[Need]]:
    return st.frozensets(st.sampled_from(Need))


def services() -> st.SearchStrategy[frozenset[Service]]:
    return st.frozensets(st.sampled_from(Service))


# --- alerts ------------------------------------------------------------------------------------


@st.composite
def households(draw: st.DrawFn, max_size: int = MAX_HOUSEHOLD_SIZE, needs: Any = _ANY) -> Household:
    size = draw(st.integers(1, max_size))
    children = draw(st.integers(0, size))
    elderly = draw(st.integers(0, size - children))
    flags = draw(_given(needs, st.frozensets(st.sampled_from(Need))))
    return Household(size=size, children=children, elderly=elderly, needs=flags)


@st.composite
def demographics_for(draw: st.DrawFn, members: tuple[Household, ...]) -> Demographics:
    """Demographics that agree with ``members``."""
    persons = sum(h.size for h in members)
    children = sum(h.children for h in members)
    elderly = sum(h.elderly for h in members)
    female = draw(st.integers(0, persons))
    return Demographics(
        children=children,
        adults=persons - children - elderly,
        elderly=elderly,
        female=female,
        male=persons - female,
    )


@st.composite
def alerts(
    draw: st.DrawFn,
    region: Any = _ANY,
    origin: Any = _ANY,
    members: Any = _ANY,
    min_households: int = 1,
    max_households: int = 8,
    observed_at: Any = _ANY,
) -> DisplacementAlert:
    """A valid alert; ``members`` is a strategy for households (default :func:`households`)."""
    member = _given(members, households())
    drawn = tuple(draw(st.lists(member, min_size=min_households, max_size=max_households)))
    return DisplacementAlert(
        origin=draw(_given(origin, geopoints())),
        region_pcode=draw(_given(region, st.none() | pcodes())),
        cause=draw(st.sampled_from(DisplacementCause)),
        observed_at=draw(_given(observed_at, moments())),
        households=drawn,
        demographics=draw(demographics_for(drawn)),
    )


# --- shelters and vehicles ---------------------------------------------------------------------


def persons_capacities(max_persons: int = 100_000) -> st.SearchStrategy[PersonsCapacity]:
    return st.builds(PersonsCapacity, persons=st.integers(0, max_persons))


def floor_area_capacities() -> st.SearchStrategy[FloorAreaCapacity]:
    area = st.floats(min_value=0, max_value=350_000, exclude_min=True)
    return st.builds(FloorAreaCapacity, covered_m2=area)


def capacities() -> st.SearchStrategy[PersonsCapacity | FloorAreaCapacity | UnknownCapacity]:
    return persons_capacities() | floor_area_capacities() | st.just(UnknownCapacity())


def shelter_reports(
    shelter_id: Any = _ANY,
    region: Any = _ANY,
    location: Any = _ANY,
    capacity: Any = _ANY,
    occupancy: Any = _ANY,
    services: Any = _ANY,
    open: Any = _ANY,
    reported_at: Any = _ANY,
) -> st.SearchStrategy[ShelterCapacityReport]:
    return st.builds(
        ShelterCapacityReport,
        shelter_id=_given(shelter_id, identifiers()),
        location=_given(location, geopoints()),
        region_pcode=_given(region, st.none() | pcodes()),
        capacity=_given(capacity, capacities()),
        occupancy=_given(occupancy, st.integers(0, 100_000)),
        services=_given(services, st.frozensets(st.sampled_from(Service))),
        open=_given(open, st.booleans()),
        reported_at=_given(reported_at, moments()),
    )


@st.composite
def vehicles(
    draw: st.DrawFn,
    vehicle_id: Any = _ANY,
    region: Any = _ANY,
    location: Any = _ANY,
    available: Any = _ANY,
    max_seats: int = 500,
    reported_at: Any = _ANY,
) -> TransportAvailability:
    seats = draw(st.integers(1, max_seats))
    return TransportAvailability(
        vehicle_id=draw(_given(vehicle_id, identifiers())),
        kind=draw(st.sampled_from(VehicleKind)),
        seats=seats,
        accessible_places=draw(st.integers(0, seats)),
        location=draw(_given(location, geopoints())),
        region_pcode=draw(_given(region, st.none() | pcodes())),
        available=draw(_given(available, st.booleans())),
        speed_kmh=draw(st.floats(5, 300)),
        reported_at=draw(_given(reported_at, moments())),
    )


# --- feedback, acks, ticks ---------------------------------------------------------------------


@st.composite
def feedbacks(draw: st.DrawFn, kind: Any = _ANY, region: Any = _ANY) -> AllocationFeedback:
    chosen = draw(_given(kind, st.sampled_from(FeedbackKind)))
    released = chosen == FeedbackKind.VEHICLE_RELEASED
    return AllocationFeedback(
        decision_id=draw(identifiers()),
        alert_id=draw(identifiers()),
        household_index=draw(st.integers(0, 499)),
        kind=chosen,
        region_pcode=draw(_given(region, pcodes())),
        shelter_id=draw(st.none() | identifiers() if released else identifiers()),
        vehicle_id=draw(identifiers() if released else st.none() | identifiers()),
        observed_at=draw(moments()),
    )


def escalation_acks(region: Any = _ANY) -> st.SearchStrategy[EscalationAck]:
    return st.builds(
        EscalationAck,
        escalation_id=identifiers(),
        region_pcode=_given(region, pcodes()),
        acknowledged_at=moments(),
        status=st.sampled_from(AckStatus),
    )


def region_ticks(region: Any = _ANY) -> st.SearchStrategy[RegionTick]:
    return st.builds(
        RegionTick,
        region_pcode=_given(region, pcodes()),
        tick_at=moments(),
        sequence=st.integers(0, 10**9),
    )


# --- CAP hazard warnings -----------------------------------------------------------------------


@st.composite
def polygons(draw: st.DrawFn, near: GeoPoint | None = None) -> tuple[GeoPoint, ...]:
    ring = draw(st.lists(geopoints(near), min_size=3, max_size=8))
    return (*ring, ring[0])


def hazard_areas(region: Any = _ANY) -> st.SearchStrategy[HazardArea]:
    return st.builds(
        HazardArea,
        description=st.text(min_size=1, max_size=80),
        polygons=st.lists(polygons(), max_size=2).map(tuple),
        circles=st.lists(
            st.builds(Circle, center=geopoints(), radius_km=st.floats(0, 20_000)), max_size=2
        ).map(tuple),
        geocodes=st.lists(
            st.builds(
                Geocode,
                name=st.text(min_size=1, max_size=20),
                value=st.text(min_size=1, max_size=200),
            ),
            max_size=2,
        ).map(tuple),
        region_pcodes=st.lists(_given(region, pcodes()), max_size=3).map(tuple),
    )


@st.composite
def hazard_warnings(draw: st.DrawFn, region: Any = _ANY) -> HazardWarning:
    msg_type = draw(st.sampled_from(MsgType))
    sent = draw(moments())
    reference = st.from_regex(
        r"[a-z0-9.@-]{1,20},[A-Za-z0-9.-]{1,20},2024-01-01T00:00:00Z", fullmatch=True
    )
    min_refs = 0 if msg_type == MsgType.ALERT else 1
    return HazardWarning(
        identifier=draw(st.from_regex(r"[A-Za-z0-9._:@-]{1,40}", fullmatch=True)),
        event=draw(st.text(min_size=1, max_size=40)),
        msg_type=msg_type,
        urgency=draw(st.sampled_from(Urgency)),
        severity=draw(st.sampled_from(Severity)),
        certainty=draw(st.sampled_from(Certainty)),
        response_types=draw(st.frozensets(st.sampled_from(ResponseType))),
        sent=sent,
        expires=draw(st.none() | st.timedeltas(timedelta(0), timedelta(days=3)).map(sent.__add__)),
        headline=draw(st.none() | st.text(max_size=120)),
        areas=tuple(draw(st.lists(hazard_areas(region), min_size=1, max_size=3))),
        references=tuple(draw(st.lists(reference, min_size=min_refs, max_size=2))),
    )


# --- outputs -----------------------------------------------------------------------------------


@st.composite
def placements(draw: st.DrawFn, alert_id: Any = _ANY, household_index: Any = _ANY) -> Placement:
    pending = draw(st.booleans())
    return Placement(
        alert_id=draw(_given(alert_id, identifiers())),
        household_index=draw(_given(household_index, st.integers(0, 499))),
        persons=draw(st.integers(1, 50)),
        needs=draw(st.frozensets(st.sampled_from(Need))),
        shelter_id=draw(identifiers()),
        vehicle_id=None if pending else draw(st.none() | identifiers()),
        transport_pending=pending,
        distance_km=draw(st.floats(0, 20_000)),
        eta_minutes=draw(st.none() | st.integers(0, 10_000)),
        shelter_data_stale=draw(st.booleans()),
        reserved_until=draw(moments()),
    )


def waitlisted(alert_id: Any = _ANY, household_index: Any = _ANY) -> st.SearchStrategy[Waitlisted]:
    return st.builds(
        Waitlisted,
        alert_id=_given(alert_id, identifiers()),
        household_index=_given(household_index, st.integers(0, 499)),
        persons=st.integers(1, 50),
        needs=st.frozensets(st.sampled_from(Need)),
        reason=st.sampled_from(UnplacedReason),
        since=moments(),
    )


@st.composite
def decisions(draw: st.DrawFn, region: Any = _ANY) -> AllocationDecision:
    alert_id = draw(identifiers())
    indices = draw(st.lists(st.integers(0, 499), unique=True, max_size=8))
    split = draw(st.integers(0, len(indices)))
    return AllocationDecision(
        decision_id=draw(identifiers()),
        region_pcode=draw(_given(region, pcodes())),
        decided_at=draw(moments()),
        cause_event_id=draw(event_ids()),
        alert_id=alert_id,
        placements=tuple(draw(placements(alert_id, i)) for i in indices[:split]),
        waitlisted=tuple(draw(waitlisted(alert_id, i)) for i in indices[split:]),
    )


@st.composite
def escalation_events(draw: st.DrawFn, region: Any = _ANY) -> EscalationEvent:
    opened_at = draw(moments())
    return EscalationEvent(
        escalation_id=draw(identifiers()),
        region_pcode=draw(_given(region, pcodes())),
        reason=draw(st.sampled_from(EscalationReason)),
        sector=draw(st.sampled_from(Sector)),
        level=draw(st.sampled_from(EscalationLevel)),
        status=draw(st.sampled_from(EscalationStatus)),
        episode=draw(st.integers(1, 1000)),
        persons_affected=draw(st.integers(0, 10**6)),
        households_affected=draw(st.integers(0, 10**5)),
        needs_counts=draw(st.dictionaries(st.sampled_from(Need), st.integers(0, 10**5))),
        opened_at=opened_at,
        updated_at=opened_at + draw(st.timedeltas(timedelta(0), timedelta(days=2))),
        ack_deadline=draw(st.none() | moments()),
        cause_event_ids=tuple(draw(st.lists(event_ids(), max_size=4))),
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def rejected_messages() -> st.SearchStrategy[RejectedMessage]:
    return st.builds(
        RejectedMessage,
        topic=st.from_regex(r"[a-z0-9.-]{1,40}", fullmatch=True),
        partition=st.integers(0, 11),
        offset=st.integers(0, 2**62),
        key_b64=st.none() | st.binary(max_size=20).map(_b64),
        value_b64=st.binary(max_size=200).map(_b64),
        headers=st.lists(
            st.tuples(st.text(max_size=20), st.binary(max_size=20).map(_b64)), max_size=3
        ).map(tuple),
        reason=st.sampled_from(RejectReason),
        message=st.text(max_size=200),
        rejected_at=moments(),
        event_id=st.none() | st.text(max_size=200),
        partner_id=st.none() | partner_ids(),
    )


# --- any payload, events -----------------------------------------------------------------------


def ingress_payloads() -> st.SearchStrategy[Any]:
    return st.one_of(
        alerts(),
        shelter_reports(),
        vehicles(),
        feedbacks(),
        hazard_warnings(),
        escalation_acks(),
    )


def payloads() -> st.SearchStrategy[Any]:
    """Any registered payload model."""
    return st.one_of(
        ingress_payloads(),
        region_ticks(),
        decisions(),
        escalation_events(),
        rejected_messages(),
    )


def extensions() -> st.SearchStrategy[dict[str, str]]:
    names = st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(
        lambda name: name not in RESERVED_NAMES
    )
    return st.dictionaries(names, st.text(max_size=40), max_size=3)


@st.composite
def cloudevents(draw: st.DrawFn, payload: Any = _ANY) -> CloudEvent:
    """A CloudEvent around any payload, with optional time, subject and extensions."""
    return to_event(
        draw(_given(payload, payloads())),
        id=draw(event_ids()),
        source=draw(partner_ids().map(partner_source)),
        time=draw(st.none() | moments()),
        subject=draw(st.none() | pcodes()),
        extensions=draw(extensions()),
    )


@st.composite
def sequenced_events(draw: st.DrawFn, region: Any = _ANY) -> SequencedEvent:
    pcode = draw(_given(region, pcodes()))
    if draw(st.booleans()):
        tick_at = draw(moments())
        return SequencedEvent.tick(pcode, tick_at, draw(st.integers(0, 10**6)))
    partner = draw(partner_ids())
    return SequencedEvent(
        event_id=draw(event_ids()),
        source=partner_source(partner),
        region_pcode=pcode,
        sequenced_at=draw(moments()),
        partner_id=partner,
        payload=draw(ingress_payloads()),
    )
