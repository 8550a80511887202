"""`corridor bench`: measurements on this machine (not tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer

from services.cli.base import app
from services.config import Settings

bench_app = typer.Typer(help="Measurements on this machine (not tests).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@contextmanager
def _as_bench_admin() -> Iterator[Settings]:
    """A bench makes its own namespace (topics, ACLs) and drives it as the admin principal; its
    worker processes run as their own principals, with this stack's credentials wherever their
    state folder is. When the bench ends, however it ends, the benches' namespaces go."""
    import os

    settings = Settings()
    lock = _one_bench_at_a_time(settings.state_dir / "bench" / ".lock")
    os.environ.update({
        "CORRIDOR_KAFKA_USER": "admin",
        "CORRIDOR_KAFKA_CREDENTIALS_FILE": str(settings.credentials_file.resolve()),
        "CORRIDOR_KAFKA_CA_FILE": str(settings.ca_file.resolve()),
    })  # fmt: skip
    admin = Settings()
    try:
        yield admin
    finally:  # not at exit: the SCRAM handshake needs the default executor, gone by then
        _discard_benches(admin)
        lock.close()


def _one_bench_at_a_time(path: Path) -> IO[bytes]:
    """Benches on one stack run one after the other: when a bench ends it removes every bench
    namespace (also a crashed run's), which would pull the topics from under a bench still
    running, and two benches at once measure each other. The lock goes with the process."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.open("wb")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        typer.echo(f"another bench is running on this stack; waiting for it ({path})")
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def _discard_benches(settings: Settings) -> None:
    import asyncio

    from services.stack.local import discard_benches

    revoked, deleted = asyncio.run(discard_benches(
        settings.bootstrap_servers, settings.topic_namespace, settings.partners_file
    ))  # fmt: skip
    typer.echo(f"benchmark namespaces removed: {revoked} ACLs, {len(deleted)} topics")


@bench_app.command("allocator")
def bench_allocator(
    quality: bool = typer.Option(
        False,
        help="Also placement quality: one batch and as a stream (a tick every 1, 20, 200"
        " alerts) next to nearest-first and the LP bound, at capacity ratios 0.5-3.0.",
    ),
) -> None:
    """Allocator throughput and latency next to a raw aiokafka loop on the same broker."""
    from services.bench.allocator import report

    with _as_bench_admin() as settings:
        typer.echo(report(settings, quality=quality))


@bench_app.command("pipeline")
def bench_pipeline(
    start: float = typer.Option(25.0, help="Alerts/s offered in the first step."),
    factor: float = typer.Option(1.5, help="Each step offers this many times the last."),
    steps: int = typer.Option(12, help="Most steps before stopping (it stops at saturation)."),
    duration: float = typer.Option(8.0, help="Seconds of sending per step."),
    regions: int = typer.Option(10, min=1, max=10, help="Regions the alerts spread over."),
    shelters: int = typer.Option(20, min=1, help="Shelters per region."),
    out: Path | None = typer.Option(None, help="JSON report path (default: state folder)."),
) -> None:
    """Intake + allocator end to end at rising rates until saturation, next to a raw two-hop
    aiokafka loop on the same broker; writes a JSON report."""
    from services.bench.pipeline import Options, run

    opts = Options(start=start, factor=factor, steps=steps, duration=duration, regions=regions,
                   shelters=shelters)  # fmt: skip
    with _as_bench_admin() as settings:
        typer.echo(run(settings, opts, out))


@bench_app.command("ledger")
def bench_ledger(
    alerts: int = typer.Option(1000, help="Displacement alerts per region (10 regions)."),
) -> None:
    """Rows/s the ledger writes, next to a raw asyncpg COPY of the same rows."""
    from services.bench.ledger import report

    with _as_bench_admin() as settings:
        typer.echo(report(settings, alerts_per_region=alerts))


@bench_app.command("codec")
def bench_codec(n: int = typer.Option(20_000, help="Events per measurement.")) -> None:
    """Encode+decode throughput of the CloudEvents codec, in one process."""
    from schemas.bench import bench_codec as measure

    for name, rate in measure(n).items():
        typer.echo(f"{name:<40} {rate:>12,.0f}")
