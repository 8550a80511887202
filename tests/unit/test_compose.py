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
