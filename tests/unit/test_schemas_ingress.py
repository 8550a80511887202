"""Ingress payloads refuse each kind of invalid value, naming the field and the rule."""

import math
from typing import Any

import pytest
from hypothesis import given
from pydantic import BaseModel, ValidationError

from schemas.errors import describe
from schemas.ingress import (
    AllocationFeedback,
    DisplacementAlert,
    EscalationAck,
    FloorAreaCapacity,
    HazardWarning,
    PersonsCapacity,
    ShelterCapacityReport,
    TransportAvailability,
    UnknownCapacity,
)
from schemas.types import NEED_SERVICE, DisplacementCause, Need, Service
from tests.strategies import alerts

T0 = "2024-05-01T08:30:00Z"
POINT = {"lat": 18.54, "lon": -72.34}


def alert(**overrides: Any) -> dict[str, Any]:
    base = {
        "origin": POINT,
        "cause": "flood",
        "observed_at": T0,
        "households": [
            {"size": 4, "children": 2, "elderly": 0, "needs": ["mobility"]},
            {"size": 2, "children": 0, "elderly": 1},
        ],
        "demographics": {"children": 2, "adults": 3, "elderly": 1, "female": 3, "male": 3},
    }
    return base | overrides


def household(**overrides: Any) -> dict[str, Any]:
    return {"size": 3, "children": 1, "elderly": 0} | overrides


def shelter(**overrides: Any) -> dict[str, Any]:
    base = {
        "shelter_id": "ht-site-0042",
        "location": POINT,
        "capacity": {"kind": "persons", "persons": 300},
        "occupancy": 120,
        "services": ["wash", "health"],
        "reported_at": T0,
    }
    return base | overrides


def vehicle(**overrides: Any) -> dict[str, Any]:
    base = {
        "vehicle_id": "bus-7",
        "kind": "bus",
        "seats": 40,
        "accessible_places": 2,
        "location": POINT,
        "available": True,
        "reported_at": T0,
    }
    return base | overrides


def feedback(**overrides: Any) -> dict[str, Any]:
    base = {
        "decision_id": "dec-a1",
        "alert_id": "a1",
        "household_index": 0,
        "kind": "arrived",
        "region_pcode": "HT01",
        "shelter_id": "ht-site-0042",
        "observed_at": T0,
    }
    return base | overrides


RING = [{"lat": 0.0, "lon": 0.0}, {"lat": 1.0, "lon": 0.0}, {"lat": 1.0, "lon": 1.0}]


def hazard(**overrides: Any) -> dict[str, Any]:
    base = {
        "identifier": "KSTO1055887203",
        "event": "Hazardous materials",
        "msg_type": "Alert",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "response_types": ["Shelter"],
        "sent": "2003-06-17T14:57:00-07:00",
        "expires": "2003-06-17T16:00:00-07:00",
        "areas": [{"description": "Downtown", "polygons": [[*RING, RING[0]]]}],
    }
    return base | overrides


