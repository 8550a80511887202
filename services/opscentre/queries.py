"""SQL over the ledger tables (migration 0002). Building is pure; running is in :mod:`.api`.

Only constant SQL fragments are formatted into the text (ruff's S608 is off for this module);
every value is a numbered parameter. Every list is newest first by ``(time, id)`` and
keyset-paginated; the situation and the map are aggregated by PostgreSQL, so no answer grows
with the size of the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.opscentre.cursor import Cursor

MAX_LIMIT = 500
MAX_GRID = 256


@dataclass
class Where:
    """AND-ed conditions with numbered parameters: ``add("region_pcode = ANY({})", regions)``."""

    clauses: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, template: str, *values: Any) -> None:
        numbers = []
        for value in values:
            self.args.append(value)
            numbers.append(f"${len(self.args)}")
        self.clauses.append(template.format(*numbers))

    def add_if(self, template: str, value: Any) -> None:
        if value is not None:
            self.add(template, value)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


@dataclass(frozen=True, slots=True)
class Query:
    sql: str
    args: tuple[Any, ...]


def page(select: str, time_col: str, id_col: str, where: Where, cursor: Cursor | None,
         limit: int) -> Query:  # fmt: skip
    """One page newest first, fetching one row more than ``limit`` to tell if another follows."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be within 1..{MAX_LIMIT}")
    if cursor is not None:
        where.add(f"({time_col}, {id_col}) < ({{}}, {{}})", cursor.time, cursor.id)
    where.args.append(limit + 1)
    sql = (
        f"{select} WHERE {where.sql()} "
        f"ORDER BY {time_col} DESC, {id_col} DESC LIMIT ${len(where.args)}"
    )
    return Query(sql, tuple(where.args))


UTILISATION = "(s.occupancy + s.reserved)::float8 / NULLIF(s.capacity, 0)"

SHELTERS = f"""SELECT s.shelter_id, s.region_pcode, s.name, s.lat, s.lon, s.capacity,
    s.occupancy, s.reserved, {UTILISATION} AS utilisation, s.open, s.services,
    s.reported_at, s.sequenced_at FROM shelters s"""


def shelters(regions: list[str] | None, min_utilisation: float | None, cursor: Cursor | None,
             limit: int) -> Query:  # fmt: skip
    where = Where()
    where.add_if("s.region_pcode = ANY({})", regions)
    where.add_if(f"{UTILISATION} >= {{}}", min_utilisation)
    return page(SHELTERS, "s.sequenced_at", "s.shelter_id", where, cursor, limit)


DECISIONS = """SELECT d.decision_id, d.region_pcode, d.decided_at, d.alert_id, d.cause_event_id,
    d.placed_households, d.placed_persons, d.waitlisted_households, d.waitlisted_persons,
    ARRAY(SELECT DISTINCT p->>'shelter_id' FROM jsonb_array_elements(d.payload->'placements') p
          ORDER BY 1) AS shelters
    FROM decisions d"""


def decisions(regions: list[str] | None, cursor: Cursor | None, limit: int) -> Query:
    where = Where()
    where.add_if("d.region_pcode = ANY({})", regions)
    return page(DECISIONS, "d.decided_at", "d.decision_id", where, cursor, limit)


def decisions_of_alerts(alert_ids: list[str]) -> Query:
    return Query(
        f"{DECISIONS} WHERE d.alert_id = ANY($1) ORDER BY d.decided_at, d.decision_id",
        (alert_ids,),
    )


ALERTS = """SELECT a.alert_id, a.region_pcode, a.households, a.persons, a.cause,
    a.observed_at, a.sequenced_at FROM alerts a"""


def alerts(regions: list[str] | None, cursor: Cursor | None, limit: int) -> Query:
    where = Where()
    where.add_if("a.region_pcode = ANY({})", regions)
    return page(ALERTS, "a.sequenced_at", "a.alert_id", where, cursor, limit)


ESCALATIONS = """SELECT e.escalation_id, e.revision, e.region_pcode, e.reason, e.sector, e.level,
    e.status, e.episode, e.persons_affected, e.households_affected, e.needs_counts,
    e.opened_at, e.updated_at, e.ack_deadline FROM escalations e"""


@dataclass(frozen=True, slots=True)
class EscalationFilter:
    regions: list[str] | None = None
    sectors: list[str] | None = None
    level: str | None = None
    status: str | None = None


def escalations(flt: EscalationFilter, cursor: Cursor | None, limit: int) -> Query:
    where = Where()
    where.add_if("e.region_pcode = ANY({})", flt.regions)
    where.add_if("e.sector = ANY({})", flt.sectors)
    where.add_if("e.level = {}", flt.level)
    where.add_if("e.status = {}", flt.status)
    return page(ESCALATIONS, "e.updated_at", "e.escalation_id", where, cursor, limit)


def escalation(escalation_id: str) -> Query:
    return Query(f"{ESCALATIONS} WHERE e.escalation_id = $1", (escalation_id,))


def escalation_revisions(escalation_id: str) -> Query:
    """The last MAX_LIMIT revisions, oldest first."""
    return Query(
        """SELECT * FROM (SELECT r.revision, r.level, r.status, r.persons_affected,
               r.households_affected, r.updated_at, r.ack_deadline FROM escalation_revisions r
               WHERE r.escalation_id = $1
               ORDER BY r.updated_at DESC, r.revision DESC NULLS LAST LIMIT $2) last
           ORDER BY updated_at, revision NULLS FIRST""",
        (escalation_id, MAX_LIMIT),
    )


