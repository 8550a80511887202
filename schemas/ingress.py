"""Payloads partners publish to the ingress topics.

Groups, never individuals: an alert counts households and people, with need flags, and carries no
names, phone numbers or document numbers. Shelter reports live in :mod:`schemas.shelter` and CAP
hazard warnings in :mod:`schemas.hazard`; both are re-exported here.
"""

from typing import Annotated, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from schemas.base import Contract
from schemas.hazard import Circle, Geocode, HazardArea, HazardWarning
from schemas.shelter import (
    SPHERE_M2_PER_PERSON,
    Capacity,
    FloorAreaCapacity,
    PersonsCapacity,
    ShelterCapacityReport,
    UnknownCapacity,
)
from schemas.types import (
    MAX_HOUSEHOLDS_PER_ALERT,
    AckStatus,
    Count,
    DisplacementCause,
    FeedbackKind,
    Flag,
    GeoPoint,
    HouseholdIndex,
    HouseholdSize,
    Identifier,
    NeedSet,
    PCode,
    Timestamp,
    VehicleKind,
    Verdict,
)

__all__ = [
    "SPHERE_M2_PER_PERSON",
    "AlertConfirmation",
    "AllocationFeedback",
    "Capacity",
    "Circle",
    "Demographics",
    "DisplacementAlert",
    "EscalationAck",
    "FloorAreaCapacity",
    "Geocode",
    "HazardArea",
    "HazardWarning",
    "Household",
    "PersonsCapacity",
    "ShelterCapacityReport",
    "TransportAvailability",
    "UnknownCapacity",
]


class Household(Contract):
    """One household, identified by its index in the alert. It is never split."""

    size: HouseholdSize
    children: Count
    elderly: Count
    needs: NeedSet = frozenset()

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.children + self.elderly > self.size:
            raise ValueError(
                f"children + elderly ({self.children + self.elderly}) exceed size ({self.size})"
            )
        return self


class Demographics(Contract):
    """Counts of the people in an alert, by age group and by sex."""

    children: Count
    adults: Count
    elderly: Count
    female: Count
    male: Count


class DisplacementAlert(Contract):
    """People displaced at one place and time, needing shelter."""

    origin: GeoPoint
    region_pcode: PCode | None = None  # resolved from the origin by intake when absent
    cause: DisplacementCause
    observed_at: Timestamp
    households: Annotated[
        tuple[Household, ...], Field(min_length=1, max_length=MAX_HOUSEHOLDS_PER_ALERT)
    ]
    demographics: Demographics

    @field_validator("demographics")
    @classmethod
    def _agrees(cls, d: Demographics, info: ValidationInfo) -> Demographics:
        households: tuple[Household, ...] | None = info.data.get("households")
        if households is None:  # already refused; one error is enough
            return d
        persons = sum(h.size for h in households)
        children = sum(h.children for h in households)
        elderly = sum(h.elderly for h in households)
        problems = []
        if d.children + d.adults + d.elderly != persons:
            problems.append(
                f"children + adults + elderly ({d.children + d.adults + d.elderly})"
                f" != persons in households ({persons})"
            )
        if d.female + d.male != persons:
            problems.append(f"female + male ({d.female + d.male}) != persons ({persons})")
        if d.children != children:
            problems.append(f"children ({d.children}) != households' children ({children})")
        if d.elderly != elderly:
            problems.append(f"elderly ({d.elderly}) != households' elderly ({elderly})")
        if problems:
            raise ValueError("; ".join(problems))
        return d

    @property
    def persons(self) -> int:
        return sum(h.size for h in self.households)


class TransportAvailability(Contract):
    """A vehicle's current position and availability."""

    vehicle_id: Identifier
    kind: VehicleKind
    seats: Annotated[int, Field(strict=True, ge=1, le=500)]
    accessible_places: Count
    location: GeoPoint
    region_pcode: PCode | None = None
    available: Flag
    speed_kmh: Annotated[float, Field(strict=True, ge=5, le=300, allow_inf_nan=False)] = 40.0
    reported_at: Timestamp

    @field_validator("accessible_places")
    @classmethod
    def _within_seats(cls, places: int, info: ValidationInfo) -> int:
        seats = info.data.get("seats")
        if seats is not None and places > seats:
            raise ValueError(f"accessible_places ({places}) exceed seats ({seats})")
        return places


class AllocationFeedback(Contract):
    """What happened to a placement: arrived, no-show, cancelled, or its vehicle released."""

    decision_id: Identifier
    alert_id: Identifier
    household_index: HouseholdIndex
    kind: FeedbackKind
    region_pcode: PCode
    shelter_id: Annotated[Identifier | None, Field(validate_default=True)] = None
    vehicle_id: Annotated[Identifier | None, Field(validate_default=True)] = None
    observed_at: Timestamp

    @field_validator("shelter_id")
    @classmethod
    def _shelter_given(cls, shelter_id: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if shelter_id is None and kind is not None and kind != FeedbackKind.VEHICLE_RELEASED:
            raise ValueError(f"required when kind is {kind}")
        return shelter_id

    @field_validator("vehicle_id")
    @classmethod
    def _vehicle_given(cls, vehicle_id: str | None, info: ValidationInfo) -> str | None:
        if vehicle_id is None and info.data.get("kind") == FeedbackKind.VEHICLE_RELEASED:
            raise ValueError("required when kind is vehicle_released")
        return vehicle_id


class EscalationAck(Contract):
    """A partner's answer to an escalation; the partner is the event's source, not a field."""

    escalation_id: Identifier
    region_pcode: PCode
    acknowledged_at: Timestamp
    status: AckStatus


class AlertConfirmation(Contract):
    """A confirming partner's verdict on an alert held because it is larger than its sender's
    ``confirm_above``; the partner is the event's source, never the alert's own sender."""

    alert_id: Identifier
    region_pcode: PCode
    verdict: Verdict
    decided_at: Timestamp
