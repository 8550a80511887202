"""IOM DTM API JSON (``displacement-admin{1,2}-admin0pcode-*.json``) → baselines and alerts.

A *baseline* is the persons displaced in one admin area at one round of one DTM operation (the
API splits a round's figure by displacement reason and origin: they are summed). Between two
consecutive rounds of an operation in an area, an *increase* becomes DisplacementAlerts:

* households are whole and of the average size of the IOM DTM Haiti 2013 site assessment
  (:data:`AVERAGE_HOUSEHOLD_SIZE`, individuals / households over its 352 sites): an estimate, since
  the API counts individuals only. ``n`` persons make ``round(n / 3.93)`` households (at least
  one) whose sizes differ by at most one and add up to exactly ``n``;
* females and males follow the round's own ratio where the API gives one, else the file's;
* ages are not in the API: everyone is counted an adult (the contract has no "unknown" age);
* at most 500 households per alert (the contract's limit): a large increase is several alerts;
* the origin is the admin1 region's capital (the API has no coordinates) and ``region_pcode`` the
  admin1 p-code; ``observed_at`` is the reporting date, 00:00 UTC;
* the contract has no field for the round or the source: the event id carries them,
  ``dtm:<area p-code>:<operation digest>:r<round>:<part>``, and :class:`Increase` keeps them.
"""

import hashlib
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from schemas.errors import describe
from schemas.ingress import DisplacementAlert
from schemas.types import MAX_HOUSEHOLDS_PER_ALERT, DisplacementCause
from services.adapters.errors import AdapterError
from services.registry.regions import RegionRegistry

AVERAGE_HOUSEHOLD_SIZE = 3.93
"""Persons per household in the IOM DTM Haiti 2013 site assessment (all 352 sites)."""
MAX_JSON_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Baseline:
    """Displaced persons present in an admin area at one round of one operation."""

    pcode: str
    admin1_pcode: str
    name: str
    operation: str
    round: int
    reporting_date: date
    persons: int
    females: int | None
    males: int | None
    reasons: tuple[tuple[str, int], ...]  # persons by displacement reason, largest first


@dataclass(frozen=True)
class Increase:
    """More people displaced than the round before: the alerts that say so."""

    previous: Baseline
    current: Baseline
    alerts: tuple[tuple[str, DisplacementAlert], ...]  # (event id, alert)

    @property
    def persons(self) -> int:
        return self.current.persons - self.previous.persons


@dataclass(frozen=True)
class DtmResult:
    baselines: tuple[Baseline, ...]
    increases: tuple[Increase, ...]
    skipped: tuple[str, ...]  # records or areas left out, and why


