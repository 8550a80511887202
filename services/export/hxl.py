"""`corridor export hxl`: a region's situation, one row per shelter, as HXL-tagged CSV.

HXL (Humanitarian Exchange Language) puts a row of hashtags under the header row, so HDX and
partners' tools read the columns without a mapping. Formatting is pure; :func:`fetch` reads the
ledger tables. Counts only: nothing here describes a person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

# (header, HXL hashtag) of each column, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Region p-code", "#adm1+code"),
    ("Shelter id", "#loc+code"),
    ("Shelter", "#loc+name"),
    ("Latitude", "#geo+lat"),
    ("Longitude", "#geo+lon"),
    ("Capacity (persons)", "#capacity"),
    ("Occupancy (persons)", "#affected+idps"),
    ("Available (persons)", "#capacity+available"),
    ("Allocated by Corridor (persons)", "#reached"),
    ("Awaiting arrival (persons)", "#reached+pending"),
    ("Arrived (persons)", "#reached+arrived"),
    ("Services", "#service"),
    ("Open", "#status"),
    ("Reported at", "#date+reported"),
    ("Operator", "#org+code"),
)


@dataclass(frozen=True, slots=True)
class ShelterLine:
    region_pcode: str
    shelter_id: str
    name: str | None
    lat: float
    lon: float
    capacity: int | None  # persons; None when unknown
    occupancy: int
    reserved: int  # persons placed or in transit, not arrived yet
    arrived: int
    services: tuple[str, ...]
    open: bool
    reported_at: datetime
    operator: str | None

    @property
    def available(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.occupancy - self.reserved)

    def cells(self) -> list[str]:
        def number(value: int | None) -> str:
            return "" if value is None else str(value)

        return [
            self.region_pcode,
            self.shelter_id,
            self.name or self.shelter_id,
            f"{self.lat:.6f}",
            f"{self.lon:.6f}",
            number(self.capacity),
            str(self.occupancy),
            number(self.available),
            str(self.reserved + self.arrived),
            str(self.reserved),
            str(self.arrived),
            " ".join(sorted(self.services)),
            "open" if self.open else "closed",
            self.reported_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            self.operator or "",
        ]


def to_csv(lines: Iterable[ShelterLine]) -> str:
    """Header row, hashtag row, then one row per shelter in shelter-id order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header for header, _ in COLUMNS])
    writer.writerow([tag for _, tag in COLUMNS])
    for line in sorted(lines, key=lambda x: x.shelter_id):
        writer.writerow(line.cells())
    return out.getvalue()


_SITUATION = """
    SELECT s.region_pcode, s.shelter_id, s.name, s.lat, s.lon, s.capacity, s.occupancy,
           s.services, s.open, s.reported_at, s.operator_partner_id,
           COALESCE(sum(h.persons) FILTER (WHERE h.outcome IN ('placed', 'in_transit')), 0)
               AS reserved,
           COALESCE(sum(h.persons) FILTER (WHERE h.outcome = 'arrived'), 0) AS arrived
    FROM shelters s LEFT JOIN households h ON h.shelter_id = s.shelter_id
    WHERE s.region_pcode = $1
    GROUP BY s.shelter_id
    ORDER BY s.shelter_id"""


def _line(r: asyncpg.Record) -> ShelterLine:
    return ShelterLine(
        region_pcode=r["region_pcode"], shelter_id=r["shelter_id"], name=r["name"],
        lat=r["lat"], lon=r["lon"], capacity=r["capacity"], occupancy=r["occupancy"],
        reserved=int(r["reserved"]), arrived=int(r["arrived"]),
        services=tuple(r["services"]), open=r["open"], reported_at=r["reported_at"],
        operator=r["operator_partner_id"],
    )  # fmt: skip


async def fetch(conn: asyncpg.Connection, region: str) -> list[ShelterLine]:
    return [_line(r) for r in await conn.fetch(_SITUATION, region)]


async def export(dsn: str, region: str) -> str:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return to_csv(await fetch(conn, region))
    finally:
        await conn.close()
