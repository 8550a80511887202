"""The gateway's routes: token → rate limit → media type → body → intake's screen → publish.

No rules here beyond HTTP: what may enter is decided by ``gate.admit`` (intake's screen).
"""

from __future__ import annotations

from typing import Annotated, Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from schemas.catalogue import HAZARD_WARNINGS
from schemas.codec import MAX_VALUE_BYTES, encode_structured
from schemas.types import RejectReason
from services.gateway import cap
from services.gateway.answers import Accepted, CapAccepted, GatewayReason, Refusal, refuse
from services.gateway.auth import Unauthenticated, partner_of
from services.gateway.body import TooLarge, read_limited
from services.gateway.gate import admit
from services.gateway.openapi_docs import CAP_REQUEST, EVENTS_REQUEST, REFUSALS
from services.gateway.request import CAP_TYPES, Mode, media_type, mode_of, to_record
from services.intake.core import Admitted
from services.intake.record import Record
from services.publish import partner_event

MAX_BODY_BYTES = MAX_VALUE_BYTES
"""Intake refuses larger values (too_large), so the gateway does not read past it."""

router = APIRouter(prefix="/v1")
_bearer = HTTPBearer(auto_error=False, description="A partner token (`corridor opscentre token`).")


class Refused(Exception):
    """Raised anywhere in a request to answer with a refusal."""

    def __init__(self, refusal: Refusal, headers: dict[str, str] | None = None) -> None:
        self.refusal, self.headers = refusal, headers


def answer(exc: Refused) -> JSONResponse:
    body = exc.refusal.model_dump(mode="json")
    return JSONResponse(body, status_code=exc.refusal.status, headers=exc.headers)


def posting_partner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The token's partner, within its rate limit."""
    state = request.app.state
    token = credentials.credentials if credentials is not None else None
    try:
        partner_id = partner_of(token, state.partners)
    except Unauthenticated as exc:
        refusal = refuse(GatewayReason.UNAUTHENTICATED, f"partner token: {exc}")
        raise Refused(refusal, {"WWW-Authenticate": "Bearer"}) from None
    verdict = state.limiter.allow(partner_id, state.monotonic())
    if not verdict.allowed:
        wait = max(1, round(verdict.retry_after + 0.5))
        message = f"partner {partner_id} exceeded {state.limiter.rate:g} events/s"
        raise Refused(refuse(GatewayReason.RATE_LIMITED, message), {"Retry-After": str(wait)})
    return partner_id


Partner = Annotated[str, Depends(posting_partner)]


async def body_of(request: Request) -> bytes:
    try:
        return await read_limited(
            request.stream(), MAX_BODY_BYTES, request.headers.get("content-length")
        )
    except TooLarge as exc:
        raise Refused(refuse(RejectReason.TOO_LARGE, str(exc))) from None


async def publish(request: Request, records: list[Record]) -> None:
    try:
        for record in records:
            await request.app.state.publisher.publish(record)
    except KafkaError as exc:
        message = f"the broker did not acknowledge the event ({type(exc).__name__}); retry"
        raise Refused(refuse(GatewayReason.UNAVAILABLE, message), {"Retry-After": "5"}) from None


def screened(request: Request, record: Record, partner_id: str) -> Admitted:
    state = request.app.state
    outcome = admit(record, state.partners, state.regions, partner_id)
    if isinstance(outcome, Refusal):
        raise Refused(outcome)
    return outcome


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=REFUSALS,
    openapi_extra=EVENTS_REQUEST,
    summary="Publish one CloudEvent (structured or binary mode) as the token's partner",
)
async def post_event(request: Request, partner_id: Partner) -> Any:
    mode = mode_of(request.headers.raw)
    if mode is Mode.CAP:
        message = "CAP XML goes to /v1/cap"
        raise Refused(refuse(GatewayReason.UNSUPPORTED_MEDIA_TYPE, message))
    if mode is Mode.UNSUPPORTED:
        message = (
            "post application/cloudevents+json (structured mode) or the data as"
            " application/json with ce-* headers (binary mode)"
        )
        raise Refused(refuse(GatewayReason.UNSUPPORTED_MEDIA_TYPE, message))
    body = await body_of(request)
    record = to_record(
        body, request.headers.raw, binary=mode is Mode.BINARY,
        received_at=request.app.state.now(), key=partner_id.encode(),
    )  # fmt: skip
    admitted = screened(request, record, partner_id)
    await publish(request, [record])
    return Accepted(id=admitted.event.id, topic=record.topic)


@router.post(
    "/cap",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CapAccepted,
    responses=REFUSALS,
    openapi_extra=CAP_REQUEST,
    summary="Publish a CAP alert: one HazardWarning per convertible info, signed for the partner",
)
async def post_cap(request: Request, partner_id: Partner) -> Any:
    if media_type(request.headers.get("content-type")) not in CAP_TYPES:
        message = f"post CAP XML as one of {', '.join(sorted(CAP_TYPES))}"
        raise Refused(refuse(GatewayReason.UNSUPPORTED_MEDIA_TYPE, message))
    body = await body_of(request)
    state = request.app.state
    try:
        payloads = cap.hazard_payloads(body, state.regions, MAX_BODY_BYTES)
    except cap.CapInvalid as exc:
        raise Refused(refuse(GatewayReason.INVALID_CAP, str(exc))) from None
    secret = state.partners.get(partner_id).secret.get_secret_value()
    records = []
    for event_id, data in payloads.warnings:
        event = partner_event(
            data, topic=HAZARD_WARNINGS.name, partner_id=partner_id, secret=secret,
            event_id=event_id, time=state.now(), validate=False,
        )  # fmt: skip
        record = to_record(
            encode_structured(event), (), binary=False, received_at=state.now(),
            key=partner_id.encode(),
        )  # fmt: skip
        screened(request, record, partner_id)
        records.append(record)
    await publish(request, records)
    ids = [event_id for event_id, _ in payloads.warnings]
    return CapAccepted(ids=ids, held=payloads.held, notes=payloads.notes)
