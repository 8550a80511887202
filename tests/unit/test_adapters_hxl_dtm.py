"""HXL and DTM adapters on the real IOM DTM Haiti files, made-up HXL sheets, and fuzzed bytes."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from schemas.ingress import DisplacementAlert
from services.adapters import dtm, hxl
from services.adapters.errors import AdapterError
from services.config import PROJECT_ROOT
from services.registry.dtm import ADMIN1_JSON, SITES_CSV
from services.registry.regions import load_regions

REGIONS = load_regions()
NOW = datetime(2026, 11, 26, 8, tzinfo=UTC)
ADMIN2_JSON = (
    PROJECT_ROOT.parent / "shared" / "data" / "dtm" / "displacement-admin2-admin0pcode-hti.json"
)


def test_all_352_dtm_sites_import_with_coordinates_and_a_region() -> None:
    result = hxl.convert(SITES_CSV.read_bytes(), REGIONS, now=NOW)
    assert len(result.shelters) == 352 and result.skipped == ()
    assert all(s.report.region_pcode in ("HT01", "HT02") for s in result.shelters)
    by_id = {s.report.shelter_id: s.report for s in result.shelters}
    golf = by_id["111_01_030"]  # AreaOfSite 98366 m², 12304 people, assessed 27 Jun 2013
    assert golf.capacity.kind == "floor_area" and golf.capacity_persons == 28104
    assert golf.occupancy == 12304 and golf.reported_at == datetime(2013, 6, 27, tzinfo=UTC)
    assert by_id["111_01_026"].capacity.kind == "unknown"  # no area, no capacity: not invented


MODERN = """Shelter list,,,,,,,
Name,Code,Lat,Lon,Admin1,Capacity,Org,Date
#loc +name,#loc +code,#geo +lat,#geo +lon,#adm1 +code,#capacity,#org,#date +reported
École Nationale,dpc-centre-1,18.54,-72.34,HT01,120,DGPC,2026-11-25
Stade,dpc-centre-2,18.55,-72.33,,,DGPC,
,,,,,,,
,no-id-here,,,,,,
Église,,18.5,-72.3,,,,
Lycée,dpc-centre-3,95,-72.3,,,,
Parc,dpc-centre-4,18.5,-72.3,,lots,,
Camp,dpc-centre-5,18.5,-72.3,,10.5,,
Hall,dpc-centre-6,18.5,-72.3,HT99,40,,not a date
"""


def test_modern_hxl_with_rows_above_and_skipped_rows_with_lines() -> None:
    result = hxl.convert(MODERN.encode(), REGIONS, now=NOW)
    reports = {s.report.shelter_id: s.report for s in result.shelters}
    assert reports["dpc-centre-1"].capacity_persons == 120
    assert reports["dpc-centre-1"].reported_at == datetime(2026, 11, 25, tzinfo=UTC)
    assert reports["dpc-centre-2"].capacity.kind == "unknown"
    assert (
        reports["dpc-centre-2"].region_pcode == "HT01"
        and reports["dpc-centre-2"].reported_at == NOW
    )
    assert [(s.line, s.reason.split(":")[0]) for s in result.skipped] == [
        (7, "no-id-here"),  # no coordinates
        (8, "no shelter id"),
        (9, "dpc-centre-3"),
        (10, "capacity 'lots' is not a number"),
        (11, "capacity 10.5 is not a whole number of persons"),
        (12, "date 'not a date' is not a date"),
    ]


def test_xlsx_is_read_like_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in MODERN.splitlines()[:5]:
        sheet.append([float(c) if c.replace(".", "").lstrip("-").isdigit() else (c or None)
                      for c in row.split(",")])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    result = hxl.convert(buffer.getvalue(), REGIONS, now=NOW)
    assert [s.report.shelter_id for s in result.shelters] == ["dpc-centre-1", "dpc-centre-2"]
    assert result.shelters[0].report.capacity_persons == 120 and result.shelters[0].line == 4


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"a,b\n1,2\n", "hashtag row"),
        (b"#loc+name,#capacity\nx,1\n", "no column for shelter id"),
        (b"PK\x03\x04garbage", "not a readable XLSX"),
    ],
)
def test_refused_tables(data: bytes, where: str) -> None:
    with pytest.raises(AdapterError, match=where):
        hxl.convert(data, REGIONS, now=NOW)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_hxl_arbitrary_bytes_raise_only_adapter_errors(data: bytes) -> None:
    with contextlib.suppress(AdapterError):
        hxl.convert(data, REGIONS, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=20))
def test_hxl_arbitrary_cells_under_a_tag_row_raise_only_adapter_errors(
    rows: list[list[str]],
) -> None:
    head = "#loc+code,#geo+lat,#geo+lon,#capacity,#area,#population,#date,#adm1+code\n"
    body = "\n".join(",".join(c.replace("\n", " ") for c in row) for row in rows)
    with contextlib.suppress(AdapterError):
        hxl.convert((head + body).encode(), REGIONS, now=NOW)


@pytest.mark.parametrize("path", [ADMIN1_JSON, ADMIN2_JSON], ids=["admin1", "admin2"])
def test_dtm_api_files_import(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is not beside the clone")
    result = dtm.convert(path.read_bytes(), REGIONS)
    assert result.baselines and result.increases and result.skipped == ()
    ids = [event_id for i in result.increases for event_id, _ in i.alerts]
    assert len(set(ids)) == len(ids)
    for increase in result.increases:
        alerts = [a for _, a in increase.alerts]
        assert sum(a.persons for a in alerts) == increase.persons
        assert all(isinstance(a, DisplacementAlert) and a.region_pcode for a in alerts)
        assert all(f":r{increase.current.round}:" in event_id for event_id, _ in increase.alerts)


def test_dtm_baseline_sums_reasons_of_a_round() -> None:
    result = dtm.convert(ADMIN1_JSON.read_bytes(), REGIONS)
    key = ("HT01", "Countrywide monitoring", 1)
    (b,) = [b for b in result.baselines if (b.pcode, b.operation, b.round) == key]
    assert b.persons == 21684 and b.reasons == (("Insecurity", 21684),)


@given(st.integers(1, 200_000))
def test_household_sizes_are_whole_and_add_up(persons: int) -> None:
    sizes = dtm.household_sizes(persons)
    assert sum(sizes) == persons and max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    assert max(sizes) <= 50


@pytest.mark.parametrize("data", [b"[", b'{"result": 3}', b"[1, 2]", b'{"result": [{}]}'])
def test_dtm_refuses_or_skips_bad_documents(data: bytes) -> None:
    try:
        result = dtm.convert(data, REGIONS)
    except AdapterError:
        return
    assert result.skipped and not result.increases
