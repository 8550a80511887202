"""Database rows → response models, where it takes more than ``Model(**row)``."""

from __future__ import annotations

from typing import Any

from services.opscentre.models import (
    EscalationCounts,
    MapCell,
    People,
    RegionSituation,
    ShelterUse,
)


def _n(value: Any) -> int:
    return int(value or 0)


def utilisation(capacity: int, occupancy: int, reserved: int) -> float | None:
    return (occupancy + reserved) / capacity if capacity > 0 else None


def region_situation(row: dict[str, Any]) -> RegionSituation:
    people = People(
        displaced=_n(row["displaced"]), placed=_n(row["placed"]),
        in_transit=_n(row["in_transit"]), arrived=_n(row["arrived"]),
        waitlisted=_n(row["waitlisted"]), no_show=_n(row["no_show"]),
        cancelled=_n(row["cancelled"]), pending=_n(row["pending"]),
    )  # fmt: skip
    capacity, occupancy, reserved = _n(row["capacity"]), _n(row["occupancy"]), _n(row["reserved"])
    places = ShelterUse(
        shelters=_n(row["shelters"]), open_shelters=_n(row["open_shelters"]),
        capacity=capacity, occupancy=occupancy, reserved=reserved,
        utilisation=utilisation(capacity, occupancy, reserved),
    )  # fmt: skip
    counts = EscalationCounts(L1=_n(row["l1"]), L2=_n(row["l2"]), L3=_n(row["l3"]))
    return RegionSituation(
        region_pcode=row["region_pcode"], people=people, shelters=places, open_escalations=counts
    )


def map_cell(row: dict[str, Any]) -> MapCell:
    capacity, occupancy, reserved = _n(row["capacity"]), _n(row["occupancy"]), _n(row["reserved"])
    return MapCell(
        lat=float(row["lat"]), lon=float(row["lon"]), shelters=_n(row["shelters"]),
        capacity=capacity, occupancy=occupancy, reserved=reserved,
        utilisation=utilisation(capacity, occupancy, reserved),
    )  # fmt: skip
