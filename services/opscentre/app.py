"""The opscentre FastAPI app: wiring only (settings, partners, database pool, stream hub)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from services.config import Settings
from services.opscentre import api, stream
from services.opscentre.hub import StreamHub
from services.opscentre.pipeline import PipelineWatch
from services.registry.partners import PartnerRegistry, load_secrets

STATIC = Path(__file__).parent / "static"
log = structlog.get_logger()
MIN_TOKEN_LENGTH = 16
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class MissingOperatorToken(RuntimeError):
    """Production has no default operator token: refuse to start without one."""


def operator_token(settings: Settings) -> str:
    token = settings.opscentre_operator_token
    if token is None:
        raise MissingOperatorToken(
            "CORRIDOR_OPSCENTRE_OPERATOR_TOKEN is not set; refusing to start without an operator"
            " token (`corridor run` generates a development one)"
        )
    value = token.get_secret_value()
    if len(value) < MIN_TOKEN_LENGTH:
        raise MissingOperatorToken(
            f"CORRIDOR_OPSCENTRE_OPERATOR_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters"
        )
    return value


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=_json, decoder=orjson.loads, schema="pg_catalog", format="text"
    )


def create_app(settings: Settings, partners: PartnerRegistry | None = None) -> FastAPI:
    """The app; raises :class:`MissingOperatorToken` before anything starts."""
    token = operator_token(settings)
    if partners is None:
        secrets = load_secrets(settings.partner_secrets_file, os.environ)
        partners = PartnerRegistry.load(settings.partners_file, secrets)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            settings.dsn(), min_size=1, max_size=8, init=_init_connection
        )
        app.state.hub = StreamHub(settings.bootstrap_servers, settings.topic_namespace)
        app.state.hub.start()
        app.state.pipeline = PipelineWatch(settings, app.state.pool)
        app.state.pipeline.start()
        try:
            yield
        finally:
            await app.state.pipeline.stop()
            await app.state.hub.stop()
            await app.state.pool.close()

    app = FastAPI(
        title="Corridor operations centre",
        version="1.0.0",
        description="Read-only API over the Corridor ledger, and a live stream of decisions and"
        " escalations. Bearer token: the operator token, or a partner token"
        " (`partner.<partner_id>.<hmac>`), which sees only its regions and sectors.",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the machine is offline
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.operator_token = token
    app.state.partners = partners
    app.include_router(api.router)
    app.include_router(stream.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.exception_handler(ConnectionError)
    @app.exception_handler(asyncpg.CannotConnectNowError)
    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.InterfaceError)
    async def ledger_unreachable(request: Request, exc: Exception) -> Response:
        """The ledger's database not answering is a 503 to retry, not a 500 and a traceback."""
        log.warning("opscentre.ledger_unreachable", path=request.url.path,
                    error=type(exc).__name__)  # fmt: skip
        body = {"detail": "the ledger's database is not answering; retry"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response

    return app
