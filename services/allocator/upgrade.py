"""Stored allocator state written by an older Corridor, brought up to today's entities on load.

Reservations gained the household, its origin and since when it waits (to fetch it later or
place it again after a release). One stored before has none of these; rather than refuse the
whole table (the agent would crash on every event), it loads with what can be known honestly:
the household as its size with no demographics and no needs, its origin at its shelter, waiting
since the reservation. Those matter only if the household has to be placed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

RESERVATION = "reservation"
SHELTER = "shelter"


def upgraded(kind: str, raw: bytes, shelters: Mapping[str, Mapping[str, Any]]) -> bytes:
    """``raw`` as today's entity JSON (unchanged when it already is)."""
    if kind != RESERVATION:
        return raw
    data = orjson.loads(raw)
    if "household" in data:
        return raw
    shelter = shelters.get(data.get("shelter_id", ""), {})
    data.setdefault("household", {"size": data["persons"], "children": 0, "elderly": 0})
    data.setdefault("since", data["reserved_at"])
    data.setdefault("lat", shelter.get("lat", 0.0))
    data.setdefault("lon", shelter.get("lon", 0.0))
    return orjson.dumps(data)
