"""Allocation scenarios on the real IOM DTM Haiti 2013 sites (for the quality and speed benches).

Sites are shelters: capacity from the site's area at 3.5 m² per person when surveyed, else from
its number of individuals times the median persons-per-individual of the surveyed sites, then
scaled so that total capacity is ``ratio`` × the people displaced. Households are displaced from
origins around the sites, drawn from a seeded numpy Generator: the same seed gives the same
scenario. Scarce services are drawn per site (the 2013 survey records only WASH facilities).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schemas.shelter import SPHERE_M2_PER_PERSON
from schemas.types import Need, Service
from services.registry.dtm import SITES_CSV, read_site_rows

SERVICE_SHARE = {Service.HEALTH: 0.15, Service.ACCESSIBLE: 0.25, Service.CHILD_PROTECTION: 0.10}
NEED_SHARE = {Need.MEDICAL: 0.04, Need.UNACCOMPANIED_CHILDREN: 0.02, Need.MOBILITY: 0.05}
ORIGIN_SPREAD_DEG = 0.03
MEAN_EXTRA_MEMBERS = 2.9  # DTM 2013: 278,945 individuals in 70,910 households, 3.9 each


@dataclass(frozen=True)
class Site:
    site_id: str
    lat: float
    lon: float
    raw_capacity: float
    services: frozenset[Service]


@dataclass(frozen=True)
class Family:
    ident: str
    lat: float
    lon: float
    size: int
    elderly: int
    needs: frozenset[Need]


@dataclass(frozen=True)
class Scenario:
    ratio: float
    shelters: tuple[tuple[Site, int], ...]  # (site, capacity in persons)
    families: tuple[Family, ...]  # in arrival order

    @property
    def persons(self) -> int:
        return sum(f.size for f in self.families)

    @property
    def capacity(self) -> int:
        return sum(c for _, c in self.shelters)


def _float(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number(text: str) -> float | None:
    """A positive number, or None when the cell is empty, zero or not a number."""
    value = _float(text)
    return value if value is not None and value > 0 else None


def load_sites(seed: int = 0, path: Path | None = None) -> tuple[Site, ...]:
    """The DTM sites (HXL hashtag row skipped) with coordinates and a raw capacity."""
    rows = read_site_rows(path or SITES_CSV)
    surveyed = [
        (a / SPHERE_M2_PER_PERSON) / i
        for r in rows
        if (a := _number(r["AreaOfSite"])) and (i := _number(r["Number of Individuals"]))
    ]
    per_individual = float(np.median(surveyed)) if surveyed else 1.0
    rng = np.random.default_rng(seed)
    sites = []
    for r in rows:
        lat, lon = _float(r["Lat"]), _float(r["Lon"])
        area, individuals = _number(r["AreaOfSite"]), _number(r["Number of Individuals"])
        if lat is None or lon is None or (area is None and individuals is None):
            continue
        raw = area / SPHERE_M2_PER_PERSON if area else (individuals or 0) * per_individual
        services = {s for s, share in SERVICE_SHARE.items() if rng.random() < share}
        if r["Presence of Toilets"].startswith("Yes") or r["Water Provision"].startswith("Yes"):
            services.add(Service.WASH)
        sites.append(Site(r["SSID"], lat, lon, raw, frozenset(services)))
    return tuple(sites)


def families(sites: tuple[Site, ...], count: int, seed: int) -> tuple[Family, ...]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sites), size=count)
    drawn = []
    for n, pick in enumerate(picks):
        site = sites[int(pick)]
        lat = site.lat + float(rng.normal(0, ORIGIN_SPREAD_DEG))
        lon = site.lon + float(rng.normal(0, ORIGIN_SPREAD_DEG))
        size = int(min(50, 1 + rng.poisson(MEAN_EXTRA_MEMBERS)))
        elderly = int(rng.binomial(size, 0.06))
        needs = frozenset(need for need, share in NEED_SHARE.items() if rng.random() < share)
        drawn.append(Family(f"h{n:05d}", lat, lon, size, elderly, needs))
    return tuple(drawn)


def scenario(ratio: float, households: int = 1500, seed: int = 0) -> Scenario:
    """Households displaced around the Haiti sites, with ``ratio`` × their people in places."""
    sites = load_sites(seed)
    drawn = families(sites, households, seed + 1)
    demand = sum(f.size for f in drawn)
    scale = ratio * demand / sum(s.raw_capacity for s in sites)
    return Scenario(ratio, tuple((s, math.floor(s.raw_capacity * scale)) for s in sites), drawn)
