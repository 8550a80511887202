"""Hazard warnings, flattened from CAP 1.2 alerts by the CAP adapter (one ``info`` per warning)."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.base import Contract
from schemas.types import (
    Certainty,
    GeoPoint,
    MsgType,
    PCode,
    ResponseType,
    Severity,
    SortedSet,
    Timestamp,
    Urgency,
)

CapIdentifier = Annotated[str, StringConstraints(pattern=r"^[^\s,<&]{1,200}$")]
"""CAP ``identifier``: no whitespace, comma or XML-reserved ``<`` and ``&``."""

CapReference = Annotated[str, StringConstraints(pattern=r"^[^\s<&]{1,600}$")]
"""One CAP ``references`` entry: ``sender,identifier,sent``."""

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]


def _closed(points: tuple[GeoPoint, ...]) -> tuple[GeoPoint, ...]:
    if points[0] != points[-1]:
        raise ValueError("polygon is not closed: the first point must equal the last")
    return points


Polygon = Annotated[tuple[GeoPoint, ...], Field(min_length=4), AfterValidator(_closed)]
"""A closed ring of at least four points, as in CAP (``lat,lon`` pairs, first = last)."""


class Circle(Contract):
    center: GeoPoint
    radius_km: Annotated[float, Field(strict=True, ge=0, le=20_000, allow_inf_nan=False)]


class Geocode(Contract):
    """A CAP ``geocode`` (``valueName`` and ``value``), e.g. a FIPS or p-code."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class HazardArea(Contract):
    """A CAP ``area``: description and geometry; ``region_pcodes`` are resolved by the adapter."""

    description: ShortText
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[Geocode, ...] = ()
    region_pcodes: tuple[PCode, ...] = ()


class HazardWarning(Contract):
    """A hazard warning from a CAP 1.2 alert.

    A CAP Cancel may carry no ``info`` at all: then ``event``, ``urgency``, ``severity`` and
    ``certainty`` are None and ``areas`` is empty, and the Cancel applies wherever the warnings
    it ``references`` did. Every other warning has all four and at least one area.
    """

    identifier: CapIdentifier
    event: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    msg_type: MsgType
    urgency: Urgency | None = None
    severity: Severity | None = None
    certainty: Certainty | None = None
    response_types: SortedSet[ResponseType] = frozenset()
    sent: Timestamp
    expires: Annotated[Timestamp | None, Field(validate_default=True)] = None
    headline: Annotated[str, StringConstraints(max_length=300)] | None = None
    areas: Annotated[tuple[HazardArea, ...], Field(validate_default=True)] = ()
    references: Annotated[tuple[CapReference, ...], Field(validate_default=True)] = ()

    @field_validator("expires")
    @classmethod
    def _after_sent(cls, expires: datetime | None, info: ValidationInfo) -> datetime | None:
        sent = info.data.get("sent")
        if expires is not None and sent is not None and expires < sent:
            raise ValueError("expires is before sent")
        return expires

    @field_validator("areas")
    @classmethod
    def _located(
        cls, areas: tuple[HazardArea, ...], info: ValidationInfo
    ) -> tuple[HazardArea, ...]:
        if not areas and info.data.get("msg_type") not in (None, MsgType.CANCEL):
            raise ValueError("at least one area is required unless msg_type is Cancel")
        return areas

    @model_validator(mode="after")
    def _described(self) -> Self:
        missing = [
            name
            for name in ("event", "urgency", "severity", "certainty")
            if getattr(self, name) is None
        ]
        if missing and self.msg_type != MsgType.CANCEL:
            raise ValueError(f"{', '.join(missing)} required unless msg_type is Cancel")
        return self

    @property
    def without_info(self) -> bool:
        """A Cancel that carries no ``info``: it applies wherever its references did."""
        return not self.areas

    def referenced_identifiers(self) -> tuple[str, ...]:
        """The CAP identifiers this warning updates or cancels (``sender,identifier,sent``)."""
        found: list[str] = []
        for ref in self.references:
            parts = ref.split(",")
            found.append(parts[1] if len(parts) >= 3 else ref)
        return tuple(found)

    @field_validator("references")
    @classmethod
    def _referenced(cls, refs: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        msg_type = info.data.get("msg_type")
        if not refs and msg_type is not None and msg_type != MsgType.ALERT:
            raise ValueError(f"required when msg_type is {msg_type}")
        return refs
