"""Looking at what Corridor did: replay, inboxes, exports, tokens for the dashboard."""

from __future__ import annotations

from pathlib import Path

import typer

from services.cli.base import app, fail
from services.config import Settings


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
        fail(str(exc))
        return
    if not found:
        typer.echo(f"{partner}: the inbox is empty")
    for event in found:
        typer.echo(escalation_line(event))


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
        fail(f"no signing secret for partner {partner[:50]!r}")
    else:
        typer.echo(partner_token(partner, secret))
