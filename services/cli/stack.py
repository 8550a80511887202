"""`corridor up / run / down / status` and `corridor schemas export`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from services.cli.base import app, fail
from services.config import PROJECT_ROOT, Settings
from services.stack.errors import StackError

schemas_app = typer.Typer(help="Event contracts for partner agencies.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


@app.command()
def up() -> None:
    """Start Kafka and PostgreSQL if they are not running, create topics, apply migrations."""
    from services.stack.local import LocalStack

    settings = Settings()
    try:
        for line in LocalStack(settings).up():
            typer.echo(line)
    except StackError as exc:
        fail(str(exc))
    typer.echo(f"CORRIDOR_KAFKA_BOOTSTRAP={settings.bootstrap_servers}")
    typer.echo(f"CORRIDOR_DATABASE_URL={settings.dsn()}")


@app.command()
def run(
    demo: bool = typer.Option(False, help="Play a Port-au-Prince flood scenario as partners."),
) -> None:
    """Bring the stack up and run the processors and the opscentre until Ctrl-C."""
    import asyncio

    from services import run as runner

    up()
    code = asyncio.run(runner.run(Settings(), demo=demo))
    raise typer.Exit(code=code)


@app.command()
def down() -> None:
    """Stop the local Kafka and PostgreSQL cleanly."""
    from services.stack.local import LocalStack

    try:
        for line in LocalStack().down():
            typer.echo(line)
    except StackError as exc:
        fail(str(exc))


@app.command("compose-init")
def compose_init(
    out: Path = typer.Option(..., help="The deployment's secrets folder (a volume)."),
    broker_host: str = typer.Option("kafka", help="The broker's name on the compose network."),
    partner_address: str = typer.Option(
        "localhost:9094", help="host:port partners connect to (TLS); on the broker certificate."
    ),
    kafka_uid: int | None = typer.Option(None, help="Give kafka/ to this uid (run as root)."),
    client_uid: int | None = typer.Option(None, help="Give each client folder to this uid."),
) -> None:
    """Generate the compose deployment's credentials, CA and broker configuration (once)."""
    from services.stack import deploy
    from services.stack.acls import registry_access

    partners = [p.partner_id for p in registry_access(Settings().partners_file)]
    written = deploy.write(out, partners, broker_host=broker_host, partner_address=partner_address,
                           kafka_uid=kafka_uid, client_uid=client_uid)  # fmt: skip
    typer.echo(f"{len(written)} secret files in {out} (existing ones kept)")


@app.command()
def status() -> None:
    """Report whether Kafka and PostgreSQL answer (exit code 1 when one does not), then how far
    behind each processor is: its workers, the records waiting for it and the oldest one's age."""
    from services.stack.local import LocalStack

    stack = LocalStack()
    report = stack.status()
    for health in report:
        typer.echo(f"{health.name:<9} {'healthy' if health.ok else 'DOWN':<8} {health.detail}")
    if not all(h.ok for h in report):
        raise typer.Exit(code=1)
    try:  # how far behind each processor is: informative, not the stack's health
        now = datetime.now(UTC)
        for each in stack.backlogs():
            typer.echo(f"{each.processor:<9} {each.describe(now)}")
    except Exception as exc:
        typer.echo(f"backlog   unknown: {type(exc).__name__}: {exc}")


@schemas_app.command("export")
def schemas_export(
    out: Path = typer.Option(PROJECT_ROOT / "schemas" / "published", help="Output folder."),
) -> None:
    """Write the JSON Schemas and the AsyncAPI 3.0 document partners integrate against."""
    from schemas.publish import export

    for path in export(out):
        typer.echo(str(path))
