"""`python -m services.cli …`: the `corridor` command."""

from services.cli import app

app()
