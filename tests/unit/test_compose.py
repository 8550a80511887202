"""docker-compose.yml cannot run here (no Docker engine); it is checked for completeness."""

from __future__ import annotations

import yaml

from services.config import PROJECT_ROOT


def processors() -> set[str]:
    """Every runnable processor: a package under services/ with a __main__.py (the `corridor`
    command's package is a tool, not a processor)."""
    found = {p.parent.name for p in (PROJECT_ROOT / "services").glob("*/__main__.py")}
    return found - {"cli"}


def test_compose_has_a_service_per_processor_and_the_infrastructure() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["postgres"]["image"].startswith("postgres:")
    missing = processors() - set(services)
    assert not missing, f"processors without a compose service: {sorted(missing)}"
    for name in processors():
        command = services[name]["command"]
        assert command[:2] == [f"services.{name}", "worker"], name


def _compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def _subpaths(service: dict) -> list[str]:
    return [v["volume"]["subpath"] for v in service.get("volumes", [])
            if isinstance(v, dict) and v.get("source") == "secrets"]  # fmt: skip


def test_compose_is_secured_like_the_local_stack() -> None:
    """The broker runs the configuration init writes; only the partner listener is published, on
    loopback; each container mounts only its own folder of the secrets volume."""
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "PLAINTEXT://" not in text and "ALLOW_EVERYONE" not in text.upper()
    services = _compose()["services"]
    assert services["init"]["entrypoint"][:2] == ["corridor", "compose-init"]
    kafka = services["kafka"]
    assert kafka["entrypoint"] == ["/bin/sh", "/secrets/kafka/start.sh"]
    assert kafka["ports"] == ["127.0.0.1:9094:9094"]  # PARTNER (SASL_SSL); INTERNAL unpublished
    assert _subpaths(kafka) == ["kafka"]
    assert services["setup"]["environment"]["CORRIDOR_KAFKA_USER"] == "admin"
    assert _subpaths(services["setup"]) == ["admin"]
    for name in processors():
        env = services[name]["environment"]
        assert _subpaths(services[name]) == [name], name
        assert env["CORRIDOR_KAFKA_SECURITY"] == "sasl_ssl"
        assert env["CORRIDOR_KAFKA_CREDENTIALS_FILE"] == "/run/corridor/credentials.yaml"
        assert "CORRIDOR_KAFKA_USER" not in env, name  # a processor is always its own principal
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
    assert (
        "${CORRIDOR_POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    )