def refusal(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe(caught.value)


def test_valid_examples_are_accepted() -> None:
    a = DisplacementAlert.model_validate(alert())
    assert a.persons == 6
    assert a.households[0].needs == frozenset({Need.MOBILITY})
    assert ShelterCapacityReport.model_validate(shelter()).capacity_persons == 300
    assert TransportAvailability.model_validate(vehicle()).speed_kmh == 40.0
    assert AllocationFeedback.model_validate(feedback()).vehicle_id is None
    assert HazardWarning.model_validate(hazard()).areas[0].polygons[0][0].lat == 0.0
    ack = {"escalation_id": "esc-1", "region_pcode": "HT01", "acknowledged_at": T0}
    assert EscalationAck.model_validate(ack | {"status": "in_progress"}).status == "in_progress"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            alert(households=[household(size=0, children=0)]),
            "households.0.size: Input should be greater than or equal to 1",
        ),
        (
            alert(households=[household(size=10_000)]),
            "households.0.size: Input should be less than or equal to 50",
        ),
        (
            alert(households=[household(size="3")]),
            "households.0.size: Input should be a valid integer",
        ),
        (
            alert(households=[household(name="x")]),
            "households.0.name: Extra inputs are not permitted",
        ),
        (
            alert(households=[household(children=2, elderly=2)]),
            "households.0: children + elderly (4) exceed size (3)",
        ),
        (
            alert(households=[household(needs=["wheelchair"])]),
            "households.0.needs.0: Input should be 'medical', 'mobility' or",
        ),
        (alert(households=[]), "households: Tuple should have at least 1 item"),
        (
            alert(households=[household()] * 501),
            "households: Tuple should have at most 500 items",
        ),
        (alert(observed_at="2024-05-01T08:30:00"), "observed_at: Input should have timezone"),
        (alert(origin={"lat": 91, "lon": 0}), "origin.lat: Input should be less than or equal"),
        (
            alert(origin={"lat": 0, "lon": -180.5}),
            "origin.lon: Input should be greater than or equal to -180",
        ),
        (alert(origin={"lat": 0, "lon": math.nan}), "origin.lon: Input should be a finite number"),
        (alert(origin={"lat": math.inf, "lon": 0}), "origin.lat: Input should be a finite number"),
        (alert(region_pcode="ht01"), "region_pcode: String should match pattern"),
        (alert(region_pcode="HT1"), "region_pcode: String should match pattern"),
        (alert(cause="volcano"), "cause: Input should be 'flood'"),
        (alert(phone="+509 3700 0000"), "phone: Extra inputs are not permitted"),
        (
            {k: v for k, v in alert().items() if k != "demographics"},
            "demographics: Field required",
        ),
        (
            alert(demographics={"children": 2, "adults": 4, "elderly": 1, "female": 3, "male": 3}),
            "demographics: children + adults + elderly (7) != persons in households (6)",
        ),
        (
            alert(demographics={"children": 2, "adults": 3, "elderly": 1, "female": 3, "male": 2}),
            "demographics: female + male (5) != persons (6)",
        ),
        (
            alert(demographics={"children": 3, "adults": 2, "elderly": 1, "female": 3, "male": 3}),
            "demographics: children (3) != households' children (2)",
        ),
        (
            alert(demographics={"children": 2, "adults": 3, "elderly": -1, "female": 3, "male": 3}),
            "demographics.elderly: Input should be greater than or equal to 0",
        ),
    ],
)
def test_invalid_alerts_are_refused(data: dict[str, Any], expected: str) -> None:
    assert refusal(DisplacementAlert, data).startswith(expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            shelter(capacity={"kind": "persons", "persons": -1}),
            "capacity.persons.persons: Input should be greater than or equal to 0",
        ),
        (shelter(occupancy=-5), "occupancy: Input should be greater than or equal to 0"),
        (
            shelter(capacity={"kind": "floor_area", "covered_m2": 0}),
            "capacity.floor_area.covered_m2: Input should be greater than 0",
        ),
        (
            shelter(capacity={"kind": "floor_area", "covered_m2": 10_000_000.0}),
            "capacity.floor_area.covered_m2: Input should be less than or equal to 350000",
        ),
        (shelter(capacity={"persons": 300}), "capacity: Unable to extract tag using discriminator"),
        (shelter(capacity={"kind": "beds", "beds": 3}), "capacity: Input tag 'beds' found"),
        (shelter(services=["kitchen"]), "services.0: Input should be 'accessible'"),
        (shelter(open="yes"), "open: Input should be a valid boolean"),
        (shelter(shelter_id="site 42"), "shelter_id: String should match pattern"),
        (shelter(shelter_id=""), "shelter_id: String should match pattern"),
        (shelter(reported_at="2024-05-01"), "reported_at: Input should have timezone info"),
        (shelter(reported_at=1714552200), "reported_at: must be an ISO 8601 date-time"),
        (shelter(reported_at="1714552200000"), "reported_at: must be an ISO 8601 date-time"),
        (shelter(manager="x"), "manager: Extra inputs are not permitted"),
    ],
)
def test_invalid_shelter_reports_are_refused(data: dict[str, Any], expected: str) -> None:
    assert refusal(ShelterCapacityReport, data).startswith(expected)


