"""Example payloads (as partners send them: plain JSON data) at real IOM DTM Haiti sites."""

from __future__ import annotations

from typing import Any

# Campus GHESKIO, Port-au-Prince (DTM 2013 site 111_01_026), region HT01 (Ouest).
GHESKIO = {"lat": 18.539616, "lon": -72.349869}
NOW = "2026-11-26T03:00:00Z"


def alert(households: list[int] | None = None, **changes: Any) -> dict[str, Any]:
    sizes = households or [4, 2]
    persons = sum(sizes)
    data = {
        "origin": GHESKIO,
        "cause": "flood",
        "observed_at": NOW,
        "households": [{"size": n, "children": n // 2, "elderly": 0} for n in sizes],
        "demographics": {
            "children": sum(n // 2 for n in sizes),
            "adults": persons - sum(n // 2 for n in sizes),
            "elderly": 0,
            "female": persons // 2,
            "male": persons - persons // 2,
        },
    }
    return {**data, **changes}


def shelter(shelter_id: str = "111_01_026", **changes: Any) -> dict[str, Any]:
    data = {
        "shelter_id": shelter_id,
        "location": GHESKIO,
        "capacity": {"kind": "persons", "persons": 200},
        "occupancy": 120,
        "services": ["wash", "health"],
        "reported_at": NOW,
    }
    return {**data, **changes}


def vehicle(vehicle_id: str = "crh-bus-01", **changes: Any) -> dict[str, Any]:
    data = {
        "vehicle_id": vehicle_id,
        "kind": "bus",
        "seats": 40,
        "accessible_places": 2,
        "location": GHESKIO,
        "available": True,
        "reported_at": NOW,
    }
    return {**data, **changes}


def feedback(**changes: Any) -> dict[str, Any]:
    data = {
        "decision_id": "d-1",
        "alert_id": "a-1",
        "household_index": 0,
        "kind": "arrived",
        "region_pcode": "HT01",
        "shelter_id": "111_01_026",
        "observed_at": NOW,
    }
    return {**data, **changes}


def ack(**changes: Any) -> dict[str, Any]:
    data = {
        "escalation_id": "esc:HT01:unmet_need:protection:1",
        "region_pcode": "HT01",
        "acknowledged_at": NOW,
        "status": "acknowledged",
    }
    return {**data, **changes}


def hazard(**changes: Any) -> dict[str, Any]:
    ring = [
        {"lat": 18.50, "lon": -72.40}, {"lat": 18.60, "lon": -72.40},
        {"lat": 18.60, "lon": -72.30}, {"lat": 18.50, "lon": -72.40},
    ]  # fmt: skip
    data = {
        "identifier": "HT-CNM-2026-11-26-001",
        "event": "Tropical Cyclone",
        "msg_type": "Alert",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "response_types": ["Evacuate"],
        "sent": NOW,
        "areas": [{"description": "Port-au-Prince", "polygons": [ring]}],
    }
    return {**data, **changes}
