"""The `corridor` command: run the local stack and talk to Corridor. Each module registers its
commands on the one Typer app."""

from services.cli import audit, bench, partners, stack  # noqa: F401  (they register commands)
from services.cli.base import app

__all__ = ["app"]
