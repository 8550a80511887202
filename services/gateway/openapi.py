"""The gateway's OpenAPI document, as published in ``schemas/published/gateway-openapi.json``."""

from __future__ import annotations

from typing import Any

from services.config import Settings
from services.gateway.app import create_app
from services.registry.partners import PartnerRegistry
from services.registry.regions import RegionRegistry, RegionsFile


class _Idle:
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, record: object) -> None: ...


def document() -> dict[str, Any]:
    """The document of the app's routes; no broker is touched."""
    regions = RegionRegistry(RegionsFile.model_validate({"countries": [], "regions": []}))
    app = create_app(Settings(), PartnerRegistry({}), regions, _Idle())
    return app.openapi()