def escalation_acks(escalation_id: str, partner_id: str | None) -> Query:
    """Its acknowledgements in log order (a partner's own only, when ``partner_id``)."""
    where = Where()
    where.add("k.escalation_id = {}", escalation_id)
    where.add_if("k.partner_id = {}", partner_id)
    where.args.append(MAX_LIMIT)
    return Query(
        f"""SELECT k.partner_id, k.status, k.acknowledged_at FROM escalation_acks k
            WHERE {where.sql()} ORDER BY k.sequenced_at, k.event_id LIMIT ${len(where.args)}""",
        tuple(where.args),
    )


REJECTIONS = """SELECT r.rejection_id, r.topic, r.reason, r.message, r.event_id, r.partner_id,
    r.rejected_at FROM rejections r"""


def rejections(partner_id: str | None, reason: str | None, topic: str | None,
               cursor: Cursor | None, limit: int) -> Query:  # fmt: skip
    where = Where()
    where.add_if("r.partner_id = {}", partner_id)
    where.add_if("r.reason = {}", reason)
    where.add_if("r.topic = {}", topic)
    return page(REJECTIONS, "r.rejected_at", "r.rejection_id", where, cursor, limit)


OPEN = "e.status <> 'resolved'"


def situation(regions: list[str] | None) -> Query:
    """One row per region that has alerts, shelters or escalations: people, places, escalations."""
    where = "WHERE region_pcode = ANY($1)" if regions is not None else ""
    sql = f"""
WITH people AS (
    SELECT a.region_pcode, sum(a.persons) AS displaced FROM alerts a GROUP BY 1),
outcomes AS (
    SELECT h.region_pcode,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'placed') AS placed,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'in_transit') AS in_transit,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'arrived') AS arrived,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'waitlisted') AS waitlisted,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'no_show') AS no_show,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome = 'cancelled') AS cancelled,
        sum(coalesce(h.persons, 0)) FILTER (WHERE h.outcome IS NULL) AS pending
    FROM households h GROUP BY 1),
places AS (
    SELECT s.region_pcode, count(*) AS shelters, count(*) FILTER (WHERE s.open) AS open_shelters,
        sum(s.capacity) FILTER (WHERE s.open) AS capacity,
        sum(s.occupancy) FILTER (WHERE s.open AND s.capacity IS NOT NULL) AS occupancy,
        sum(s.reserved) FILTER (WHERE s.open AND s.capacity IS NOT NULL) AS reserved
    FROM shelters s GROUP BY 1),
open_escalations AS (
    SELECT e.region_pcode,
        count(*) FILTER (WHERE e.level = 'L1') AS l1,
        count(*) FILTER (WHERE e.level = 'L2') AS l2,
        count(*) FILTER (WHERE e.level = 'L3') AS l3
    FROM escalations e WHERE {OPEN} GROUP BY 1),
regions AS (
    SELECT region_pcode FROM people UNION SELECT region_pcode FROM places
    UNION SELECT region_pcode FROM open_escalations UNION SELECT region_pcode FROM outcomes)
SELECT r.region_pcode, p.displaced, o.placed, o.in_transit, o.arrived, o.waitlisted,
    o.no_show, o.cancelled, o.pending, pl.shelters, pl.open_shelters, pl.capacity,
    pl.occupancy, pl.reserved, x.l1, x.l2, x.l3
FROM (SELECT region_pcode FROM regions {where}) r
LEFT JOIN people p USING (region_pcode)
LEFT JOIN outcomes o USING (region_pcode)
LEFT JOIN places pl USING (region_pcode)
LEFT JOIN open_escalations x USING (region_pcode)
ORDER BY r.region_pcode"""
    return Query(sql, (regions,) if regions is not None else ())


def shelter_map(regions: list[str] | None, grid: int) -> Query:
    """Shelters binned into a ``grid`` × ``grid`` lattice over their bounding box."""
    if not 1 <= grid <= MAX_GRID:
        raise ValueError(f"grid must be within 1..{MAX_GRID}")
    where = "WHERE s.region_pcode = ANY($2)" if regions is not None else ""
    sql = f"""
WITH chosen AS (SELECT * FROM shelters s {where}),
box AS (SELECT min(lat) AS lat0, max(lat) AS lat1, min(lon) AS lon0, max(lon) AS lon1
        FROM chosen),
binned AS (
    SELECT c.*,
        least(floor((c.lat - b.lat0) / nullif(b.lat1 - b.lat0, 0) * $1), $1 - 1) AS gy,
        least(floor((c.lon - b.lon0) / nullif(b.lon1 - b.lon0, 0) * $1), $1 - 1) AS gx
    FROM chosen c CROSS JOIN box b)
SELECT avg(lat) AS lat, avg(lon) AS lon, count(*) AS shelters,
    coalesce(sum(capacity) FILTER (WHERE open), 0) AS capacity,
    coalesce(sum(occupancy) FILTER (WHERE open AND capacity IS NOT NULL), 0) AS occupancy,
    coalesce(sum(reserved) FILTER (WHERE open AND capacity IS NOT NULL), 0) AS reserved
FROM binned GROUP BY gy, gx ORDER BY gy, gx"""
    return Query(sql, (grid, regions) if regions is not None else (grid,))
