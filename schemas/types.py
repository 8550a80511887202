"""The vocabulary of the contracts: constrained scalars, coordinates, sets and enumerations.

Numbers and booleans are strict (``"5"`` is not a household size, ``1`` is not ``true``);
timestamps must carry a timezone; sets serialise as sorted arrays so that the same model always
encodes to the same bytes (replaying the region log must reproduce decisions byte for byte).
"""

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, TypeVar

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
)

from schemas.base import Contract

T = TypeVar("T")

# --- identifiers -------------------------------------------------------------------------------

PCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9]{2,10}$")]
"""OCHA p-code of an administrative area: ISO alpha-2 prefix and digits (``HT01``, ``HT0116``)."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 3166-1 alpha-3 country code (``HTI``)."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")]
"""Id of a shelter, vehicle, alert, decision or escalation: 1–80 URL- and topic-safe characters."""

PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
"""Partner id; it appears in topic names (``partner.<id>.inbox.v1``)."""

EventId = Identifier
"""CloudEvents ``id`` of an event. Corridor narrows CloudEvents' "any non-empty string" to an
Identifier, so that an alert's event id can be its ``alert_id`` and every id is safe in topic
keys, URLs and log lines (UUIDs and URNs fit)."""

# --- numbers -----------------------------------------------------------------------------------

MAX_HOUSEHOLD_SIZE = 50
MAX_HOUSEHOLDS_PER_ALERT = 500
MAX_PLACES = 100_000

Count = Annotated[int, Strict(), Field(ge=0)]
Places = Annotated[int, Strict(), Field(ge=0, le=MAX_PLACES)]
HouseholdSize = Annotated[int, Strict(), Field(ge=1, le=MAX_HOUSEHOLD_SIZE)]
HouseholdIndex = Annotated[int, Strict(), Field(ge=0, lt=MAX_HOUSEHOLDS_PER_ALERT)]
Latitude = Annotated[float, Strict(), Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Strict(), Field(ge=-180, le=180, allow_inf_nan=False)]
Kilometres = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Flag = Annotated[bool, Strict()]


# --- time --------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$")


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMERIC.match(value)):
        raise ValueError("must be an ISO 8601 date-time with a UTC offset, not a number")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]
"""An ISO 8601 date-time with a UTC offset. Naive times are refused, and so are epoch numbers,
whose unit (seconds or milliseconds) would have to be guessed."""


class GeoPoint(Contract):
    """A WGS84 position in decimal degrees."""

    lat: Latitude
    lon: Longitude


# --- sets --------------------------------------------------------------------------------------


def _sorted_list(values: frozenset[Any]) -> list[Any]:
    return sorted(values)


SortedSet = Annotated[
    frozenset[T], PlainSerializer(_sorted_list, return_type=list[T], when_used="json")
]
"""A set in Python, a sorted JSON array on the wire."""


# --- enumerations ------------------------------------------------------------------------------


class Need(StrEnum):
    """A need that the destination shelter (and vehicle) must meet."""

    MEDICAL = "medical"
    MOBILITY = "mobility"
    UNACCOMPANIED_CHILDREN = "unaccompanied_children"  # unaccompanied or separated children


class Service(StrEnum):
    """A service a shelter offers."""

    ACCESSIBLE = "accessible"
    HEALTH = "health"
    CHILD_PROTECTION = "child_protection"
    WASH = "wash"


NEED_SERVICE: Mapping[Need, Service] = MappingProxyType(
    {
        Need.MOBILITY: Service.ACCESSIBLE,
        Need.MEDICAL: Service.HEALTH,
        Need.UNACCOMPANIED_CHILDREN: Service.CHILD_PROTECTION,
    }
)
"""The shelter service that meets each need."""

NeedSet = SortedSet[Need]
ServiceSet = SortedSet[Service]


class Sector(StrEnum):
    """IASC cluster a partner works in; escalations are routed by sector."""

    SHELTER_CCCM = "shelter_cccm"
    LOGISTICS = "logistics"
    HEALTH = "health"
    PROTECTION = "protection"
    WASH = "wash"


class VehicleKind(StrEnum):
    BUS = "bus"
    MINIBUS = "minibus"
    TRUCK = "truck"
    AMBULANCE = "ambulance"
    BOAT = "boat"
    CAR = "car"
    HELICOPTER = "helicopter"


class FeedbackKind(StrEnum):
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    VEHICLE_RELEASED = "vehicle_released"


class DisplacementCause(StrEnum):
    FLOOD = "flood"
    CYCLONE = "cyclone"
    EARTHQUAKE = "earthquake"
    CONFLICT = "conflict"
    FIRE = "fire"
    LANDSLIDE = "landslide"
    OTHER = "other"


class AckStatus(StrEnum):
    """What a partner says about an escalation it was sent."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class EscalationLevel(StrEnum):
    """IASC-style scale: L1 region partners, L2 national, L3 system-wide."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class EscalationReason(StrEnum):
    UNMET_NEED = "unmet_need"
    NO_TRANSPORT = "no_transport"
    STALE_DATA = "stale_data"
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    HAZARD = "hazard"
    UNACKNOWLEDGED = "unacknowledged"
    CONFIRMATION_NEEDED = "confirmation_needed"  # an alert above its sender's size is held


class EscalationStatus(StrEnum):
    OPEN = "open"
    UPDATED = "updated"
    RESOLVED = "resolved"


class UnplacedReason(StrEnum):
    """Why a household is on the waitlist. Never the lack of a vehicle: a household with a
    place keeps it, its placement says ``transport_pending`` and logistics partners are told."""

    NO_CAPACITY = "no_capacity"
    NO_SERVICE_MATCH = "no_service_match"
    BEYOND_MAX_DISTANCE = "beyond_max_distance"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # its alert is held above the sender's size


class Verdict(StrEnum):
    """A confirming partner's answer about an alert held for its size."""

    CONFIRMED = "confirmed"  # the alert is real: place its households
    REJECTED = "rejected"  # the alert is wrong: its households are dropped, never placed


class DropReason(StrEnum):
    """Why the allocator dropped a household without ever placing it."""

    CONFIRMATION_REJECTED = "confirmation_rejected"  # a confirming partner rejected its alert


class ReleaseReason(StrEnum):
    """Why the allocator gave up a place it had reserved (before expiry or feedback)."""

    CAPACITY_REDUCED = "capacity_reduced"  # a report left fewer places than were reserved
    SHELTER_CLOSED = "shelter_closed"  # a report closed the shelter


class RejectReason(StrEnum):
    """Machine-readable reason of a message refused by intake (``ingress.rejected.v1``)."""

    MALFORMED = "malformed"
    INVALID_ENVELOPE = "invalid_envelope"
    UNSUPPORTED_TYPE = "unsupported_type"
    VALIDATION_FAILED = "validation_failed"
    UNKNOWN_PARTNER = "unknown_partner"
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_INVALID = "signature_invalid"
    STALE = "stale"  # the event's time is older than the replay window
    FROM_THE_FUTURE = "from_the_future"  # a time ahead of the log's by more than the skew
    UNAUTHORISED = "unauthorised"
    DUPLICATE = "duplicate"
    TOO_LARGE = "too_large"
    UNRESOLVED_REGION = "unresolved_region"
    WRONG_TOPIC = "wrong_topic"


# --- CAP 1.2 -----------------------------------------------------------------------------------


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class ResponseType(StrEnum):
    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"
