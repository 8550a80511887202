"""HXL export: header row, hashtag row, one row per shelter; counts only."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from services.export.hxl import COLUMNS, ShelterLine, to_csv

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def line(shelter_id: str, **changes: object) -> ShelterLine:
    base = ShelterLine(
        region_pcode="HT01", shelter_id=shelter_id, name=None, lat=18.5392, lon=-72.3364,
        capacity=100, occupancy=60, reserved=15, arrived=5, services=("wash", "health"),
        open=True, reported_at=AT, operator="iom-dtm-ht",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_and_hashtag_rows_then_shelters_in_id_order() -> None:
    rows = parsed(to_csv([line("s2"), line("s1", name="École Nationale, Delmas")]))
    header, tags, first, second = rows
    assert header[0] == "Region p-code" and len(header) == len(COLUMNS)
    assert tags[:6] == ["#adm1+code", "#loc+code", "#loc+name", "#geo+lat", "#geo+lon", "#capacity"]
    assert {"#affected+idps", "#reached"} <= set(tags)
    assert first[:3] == ["HT01", "s1", "École Nationale, Delmas"]  # the comma is quoted
    assert second[2] == "s2"  # no name: the id stands in
    by_tag = dict(zip(tags, first, strict=True))
    assert by_tag["#geo+lat"] == "18.539200" and by_tag["#geo+lon"] == "-72.336400"
    assert by_tag["#capacity"] == "100" and by_tag["#affected+idps"] == "60"
    assert by_tag["#capacity+available"] == "25"  # 100 - 60 - 15
    assert by_tag["#reached"] == "20" and by_tag["#reached+arrived"] == "5"
    assert by_tag["#service"] == "health wash"
    assert by_tag["#date+reported"] == "2026-11-26T03:00:00Z"


def test_unknown_capacity_and_overcrowding() -> None:
    tags, unknown, crowded = parsed(to_csv([line("a", capacity=None), line("b", occupancy=130)]))[
        1:
    ]
    assert dict(zip(tags, unknown, strict=True))["#capacity"] == ""
    assert dict(zip(tags, unknown, strict=True))["#capacity+available"] == ""
    assert dict(zip(tags, crowded, strict=True))["#capacity+available"] == "0"


def test_times_in_utc_and_closed_shelters() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    tags, row = parsed(to_csv([line("a", reported_at=local, open=False)]))[1:]
    assert dict(zip(tags, row, strict=True))["#date+reported"] == "2026-11-26T03:00:00Z"
    assert dict(zip(tags, row, strict=True))["#status"] == "closed"


def test_no_shelters_still_has_both_header_rows() -> None:
    assert len(parsed(to_csv([]))) == 2
