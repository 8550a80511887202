"""HXL shelter lists (CSV or XLSX) → ShelterCapacityReports, and every skipped row with why.

Columns are found by hashtag, newest convention first, then the pre-1.0 one of IOM DTM files:

| field | HXL 1.x | pre-1.0 (DTM Haiti 2013) |
|---|---|---|
| shelter id | ``#loc+code``, ``#loc+id``, ``#activity+code`` | ``#activity_id`` |
| name | ``#loc+name`` | ``#loc`` |
| latitude / longitude | ``#geo+lat`` / ``#geo+lon`` | ``#lat_deg`` / ``#lon_deg`` |
| region | ``#adm1+code`` | — (resolved from the coordinates) |
| capacity (persons) | ``#capacity`` | — |
| site area (m²) | ``#area``, ``#geo+area`` | header ``AreaOfSite`` (no hashtag) |
| occupancy (persons) | ``#population``, ``#affected+ind``, ``#occupancy`` | ``#people_num`` |
| date | ``#date+reported``, ``#date`` | ``#report_date`` |
| organisation | ``#org`` | ``#org`` |

Capacity is the reported number of persons; without one, the site area at 3.5 m² per person
(``FloorAreaCapacity``); without either, unknown, never a guess. A blank occupancy is 0 (the
list reports places, not residents). A row without an id or coordinates is skipped, with its line.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas.errors import describe
from schemas.shelter import ShelterCapacityReport
from schemas.types import GeoPoint
from services.adapters.errors import AdapterError
from services.adapters.hxl_table import HxlTable, Row, read_table
from services.registry.regions import RegionRegistry

_DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class ShelterRow:
    """A report and who its row says operates the site (``#org``; not part of the contract)."""

    line: int
    report: ShelterCapacityReport
    organisation: str | None


@dataclass(frozen=True)
class HxlResult:
    shelters: tuple[ShelterRow, ...]
    skipped: tuple[SkippedRow, ...]


@dataclass(frozen=True)
class _Columns:
    shelter_id: int | None
    lat: int | None
    lon: int | None
    region: int | None
    capacity: int | None
    area: int | None
    occupancy: int | None
    reported: int | None
    organisation: int | None

    @classmethod
    def of(cls, table: HxlTable) -> "_Columns":
        find = table.find
        return cls(
            shelter_id=find("#loc+code", "#loc+id", "#activity+code", "#activity_id"),
            lat=find("#geo+lat", "#lat_deg"),
            lon=find("#geo+lon", "#lon_deg"),
            region=find("#adm1+code"),
            capacity=find("#capacity"),
            area=find("#area", "#geo+area", header="AreaOfSite"),
            occupancy=find("#population", "#affected+ind", "#occupancy", "#people_num"),
            reported=find("#date+reported", "#date", "#report_date"),
            organisation=find("#org+name", "#org"),
        )


def convert(data: bytes, regions: RegionRegistry, *, now: datetime) -> HxlResult:
    """Read one HXL file; ``now`` is the report time of rows that carry no date."""
    table = read_table(data)
    columns = _Columns.of(table)
    for name in ("shelter_id", "lat", "lon"):
        if getattr(columns, name) is None:
            raise AdapterError("hashtag row", f"no column for {name.replace('_', ' ')}")
    shelters, skipped = [], []
    for row in table.rows:
        if not any(c.strip() for c in row.cells):
            continue  # a blank line is not a site
        try:
            shelters.append(_shelter(row, columns, regions, now))
        except _Skip as skip:
            skipped.append(SkippedRow(row.line, str(skip)))
    return HxlResult(tuple(shelters), tuple(skipped))


class _Skip(Exception):
    pass


def _shelter(row: Row, c: _Columns, regions: RegionRegistry, now: datetime) -> ShelterRow:
    shelter_id = row.get(c.shelter_id)
    if not shelter_id:
        raise _Skip("no shelter id")
    lat, lon = _number(row, c.lat, "latitude"), _number(row, c.lon, "longitude")
    if lat is None or lon is None:
        raise _Skip(f"{shelter_id}: no coordinates")
    try:
        location = GeoPoint(lat=lat, lon=lon)
    except ValidationError:
        raise _Skip(f"{shelter_id}: coordinates out of range") from None
    region = row.get(c.region).upper() or None
    if region is not None and regions.get(region) is None:
        region = None  # an admin1 code Corridor does not know: resolve from the coordinates
    region = region or regions.resolve(location)
    persons = _number(row, c.capacity, "capacity")
    area = _number(row, c.area, "site area")
    if persons is not None:
        capacity: dict[str, object] = {"kind": "persons", "persons": _whole(persons, "capacity")}
    elif area:
        capacity = {"kind": "floor_area", "covered_m2": area}
    else:
        capacity = {"kind": "unknown"}
    occupancy = _number(row, c.occupancy, "occupancy")
    fields = {
        "shelter_id": shelter_id,
        "location": location,
        "region_pcode": region,
        "capacity": capacity,
        "occupancy": 0 if occupancy is None else _whole(occupancy, "occupancy"),
        "reported_at": _date(row, c.reported) or now,
    }
    try:
        report = ShelterCapacityReport.model_validate(fields)
    except ValidationError as exc:
        raise _Skip(f"{shelter_id}: {describe(exc, root='report')}") from None
    return ShelterRow(row.line, report, row.get(c.organisation) or None)


def _number(row: Row, column: int | None, name: str) -> float | None:
    text = row.get(column).replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _Skip(f"{name} {text[:20]!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _Skip(f"{name} is not a finite number")
    return value


def _whole(value: float, name: str) -> int:
    if not value.is_integer() or value < 0:
        raise _Skip(f"{name} {value:g} is not a whole number of persons")
    return int(value)


def _date(row: Row, column: int | None) -> datetime | None:
    text = row.get(column)
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _Skip(f"date {text[:30]!r} is not a date")
