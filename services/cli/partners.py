"""What partners send: `corridor publish` (one signed event) and `corridor ingest` (files)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from services.cli.base import app, fail
from services.config import Settings


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
        fail(f"cannot read {file}: {exc}")
    secret = outgoing.secrets(settings).get(partner)
    if secret is None:
        fail(f"no signing secret for partner {partner!r}")
        return
    try:
        event = outgoing.partner_event(
            data, topic=topic, partner_id=partner, secret=secret,
            event_id=event_id, validate=validate,
        )  # fmt: skip
    except outgoing.CodecError as exc:
        fail(f"refused ({exc.reason.value}): {exc.message}")
        return
    except ValueError as exc:
        fail(str(exc).splitlines()[0])
        return
    message = outgoing.encode(event, topic=topic, key=key.encode() if key else None, binary=binary)
    asyncio.run(outgoing.send([message], settings, as_partner=partner))
    typer.echo(f"sent {event.id} to {topic} as {partner}")


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
