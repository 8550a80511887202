"""Readers of the IOM DTM files in ``infra/registry/source/``: plain rows, no interpretation."""

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import NamedTuple

from services.config import INFRA_DIR

SOURCE_DIR = INFRA_DIR / "registry" / "source"
SITES_CSV = SOURCE_DIR / "iom-haiti-dtm-sites-2013.csv"
ADMIN1_JSON = SOURCE_DIR / "displacement-admin1-admin0pcode-hti.json"


class Site(NamedTuple):
    """A displacement site of the 2013 DTM site assessment."""

    ssid: str
    commune: str
    lat: float
    lon: float


class Admin1Figure(NamedTuple):
    """Displaced persons present in an admin1 area at a reporting date."""

    pcode: str
    name: str
    persons: int
    reporting_date: date


def read_site_rows(path: Path = SITES_CSV) -> list[dict[str, str]]:
    """The site assessment's rows as the file has them, in file order (the second row, HXL
    hashtags, is skipped): the one reader of this file, for the registry, the simulator and the
    benchmarks' scenarios."""
    with path.open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if not row["SSID"].startswith("#")]


def read_sites(path: Path = SITES_CSV) -> list[Site]:
    """The sites, by SSID."""
    return sorted(
        Site(row["SSID"], row["Commune"].strip().upper(), float(row["Lat"]), float(row["Lon"]))
        for row in read_site_rows(path)
    )


def read_latest_admin1(path: Path = ADMIN1_JSON) -> list[Admin1Figure]:
    """The latest figure of each admin1 area, by p-code.

    The DTM API splits a round's figure by displacement reason and by region of origin, so the
    persons present at the latest reporting date are the sum of that date's records.
    """
    records = json.loads(path.read_text(encoding="utf-8"))["result"]
    by_date: dict[tuple[str, date], list[dict[str, object]]] = defaultdict(list)
    for rec in records:
        by_date[rec["admin1Pcode"], date.fromisoformat(rec["reportingDate"][:10])].append(rec)
    latest = dict(sorted(by_date))  # sorted: each area's last date wins
    return [
        Admin1Figure(
            pcode=pcode,
            name=str(by_date[pcode, day][-1]["admin1Name"]),
            persons=sum(int(str(r["numPresentIdpInd"])) for r in by_date[pcode, day]),
            reporting_date=day,
        )
        for pcode, day in sorted(latest.items())
    ]
