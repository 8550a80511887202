"""Generate ``infra/registry/regions.json`` from the IOM DTM data in ``infra/registry/source/``.

    python -m services.registry.build_regions            # (re)write regions.json
    python -m services.registry.build_regions --check    # exit 1 if regions.json is out of date

Regions are Haiti's ten departments (admin1) as named in the DTM API file, with their latest
count of displaced persons present. Each region's seeds are its capital and the 2013 DTM sites
in it, thinned on a grid so the file stays small. The output is sorted and byte-deterministic.
"""

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

from schemas.types import GeoPoint
from services.registry.dtm import ADMIN1_JSON, SITES_CSV, Site, read_latest_admin1, read_sites
from services.registry.errors import RegistryError
from services.registry.regions import (
    DEFAULT_PATH,
    BoundingBox,
    Country,
    Displaced,
    Place,
    Region,
    RegionsFile,
)

HAITI = Country(
    iso3="HTI",
    name="Haiti",
    bbox=BoundingBox(min_lat=17.9, max_lat=20.2, min_lon=-74.6, max_lon=-71.6),
)

# The department (admin1) of each commune in the 2013 site file. Public administrative
# geography of Haiti: every commune of the file is in Ouest (HT01) except Jacmel, the capital
# of Sud-Est (HT02). A commune missing here stops the build rather than losing its sites.
COMMUNE_ADMIN1 = {
    "CARREFOUR": "HT01",
    "CITE SOLEIL": "HT01",
    "CROIX-DES-BOUQUETS": "HT01",
    "DELMAS": "HT01",
    "GANTHIER": "HT01",
    "GRAND-GOAVE": "HT01",
    "GRESSIER": "HT01",
    "LEOGANE": "HT01",
    "PETION-VILLE": "HT01",
    "PETIT-GOAVE": "HT01",
    "PORT-AU-PRINCE": "HT01",
    "TABARRE": "HT01",
    "JACMEL": "HT02",
}

# The chef-lieu (capital town) of each department, decimal degrees of the town centre.
CAPITALS = {
    "HT01": ("Port-au-Prince", 18.5392, -72.3364),
    "HT02": ("Jacmel", 18.2341, -72.5347),
    "HT03": ("Cap-Haïtien", 19.7579, -72.2041),
    "HT04": ("Fort-Liberté", 19.6656, -71.8387),
    "HT05": ("Gonaïves", 19.4475, -72.6889),
    "HT06": ("Hinche", 19.1500, -72.0167),
    "HT07": ("Les Cayes", 18.1933, -73.7461),
    "HT08": ("Jérémie", 18.6500, -74.1167),
    "HT09": ("Port-de-Paix", 19.9394, -72.8306),
    "HT10": ("Miragoâne", 18.4461, -73.0897),
}

MAX_SITE_SEEDS = 40
GRID_DEG = 0.02


def thin(sites: list[Site], max_seeds: int = MAX_SITE_SEEDS, cell: float = GRID_DEG) -> list[Site]:
    """One site per grid cell (the first by SSID), the grid doubling until at most ``max_seeds``."""
    ordered = sorted(sites)
    while True:
        kept: dict[tuple[int, int], Site] = {}
        for site in ordered:
            kept.setdefault((math.floor(site.lat / cell), math.floor(site.lon / cell)), site)
        if len(kept) <= max_seeds:
            return sorted(kept.values())
        cell *= 2


def sites_by_admin1(sites: list[Site]) -> dict[str, list[Site]]:
    """The sites of each admin1 p-code; an unknown commune stops the build."""
    out: dict[str, list[Site]] = defaultdict(list)
    for site in sites:
        pcode = COMMUNE_ADMIN1.get(site.commune)
        if pcode is None:
            raise RegistryError(f"site {site.ssid}: unknown commune {site.commune!r}")
        out[pcode].append(site)
    return out


def build(sites_csv: Path = SITES_CSV, admin1_json: Path = ADMIN1_JSON) -> RegionsFile:
    sites = sites_by_admin1(read_sites(sites_csv))
    figures = read_latest_admin1(admin1_json)
    if {f.pcode for f in figures} != set(CAPITALS):
        raise RegistryError(f"admin1 p-codes {sorted(f.pcode for f in figures)} != the capitals'")
    regions = []
    for figure in figures:
        town, lat, lon = CAPITALS[figure.pcode]
        kept = thin(sites.get(figure.pcode, []))
        seeds = {(lat, lon)} | {(round(s.lat, 6), round(s.lon, 6)) for s in kept}
        regions.append(
            Region(
                pcode=figure.pcode,
                name=figure.name,
                country=HAITI.iso3,
                capital=Place(name=town, location=GeoPoint(lat=lat, lon=lon)),
                seeds=tuple(GeoPoint(lat=a, lon=o) for a, o in sorted(seeds)),
                displaced=Displaced(persons=figure.persons, reporting_date=figure.reporting_date),
            )
        )
    return RegionsFile(countries=(HAITI,), regions=tuple(regions))


def render(document: RegionsFile) -> str:
    """The JSON text of the document: sorted keys, two-space indent, UTF-8, final newline."""
    data = document.model_dump(mode="json")
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate infra/registry/regions.json.")
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the output is out of date")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m services.registry.build_regions")
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
