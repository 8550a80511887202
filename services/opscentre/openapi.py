"""The opscentre's OpenAPI document, as published in ``schemas/published/openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from services.config import Settings
from services.opscentre.app import create_app
from services.registry.partners import PartnerRegistry


def document() -> dict[str, Any]:
    """The document of the app's routes; no server, database or broker is touched."""
    placeholder = SecretStr("placeholder-token-never-served")
    app = create_app(Settings(opscentre_operator_token=placeholder), PartnerRegistry({}))
    return app.openapi()
