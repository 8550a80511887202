"""The gateway's FastAPI app: wiring only (settings, registries, rate limiter, publisher)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.config import Settings
from services.gateway.ratelimit import RateLimiter
from services.gateway.routes import Refused, answer, router
from services.gateway.sink import KafkaPublisher, Publisher
from services.registry.partners import PartnerRegistry, load_secrets
from services.registry.regions import RegionRegistry, load_regions


def create_app(
    settings: Settings,
    partners: PartnerRegistry | None = None,
    regions: RegionRegistry | None = None,
    publisher: Publisher | None = None,
) -> FastAPI:
    """The app; its lifespan starts and stops the publisher (a Kafka producer by default)."""
    if partners is None:
        secrets = load_secrets(settings.partner_secrets_file, os.environ)
        partners = PartnerRegistry.load(settings.partners_file, secrets)
    sink = publisher or KafkaPublisher(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sink.start()
        try:
            yield
        finally:
            await sink.stop()

    app = FastAPI(
        title="Corridor HTTP gateway",
        version="1.0.0",
        description="For partners without a Kafka client: POST a signed CloudEvent (or a CAP"
        " alert) with your partner token. The gateway refuses, with intake's reason code and"
        " message, anything intake would refuse; what it accepts (202) is published to the"
        " ingress topic of its type, where intake sequences it into the region log.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.partners = partners
    app.state.regions = regions if regions is not None else load_regions(settings.regions_file)
    app.state.limiter = RateLimiter(settings.gateway_rate, settings.gateway_burst)
    app.state.publisher = sink
    app.state.monotonic = time.monotonic
    app.state.now = lambda: datetime.now(UTC)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return answer(exc)

    app.include_router(router)
    return app
