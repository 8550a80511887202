"""How every Corridor process connects to Kafka: its own principal, SCRAM-SHA-512, TLS where
partners connect. One place, so no client is left open by accident.

Processors name themselves (``connect(..., principal="intake")``); tools use
``CORRIDOR_KAFKA_USER`` (the ``operator`` principal by default; the tests' set-up: ``admin``).
"""

from __future__ import annotations

import ssl
from typing import Any

from services.config import Settings
from services.stack import credentials

SCRAM = "SCRAM-SHA-512"


def _settings() -> Settings:
    return Settings()  # read each time: a test fixture sets the environment after imports


def _ssl(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(settings.ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _sasl(settings: Settings, principal: str, *, tls: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "security_protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
        "sasl_mechanism": SCRAM,
        "sasl_plain_username": principal,
        "sasl_plain_password": credentials.password(principal, settings.credentials_file),
    }
    if tls:
        options["ssl_context"] = _ssl(settings)
    return options


def principal_of(settings: Settings, principal: str | None = None) -> str:
    return principal or settings.kafka_user or credentials.OPERATOR


def connect(
    bootstrap: str | None = None, principal: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """aiokafka keyword arguments for Corridor's own processes (the INTERNAL listener; TLS too
    when the cluster is an existing one)."""
    settings = settings or _settings()
    options: dict[str, Any] = {"bootstrap_servers": bootstrap or settings.bootstrap_servers}
    if settings.kafka_security == "none":
        return options
    tls = settings.kafka_internal_tls
    return {**options, **_sasl(settings, principal_of(settings, principal), tls=tls)}


def connect_partner(partner_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for a partner: its own principal, over TLS."""
    settings = settings or _settings()
    options: dict[str, Any] = {"bootstrap_servers": settings.partner_bootstrap}
    if settings.kafka_security == "none":
        return options
    return {**options, **_sasl(settings, partner_id, tls=True)}


def faust_credentials(settings: Settings, principal: str) -> Any:
    """faust's broker credentials for a processor (None on an open broker)."""
    if settings.kafka_security == "none":
        return None
    import faust

    tls = settings.kafka_internal_tls
    return faust.SASLCredentials(
        username=principal,
        password=credentials.password(principal, settings.credentials_file),
        mechanism=SCRAM,
        ssl_context=_ssl(settings) if tls else None,
    )
