"""``GET /api/v1/stream``: decisions and escalations as server-sent events, as they happen.

Authenticated like the rest of the API (``Authorization: Bearer``); the page reads it with
``fetch`` streaming rather than ``EventSource`` so the token never travels in a URL. Events:
``ready`` once the shared consumer is at the end of the topics, then ``decision`` and
``escalation`` (data: the payload as published), ``reset`` if this client fell too far behind
(reconnect and reload), and comment lines as keep-alives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from services.opscentre.auth import Principal
from services.opscentre.deps import Caller
from services.opscentre.hub import StreamHub, sse_frame
from services.opscentre.models import Problem

KEEPALIVE_SECONDS = 15.0

router = APIRouter(prefix="/api/v1")


async def events(hub: StreamHub, caller: Principal) -> AsyncIterator[bytes]:
    subscriber = hub.subscribe(caller)  # before `ready`: nothing after it is missed
    try:
        yield b"retry: 2000\n\n"
        while not hub.ready.is_set():
            try:
                await asyncio.wait_for(hub.ready.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": waiting for the broker\n\n"
        yield b"event: ready\ndata: {}\n\n"
        while not subscriber.overflowed:
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield sse_frame(item)
        yield b"event: reset\ndata: {}\n\n"
    finally:
        hub.unsubscribe(subscriber)


@router.get(
    "/stream",
    summary="New decisions and escalations as server-sent events (text/event-stream)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        401: {"model": Problem, "description": "No token, or an unknown one."},
    },
)
async def stream(request: Request, caller: Caller) -> StreamingResponse:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        events(request.app.state.hub, caller), media_type="text/event-stream", headers=headers
    )
