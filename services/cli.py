"""The `corridor` command: run the local stack and talk to Corridor."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from services.config import PROJECT_ROOT, Settings
from services.stack.errors import StackError

app = typer.Typer(
    help="Corridor: coordination backend for humanitarian emergency response.",
    no_args_is_help=True,
    add_completion=False,
)
schemas_app = typer.Typer(help="Event contracts for partner agencies.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


def _fail(message: str) -> None:
    typer.echo(f"corridor: {message}", err=True)
    raise typer.Exit(code=1)


@app.command()
def up() -> None:
    """Start Kafka and PostgreSQL if they are not running, create topics, apply migrations."""
    from services.stack.local import LocalStack

    settings = Settings()
    try:
        for line in LocalStack(settings).up():
            typer.echo(line)
    except StackError as exc:
        _fail(str(exc))
    typer.echo(f"CORRIDOR_KAFKA_BOOTSTRAP={settings.bootstrap_servers}")
    typer.echo(f"CORRIDOR_DATABASE_URL={settings.dsn()}")


@app.command()
def run(
    demo: bool = typer.Option(False, help="Play a Port-au-Prince flood scenario as partners."),
) -> None:
    """Bring the stack up and run the processors (intake, allocator) until Ctrl-C."""
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
        _fail(str(exc))


@app.command()
def status() -> None:
    """Report whether Kafka and PostgreSQL answer. Exit code 1 when one does not."""
    from services.stack.local import LocalStack

    report = LocalStack().status()
    for health in report:
        typer.echo(f"{health.name:<9} {'healthy' if health.ok else 'DOWN':<8} {health.detail}")
    if not all(h.ok for h in report):
        raise typer.Exit(code=1)


@schemas_app.command("export")
def schemas_export(
    out: Path = typer.Option(PROJECT_ROOT / "schemas" / "published", help="Output folder."),
) -> None:
    """Write the JSON Schemas and the AsyncAPI 3.0 document partners integrate against."""
    from schemas.publish import export

    for path in export(out):
        typer.echo(str(path))


@app.command()
def publish(
    file: Path = typer.Argument(..., help="JSON file with the payload (the event's data)."),
    topic: str = typer.Option(..., help="Ingress topic, e.g. ingress.shelter-capacity.v1."),
    partner: str = typer.Option(..., help="Partner id to sign as (its secret must be known)."),
    event_id: str | None = typer.Option(None, "--id", help="CloudEvents id (default: a UUID)."),
    key: str | None = typer.Option(None, help="Kafka record key."),
    binary: bool = typer.Option(False, help="Binary content mode (ce_ headers)."),
    validate: bool = typer.Option(True, help="Refuse locally what intake would refuse."),
) -> None:
    """Sign a payload as a partner and send it to an ingress topic."""
    import asyncio

    import orjson

    from services import publish as outgoing

    settings = Settings()
    try:
        data = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
    secret = outgoing.secrets(settings).get(partner)
    if secret is None:
        _fail(f"no signing secret for partner {partner!r}")
        return
    try:
        event = outgoing.partner_event(
            data, topic=topic, partner_id=partner, secret=secret,
            event_id=event_id, validate=validate,
        )  # fmt: skip
    except outgoing.CodecError as exc:
        _fail(f"refused ({exc.reason.value}): {exc.message}")
        return
    except ValueError as exc:
        _fail(str(exc).splitlines()[0])
        return
    message = outgoing.encode(event, topic=topic, key=key.encode() if key else None, binary=binary)
    asyncio.run(outgoing.send([message], settings, as_partner=partner))
    typer.echo(f"sent {event.id} to {topic} as {partner}")


@app.command()
def replay(
    region: str = typer.Option(..., help="Region p-code, e.g. HT01."),
) -> None:
    """Re-run the allocator and the escalator over a region's log from offset 0; report any
    difference with what they published."""
    import asyncio

    from services.audit.allocations import replay_region
    from services.audit.escalations import replay_escalations

    settings = Settings()
    report = asyncio.run(replay_region(settings, region))
    escalations = asyncio.run(replay_escalations(settings, region))
    ok = True
    for what, found in (("decisions", report), ("escalation revisions", escalations)):
        typer.echo(
            f"{region}: {found.events} region events, {len(found.replayed)} {what} replayed,"
            f" {len(found.emitted)} emitted"
        )
        for label, ids in (("never emitted", found.missing), ("not reproduced", found.unexplained),
                           ("different bytes", found.different)):  # fmt: skip
            for message_id in ids:
                typer.echo(f"  {label}: {message_id}")
        ok = ok and found.ok
    if not ok:
        raise typer.Exit(code=1)
    typer.echo("identical: every decision and escalation is reproduced byte for byte")


@app.command()
def inbox(
    partner: str = typer.Option(..., help="Partner id, e.g. iom-dtm-ht."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many messages, newest first."),
) -> None:
    """What a partner reads in its inbox, newest first: one line per escalation revision."""
    import asyncio

    from services.audit.escalations import read_inbox
    from services.lines import escalation_line

    try:
        found = asyncio.run(read_inbox(Settings(), partner, limit))
    except (LookupError, ValueError) as exc:
        _fail(str(exc))
        return
    if not found:
        typer.echo(f"{partner}: the inbox is empty")
    for event in found:
        typer.echo(escalation_line(event))


bench_app = typer.Typer(help="Measurements on this machine (not tests).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


def _as_bench_admin() -> Settings:
    """A bench makes its own namespace (topics, ACLs) and drives it as the admin principal; its
    worker processes run as their own principals, with this stack's credentials wherever their
    state folder is."""
    import os

    settings = Settings()
    os.environ.update({
        "CORRIDOR_KAFKA_USER": "admin",
        "CORRIDOR_KAFKA_CREDENTIALS_FILE": str(settings.credentials_file.resolve()),
        "CORRIDOR_KAFKA_CA_FILE": str(settings.ca_file.resolve()),
    })  # fmt: skip
    return Settings()


@bench_app.command("allocator")
def bench_allocator(
    quality: bool = typer.Option(False, help="Also compare placement quality with the LP bound."),
) -> None:
    """Allocator throughput and latency next to a raw aiokafka loop on the same broker."""
    from services.bench.allocator import report

    typer.echo(report(_as_bench_admin(), quality=quality))


@bench_app.command("ledger")
def bench_ledger(
    alerts: int = typer.Option(1000, help="Displacement alerts per region (10 regions)."),
) -> None:
    """Rows/s the ledger writes, next to a raw asyncpg COPY of the same rows."""
    from services.bench.ledger import report

    typer.echo(report(_as_bench_admin(), alerts_per_region=alerts))


@bench_app.command("codec")
def bench_codec(n: int = typer.Option(20_000, help="Events per measurement.")) -> None:
    """Encode+decode throughput of the CloudEvents codec, in one process."""
    from schemas.bench import bench_codec as measure

    for name, rate in measure(n).items():
        typer.echo(f"{name:<40} {rate:>12,.0f}")


export_app = typer.Typer(help="Exports from the ledger for partners' tools.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("hxl")
def export_hxl(
    region: str = typer.Option(..., help="Region p-code, e.g. HT01."),
    out: Path | None = typer.Option(None, help="Write to this file instead of stdout."),
) -> None:
    """A region's situation, one row per shelter, as HXL-tagged CSV (HDX reads it)."""
    import asyncio

    from services.export.hxl import export

    text = asyncio.run(export(Settings().dsn(), region))
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"{out}: {text.count(chr(10)) - 2} shelters", err=True)


