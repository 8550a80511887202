"""The read-only API over the ledger: situation, shelters, alerts, decisions, escalations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from schemas.types import EscalationLevel, EscalationStatus, RejectReason, Sector
from services.opscentre import queries as q
from services.opscentre.auth import OutOfScope, region_scope, sector_scope
from services.opscentre.cursor import CURSOR_PATTERN, Cursor, encode_cursor
from services.opscentre.deps import Caller, Pool, cursor_of, forbidden
from services.opscentre.models import (
    Acknowledgement,
    Alert,
    AlertPage,
    DecisionPage,
    DecisionSummary,
    Escalation,
    EscalationDetail,
    EscalationPage,
    EscalationRevision,
    Pipeline,
    Problem,
    Rejection,
    RejectionPage,
    Shelter,
    ShelterMap,
    ShelterPage,
    Situation,
    WhoAmI,
)
from services.opscentre.rows import map_cell, region_situation

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Invalid cursor."},
    401: {"model": Problem, "description": "No token, or an unknown one."},
    403: {"model": Problem, "description": "Outside the token's regions or sectors."},
    503: {"model": Problem, "description": "The ledger's database is not answering; retry."},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

Region = Annotated[
    str | None, Query(pattern=r"^[A-Z]{2}[0-9]{2,10}$", description="Region p-code.")
]
CursorText = Annotated[
    str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page.")
]
Limit = Annotated[int, Query(ge=1, le=q.MAX_LIMIT)]


def _regions(caller: Caller, region: str | None) -> list[str] | None:
    try:
        return region_scope(caller, region)
    except OutOfScope as exc:
        raise forbidden(exc) from None


async def _page(pool: Pool, query: q.Query, limit: int, time_col: str, id_col: str
                ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    rows = [dict(r) for r in await pool.fetch(query.sql, *query.args)]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(Cursor(last[time_col], last[id_col]))


@router.get("/whoami", summary="The caller's role and scope")
async def whoami(caller: Caller) -> WhoAmI:
    if caller.is_operator:
        return WhoAmI(role="operator", partner_id=None, regions=None, sectors=None)
    return WhoAmI(
        role="partner", partner_id=caller.partner_id,
        regions=sorted(caller.regions), sectors=sorted(caller.sectors),
    )  # fmt: skip


@router.get("/pipeline", summary="Whether the processors keep up: workers, records waiting")
async def pipeline(caller: Caller, request: Request) -> Pipeline:
    return request.app.state.pipeline.answer(datetime.now(UTC))


@router.get("/situation", summary="People, places and open escalations per region")
async def situation(caller: Caller, pool: Pool, region: Region = None) -> Situation:
    rows = await pool.fetch(*_sql(q.situation(_regions(caller, region))))
    return Situation(regions=[region_situation(dict(r)) for r in rows])


@router.get("/shelters", summary="Shelters, most recently reported first")
async def shelters(
    caller: Caller, pool: Pool, region: Region = None,
    min_utilisation: Annotated[float | None, Query(ge=0, le=100)] = None,
    cursor: CursorText = None, limit: Limit = 100,
) -> ShelterPage:  # fmt: skip
    query = q.shelters(_regions(caller, region), min_utilisation, cursor_of(cursor), limit)
    rows, next_cursor = await _page(pool, query, limit, "sequenced_at", "shelter_id")
    return ShelterPage(items=[Shelter(**r) for r in rows], next_cursor=next_cursor)


@router.get("/shelters/map", summary="Shelters binned on a grid: centre, totals, utilisation")
async def shelter_map(
    caller: Caller, pool: Pool, region: Region = None,
    grid: Annotated[int, Query(ge=1, le=q.MAX_GRID)] = 64,
) -> ShelterMap:  # fmt: skip
    rows = await pool.fetch(*_sql(q.shelter_map(_regions(caller, region), grid)))
    cells = [map_cell(dict(r)) for r in rows]
    return ShelterMap(cells=cells, shelters=sum(c.shelters for c in cells))


@router.get("/decisions", summary="Allocation decisions, newest first")
async def decisions(
    caller: Caller, pool: Pool, region: Region = None, cursor: CursorText = None,
    limit: Limit = 50,
) -> DecisionPage:  # fmt: skip
    query = q.decisions(_regions(caller, region), cursor_of(cursor), limit)
    rows, next_cursor = await _page(pool, query, limit, "decided_at", "decision_id")
    return DecisionPage(items=[DecisionSummary(**r) for r in rows], next_cursor=next_cursor)


@router.get("/alerts", summary="Displacement alerts with their decisions, newest first")
async def alerts(
    caller: Caller, pool: Pool, region: Region = None, cursor: CursorText = None,
    limit: Limit = 50,
) -> AlertPage:  # fmt: skip
    query = q.alerts(_regions(caller, region), cursor_of(cursor), limit)
    rows, next_cursor = await _page(pool, query, limit, "sequenced_at", "alert_id")
    by_alert: dict[str, list[DecisionSummary]] = {r["alert_id"]: [] for r in rows}
    if rows:
        for d in await pool.fetch(*_sql(q.decisions_of_alerts(list(by_alert)))):
            by_alert[d["alert_id"]].append(DecisionSummary(**dict(d)))
    items = [Alert(**r, decisions=by_alert[r["alert_id"]]) for r in rows]
    return AlertPage(items=items, next_cursor=next_cursor)


@router.get("/escalations", summary="Escalations (latest revision), most recently updated first")
async def escalations(
    caller: Caller, pool: Pool, region: Region = None, level: EscalationLevel | None = None,
    status: EscalationStatus | None = None, sector: Sector | None = None,
    cursor: CursorText = None, limit: Limit = 50,
) -> EscalationPage:  # fmt: skip
    try:
        sectors = sector_scope(caller, None if sector is None else str(sector))
    except OutOfScope as exc:
        raise forbidden(exc) from None
    flt = q.EscalationFilter(
        regions=_regions(caller, region), sectors=sectors,
        level=None if level is None else str(level),
        status=None if status is None else str(status),
    )  # fmt: skip
    rows, next_cursor = await _page(
        pool, q.escalations(flt, cursor_of(cursor), limit), limit, "updated_at", "escalation_id"
    )
    return EscalationPage(items=[Escalation(**r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/escalations/{escalation_id}",
    summary="One escalation: its latest revision, the revisions before it, its acknowledgements",
    responses={404: {"model": Problem, "description": "No such escalation in the token's scope."}},
)
async def escalation(
    caller: Caller, pool: Pool,
    escalation_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")],
) -> EscalationDetail:  # fmt: skip
    """Out of the caller's regions or sectors is the same answer as unknown: 404."""
    row = await pool.fetchrow(*_sql(q.escalation(escalation_id)))
    if row is None or not caller.sees(row["region_pcode"], row["sector"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no escalation {escalation_id}")
    revisions = await pool.fetch(*_sql(q.escalation_revisions(escalation_id)))
    acks = await pool.fetch(*_sql(q.escalation_acks(escalation_id, caller.partner_id)))
    return EscalationDetail(
        **dict(row), revisions=[EscalationRevision(**dict(r)) for r in revisions],
        acknowledgements=[Acknowledgement(**dict(k)) for k in acks],
    )  # fmt: skip


@router.get("/rejections", summary="Messages intake refused (a partner sees its own), newest first")
async def rejections(
    caller: Caller, pool: Pool, reason: RejectReason | None = None,
    topic: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,249}$")] = None,
    cursor: CursorText = None, limit: Limit = 50,
) -> RejectionPage:  # fmt: skip
    query = q.rejections(
        caller.partner_id, None if reason is None else str(reason), topic, cursor_of(cursor), limit
    )
    rows, next_cursor = await _page(pool, query, limit, "rejected_at", "rejection_id")
    return RejectionPage(items=[Rejection(**r) for r in rows], next_cursor=next_cursor)


def _sql(query: q.Query) -> tuple[Any, ...]:
    return (query.sql, *query.args)