def test_capacity_in_persons_is_reported_or_derived_at_sphere_minimum() -> None:
    assert PersonsCapacity(persons=12).capacity_persons == 12
    assert FloorAreaCapacity(covered_m2=35.0).capacity_persons == 10
    assert FloorAreaCapacity(covered_m2=34.9).capacity_persons == 9
    assert FloorAreaCapacity(covered_m2=3.0).capacity_persons == 0
    assert UnknownCapacity().capacity_persons is None
    overcrowded = ShelterCapacityReport.model_validate(
        shelter(capacity={"kind": "floor_area", "covered_m2": 350.0}, occupancy=400)
    )
    assert overcrowded.capacity_persons == 100
    unknown = ShelterCapacityReport.model_validate(shelter(capacity={"kind": "unknown"}))
    assert unknown.capacity_persons is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (vehicle(seats=0), "seats: Input should be greater than or equal to 1"),
        (vehicle(seats=501), "seats: Input should be less than or equal to 500"),
        (vehicle(accessible_places=41), "accessible_places: accessible_places (41) exceed seats"),
        (vehicle(speed_kmh=2), "speed_kmh: Input should be greater than or equal to 5"),
        (vehicle(kind="rickshaw"), "kind: Input should be 'bus'"),
        (vehicle(available=1), "available: Input should be a valid boolean"),
        (vehicle(driver="x"), "driver: Extra inputs are not permitted"),
    ],
)
def test_invalid_vehicles_are_refused(data: dict[str, Any], expected: str) -> None:
    assert refusal(TransportAvailability, data).startswith(expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            feedback(kind="vehicle_released", shelter_id=None),
            "vehicle_id: required when kind is vehicle_released",
        ),
        (feedback(shelter_id=None), "shelter_id: required when kind is arrived"),
        (feedback(kind="no_show", shelter_id=None), "shelter_id: required when kind is no_show"),
        (feedback(household_index=500), "household_index: Input should be less than 500"),
        (feedback(region_pcode=None), "region_pcode: Input should be a valid string"),
    ],
)
def test_invalid_feedback_is_refused(data: dict[str, Any], expected: str) -> None:
    assert refusal(AllocationFeedback, data).startswith(expected)


def test_vehicle_released_needs_no_shelter() -> None:
    released = feedback(kind="vehicle_released", shelter_id=None, vehicle_id="bus-7")
    assert AllocationFeedback.model_validate(released).shelter_id is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            hazard(areas=[{"description": "x", "polygons": [[*RING, RING[1]]]}]),
            "areas.0.polygons.0: polygon is not closed",
        ),
        (
            hazard(areas=[{"description": "x", "polygons": [[RING[0], RING[1], RING[0]]]}]),
            "areas.0.polygons.0: Tuple should have at least 4 items",
        ),
        (hazard(areas=[]), "areas: at least one area is required unless msg_type is Cancel"),
        (hazard(severity=None), "data: severity required unless msg_type is Cancel"),
        (
            hazard(areas=[{"description": "x", "circles": [{"center": POINT, "radius_km": -1}]}]),
            "areas.0.circles.0.radius_km: Input should be greater than or equal to 0",
        ),
        (hazard(identifier="has space"), "identifier: String should match pattern"),
        (hazard(identifier="a,b"), "identifier: String should match pattern"),
        (hazard(msg_type="Ack"), "msg_type: Input should be 'Alert', 'Update' or 'Cancel'"),
        (hazard(msg_type="Update"), "references: required when msg_type is Update"),
        (hazard(expires="2003-06-17T13:00:00-07:00"), "expires: expires is before sent"),
        (hazard(headline="x" * 301), "headline: String should have at most 300 characters"),
        (hazard(response_types=["Run"]), "response_types.0: Input should be 'Shelter'"),
    ],
)
def test_invalid_hazard_warnings_are_refused(data: dict[str, Any], expected: str) -> None:
    assert refusal(HazardWarning, data).startswith(expected)


def test_cap_update_with_references_is_accepted() -> None:
    refs = ["smn.cna.gob.mx,avisossmn-ciclontropical-4061,2018-10-20T04:15:00-05:00"]
    update = HazardWarning.model_validate(hazard(msg_type="Update", references=refs))
    assert update.references == tuple(refs)


def test_cap_cancel_without_info_is_represented() -> None:
    refs = ["smn.cna.gob.mx,avisossmn-ciclontropical-4061,2018-10-20T04:15:00-05:00"]
    data = {
        k: v for k, v in hazard(msg_type="Cancel", references=refs).items()
        if k not in ("event", "urgency", "severity", "certainty", "areas", "response_types")
    }  # fmt: skip
    cancel = HazardWarning.model_validate(data)
    assert cancel.without_info and cancel.severity is None
    assert cancel.referenced_identifiers() == ("avisossmn-ciclontropical-4061",)


def test_models_are_frozen() -> None:
    a = DisplacementAlert.model_validate(alert())
    with pytest.raises(ValidationError, match="frozen"):
        a.cause = DisplacementCause.FIRE  # type: ignore[misc]


def test_every_need_is_met_by_a_service() -> None:
    assert set(NEED_SERVICE) == set(Need)
    assert NEED_SERVICE[Need.MOBILITY] == Service.ACCESSIBLE
    assert NEED_SERVICE[Need.UNACCOMPANIED_CHILDREN] == Service.CHILD_PROTECTION


@given(alerts())
def test_generated_alerts_are_consistent(a: DisplacementAlert) -> None:
    d = a.demographics
    assert d.children + d.adults + d.elderly == a.persons == d.female + d.male
