"""`corridor ingest`: convert partner files, screen them as intake would, sign, print or send.

Pure apart from :func:`run` (which reads files and the broker): :func:`prepare` turns one file's
bytes into signed CloudEvents plus a report. Each event is screened locally with intake's own
functions (region resolution and authorisation), so what intake would refuse is reported here
and not sent. Event ids are deterministic, so ingesting a file twice publishes duplicates that
intake drops, never a second copy of the facts.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TextIO

from rich.console import Console
from rich.progress import Progress, TaskID

from schemas.base import Contract
from schemas.catalogue import ingress_topic_for
from schemas.codec import canonical_json
from schemas.envelope import CloudEvent
from schemas.errors import CodecError
from services import publish
from services.adapters import cap, dtm, hxl
from services.adapters.errors import AdapterError
from services.config import Settings
from services.intake.core import regions_of
from services.registry.authorise import authorise
from services.registry.partners import Partner, PartnerRegistry
from services.registry.regions import RegionRegistry, load_regions

Format = Literal["cap", "hxl", "dtm"]
DEFAULT_PARTNER: dict[str, str] = {"cap": "cap-adapter", "hxl": "iom-dtm-ht", "dtm": "iom-dtm-ht"}
PROGRESS_FROM = 200  # items in a file before a progress bar is worth showing


@dataclass
class FileReport:
    path: str
    format: str
    events: list[tuple[str, CloudEvent]] = field(default_factory=list)  # (topic, event)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # Test / Exercise / Draft, not published
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the whole file refused

    def lines(self) -> Iterator[str]:
        if self.error is not None:
            yield f"{self.path}: refused — {self.error}"
            return
        yield (
            f"{self.path}: {self.format}, {len(self.events)} accepted, {len(self.refused)} refused"
            f", {len(self.skipped)} rows skipped"
            + (f", {len(self.held)} held" if self.held else "")
        )
        for label, items in (("refused", self.refused), ("skipped", self.skipped),
                             ("held", self.held), ("note", self.notes)):  # fmt: skip
            yield from (f"  {label}: {item}" for item in items)


@dataclass(frozen=True)
class Context:
    partner_id: str
    secret: str
    partners: PartnerRegistry
    regions: RegionRegistry
    now: datetime
    include_held: bool = False


Item = tuple[str | None, Contract, str]  # (event id or None, payload, label for the report)


def _cap_items(data: bytes, ctx: Context, report: FileReport) -> list[Item]:
    result = cap.convert(data, ctx.regions)
    report.notes.extend(result.notes)
    label = f"{result.version} {result.status} {result.msg_type} {result.identifier}"
    items: list[Item] = [(w.event_id, w.warning, label) for w in result.warnings]
    for w in result.held:
        if ctx.include_held:
            items.append((w.event_id, w.warning, label))
        else:
            report.held.append(f"{w.event_id}: {result.status} alert {result.identifier}")
    return items


def _hxl_items(data: bytes, ctx: Context, report: FileReport) -> list[Item]:
    result = hxl.convert(data, ctx.regions, now=ctx.now)
    report.skipped.extend(f"line {s.line}: {s.reason}" for s in result.skipped)
    return [(None, s.report, f"line {s.line} {s.report.shelter_id}") for s in result.shelters]


def _dtm_items(data: bytes, ctx: Context, report: FileReport) -> list[Item]:
    result = dtm.convert(data, ctx.regions)
    report.skipped.extend(result.skipped)
    report.notes.append(
        f"{len(result.baselines)} baselines (area × round), {len(result.increases)} increases"
    )
    return [
        (event_id, alert, f"{i.current.pcode} {i.current.operation} round {i.current.round}")
        for i in result.increases
        for event_id, alert in i.alerts
    ]


CONVERTERS: dict[str, Callable[[bytes, Context, FileReport], list[Item]]] = {
    "cap": _cap_items,
    "hxl": _hxl_items,
    "dtm": _dtm_items,
}


def prepare(
    fmt: str, path: str, data: bytes, ctx: Context,
    progress: Callable[[int, int], None] | None = None,
) -> FileReport:  # fmt: skip
    """Convert one file and sign what intake would accept, as ``ctx.partner_id``."""
    report = FileReport(path, fmt)
    try:
        items = CONVERTERS[fmt](data, ctx, report)
    except AdapterError as exc:
        report.error = str(exc)
        return report
    partner = ctx.partners.get(ctx.partner_id)
    for n, (event_id, payload, label) in enumerate(items, 1):
        why = _screen(payload, ctx, partner)
        if why is None:
            spec = ingress_topic_for(payload)
            assert spec is not None  # every adapter payload is an ingress payload
            data_json = payload.model_dump(mode="json")
            try:
                event = publish.partner_event(
                    data_json, topic=spec.name, partner_id=ctx.partner_id, secret=ctx.secret,
                    event_id=event_id or _content_id(fmt, data_json), time=ctx.now,
                )  # fmt: skip
                report.events.append((spec.name, event))
            except CodecError as exc:
                why = exc.message
        if why is not None:
            report.refused.append(f"{label}: {why}")
        if progress is not None:
            progress(n, len(items))
    return report


def _screen(payload: Contract, ctx: Context, partner: Partner | None) -> str | None:
    """What intake would answer on region and authorisation; None when it would accept."""
    if partner is None:
        return f"partner {ctx.partner_id} is not in the registry"
    found = regions_of(payload, ctx.regions)
    if isinstance(found, str):
        return found
    spec = ingress_topic_for(payload)
    topic = spec.name if spec else "?"
    return next((d for d in (authorise(partner, topic, payload, r) for r in found) if d), None)


def _content_id(fmt: str, data: object) -> str:
    """A deterministic id from the payload's content: the same report → the same id."""
    return f"{fmt}:{hashlib.sha256(canonical_json(data)).hexdigest()[:40]}"