def read_records(data: bytes) -> list[dict[str, Any]]:
    """The records of a DTM API response (``{"result": [...]}``, or a bare list)."""
    if len(data) > MAX_JSON_BYTES:
        raise AdapterError("file", f"larger than {MAX_JSON_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise AdapterError("file", "not JSON") from None
    records = document.get("result") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise AdapterError("result", "must be a list of DTM records")
    return records


def convert(data: bytes, regions: RegionRegistry) -> DtmResult:
    records = read_records(data)
    level = "admin2Pcode" if records and all("admin2Pcode" in r for r in records) else "admin1Pcode"
    groups: dict[tuple[str, str, int, date], list[dict[str, Any]]] = defaultdict(list)
    skipped: list[str] = []
    for i, rec in enumerate(records):
        try:
            key = (str(rec["operation"]), str(rec[level]), _int(rec["roundNumber"]),
                   date.fromisoformat(str(rec["reportingDate"])[:10]))  # fmt: skip
            _int(rec["numPresentIdpInd"])
        except (KeyError, ValueError, TypeError):
            skipped.append(
                f"result[{i}]: lacks operation, {level}, roundNumber, reportingDate"
                " or numPresentIdpInd"
            )
            continue
        groups[key].append(rec)
    baselines = sorted(
        (_baseline(key, recs, level) for key, recs in groups.items()),
        key=lambda b: (b.operation, b.pcode, b.round, b.reporting_date),
    )
    ratio = _female_share(baselines)
    increases: list[Increase] = []
    for prev, cur in itertools.pairwise(baselines):
        if (prev.operation, prev.pcode) != (
            cur.operation,
            cur.pcode,
        ) or cur.persons <= prev.persons:
            continue
        region = regions.get(cur.admin1_pcode)
        if region is None:
            skipped.append(
                f"{cur.pcode} round {cur.round}: admin1 {cur.admin1_pcode} is not a known region"
            )
            continue
        alerts = _alerts(prev, cur, region.capital.location.model_dump(), ratio)
        increases.append(Increase(prev, cur, alerts))
    return DtmResult(tuple(baselines), tuple(increases), tuple(skipped))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or int(value) < 0:
        raise ValueError(value)
    return int(value)


def _optional_sum(recs: list[dict[str, Any]], name: str) -> int | None:
    values = [r.get(name) for r in recs]
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
        return None
    return sum(int(v) for v in values if v is not None)


def _baseline(key: tuple[str, str, int, date], recs: list[dict[str, Any]], level: str) -> Baseline:
    operation, pcode, round_, day = key
    by_reason: dict[str, int] = defaultdict(int)
    for r in recs:
        by_reason[str(r.get("displacementReason") or "not reported")] += _int(r["numPresentIdpInd"])
    name_field = "admin2Name" if level == "admin2Pcode" else "admin1Name"
    return Baseline(
        pcode=pcode, admin1_pcode=str(recs[0].get("admin1Pcode", pcode)),
        name=str(recs[-1].get(name_field, pcode)), operation=operation, round=round_,
        reporting_date=day, persons=sum(by_reason.values()),
        females=_optional_sum(recs, "numberFemales"), males=_optional_sum(recs, "numberMales"),
        reasons=tuple(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
    )  # fmt: skip


def _female_share(baselines: list[Baseline]) -> float:
    females = sum(b.females for b in baselines if b.females is not None and b.males is not None)
    males = sum(b.males for b in baselines if b.females is not None and b.males is not None)
    return females / (females + males) if females + males else 0.5


def _cause(b: Baseline) -> DisplacementCause:
    reason, op = b.reasons[0][0].lower(), b.operation.lower()
    if reason in ("conflict", "insecurity"):
        return DisplacementCause.CONFLICT
    if reason == "natural disaster":
        for word, cause in (("earthquake", DisplacementCause.EARTHQUAKE),
                            ("hurricane", DisplacementCause.CYCLONE),
                            ("cyclone", DisplacementCause.CYCLONE),
                            ("flood", DisplacementCause.FLOOD)):  # fmt: skip
            if word in op:
                return cause
    return DisplacementCause.OTHER


def household_sizes(persons: int, average: float = AVERAGE_HOUSEHOLD_SIZE) -> list[int]:
    """Whole households of about ``average`` persons adding up to exactly ``persons``."""
    count = max(1, round(persons / average))
    base, extra = divmod(persons, count)
    return [base + 1] * extra + [base] * (count - extra)


def _alerts(
    prev: Baseline, cur: Baseline, origin: dict[str, float], file_share: float
) -> tuple[tuple[str, DisplacementAlert], ...]:
    persons = cur.persons - prev.persons
    share = file_share
    if cur.females is not None and cur.males is not None and cur.females + cur.males:
        share = cur.females / (cur.females + cur.males)
    sizes = household_sizes(persons)
    digest = hashlib.sha256(cur.operation.encode()).hexdigest()[:8]
    observed = datetime.combine(cur.reporting_date, datetime.min.time(), tzinfo=UTC)
    alerts = []
    for part, start in enumerate(range(0, len(sizes), MAX_HOUSEHOLDS_PER_ALERT)):
        chunk = sizes[start : start + MAX_HOUSEHOLDS_PER_ALERT]
        n = sum(chunk)
        female = round(n * share)
        data = {
            "origin": origin, "region_pcode": cur.admin1_pcode, "cause": _cause(cur),
            "observed_at": observed,
            "households": [{"size": s, "children": 0, "elderly": 0} for s in chunk],
            "demographics": {"children": 0, "adults": n, "elderly": 0, "female": female,
                             "male": n - female},
        }  # fmt: skip
        try:
            alert = DisplacementAlert.model_validate(data)
        except ValidationError as exc:  # pragma: no cover - built to the contract
            raise AdapterError(f"{cur.pcode} round {cur.round}", describe(exc)) from None
        alerts.append((f"dtm:{cur.pcode}:{digest}:r{cur.round}:{part}", alert))
    return tuple(alerts)
