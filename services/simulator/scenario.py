"""A Port-au-Prince flood, played as partners would report it.

Real places: IOM DTM 2013 displacement sites report their covered area (capacity at 3.5 m² per
person) and the people they shelter; sites without a surveyed area report capacity "unknown",
as real data does. The civil protection (DGPC) opens evacuation centres with a known number of
places, the Red Cross makes minibuses available, and alerts of displaced households arrive from
around the sites. Seeded: the same seed plays the same scenario.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from services.registry.dtm import read_site_rows

ALERTS = "ingress.displacement-alerts.v1"
SHELTERS = "ingress.shelter-capacity.v1"
TRANSPORT = "ingress.transport-availability.v1"
HAZARDS = "ingress.hazard-warnings.v1"

SCARCE = ["health", "accessible", "child_protection"]

Message = tuple[str, str, dict[str, Any]]  # topic, partner id, payload data


def _sites(limit: int) -> list[dict[str, str]]:
    return sorted(read_site_rows(), key=lambda r: r["SSID"])[:limit]


def _capacity(row: dict[str, str]) -> dict[str, Any]:
    area = row.get("AreaOfSite", "").strip()
    if area and float(area) > 0:
        return {"kind": "floor_area", "covered_m2": float(area)}
    return {"kind": "unknown"}


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def flood(
    seed: int = 1, sites: int = 40, alerts: int = 25, now: datetime | None = None
) -> list[Message]:
    rng = random.Random(seed)  # noqa: S311 - a seeded scenario, not a secret
    now = now or datetime.now(UTC)
    stamp = _time(now)
    messages: list[Message] = []
    rows = _sites(sites)
    for row in rows:
        location = {"lat": float(row["Lat"]), "lon": float(row["Lon"])}
        services = ["wash"] if row.get("Presence of Toilets", "").startswith("Yes") else []
        messages.append((SHELTERS, "iom-dtm-ht", {
            "shelter_id": row["SSID"], "location": location, "capacity": _capacity(row),
            "occupancy": min(int(row["Number of Individuals"] or 0), 100_000),
            "services": services, "reported_at": stamp,
        }))  # fmt: skip
    for i in range(6):
        centre = rows[rng.randrange(len(rows))]
        messages.append((SHELTERS, "dpc-ht", {
            "shelter_id": f"dpc-centre-{i + 1}",
            "location": {"lat": round(float(centre["Lat"]) + rng.uniform(-0.01, 0.01), 6),
                         "lon": round(float(centre["Lon"]) + rng.uniform(-0.01, 0.01), 6)},
            "capacity": {"kind": "persons", "persons": rng.choice([60, 120, 200])},
            "occupancy": 0, "reported_at": stamp,
            "services": sorted({"wash", *rng.sample(SCARCE, 2)}),
        }))  # fmt: skip
    for i in range(4):
        base = rows[rng.randrange(len(rows))]
        messages.append((TRANSPORT, "croix-rouge-ht", {
            "vehicle_id": f"crh-minibus-{i + 1}", "kind": "minibus", "seats": 14,
            "accessible_places": 2 if i % 2 == 0 else 0, "available": True, "reported_at": stamp,
            "location": {"lat": float(base["Lat"]), "lon": float(base["Lon"])},
        }))  # fmt: skip
    for _ in range(alerts):
        origin = rows[rng.randrange(len(rows))]
        messages.append((ALERTS, "dpc-ht", _alert(rng, origin, stamp)))
    messages.append((HAZARDS, "cap-adapter", _cyclone(seed, stamp)))
    return messages


def _cyclone(seed: int, stamp: str) -> dict[str, Any]:
    """A CAP warning from the national meteorological service, as the CAP adapter flattens it:
    more rain on Port-au-Prince, people in the flood plain told to evacuate."""
    return {
        "identifier": f"ht-unmh-demo-{seed}-{stamp}".replace(":", ""), "event": "Tropical Storm",
        "msg_type": "Alert", "urgency": "Expected", "severity": "Severe", "certainty": "Likely",
        "response_types": ["Evacuate"], "sent": stamp,
        "headline": "Tropical storm: heavy rain and flooding expected in Ouest",
        "areas": [{"description": "Ouest department", "region_pcodes": ["HT01"]}],
    }  # fmt: skip


def _alert(rng: random.Random, site: dict[str, str], stamp: str) -> dict[str, Any]:
    households: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 5)):
        size = rng.randint(1, 7)
        children = rng.randint(0, size - 1) if size > 1 else 0
        elderly = 1 if size - children > 1 and rng.random() < 0.2 else 0
        needs = [n for n, p in (("medical", 0.05), ("mobility", 0.08),
                                ("unaccompanied_children", 0.03)) if rng.random() < p]  # fmt: skip
        households.append({"size": size, "children": children, "elderly": elderly, "needs": needs})
    persons = sum(h["size"] for h in households)
    children = sum(h["children"] for h in households)
    elderly = sum(h["elderly"] for h in households)
    return {
        "origin": {"lat": round(float(site["Lat"]) + rng.uniform(-0.02, 0.02), 6),
                   "lon": round(float(site["Lon"]) + rng.uniform(-0.02, 0.02), 6)},
        "cause": "flood", "observed_at": stamp, "households": households,
        "demographics": {
            "children": children, "adults": persons - children - elderly, "elderly": elderly,
            "female": persons // 2, "male": persons - persons // 2,
        },
    }  # fmt: skip
