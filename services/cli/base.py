"""The `corridor` command's root: the Typer app and the one way a command fails."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Corridor: coordination backend for humanitarian emergency response.",
    no_args_is_help=True,
    add_completion=False,
)


def fail(message: str) -> None:
    """One clear line on stderr, exit code 1."""
    typer.echo(f"corridor: {message}", err=True)
    raise typer.Exit(code=1)
