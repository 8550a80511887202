import json
from pathlib import Path

import pytest

from schemas.types import GeoPoint
from services.registry import build_regions
from services.registry.build_regions import CAPITALS, build, render, thin
from services.registry.dtm import SITES_CSV, Site, read_latest_admin1, read_sites
from services.registry.errors import RegistryError
from services.registry.regions import DEFAULT_PATH, RegionRegistry, load_regions


@pytest.fixture(scope="module")
def regions() -> RegionRegistry:
    return load_regions()


def test_ten_departments_of_haiti(regions: RegionRegistry) -> None:
    assert regions.pcodes == {f"HT{i:02d}" for i in range(1, 11)}
    ouest = regions.get("HT01")
    assert ouest is not None and ouest.name == "Ouest" and ouest.country == "HTI"
    assert ouest.capital.name == "Port-au-Prince"
    assert ouest.displaced is not None and ouest.displaced.persons > 0
    assert regions.get("HT11") is None


def test_seeds_are_thinned(regions: RegionRegistry) -> None:
    sizes = {pcode: len(region.seeds) for pcode, region in regions.regions.items()}
    assert 10 < sizes["HT01"] <= build_regions.MAX_SITE_SEEDS + 1  # sites + the capital
    assert sizes["HT02"] == 2  # Jacmel's one site and its capital


def test_every_dtm_site_resolves_to_its_department(regions: RegionRegistry) -> None:
    sites = read_sites()
    assert len(sites) == 352
    for site in sites:
        expected = "HT02" if site.commune == "JACMEL" else "HT01"
        assert regions.resolve(GeoPoint(lat=site.lat, lon=site.lon)) == expected, site.ssid


def test_jacmel_site_resolves_to_sud_est(regions: RegionRegistry) -> None:
    assert regions.resolve(GeoPoint(lat=18.240829, lon=-72.539197)) == "HT02"


@pytest.mark.parametrize("pcode", sorted(CAPITALS))
def test_each_capital_resolves_to_its_department(regions: RegionRegistry, pcode: str) -> None:
    _, lat, lon = CAPITALS[pcode]
    assert regions.resolve(GeoPoint(lat=lat, lon=lon)) == pcode


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (25.0, -60.0),  # the Atlantic
        (21.5, -77.9),  # Cuba
        (18.48, -69.9),  # Santo Domingo: outside Haiti's box
        (20.15, -74.55),  # inside the box, but open sea over 80 km from any seed
    ],
)
def test_points_outside_haiti_do_not_resolve(
    regions: RegionRegistry, lat: float, lon: float
) -> None:
    assert regions.resolve(GeoPoint(lat=lat, lon=lon)) is None


def test_max_km_is_respected(regions: RegionRegistry) -> None:
    near_hinche = GeoPoint(lat=19.15, lon=-71.9)  # about 12 km east of Hinche
    assert regions.resolve(near_hinche) == "HT06"
    assert regions.resolve(near_hinche, max_km=5) is None


def test_committed_file_is_up_to_date() -> None:
    assert DEFAULT_PATH.read_text(encoding="utf-8") == render(build())


def test_build_is_deterministic() -> None:
    assert render(build()) == render(build())
    sites = [Site(f"s{i:03d}", "X", 18.5 + i * 0.001, -72.3) for i in range(100)]
    assert thin(sites) == thin(list(reversed(sites)))
    assert len(thin(sites)) <= build_regions.MAX_SITE_SEEDS


def test_thin_keeps_first_site_by_ssid_per_cell() -> None:
    b, a, c = (
        Site("b", "X", 18.501, -72.301),
        Site("a", "X", 18.502, -72.302),
        Site("c", "X", 18.9, -72.9),
    )
    assert thin([b, a, c]) == [a, c]


def test_latest_displacement_figures() -> None:
    figures = {f.pcode: f for f in read_latest_admin1()}
    assert len(figures) == 10
    # Round 10 (June 2025) of Ouest is split into four records by reason and origin.
    assert figures["HT01"].persons == 1773 + 388996 + 17441 + 5006
    assert figures["HT01"].reporting_date.isoformat() == "2025-06-30"
    assert figures["HT08"].name == "Grande Anse"


def test_unknown_commune_stops_the_build(tmp_path: Path) -> None:
    lines = SITES_CSV.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "sites.csv"
    bad.write_text("\n".join([*lines[:2], lines[2].replace("PORT-AU-PRINCE", "NOWHERE")]) + "\n")
    with pytest.raises(RegistryError, match="unknown commune 'NOWHERE'"):
        build(sites_csv=bad)


def test_broken_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "regions.json"
    document = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    document["regions"][0]["country"] = "DOM"
    path.write_text(json.dumps(document))
    with pytest.raises(RegistryError, match="regions of no known country: HT01"):
        load_regions(path)
    with pytest.raises(RegistryError, match="cannot load regions"):
        load_regions(tmp_path / "missing.json")