opscentre_app = typer.Typer(help="The operations centre (API and dashboard).", no_args_is_help=True)
app.add_typer(opscentre_app, name="opscentre")


@opscentre_app.command("token")
def opscentre_token(
    partner: str = typer.Option(..., help="Partner id from the registry, e.g. dpc-ht."),
) -> None:
    """A partner's opscentre bearer token, derived from its signing secret."""
    import os

    from services.opscentre.auth import partner_token
    from services.registry.partners import load_secrets

    secret = load_secrets(Settings().partner_secrets_file, os.environ).get(partner)
    if secret is None:
        _fail(f"no signing secret for partner {partner[:50]!r}")
    else:
        typer.echo(partner_token(partner, secret))


if __name__ == "__main__":
    app()


ingest_app = typer.Typer(
    help="Convert partner files (CAP, HXL, IOM DTM), sign them as a partner and publish them.",
    no_args_is_help=True,
)
app.add_typer(ingest_app, name="ingest")
_FILES = typer.Argument(..., exists=True, dir_okay=False, help="Files to ingest.")
_DRY_RUN = typer.Option(False, "--dry-run", help="Print the CloudEvents as JSON lines; send none.")


def _ingest(
    fmt: Literal["cap", "hxl", "dtm"],
    files: list[Path],
    partner: str | None,
    dry_run: bool,
    held: bool,
) -> None:
    from services.adapters.ingest import run as run_ingest

    code = run_ingest(fmt, files, partner_id=partner, dry_run=dry_run, include_held=held)
    raise typer.Exit(code=code)


@ingest_app.command("cap")
def ingest_cap(
    files: list[Path] = _FILES,
    partner: str | None = typer.Option(None, help="Partner to sign as [default: cap-adapter]."),
    dry_run: bool = _DRY_RUN,
    include_held: bool = typer.Option(
        False, "--include-held", help="With --dry-run: also print Test, Exercise and Draft alerts."
    ),
) -> None:
    """CAP 1.1 / 1.2 alerts → hazard warnings (Actual alerts only)."""
    _ingest("cap", files, partner, dry_run, include_held)


@ingest_app.command("hxl")
def ingest_hxl(
    files: list[Path] = _FILES,
    partner: str | None = typer.Option(None, help="Partner to sign as [default: iom-dtm-ht]."),
    dry_run: bool = _DRY_RUN,
) -> None:
    """HXL-tagged shelter lists (CSV or XLSX) → shelter capacity reports."""
    _ingest("hxl", files, partner, dry_run, False)


@ingest_app.command("dtm")
def ingest_dtm(
    files: list[Path] = _FILES,
    partner: str | None = typer.Option(None, help="Partner to sign as [default: iom-dtm-ht]."),
    dry_run: bool = _DRY_RUN,
) -> None:
    """IOM DTM API JSON → displacement alerts for increases between rounds."""
    _ingest("dtm", files, partner, dry_run, False)
