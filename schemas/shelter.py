"""Shelter capacity reports.

Capacity is what the operator reported: a number of persons, a covered floor area, or nothing
known. The model never invents a number; :attr:`capacity_persons` derives persons from floor
area at the Sphere minimum of 3.5 m² of covered floor area per person.
"""

import math
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from schemas.base import Contract
from schemas.types import (
    MAX_PLACES,
    Flag,
    GeoPoint,
    Identifier,
    PCode,
    Places,
    ServiceSet,
    Timestamp,
)

SPHERE_M2_PER_PERSON = 3.5
"""Sphere minimum covered floor area per person in a shelter."""


def _kind_required(schema: dict[str, Any]) -> None:
    schema["required"] = ["kind", *schema.get("required", [])]


class _Tagged(Contract):
    """A member of a union told apart by ``kind``: optional in Python, required on the wire."""

    model_config = ConfigDict(json_schema_extra=_kind_required)


class PersonsCapacity(_Tagged):
    kind: Literal["persons"] = "persons"
    persons: Places

    @property
    def capacity_persons(self) -> int:
        return self.persons


class FloorAreaCapacity(_Tagged):
    kind: Literal["floor_area"] = "floor_area"
    # the same cap as persons: MAX_PLACES people at the Sphere minimum
    covered_m2: Annotated[
        float, Field(strict=True, gt=0, le=MAX_PLACES * SPHERE_M2_PER_PERSON, allow_inf_nan=False)
    ]

    @property
    def capacity_persons(self) -> int:
        return math.floor(self.covered_m2 / SPHERE_M2_PER_PERSON)


class UnknownCapacity(_Tagged):
    kind: Literal["unknown"] = "unknown"

    @property
    def capacity_persons(self) -> None:
        return None


Capacity = Annotated[
    PersonsCapacity | FloorAreaCapacity | UnknownCapacity, Field(discriminator="kind")
]


class ShelterCapacityReport(Contract):
    """An operator's report of a shelter's capacity, occupancy and services."""

    shelter_id: Identifier
    location: GeoPoint
    region_pcode: PCode | None = None
    capacity: Capacity
    occupancy: Places  # may exceed capacity: real sites are overcrowded
    services: ServiceSet = frozenset()
    open: Flag = True
    reported_at: Timestamp

    @property
    def capacity_persons(self) -> int | None:
        return self.capacity.capacity_persons