def run(
    fmt: Format, files: Sequence[Path], *, partner_id: str | None, dry_run: bool,
    include_held: bool = False, settings: Settings | None = None,
    out: TextIO | None = None, err: TextIO | None = None,
) -> int:  # fmt: skip
    """The command: 0 when every file and event was accepted, 1 otherwise."""
    settings = settings or Settings()
    out, err = out or sys.stdout, err or sys.stderr
    partner_id = partner_id or DEFAULT_PARTNER[fmt]
    secrets = publish.secrets(settings)
    if partner_id not in secrets:
        err.write(f"corridor: no signing secret for partner {partner_id}\n")
        return 1
    if include_held and not dry_run:
        err.write(
            "corridor: --include-held works with --dry-run only: a HazardWarning has no status"
            " field, so a Test alert published would read downstream as a real one\n"
        )
        return 1
    ctx = Context(
        partner_id, secrets[partner_id], PartnerRegistry.load(settings.partners_file, secrets),
        load_regions(), datetime.now(UTC), include_held,
    )  # fmt: skip
    reports = []
    with Progress(console=Console(file=err), transient=True, disable=not err.isatty()) as bar:
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                reports.append(FileReport(str(path), fmt, error=f"cannot read ({exc.strerror})"))
                continue
            task = bar.add_task(path.name, total=None)

            def advance(n: int, total: int, task: TaskID = task) -> None:
                if total >= PROGRESS_FROM:
                    bar.update(task, completed=n, total=total)

            reports.append(prepare(fmt, str(path), data, ctx, advance))
            bar.remove_task(task)
    messages = [
        publish.encode(event, topic=topic, key=event.id.encode())
        for report in reports
        for topic, event in report.events
    ]
    if dry_run:
        for m in messages:
            out.write(m.value.decode() + "\n")
    elif messages:
        asyncio.run(publish.send(messages, settings, as_partner=partner_id))
    for report in reports:
        for line in report.lines():
            err.write(line + "\n")
    verb = "would publish" if dry_run else "published"
    err.write(f"{verb} {len(messages)} events as {partner_id}\n")
    failed = any(r.error is not None or r.refused for r in reports)
    return 1 if failed else 0


__all__ = ["DEFAULT_PARTNER", "Context", "FileReport", "prepare", "run"]
